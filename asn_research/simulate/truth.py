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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError

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


@dataclass(frozen=True, slots=True)
class EstimandFamily:
    """A family of estimands sharing one definition template.

    Attributes
    ----------
    family : str
        The id prefix (``"service.ikm"``); the id is the family plus the suffix.
    suffix : str
        How the rest of the id is built (``".<unit>.<YYYY-MM>"``, or ``""``).
    instrument : str
        The instrument whose data estimate it.
    unit : str
        Unit of the value.
    population : str
        ``"sample"`` (conditional on who was drawn) or ``"superpopulation"``.
    definition : str
        Definition template; ``{unit}``, ``{month}``, ``{topic}``, ``{element}``,
        ``{e}`` are filled in per estimand.
    """

    family: str
    suffix: str
    instrument: str
    unit: str
    population: str
    definition: str


_TOPIC_TXT = "trainees of both topics"
FAMILIES: tuple[EstimandFamily, ...] = (
    # ------------------------------------------------------------------ training
    EstimandFamily(
        "training.l1.satisfaction_mean", "[.<topic>]", "training", "scale points (1-5)",
        "sample",
        "Kirkpatrick L1: mean reaction-scale score (mean of rx_1..rx_5, 1-5) over {topic} of "
        "cohorts 2024 and 2025, computed from the noise-free answers: each trainee's expected "
        "item answers given their latent satisfaction (ordered probit), averaged.",
    ),
    EstimandFamily(
        "training.l2.pre_mean", "[.<topic>]", "training", "percent correct",
        "sample",
        "Expected pre-test score (% correct) averaged over {topic} of cohorts 2024 and 2025: "
        "100 x the probability of a correct answer given the trainee's ability.",
    ),
    EstimandFamily(
        "training.l2.post_mean", "[.<topic>]", "training", "percent correct",
        "sample",
        "Expected post-test score (% correct) averaged over {topic} of cohorts 2024 and 2025.",
    ),
    EstimandFamily(
        "training.l2.gain_mean", "[.<topic>]", "training", "percentage points",
        "sample",
        "Kirkpatrick L2: mean learning gain, post-test minus pre-test % correct, over {topic} "
        "of cohorts 2024 and 2025 (baseline rows of waves 2024-1 and 2025-1); the expected "
        "gain of each trainee (noise-free: 100 x (p_post - p_pre)) averaged over trainees.",
    ),
    EstimandFamily(
        "training.l2.normalized_gain", "[.<topic>]", "training", "ratio (0-1)",
        "sample",
        "Hake (1998) class-average normalized gain <g> = (mean post - mean pre) / "
        "(100 - mean pre), computed from the expected pre- and post-test means over {topic} "
        "of cohorts 2024 and 2025 (the class-average variant, not the mean of individual g).",
    ),
    EstimandFamily(
        "training.l3.att_behaviour", "[.<topic>]", "training", "scale points (1-5)",
        "sample",
        "Kirkpatrick L3: average effect of training on the behaviour scale score (mean of the "
        "six bh_ items after reverse-keying, 1-5) at the first follow-up (one year after "
        "training: cohort 2024 at wave 2025-1, cohort 2025 at wave 2026-1) among {topic}, "
        "including trainees lost to follow-up; from both potential outcomes simulated with "
        "the same noise and scored with the instrument's rule.",
    ),
    EstimandFamily(
        "training.l3.att_behaviour.respondents", "", "training", "scale points (1-5)",
        "sample",
        "As training.l3.att_behaviour, but only over trainees who answered the first "
        "follow-up (attrition depends on the pre-test score, so this differs slightly).",
    ),
    EstimandFamily(
        "training.l3.att_behaviour.followup2", "", "training", "scale points (1-5)",
        "sample",
        "Average effect of training on the behaviour scale score two years after training "
        "(cohort 2024 at wave 2026-1), over all cohort-2024 trainees; from both potential "
        "outcomes with the same noise.",
    ),
    # ------------------------------------------------------------------ dialogue
    EstimandFamily(
        "dialogue.att.resistance", "", "merit", "scale points (1-6)",
        "sample",
        "Average effect of attending merit-system dialogues on the resistance scale score "
        "(mean of the 17 rtc_ items after reverse-keying, 1-6) over all exposed respondent-"
        "waves in the merit files (dlg_attended = 1); from both potential outcomes simulated "
        "with the same noise. Negative = dialogues reduce resistance.",
    ),
    EstimandFamily(
        "dialogue.att.appraisal_threat", "", "merit", "scale points (1-5)",
        "sample",
        "Average effect of dialogue exposure on the appraisal_threat scale score (pat_1..5, "
        "pat_5 reversed) over all exposed respondent-waves; from both potential outcomes.",
    ),
    EstimandFamily(
        "dialogue.att.merit_support", "", "merit", "scale points (1-5)",
        "sample",
        "Average effect of dialogue exposure on the merit_support scale score (sup_1..5, "
        "sup_5 reversed) over all exposed respondent-waves; from both potential outcomes.",
    ),
    EstimandFamily(
        "dialogue.dynamic.resistance", ".e<k>", "merit", "scale points (1-6)",
        "sample",
        "Dynamic effect on the resistance scale score {e} wave(s) after the respondent's "
        "first dialogue (e = wave index minus the wave of first exposure; one wave is about "
        "six months), averaged over respondent-waves at that event time of ever-exposed "
        "respondents. Leads (e < 0) are zero by construction: no anticipation.",
    ),
    EstimandFamily(
        "dialogue.dose.resistance_per_session", "", "merit", "scale points (1-6) per session",
        "sample",
        "Dose-response: average over exposed respondent-waves of the change in the "
        "resistance scale score had the respondent attended one more session (same wave, "
        "same event time, same noise).",
    ),
    # ------------------------------------------------------------------ service
    EstimandFamily(
        "service.ikm", ".<unit>.<YYYY-MM>", "skm", "IKM points (25-100)",
        "sample",
        "Noise-free IKM of unit {unit} in month {month} (PermenPANRB 14/2017): 25 x the mean "
        "over the nine elements of the element's mean expected answer over the month's "
        "respondents, where a respondent's expected answer is 1 + sum_k Phi((mu - c_k)/sigma) "
        "given the unit, month, element and the respondent's channel, integrating out the "
        "respondent effect and answer noise. Sample-specific only through the realised "
        "online/walk-in mix.",
    ),
    EstimandFamily(
        "service.nrr", ".<unit>.<element>", "skm", "answer scale (1-4)",
        "sample",
        "Noise-free NRR of element {element} in unit {unit}: the expected answer (1-4) "
        "averaged over all of the unit's respondents, 2023-01 to 2026-06.",
    ),
    EstimandFamily(
        "service.trend", ".<unit>", "skm", "IKM points per month",
        "superpopulation",
        "Trend of unit {unit}: slope per month of an OLS line through the unit's noise-free, "
        "seasonally adjusted population IKM series 2023-01..2026-06 (expected channel mix); "
        "for units that launch online permits, the pre-launch slope b of the segmented "
        "regression IKM = a + b t + c post + d (t - L) post.",
    ),
    EstimandFamily(
        "service.online_permit.level_change", "[.<unit>]", "skm", "IKM points",
        "superpopulation",
        "Level change c at the online-permit launch month L of unit {unit} from the segmented "
        "OLS regression IKM = a + b t + c post + d (t - L) post fitted to the unit's "
        "noise-free, seasonally adjusted population IKM series (including the growing "
        "online share). Without a unit suffix: the mean over launching units.",
    ),
    EstimandFamily(
        "service.online_permit.slope_change", "[.<unit>]", "skm", "IKM points per month",
        "superpopulation",
        "Slope change d after the online-permit launch of unit {unit} in the segmented "
        "regression of service.online_permit.level_change. Without a unit suffix: the mean "
        "over launching units.",
    ),
    EstimandFamily(
        "service.channel_gap", "", "skm", "IKM points",
        "sample",
        "Online minus walk-in IKM within the same unit-month: average over the online "
        "respondents in the SKM files of 25 x (mean over elements of the expected answer "
        "online - expected answer walk-in) at their unit and month.",
    ),
)

_FAMILY_BY_ID = {f.family: f for f in FAMILIES}


def family_of(estimand_id: str) -> str:
    """Return the family of an estimand id (its longest registered prefix).

    Raises
    ------
    KeyError
        If no family matches.
    """
    best = ""
    for fam in _FAMILY_BY_ID:
        if (estimand_id == fam or estimand_id.startswith(fam + ".")) and len(fam) > len(best):
            best = fam
    if not best:
        raise KeyError(estimand_id)
    return best


def _entry(eid: str, value: float, n: int, fill: Mapping[str, str]) -> dict[str, Any]:
    fam = _FAMILY_BY_ID[family_of(eid)]
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
            for f in FAMILIES
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
