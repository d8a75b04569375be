"""Generate the fixed (synthetic) input data of the service golden values.

Run from the repository root: ``python tests/reference/service/make_service_data.py``.
Writes ``skm_respondents.csv`` and ``series.csv`` next to this file. Synthetic data only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
ELEMENTS = ("persyaratan", "prosedur", "waktu", "biaya", "produk", "kompetensi", "perilaku",
            "pengaduan", "sarana")


def respondents(rng: np.random.Generator) -> pd.DataFrame:
    """Six unit-months of SKM answers with item non-response and mixed channels."""
    cuts = np.array([-1.5, -0.5, 0.85])
    offsets = np.array([0.0, -0.05, -0.25, 0.9, 0.05, 0.15, 0.2, -0.2, -0.1])
    parts = []
    for unit, base in (("u_a", 0.3), ("u_b", 0.7), ("u_c", 0.1)):
        for wave in ("2024-01", "2024-02"):
            n = int(rng.integers(18, 36))
            online = rng.random(n) < 0.4
            if unit == "u_c" and wave == "2024-02":
                online[:] = False
                online[0] = True          # a unit-month with a single online respondent
            mu = base + offsets + 0.2 * online[:, None]
            lat = mu + rng.normal(0, 0.45, (n, 1)) + rng.normal(0, 0.85, (n, 9))
            ans = 1 + (lat[:, :, None] > cuts).sum(axis=2)
            ans = ans.astype(float)
            ans[rng.random(ans.shape) < 0.06] = np.nan       # item non-response
            if unit == "u_b" and wave == "2024-01":
                ans[:, 3] = np.nan                            # biaya not used: J = 8
            part = pd.DataFrame(ans, columns=list(ELEMENTS))
            part.insert(0, "channel", np.where(online, "online", "walk_in"))
            part.insert(0, "wave", wave)
            part.insert(0, "service_unit", unit)
            parts.append(part)
    df = pd.concat(parts, ignore_index=True)
    df.loc[5, list(ELEMENTS)] = np.nan                        # answered nothing: dropped
    for e in ELEMENTS:
        df[e] = df[e].astype("Int16")
    return df


def series(rng: np.random.Generator) -> pd.DataFrame:
    """Monthly IKM-like series of four units (two with a launch), 42 months."""
    months = [f"{2023 + m // 12}-{m % 12 + 1:02d}" for m in range(42)]
    t = np.arange(1, 43, dtype=float)
    rows = []
    for unit, start, level, slope in (("s_a", 20, 4.0, 0.15), ("s_b", 27, 3.0, 0.25),
                                      ("s_c", None, 0.0, 0.0), ("s_d", None, 0.0, 0.0)):
        e = np.zeros(42)
        for k in range(42):                                   # AR(1) noise
            e[k] = (0.4 * e[k - 1] if k else 0.0) + rng.normal(0, 1.2)
        season = 0.8 * np.sin(2 * np.pi * (t - 1) / 12)
        y = 78 + 0.05 * t + season + e + rng.normal(0, 0.3)
        if start is not None:
            post = t >= start
            y = y + level * post + slope * (t - start) * post
        rows.append(pd.DataFrame({"unit": unit, "time": t.astype(int), "month": months,
                                  "value": np.round(y, 6),
                                  "value_tied": np.round(2 * y) / 2,
                                  "start": pd.array([start] * 42, dtype="Int64")}))
    return pd.concat(rows, ignore_index=True)


def main() -> None:
    rng = np.random.default_rng(20261201)
    respondents(rng).to_csv(HERE / "skm_respondents.csv", index=False, na_rep="NA")
    series(rng).to_csv(HERE / "series.csv", index=False, na_rep="NA")


if __name__ == "__main__":
    main()
