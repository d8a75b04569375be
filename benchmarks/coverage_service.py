"""Monte Carlo coverage of the SKM/IKM estimators on simulated service worlds.

Each replicate draws a fresh SKM world (``asn_research.simulate.service``: 10 units,
42 months, 15–40 respondents per unit-month, three online-permit launches), runs the
analyses of ``asn_research.service`` on it and checks their 95 % intervals against the
world's truth (the estimand catalogue of ``docs/simulated_world.md`` §7):

* ``service.ikm.<unit>.<month>`` (420 per world): :func:`service.ikm`, linearized t
  interval and (on the first ``--boot-reps`` worlds) the respondent bootstrap;
* ``service.nrr.<unit>.<element>`` (90 per world): :func:`service.element_scores`;
* ``service.trend.<unit>``: Sen (:func:`service.trend_test`) and OLS
  (:func:`service.ols_trend`) for units without a launch, with Newey–West, classical or
  the larger of the two SEs, with and without seasonal terms; the ITS ``trend`` term for
  launching units;
* ``service.online_permit.level_change/slope_change.<unit>``: per-unit ITS (Newey–West
  lag 0, 1, 3, 6; lag 3 with ``small_sample`` and/or seasonal terms; classical SEs; the
  larger of classical and Newey–West), the controlled ITS; the pooled model
  (Driscoll–Kraay, classical, the larger of the two) against the mean over launching
  units;
* ``…registered``: the intervals the service report registers, computed through the same
  calls the notebook makes (:func:`service.its_plan`, :func:`service.trend_summary`,
  :func:`service.its_summary` with :data:`service.REPORT_SE`);
* ``service.channel_gap``: :func:`service.channel_gap`;
* ``stress.…`` (``--stress-reps`` worlds): the trend and ITS intervals when persistent
  monthly shocks, AR(1) with ρ = ``--stress-rho`` and SD ``--stress-sd`` IKM points, are
  added to every unit's monthly IKM series (true satisfaction that wanders from month
  to month; the truths are unchanged, the shocks have mean zero).

Only the SKM part of the world is simulated (``service_world`` + ``simulate_skm``, the
same generator ``simulate`` uses), which costs ~1.5 s per world instead of ~5 s.

Usage::

    python benchmarks/coverage_service.py --reps 400 --seed 1000 --workers 2

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
Record = tuple[str, float, float, float, float]


def _world(seed: int) -> tuple[pd.DataFrame, dict[str, float], dict[str, str | None]]:
    from asn_research.simulate.service import service_world, simulate_skm

    world = service_world(seed)
    frames, truth = simulate_skm(seed=seed, sample="uniform", world=world)
    skm = pd.concat(frames, names=["wave"]).reset_index(level=0)
    values = {k: v[0] for k, v in truth.items()}
    return skm, values, world["launch_month"]


def _cover(frame: pd.DataFrame, truth: dict[str, float], key: str) -> list[Record]:
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


def _log(launch: dict[str, str | None]) -> pd.DataFrame:
    """The world's launch months as the store's log of service changes."""
    rows = [{"intervention": "online_permit", "unit": u, "start": m, "label_id": "",
             "label_en": "", "note": None} for u, m in sorted(launch.items()) if m]
    return pd.DataFrame(rows)


def _shocked(tab: pd.DataFrame, seed: int, rho: float, sd: float) -> pd.DataFrame:
    """The IKM table with AR(1) shocks (stationary, SD ``sd``) added to each unit's series."""
    rng = np.random.default_rng([seed, 7])
    out = tab.sort_values(["service_unit", "wave"]).copy()
    est = out["estimate"].to_numpy(float).copy()
    for u in out["service_unit"].unique():
        idx = np.flatnonzero(out["service_unit"].to_numpy() == u)
        e = np.empty(idx.size)
        e[0] = rng.normal(0, sd)
        for t in range(1, idx.size):
            e[t] = rho * e[t - 1] + rng.normal(0, sd * math.sqrt(1 - rho**2))
        est[idx] += e
    out["estimate"] = est
    return out


