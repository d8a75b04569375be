"""Monte Carlo coverage of the dialogue estimators on simulated merit panels.

For each replication k the simulated world of seed ``--seed + k`` (size ``small``: 30
OPDs, about 1,850 respondent-waves over five waves) is drawn, the resistance score is
computed with the instrument's scoring rule, exposure timing is derived from
``dlg_first_date`` (``dialogue.exposure_timing``) and the estimators are run:

* headline: Callaway–Sant'Anna ATT over exposed respondent-waves (``dialogue.event_study``,
  never-exposed comparison units, clustered by OPD) with its default inference: CR2
  (Bell–McCaffrey) SE of the stacked 2×2 comparisons and Satterthwaite degrees of freedom;
* the same point estimate with other inference, to show why: CR1 (influence functions ×
  G/(G − 1)) with t(G − 1) — the earlier headline; CR2 with t(G − 1); CR1 with a plug-in
  effective df (Σ s_g²)² / Σ s_g⁴ of the cluster sums s_g; the analytic equivalent of R
  ``did``'s clustered multiplier bootstrap (SE √Σ s_g² / n without G/(G − 1), normal
  critical value; did 2.5.1 ``mboot``); and, as a diagnostic only, clustering by person;
* beside it: the plain TWFE coefficient with CR1 (``dialogue.did``) and optionally CR2;
* the dynamic effects e−3 … e3 (CR2 and CR1), the dose per extra session
  (``dialogue.dose_response``, CR2 with Satterthwaite df and CR1 with t(G − 1)); the
  pre-trend tests (HTZ with CR2, F(q, G − 1) with CR1).

Each interval is held against the catalogue value of its estimand in ``truth.json``
(``dialogue.att.resistance``, ``dialogue.dynamic.resistance.e<k>``,
``dialogue.dose.resistance_per_session``). Output: coverage with a Wilson 95 % interval,
mean bias, mean SE vs the SD of the estimates' errors, runtime; written as JSON.

Cheapest faithful path: only the population and merit components of the simulator are
run (``simulate_frames`` also simulates training and 11,500 SKM answers). The simulator
draws every component from its own random stream, so the merit frames and dialogue truth
are identical to ``simulate_frames`` — checked at start-up for the first seed.

Run::

    .venv/bin/python benchmarks/coverage_dialogue.py --reps 200 --seed 1000 --workers 2

All data are synthetic.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).parent / "results" / "coverage_dialogue.json"
EVENT_TIMES = (-3, -2, -1, 0, 1, 2, 3)


def merit_world_frame(seed: int) -> tuple[pd.DataFrame, dict[str, float]]:
    """The merit panel (stacked waves) and the dialogue truth values, merit-only path."""
    from asn_research.simulate.core import _opd_weights
    from asn_research.simulate.merit import merit_world, simulate_merit
    from asn_research.simulate.population import generate_population
    from asn_research.simulate.truth import TruthAccumulator
    from asn_research.simulate.world import component_rng, size_config

    cfg = size_config("small")
    acc = TruthAccumulator()
    mworld = merit_world(seed)
    weights = _opd_weights(seed)
    parts = []
    for k, start in enumerate(range(0, cfg.n_employees, cfg.chunk_size)):
        m = min(cfg.chunk_size, cfg.n_employees - start)
        pop = generate_population(component_rng(seed, "population", k), m,
                                  pns_share=cfg.pns_share, chunk_index=k,
                                  first_person_id=start, opd_weights=weights)
        mr = simulate_merit(pop, seed=seed, chunk=k, panel_frac=cfg.merit_panel_frac,
                            world=dict(mworld), acc=acc)
        parts += [f.assign(wave=w) for w, f in mr.items()]
    frame = pd.concat(parts, ignore_index=True)
    truth = {key: float(f"{acc.mean(key):.10g}") for key in acc.keys()
             if key.startswith("dialogue.") and acc.count(key) > 0}
    return frame, truth


def prepare(merit: pd.DataFrame) -> pd.DataFrame:
    """Score resistance, number the waves, derive exposure timing from the dates."""
    from asn_research import dialogue, instruments, scales

    inst = instruments.load_instrument("merit")
    sc = scales.score_instrument(merit, inst, scales=["resistance"])
    df = pd.concat([merit, sc], axis=1)
    # semester ids YYYY-1/2 → consecutive integers (what waves.wave_index will return)
    year = df["wave"].str.slice(0, 4).astype(int)
    half = df["wave"].str.slice(5, 6).astype(int)
    df["period"] = (year - year.min()) * 2 + half - 1
    return dialogue.exposure_timing(df, unit="person_id", time="period",
                                    treatment="dlg_attended", first_date="dlg_first_date",
                                    date="survey_date")


def _cluster_sums(df: pd.DataFrame, kw: dict) -> np.ndarray:
    """Cluster sums s_g of the ATT's influence function (diagnostic, private helpers)."""
    from asn_research import dialogue

    panel = dialogue._panel(df, outcome=kw["outcome"], unit=kw["unit"], time=kw["time"],
                            treatment=kw["treatment"], cluster=kw["cluster"],
                            first_period="first_period")
    fit = dialogue._cs_fit(panel.frame, control_group="never_treated", base_period="varying")
    post = (fit.cells["period"] >= fit.cells["cohort"]).to_numpy()
    w = dialogue._cell_weights(fit, post)
    return fit.e @ (w[fit.block_cell] * fit.block_coef)


