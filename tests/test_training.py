"""Tests of asn_research.training: R goldens, recovery of planted effects, errors, invariants.

Golden values: tests/reference/training/ (training_golden.R on the synthetic paired.csv and
panel_long.csv; see PROVENANCE.md). Recovery: the session's ingested demo store (seed 2026,
size small: pseudonymized, typed, scored, ~1.5 % of rows quarantined) and its truth.json
values, with the intervals the training_outcomes report registers. Monte Carlo coverage:
benchmarks/coverage_training.py (its committed results are checked here).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from asn_research import training
from asn_research.errors import ConfigError, InputError
from asn_research.results import Estimate

matplotlib.use("Agg")

REF = Path(__file__).parent / "reference" / "training"

RTOL_CLOSED = 1e-9  # closed-form statistics (t, CIs, effect sizes, Wilcoxon, sandwich SEs)
RTOL_NCP = 1e-9  # noncentral-t interval: root finding on both sides (observed ~1e-12)
RTOL_EFFECTSIZE = 1e-6  # effectsize's own ncp CI uses optim(abstol = 1e-9): ~2e-8 off
RTOL_MIXED = 1e-6  # REML optimum of statsmodels (Powell) vs lme4 (bobyqa, rhoend 2e-10)
ATOL_MIXED_CI = 1e-6  # CI bounds near 0 (lag 4): absolute, on the 1-5 scale
RTOL_VARCOMP, ATOL_VARCOMP = 1e-4, 1e-8  # variance components: flat REML surface
RTOL_IPW = 1e-9  # IPW: Newton logit (statsmodels) vs IRLS (glm, epsilon 1e-14); observed ~1e-14
COVERAGE_BAND = (0.93, 0.97)  # the requirement for the registered L2 gain and L3 DiD
COVERAGE = Path(__file__).parents[1] / "benchmarks" / "results" / "coverage_training.json"

GAIN_STATS = [
    "n_obs", "n_incomplete", "estimate", "se", "ci_low", "ci_high", "t", "df", "p_value",
    "pre_mean", "pre_ci_low", "pre_ci_high", "post_mean", "post_ci_low", "post_ci_high",
    "cohens_dz", "hedges_gz", "wilcoxon_v", "wilcoxon_p", "n_nonzero", "rank_biserial",
    "rank_biserial_ci_low", "rank_biserial_ci_high", "normalized_gain", "normalized_gain_se",
    "normalized_gain_ci_low", "normalized_gain_ci_high", "se_measurement",
    "measurement_ci_low", "measurement_ci_high", "pre_se_measurement",
    "pre_measurement_ci_low", "pre_measurement_ci_high", "post_se_measurement",
    "post_measurement_ci_low", "post_measurement_ci_high", "normalized_gain_se_measurement",
    "normalized_gain_measurement_ci_low", "normalized_gain_measurement_ci_high",
]
NCP_STATS = ["cohens_dz_ci_low", "cohens_dz_ci_high", "hedges_gz_ci_low", "hedges_gz_ci_high"]
KEEP = ["opd", "l2_pre_pct", "sex", "training_topic"]


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def golden() -> dict[tuple[str, str], float]:
    g = pd.read_csv(REF / "training_golden.csv")
    return {(c, s): float(v) for c, s, v in g.itertuples(index=False)}


@pytest.fixture(scope="module")
def paired() -> pd.DataFrame:
    return pd.read_csv(REF / "paired.csv")


@pytest.fixture(scope="module")
def long() -> pd.DataFrame:
    return pd.read_csv(REF / "panel_long.csv")


@pytest.fixture(scope="module")
def panels(long) -> dict[int, pd.DataFrame]:
    return {lag: training.build_behaviour_panel(long, unit="person_id", period="period",
                                                group="group", outcome="behaviour", lag=lag,
                                                keep=KEEP) for lag in (2, 4)}


@pytest.fixture(scope="module")
def world(training_waves, demo_store):
    """The demo store's training waves (stored schema, scored) with period and age band."""
    frame = training.prepare_waves(training_waves.frame)
    truth = {k: v["value"] for k, v in demo_store.truth["estimands"].items()}
    return frame, truth


def _close(value, ref, rtol, atol=0.0):
    assert value == pytest.approx(ref, rel=rtol, abs=atol), (value, ref)


# ----------------------------------------------------------------------------- 1. R goldens
@pytest.mark.parametrize("case,by,conf", [("gain.all", None, 0.95),
                                          ("gain.all.conf90", None, 0.90),
                                          ("gain.communication", "training_topic", 0.95),
                                          ("gain.digital_services", "training_topic", 0.95)])
def test_learning_gain_matches_r(paired, golden, case, by, conf):
    res = training.learning_gain(paired, pre="l2_pre_pct", post="l2_post_pct", by=by,
                                 confidence=conf, n_questions=40)
    row = res.iloc[0] if by is None else res.set_index(by).loc[case.split(".", 1)[1]]
    for stat in GAIN_STATS:
        _close(row[stat], golden[(case, stat)], RTOL_CLOSED)
    for stat in NCP_STATS:
        _close(row[stat], golden[(case, stat)], RTOL_NCP)
        _close(row[stat], golden[(case, f"effectsize_{stat}")], RTOL_EFFECTSIZE)


def test_rank_biserial_point_equals_effectsize_paired_form(paired, golden):
    res = training.learning_gain(paired, pre="l2_pre_pct", post="l2_post_pct")
    _close(res["rank_biserial"].iloc[0], golden[("gain.all", "effectsize_paired_rank_biserial")],
           RTOL_CLOSED)


