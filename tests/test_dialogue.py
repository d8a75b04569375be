"""Tests of asn_research.dialogue: R goldens, independent implementations, recovery, errors.

Golden values come from R 4.2 (sandwich, lmtest, clubSandwich, lme4, and a hand-written
Callaway-Sant'Anna and fixest-CR1 reference) via tests/reference/dialogue/dialogue_golden.R
on the synthetic data made by make_dialogue_data.py; see tests/reference/dialogue/PROVENANCE.md.
Recovery tests use the simulated Tangerang Selatan world (seed 2026, size small), whose
truth.json holds every dialogue estimand. All data here are synthetic.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from asn_research import dialogue, instruments, scales
from asn_research.errors import ConfigError, InputError

# OLS / sandwich / closed-form DiD quantities: the same formulas in R and here, only the
# floating-point summation order differs.
REL_TOL_CLOSED_FORM = 1e-9
# Quantities downstream of the logistic propensity fit (R glm IRLS to 1e-14 vs statsmodels
# IRLS to 1e-10): the fitted scores agree to ~1e-10, the weighted estimates to ~1e-9.
REL_TOL_PROPENSITY = 1e-7
# Iterative REML fits (lme4 bobyqa vs statsmodels MixedLM): the issue asks for 1e-6.
REL_TOL_ITERATIVE = 1e-6
# Two exact computations of the same number (relabelling, reordering, csdid vs ours).
REL_TOL_EXACT = 1e-10

REF = Path(__file__).parent / "reference" / "dialogue"
KW = dict(outcome="y", unit="unit", time="period", treatment="d", cluster="cluster")


def close(a: float, b: float, rel: float) -> bool:
    return abs(a - b) <= rel * max(abs(b), 1e-12)


@pytest.fixture(scope="module")
def golden() -> dict[str, float]:
    g = pd.read_csv(REF / "dialogue_golden.csv")
    return dict(zip(g["quantity"], g["value"].astype(float), strict=True))


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return pd.read_csv(REF / "panel.csv", na_values=["NA"])


@pytest.fixture(scope="module")
def cross() -> pd.DataFrame:
    return pd.read_csv(REF / "cross.csv")


@pytest.fixture(scope="module")
def world():
    """Simulated merit panel (seed 2026): scores, numeric periods, exposure timing."""
    from asn_research.simulate import simulate_frames

    w = simulate_frames(seed=2026, size="small")
    merit = w.merit
    sc = scales.score_instrument(merit, instruments.load_instrument("merit"),
                                 scales=["resistance", "appraisal_threat", "merit_support"])
    df = pd.concat([merit, sc], axis=1)
    year, half = df["wave"].str.slice(0, 4).astype(int), df["wave"].str.slice(5).astype(int)
    df["period"] = (year - 2024) * 2 + half - 1
    df = dialogue.exposure_timing(df, unit="person_id", time="period",
                                  treatment="dlg_attended", first_date="dlg_first_date",
                                  date="survey_date")
    truth = {k: v["value"] for k, v in w.truth["estimands"].items()
             if k.startswith("dialogue.")}
    return df, truth


WKW = dict(unit="person_id", time="period", treatment="dlg_attended", cluster="opd",
           first_period="first_period")


@pytest.fixture(scope="module")
def es_world(world):
    df, _ = world
    return {o: dialogue.event_study(df, outcome=o, **WKW)
            for o in ("resistance", "appraisal_threat", "merit_support")}


# =========================================================================== R goldens


def test_twfe_cr1_matches_fixest_formula(panel, golden):
    est = dialogue.did(panel, **KW)
    assert close(est.estimate, golden["twfe.estimate"], REL_TOL_CLOSED_FORM)
    assert close(est.se, golden["twfe.cr1.se"], REL_TOL_CLOSED_FORM)
    assert close(est.p_value, golden["twfe.cr1.p"], REL_TOL_CLOSED_FORM)
    assert est.df == golden["twfe.G"] - 1 and est.n_obs == golden["twfe.n"]
    assert est.n_clusters == 12 and est.ci_low < est.estimate < est.ci_high


def test_twfe_cr2_matches_clubsandwich(panel, golden):
    est = dialogue.twfe_cr2(panel, **KW)
    assert close(est.estimate, golden["twfe.estimate"], REL_TOL_CLOSED_FORM)
    assert close(est.se, golden["twfe.cr2.se"], REL_TOL_CLOSED_FORM)
    assert close(est.df, golden["twfe.cr2.df"], REL_TOL_CLOSED_FORM)
    assert close(est.p_value, golden["twfe.cr2.p"], REL_TOL_CLOSED_FORM)


def test_dose_response_matches_r(panel, golden):
    est = dialogue.dose_response(panel, sessions="sessions", first_period="cohort", **KW)
    assert close(est.estimate, golden["dose.estimate"], REL_TOL_CLOSED_FORM)
    assert close(est.se, golden["dose.cr1.se"], REL_TOL_CLOSED_FORM)


def test_mixed_model_matches_lme4(panel, golden):
    est = dialogue.mixed_model(panel, **KW)
    assert close(est.estimate, golden["mixed.estimate"], REL_TOL_ITERATIVE)
    assert close(est.se, golden["mixed.se"], REL_TOL_ITERATIVE)
    for k in ("var_cluster", "var_unit", "var_residual"):
        assert close(est.details[k], golden[f"mixed.{k}"], REL_TOL_ITERATIVE), k


def test_callaway_santanna_matches_hand_written_r(panel, golden):
    es = dialogue.event_study(panel, first_period="cohort", **KW)
    for c in es.cells.itertuples():
        key = f"cs.cell.g{c.cohort}.t{c.period}"
        assert close(c.estimate, golden[key + ".att"], REL_TOL_CLOSED_FORM), key
        assert close(c.se, golden[key + ".se"], REL_TOL_CLOSED_FORM), key
    assert close(es.att.estimate, golden["cs.att.estimate"], REL_TOL_CLOSED_FORM)
    assert close(es.att.se, golden["cs.att.se"], REL_TOL_CLOSED_FORM)
    for ev in es.events.itertuples():
        key = f"cs.event.e{ev.event_time}"
        assert close(ev.estimate, golden[key + ".estimate"], REL_TOL_CLOSED_FORM), key
        assert close(ev.se, golden[key + ".se"], REL_TOL_CLOSED_FORM), key
    assert close(es.pretrend_statistic, golden["cs.pretrend.F"], REL_TOL_CLOSED_FORM)
    assert close(es.pretrend_p_value, golden["cs.pretrend.p"], REL_TOL_CLOSED_FORM)
    assert es.pretrend_df == (2.0, 11.0)


@pytest.mark.parametrize("cluster", [None, "cluster"])
def test_selection_estimators_match_r(cross, golden, cluster):
    se = "hc1" if cluster is None else "cr1"
    kw = dict(outcome="y1", treatment="d", cluster=cluster)
    cov = ["y0", "x1", "x2"]
    cases = {
        "naive": (dialogue.naive_difference(cross, **kw), REL_TOL_CLOSED_FORM),
        "ancova": (dialogue.ancova(cross, baseline="y0", covariates=["x1", "x2"], **kw),
                   REL_TOL_CLOSED_FORM),
        "ipw": (dialogue.ipw_att(cross, covariates=cov, **kw), REL_TOL_PROPENSITY),
        "dr": (dialogue.ipw_att(cross, covariates=cov, method="dr", **kw),
               REL_TOL_PROPENSITY),
    }
    for name, (est, tol) in cases.items():
        assert close(est.estimate, golden[f"{name}.estimate"], tol), name
        assert close(est.se, golden[f"{name}.{se}.se"], tol), name
        if f"{name}.{se}.p" in golden:
            assert close(est.p_value, golden[f"{name}.{se}.p"], tol), name


def test_balance_table_matches_r(cross, golden):
    bal = dialogue.balance_table(cross, treatment="d", covariates=["y0", "x1", "x2"])
    names = {"y0": "y0", "x1": "x1", "x2[b]": "x2b", "x2[c]": "x2c"}
    assert bal["covariate"].tolist() == list(names)
    for row in bal.itertuples():
        key = f"balance.{names[row.covariate]}"
        assert close(row.smd_unweighted, golden[key + ".smd_unweighted"], REL_TOL_CLOSED_FORM)
        assert close(row.smd_weighted, golden[key + ".smd_weighted"], REL_TOL_PROPENSITY)
    # weighting shrinks the large imbalances (y0, x1: SMD 0.8-0.9 before, < 0.25 after)
    big = bal["smd_unweighted"].abs() > 0.5
    assert big.sum() == 2 and (bal.loc[big, "smd_weighted"].abs() < 0.25).all()


# =========================================================================== independent checks


def test_callaway_santanna_agrees_with_csdid_on_a_balanced_panel(world):
    """csdid (a port of R did 2.5) vs differences (our engine) on the balanced subset."""
    from csdid.att_gt import ATTgt

    df, _ = world
    n_per = df.groupby("person_id")["period"].transform("size")
    bal = df.loc[n_per == 5].copy()
    bal = bal.loc[bal["first_period"].isna() | (bal["first_period"] > 0)]
    ours = dialogue.event_study(bal, outcome="resistance", **WKW)
    bal["G"] = bal["first_period"].fillna(-1).astype(int) + 1  # csdid: 0 = never
    bal["T"] = bal["period"] + 1
    bal["cl"] = pd.factorize(bal["opd"], sort=True)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):
            ref = ATTgt(yname="resistance", tname="T", idname="person_id", gname="G",
                        data=bal[["resistance", "T", "person_id", "G", "cl"]],
                        control_group="nevertreated", clustervar="cl").fit(
                            est_method="reg", bstrap=False)
    r = pd.DataFrame({"cohort": np.asarray(ref.results["group"]) - 1,
                      "period": np.asarray(ref.results["year"]) - 1,
                      "att": ref.results["att"], "se": ref.results["se"]})
    m = ours.cells.merge(r, on=["cohort", "period"])
    assert len(m) == len(ours.cells) == len(r)
    assert np.allclose(m["estimate"], m["att"], rtol=REL_TOL_EXACT, atol=0)
    # csdid's clustered analytic SE has no G/(G - 1) factor; ours has
    g = ours.n_clusters
    assert np.allclose(m["se_x"], m["se_y"] * np.sqrt(g / (g - 1)), rtol=1e-8, atol=0)


def _own_att(y: np.ndarray, unit: np.ndarray, period: np.ndarray, g: np.ndarray) -> float:
    """Cell-mean Callaway-Sant'Anna ATT over exposed respondent-waves (numpy only)."""
    wide = pd.DataFrame({"u": unit, "t": period, "y": y}).pivot_table(
        index="u", columns="t", values="y", aggfunc="mean")
    coh = pd.Series(g, index=unit).groupby(level=0).first().reindex(wide.index)
    num = den = 0.0
    for gg in np.unique(g[~np.isnan(g)]):
        for t in wide.columns[wide.columns >= gg]:
            dy = wide[t] - wide[gg - 1]
            tr, co = dy[(coh == gg) & dy.notna()], dy[coh.isna() & dy.notna()]
            n = int(((g == gg) & (period == t)).sum())
            if len(tr) and len(co) and n:
                num += n * (tr.mean() - co.mean())
                den += n
    return num / den


