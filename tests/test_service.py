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
def demo(skm_waves, demo_store):
    """The SKM months of the session's demo store (seed 2026, size small) with the truth.

    The stored rows (messy rows quarantined at ingest) against ``truth.json``, whose values
    are computed over every simulated row: the shared store costs nothing extra here.
    """
    truth = {k: v["value"] for k, v in demo_store.truth["estimands"].items()}
    return skm_waves.frame, truth, demo_store.truth["parameters"]["service"]


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


# ------------------------------------------------- classical and "max" SEs against R goldens
def test_classical_and_max_se_match_r(series_ref, golden):
    starts = {"s_a": 20, "s_b": 27}
    classical = service.interrupted_time_series(series_ref, value="value", time="time",
                                                by="unit", start=starts, se="classical")
    months = {"s_a": MONTHS[19], "s_b": MONTHS[26]}
    biggest = service.interrupted_time_series(series_ref, value="value", time="month",
                                              by="unit", start=months, seasonal=True,
                                              **service.REPORT_SE)
    ctl = service.controlled_its(series_ref, value="value", time="time", unit="unit",
                                 start={**starts, "s_c": None}, **service.REPORT_SE)
    stats_ = ("estimate", "se", "p_value", "ci_low", "ci_high")
    for unit in starts:
        _check_terms(classical[classical["unit"] == unit], golden, "its_classical", unit,
                     ITS_TERMS, stats_)
        _check_terms(biggest[biggest["unit"] == unit], golden, "its_max_seasonal", unit,
                     ITS_TERMS, stats_)
        _check_terms(ctl[ctl["unit"] == unit], golden, "controlled_its_max", unit, ITS_TERMS,
                     stats_)
    trend = service.ols_trend(series_ref[series_ref["unit"].isin(["s_c", "s_d"])],
                              value="value", time="month", by="unit", seasonal=True,
                              **service.REPORT_SE)
    for unit in ("s_c", "s_d"):
        _check_terms(trend[trend["unit"] == unit], golden, "trend_max_seasonal", unit,
                     ("trend",), stats_)
    pooled = service.interrupted_time_series(series_ref, value="value", time="month",
                                             by="unit", start=months, pooled=True,
                                             seasonal=True, **service.REPORT_SE)
    _check_terms(pooled, golden, "pooled_its_max_seasonal", "all",
                 ("level_change", "slope_change"), ("estimate", "se", "p_value", "ci_high"))
    assert "larger of the classical OLS SE" in biggest["method"].iloc[0]
    assert classical["method"].iloc[0].startswith("segmented OLS") \
        and "classical OLS SE" in classical["method"].iloc[0]


def test_max_se_is_the_larger_of_the_two_per_coefficient(series_ref):
    kw = dict(value="value", time="time", by="unit", start={"s_a": 20}, small_sample=True)
    a = service.interrupted_time_series(series_ref, se="classical", **kw)
    b = service.interrupted_time_series(series_ref, se="hac", **kw)
    m = service.interrupted_time_series(series_ref, se="max", **kw)
    np.testing.assert_allclose(m["se"], np.maximum(a["se"], b["se"]), rtol=1e-12)
    np.testing.assert_allclose(m["estimate"], a["estimate"], rtol=1e-12)
    assert (m["ci_high"] - m["ci_low"] >= a["ci_high"] - a["ci_low"] - 1e-12).all()
    with pytest.raises(ConfigError, match="'hac', 'classical', 'max'"):
        service.ols_trend(series_ref, value="value", time="time", by="unit", se="robust")


def test_seasonal_terms_in_two_years_are_refused_as_rank_deficient():
    months = [f"{2024 + m // 12}-{m % 12 + 1:02d}" for m in range(24)]
    t = np.arange(24)
    s = pd.DataFrame({"m": months, "y": 80 + 0.1 * t + 2.0 * (t >= 12) + np.tile([0.3, -0.3], 12)})
    with pytest.raises(InputError, match="rank-deficient") as err:
        service.interrupted_time_series(s, value="y", time="m", start="2025-01", seasonal=True)
    assert "seasonal=False" in str(err.value)


# ----------------------------------------------------------------- the log of service changes
LOG_OK = """# comment
interventions:
  - {id: online_permit, unit: bapenda_pbb, start: '2024-11',
     label: {id: 'Layanan izin daring', en: 'Online permit applications'}}
  - {id: online_permit, unit: disdukcapil_ktp_kk, start: '2024-09'}
  - id: queue_system
    unit: rsud_rawat_jalan
    start: '2025-02'
    label: Antrean daring
    note: pilot
"""