def test_compare_gains_matches_welch_t_test(paired, golden):
    res = training.compare_gains(paired, pre="l2_pre_pct", post="l2_post_pct",
                                 group="training_topic")
    assert res[["group_1", "group_2"]].iloc[0].tolist() == ["communication", "digital_services"]
    for stat in ("estimate", "se", "ci_low", "ci_high", "t", "df", "p_value"):
        _close(res[stat].iloc[0], golden[("welch.topic", stat)], RTOL_CLOSED)


@pytest.mark.parametrize("threshold", [70, 80])
@pytest.mark.parametrize("method", ["wilson", "exact"])
def test_threshold_share_matches_prop_and_binom_test(paired, golden, threshold, method):
    res = training.estimate_threshold_share(paired, score="l2_post_pct", threshold=threshold,
                                            method=method).iloc[0]
    case = f"threshold.{threshold}"
    assert res["n_obs"] == golden[(case, "n_obs")]
    assert res["n_reached"] == golden[(case, "n_reached")]
    _close(res["ci_low"], golden[(case, f"{method}_ci_low")], RTOL_CLOSED)
    _close(res["ci_high"], golden[(case, f"{method}_ci_high")], RTOL_CLOSED)


def test_reaction_summary_matches_t_and_prop_test(paired, golden):
    res = training.summarize_reaction(paired, items=["rx_1", "rx_3"], scale="reaction")
    exact = training.summarize_reaction(paired, items=["rx_1", "rx_3"], scale="reaction",
                                        method="exact")
    for i, row in res.iterrows():
        case = f"reaction.{row['variable']}"
        for stat in ("n_obs", "estimate", "ci_low", "ci_high", "n_satisfied",
                     "satisfied_ci_low", "satisfied_ci_high"):
            _close(row[stat], golden[(case, stat)], RTOL_CLOSED)
        _close(exact.loc[i, "satisfied_ci_low"], golden[(case, "exact_ci_low")], RTOL_CLOSED)
        _close(exact.loc[i, "satisfied_ci_high"], golden[(case, "exact_ci_high")], RTOL_CLOSED)
    shares = res.loc[res["kind"] == "item", [f"share_{c}" for c in range(1, 6)]]
    assert np.allclose(shares.sum(axis=1), 1.0)
    assert res.loc[res["kind"] == "scale", "share_1"].isna().all()


def test_kr21_matches_closed_form(paired, golden):
    res = training.knowledge_test_reliability(paired, scores=["l2_pre_pct", "l2_post_pct"],
                                              n_questions=40)
    for _, row in res.iterrows():
        _close(row["estimate"], golden[(f"kr21.{row['score']}", "estimate")], RTOL_CLOSED)
        assert row["n_obs"] == golden[(f"kr21.{row['score']}", "n_obs")]
        assert row["ci_low"] <= row["estimate"] <= row["ci_high"]


@pytest.mark.parametrize("adjust,col", [("holm", "p_holm"), ("fdr_bh", "p_bh")])
def test_gain_subgroups_match_r(paired, golden, adjust, col):
    res = training.compare_gain_subgroups(paired, pre="l2_pre_pct", post="l2_post_pct",
                                          by=["sex", "golongan"], adjust=adjust)
    assert res["tested"].sum() == sum(1 for (c, s) in golden if c.startswith("gainhet.")
                                      and s == "p_value")
    for _, row in res.iterrows():
        case = f"gainhet.{row['variable']}.{row['level']}"
        assert row["n_obs"] == golden[(case, "n_obs")]
        if row["tested"]:
            for stat in ("estimate", "ci_low", "ci_high", "diff_vs_rest", "p_value"):
                _close(row[stat], golden[(case, stat)], RTOL_CLOSED)
            _close(row["p_adjusted"], golden[(case, col)], RTOL_CLOSED)
        else:
            assert (case, "p_value") not in golden and math.isnan(row["estimate"])


@pytest.mark.parametrize("lag", [2, 4])
def test_panel_matches_r_construction(panels, golden, lag):
    p = panels[lag]
    case = f"panel.lag{lag}"
    assert len(p) == golden[(case, "n_rows")]
    assert p["retained"].sum() == golden[(case, "n_retained")]
    assert p["treated"].sum() == golden[(case, "n_treated")]
    _close(p["outcome_change"].sum(), golden[(case, "sum_change")], RTOL_CLOSED)


@pytest.mark.parametrize("lag", [2, 4])
@pytest.mark.parametrize("cluster,case", [("opd", "did"), (None, "did_hc1")])
def test_did_matches_lm_vcovcl(panels, golden, lag, cluster, case):
    est = training.estimate_behaviour_did(panels[lag], cluster=cluster)
    key = f"{case}.lag{lag}"
    for stat in ("estimate", "se", "ci_low", "ci_high", "p_value", "df"):
        _close(getattr(est, stat), golden[(key, stat)], RTOL_CLOSED)
    _close(est.statistic, golden[(key, "t")], RTOL_CLOSED)
    if cluster:
        assert est.n_clusters == golden[(key, "n_clusters")]
        assert est.n_obs == golden[(key, "n_obs")]
        for bc in est.details["by_cohort"]:
            sub = f"{key}.cohort{bc['cohort']}"
            _close(bc["estimate"], golden[(sub, "estimate")], RTOL_CLOSED)
            _close(bc["se"], golden[(sub, "se")], RTOL_CLOSED)