def test_att_standard_error_agrees_with_a_cluster_bootstrap(panel):
    es = dialogue.event_study(panel, first_period="cohort", **KW)
    y, u = panel["y"].to_numpy(), panel["unit"].to_numpy()
    t, g, c = panel["period"].to_numpy(), panel["cohort"].to_numpy(), panel["cluster"].to_numpy()
    assert np.isclose(_own_att(y, u, t, g), es.att.estimate, rtol=REL_TOL_EXACT)
    rng = np.random.default_rng(7)
    labels = np.unique(c)
    reps = []
    for _ in range(300):
        pick = rng.choice(labels, labels.size)
        idx = np.concatenate([np.flatnonzero(c == lab) for lab in pick])
        newu = np.concatenate([u[c == lab] + f"#{k}" for k, lab in enumerate(pick)])
        reps.append(_own_att(y[idx], newu, t[idx], g[idx]))
    boot_se = float(np.std(reps, ddof=1))
    # 300 pairs-bootstrap draws: MC error of the SE ≈ 4 %; finite-G differences ≈ 10 %
    assert 0.75 < es.att.se / boot_se < 1.33


def test_wild_bootstrap_random_draws_agree_with_full_enumeration(panel):
    exact = dialogue.wild_cluster_bootstrap(panel, reps=4096, **KW)  # 2**12 sign vectors
    assert exact.details["enumerated"] and exact.details["reps"] == 4096
    mc = dialogue.wild_cluster_bootstrap(panel, reps=1999, seed=11, **KW)
    assert not mc.details["enumerated"]
    p = exact.p_value
    assert abs(mc.p_value - p) < 4 * np.sqrt(p * (1 - p) / 1999) + 1 / 2000
    again = dialogue.wild_cluster_bootstrap(panel, reps=1999, seed=11, **KW)
    assert again.p_value == mc.p_value  # seeded: deterministic
    webb = dialogue.wild_cluster_bootstrap(panel, reps=1999, weights="webb", seed=3, **KW)
    assert 0 < webb.p_value <= 1 and np.isnan(webb.se)
    # the CR1 and CR2 p-values are of the same order as the bootstrap one here
    assert 0.005 < p < 0.2


