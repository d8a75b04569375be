"""Write the fixed synthetic data behind the R golden values of asn_research.dialogue.

panel.csv: an unbalanced staggered panel (12 clusters, 72 units, periods 0-3): cohort
(first exposed period) 1, 2, 3 or never by cluster, unit effects, a growing effect, about
12 % of unit-periods missing, a session count among the exposed.
cross.csv: 300 respondents, a baseline and a follow-up outcome, exposure selected on
covariates (x1 numeric, x2 categorical a/b/c, the baseline), 15 clusters.

Run from this folder:  ../../../.venv/bin/python make_dialogue_data.py
All data are synthetic.
"""

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261201)

# ---------------------------------------------------------------- panel
n_cl, per = 12, 6
cohort_of_cluster = np.array([1, 1, 1, 2, 2, 2, 3, 3, -1, -1, -1, -1])
rows = []
unit = 0
for c in range(n_cl):
    for _ in range(per):
        a = rng.normal(0, 0.6)
        # within an adopting cluster, some units are never exposed
        g = cohort_of_cluster[c] if (cohort_of_cluster[c] > 0 and rng.random() < 0.75) else -1
        sess = 1 + rng.poisson(1.5)
        for t in range(4):
            d = int(g > 0 and t >= g)
            e = t - g if g > 0 else 0
            s = sess + (e * rng.poisson(1.0) if d else 0)
            y = 3.0 + a + 0.1 * t + 0.05 * c - d * (0.2 + 0.1 * e + 0.03 * (s - 1)) \
                + rng.normal(0, 0.3)
            rows.append({"unit": f"u{unit:03d}", "period": t, "cluster": f"k{c:02d}",
                         "cohort": g if g > 0 else np.nan, "d": d,
                         "sessions": s if d else np.nan, "y": round(y, 6)})
        unit += 1
panel = pd.DataFrame(rows)
drop = rng.random(len(panel)) < 0.12
panel = panel.loc[~drop].reset_index(drop=True)
panel.to_csv("panel.csv", index=False, na_rep="NA", float_format="%.6f")

# ---------------------------------------------------------------- cross-section
n = 300
cl = rng.integers(0, 15, n)
x1 = rng.normal(0, 1, n)
x2 = rng.choice(["a", "b", "c"], n, p=[0.4, 0.35, 0.25])
y0 = 3 + 0.5 * x1 + 0.3 * (x2 == "b") - 0.2 * (x2 == "c") + rng.normal(0, 0.5, n)
lin = -0.3 + 0.8 * x1 + 0.5 * (x2 == "c") + 0.6 * (y0 - 3)
d = (rng.random(n) < 1 / (1 + np.exp(-lin))).astype(int)
y1 = 0.6 * y0 + 0.2 * x1 + 1.0 - (0.3 + 0.1 * x1) * d + rng.normal(0, 0.4, n)
cross = pd.DataFrame({"id": np.arange(n), "cluster": [f"c{k:02d}" for k in cl],
                      "x1": np.round(x1, 6), "x2": x2, "y0": np.round(y0, 6), "d": d,
                      "y1": np.round(y1, 6)})
cross.to_csv("cross.csv", index=False, float_format="%.6f")

# ---------------------------------------------------------------- items (invariance)
# Four six-point items of one factor in three waves; item q3 loads less in wave "w3"
# (a metric non-invariance), a few answers missing. Own generator: the files above are
# unchanged.
rng_items = np.random.default_rng(20261202)
item_rows = []
for w, n_w in (("w1", 260), ("w2", 240), ("w3", 250)):
    f = rng_items.normal(0, 1, n_w)
    lam = np.array([0.9, 0.8, 0.7, 0.85]) * (np.array([1, 1, 0.4, 1]) if w == "w3" else 1)
    raw = 3.5 + f[:, None] * lam[None, :] + rng_items.normal(0, 0.7, (n_w, 4))
    codes = np.clip(np.round(raw), 1, 6).astype(float)
    codes[rng_items.random((n_w, 4)) < 0.02] = np.nan
    for r in codes:
        item_rows.append({"wave": w, **{f"q{j + 1}": r[j] for j in range(4)}})
pd.DataFrame(item_rows).to_csv("items.csv", index=False, na_rep="NA", float_format="%.0f")