@pytest.mark.parametrize("lag", [2, 4])
def test_did_treated_filter_matches_r(panels, golden, lag):
    est = training.estimate_behaviour_did(panels[lag], cluster="opd",
                                          treated_filter={"training_topic": "communication"})
    key = f"did.lag{lag}.communication"
    for stat in ("estimate", "se", "ci_low", "ci_high", "p_value", "n_obs"):
        _close(getattr(est, stat), golden[(key, stat)], RTOL_CLOSED)


@pytest.mark.parametrize("lag", [2, 4])
def test_mixed_model_matches_lme4(panels, golden, lag):
    key = f"mixed.lag{lag}"
    est = training.estimate_behaviour_mixed(panels[lag], cluster="opd")
    for stat in ("estimate", "se"):
        _close(getattr(est, stat), golden[(key, stat)], RTOL_MIXED)
    for stat in ("ci_low", "ci_high"):
        _close(getattr(est, stat), golden[(key, stat)], RTOL_MIXED, ATOL_MIXED_CI)
    _close(est.p_value, golden[(key, "p_value")], 10 * RTOL_MIXED)
    assert est.n_obs == golden[(key, "n_obs")]
    for comp in ("var_cluster", "var_respondent", "var_residual"):
        _close(est.details[comp], golden[(key, comp)], RTOL_VARCOMP, ATOL_VARCOMP)
    est0 = training.estimate_behaviour_mixed(panels[lag], cluster=None)
    _close(est0.se, golden[(f"mixed_nocluster.lag{lag}", "se")], RTOL_MIXED)
    # with complete pairs the random intercepts cancel: the point estimate is the DiD
    did = training.estimate_behaviour_did(panels[lag], cluster="opd")
    _close(est0.estimate, did.estimate, 1e-9)
    assert est0.details["converged"] and est0.df is None and est.n_clusters == did.n_clusters




@pytest.mark.parametrize("lag", [2, 4])
def test_attrition_matches_welch(panels, golden, lag):
    res = training.compare_attrition(panels[lag], variables=["outcome_baseline", "l2_pre_pct",
                                                             "sex"])
    assert len(res) == 5  # no pre-test in the comparison group
    for _, row in res.iterrows():
        var = "behaviour" if row["variable"] == "outcome_baseline" else row["variable"]
        case = f"attrition.lag{lag}.{row['group']}.{var}"
        for stat in ("n_completers", "n_dropouts", "estimate", "se", "t", "df", "p_value",
                     "ci_low", "ci_high", "smd"):
            _close(row[stat], golden[(case, stat)], RTOL_CLOSED)


@pytest.mark.parametrize("lag", [2, 4])
def test_retention_weighted_did_matches_glm_and_weighted_lm(panels, golden, lag):
    est = training.estimate_retention_weighted_did(
        panels[lag], covariates=["outcome_baseline"], treated_covariates=["l2_pre_pct"],
        cluster="opd")
    key = f"ipw.lag{lag}"
    for stat in ("estimate", "se", "ci_low", "ci_high", "p_value", "df", "n_obs"):
        _close(getattr(est, stat), golden[(key, stat)], RTOL_CLOSED)
    _close(est.details["max_weight"], golden[(key, "max_weight")], RTOL_CLOSED)
    coefs = est.details["retention_models"]["trained"]
    _close(coefs["l2_pre_pct"], golden[(f"{key}.logit_trained", "l2_pre_pct")], 1e-7)
    _close(coefs["outcome_baseline"], golden[(f"{key}.logit_trained", "behaviour")], 1e-6)


@pytest.mark.parametrize("lag", [2, 4])
@pytest.mark.parametrize("adjust,col", [("holm", "p_holm"), ("fdr_bh", "p_bh")])
def test_did_subgroups_match_r(panels, golden, lag, adjust, col):
    res = training.compare_did_subgroups(panels[lag], by=["sex", "training_topic"],
                                         cluster="opd", adjust=adjust)
    assert res["tested"].all() and res["n_tests"].iloc[0] == len(res) == 4
    assert res.set_index("variable")["comparison"].to_dict() == {"sex": "same level",
                                                                 "training_topic": "all"}
    for _, row in res.iterrows():
        case = f"didhet.lag{lag}.{row['variable']}.{row['level']}"
        assert row["n_obs"] == golden[(case, "n_obs")]
        for stat in ("estimate", "se", "ci_low", "ci_high", "diff_vs_rest", "diff_se",
                     "p_value"):
            _close(row[stat], golden[(case, stat)], RTOL_CLOSED)
        _close(row["p_adjusted"], golden[(case, col)], RTOL_CLOSED)


@pytest.mark.parametrize("lag", [2, 4])
def test_cr2_matches_clubsandwich(panels, golden, lag):
    """CR2 (Bell-McCaffrey) + Satterthwaite df: clubSandwich vcovCR / Wald_test(HTZ)."""
    p = panels[lag]
    cases = {
        f"did_cr2.lag{lag}": training.estimate_behaviour_did(p, cluster="opd", vcov="CR2"),
        f"did_cr2.lag{lag}.communication": training.estimate_behaviour_did(
            p, cluster="opd", vcov="CR2", treated_filter={"training_topic": "communication"}),
        f"ipw_cr2.lag{lag}": training.estimate_retention_weighted_did(
            p, covariates=["outcome_baseline"], treated_covariates=["l2_pre_pct"],
            cluster="opd", vcov="CR2"),
    }
    for key, est in cases.items():
        rtol = RTOL_IPW if key.startswith("ipw") else RTOL_CLOSED
        for stat in ("estimate", "se", "df", "ci_low", "ci_high", "p_value"):
            _close(getattr(est, stat), golden[(key, stat)], rtol)
        assert "CR2 (Bell-McCaffrey)" in est.method and "CR1" not in est.method
    cr1 = training.estimate_behaviour_did(p, cluster="opd")
    assert cases[f"did_cr2.lag{lag}"].df < cr1.df  # few, unequal clusters: small df