def one_rep(seed: int, cr2: bool = False) -> dict[str, float]:
    """All estimates of one simulated world, with the truth values."""
    import warnings

    from scipy import stats

    warnings.simplefilter("ignore")
    from asn_research import dialogue

    t0 = time.perf_counter()
    merit, truth = merit_world_frame(seed)
    df = prepare(merit)
    t_sim = time.perf_counter() - t0
    kw = dict(outcome="resistance", unit="person_id", time="period",
              treatment="dlg_attended", cluster="opd")
    out: dict[str, float] = {"seed": seed, "seconds_simulate": t_sim}
    t1 = time.perf_counter()
    es = dialogue.event_study(df, first_period="first_period", **kw)
    out["seconds_event_study"] = time.perf_counter() - t1
    a = es.att
    g = a.n_clusters
    out.update(truth_att=truth["dialogue.att.resistance"], cs_est=a.estimate, cs_se=a.se,
               cs_df=a.df, cs_lo=a.ci_low, cs_hi=a.ci_high, pretrend_p=es.pretrend_p_value,
               pretrend_df2=es.pretrend_df[1])
    q29 = stats.t.ppf(0.975, g - 1)
    out.update(cr2t_lo=a.estimate - q29 * a.se, cr2t_hi=a.estimate + q29 * a.se)
    es1 = dialogue.event_study(df, first_period="first_period", vcov="CR1", **kw)
    out.update(cr1_se=es1.att.se, cr1_lo=es1.att.ci_low, cr1_hi=es1.att.ci_high,
               pretrend_p_cr1=es1.pretrend_p_value)
    s = _cluster_sums(df, kw)
    se_did = float(np.sqrt(np.sum(s**2)))
    dfe = float(np.sum(s**2) ** 2 / np.sum(s**4))
    qe = stats.t.ppf(0.975, dfe)
    out.update(did_se=se_did, did_lo=a.estimate - 1.959964 * se_did,
               did_hi=a.estimate + 1.959964 * se_did, eff_df=dfe,
               eff_lo=a.estimate - qe * es1.att.se, eff_hi=a.estimate + qe * es1.att.se)
    # diagnostic only: clustering by person (the simulator has no OPD-by-period shocks,
    # so person-level inference is valid for this DGP)
    es_u = dialogue.event_study(df, first_period="first_period", vcov="CR1",
                                **{**kw, "cluster": "person_id"})
    out.update(csu_se=es_u.att.se, csu_lo=es_u.att.ci_low, csu_hi=es_u.att.ci_high,
               pretrend_p_unit=es_u.pretrend_p_value)
    ev = es.events.set_index("event_time")
    ev1 = es1.events.set_index("event_time")
    for e in EVENT_TIMES:
        key = f"dialogue.dynamic.resistance.e{e}"
        if e in ev.index and key in truth and np.isfinite(ev.loc[e, "estimate"]):
            out.update({f"e{e}_truth": truth[key], f"e{e}_est": ev.loc[e, "estimate"],
                        f"e{e}_se": ev.loc[e, "se"], f"e{e}_df": ev.loc[e, "df"],
                        f"e{e}_lo": ev.loc[e, "ci_low"], f"e{e}_hi": ev.loc[e, "ci_high"],
                        f"e{e}_cr1_se": ev1.loc[e, "se"], f"e{e}_cr1_lo": ev1.loc[e, "ci_low"],
                        f"e{e}_cr1_hi": ev1.loc[e, "ci_high"]})
    tw = dialogue.did(df, **kw)
    out.update(twfe_est=tw.estimate, twfe_se=tw.se, twfe_lo=tw.ci_low, twfe_hi=tw.ci_high)
    if cr2:
        c2 = dialogue.twfe_cr2(df, **kw)
        out.update(cr2_se=c2.se, cr2_df=c2.df, cr2_lo=c2.ci_low, cr2_hi=c2.ci_high)
    dose = dialogue.dose_response(df, sessions="dlg_sessions", first_period="first_period",
                                  **kw)
    q1 = stats.t.ppf(0.975, g - 1)
    s1 = dose.details["se_cr1"]
    out.update(truth_dose=truth["dialogue.dose.resistance_per_session"],
               dose_est=dose.estimate, dose_se=dose.se, dose_df=dose.df, dose_lo=dose.ci_low,
               dose_hi=dose.ci_high, dose_cr1_se=s1, dose_cr1_lo=dose.estimate - q1 * s1,
               dose_cr1_hi=dose.estimate + q1 * s1)
    out["seconds"] = time.perf_counter() - t0
    return out


