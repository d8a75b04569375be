"""Monte Carlo coverage of the SKM/IKM estimators on simulated service worlds.

Each replicate draws a fresh SKM world (``asn_research.simulate.service``: 10 units,
42 months, 15–40 respondents per unit-month, three online-permit launches), runs the
analyses of ``asn_research.service`` on it and checks their 95 % intervals against the
world's truth (the estimand catalogue of ``docs/simulated_world.md`` §7):

* ``service.ikm.<unit>.<month>`` (420 per world): :func:`service.ikm`, linearized t
  interval and (on the first ``--boot-reps`` worlds) the respondent bootstrap;
* ``service.nrr.<unit>.<element>`` (90 per world): :func:`service.element_scores`;
* ``service.trend.<unit>``: Sen (:func:`service.trend_test`) and OLS + Newey–West
  (:func:`service.ols_trend`) for units without a launch; the ITS ``trend`` term for
  launching units;
* ``service.online_permit.level_change/slope_change.<unit>``: per-unit ITS (Newey–West
  lag 0, 1, 3, 6; lag 3 with ``small_sample`` and/or seasonal terms; for comparison the
  same regression with classical iid SEs), the controlled ITS; the pooled model
  (Driscoll–Kraay) against the mean over launching units;
* ``service.channel_gap``: :func:`service.channel_gap`.

Only the SKM part of the world is simulated (``service_world`` + ``simulate_skm``, the
same generator ``simulate`` uses), which costs ~1.5 s per world instead of ~5 s.

Usage::

    python benchmarks/coverage_service.py --reps 200 --seed 1000 --workers 2

writes ``benchmarks/results/coverage_service.json`` (coverage with exact binomial 95 %
intervals, mean bias, mean SE against the SD of the errors, runtime).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

RESULTS = Path(__file__).parent / "results" / "coverage_service.json"


def _world(seed: int) -> tuple[pd.DataFrame, dict[str, float], dict[str, str | None]]:
    from asn_research.simulate.service import service_world, simulate_skm

    world = service_world(seed)
    frames, truth = simulate_skm(seed=seed, sample="uniform", world=world)
    skm = pd.concat(frames, names=["wave"]).reset_index(level=0)
    values = {k: v[0] for k, v in truth.items()}
    return skm, values, world["launch_month"]


def _cover(frame: pd.DataFrame, truth: dict[str, float], key: str
           ) -> list[tuple[str, float, float, float, float]]:
    """(key, truth, estimate, se, inside) for rows whose estimand_id has a truth."""
    out = []
    for _, r in frame.iterrows():
        tid = r["estimand_id"]
        if not isinstance(tid, str) or tid not in truth:
            continue
        v = truth[tid]
        inside = float(r["ci_low"] <= v <= r["ci_high"])
        out.append((key, v, float(r["estimate"]), float(r.get("se", math.nan)), inside))
    return out


def _classical_its(tab: pd.DataFrame, starts: dict[str, str], truth: dict[str, float]
                   ) -> list[tuple[str, float, float, float, float]]:
    """Benchmark only: the same segmented OLS with classical (iid) SEs, for comparison."""
    from statsmodels.regression.linear_model import OLS

    out = []
    for unit, start in starts.items():
        s = tab[tab["service_unit"] == unit].sort_values("wave")
        t = np.arange(len(s), dtype=float) - list(s["wave"]).index(start)
        post = (t >= 0).astype(float)
        x = np.column_stack([np.ones_like(t), t, post, t * post])
        fit = OLS(s["estimate"].to_numpy(), x).fit()
        q = stats.t.ppf(0.975, fit.df_resid)
        for j, term, tid in ((1, "trend", f"service.trend.{unit}"),
                             (2, "level_change", f"service.online_permit.level_change.{unit}"),
                             (3, "slope_change", f"service.online_permit.slope_change.{unit}")):
            b, se, v = float(fit.params[j]), float(fit.bse[j]), truth[tid]
            out.append((f"its.{term}.classical_ols", v, b, se, float(abs(b - v) <= q * se)))
    return out


def one_world(args: tuple[int, bool]) -> list[tuple[str, float, float, float, float]]:
    """All coverage records of one simulated world."""
    seed, do_boot = args
    from asn_research import service

    skm, truth, launch = _world(seed)
    rec: list[tuple[str, float, float, float, float]] = []
    tab = service.ikm(skm)
    rec += _cover(tab, truth, "ikm.linearization")
    if do_boot:
        rec += _cover(service.ikm(skm, ci="bootstrap", seed=seed), truth, "ikm.bootstrap")
    rec += _cover(service.element_scores(skm), truth, "nrr")
    no_launch = [u for u, m in launch.items() if m is None]
    series = tab[tab["service_unit"].isin(no_launch)]
    rec += _cover(service.trend_test(series, value="estimate", time="wave", by="service_unit"),
                  truth, "trend.sen")
    rec += _cover(service.ols_trend(series, value="estimate", time="wave", by="service_unit"),
                  truth, "trend.ols_nw3")
    rec += _cover(service.ols_trend(series, value="estimate", time="wave", by="service_unit",
                                    seasonal=True), truth, "trend.ols_nw3_seasonal")
    rec += _cover(service.ols_trend(series, value="estimate", time="wave", by="service_unit",
                                    seasonal=True, small_sample=True), truth,
                  "trend.ols_nw3_small_sample_seasonal")
    starts = {u: m for u, m in launch.items() if m is not None}
    variants = [(3, False, False), (3, True, False), (3, False, True), (3, True, True),
                (0, False, False), (1, False, False), (6, False, False)]
    for lags, small, seasonal in variants:
        its = service.interrupted_time_series(tab, value="estimate", time="wave",
                                              by="service_unit", start=starts, hac_lags=lags,
                                              small_sample=small, seasonal=seasonal)
        tag = (f"nw{lags}" + ("_small_sample" if small else "")
               + ("_seasonal" if seasonal else ""))
        for term in ("level_change", "slope_change", "trend"):
            rec += _cover(its[its["term"] == term], truth, f"its.{term}.{tag}")
    rec += _classical_its(tab, starts, truth)
    cits = service.controlled_its(tab, value="estimate", time="wave", unit="service_unit",
                                  start=launch)
    for term in ("level_change", "slope_change"):
        rec += _cover(cits[cits["term"] == term], truth, f"its.{term}.controlled")
    pooled = service.interrupted_time_series(tab, value="estimate", time="wave",
                                             by="service_unit", start=launch, pooled=True)
    for term in ("level_change", "slope_change"):
        rec += _cover(pooled[pooled["term"] == term], truth, f"its.{term}.pooled_dk")
    g = service.channel_gap(skm)
    v = truth["service.channel_gap"]
    rec.append(("channel_gap", v, g.estimate, g.se, float(g.ci_low <= v <= g.ci_high)))
    return rec


def summarize(records: list[tuple[str, float, float, float, float]]) -> dict[str, dict]:
    """Coverage (exact binomial CI), mean bias, mean SE and SD of errors per quantity."""
    df = pd.DataFrame(records, columns=["quantity", "truth", "estimate", "se", "inside"])
    out = {}
    for q, g in df.groupby("quantity", sort=True):
        k, n = int(g["inside"].sum()), len(g)
        ci = stats.binomtest(k, n).proportion_ci(method="exact")
        err = g["estimate"] - g["truth"]
        out[q] = {
            "n_intervals": n, "coverage": round(k / n, 4),
            "coverage_ci95": [round(ci.low, 4), round(ci.high, 4)],
            "mean_bias": round(float(err.mean()), 5),
            "sd_error": round(float(err.std(ddof=1)), 5) if n > 1 else None,
            "mean_se": round(float(g["se"].mean()), 5) if g["se"].notna().any() else None,
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=200, help="simulated worlds (default 200)")
    ap.add_argument("--seed", type=int, default=1000, help="first world seed (default 1000)")
    ap.add_argument("--boot-reps", type=int, default=50,
                    help="worlds on which the bootstrap interval is also run (default 50)")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    jobs = [(args.seed + r, r < args.boot_reps) for r in range(args.reps)]
    records: list = []
    if args.workers > 1:
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            for rec in pool.map(one_world, jobs, chunksize=4):
                records.extend(rec)
    else:
        for job in jobs:
            records.extend(one_world(job))
    wall = time.perf_counter() - t0
    import asn_research

    result = {
        "what": "coverage of 95% intervals of asn_research.service on simulated SKM worlds",
        "reps": args.reps, "first_seed": args.seed, "boot_reps": args.boot_reps,
        "workers": args.workers, "seconds": round(wall, 1),
        "seconds_per_world_per_worker": round(wall * args.workers / args.reps, 2),
        "package_version": asn_research.__version__,
        "numpy": np.__version__, "pandas": pd.__version__,
        "quantities": summarize(records),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    width = max(len(q) for q in result["quantities"])
    for q, r in result["quantities"].items():
        lo, hi = r["coverage_ci95"]
        print(f"{q:<{width}}  n={r['n_intervals']:>6}  coverage {r['coverage']:.3f} "
              f"[{lo:.3f}, {hi:.3f}]  bias {r['mean_bias']:+.4f}  "
              f"se {r['mean_se']}  sd {r['sd_error']}")
    print(f"{args.reps} worlds in {wall:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