def test_wilcoxon_agrees_with_scipy(paired):
    from scipy import stats

    ok = paired[["l2_pre_pct", "l2_post_pct"]].dropna()
    res = training.learning_gain(ok, pre="l2_pre_pct", post="l2_post_pct").iloc[0]
    sp = stats.wilcoxon(ok["l2_post_pct"], ok["l2_pre_pct"], correction=True,
                        method="asymptotic")
    _close(res["wilcoxon_p"], sp.pvalue, 1e-9)


# ----------------------------------------------------------------------------- 2. recovery
UNIT = "respondent_key"  # the stored pseudonym
IPW_KW = {"covariates": ["outcome_baseline"], "treated_covariates": ["l2_pre_pct"],
          "cluster": "opd", "vcov": "CR2"}  # as the report registers them


def test_l1_l2_truth_inside_registered_ci(world):
    tr, truth = world
    items = [f"rx_{i}" for i in range(1, 6)]
    found: dict[str, Estimate] = {}
    for by in (None, "training_topic"):
        rx = training.summarize_reaction(tr, items=items, scale="reaction", by=by)
        found |= training.reaction_findings(rx, by=by)
        gains = training.learning_gain(tr, pre="l2_pre_pct", post="l2_post_pct", by=by,
                                       n_questions=40)
        found |= training.gain_findings(gains, by=by)  # measurement-error intervals
    assert len(found) == 15 and set(found) <= set(truth)
    for eid, est in found.items():
        assert est.ci_low <= truth[eid] <= est.ci_high, (eid, est.ci_low, truth[eid], est.ci_high)
        assert est.method and est.assumptions and est.details["statement"]
    gain = found["training.l2.gain_mean"]
    assert gain.details["interval"] == "measurement"
    lo_t, hi_t = gain.details["other_ci"]  # the paired-t interval is wider
    assert lo_t < gain.ci_low < gain.ci_high < hi_t


def test_l3_truth_inside_registered_ci(world):
    tr, truth = world
    p1 = training.build_behaviour_panel(tr, unit=UNIT, period="period", group="group",
                                        outcome="behaviour", lag=2, keep=KEEP)
    p2 = training.build_behaviour_panel(tr, unit=UNIT, period="period", group="group",
                                        outcome="behaviour", lag=4, keep=KEEP)
    checks = {
        "training.l3.att_behaviour.respondents": training.estimate_behaviour_did(p1,
                                                                                 cluster="opd"),
        "training.l3.att_behaviour": training.estimate_retention_weighted_did(p1, **IPW_KW),
        "training.l3.att_behaviour.followup2": training.estimate_retention_weighted_did(
            p2, **IPW_KW),
    }
    for topic in ("communication", "digital_services"):
        checks[f"training.l3.att_behaviour.{topic}"] = training.estimate_retention_weighted_did(
            p1, treated_filter={"training_topic": topic}, **IPW_KW)
    for eid, est in checks.items():
        assert est.ci_low <= truth[eid] <= est.ci_high, (eid, est.ci_low, truth[eid], est.ci_high)
    resp = checks["training.l3.att_behaviour.respondents"]
    assert resp.n_clusters >= 20 and resp.df == resp.n_clusters - 1
    # the responding trainees are the trainees whose follow-up row was stored
    assert resp.details["n_treated"] == int(p1.loc[p1["treated"], "retained"].sum())


def test_attrition_shows_low_pretest_scorers_drop_out(world):
    tr, _ = world
    panel = training.build_behaviour_panel(tr, unit=UNIT, period="period", group="group",
                                           outcome="behaviour", lag=2, keep=KEEP)
    res = training.compare_attrition(panel, variables=["l2_pre_pct"])
    row = res.iloc[0]
    assert row["group"] == "trained" and row["estimate"] > 5 and row["p_value"] < 1e-6


def test_naive_post_only_comparison_is_biased_but_did_is_not(world):
    """Trainees are nominated from weaker staff: follow-up levels understate the effect."""
    tr, truth = world
    panel = training.build_behaviour_panel(tr, unit=UNIT, period="period", group="group",
                                           outcome="behaviour", lag=2, keep=KEEP)
    done = panel[panel["retained"]]
    naive = (done.loc[done["treated"], "outcome_followup"].mean()
             - done.loc[~done["treated"], "outcome_followup"].mean())
    did = training.estimate_behaviour_did(panel, cluster="opd")
    target = truth["training.l3.att_behaviour.respondents"]
    assert abs(naive - target) > 2 * abs(did.estimate - target)


def test_committed_monte_carlo_meets_the_coverage_band():
    """benchmarks/results/coverage_training.json: the registered intervals' coverage.

    The issue requires 93-97 % for the L2 gain and the L3 DiD; the other registered L2
    intervals are held to the same band, the L1 t interval and the retention-weighted CR2
    intervals only to "not below 93 %" (they are conservative by design, see the report).
    """
    doc = json.loads(COVERAGE.read_text(encoding="utf-8"))
    assert doc["reps_ok"] >= 200 and not doc["failures"]
    est = doc["estimands"]
    assert set(doc["registered"]) == {k for k, v in est.items() if v["registered"]}
    lo, hi = COVERAGE_BAND
    for eid in doc["registered"]:
        cov = est[eid]["coverage"]
        if eid.startswith("training.l2.") or eid == "training.l3.att_behaviour.respondents":
            assert lo <= cov <= hi, (eid, cov)
        else:
            assert cov >= lo, (eid, cov)
    # the decision documented in learning_gain: the paired-t interval over-covers
    assert est["training.l2.gain_mean [sampling CI]"]["coverage"] > hi