def _wilson(k: int, n: int) -> tuple[float, float]:
    if n == 0:
        return math.nan, math.nan
    z = 1.959963984540054
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return mid - half, mid + half


def summarize(rows: pd.DataFrame, est: str, lo: str, hi: str, truth: str,
              se: str | None = None) -> dict[str, float]:
    ok = rows[[est, lo, hi, truth]].notna().all(axis=1)
    r = rows.loc[ok]
    cover = ((r[lo] <= r[truth]) & (r[truth] <= r[hi]))
    k, n = int(cover.sum()), int(len(r))
    low, high = _wilson(k, n)
    err = r[est] - r[truth]
    res = {"n_reps": n, "coverage": k / n if n else math.nan, "coverage_ci95": [low, high],
           "mean_bias": float(err.mean()), "bias_se": float(err.std(ddof=1) / math.sqrt(n)),
           "sd_error": float(err.std(ddof=1)), "rmse": float(np.sqrt((err**2).mean())),
           "mean_truth": float(r[truth].mean())}
    if se is not None:
        res["mean_se"] = float(r[se].mean())
        res["rms_se"] = float(np.sqrt((r[se] ** 2).mean()))
    return res


def _check_fast_path(seed: int) -> None:
    from asn_research.simulate import simulate_frames

    fast, truth = merit_world_frame(seed)
    full = simulate_frames(seed=seed, size="small")
    ref = full.merit[fast.columns]
    pd.testing.assert_frame_equal(fast.reset_index(drop=True), ref.reset_index(drop=True),
                                  check_like=False)
    for key, v in truth.items():
        if v != full.truth["estimands"][key]["value"]:
            raise RuntimeError(f"fast path truth differs for {key}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=200, help="simulated datasets (default 200)")
    ap.add_argument("--seed", type=int, default=1000, help="first seed (default 1000)")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--cr2", action="store_true", help="also TWFE with CR2 (slower)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    _check_fast_path(args.seed)
    seeds = [args.seed + k for k in range(args.reps)]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        rows = pd.DataFrame(list(pool.map(one_rep, seeds, [args.cr2] * len(seeds))))
    wall = time.perf_counter() - t0
    res = {
        "description": "Monte Carlo coverage of 95% intervals against the simulator's "
                       "truth.json values (synthetic data, size small, 30 OPDs)",
        "reps": args.reps, "first_seed": args.seed, "workers": args.workers,
        "wall_seconds": round(wall, 1),
        "seconds_per_rep_mean": round(float(rows["seconds"].mean()), 2),
        "seconds_simulate_mean": round(float(rows["seconds_simulate"].mean()), 2),
        "python": platform.python_version(),
        "headline_cs_att": summarize(rows, "cs_est", "cs_lo", "cs_hi", "truth_att", "cs_se"),
        "headline_mean_df": float(rows["cs_df"].mean()),
        "headline_df_range": [float(rows["cs_df"].min()), float(rows["cs_df"].max())],
        "seconds_event_study_mean": round(float(rows["seconds_event_study"].mean()), 3),
        "alternatives_cs_att": {
            "CR1_t(G-1)_previous_headline": summarize(rows, "cs_est", "cr1_lo", "cr1_hi",
                                                      "truth_att", "cr1_se"),
            "CR2_t(G-1)": summarize(rows, "cs_est", "cr2t_lo", "cr2t_hi", "truth_att",
                                    "cs_se"),
            "CR1_plugin_effective_df": summarize(rows, "cs_est", "eff_lo", "eff_hi",
                                                 "truth_att", "cr1_se"),
            "R_did_multiplier_bootstrap_equivalent_normal": summarize(
                rows, "cs_est", "did_lo", "did_hi", "truth_att", "did_se"),
            "plugin_effective_df_mean": float(rows["eff_df"].mean()),
        },
        "twfe_cr1_att": summarize(rows, "twfe_est", "twfe_lo", "twfe_hi", "truth_att",
                                  "twfe_se"),
        "dose_per_session": summarize(rows, "dose_est", "dose_lo", "dose_hi", "truth_dose",
                                      "dose_se"),
        "dose_per_session_mean_df": float(rows["dose_df"].mean()),
        "dose_per_session_cr1": summarize(rows, "dose_est", "dose_cr1_lo", "dose_cr1_hi",
                                          "truth_dose", "dose_cr1_se"),
        "dynamic": {f"e{e}": summarize(rows, f"e{e}_est", f"e{e}_lo", f"e{e}_hi",
                                       f"e{e}_truth", f"e{e}_se")
                    for e in EVENT_TIMES if f"e{e}_est" in rows},
        "dynamic_cr1": {f"e{e}": summarize(rows, f"e{e}_est", f"e{e}_cr1_lo",
                                           f"e{e}_cr1_hi", f"e{e}_truth", f"e{e}_cr1_se")
                        for e in EVENT_TIMES if f"e{e}_est" in rows},
        "pretrend_rejection_rate_5pct_htz": float((rows["pretrend_p"] < 0.05).mean()),
        "pretrend_rejection_rate_5pct_cr1": float((rows["pretrend_p_cr1"] < 0.05).mean()),
        "diagnostic_cs_att_person_clustered": summarize(rows, "cs_est", "csu_lo", "csu_hi",
                                                         "truth_att", "csu_se"),
        "diagnostic_pretrend_rejection_rate_5pct_person_clustered":
            float((rows["pretrend_p_unit"] < 0.05).mean()),
    }
    if args.cr2:
        res["twfe_cr2_att"] = summarize(rows, "twfe_est", "cr2_lo", "cr2_hi", "truth_att",
                                        "cr2_se")
        res["twfe_cr2_mean_df"] = float(rows["cr2_df"].mean())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2, sort_keys=True) + "\n")
    rows.to_csv(args.out.with_suffix(".reps.csv"), index=False)
    print(json.dumps({k: res[k] for k in ("headline_cs_att", "alternatives_cs_att")},
                     indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