# =========================================================================== recovery


def test_event_study_recovers_the_simulated_effects(world, es_world):
    _, truth = world
    for outcome, es in es_world.items():
        a = es.att
        assert a.ci_low <= truth[f"dialogue.att.{outcome}"] <= a.ci_high, outcome
    ev = es_world["resistance"].events.set_index("event_time")
    for k in (0, 1, 2, 3):
        row = ev.loc[k]
        assert row.ci_low <= truth[f"dialogue.dynamic.resistance.e{k}"] <= row.ci_high, k
    for k in (-3, -2, -1):
        assert ev.loc[k, "ci_low"] <= 0 <= ev.loc[k, "ci_high"], k  # no anticipation
    # lags grow in size, as planted
    assert ev.loc[3, "estimate"] < ev.loc[1, "estimate"] < ev.loc[0, "estimate"] < 0
    es = es_world["resistance"]
    assert es.pretrend_p_value > 0.05 and es.pretrend_df == (3.0, 29.0)
    assert es.att.n_clusters == 30 and es.att.details["n_exposed_obs"] == 766


def test_dose_response_recovers_the_per_session_effect(world):
    df, truth = world
    est = dialogue.dose_response(df, outcome="resistance", sessions="dlg_sessions", **WKW)
    assert est.ci_low <= truth["dialogue.dose.resistance_per_session"] <= est.ci_high
    assert est.estimate < 0


