"""Generate the synthetic Likert data set used for the psych::alpha golden values.

SYNTHETIC DATA: 200 simulated respondents x 6 items on a 1-5 scale, one common factor,
item ``q4`` reverse-keyed (it loads negatively), about 6 % of answers missing completely
at random (no respondent misses every item). No real person is represented.

Run from the repository root (writes ``likert6.csv`` beside this script)::

    python tests/reference/scales/make_likert6.py

The output is deterministic (``numpy.random.default_rng(20240601)``); re-running it must
reproduce the committed CSV byte for byte.
"""

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20240601
N_RESPONDENTS = 200
LOADINGS = (0.9, 0.8, 0.7, -0.8, 0.6, 0.5)  # q4 negative: reverse-keyed
MISSING_RATE = 0.06


def make_likert6(seed: int = SEED) -> pd.DataFrame:
    """Return the synthetic 200 x 6 item frame (nullable Int64, NA = missing)."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=(N_RESPONDENTS, 1))
    noise = rng.normal(scale=0.8, size=(N_RESPONDENTS, len(LOADINGS)))
    latent = 3 + theta * np.asarray(LOADINGS) + noise
    codes = np.clip(np.rint(latent), 1, 5)
    missing = rng.random(codes.shape) < MISSING_RATE
    all_missing = missing.all(axis=1)
    missing[all_missing, 0] = False  # keep at least one answer per respondent
    codes[missing] = np.nan
    cols = [f"q{j + 1}" for j in range(len(LOADINGS))]
    return pd.DataFrame(codes, columns=cols).astype("Int64")


if __name__ == "__main__":
    out = Path(__file__).with_name("likert6.csv")
    make_likert6().to_csv(out, index=False, na_rep="NA", lineterminator="\n")
