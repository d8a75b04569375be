"""Write the fixed (synthetic) input data for the training golden values.

SYNTHETIC DATA: the training waves of the simulated Tangerang Selatan world
(``asn_research.simulate.simulate_frames(seed=11, size="small")``), scored with the
``training`` instrument. Only a synthetic person number, profile codes, the test scores,
the reaction items and the behaviour scale score are written — no NIP, no name.

Run from the repository root (writes two CSV files beside this script)::

    python tests/reference/training/make_training_data.py

* ``paired.csv`` — one row per trainee baseline row (cohorts 2024-1 and 2025-1):
  ``person_id, training_topic, sex, golongan, l2_pre_pct, l2_post_pct, rx_1..rx_5,
  reaction``; the post-test of three trainees and the pre-test of two others are blanked
  (``NA``) so that the complete-case rule is exercised.
* ``panel_long.csv`` — every training row: ``person_id, period`` (semester index:
  2024-1 → 0, 2025-1 → 2, 2026-1 → 4), ``group, training_topic, opd, sex, l2_pre_pct,
  behaviour``.

The output is deterministic for a given simulator version (seeded streams); the
committed CSVs are the reference, and their sha256 sums are listed in PROVENANCE.md.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from asn_research.instruments import load_instrument
from asn_research.scales import score_instrument
from asn_research.simulate import simulate_frames

SEED = 11
HERE = Path(__file__).resolve().parent


def main() -> None:
    world = simulate_frames(seed=SEED, size="small")
    tr = world.training.reset_index(drop=True)
    scored = score_instrument(tr, load_instrument("training"), scales=["reaction", "behaviour"])
    tr = pd.concat([tr, scored], axis=1)
    year, sem = tr["wave"].str.slice(0, 4).astype(int), tr["wave"].str.slice(5, 6).astype(int)
    tr["period"] = 2 * (year - 2024) + (sem - 1)

    base = tr[tr["l2_pre_pct"].notna()].sort_values(["period", "person_id"])
    paired = base[["person_id", "training_topic", "sex", "golongan", "l2_pre_pct",
                   "l2_post_pct", "rx_1", "rx_2", "rx_3", "rx_4", "rx_5", "reaction"]].copy()
    paired = paired.reset_index(drop=True)
    # Blank a few scores (fixed positions) to exercise the complete-case rule.
    paired.loc[[3, 50, 170], "l2_post_pct"] = np.nan
    paired.loc[[20, 200], "l2_pre_pct"] = np.nan
    paired.to_csv(HERE / "paired.csv", index=False, na_rep="NA", float_format="%.17g")

    long = tr[["person_id", "period", "group", "training_topic", "opd", "sex", "l2_pre_pct",
               "behaviour"]].sort_values(["person_id", "period"])
    long.to_csv(HERE / "panel_long.csv", index=False, na_rep="NA", float_format="%.17g")


if __name__ == "__main__":
    main()