def test_selection_scenario_naive_is_far_off_and_adjustment_helps(world, es_world):
    """Exposed staff are more resistant: the raw comparison even has the wrong sign."""
    df, truth = world
    att = truth["dialogue.att.resistance"]
    fu = dialogue.followup_frame(df, outcome="resistance", unit="person_id", time="period")
    fu = fu.assign(period_label=fu["period"].astype(str),
                   age=2024 - fu["birth_year"])
    skw = dict(outcome="resistance", treatment="dlg_attended", cluster="opd")
    naive = dialogue.naive_difference(fu, **skw)
    assert naive.estimate - att > 0.4 and not naive.ci_low <= att <= naive.ci_high
    adj = ["resistance_baseline", "period_label", "jabatan_type", "age"]
    ipw = dialogue.ipw_att(fu, covariates=adj, **skw)
    dr = dialogue.ipw_att(fu, covariates=adj, method="dr", **skw)
    cs = es_world["resistance"].att
    assert cs.ci_low <= att <= cs.ci_high
    # The selection-on-observables estimators and the plain TWFE remove most of the
    # selection bias but stay biased towards 0 in this world: exposure was selected on a
    # stable latent trait that the baseline score measures with error, and TWFE mixes
    # dynamic effects under staggered adoption. Only the DiD event study is unbiased.
    anc = dialogue.ancova(fu, baseline="resistance_baseline",
                          covariates=["period_label", "jabatan_type", "age"], **skw)
    twfe = dialogue.did(df, outcome="resistance", **{k: v for k, v in WKW.items()
                                                   if k != "first_period"})
    for est in (ipw, dr, anc, twfe):
        assert est.estimate < 0 and abs(est.estimate - att) < abs(naive.estimate - att) / 2
        assert abs(est.estimate - att) > abs(cs.estimate - att)