def _write(tmp_path, text, name="interventions.yaml"):
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_read_interventions_reads_the_log(tmp_path):
    log = service.read_interventions(_write(tmp_path, LOG_OK))
    assert list(log.columns) == ["intervention", "unit", "start", "label_id", "label_en",
                                 "note"]
    assert log[["intervention", "unit", "start"]].values.tolist() == [
        ["online_permit", "disdukcapil_ktp_kk", "2024-09"],
        ["online_permit", "bapenda_pbb", "2024-11"],
        ["queue_system", "rsud_rawat_jalan", "2025-02"]]
    row = log.set_index("unit").loc["bapenda_pbb"]
    assert (row["label_id"], row["label_en"]) == ("Layanan izin daring",
                                                  "Online permit applications")
    assert log.set_index("unit").loc["disdukcapil_ktp_kk", "label_en"] == "online_permit"
    assert log.set_index("unit").loc["rsud_rawat_jalan", "note"] == "pilot"
    # the file itself may be given; an absent or empty log is an empty frame
    assert len(service.read_interventions(tmp_path / "interventions.yaml")) == 3
    empty = service.read_interventions(tmp_path / "nowhere")
    assert empty.empty and list(empty.columns) == list(log.columns)
    assert service.read_interventions(_write(tmp_path, "interventions: []\n")).empty
    assert service.read_interventions(_write(tmp_path, "")).empty


def test_read_interventions_matches_the_demo_stores_log(demo_store):
    log = service.read_interventions(demo_store.store)
    launches = demo_store.truth["parameters"]["service"]["launch_month"]
    assert dict(zip(log["unit"], log["start"], strict=True)) == {
        u: m for u, m in launches.items() if m}
    assert set(log["intervention"]) == {"online_permit"}


@pytest.mark.parametrize(("text", "match", "row"), [
    ("interventions: [\n", "not valid YAML", 2),
    ("changes:\n  - {id: a, unit: u, start: '2024-01'}\n", "exactly one key", None),
    ("interventions: {id: a}\n", "must be a list", None),
    ("interventions:\n  - online_permit\n", "not a mapping", 2),
    ("interventions:\n  - {id: a, unit: u}\n", "has no 'start'", 2),
    ("interventions:\n  - {id: a, unit: u, start: '2024-01', when: x}\n", "unknown key 'when'",
     2),
    ("interventions:\n  - {id: a, unit: u, start: 2024-09-15}\n", "the date 2024-09-15", 2),
    ("interventions:\n  - {id: a, unit: u, start: '2024-13'}\n", "month 'YYYY-MM'", 2),
    ("interventions:\n  - {id: Online Permit, unit: u, start: '2024-01'}\n",
     "not a lowercase identifier", 2),
    ("interventions:\n  - {id: a, unit: u, start: '2024-01', label: [x]}\n", "label must be", 2),
    ("interventions:\n  - {id: a, unit: u, start: '2024-01'}\n"
     "  - {id: a, unit: u, start: '2024-05'}\n", "repeats the change", 3),
])
def test_read_interventions_refuses_a_malformed_log(tmp_path, text, match, row):
    with pytest.raises(InputError, match=match) as err:
        service.read_interventions(_write(tmp_path, text))
    assert err.value.file.endswith("interventions.yaml") and err.value.fix
    assert err.value.row == row
    assert "Fix:" in str(err.value)


def test_read_service_users_and_the_sample_size_check(tmp_path):
    _write(tmp_path, "service_users:\n  - {unit: unit, period: '2024-01', users: 50}\n"
                     "  - {unit: unit, period: 2024, users: 600}\n", name="service_users.yaml")
    users = service.read_service_users(tmp_path)
    assert users.values.tolist() == [["unit", "2024", 600], ["unit", "2024-01", 50]]
    pop = service.population_map(users)
    df = _frame_from_totals([36] * 9, 10)
    out = service.ikm(df, population=pop)
    assert out["required_n"].iloc[0] == 44 and not bool(out["meets_sample_size"].iloc[0])
    year = service.period_ikm(df, period="year", population=pop)
    assert year["required_n"].iloc[0] == 234
    assert service.read_service_users(tmp_path / "none").empty
    for text, match in (("service_users:\n  - {unit: u, period: '2024-7', users: 5}\n",
                         "period must be"),
                        ("service_users:\n  - {unit: u, period: '2024', users: 0}\n",
                         "positive whole number"),
                        ("service_users:\n  - {unit: u, period: '2024', users: 5}\n"
                         "  - {unit: u, period: '2024', users: 6}\n", "repeats"),
                        ("users: []\n", "exactly one key")):
        _write(tmp_path, text, name="service_users.yaml")
        with pytest.raises(InputError, match=match) as err:
            service.read_service_users(tmp_path)
        assert err.value.file.endswith("service_users.yaml")


