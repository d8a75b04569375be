"""Tests of asn_research.service: the SKM/IKM rules, R golden values, recovery, errors.

Golden values come from R 4.2.2 (survey, sandwich, lmtest; Mann-Kendall/Sen written by
hand in base R) via tests/reference/service/service_reference.R on the synthetic inputs
made by make_service_data.py; see tests/reference/service/PROVENANCE.md.
All data here are synthetic.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from asn_research import service
from asn_research.errors import AsnResearchError, ConfigError, InputError
from asn_research.results import Estimate

# Linearized SEs, OLS, sandwich meats and the hand-written Mann-Kendall are the same
# closed-form expressions in R and here; only the order of floating-point sums differs.
REL_CLOSED_FORM = 1e-9
# p-values and interval ends go through t/normal quantiles (R's qt/pt vs scipy's): each is
# accurate to ~1e-13 relative; 1e-9 leaves room and still catches a df off by one.
REL_QUANTILE = 1e-9
# Values that are exactly zero in theory (e.g. a Sen slope of 0) are compared absolutely.
ABS_FLOOR = 1e-12
# Results must equal the hand-worked examples to the second decimal (the issue).
ABS_HAND = 0.005

REFERENCE = Path(__file__).parent / "reference" / "service"
ELEMENTS = service.ELEMENTS
MONTHS = [f"{2023 + m // 12}-{m % 12 + 1:02d}" for m in range(42)]


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def golden() -> pd.DataFrame:
    g = pd.read_csv(REFERENCE / "service_golden.csv", keep_default_na=False)
    g["value"] = g["value"].astype(float)
    return g


def _g(golden: pd.DataFrame, case: str, group: str, term: str, statistic: str) -> float:
    sel = golden[(golden["case"] == case) & (golden["group"] == group)
                 & (golden["term"] == term) & (golden["statistic"] == statistic)]
    assert len(sel) == 1, (case, group, term, statistic)
    return float(sel["value"].iloc[0])


@pytest.fixture(scope="module")
def skm_ref() -> pd.DataFrame:
    df = pd.read_csv(REFERENCE / "skm_respondents.csv", na_values=["NA"])
    for e in ELEMENTS:
        df[e] = df[e].astype("Int16")
    return df


@pytest.fixture(scope="module")
def series_ref() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "series.csv", na_values=["NA"])


@pytest.fixture(scope="module")
def demo():
    """The SKM part of the demo world (seed 2026, size small) with its truth.

    Same generator and seed as ``simulate_frames(seed=2026, size="small").skm``; only the
    SKM is simulated, to keep this file fast.
    """
    from asn_research.simulate.service import service_world, simulate_skm

    world = service_world(2026)
    frames, truth = simulate_skm(seed=2026, sample="uniform", world=world)
    skm = pd.concat(frames, names=["wave"]).reset_index(level=0)
    for e in ELEMENTS:
        skm[e] = skm[e].astype("Int16")
    values = {k: v[0] for k, v in truth.items()}
    return skm, values, world


@pytest.fixture(scope="module")
def demo_ikm(demo) -> pd.DataFrame:
    return service.ikm(demo[0])


def _frame_from_totals(totals, n, *, elements=ELEMENTS) -> pd.DataFrame:
    """n respondents answering 3 or 4 so that each element sums to its total."""
    cols = {}
    for e, tot in zip(elements, totals, strict=True):
        fours = tot - 3 * n
        assert 0 <= fours <= n
        cols[e] = [4] * fours + [3] * (n - fours)
    df = pd.DataFrame(cols, dtype="Int16")
    df.insert(0, "wave", "2024-01")
    df.insert(0, "service_unit", "unit")
    return df


# ------------------------------------------------------------- the regulation's formula
def test_worked_example_a_10_respondents():
    # Totals 35, 31, 28, 39, 32, 35, 36, 31, 27 over 10 respondents (docs/skm.md, example A).
    cols = {
        "persyaratan": [4] * 5 + [3] * 5, "prosedur": [4] * 1 + [3] * 9,
        "waktu": [3] * 8 + [2] * 2, "biaya": [4] * 9 + [3], "produk": [4] * 2 + [3] * 8,
        "kompetensi": [4] * 5 + [3] * 5, "perilaku": [4] * 6 + [3] * 4,
        "pengaduan": [4] * 1 + [3] * 9, "sarana": [3] * 7 + [2] * 3,
    }
    df = pd.DataFrame(cols, dtype="Int16").assign(service_unit="u", wave="2024-01")
    out = service.ikm(df).iloc[0]
    nrr = [out[f"nrr_{e}"] for e in ELEMENTS]
    assert nrr == pytest.approx([3.5, 3.1, 2.8, 3.9, 3.2, 3.5, 3.6, 3.1, 2.7], abs=1e-12)
    assert out["index_1_4"] == pytest.approx(29.4 / 9, abs=1e-12)
    assert out["ikm"] == 81.67 and out["grade"] == "B" and out["performance"] == "baik"
    legacy = service.ikm(df, legacy_weight=0.111).iloc[0]
    assert legacy["ikm"] == 81.59 and legacy["grade"] == "B"
    assert "LEGACY" in legacy["method"]
    grades = service.element_scores(df, by=None)["grade"].tolist()
    assert grades == ["B", "B", "C", "A", "B", "B", "A", "B", "C"]


def test_worked_example_b_gives_91_48_not_the_printed_90_56():
    totals = [105, 101, 100, 116, 102, 105, 106, 105, 115]
    out = service.ikm(_frame_from_totals(totals, 29)).iloc[0]
    nrr = [out[f"nrr_{e}"] for e in ELEMENTS]
    assert nrr == pytest.approx([3.6207, 3.4828, 3.4483, 4.0, 3.5172, 3.6207, 3.6552, 3.6207,
                                 3.9655], abs=5e-5)
    assert out["ikm"] == 91.48 and out["grade"] == "A"
    assert out["estimate"] == pytest.approx(955 / (29 * 9) * 25, rel=1e-12)
    assert out["ikm"] != pytest.approx(90.56, abs=ABS_HAND)
    assert service.ikm(_frame_from_totals(totals, 29), legacy_weight=0.111)["ikm"].iloc[0] \
        == 91.38


def test_boundary_case_exact_weight_a_legacy_weight_b():
    # Mean NRR 3.5324 exactly: 2,500 respondents, each element sums to 8,831.
    df = _frame_from_totals([8831] * 9, 2500)
    exact = service.ikm(df).iloc[0]
    assert exact["ikm"] == 88.31 and exact["grade"] == "A"
    legacy = service.ikm(df, legacy_weight=0.111).iloc[0]
    assert legacy["ikm"] == 88.22 and legacy["grade"] == "B"      # 3.5324·9·0.111·25 = 88.2194


def test_rounding_is_half_up_on_the_exact_value_and_grades_the_rounded_value():
    # 5,000 answers summing to 15,321: IKM = 25·15321/5000 = 76.605 exactly.
    df = pd.DataFrame({"waktu": [4] * 321 + [3] * 4679}, dtype="Int16").assign(
        service_unit="u", wave="2024-01")
    out = service.ikm(df, elements=["waktu"]).iloc[0]
    assert out["ikm"] == 76.61 and out["grade"] == "B"            # half-even would give C
    # Legacy weight on 10 respondents totalling 318: 0.111·31.8·25 = 88.245 → 88.25.
    df10 = _frame_from_totals([36, 36, 36, 36, 36, 36, 34, 34, 34], 10)
    assert service.ikm(df10, legacy_weight=0.111)["ikm"].iloc[0] == 88.25
    assert service.round_half_up(88.245) == 88.25
    table = service.classify_ikm([25, 64.99, 65.0, 76.60, 76.604, 76.605, 88.30, 88.31, 100])
    assert table["grade"].tolist() == ["D", "D", "C", "C", "C", "B", "B", "A", "A"]
    assert table["performance"].tolist()[-1] == "sangat_baik"
    assert set(table["performance"]) <= set(service.PERFORMANCE_LABELS)


def test_per_element_denominators_and_fewer_elements():
    df = pd.DataFrame({"service_unit": "u", "wave": "w", "waktu": [4, pd.NA, 2],
                       "biaya": [pd.NA, pd.NA, pd.NA], "sarana": [3, 3, 3]})
    df[["waktu", "biaya", "sarana"]] = df[["waktu", "biaya", "sarana"]].astype("Int16")
    out = service.ikm(df, elements=["waktu", "biaya", "sarana"]).iloc[0]
    assert out["nrr_waktu"] == 3.0                   # (4 + 2) / 2, not / 3
    assert out["k_elements"] == 2 and out["weight"] == 0.5 and math.isnan(out["nrr_biaya"])
    assert out["ikm"] == 75.0
    # With complete answers the regulation's formula is 25 × the grand mean.
    rng = np.random.default_rng(3)
    full = pd.DataFrame(rng.integers(1, 5, (40, 9)), columns=list(ELEMENTS)).assign(
        service_unit="u", wave="w")
    res = service.ikm(full).iloc[0]
    assert res["estimate"] == pytest.approx(25 * full[list(ELEMENTS)].to_numpy().mean(),
                                            rel=1e-12)
    score = 25 * full[list(ELEMENTS)].mean(axis=1)
    assert res["se"] == pytest.approx(score.std(ddof=1) / math.sqrt(40), rel=1e-12)
    t_ci = stats.ttest_1samp(score, 0).confidence_interval()
    assert (res["ci_low"], res["ci_high"]) == pytest.approx((t_ci.low, t_ci.high), rel=1e-12)


def test_krejcie_morgan_reproduces_the_published_table():
    table = {10: 10, 20: 19, 30: 28, 50: 44, 60: 52, 75: 63, 100: 80, 150: 108, 200: 132,
             250: 152, 300: 169, 400: 196, 500: 217, 600: 234, 800: 260, 1000: 278,
             1500: 306, 2000: 322, 3000: 341, 5000: 357, 10000: 370, 20000: 377,
             50000: 381, 1_000_000: 384}
    assert {n: service.krejcie_morgan(n) for n in table} == table
    df = _frame_from_totals([36] * 9, 10)
    out = service.ikm(df, population={"unit": 10})
    assert out["required_n"].iloc[0] == 10 and bool(out["meets_sample_size"].iloc[0])
    out = service.ikm(df, population={("unit", "2024-01"): 50})
    assert out["required_n"].iloc[0] == 44 and not bool(out["meets_sample_size"].iloc[0])
    assert service.ikm(df)["meets_sample_size"].isna().all()
    with pytest.raises(InputError, match="positive whole number"):
        service.krejcie_morgan(0)


# ------------------------------------------------------------------- against R goldens
def test_ikm_and_its_se_match_survey_package(skm_ref, golden):
    for legacy, term in ((None, "exact"), (0.111, "legacy")):
        out = service.ikm(skm_ref, legacy_weight=legacy)
        assert len(out) == 6
        for _, r in out.iterrows():
            grp = f"{r['service_unit']}.{r['wave']}"
            assert r["estimate"] == pytest.approx(_g(golden, "ikm", grp, term, "estimate"),
                                                  rel=REL_CLOSED_FORM)
            assert r["se"] == pytest.approx(_g(golden, "ikm", grp, term, "se"),
                                            rel=REL_CLOSED_FORM)
            assert r["df"] == _g(golden, "ikm", grp, term, "df")
            assert r["n_obs"] == _g(golden, "ikm", grp, "exact", "n_obs")
            assert r["k_elements"] == _g(golden, "ikm", grp, "exact", "k_elements")
    assert set(out["k_elements"]) == {8, 9}


def test_element_scores_and_differences_match_survey_package(skm_ref, golden):
    es = service.element_scores(skm_ref, by=("service_unit", "wave"))
    wk = service.weakest_elements(skm_ref, by=("service_unit", "wave"))
    assert len(es) == len(wk) == 53
    for _, r in es.iterrows():
        grp = f"{r['service_unit']}.{r['wave']}"
        assert r["estimate"] == pytest.approx(_g(golden, "nrr", grp, r["element"], "estimate"),
                                              rel=REL_CLOSED_FORM)
        assert r["se"] == pytest.approx(_g(golden, "nrr", grp, r["element"], "se"),
                                        rel=REL_CLOSED_FORM)
    for _, r in wk.iterrows():
        grp = f"{r['service_unit']}.{r['wave']}"
        assert r["estimate"] == pytest.approx(
            _g(golden, "element_minus_mean", grp, r["element"], "estimate"),
            rel=REL_CLOSED_FORM, abs=ABS_FLOOR)
        assert r["se"] == pytest.approx(
            _g(golden, "element_minus_mean", grp, r["element"], "se"), rel=REL_CLOSED_FORM)


def test_channel_gap_matches_hand_written_r(skm_ref, golden):
    est = service.channel_gap(skm_ref)
    assert isinstance(est, Estimate)
    for stat in ("estimate", "se", "df", "p_value", "ci_low"):
        assert getattr(est, stat) == pytest.approx(
            _g(golden, "channel_gap", "all", "gap", stat), rel=REL_QUANTILE)
    assert est.n_clusters == 6
    assert set(est.details["by_unit"]["service_unit"]) == {"u_a", "u_b", "u_c"}


@pytest.mark.parametrize("col", ["value", "value_tied"])
@pytest.mark.parametrize("conf", [0.95, 0.90])
def test_mann_kendall_and_sen_match_hand_written_r(series_ref, golden, col, conf):
    out = service.trend_test(series_ref, value=col, time="time", by="unit", confidence=conf)
    assert out["refused"].isna().all()
    case = f"mk_{col}_{conf}"
    for _, r in out.iterrows():
        for stat in ("s", "var_s", "tau", "z", "p_value", "estimate", "ci_low", "ci_high",
                     "intercept"):
            assert r[stat] == pytest.approx(_g(golden, case, r["unit"], "trend", stat),
                                            rel=REL_QUANTILE, abs=ABS_FLOOR), (stat, r["unit"])
        s = series_ref[series_ref["unit"] == r["unit"]]
        # Cross-checks: scipy's tau-b and Theil-Sen slope are the same quantities.
        assert r["tau"] == pytest.approx(stats.kendalltau(s["time"], s[col]).statistic,
                                         rel=1e-12)
        assert r["estimate"] == pytest.approx(stats.theilslopes(s[col], s["time"]).slope,
                                              rel=1e-12, abs=ABS_FLOOR)


def _check_terms(frame, golden, case, group, terms, stats_=("estimate", "se", "statistic",
                                                             "p_value", "ci_low", "ci_high",
                                                             "df")):
    for term in terms:
        r = frame[frame["term"] == term].iloc[0]
        for stat in stats_:
            assert r[stat] == pytest.approx(_g(golden, case, group, term, stat),
                                            rel=REL_QUANTILE, abs=ABS_FLOOR), (case, term, stat)


ITS_TERMS = ("counterfactual_at_start", "trend", "level_change", "slope_change")


@pytest.mark.parametrize("lags", [3, 5])
def test_its_newey_west_matches_sandwich(series_ref, golden, lags):
    starts = {"s_a": 20, "s_b": 27}
    out = service.interrupted_time_series(series_ref, value="value", time="time", by="unit",
                                          start=starts, hac_lags=lags)
    assert set(out["unit"]) == {"s_a", "s_b"}                   # no start: left out
    for unit in starts:
        _check_terms(out[out["unit"] == unit], golden, f"its_nw{lags}", unit, ITS_TERMS)
    ids = set(out["estimand_id"].dropna())
    assert "service.online_permit.level_change.s_a" in ids and "service.trend.s_b" in ids
    # The residual autocorrelation diagnostic, recomputed from a plain least-squares fit.
    s = series_ref[series_ref["unit"] == "s_a"].sort_values("time")
    tc = s["time"].to_numpy(float) - 20
    x = np.column_stack([np.ones_like(tc), tc, tc >= 0, tc * (tc >= 0)])
    resid = s["value"].to_numpy() - x @ np.linalg.lstsq(x, s["value"].to_numpy(), rcond=None)[0]
    acf1 = np.sum(resid[1:] * resid[:-1]) / np.sum(resid**2)
    assert out.loc[out["unit"] == "s_a", "resid_acf1"].iloc[0] == pytest.approx(acf1, rel=1e-9)


def test_small_sample_factor_matches_sandwich_adjust(series_ref, golden):
    out = service.interrupted_time_series(series_ref, value="value", time="time", by="unit",
                                          start={"s_a": 20, "s_b": 27}, small_sample=True)
    for unit in ("s_a", "s_b"):
        _check_terms(out[out["unit"] == unit], golden, "its_nw3_adjust", unit, ITS_TERMS)
    assert "n/(n-k)" in out["method"].iloc[0]
    pooled = service.interrupted_time_series(series_ref, value="value", time="time", by="unit",
                                             start={"s_a": 20, "s_b": 27}, pooled=True,
                                             small_sample=True)
    _check_terms(pooled, golden, "pooled_its_dk3_adjust", "all",
                 ("level_change", "slope_change"), ("estimate", "se", "p_value", "ci_high"))
    with pytest.raises(ConfigError, match="small_sample must be True or False"):
        service.ols_trend(series_ref, value="value", time="time", by="unit", small_sample="yes")


def test_its_with_seasonal_terms_and_month_ids_matches_sandwich(series_ref, golden):
    starts = {"s_a": MONTHS[19], "s_b": MONTHS[26]}
    out = service.interrupted_time_series(series_ref, value="value", time="month", by="unit",
                                          start=starts, seasonal=True)
    for unit in starts:
        _check_terms(out[out["unit"] == unit], golden, "its_nw3_seasonal", unit, ITS_TERMS)
    assert out["start"].iloc[0] == "2024-08"


def test_ols_trend_matches_sandwich(series_ref, golden):
    ctrl = series_ref[series_ref["unit"].isin(["s_c", "s_d"])]
    plain = service.ols_trend(ctrl, value="value", time="time", by="unit")
    seas = service.ols_trend(ctrl, value="value", time="month", by="unit", seasonal=True)
    for unit in ("s_c", "s_d"):
        _check_terms(plain[plain["unit"] == unit], golden, "trend_nw3", unit, ("trend",))
        _check_terms(seas[seas["unit"] == unit], golden, "trend_nw3_seasonal", unit, ("trend",))


def test_controlled_its_matches_sandwich(series_ref, golden):
    out = service.controlled_its(series_ref, value="value", time="time", unit="unit",
                                 start={"s_a": 20, "s_b": 27, "s_c": None})
    assert (out["n_controls"] == 2).all()
    for unit in ("s_a", "s_b"):
        _check_terms(out[out["unit"] == unit], golden, "controlled_its_nw3", unit, ITS_TERMS)


@pytest.mark.parametrize(("unit_trends", "case"), [(True, "pooled_its_dk3"),
                                                   (False, "pooled_its_common_trend_dk3")])
def test_pooled_its_driscoll_kraay_matches_vcovpl(series_ref, golden, unit_trends, case):
    out = service.interrupted_time_series(series_ref, value="value", time="time", by="unit",
                                          start={"s_a": 20, "s_b": 27}, pooled=True,
                                          unit_trends=unit_trends)
    _check_terms(out, golden, case, "all", ("level_change", "slope_change"),
                 ("estimate", "se", "p_value", "ci_high"))
    assert out["estimand_id"].tolist() == ["service.online_permit.level_change",
                                           "service.online_permit.slope_change"]
    assert (out["df"] == 41).all() and (out["n_units"] == 2).all()


def test_seasonality_driscoll_kraay_matches_vcovpl(series_ref, golden):
    out = service.seasonality(series_ref, value="value", time="month", by="unit")
    terms = [f"month_{m:02d}" for m in range(1, 13)] + ["lebaran"]
    _check_terms(out, golden, "seasonality_dk3", "all", terms, ("estimate", "se"))
    _check_terms(out, golden, "seasonality_dk3", "all", ["month_of_year"],
                 ("statistic", "p_value"))
    months = out[out["term"].str.startswith("month_0") | out["term"].str.startswith("month_1")]
    assert months["estimate"].sum() == pytest.approx(0, abs=1e-10)


# ----------------------------------------------------------------- recovery on the demo
def test_ikm_intervals_cover_the_420_demo_truths_at_about_the_nominal_rate(demo, demo_ikm):
    _, truth, _ = demo
    assert len(demo_ikm) == 420
    tv = demo_ikm["estimand_id"].map(truth)
    assert tv.notna().all()
    k = int(((demo_ikm["ci_low"] <= tv) & (tv <= demo_ikm["ci_high"])).sum())
    # Binomial band: a coverage this far from 0.95 would happen with p < 0.001.
    assert stats.binomtest(k, 420, 0.95).pvalue > 0.001, k / 420
    assert abs((demo_ikm["estimate"] - tv).mean()) < 0.3


def test_element_scores_and_weak_elements_recover_the_demo(demo):
    skm, truth, world = demo
    es = service.element_scores(skm)
    tv = es["estimand_id"].map(truth)
    k = int(((es["ci_low"] <= tv) & (tv <= es["ci_high"])).sum())
    assert stats.binomtest(k, len(es), 0.95).pvalue > 0.001
    wk = service.weakest_elements(skm)
    flagged = wk[wk["significantly_below"]]
    for unit, weak in world["weak_elements"].items():
        mine = set(flagged.loc[flagged["service_unit"] == unit, "element"])
        assert set(weak) <= mine, (unit, weak, mine)
        # The truth's lowest element is among the flagged ones.
        lowest = min(ELEMENTS, key=lambda e: truth[f"service.nrr.{unit}.{e}"])
        assert lowest in mine


def test_trend_truths_inside_their_intervals(demo, demo_ikm):
    _, truth, world = demo
    no_launch = [u for u, m in world["launch_month"].items() if m is None]
    series = demo_ikm[demo_ikm["service_unit"].isin(no_launch)]
    for res in (service.trend_test(series, value="estimate", time="wave", by="service_unit"),
                service.ols_trend(series, value="estimate", time="wave", by="service_unit")):
        assert len(res) == len(no_launch)
        for _, r in res.iterrows():
            v = truth[r["estimand_id"]]
            assert r["ci_low"] <= v <= r["ci_high"], (r["estimand_id"], v, r["estimate"])


def test_its_truths_inside_their_intervals(demo, demo_ikm):
    _, truth, world = demo
    starts = {u: m for u, m in world["launch_month"].items() if m is not None}
    assert len(starts) == 3
    per_unit = service.interrupted_time_series(demo_ikm, value="estimate", time="wave",
                                               by="service_unit", start=starts)
    controlled = service.controlled_its(demo_ikm, value="estimate", time="wave",
                                        unit="service_unit", start=world["launch_month"])
    pooled = service.interrupted_time_series(demo_ikm, value="estimate", time="wave",
                                             by="service_unit", start=world["launch_month"],
                                             pooled=True)
    checked = 0
    for res in (per_unit, controlled, pooled):
        for _, r in res.iterrows():
            if r["term"] == "trend" and res is controlled:
                continue                       # the trend of a difference series
            v = truth.get(r["estimand_id"])
            if v is None:
                continue
            checked += 1
            assert r["ci_low"] <= v <= r["ci_high"], (r["estimand_id"], v, r["estimate"])
    assert checked == 9 + 6 + 2


def test_channel_gap_recovers_the_demo_truth(demo):
    skm, truth, _ = demo
    est = service.channel_gap(skm)
    assert est.ci_low <= truth["service.channel_gap"] <= est.ci_high
    assert est.n_clusters > 30 and est.details["n_units"] == 3


def test_seasonality_finds_the_december_dip(demo_ikm):
    out = service.seasonality(demo_ikm, value="estimate", time="wave", by="service_unit")
    dec = out.set_index("term").loc["month_12"]
    assert dec["ci_high"] < 0
    assert out.set_index("term").loc["month_of_year", "p_value"] < 0.01


# -------------------------------------------------------------- refusals and bad input
def test_trend_test_refuses_short_and_tied_series():
    s = pd.DataFrame({"g": ["short"] * 6 + ["flat"] * 12 + ["tied"] * 12 + ["ok"] * 12,
                      "t": list(range(6)) + list(range(12)) * 3,
                      "y": [1.0, 2, 3, 4, 5, 6] + [80.0] * 12 + [80.0] * 10 + [81, 82]
                      + list(np.linspace(80, 85, 12))})
    out = service.trend_test(s, value="y", time="t", by="g").set_index("g")
    assert out.loc["short", "refused"].startswith("too short")
    assert out.loc["flat", "refused"].startswith("too tied")
    assert out.loc["tied", "refused"].startswith("too tied")
    assert pd.isna(out.loc["ok", "refused"])
    for g in ("short", "flat", "tied"):
        assert math.isnan(out.loc[g, "p_value"]) and math.isnan(out.loc[g, "estimate"])
    assert out.loc["ok", "p_value"] < 0.001
    assert set(service.to_estimates(out.reset_index())) == {"service.trend.ok"}
    with_na = s[s["g"] == "ok"].assign(y=lambda d: d["y"].where(d["t"] != 3))
    res = service.trend_test(with_na, value="y", time="t")
    assert res["n_obs"].iloc[0] == 11 and res["n_missing"].iloc[0] == 1


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"ci": "jackknife"}, ConfigError, "'linearization', 'bootstrap'"),
    ({"legacy_weight": 2}, ConfigError, "legacy_weight"),
    ({"confidence": 95}, ConfigError, "confidence"),
    ({"by": ("service_unit", "nope")}, InputError, "'nope' is not in the data"),
    ({"elements": ["waktu", "waktu"]}, ConfigError, "repeat"),
    ({"population": 3.5}, ConfigError, "population"),
])
def test_ikm_rejects_bad_options(skm_ref, kwargs, error, match):
    with pytest.raises(error, match=match):
        service.ikm(skm_ref, **kwargs)


def test_bad_answers_and_keys_are_input_errors(skm_ref):
    bad = skm_ref.copy()
    bad.loc[3, "waktu"] = 5
    with pytest.raises(InputError, match="codes 1-4") as err:
        service.ikm(bad)
    assert err.value.column == "waktu" and "Fix:" in str(err.value)
    labels = skm_ref.assign(sarana="Baik")
    with pytest.raises(InputError, match="numeric answer codes"):
        service.element_scores(labels)
    nokey = skm_ref.copy()
    nokey.loc[0, "wave"] = None
    with pytest.raises(InputError, match="no value in the grouping column"):
        service.ikm(nokey)
    odd = skm_ref.assign(channel=lambda d: d["channel"].replace("online", "daring"))
    with pytest.raises(InputError, match="channel other than"):
        service.channel_gap(odd)
    assert issubclass(InputError, AsnResearchError)


def test_series_functions_reject_bad_input(series_ref):
    dup = pd.concat([series_ref, series_ref.head(1)])
    with pytest.raises(InputError, match="more than one row for a period"):
        service.trend_test(dup, value="value", time="time", by="unit")
    with pytest.raises(ConfigError, match="month id"):
        service.interrupted_time_series(series_ref, value="value", time="month", by="unit",
                                        start={"s_a": 20})
    with pytest.raises(InputError, match="before and"):
        service.interrupted_time_series(series_ref, value="value", time="time", by="unit",
                                        start={"s_a": 41})
    with pytest.raises(InputError, match="month ids"):
        service.ols_trend(series_ref, value="value", time="time", seasonal=True, by="unit")
    with pytest.raises(InputError, match="no unit has a start"):
        service.interrupted_time_series(series_ref, value="value", time="time", by="unit",
                                        start={"zz": 3})
    with pytest.raises(ConfigError, match="hac_lags"):
        service.ols_trend(series_ref, value="value", time="time", by="unit", hac_lags=-1)
    with pytest.raises(InputError, match="no Idul Fitri in 2027"):
        service.month_calendar(["2027-03"])
    with pytest.raises(InputError, match="not a month id"):
        service.month_calendar(["2024-1"])
    with pytest.raises(InputError, match="comparison unit .zz. is not in the data"):
        service.controlled_its(series_ref, value="value", time="time", unit="unit",
                               start={"s_a": 20}, controls=["zz"])


def test_compare_units_needs_one_row_per_unit(demo_ikm):
    with pytest.raises(InputError, match="more than one row"):
        service.compare_units(demo_ikm)
    one = demo_ikm[demo_ikm["wave"] == "2026-06"]
    pairs = service.compare_units(one)
    assert len(pairs) == 45 and (pairs["estimate"] >= 0).all()
    assert (pairs["p_adjusted"] >= pairs["p_value"] - 1e-15).all()


# ----------------------------------------------------------------------------- invariants
def test_ikm_does_not_mutate_and_ignores_row_and_element_order(skm_ref):
    before = skm_ref.copy()
    a = service.ikm(skm_ref)
    pd.testing.assert_frame_equal(skm_ref, before)
    shuffled = skm_ref.sample(frac=1.0, random_state=np.random.RandomState(1))
    b = service.ikm(shuffled, elements=list(reversed(ELEMENTS)))
    for col in ("estimate", "se", "ikm", "ci_low"):
        np.testing.assert_allclose(a[col], b[col], rtol=1e-12)
    assert a["estimand_id"].tolist() == b["estimand_id"].tolist()


def test_bootstrap_is_seeded_and_agrees_with_linearization_in_large_samples():
    rng = np.random.default_rng(11)
    eta = rng.normal(0, 0.5, (400, 1))
    x = np.clip(np.round(3 + eta + rng.normal(0, 0.8, (400, 9))), 1, 4).astype(int)
    df = pd.DataFrame(x, columns=list(ELEMENTS)).assign(service_unit="u", wave="w")
    lin = service.ikm(df).iloc[0]
    b1 = service.ikm(df, ci="bootstrap", seed=5, n_boot=500).iloc[0]
    b2 = service.ikm(df, ci="bootstrap", seed=5, n_boot=500).iloc[0]
    assert b1["ci_low"] == b2["ci_low"] and b1["se"] == b2["se"]
    assert b1["se"] == pytest.approx(lin["se"], rel=0.1)
    assert b1["ci_low"] == pytest.approx(lin["ci_low"], abs=0.5)
    assert "bootstrap" in b1["method"]


def test_holiday_calendar_matches_the_simulator_and_is_extendable():
    cal = service.holiday_calendar()
    assert cal["lebaran_month"].tolist() == ["2023-04", "2024-04", "2025-03", "2026-03"]
    assert cal["idul_fitri"].dt.strftime("%Y-%m-%d").tolist() == [
        "2023-04-22", "2024-04-10", "2025-03-31", "2026-03-21"]
    more = pd.concat([cal, pd.DataFrame({"hijri_year": [1448], "ramadan_start": ["2027-02-08"],
                                         "idul_fitri": ["2027-03-10"]})], ignore_index=True)
    m = service.month_calendar(["2027-02", "2027-03"], calendar=more)
    assert m["lebaran"].tolist() == [0, 1]
    assert m["ramadan_share"].iloc[0] == pytest.approx(21 / 28)
    months = service.month_calendar(MONTHS)
    assert months["lebaran"].sum() == 4 and (np.diff(months["period"]) == 1).all()


def test_estimand_ids_and_findings(demo_ikm):
    ids = demo_ikm["estimand_id"]
    assert ids.str.fullmatch(r"service\.ikm\.[a-z_]+\.\d{4}-\d{2}").all()
    found = service.to_estimates(demo_ikm)
    assert len(found) == 420
    one = found["service.ikm.bapenda_pbb.2024-03"]
    assert isinstance(one, Estimate) and one.n_obs > 0 and one.ci_low < one.estimate
    with pytest.raises(InputError, match="more than one row"):
        service.to_estimates(pd.concat([demo_ikm.head(2), demo_ikm.head(1)]))


def test_grades_of_interval_ends(demo_ikm):
    lows = service.classify_ikm(np.clip(demo_ikm["ci_low"], 25, 100))["grade"]
    assert (lows.to_numpy() == demo_ikm["grade_ci_low"].to_numpy()).all()
    # Grades run A (best) to D, so the lower end never has a better grade than the value.
    assert (demo_ikm["grade_ci_low"] >= demo_ikm["grade"]).all()
    assert (demo_ikm["grade_ci_high"] <= demo_ikm["grade"]).all()


def test_plots_draw_and_skip_suppressed_rows(demo, demo_ikm):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    one = demo_ikm[demo_ikm["wave"] == "2025-01"].assign(suppressed=False)
    one.loc[one.index[0], "suppressed"] = True
    ax = service.plot_ikm_ranking(one)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 9 and one["service_unit"].iloc[0] not in labels
    plt.close(ax.figure)
    starts = {u: m for u, m in demo[2]["launch_month"].items() if m is not None}
    unit = sorted(starts)[0]
    fit = service.interrupted_time_series(demo_ikm, value="estimate", time="wave",
                                          by="service_unit", start=starts)
    ax = service.plot_its(demo_ikm, fit, value="estimate", time="wave", by="service_unit",
                          unit=unit)
    assert len(ax.lines) == 5
    plt.close(ax.figure)
    with pytest.raises(InputError, match="no per-unit ITS fit"):
        service.plot_its(demo_ikm, fit, value="estimate", time="wave", by="service_unit",
                         unit="rsud_rawat_jalan")