def test_placebo_with_false_timing_covers_zero(world):
    df, _ = world
    est = dialogue.placebo(df, outcome="resistance", **WKW)
    assert est.ci_low <= 0 <= est.ci_high and est.n_obs < len(df)


def test_stored_schema_demo_store(merit_waves, demo_store):
    """The same analysis on the ingested demo store (pseudonyms, wave ids, Int16 codes)."""
    from asn_research.waves import wave_index

    f = merit_waves.frame.assign(period=lambda x: wave_index(x["wave"]))
    f = dialogue.exposure_timing(f, unit="respondent_key", time="period",
                                 treatment="dlg_attended", first_date="dlg_first_date",
                                 date="survey_date")
    es = dialogue.event_study(f, outcome="resistance", unit="respondent_key", time="period",
                              treatment="dlg_attended", cluster="opd",
                              first_period="first_period")
    truth = demo_store.truth["estimands"]["dialogue.att.resistance"]["value"]
    assert es.att.ci_low <= truth <= es.att.ci_high


# =========================================================================== errors


def test_errors_are_ours_and_say_what_to_fix(panel):
    bad = panel.copy()
    first = bad.index[bad["d"] == 1][0]
    later = bad.index[(bad["unit"] == bad.loc[first, "unit"])
                      & (bad["period"] > bad.loc[first, "period"])][0]
    bad.loc[later, "d"] = 0
    with pytest.raises(InputError, match="absorbing"):
        dialogue.event_study(bad, **KW)
    with pytest.raises(InputError, match="only 0 and 1"):
        dialogue.did(panel.assign(d=panel["d"] * 2), **KW)
    with pytest.raises(InputError, match="not in the data"):
        dialogue.event_study(panel, **{**KW, "outcome": "nope"})
    with pytest.raises(InputError, match="wave_index"):
        dialogue.event_study(panel.assign(period=panel["period"] + 0.5), **KW)
    with pytest.raises(InputError, match="numeric"):
        dialogue.did(panel.assign(period=panel["period"].astype(str) + "x"), **KW)
    moved = panel.assign(cluster=np.where(panel["period"] == 3, "k99", panel["cluster"]))
    with pytest.raises(InputError, match="more than one cluster"):
        dialogue.event_study(moved, **KW)
    with pytest.raises(ConfigError, match="'never_treated', 'not_yet_treated'"):
        dialogue.event_study(panel, control_group="never", **KW)
    with pytest.raises(ConfigError, match="reps"):
        dialogue.wild_cluster_bootstrap(panel, reps=10, **KW)
    with pytest.raises(InputError, match="never-exposed"):
        dialogue.event_study(panel.loc[panel["cohort"].notna()], first_period="cohort", **KW)
    with pytest.raises(InputError, match="at least 4"):
        dialogue.wild_cluster_bootstrap(
            panel.loc[panel["cluster"].isin(["k00", "k08", "k09"])], **KW)
    with pytest.raises(InputError, match="same treatment value"):
        dialogue.naive_difference(panel.assign(d=1), outcome="y", treatment="d")
    with pytest.raises(ConfigError, match="first_date and date"):
        dialogue.exposure_timing(panel, unit="unit", time="period", treatment="d",
                                 first_date="cohort")


# =========================================================================== invariants


def test_labels_order_and_no_mutation(panel):
    before = panel.copy()
    es = dialogue.event_study(panel, **KW)
    tw = dialogue.did(panel, **KW)
    pd.testing.assert_frame_equal(panel, before)
    relabel = panel.assign(unit=panel["unit"].str.slice(1).astype(int) * 7,
                           cluster=panel["cluster"].map(lambda s: (s + "_x").upper()))
    shuffled = relabel.sample(frac=1.0, random_state=np.random.RandomState(5))
    es2 = dialogue.event_study(shuffled, **KW)
    tw2 = dialogue.did(shuffled, **KW)
    assert close(es2.att.estimate, es.att.estimate, REL_TOL_EXACT)
    assert close(es2.att.se, es.att.se, REL_TOL_EXACT)
    assert close(tw2.estimate, tw.estimate, REL_TOL_EXACT)
    assert close(tw2.se, tw.se, 1e-8)