def _registered(tab: pd.DataFrame, truth: dict[str, float], launch: dict[str, str | None],
                prefix: str = "") -> list[Record]:
    """The report's intervals, through the notebook's calls."""
    from asn_research import service

    rec: list[Record] = []
    plan = service.its_plan(tab, _log(launch))
    tr = service.trend_summary(tab, plan)
    for basis, key in (("whole_series", "comparison_units"), ("its_pre_trend", "launch_units")):
        sel = tr[tr["basis"] == basis]
        rec += _cover(sel, truth, f"{prefix}trend.registered.{key}")
        rec += _cover(sel.assign(ci_low=sel["default_ci_low"], ci_high=sel["default_ci_high"],
                                 estimate=sel["default_estimate"], se=sel["default_se"]),
                      truth, f"{prefix}trend.default.{key}")
    its = service.its_summary(tab, plan)
    for model in ("per_unit", "pooled", "controlled"):
        sel = its[its["model"] == model]
        if model == "controlled":          # the catalogue id of the unit's own change
            sel = sel.assign(estimand_id=[f"service.online_permit.{t}.{u}"
                                          for t, u in zip(sel["term"], sel["service_unit"],
                                                          strict=True)])
            sel = sel[sel["term"].isin(["level_change", "slope_change"])]
        for term in ("level_change", "slope_change"):
            part = sel[sel["term"] == term]
            tag = "" if model == "per_unit" else f".{model}"
            rec += _cover(part, truth, f"{prefix}its.{term}.registered{tag}")
            rec += _cover(part.assign(ci_low=part["default_ci_low"],
                                      ci_high=part["default_ci_high"],
                                      estimate=part["default_estimate"], se=part["default_se"]),
                          truth, f"{prefix}its.{term}.default{tag}")
    return rec


def one_world(args: tuple[int, bool]) -> list[Record]:
    """All coverage records of one simulated world."""
    seed, do_boot = args
    from asn_research import service

    skm, truth, launch = _world(seed)
    rec: list[Record] = []
    tab = service.ikm(skm)
    rec += _cover(tab, truth, "ikm.linearization")
    if do_boot:
        rec += _cover(service.ikm(skm, ci="bootstrap", seed=seed), truth, "ikm.bootstrap")
    rec += _cover(service.element_scores(skm), truth, "nrr")
    no_launch = [u for u, m in launch.items() if m is None]
    series = tab[tab["service_unit"].isin(no_launch)]
    rec += _cover(service.trend_test(series, value="estimate", time="wave", by="service_unit"),
                  truth, "trend.sen")
    kw = dict(value="estimate", time="wave", by="service_unit")
    for tag, opts in (("ols_nw3", {}), ("ols_nw3_seasonal", {"seasonal": True}),
                      ("ols_nw3_small_sample_seasonal", {"seasonal": True, "small_sample": True}),
                      ("ols_classical", {"se": "classical"}),
                      ("ols_classical_seasonal", {"se": "classical", "seasonal": True})):
        rec += _cover(service.ols_trend(series, **kw, **opts), truth, f"trend.{tag}")
    starts = {u: m for u, m in launch.items() if m is not None}
    variants = [("nw3", dict()), ("nw0", dict(hac_lags=0)), ("nw1", dict(hac_lags=1)),
                ("nw6", dict(hac_lags=6)), ("nw3_small_sample", dict(small_sample=True)),
                ("nw3_seasonal", dict(seasonal=True)),
                ("nw3_small_sample_seasonal", dict(small_sample=True, seasonal=True)),
                ("classical", dict(se="classical")),
                ("classical_seasonal", dict(se="classical", seasonal=True)),
                ("max_small_sample", dict(se="max", small_sample=True))]
    for tag, opts in variants:
        its = service.interrupted_time_series(tab, **kw, start=starts, **opts)
        for term in ("level_change", "slope_change", "trend"):
            rec += _cover(its[its["term"] == term], truth, f"its.{term}.{tag}")
    for tag, opts in (("controlled", {}), ("controlled_classical", {"se": "classical"})):
        cits = service.controlled_its(tab, value="estimate", time="wave", unit="service_unit",
                                      start=launch, **opts)
        for term in ("level_change", "slope_change"):
            rec += _cover(cits[cits["term"] == term], truth, f"its.{term}.{tag}")
    for tag, opts in (("pooled_dk", {}), ("pooled_classical", {"se": "classical"}),
                      ("pooled_max_small_sample", {"se": "max", "small_sample": True})):
        pooled = service.interrupted_time_series(tab, **kw, start=launch, pooled=True, **opts)
        for term in ("level_change", "slope_change"):
            rec += _cover(pooled[pooled["term"] == term], truth, f"its.{term}.{tag}")
    rec += _registered(tab, truth, launch)
    g = service.channel_gap(skm)
    v = truth["service.channel_gap"]
    rec.append(("channel_gap", v, g.estimate, g.se, float(g.ci_low <= v <= g.ci_high)))
    return rec