# ----------------------------------------------------------------------------- 3. errors
def test_missing_column_is_named():
    df = pd.DataFrame({"pre": [1.0, 2.0]})
    with pytest.raises(InputError, match="'post'") as exc:
        training.learning_gain(df, pre="pre", post="post")
    assert exc.value.column == "post"


def test_non_numeric_score_is_refused():
    df = pd.DataFrame({"pre": ["a", "b"], "post": [1.0, 2.0]})
    with pytest.raises(InputError, match="must be numeric") as exc:
        training.learning_gain(df, pre="pre", post="post")
    assert exc.value.column == "pre"


def test_too_few_pairs_is_refused_but_small_groups_get_a_reason():
    df = pd.DataFrame({"g": ["a", "a", "b"], "pre": [1.0, 2.0, 3.0], "post": [2.0, 4.0, 3.0]})
    with pytest.raises(InputError, match="at least two"):
        training.learning_gain(df.iloc[2:], pre="pre", post="post")
    res = training.learning_gain(df, pre="pre", post="post", by="g")
    assert res["refused"].isna().tolist() == [True, False]
    assert math.isnan(res.loc[1, "t"])


@pytest.mark.parametrize("call", [
    lambda d: training.learning_gain(d, pre="pre", post="post", confidence=95),
    lambda d: training.estimate_threshold_share(d, score="post", threshold=3, method="wald"),
    lambda d: training.compare_gain_subgroups(d, pre="pre", post="post", by="g",
                                              adjust="bonferroni"),
    lambda d: training.compare_gain_subgroups(d, pre="pre", post="post", by="g", min_cell=0),
    lambda d: training.plot_gains(d, pre="pre", post="post", kind="violin"),
])
def test_bad_options_raise_config_error(call):
    df = pd.DataFrame({"g": ["a", "b"] * 3, "pre": [1.0, 2, 3, 4, 5, 6],
                       "post": [2.0, 3, 5, 4, 7, 6]})
    with pytest.raises(ConfigError, match="must be|got"):
        call(df)


def test_bad_adjust_lists_allowed_values():
    df = pd.DataFrame({"g": ["a", "b"], "pre": [1.0, 2], "post": [2.0, 3]})
    with pytest.raises(ConfigError, match="'holm', 'fdr_bh'"):
        training.compare_gains(df, pre="pre", post="post", group="g", adjust="none")


def test_compare_gains_needs_two_levels():
    df = pd.DataFrame({"g": ["a"] * 3, "pre": [1.0, 2, 3], "post": [2.0, 3, 5]})
    with pytest.raises(InputError, match="fewer than two levels"):
        training.compare_gains(df, pre="pre", post="post", group="g")
    with pytest.raises(InputError, match="no complete pairs"):
        training.compare_gains(df, pre="pre", post="post", group="g", levels=["a", "z"])


def _tiny_long():
    return pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4, 4], "period": [0, 1] * 4,
                         "group": ["trained"] * 4 + ["comparison"] * 4,
                         "y": [2.0, 3.0, 2.5, 3.0, 3.0, 3.0, 2.5, 3.0],
                         "opd": ["a"] * 8})


def test_panel_errors():
    long = _tiny_long()
    dup = pd.concat([long, long.iloc[[2]]], ignore_index=True)
    with pytest.raises(InputError, match="more than one row") as exc:
        training.build_behaviour_panel(dup, unit="id", period="period", group="group",
                                       outcome="y", lag=1)
    assert exc.value.row == 9 and exc.value.column == "id"
    with pytest.raises(ConfigError, match="lag"):
        training.build_behaviour_panel(long, unit="id", period="period", group="group",
                                       outcome="y", lag=0)
    with pytest.raises(InputError, match="no trainee cohort"):
        training.build_behaviour_panel(long, unit="id", period="period", group="group",
                                       outcome="y", lag=3)
    frac = long.assign(period=long["period"] + 0.5)
    with pytest.raises(InputError, match="whole numbers"):
        training.build_behaviour_panel(frac, unit="id", period="period", group="group",
                                       outcome="y", lag=1)


def test_did_errors():
    long = _tiny_long()
    panel = training.build_behaviour_panel(long, unit="id", period="period", group="group",
                                           outcome="y", lag=1, keep=["opd"])
    with pytest.raises(InputError, match="only 1 cluster"):
        training.estimate_behaviour_did(panel, cluster="opd")
    with pytest.raises(InputError, match="lacks the column"):
        training.estimate_behaviour_did(panel.drop(columns="retained"), cluster=None)
    only_t = panel[panel["treated"]]
    with pytest.raises(InputError, match="no comparison respondent"):
        training.estimate_behaviour_did(only_t, cluster=None)
    with pytest.raises(InputError, match="no trainee matches"):
        training.estimate_behaviour_did(panel, cluster=None, treated_filter={"opd": "zz"})
    with pytest.raises(ConfigError, match="treated_filter"):
        training.estimate_behaviour_did(panel, cluster=None, treated_filter=["opd"])