def test_exposure_timing_uses_the_first_dialogue_date(world):
    df, _ = world
    obs = dialogue.exposure_timing(df.drop(columns=["first_period", "event_time"]),
                                   unit="person_id", time="period", treatment="dlg_attended")
    # with dates, a respondent who skipped the wave of the first dialogue gets the
    # earlier (true) first period; never a later one
    diff = (obs["first_period"] - df["first_period"]).dropna()
    assert (diff >= 0).all() and (diff > 0).any()
    exposed = df["dlg_attended"] == 1
    assert (df.loc[exposed, "event_time"] >= 0).all()
    assert (df.loc[~exposed & df["first_period"].notna(), "event_time"] < 0).all()


def test_findings_use_catalogue_ids_and_design_wording(world, es_world):
    df, _ = world
    dose = dialogue.dose_response(df, outcome="resistance", sessions="dlg_sessions", **WKW)
    f = dialogue.findings(es_world, dose=dose).set_index("evidence_id")
    for o in ("resistance", "appraisal_threat", "merit_support"):
        assert f"dialogue.att.{o}" in f.index
    assert {f"dialogue.dynamic.resistance.e{k}" for k in range(-3, 4)} <= set(f.index)
    assert f.loc["dialogue.att.resistance", "statement"].startswith(
        "Attending merit-system dialogues reduced resistance to change")
    assert "parallel trends" in f.loc["dialogue.att.resistance", "statement"]
    assert "increased support for the merit system" in \
        f.loc["dialogue.att.merit_support", "statement"]
    assert "is associated with" in f.loc["dialogue.dose.resistance_per_session", "statement"]
    assert not f.loc["dialogue.dose.resistance_per_session", "causal"]
    assert "no sign of anticipation" in f.loc["dialogue.dynamic.resistance.e-1", "statement"]


def test_heterogeneity_leaves_small_groups_out_of_the_correction(world):
    df, _ = world
    het = dialogue.heterogeneity(df, outcome="resistance", by="jabatan_type", **WKW)
    assert het["group"].tolist() == ["functional", "pelaksana", "structural"]
    small = het["n_comparison_units"] < 10
    assert small.any() and not het.loc[small, "in_correction"].any()
    assert het.loc[small, "p_holm"].isna().all()
    big = het["in_correction"]
    assert (het.loc[big, "p_holm"] >= het.loc[big, "p_value"]).all()


def test_measurement_tables(world):
    df, _ = world
    merit = instruments.load_instrument("merit")
    rel = dialogue.reliability_by_wave(df, merit, wave="wave",
                                       scales=["resistance", "resistance_routine_seeking"])
    assert len(rel) == 10 and (rel.loc[rel["scale"] == "resistance", "estimate"] > 0.85).all()
    sc = merit.scale("resistance_routine_seeking")
    st = dialogue.item_statistics(df, items=sc.items, reverse=sc.reverse, wave="wave",
                                  minimum=1, maximum=6)
    assert len(st) == 25 and (st["r_drop"] > 0.3).all()  # rtc_rs_2 reverse-keyed: positive
    ld = dialogue.loadings_by_wave(df, items=sc.items, reverse=sc.reverse, wave="wave",
                                   minimum=1, maximum=6)
    assert (ld["congruence"] > 0.98).all() and (ld["loading"] > 0.3).all()
    desc = dialogue.descriptives(df, outcomes=["resistance"], group="opd", wave="wave")
    assert desc["suppressed"].any()
    assert desc.loc[desc["suppressed"], "mean"].isna().all()
    assert (desc.loc[~desc["suppressed"], "n_obs"] >= 10).all()


def test_robustness_table_puts_the_headline_first(panel):
    tab = dialogue.robustness_table(panel, sessions="sessions", first_period="cohort",
                                    seed=1, reps=999, **KW)
    assert tab["headline"].tolist()[0] and tab["headline"].sum() == 1
    assert tab["estimator"].iloc[0] == "Callaway-Sant'Anna event study"
    assert {"TWFE, CR1", "TWFE, CR2 + Satterthwaite", "TWFE, wild cluster bootstrap",
            "dose-response (extended TWFE)"} <= set(tab["estimator"])
    twfe = tab.set_index("estimator").loc[["TWFE, CR1", "TWFE, CR2 + Satterthwaite"],
                                          "estimate"]
    assert np.isclose(twfe.iloc[0], twfe.iloc[1], rtol=1e-9)