# ------------------------------------------------------------------------- the ITS plan
def _month_table(units, n=42, first=2023):
    months = [f"{first + m // 12}-{m % 12 + 1:02d}" for m in range(n)]
    return pd.DataFrame({"service_unit": np.repeat(units, n), "wave": months * len(units)})


def _log(rows):
    return pd.DataFrame([{"intervention": i, "unit": u, "start": s, "label_id": i,
                          "label_en": i, "note": None} for i, u, s in rows],
                        columns=["intervention", "unit", "start", "label_id", "label_en",
                                 "note"])


def test_its_plan_sorts_units_into_roles():
    tab = _month_table(["a", "b", "c", "d", "e", "f"])
    log = _log([("online_permit", "a", "2024-07"), ("online_permit", "b", "2026-05"),
                ("online_permit", "c", "2027-01"), ("online_permit", "zz", "2024-01"),
                ("queue_system", "d", "2025-01"), ("queue_system", "a", "2025-03"),
                ("queue_system", "e", "2021-01")])
    plan = service.its_plan(tab, log).set_index("service_unit")
    assert plan.loc["a", "role"] == "treated" and "queue_system" in plan.loc["a", "reason"]
    assert (plan.loc["a", "n_pre"], plan.loc["a", "n_post"]) == (18, 24)
    assert plan.loc["b", "role"] == "excluded" and "only 2 months" in plan.loc["b", "reason"]
    assert plan.loc["c", "role"] == "comparison" and "after the last month" in plan.loc["c",
                                                                                         "reason"]
    assert plan.loc["zz", "role"] == "excluded" and "no SKM results" in plan.loc["zz", "reason"]
    assert plan.loc["d", "role"] == "excluded" and "not a clean comparison" in plan.loc["d",
                                                                                       "reason"]
    assert plan.loc["d", "start"] == "2025-01" and plan.loc["d", "intervention"] == "queue_system"
    assert plan.loc["e", "role"] == "comparison"       # its change predates the data
    assert plan.loc["f", "role"] == "comparison" and pd.isna(plan.loc["f", "reason"])
    assert list(service.its_plan(tab, log)["role"]) == sorted(
        plan["role"], key=["treated", "comparison", "excluded"].index)
    empty = service.its_plan(tab, service.read_interventions("no-such-store"))
    assert set(empty["role"]) == {"comparison"}
    with pytest.raises(InputError, match="not a month id"):
        service.its_plan(tab.assign(wave=1), log)


# ---------------------------------------------------- the report's tables on the demo store
@pytest.fixture(scope="module")
def demo_plan(demo, demo_ikm, demo_store):
    return service.its_plan(demo_ikm, service.read_interventions(demo_store.store))


def test_report_trends_and_its_cover_the_demo_truths(demo, demo_ikm, demo_plan):
    _, truth, world = demo
    assert set(demo_plan.loc[demo_plan["role"] == "treated", "service_unit"]) == {
        u for u, m in world["launch_month"].items() if m}
    trends = service.trend_summary(demo_ikm, demo_plan)
    assert len(trends) == 10 and trends["refused"].isna().all() and trends["seasonal"].all()
    assert set(trends.loc[trends["role"] == "treated", "basis"]) == {"its_pre_trend"}
    its = service.its_summary(demo_ikm, demo_plan)
    registered = pd.concat([trends, its[its["estimand_id"].notna()]])
    assert len(registered) == 10 + 3 * 2 + 2
    for _, r in registered.iterrows():
        v = truth[r["estimand_id"]]
        assert r["ci_low"] <= v <= r["ci_high"], (r["estimand_id"], v, r["estimate"])
    ctl = its[(its["model"] == "controlled") & its["term"].isin(["level_change",
                                                                   "slope_change"])]
    assert len(ctl) == 6 and ctl["estimand_id"].isna().all() and (ctl["n_controls"] == 7).all()
    for _, r in ctl.iterrows():
        v = truth[f"service.online_permit.{r['term']}.{r['service_unit']}"]
        assert r["ci_low"] <= v <= r["ci_high"]
    assert (its["n_respondents"] > 1000).all()