def stress_world(args: tuple[int, float, float]) -> list[Record]:
    """Trend and ITS coverage when AR(1) monthly shocks are added to the IKM series."""
    seed, rho, sd = args
    from asn_research import service

    skm, truth, launch = _world(seed)
    tab = _shocked(service.ikm(skm), seed, rho, sd)
    rec = _registered(tab, truth, launch, prefix="stress.")
    starts = {u: m for u, m in launch.items() if m is not None}
    for tag, opts in (("classical_seasonal", dict(se="classical", seasonal=True)),
                      ("nw3_small_sample_seasonal", dict(small_sample=True, seasonal=True))):
        its = service.interrupted_time_series(tab, value="estimate", time="wave",
                                              by="service_unit", start=starts, **opts)
        for term in ("level_change", "slope_change"):
            rec += _cover(its[its["term"] == term], truth, f"stress.its.{term}.{tag}")
    return rec


def summarize(records: list[Record]) -> dict[str, dict]:
    """Coverage (exact binomial CI), mean bias, mean SE and SD of errors per quantity."""
    df = pd.DataFrame(records, columns=["quantity", "truth", "estimate", "se", "inside"])
    out = {}
    for q, g in df.groupby("quantity", sort=True):
        k, n = int(g["inside"].sum()), len(g)
        ci = stats.binomtest(k, n).proportion_ci(method="exact")
        err = g["estimate"] - g["truth"]
        out[q] = {
            "n_intervals": n, "n_covered": k, "coverage": round(k / n, 4),
            "coverage_ci95": [round(ci.low, 4), round(ci.high, 4)],
            "mean_bias": round(float(err.mean()), 5),
            "sd_error": round(float(err.std(ddof=1)), 5) if n > 1 else None,
            "mean_se": round(float(g["se"].mean()), 5) if g["se"].notna().any() else None,
        }
    return out


def _run(fn, jobs: list, workers: int) -> list[Record]:
    records: list[Record] = []
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for rec in pool.map(fn, jobs, chunksize=4):
                records.extend(rec)
    else:
        for job in jobs:
            records.extend(fn(job))
    return records


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=400, help="simulated worlds (default 400)")
    ap.add_argument("--seed", type=int, default=1000, help="first world seed (default 1000)")
    ap.add_argument("--boot-reps", type=int, default=50,
                    help="worlds on which the bootstrap interval is also run (default 50)")
    ap.add_argument("--stress-reps", type=int, default=200,
                    help="worlds of the AR(1)-shock stress test (default 200; 0 = none)")
    ap.add_argument("--stress-rho", type=float, default=0.5, help="AR(1) coefficient (0.5)")
    ap.add_argument("--stress-sd", type=float, default=1.5,
                    help="SD of the shocks in IKM points (default 1.5)")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    jobs = [(args.seed + r, r < args.boot_reps) for r in range(args.reps)]
    records = _run(one_world, jobs, args.workers)
    wall_main = time.perf_counter() - t0
    stress = [(args.seed + r, args.stress_rho, args.stress_sd) for r in range(args.stress_reps)]
    records += _run(stress_world, stress, args.workers)
    wall = time.perf_counter() - t0
    import asn_research

    result = {
        "what": "coverage of 95% intervals of asn_research.service on simulated SKM worlds",
        "reps": args.reps, "first_seed": args.seed, "boot_reps": args.boot_reps,
        "stress": {"reps": args.stress_reps, "rho": args.stress_rho, "sd": args.stress_sd},
        "workers": args.workers, "seconds": round(wall, 1),
        "seconds_per_world_per_worker": round(wall_main * args.workers / args.reps, 2),
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
    print(f"{args.reps} + {args.stress_reps} worlds in {wall:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