def test_retention_model_separation_is_refused():
    rows = []
    for i in range(12):  # trainees: retained exactly when the baseline score is high
        rows += [(i, 0, "trained", 1.0 + i * 0.25)]
        if i >= 6:
            rows += [(i, 1, "trained", 2.0 + i * 0.25)]
    for i in range(12, 24):
        rows += [(i, 0, "comparison", 1.0 + (i % 5) * 0.5)]
        if i % 3:
            rows += [(i, 1, "comparison", 1.5 + (i % 5) * 0.5)]
    long = pd.DataFrame(rows, columns=["id", "period", "group", "y"])
    panel = training.build_behaviour_panel(long, unit="id", period="period", group="group",
                                           outcome="y", lag=1)
    with pytest.raises(InputError, match="retention model for the trained group"):
        training.estimate_retention_weighted_did(panel, covariates=["outcome_baseline"],
                                                 cluster=None)


# ----------------------------------------------------------------------------- 4. invariants
def test_learning_gain_invariants(paired):
    before = paired.copy()
    kw = {"pre": "l2_pre_pct", "post": "l2_post_pct", "n_questions": 40}
    res = training.learning_gain(paired, **kw).iloc[0]
    pd.testing.assert_frame_equal(paired, before)  # data not modified
    shuffled = paired.sample(frac=1.0, random_state=np.random.RandomState(3))
    again = training.learning_gain(shuffled, **kw).iloc[0]
    for stat in GAIN_STATS + NCP_STATS:
        _close(again[stat], res[stat], 1e-12)
    swapped = training.learning_gain(paired, pre="l2_post_pct", post="l2_pre_pct").iloc[0]
    for stat in ("estimate", "t", "cohens_dz", "hedges_gz", "rank_biserial"):
        _close(swapped[stat], -res[stat], 1e-12)
    _close(swapped["cohens_dz_ci_low"], -res["cohens_dz_ci_high"], 1e-9)
    _close(swapped["wilcoxon_p"], res["wilcoxon_p"], 1e-12)
    n = res["n_nonzero"]
    assert swapped["wilcoxon_v"] == n * (n + 1) / 2 - res["wilcoxon_v"]
    assert abs(res["hedges_gz"]) < abs(res["cohens_dz"])
    assert res["se_measurement"] < res["se"]  # measurement error is part of var(d)
    assert math.isnan(swapped["se_measurement"])  # only with n_questions


def test_did_shifts_exactly_with_a_planted_effect(panels):
    p = panels[2]
    base = training.estimate_behaviour_did(p, cluster="opd")
    shifted = p.copy()
    shifted["outcome_followup"] += 0.3  # common shift: no effect on the DiD
    shifted.loc[shifted["treated"], "outcome_followup"] += 0.2  # planted effect
    shifted["outcome_change"] = shifted["outcome_followup"] - shifted["outcome_baseline"]
    est = training.estimate_behaviour_did(shifted, cluster="opd")
    _close(est.estimate, base.estimate + 0.2, 1e-12)
    _close(est.se, base.se, 1e-9)


def test_ipw_without_covariates_reweights_cohorts_only(panels):
    """With intercept-only retention models the weights are constant within cells."""
    p = panels[2]
    did = training.estimate_behaviour_did(p, cluster="opd")
    ipw = training.estimate_retention_weighted_did(p, covariates=[], cluster="opd")
    n_base = p[p["treated"]].groupby("cohort").size()
    expect = sum(n_base[c["cohort"]] * c["estimate"] for c in did.details["by_cohort"])
    _close(ipw.estimate, expect / n_base.sum(), 1e-9)


def test_subgroup_tables_mark_small_cells(world):
    tr, _ = world
    res = training.compare_gain_subgroups(tr, pre="l2_pre_pct", post="l2_post_pct",
                                          by=["opd", "golongan"], min_cell=10)
    small = res["n_obs"] < 10
    assert res.loc[small, "suppressed"].all() and not res.loc[small, "tested"].any()
    assert res.loc[small, ["estimate", "p_value", "p_adjusted"]].isna().all().all()
    assert (res.loc[res["tested"], "p_adjusted"] >= res.loc[res["tested"], "p_value"]).all()
    assert res["n_tests"].iloc[0] == res["tested"].sum()
    panel = training.build_behaviour_panel(tr, unit=UNIT, period="period",
                                           group="group", outcome="behaviour", lag=2,
                                           keep=KEEP)
    did = training.compare_did_subgroups(panel, by="opd", cluster="opd")
    # one OPD is one cluster: never tested with a degenerate cluster-robust SE
    assert not did["tested"].any()
    assert did.loc[~did["suppressed"], "refused"].str.contains("cluster=None").all()
    hc1 = training.compare_did_subgroups(panel, by="opd", cluster=None)
    assert hc1["tested"].sum() == (~hc1["suppressed"]).sum() >= 2


def test_reliability_table_combines_scales_and_knowledge_test(world):
    tr, _ = world
    from asn_research import scales
    from asn_research.instruments import load_instrument

    base = tr[tr["wave"] == "2024-1"]
    res = training.summarize_reliability(base)
    assert res["scale"].tolist() == [*training.TRAINING_SCALES, "l2_pre_pct", "l2_post_pct"]
    direct = scales.scale_reliability(base, load_instrument("training"), scale="behaviour")
    row = res.set_index("scale").loc["behaviour"]
    assert row["estimate"] == pytest.approx(direct.estimate, rel=1e-12)
    assert row["omega"] == pytest.approx(direct.omega, rel=1e-12)
    kr = res.set_index("scale").loc["l2_pre_pct"]
    assert kr["k_items"] == 40 and 0.5 < kr["estimate"] < 1 and math.isnan(kr["omega"])
    by_wave = training.summarize_reliability(tr, knowledge=(), by="wave")
    refused = by_wave[(by_wave["wave"] == "2026-1") & (by_wave["scale"] == "reaction")]
    assert refused["refused"].notna().all()  # no reaction items at a follow-up wave