def test_report_tables_are_the_documented_calls(demo_ikm, demo_plan):
    """The summaries are thin: the same numbers as the public functions with REPORT_SE."""
    starts = dict(demo_plan.loc[demo_plan["role"] == "treated", ["service_unit",
                                                                 "start"]].values)
    its = service.its_summary(demo_ikm, demo_plan)
    direct = service.interrupted_time_series(
        demo_ikm[demo_ikm["service_unit"].isin(list(starts))], value="estimate", time="wave",
        by="service_unit", start=starts, seasonal=True, **service.REPORT_SE)
    per = its[its["model"] == "per_unit"].reset_index(drop=True)
    np.testing.assert_allclose(per["ci_low"], direct["ci_low"], rtol=1e-12)
    default = service.interrupted_time_series(
        demo_ikm[demo_ikm["service_unit"].isin(list(starts))], value="estimate", time="wave",
        by="service_unit", start=starts)
    np.testing.assert_allclose(per["default_ci_high"], default["ci_high"], rtol=1e-12)
    assert (per["default_method"].str.contains("no small-sample factor")).all()
    trends = service.trend_summary(demo_ikm, demo_plan).set_index("service_unit")
    pre = per[per["term"] == "trend"].set_index("service_unit")
    np.testing.assert_allclose(trends.loc[pre.index, "estimate"], pre["estimate"], rtol=1e-12)
    no_change = demo_ikm[demo_ikm["service_unit"] == "rsud_rawat_jalan"]
    ols = service.ols_trend(no_change, value="estimate", time="wave", by="service_unit",
                            seasonal=True, **service.REPORT_SE)
    assert trends.loc["rsud_rawat_jalan", "se"] == pytest.approx(ols["se"].iloc[0], rel=1e-12)
    sen = service.trend_test(no_change, value="estimate", time="wave", by="service_unit")
    assert trends.loc["rsud_rawat_jalan", "sen_estimate"] == pytest.approx(
        sen["estimate"].iloc[0], rel=1e-12)


def test_its_summary_without_a_launch_and_short_series(demo_ikm):
    plan = service.its_plan(demo_ikm, service.read_interventions("no-such-store"))
    assert service.its_summary(demo_ikm, plan).empty
    early = demo_ikm[demo_ikm["wave"] <= "2023-06"]
    trends = service.trend_summary(early, service.its_plan(early, _log([])))
    assert (~trends["seasonal"]).all()
    assert trends["mk_refused"].str.startswith("too short").all()
    assert trends["refused"].isna().all()                 # the OLS slope is still fitted


def test_period_ikm_pools_the_respondents_of_the_period(demo):
    skm = demo[0]
    sem = service.period_ikm(skm, period="semester")
    assert set(sem["semester"]) == {f"{y}-{h}" for y in (2023, 2024, 2025) for h in (1, 2)} \
        | {"2026-1"}
    assert sem["complete"].all() and sem["estimand_id"].isna().all()
    one = skm[(skm["service_unit"] == "bapenda_pbb") & skm["wave"].between("2025-01",
                                                                           "2025-06")]
    direct = service.ikm(one, by=("service_unit",)).iloc[0]
    row = sem[(sem["service_unit"] == "bapenda_pbb") & (sem["semester"] == "2025-1")].iloc[0]
    assert row["ikm"] == direct["ikm"] and row["se"] == pytest.approx(direct["se"], rel=1e-12)
    year = service.period_ikm(skm, period="year")
    assert not year.loc[year["year"] == "2026", "complete"].any()
    assert (year.loc[year["year"] == "2026", "n_months"] == 6).all()
    quarter = service.period_ikm(skm, period="quarter")
    assert quarter["quarter"].str.fullmatch(r"\d{4}-Q[1-4]").all()
    with pytest.raises(ConfigError, match="'semester', 'quarter', 'year'"):
        service.period_ikm(skm, period="month")


