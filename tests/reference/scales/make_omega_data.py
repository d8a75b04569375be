"""Generate the synthetic item data sets used for the psych::fa / psych::omega golden values.

SYNTHETIC DATA: simulated respondents answering items driven by one common factor; no
real person is represented. Three small sets, each testing one thing ``likert6.csv``
does not:

``weak7.csv``
    250 respondents x 7 items ``w1``-``w7`` on a 1-6 scale, complete (no missing answer),
    ``w5`` reverse-keyed (loads negatively) and ``w7`` a weak item (loading 0.12).
``missing5.csv``
    300 respondents x 5 items ``m1``-``m5`` on a 1-5 scale with heavy, *not* completely
    random missingness: ``m3``-``m5`` go unanswered more often by respondents low on the
    factor (about 20 % missing), ``m1``-``m2`` 8 % at random; every respondent answers
    at least one item. Listwise and pairwise deletion differ clearly here.
``heywood3.csv``
    60 respondents x 3 items ``h1``-``h3`` on a 1-5 scale whose sample correlations put
    the one-factor solution beyond the boundary (r12 * r13 / r23 > 1: a Heywood case), so
    psych's lower bound of 0.005 on the uniqueness of ``h1`` is active.

Run from the repository root (writes the CSVs beside this script)::

    python tests/reference/scales/make_omega_data.py

The output is deterministic (``numpy.random.default_rng`` with the seeds below); re-running
it must reproduce the committed CSVs byte for byte.
"""

from pathlib import Path

import numpy as np
import pandas as pd

SEEDS = {"weak7": 20240602, "missing5": 20240603, "heywood3": 20250004}


def _answers(rng, n, loadings, *, lo, hi, spread):
    """Ordinal codes lo..hi from a standardized one-factor model; also return the factor."""
    lam = np.asarray(loadings, dtype=float)
    theta = rng.normal(size=(n, 1))
    noise = rng.normal(size=(n, len(lam)))
    latent = theta * lam + noise * np.sqrt(1.0 - lam**2)
    codes = np.clip(np.rint((lo + hi) / 2 + spread * latent), lo, hi)
    return codes, theta[:, 0]


def make_weak7(seed: int = SEEDS["weak7"]) -> pd.DataFrame:
    """250 x 7, codes 1-6, complete; w5 reverse-keyed, w7 weak."""
    rng = np.random.default_rng(seed)
    codes, _ = _answers(rng, 250, (0.8, 0.75, 0.7, 0.65, -0.7, 0.6, 0.12), lo=1, hi=6, spread=1.2)
    return pd.DataFrame(codes, columns=[f"w{j + 1}" for j in range(7)]).astype("Int64")


def make_missing5(seed: int = SEEDS["missing5"]) -> pd.DataFrame:
    """300 x 5, codes 1-5, ~8 % (m1, m2) and ~20 % (m3-m5, more when the factor is low) NA."""
    rng = np.random.default_rng(seed)
    codes, theta = _answers(rng, 300, (0.8, 0.7, 0.7, 0.6, 0.5), lo=1, hi=5, spread=1.1)
    p = np.empty_like(codes)
    p[:, :2] = 0.08
    p[:, 2:] = (1.0 / (1.0 + np.exp(1.6 + 0.8 * theta)))[:, None]
    missing = rng.random(codes.shape) < p
    missing[missing.all(axis=1), 0] = False  # keep at least one answer per respondent
    codes[missing] = np.nan
    return pd.DataFrame(codes, columns=[f"m{j + 1}" for j in range(5)]).astype("Int64")


def make_heywood3(seed: int = SEEDS["heywood3"]) -> pd.DataFrame:
    """60 x 3, codes 1-5, complete; the sample correlations give a Heywood case."""
    rng = np.random.default_rng(seed)
    codes, _ = _answers(rng, 60, (0.97, 0.8, 0.6), lo=1, hi=5, spread=1.1)
    r = np.corrcoef(codes.T)
    if not r[0, 1] * r[0, 2] / r[1, 2] > 1.0:  # the point of this data set
        raise RuntimeError("seed no longer gives a Heywood case")
    return pd.DataFrame(codes, columns=["h1", "h2", "h3"]).astype("Int64")


if __name__ == "__main__":
    here = Path(__file__).parent
    for name, make in (
        ("weak7", make_weak7),
        ("missing5", make_missing5),
        ("heywood3", make_heywood3),
    ):
        make().to_csv(here / f"{name}.csv", index=False, na_rep="NA", lineterminator="\n")
