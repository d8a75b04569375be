"""The estimand catalogue: true values of every planted effect, with definitions.

Estimand ids are dotted, lowercase and start with their domain (``training.``,
``dialogue.``, ``service.``). The analysis notebooks record their findings under the
same ids, and tests hold their confidence intervals against the values written to
``truth.json``. The catalogue is documented in ``docs/simulated_world.md``.

Sample-dependent estimands (an average effect on the treated under heterogeneous
effects, a unit's IKM in a month) are computed for the simulated sample: from both
potential outcomes, simulated with the *same* noise draws and scored with the
instrument's scale rule, or from the noise-free (expected) answers. Their entries say
``"population": "sample"``; estimands of the data-generating process itself say
``"superpopulation"``.

Examples
--------
>>> from asn_research.simulate.truth import TruthAccumulator, family_of
>>> acc = TruthAccumulator()
>>> acc.add("training.l2.gain_mean", [20.0, 30.0])
>>> acc.mean("training.l2.gain_mean")
25.0
>>> family_of("service.ikm.bapenda_pbb.2024-03")
'service.ikm'
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..estimands import FAMILIES, EstimandFamily, family, family_of

__all__ = [
    "FAMILIES",
    "EstimandFamily",
    "TruthAccumulator",
    "family_of",
    "read_truth",
    "truth_document",
]


class TruthAccumulator:
    """Running sums and counts behind mean-type estimands (chunk by chunk).

    Examples
    --------
    >>> acc = TruthAccumulator()
    >>> acc.add("x", [1.0, 2.0]); acc.add("x", [3.0])
    >>> acc.mean("x"), acc.count("x")
    (2.0, 3)
    """

    def __init__(self) -> None:
        self._sum: dict[str, float] = {}
        self._n: dict[str, int] = {}

    def add(self, key: str, values: Iterable[float] | np.ndarray) -> None:
        """Add the values of one chunk to ``key``."""
        v = np.asarray(values, dtype=float).ravel()
        self._sum[key] = self._sum.get(key, 0.0) + float(v.sum())
        self._n[key] = self._n.get(key, 0) + int(v.size)

    def mean(self, key: str) -> float:
        """Mean of everything added to ``key`` (NaN when nothing was added)."""
        n = self._n.get(key, 0)
        return self._sum[key] / n if n else math.nan

    def count(self, key: str) -> int:
        """Number of values added to ``key``."""
        return self._n.get(key, 0)

    def keys(self) -> list[str]:
        """All keys, sorted."""
        return sorted(self._n)


_TOPIC_TXT = "trainees of both topics"
_SIMULATED = tuple(f for f in FAMILIES if f.simulated)


def _entry(eid: str, value: float, n: int, fill: Mapping[str, str]) -> dict[str, Any]:
    fam = family(eid)
    text = fam.definition.format_map(_Fill(fill))
    return {
        "value": _clean(value),
        "unit": fam.unit,
        "population": fam.population,
        "instrument": fam.instrument,
        "family": fam.family,
        "n": int(n),
        "definition": text,
    }


class _Fill(dict):
    def __missing__(self, key: str) -> str:
        return {"topic": _TOPIC_TXT, "e": "k"}.get(key, "{" + key + "}")


def _clean(v: float) -> float:
    if v is None or not math.isfinite(float(v)):
        raise ValueError("truth values must be finite")
    return float(f"{float(v):.10g}")


def truth_document(
    acc: TruthAccumulator,
    service: Mapping[str, tuple[float, int, Mapping[str, str]]],
    *,
    seed: int,
    size: str,
    package_version: str,
    parameters: Mapping[str, Any],
) -> dict[str, Any]:
    """Assemble ``truth.json``: every estimand with value, definition and metadata.

    Parameters
    ----------
    acc : TruthAccumulator
        Sums behind the training and dialogue estimands (keys are estimand ids).
    service : mapping
        Service estimand id → (value, n, fill values for the definition).
    seed, size, package_version
        Recorded as given.
    parameters : mapping
        The world's planted parameters (launch months, rollout, effect sizes).

    Returns
    -------
    dict
        ``{"generator", "package_version", "synthetic", "seed", "size", "estimands",
        "definitions", "families", "parameters"}``; ``definitions`` maps every
        estimand id to its definition text.
    """
    est: dict[str, dict[str, Any]] = {}
    for key in acc.keys():
        if key.startswith("_") or acc.count(key) == 0:
            continue
        fill: dict[str, str] = {}
        for t in ("communication", "digital_services"):
            if key.endswith("." + t):
                fill["topic"] = f"{t} trainees"
        if key.startswith("dialogue.dynamic."):
            fill["e"] = key.rsplit(".e", 1)[1]
        est[key] = _entry(key, acc.mean(key), acc.count(key), fill)
    # Hake class-average normalized gain from the expected pre/post means.
    for sfx in ("", ".communication", ".digital_services"):
        pre = acc.mean(f"training.l2.pre_mean{sfx}")
        post = acc.mean(f"training.l2.post_mean{sfx}")
        if math.isfinite(pre):
            fill = {"topic": f"{sfx[1:]} trainees"} if sfx else {}
            est[f"training.l2.normalized_gain{sfx}"] = _entry(
                f"training.l2.normalized_gain{sfx}", (post - pre) / (100 - pre),
                acc.count(f"training.l2.pre_mean{sfx}"), fill,
            )
    for key, (value, n, fill) in service.items():
        est[key] = _entry(key, value, n, fill)
    est = dict(sorted(est.items()))
    return {
        "generator": "asn-research simulate",
        "package_version": package_version,
        "synthetic": True,
        "seed": int(seed),
        "size": size,
        "estimands": est,
        "definitions": {k: v["definition"] for k, v in est.items()},
        "families": {
            f.family: {"id_pattern": f.family + f.suffix, "instrument": f.instrument,
                       "unit": f.unit, "population": f.population}
            for f in _SIMULATED
        },
        "parameters": parameters,
    }


def read_truth(path: str | Path) -> pd.DataFrame:
    """Read a ``truth.json`` into a tidy frame, one row per estimand.

    Parameters
    ----------
    path : str or path
        A ``truth.json`` written by :func:`asn_research.simulate.simulate`, or the
        folder holding it.

    Returns
    -------
    pandas.DataFrame
        Columns ``estimand``, ``family``, ``value``, ``unit``, ``population``,
        ``instrument``, ``n``, ``definition``; sorted by ``estimand``;
        ``attrs["synthetic"]`` is True.

    Raises
    ------
    InputError
        If the file is missing or not a truth file.
    """
    p = Path(path)
    if p.is_dir():
        p = p / "truth.json"
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
        est = doc["estimands"]
    except (OSError, ValueError, KeyError, TypeError):
        raise InputError(
            "cannot read the estimand catalogue", file=str(p),
            fix="pass the truth.json written by `asn-research simulate` (or its folder)",
        ) from None
    frame = pd.DataFrame(
        [{"estimand": k, **{c: v.get(c) for c in
                            ("family", "value", "unit", "population", "instrument", "n",
                             "definition")}}
         for k, v in sorted(est.items())]
    )
    frame.attrs["synthetic"] = True
    return frame