def test_channel_summary_agrees_with_channel_gap_and_refuses_without_online(demo):
    skm = demo[0]
    tab = service.channel_summary(skm)
    est = service.channel_gap(skm)
    assert tab["estimand_id"].tolist()[0] == "service.channel_gap"
    assert tab["estimate"].iloc[0] == est.estimate and tab["n_obs"].iloc[0] == est.n_obs
    per_unit = est.details["by_unit"].set_index("service_unit")
    for _, r in tab.iloc[1:].iterrows():
        assert r["estimate"] == pytest.approx(per_unit.loc[r["service_unit"], "estimate"],
                                              rel=1e-12)
        assert r["se"] == pytest.approx(per_unit.loc[r["service_unit"], "se"], rel=1e-12)
    walk = skm[skm["channel"] == "walk_in"]
    refused = service.channel_summary(walk)
    assert len(refused) == 1 and refused["refused"].iloc[0].startswith("no unit-month")
    assert service.to_estimates(refused.dropna(subset=["estimate"])) == {}


def test_ikm_findings_carry_their_grade(demo_ikm):
    from asn_research.evidence import make_record

    est = service.to_estimates(demo_ikm)["service.ikm.bapenda_pbb.2024-03"]
    row = demo_ikm.set_index("estimand_id").loc["service.ikm.bapenda_pbb.2024-03"]
    assert est.details["grade"] == row["grade"]
    assert est.details["category_id"] == service.PERFORMANCE_LABELS[row["performance"]]["id"]
    rec = make_record("service.ikm.bapenda_pbb.2024-03", est, edition="2026-1", report="x")
    assert f"mutu {row['grade']}" in rec.statement_id and "grade" in rec.statement_en


def test_labels_for_reports():
    names = service.unit_labels("id")
    assert len(names) == 10 and names["rsud_rawat_jalan"] == "RSUD — Rawat Jalan"
    tab = pd.DataFrame({"service_unit": ["rsud_rawat_jalan", None], "element": ["waktu", "x"],
                        "model": ["pooled", "per_unit"], "performance": ["baik", None]})
    out = service.add_labels(tab, lang="en")
    assert out["unit_label"].tolist() == ["City hospital — Outpatient care", "all units"]
    assert out["element_label"].tolist() == ["Completion time", "x"]
    assert out["element_short"].tolist() == ["U3 Time", "x"]
    assert out["performance_label"].tolist()[0] == "Good"
    assert "unit_label" not in tab.columns                 # a copy
    labels = service.column_labels("id")
    assert labels["nrr_sarana"] == "U9 Sarana" and labels["ci_low"] == "IK 95% bawah"
    with pytest.raises(ConfigError, match="'id', 'en'"):
        service.column_labels("fr")


def test_interval_coverage_is_the_benchmark_result():
    import json

    path = Path(__file__).parents[1] / "benchmarks" / "results" / "coverage_service.json"
    quantities = json.loads(path.read_text())["quantities"]
    tab = service.interval_coverage()
    assert len(tab) >= 10 and tab["registered"].sum() >= 7
    for _, r in tab.iterrows():
        q = quantities[r["source"]]
        assert (q["n_intervals"], q["n_covered"]) == (r["n_intervals"], r["n_covered"])
    # no interval the report registers covers clearly less than 95 % (within half a point;
    # the pooled slope change is conservative, 98.5 %); the per-unit HAC defaults do
    for _, r in tab[tab["registered"]].iterrows():
        assert r["coverage_ci_high"] >= 0.945, r["source"]
    default = tab[(tab["interval"] == "default_hac")
                  & tab["quantity"].isin(["level_change", "slope_change", "trend_launch_units"])]
    assert len(default) == 3 and (default["coverage_ci_high"] < 0.945).all()


def test_new_plots_draw(demo, demo_ikm, demo_plan):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scores = service.element_scores(demo[0]).assign(suppressed=False)
    scores.loc[scores.index[0], "suppressed"] = True
    ax = service.plot_element_heatmap(scores, lang="id")
    assert len(ax.texts) == len(scores) - 1
    plt.close(ax.figure)
    season = service.seasonality(demo_ikm, value="estimate", time="wave", by="service_unit")
    ax = service.plot_seasonality(season, lang="id")
    assert [t.get_text() for t in ax.get_xticklabels()][4] == "Mei"
    plt.close(ax.figure)
    its = service.its_summary(demo_ikm, demo_plan)
    unit = demo_plan.loc[demo_plan["role"] == "treated", "service_unit"].iloc[0]
    ax = service.plot_its(demo_ikm, its, value="estimate", time="wave", by="service_unit",
                          unit=unit, lang="id")
    assert len(ax.lines) == 5 and len(ax.collections) == 1           # + the monthly CIs
    assert ax.get_legend().get_texts()[0].get_text().startswith("teramati")
    plt.close(ax.figure)