def test_knowledge_test_bootstrap_is_reproducible(paired):
    a = training.knowledge_test_reliability(paired, scores="l2_pre_pct", n_questions=40, seed=5)
    b = training.knowledge_test_reliability(paired, scores="l2_pre_pct", n_questions=40, seed=5)
    pd.testing.assert_frame_equal(a, b)


def test_age_band():
    df = pd.DataFrame({"birth_year": [1994, 1995, 1975, None],
                       "survey_date": pd.to_datetime(["2024-03-01"] * 4)})
    out = training.assign_age_band(df, birth_year="birth_year", survey_date="survey_date")
    assert out["age_band"].tolist()[:3] == ["30-39", "<30", "40-49"]
    assert pd.isna(out["age_band"].iloc[3]) and "age_band" not in df
    with pytest.raises(ConfigError, match="increasing"):
        training.assign_age_band(df, birth_year="birth_year", survey_date="survey_date",
                                 edges=(40, 30))


def test_plots_return_axes_and_skip_suppressed(paired, panels):
    import matplotlib.pyplot as plt

    summary = training.summarize_reaction(paired, items=["rx_1", "rx_2", "rx_3"])
    summary["suppressed"] = [False, True, False]
    ax = training.plot_reaction(summary)
    assert len(ax.get_yticks()) == 2
    ax = training.plot_gains(paired, pre="l2_pre_pct", post="l2_post_pct", by="training_topic",
                             kind="paired")
    assert len(ax.get_legend().get_texts()) == 2
    small = paired.head(5)
    ax = training.plot_gains(small, pre="l2_pre_pct", post="l2_post_pct")  # below min_cell
    assert not ax.patches
    means = training.summarize_behaviour_panel(panels[2])
    assert set(means["period"]) == {0, 2, 4}
    ax = training.plot_did_means(means)
    assert len(ax.containers) == 4  # two cohorts x two groups
    labelled = training.summarize_behaviour_panel(
        panels[2], period_labels={0: "2024-1", 2: "2025-1", 4: "2026-1"})
    assert labelled["wave"].tolist()[:2] == ["2024-1", "2025-1"]
    ax = training.plot_did_means(labelled)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2024-1", "2025-1", "2026-1"]
    plt.close("all")


def test_same_numbers_on_nullable_store_dtypes(paired, long, panels):
    """The store holds Int16/Float64/string columns; results must not depend on dtypes."""
    nullable = paired.convert_dtypes()
    assert str(nullable["l2_pre_pct"].dtype) == "Float64"
    a = training.learning_gain(paired, pre="l2_pre_pct", post="l2_post_pct", by="sex")
    b = training.learning_gain(nullable, pre="l2_pre_pct", post="l2_post_pct", by="sex")
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    long_n = long.convert_dtypes()
    panel = training.build_behaviour_panel(long_n, unit="person_id", period="period",
                                           group="group", outcome="behaviour", lag=2,
                                           keep=KEEP)
    assert str(panel["sex"].dtype) == str(long_n["sex"].dtype)
    x = training.compare_did_subgroups(panel, by="sex", cluster="opd")
    y = training.compare_did_subgroups(panels[2], by="sex", cluster="opd")
    assert x["level"].tolist() == y["level"].tolist() == ["1", "2"]
    np.testing.assert_allclose(x["estimate"], y["estimate"], rtol=1e-12)


def test_gain_findings_interval_choice(paired):
    gains = training.learning_gain(paired, pre="l2_pre_pct", post="l2_post_pct", n_questions=40)
    meas = training.gain_findings(gains)
    samp = training.gain_findings(gains, interval="sampling")
    row = gains.iloc[0]
    g = meas["training.l2.gain_mean"]
    assert (g.ci_low, g.ci_high, g.se) == (row["measurement_ci_low"], row["measurement_ci_high"],
                                           row["se_measurement"])
    assert samp["training.l2.gain_mean"].ci_low == row["ci_low"]
    assert g.p_value == samp["training.l2.gain_mean"].p_value == row["p_value"]
    pre = meas["training.l2.pre_mean"]
    assert (pre.ci_low, pre.ci_high) == (row["pre_measurement_ci_low"],
                                         row["pre_measurement_ci_high"])
    ng = meas["training.l2.normalized_gain"]
    assert ng.ci_low == row["normalized_gain_measurement_ci_low"]
    assert "Lord 1965" in g.method and "conditional on the trainees" in g.assumptions
    assert "not an effect" in g.assumptions and "not an effect" in ng.assumptions
    no_k = training.learning_gain(paired, pre="l2_pre_pct", post="l2_post_pct")
    with pytest.raises(InputError, match="n_questions"):
        training.gain_findings(no_k)
    with pytest.raises(ConfigError, match="'measurement', 'sampling'"):
        training.gain_findings(gains, interval="bootstrap")


def test_vcov_option_is_checked(panels):
    with pytest.raises(ConfigError, match="'CR1', 'CR2'"):
        training.estimate_behaviour_did(panels[2], cluster="opd", vcov="CR3")
    hc = training.estimate_behaviour_did(panels[2], cluster=None, vcov="CR2")  # no clusters
    assert hc.n_clusters is None and "HC1" in hc.method


def test_prepare_waves_counts_semesters_from_the_calendar():
    df = pd.DataFrame({"wave": ["2025-1", "2024-1", "2026-1", "2024-2"],
                       "birth_year": [1990, 1980, 1960, 2000],
                       "survey_date": pd.to_datetime(["2025-02-01", "2024-02-01", "2026-02-01",
                                                      "2024-08-01"])})
    out = training.prepare_waves(df)
    per = out["period"].astype(int)
    assert (per - per.min()).tolist() == [2, 0, 4, 1]  # one year = 2 semesters
    assert out["age_band"].tolist() == ["30-39", "40-49", "50+", "<30"]
    assert "period" not in df
    with pytest.raises(ConfigError):
        training.prepare_waves(df.assign(wave=["2025-13", "2024-1", "2026-1", "2024-2"]))


def test_followup_cohorts_and_threshold_shares(world):
    tr, _ = world
    kw = {"unit": UNIT, "period": "period", "group": "group"}
    base = int(tr["period"].min())
    assert training.followup_cohorts(tr, lag=2, **kw) == [base, base + 2]
    assert training.followup_cohorts(tr, lag=4, **kw) == [base]
    assert training.followup_cohorts(tr[tr["wave"] != "2026-1"], lag=4, **kw) == []
    share = training.estimate_threshold_share(tr, score=["l2_pre_pct", "l2_post_pct"],
                                              threshold=70, by="training_topic")
    assert share["score"].tolist() == ["l2_pre_pct"] * 2 + ["l2_post_pct"] * 2
    pre, post = share.groupby("score", sort=False)["estimate"].mean()
    assert post > pre  # more trainees reach the threshold after the training


def test_robustness_table_and_estimates_table(world):
    tr, _ = world
    panel = training.build_behaviour_panel(tr, unit=UNIT, period="period", group="group",
                                           outcome="behaviour", lag=2, keep=KEEP)
    rob = training.behaviour_robustness(panel, cluster="opd", unit=UNIT,
                                        treated_covariates=["l2_pre_pct"], mixed=False)
    assert rob["key"].tolist() == ["did_cr1", "did_cr2", "did_unit", "did_hc1", "ipw_cr2",
                                   "ipw_cr1"]
    main = training.estimate_behaviour_did(panel, cluster="opd")
    r = rob.set_index("key")
    assert r.loc["did_cr1", "ci_low"] == main.ci_low
    assert np.allclose(r.loc[["did_cr1", "did_cr2", "did_unit", "did_hc1"], "estimate"],
                       main.estimate, rtol=1e-12)
    assert r.loc["did_cr2", "ci_high"] - r.loc["did_cr2", "ci_low"] > main.ci_high - main.ci_low
    assert r.loc["ipw_cr2", "estimate"] == r.loc["ipw_cr1", "estimate"]
    assert r.loc["ipw_cr2", "target"] == "all trainees" and math.isnan(r.loc["did_hc1",
                                                                             "n_clusters"])
    rob_id = training.behaviour_robustness(panel, cluster="opd", unit=UNIT, mixed=False,
                                           lang="id")
    assert rob_id["analysis"].iloc[0].startswith("DiD, CR1 menurut OPD")
    with pytest.raises(ConfigError, match="Estimate"):
        training.estimates_table({"x": 1.0})


def test_label_levels_uses_the_instrument():
    from asn_research.instruments import load_instrument

    t = pd.DataFrame({"variable": ["sex", "sex", "training_topic", "age_band", "opd"],
                      "level": ["1", "2", "digital_services", "50+", "dinkes"]})
    inst = load_instrument("training")
    out = training.label_levels(t, instrument=inst, lang="id")
    assert out["level_label"].tolist()[:4] == ["Laki-laki", "Perempuan", "Layanan digital",
                                               "50+"]
    assert out["level_label"].iloc[4] == inst.choices_of("opd").label_of("dinkes", "id")
    assert "level_label" not in t


def test_statements_follow_the_interval():
    long = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6], "period": [0, 1] * 6,
                         "group": ["trained"] * 6 + ["comparison"] * 6,
                         "y": [2.0, 3.0, 2.5, 2.0, 3.0, 3.5, 3.0, 3.0, 2.5, 2.5, 3.0, 3.5]})
    panel = training.build_behaviour_panel(long, unit="id", period="period", group="group",
                                           outcome="y", lag=1)
    est = training.estimate_behaviour_did(panel, cluster=None)
    assert est.ci_low < 0 < est.ci_high
    assert "compatible with no change" in est.details["statement"]
    assert "parallel trends" in est.details["statement"] and "parallel trends" in est.assumptions
    gains = training.learning_gain(pd.DataFrame({"pre": [40.0, 50, 60, 55],
                                                 "post": [70.0, 75, 90, 80]}),
                                   pre="pre", post="post", n_questions=40)
    stmt = training.gain_findings(gains)["training.l2.gain_mean"].details["statement"]
    assert "higher" in stmt and "compatible" not in stmt and "not how much" in stmt


def test_plots_speak_the_report_language():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary = pd.DataFrame({"variable": ["rx_1"], "kind": ["item"], "share_1": [0.2],
                            "share_2": [0.8]})
    ax = training.plot_reaction(summary, lang="id")
    assert ax.get_xlabel() == "porsi jawaban" and ax.get_legend().get_title().get_text() == \
        "jawaban"
    assert training.plot_reaction(summary).get_xlabel() == "share of answers"
    with pytest.raises(ConfigError, match="lang"):
        training.plot_reaction(summary, lang="fr")
    plt.close("all")
