"""Tests of asn_research.scales: scoring rules, reliability against psych, tables, errors.

Golden values come from R (psych 2.2.9) via tests/reference/scales/psych_alpha.R,
psych_omega.R and wilson_ci.R on the synthetic data sets likert6.csv, weak7.csv,
missing5.csv and heywood3.csv; see tests/reference/scales/PROVENANCE.md.
All data here are synthetic.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asn_research import instruments, scales
from asn_research.errors import ConfigError, InputError

# Alpha, std. alpha, r.drop and alpha-if-dropped are the same closed-form expressions of
# one covariance matrix in R and here; only floating-point summation order differs.
ABS_TOL_CLOSED_FORM = 1e-10
# The Feldt bounds use F quantiles: R's qf and scipy's f.ppf are different algorithms,
# each accurate to about 1e-12 relative; 1e-9 leaves room and still catches any df error
# (a df off by one moves the 95 % bounds of this data by more than 1e-4).
ABS_TOL_F_QUANTILE = 1e-9
# Two computations of the same value with reordered summation (item-order invariance).
ABS_TOL_REORDER = 1e-12
# Omega and loadings come from an iterative fit (psych's L-BFGS-B, reproduced with the same
# start, bounds and settings): the project's tolerance for iterative fits. Observed: ~1e-13,
# because scipy's L-BFGS-B follows R's optim step by step when no bound is active.
REL_TOL_ITERATIVE = 1e-6
# psych's optim stops when f changes by < factr * eps = 2.2e-9, which leaves its loadings
# up to ~7e-6 from the exact minres optimum on these data sets (a wrong objective, e.g.
# fitting the diagonal too, moves them by > 1e-3).
ABS_TOL_PSYCH_STOP = 2e-5
# At a Heywood case (a uniqueness on psych's 0.005 bound) the point where L-BFGS-B stops
# depends on its subspace step, which differs between R's L-BFGS-B 2.3 and scipy's 3.0
# port; observed differences 5e-4 (loadings) and 1.4e-4 (omega).
ABS_TOL_HEYWOOD = 2e-3
# Wilson bounds: closed form; NormalDist.inv_cdf and R's qnorm agree to ~1e-16.
ABS_TOL_WILSON = 1e-12
# Sampling tolerances of the known-loadings recovery test (n = 3000): the SD of the omega
# estimate is ~0.006 there (Monte Carlo: 0.016 at n = 400), of a loading ~0.015.
ABS_TOL_OMEGA_RECOVERY = 0.015
ABS_TOL_LOADING_RECOVERY = 0.05

REFERENCE = Path(__file__).parent / "reference" / "scales"
ITEMS = ("q1", "q2", "q3", "q4", "q5", "q6")
REVERSE = ("q4",)


@pytest.fixture(scope="module")
def likert6() -> pd.DataFrame:
    """The synthetic 200 x 6 data set (1-5 codes, q4 reverse-keyed, ~6 % NA)."""
    return pd.read_csv(REFERENCE / "likert6.csv", na_values=["NA"]).astype("Int64")


@pytest.fixture(scope="module")
def golden() -> pd.DataFrame:
    g = pd.read_csv(REFERENCE / "psych_alpha_golden.csv", keep_default_na=False)
    g["value"] = g["value"].astype(float)
    return g


def _golden(golden: pd.DataFrame, case: str, statistic: str, item: str = "", conf: str = ""):
    sel = golden[
        (golden["case"] == case)
        & (golden["statistic"] == statistic)
        & (golden["item"] == item)
        & (golden["confidence"].astype(str) == conf)
    ]
    assert len(sel) == 1, (case, statistic, item, conf)
    return float(sel["value"].iloc[0])


@pytest.fixture(scope="module")
def merit() -> instruments.Instrument:
    return instruments.load_instrument("merit")


# --------------------------------------------------------------------------- against R


@pytest.mark.parametrize("case", ["listwise", "pairwise"])
def test_reliability_matches_psych_alpha(likert6, golden, case):
    res = scales.reliability(
        likert6, items=ITEMS, reverse=REVERSE, minimum=1, maximum=5, nan_policy=case
    )
    assert res.n_obs == _golden(golden, case, "n_obs")
    assert res.k_items == 6
    assert res.estimate == pytest.approx(
        _golden(golden, case, "raw_alpha"), abs=ABS_TOL_CLOSED_FORM
    )
    assert res.std_alpha == pytest.approx(
        _golden(golden, case, "std.alpha"), abs=ABS_TOL_CLOSED_FORM
    )
    it = res.item_total.set_index("item")
    assert list(it.index) == list(ITEMS)
    for item in ITEMS:
        assert it.loc[item, "r_drop"] == pytest.approx(
            _golden(golden, case, "r.drop", item), abs=ABS_TOL_CLOSED_FORM
        ), item
        assert it.loc[item, "alpha_if_dropped"] == pytest.approx(
            _golden(golden, case, "alpha_if_dropped", item), abs=ABS_TOL_CLOSED_FORM
        ), item


@pytest.mark.parametrize("case", ["listwise", "pairwise"])
@pytest.mark.parametrize("confidence", [0.95, 0.90])
def test_feldt_interval_matches_psych_alpha_ci(likert6, golden, case, confidence):
    res = scales.reliability(
        likert6,
        items=ITEMS,
        reverse=REVERSE,
        minimum=1,
        maximum=5,
        nan_policy=case,
        confidence=confidence,
    )
    conf = str(confidence)
    assert res.confidence == confidence
    assert res.ci_low == pytest.approx(
        _golden(golden, case, "feldt_lower", conf=conf), abs=ABS_TOL_F_QUANTILE
    )
    assert res.ci_high == pytest.approx(
        _golden(golden, case, "feldt_upper", conf=conf), abs=ABS_TOL_F_QUANTILE
    )
    assert res.ci_low < res.estimate < res.ci_high


def test_listwise_and_pairwise_differ_on_data_with_missing(likert6):
    # Guards against nan_policy being ignored (the golden values differ by ~0.004).
    kw = dict(items=ITEMS, reverse=REVERSE, minimum=1, maximum=5)
    lw = scales.reliability(likert6, nan_policy="listwise", **kw)
    pw = scales.reliability(likert6, nan_policy="pairwise", **kw)
    assert lw.n_obs == 140 and pw.n_obs == 200
    assert abs(lw.estimate - pw.estimate) > 1e-3
    assert "listwise" in lw.method and "pairwise" in pw.method


def test_reverse_key_matters_for_alpha(likert6):
    # Without reversing q4 alpha must drop sharply and q4's r_drop turn negative.
    res = scales.reliability(likert6, items=ITEMS, minimum=1, maximum=5)
    assert res.estimate < 0.6
    assert res.item_total.set_index("item").loc["q4", "r_drop"] < 0


# --------------------------------------------------------------------------- invariants


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(
    bounds=st.sampled_from([(1, 4), (1, 5), (1, 6), (0, 10)]),
    data=st.data(),
)
def test_reverse_code_twice_is_identity(bounds, data):
    lo, hi = bounds
    values = data.draw(st.lists(st.one_of(st.none(), st.integers(lo, hi)), max_size=30))
    s = pd.Series(values, dtype="Int64", name="item")
    once = scales.reverse_code(s, minimum=lo, maximum=hi)
    twice = scales.reverse_code(once, minimum=lo, maximum=hi)
    pd.testing.assert_series_equal(twice, s)
    answered = s.notna()
    assert (once[answered] == (lo + hi) - s[answered]).all()
    assert once.isna().equals(s.isna())


def test_reverse_code_values_dtype_and_no_mutation():
    s = pd.Series([1, 2, None, 6], dtype="Int8", index=["k1", "k2", "k3", "k4"], name="x")
    before = s.copy()
    out = scales.reverse_code(s, minimum=1, maximum=6)
    assert out.tolist() == [6, 5, pd.NA, 1]
    assert out.dtype == "Int8" and out.name == "x" and list(out.index) == list(s.index)
    pd.testing.assert_series_equal(s, before)


def test_alpha_does_not_depend_on_item_order(likert6):
    kw = dict(reverse=REVERSE, minimum=1, maximum=5, nan_policy="pairwise")
    ref = scales.reliability(likert6, items=ITEMS, **kw)
    order = ["q5", "q4", "q1", "q6", "q3", "q2"]
    shuffled = scales.reliability(likert6[order[::-1]], items=order, **kw)
    assert shuffled.estimate == pytest.approx(ref.estimate, abs=ABS_TOL_REORDER)
    assert shuffled.std_alpha == pytest.approx(ref.std_alpha, abs=ABS_TOL_REORDER)
    assert (shuffled.ci_low, shuffled.ci_high) == pytest.approx(
        (ref.ci_low, ref.ci_high), abs=ABS_TOL_REORDER
    )
    assert list(shuffled.item_total["item"]) == order
    pd.testing.assert_frame_equal(
        shuffled.item_total.set_index("item").loc[list(ITEMS)],
        ref.item_total.set_index("item"),
        atol=ABS_TOL_REORDER,
        rtol=0,
    )


def test_perfectly_consistent_responses_give_alpha_one():
    base = pd.Series([1, 2, 3, 4, 5, 3, 2, 4], dtype="Int64")
    df = pd.DataFrame({"a": base, "b": base, "c": base, "d": 6 - base})  # d mirrors, reversed
    res = scales.reliability(df, items=["a", "b", "c", "d"], reverse=["d"], minimum=1, maximum=5)
    assert res.estimate == pytest.approx(1.0, abs=1e-12)
    assert res.std_alpha == pytest.approx(1.0, abs=1e-12)
    assert (res.ci_low, res.ci_high) == pytest.approx((1.0, 1.0), abs=1e-12)
    np.testing.assert_allclose(res.item_total["r_drop"], 1.0, atol=1e-12)
    np.testing.assert_allclose(res.item_total["alpha_if_dropped"], 1.0, atol=1e-12)


def test_two_items_alpha_if_dropped_is_undefined():
    df = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 2, 4, 5]}, dtype="Int64")
    res = scales.reliability(df, items=["a", "b"], minimum=1, maximum=5)
    # alpha of 2 items = 2 * 2cov / (var_a + var_b + 2cov); cov=11/6, var_a=5/3, var_b=9/4
    cov, var_a, var_b = 11 / 6, 5 / 3, 9 / 4
    assert res.estimate == pytest.approx(2 * 2 * cov / (var_a + var_b + 2 * cov), abs=1e-12)
    assert res.item_total["alpha_if_dropped"].isna().all()


# --------------------------------------------------------------------------- scoring rules


def test_min_answered_boundary():
    df = pd.DataFrame(
        {
            "a": [2, 2, pd.NA, 1],
            "b": [3, pd.NA, pd.NA, 1],
            "c": [4, 4, 4, 1],
            "d": [5, 5, 5, pd.NA],
        },
        dtype="Int64",
    )
    items = ["a", "b", "c", "d"]
    strict = scales.score_scale(df, items=items, minimum=1, maximum=5, min_answered=4)
    assert strict.dtype == "Float64"
    assert strict.iloc[0] == 3.5
    assert strict.iloc[1:].isna().all()  # k-1 answered -> NA when min_answered = k
    loose = scales.score_scale(df, items=items, minimum=1, maximum=5, min_answered=3)
    assert loose.iloc[0] == 3.5
    assert loose.iloc[1] == pytest.approx(11 / 3)
    assert pd.isna(loose.iloc[2])  # 2 answered < 3
    assert loose.iloc[3] == 1.0


def test_sum_is_prorated_and_reverse_applied():
    df = pd.DataFrame({"a": [4, 4], "b": [pd.NA, 1], "c": [2, 2]}, dtype="Int64")
    kw = dict(items=["a", "b", "c"], reverse=["b"], minimum=1, maximum=5, min_answered=2)
    mean = scales.score_scale(df, **kw)
    total = scales.score_scale(df, method="sum", **kw)
    assert mean.tolist() == [3.0, pytest.approx(11 / 3)]  # b=1 reversed to 5
    assert total.tolist() == [9.0, 11.0]  # 3 * mean: a missing item does not lower the sum


def test_score_scale_keeps_index_and_does_not_mutate():
    df = pd.DataFrame({"a": [1, 5], "b": [2, 4]}, dtype="Int8", index=["key-a", "key-b"])
    before = df.copy()
    out = scales.score_scale(
        df, items=["a", "b"], reverse=["b"], minimum=1, maximum=5, min_answered=2
    )
    assert list(out.index) == ["key-a", "key-b"]
    assert out.tolist() == [2.5, 3.5]
    pd.testing.assert_frame_equal(df, before)


def _merit_frame(merit: instruments.Instrument) -> pd.DataFrame:
    NA = pd.NA
    items = [i for s in merit.scales if not s.subscales for i in s.items]
    rows = {
        # row 1: everything answered; each reverse-keyed item set apart from the rest
        "r1": dict.fromkeys(items, 4)
        | {"rtc_rs_2": 1, "rtc_cr_4": 6}
        | {"pat_1": 2, "pat_2": 2, "pat_3": 2, "pat_4": 2, "pat_5": 5}
        | {"sup_1": 5, "sup_2": 5, "sup_3": 4, "sup_4": 4, "sup_5": 1},
        # row 2: routine seeking 3/5 answered (< 4), composite 14/17 (= min 14)
        "r2": {
            "rtc_rs_1": NA,
            "rtc_rs_2": NA,
            "rtc_rs_3": 2,
            "rtc_rs_4": 3,
            "rtc_rs_5": 1,
            "rtc_er_1": 6,
            "rtc_er_2": 5,
            "rtc_er_3": NA,
            "rtc_er_4": 4,
            "rtc_sf_1": 3,
            "rtc_sf_2": 3,
            "rtc_sf_3": 3,
            "rtc_sf_4": 3,
            "rtc_cr_1": 1,
            "rtc_cr_2": 2,
            "rtc_cr_3": 3,
            "rtc_cr_4": 2,
            "pat_1": 3,
            "pat_2": 4,
            "pat_3": 5,
            "pat_4": NA,
            "pat_5": 2,
            "sup_1": NA,
            "sup_2": NA,
            "sup_3": 3,
            "sup_4": 3,
            "sup_5": 4,
        },
        # row 3: composite 13/17 answered (< 14); appraisal not answered at all
        "r3": dict.fromkeys(items, 1)
        | {"rtc_rs_1": NA, "rtc_rs_2": NA, "rtc_rs_3": NA, "rtc_rs_4": NA, "rtc_rs_5": 6}
        | {"rtc_cr_4": 6}
        | dict.fromkeys(["pat_1", "pat_2", "pat_3", "pat_4", "pat_5"], NA)
        | {"sup_5": 5},
    }
    df = pd.DataFrame.from_dict(rows, orient="index")[items].astype("Int64")
    df.insert(0, "respondent_key", ["syn-001", "syn-002", "syn-003"])
    return df


def test_score_instrument_merit_by_hand(merit):
    df = _merit_frame(merit)
    before = df.copy()
    out = scales.score_instrument(df, merit)
    pd.testing.assert_frame_equal(df, before)
    names = [s.name for s in merit.scales]
    assert list(out.columns) == [c for n in names for c in (n, f"{n}__n_answered")]
    assert list(out.index) == list(df.index)
    for n in names:
        assert out[n].dtype == "Float64" and out[f"{n}__n_answered"].dtype == "Int64"

    expected = {
        # rtc_rs_2 = 1 -> 6 (agree6: 7 - x); rtc_cr_4 = 6 -> 1; pat_5 = 5 -> 1 and
        # sup_5 = 1 -> 5 (agree5: 6 - x)
        "r1": {
            "resistance_routine_seeking": (4 * 4 + 6) / 5,
            "resistance_emotional_reaction": 4.0,
            "resistance_short_term_focus": 4.0,
            "resistance_cognitive_rigidity": (3 * 4 + 1) / 4,
            "resistance": (15 * 4 + 6 + 1) / 17,
            "appraisal_threat": (4 * 2 + 1) / 5,
            "merit_support": (5 + 5 + 4 + 4 + 5) / 5,
        },
        # rtc_cr_4 = 2 -> 5; pat_5 = 2 -> 4; sup: 3 answered < 4
        "r2": {
            "resistance_routine_seeking": None,
            "resistance_emotional_reaction": (6 + 5 + 4) / 3,
            "resistance_short_term_focus": 3.0,
            "resistance_cognitive_rigidity": (1 + 2 + 3 + 5) / 4,
            "resistance": (2 + 3 + 1 + 15 + 12 + 11) / 14,
            "appraisal_threat": (3 + 4 + 5 + 4) / 4,
            "merit_support": None,
        },
        # rtc_cr_4 = 6 -> 1; sup_5 = 5 -> 1
        "r3": {
            "resistance_routine_seeking": None,
            "resistance_emotional_reaction": 1.0,
            "resistance_short_term_focus": 1.0,
            "resistance_cognitive_rigidity": 1.0,
            "resistance": None,
            "appraisal_threat": None,
            "merit_support": 1.0,
        },
    }
    answered = {
        "r1": [5, 4, 4, 4, 17, 5, 5],
        "r2": [3, 3, 4, 4, 14, 4, 3],
        "r3": [1, 4, 4, 4, 13, 0, 5],
    }
    for row, scores in expected.items():
        for name, value in scores.items():
            got = out.loc[row, name]
            if value is None:
                assert pd.isna(got), (row, name)
            else:
                assert got == pytest.approx(value, abs=1e-12), (row, name)
        assert [int(out.loc[row, f"{n}__n_answered"]) for n in names] == answered[row]


def test_score_instrument_selected_scales_and_sum(merit):
    df = _merit_frame(merit)
    out = scales.score_instrument(
        df, merit, scales=["merit_support", "appraisal_threat"], method="sum"
    )
    assert list(out.columns) == [
        "merit_support",
        "merit_support__n_answered",
        "appraisal_threat",
        "appraisal_threat__n_answered",
    ]
    assert out.loc["r1", "merit_support"] == pytest.approx(23.0)
    assert out.loc["r2", "appraisal_threat"] == pytest.approx(5 * 16 / 4)


def test_score_instrument_only_needs_the_chosen_scales_items(merit):
    df = _merit_frame(merit)[["sup_1", "sup_2", "sup_3", "sup_4", "sup_5"]]
    out = scales.score_instrument(df, merit, scales=["merit_support"])
    assert out["merit_support"].tolist()[0] == pytest.approx(4.6)
    with pytest.raises(InputError) as err:
        scales.score_instrument(df, merit)
    assert err.value.column == "rtc_rs_1"
    assert "resistance_routine_seeking" in str(err.value)


def test_scale_reliability_uses_instrument_keys_and_codes(merit):
    rng = np.random.default_rng(7)
    theta = rng.normal(size=60)
    cols = {}
    for item in ["pat_1", "pat_2", "pat_3", "pat_4", "pat_5"]:
        sign = -1 if item == "pat_5" else 1
        cols[item] = np.clip(np.rint(3 + sign * theta + rng.normal(scale=0.7, size=60)), 1, 5)
    df = pd.DataFrame(cols).astype("Int64")
    res = scales.scale_reliability(df, merit, scale="appraisal_threat")
    ref = scales.reliability(df, items=list(cols), reverse=["pat_5"], minimum=1, maximum=5)
    assert res.estimate == ref.estimate and res.item_total.equals(ref.item_total)
    assert res.estimate > 0.7
    assert res.item_total.set_index("item").loc["pat_5", "r_drop"] > 0


# --------------------------------------------------------------------------- result object


def test_result_is_frozen_and_one_tidy_row(likert6):
    res = scales.reliability(likert6, items=ITEMS, reverse=REVERSE, minimum=1, maximum=5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.estimate = 0.5  # type: ignore[misc]
    row = res.to_frame()
    assert row.shape == (1, 10)
    assert list(row.columns) == [
        "estimate",
        "ci_low",
        "ci_high",
        "confidence",
        "n_obs",
        "k_items",
        "std_alpha",
        "omega",
        "method",
        "notes",
    ]
    assert row.loc[0, "estimate"] == res.estimate and row.loc[0, "n_obs"] == 140
    assert row.loc[0, "omega"] == res.omega and row.loc[0, "notes"] == ""
    assert list(res.item_total.columns) == [
        "item",
        "r_drop",
        "alpha_if_dropped",
        "loading",
        "mean",
        "sd",
        "n_obs",
    ]
    other = dataclasses.replace(res, item_total=res.item_total.iloc[:0])
    assert other == res and hash(other) == hash(res)  # item_total excluded


def test_reliability_does_not_mutate(likert6):
    before = likert6.copy()
    scales.reliability(
        likert6, items=ITEMS, reverse=REVERSE, minimum=1, maximum=5, nan_policy="pairwise"
    )
    pd.testing.assert_frame_equal(likert6, before)


def test_negative_item_is_logged(likert6, caplog):
    with caplog.at_level(logging.WARNING, logger="asn_research.scales"):
        scales.reliability(likert6, items=ITEMS, minimum=1, maximum=5)
    assert "q4" in caplog.text and "reverse" in caplog.text


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("call", "allowed"),
    [
        (
            lambda d, m: scales.score_scale(
                d, items=["a"], minimum=1, maximum=5, min_answered=1, method="median"
            ),
            "'mean', 'sum'",
        ),
        (lambda d, m: scales.score_instrument(d, m, method="total"), "'mean', 'sum'"),
        (
            lambda d, m: scales.reliability(
                d, items=["a", "b"], minimum=1, maximum=5, nan_policy="complete"
            ),
            "'listwise', 'pairwise'",
        ),
        (
            lambda d, m: scales.score_instrument(d, m, scales=["resistence"]),
            "'resistance_routine_seeking'",
        ),
        (lambda d, m: scales.scale_reliability(d, m, scale="support"), "'merit_support'"),
    ],
)
def test_bad_options_list_allowed_values(merit, call, allowed):
    df = pd.DataFrame({"a": [1, 2, 3], "b": [2, 3, 3]}, dtype="Int64")
    with pytest.raises(ConfigError) as err:
        call(df, merit)
    assert allowed in str(err.value)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        (dict(min_answered=0), "min_answered must be between 1 and"),
        (dict(min_answered=3), "min_answered must be between 1 and"),
        (dict(minimum=5, maximum=1), "minimum must be smaller"),
        (dict(reverse=["c"]), "reverse items must be among"),
        (dict(items=["a", "a"]), "repeated: 'a'"),
        (dict(items="a"), "sequence of column names"),
    ],
)
def test_bad_arguments_raise_config_error(kwargs, fragment):
    df = pd.DataFrame({"a": [1, 2], "b": [2, 3]}, dtype="Int64")
    args = dict(items=["a", "b"], minimum=1, maximum=5, min_answered=1) | kwargs
    with pytest.raises(ConfigError, match=fragment):
        scales.score_scale(df, **args)


def test_bad_confidence_and_too_few_items():
    df = pd.DataFrame({"a": [1, 2, 3], "b": [2, 3, 3]}, dtype="Int64")
    for conf in (0, 1, 1.5, "0.95"):
        with pytest.raises(ConfigError, match="strictly between 0 and 1"):
            scales.reliability(df, items=["a", "b"], minimum=1, maximum=5, confidence=conf)
    with pytest.raises(ConfigError, match="at least two items"):
        scales.reliability(df, items=["a"], minimum=1, maximum=5)


def test_missing_item_column_is_named():
    df = pd.DataFrame({"a": [1, 2]}, dtype="Int64")
    with pytest.raises(InputError) as err:
        scales.score_scale(df, items=["a", "b"], minimum=1, maximum=5, min_answered=1)
    assert err.value.column == "b" and "column 'b'" in str(err.value)
    assert err.value.fix


def test_out_of_range_value_names_column_and_row():
    df = pd.DataFrame({"a": [1, 2, 3], "b": [2, 99, 7]}, dtype="Int64")
    with pytest.raises(InputError) as err:
        scales.score_scale(df, items=["a", "b"], minimum=1, maximum=5, min_answered=1)
    msg = str(err.value)
    assert err.value.column == "b" and err.value.row == 2
    assert "2 value(s) outside the answer codes 1–5 (7, 99)" in msg
    with pytest.raises(InputError, match="column 'x'"):
        scales.reverse_code(pd.Series([0, 1], name="x"), minimum=1, maximum=5)


def test_long_out_of_range_values_are_never_echoed():
    synthetic_id = 123456789012345678  # synthetic, NIP-length
    df = pd.DataFrame({"a": [1, synthetic_id], "b": [2, 3]})
    with pytest.raises(InputError) as err:
        scales.reliability(df, items=["a", "b"], minimum=1, maximum=5)
    assert str(synthetic_id) not in str(err.value)
    assert "1.23457e+17" not in str(err.value)
    assert err.value.column == "a"


def test_non_numeric_items_raise_input_error():
    df = pd.DataFrame({"a": ["Setuju", "Tidak setuju"], "b": [1, 2]})
    with pytest.raises(InputError) as err:
        scales.score_scale(df, items=["a", "b"], minimum=1, maximum=5, min_answered=1)
    assert err.value.column == "a" and "Setuju" not in str(err.value)
    mixed = pd.DataFrame({"a": pd.Series([1, None, 3], dtype=object), "b": [1, 2, 3]})
    ok = scales.score_scale(mixed, items=["a", "b"], minimum=1, maximum=5, min_answered=2)
    assert ok.tolist() == [1.0, pd.NA, 3.0]


def test_reliability_data_errors():
    few = pd.DataFrame({"a": [1, pd.NA, 3], "b": [2, 3, pd.NA]}, dtype="Int64")
    with pytest.raises(InputError, match="only 1 respondent"):
        scales.reliability(few, items=["a", "b"], minimum=1, maximum=5)
    disjoint = pd.DataFrame(
        {"a": [1, 2, pd.NA, pd.NA], "b": [pd.NA, pd.NA, 3, 4], "c": [1, 2, 3, 4]}, dtype="Int64"
    )
    with pytest.raises(InputError, match="answered together") as err:
        scales.reliability(
            disjoint, items=["a", "b", "c"], minimum=1, maximum=5, nan_policy="pairwise"
        )
    assert err.value.column in {"a", "b"}
    flat = pd.DataFrame({"a": [3, 3, 3], "b": [2, 2, 2]}, dtype="Int64")
    with pytest.raises(InputError, match="no variance"):
        scales.reliability(flat, items=["a", "b"], minimum=1, maximum=5)


# --------------------------------------------------------------------------- omega vs psych

# (data set, case) -> reverse-keyed items, largest code, nan_policy; as in psych_omega.R
OMEGA_CASES = {
    ("likert6", "listwise"): (("q4",), 5, "listwise"),
    ("likert6", "pairwise"): (("q4",), 5, "pairwise"),
    ("weak7", "complete"): (("w5",), 6, "listwise"),
    ("weak7", "unkeyed"): ((), 6, "listwise"),
    ("missing5", "listwise"): ((), 5, "listwise"),
    ("missing5", "pairwise"): ((), 5, "pairwise"),
    ("heywood3", "complete"): ((), 5, "listwise"),
}
INTERIOR_CASES = [c for c in OMEGA_CASES if c[0] != "heywood3"]


@pytest.fixture(scope="module")
def omega_golden() -> dict[tuple[str, str, str, str], float]:
    g = pd.read_csv(
        REFERENCE / "psych_omega_golden.csv", keep_default_na=False, na_values={"value": ["NA"]}
    )
    keys = list(zip(g["dataset"], g["case"], g["statistic"], g["item"], strict=True))
    assert len(set(keys)) == len(keys)
    return dict(zip(keys, g["value"].astype(float), strict=True))


@pytest.fixture(scope="module")
def omega_results() -> dict[tuple[str, str], tuple[pd.DataFrame, scales.ReliabilityResult]]:
    out = {}
    for (dataset, case), (reverse, hi, policy) in OMEGA_CASES.items():
        d = pd.read_csv(REFERENCE / f"{dataset}.csv", na_values=["NA"]).astype("Int64")
        res = scales.reliability(
            d, items=list(d.columns), reverse=reverse, minimum=1, maximum=hi, nan_policy=policy
        )
        out[(dataset, case)] = (d, res)
    return out


def _og(g: dict, dataset: str, case: str, statistic: str, item: str = "") -> float:
    return g[(dataset, case, statistic, item)]


@pytest.mark.parametrize("case", INTERIOR_CASES, ids="-".join)
def test_omega_and_loadings_match_psych_fa(omega_golden, omega_results, case):
    d, res = omega_results[case]
    assert res.omega == pytest.approx(_og(omega_golden, *case, "omega"), rel=REL_TOL_ITERATIVE)
    it = res.item_total.set_index("item")
    for item in d.columns:
        assert it.loc[item, "loading"] == pytest.approx(
            _og(omega_golden, *case, "loading", item), rel=REL_TOL_ITERATIVE
        ), item
        # ... and psych's stopping point is within its own tolerance of the exact optimum
        assert it.loc[item, "loading"] == pytest.approx(
            _og(omega_golden, *case, "exact_loading", item), abs=ABS_TOL_PSYCH_STOP
        ), item
    assert "Heywood" not in res.notes


@pytest.mark.parametrize("case", INTERIOR_CASES, ids="-".join)
def test_loadings_reproduce_psych_omega_total(omega_golden, omega_results, case):
    # psych::omega(r, nfactors = 1, flip = FALSE)$omega.tot = 1 - sum(u2) / sum(r): the
    # observed total variance. Our omega uses the model-implied one; both from the same fit.
    d, res = omega_results[case]
    x = d.astype("float64")
    for item in OMEGA_CASES[case][0]:
        x[item] = -x[item]
    cor = (x.dropna() if OMEGA_CASES[case][2] == "listwise" else x).corr().to_numpy()
    lam = res.item_total["loading"].to_numpy()
    assert 1 - (1 - lam**2).sum() / cor.sum() == pytest.approx(
        _og(omega_golden, *case, "psych_omega_tot"), rel=REL_TOL_ITERATIVE
    )
    assert res.omega != pytest.approx(_og(omega_golden, *case, "psych_omega_tot"), rel=1e-6)


@pytest.mark.parametrize("case", list(OMEGA_CASES), ids="-".join)
def test_alpha_and_item_stats_match_psych_alpha(omega_golden, omega_results, case):
    d, res = omega_results[case]
    assert res.n_obs == _og(omega_golden, *case, "n_obs")
    for field_, stat in (("estimate", "raw_alpha"), ("std_alpha", "std.alpha")):
        assert getattr(res, field_) == pytest.approx(
            _og(omega_golden, *case, stat), abs=ABS_TOL_CLOSED_FORM
        ), stat
    assert res.ci_low == pytest.approx(
        _og(omega_golden, *case, "feldt_lower"), abs=ABS_TOL_F_QUANTILE
    )
    assert res.ci_high == pytest.approx(
        _og(omega_golden, *case, "feldt_upper"), abs=ABS_TOL_F_QUANTILE
    )
    it = res.item_total.set_index("item")
    for item in d.columns:
        for col, stat in (
            ("r_drop", "r.drop"),
            ("alpha_if_dropped", "alpha_if_dropped"),
            ("mean", "mean"),
            ("sd", "sd"),
        ):
            assert it.loc[item, col] == pytest.approx(
                _og(omega_golden, *case, stat, item), abs=ABS_TOL_CLOSED_FORM
            ), (item, col)
        assert it.loc[item, "n_obs"] == _og(omega_golden, *case, "n", item)


def test_heywood_case_is_flagged_and_close_to_psych(omega_golden, omega_results):
    case = ("heywood3", "complete")
    _, res = omega_results[case]
    assert "Heywood case: item(s) h1" in res.notes
    it = res.item_total.set_index("item")
    assert it.loc["h1", "loading"] > 1.0  # psych's "ultra-Heywood": the loading passes 1
    for item in ("h1", "h2", "h3"):
        assert it.loc[item, "loading"] == pytest.approx(
            _og(omega_golden, *case, "loading", item), abs=ABS_TOL_HEYWOOD
        )
    assert res.omega == pytest.approx(_og(omega_golden, *case, "omega"), abs=ABS_TOL_HEYWOOD)
    assert 0 < res.omega < 1


def test_negative_loading_is_kept_and_lowers_omega(omega_results):
    _, keyed = omega_results[("weak7", "complete")]
    _, unkeyed = omega_results[("weak7", "unkeyed")]
    lk = keyed.item_total.set_index("item")["loading"]
    lu = unkeyed.item_total.set_index("item")["loading"]
    assert lu["w5"] < 0 < lk["w5"]
    assert lu["w5"] == pytest.approx(-lk["w5"], abs=1e-9)  # same fit, one item mirrored
    assert unkeyed.omega < keyed.omega - 0.1
    assert "w5 load negatively" in unkeyed.notes and "reverse keys" in unkeyed.notes
    assert lk["w7"] < 0.3  # the weak item


def test_omega_pairwise_uses_pairwise_correlations(omega_results):
    # missing5: 134 complete rows of 300; the two correlation matrices differ, so must omega.
    _, lw = omega_results[("missing5", "listwise")]
    _, pw = omega_results[("missing5", "pairwise")]
    assert lw.n_obs == 134 and pw.n_obs == 300
    assert abs(lw.omega - pw.omega) > 5e-3
    assert "pairwise-complete correlations" in pw.method
    assert "complete rows" in lw.method
    assert (pw.item_total["n_obs"] > lw.item_total["n_obs"]).all()


def test_omega_needs_three_items():
    df = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 4, 5, 4]}, dtype="Int64")
    res = scales.reliability(df, items=["a", "b"], minimum=1, maximum=5)
    assert np.isnan(res.omega) and res.item_total["loading"].isna().all()
    assert "at least three items" in res.notes
    assert not np.isnan(res.estimate)


# --------------------------------------------------------------------------- omega invariants


@pytest.mark.parametrize("case", [("likert6", "pairwise"), ("weak7", "complete")], ids="-".join)
def test_omega_does_not_depend_on_item_order(omega_results, case):
    d, ref = omega_results[case]
    reverse, hi, policy = OMEGA_CASES[case]
    order = list(d.columns)[::-1]
    order = order[1::2] + order[0::2]
    res = scales.reliability(
        d[order], items=order, reverse=reverse, minimum=1, maximum=hi, nan_policy=policy
    )
    assert res.omega == pytest.approx(ref.omega, abs=1e-10)
    pd.testing.assert_series_equal(
        res.item_total.set_index("item")["loading"].loc[list(d.columns)],
        ref.item_total.set_index("item")["loading"],
        atol=1e-9,
        rtol=0,
    )


def test_reverse_keying_a_reverse_item_twice_changes_nothing(likert6):
    kw = dict(items=ITEMS, minimum=1, maximum=5)
    ref = scales.reliability(likert6, reverse=REVERSE, **kw)
    twice = likert6.assign(
        q4=scales.reverse_code(
            scales.reverse_code(likert6["q4"], minimum=1, maximum=5), minimum=1, maximum=5
        )
    )
    again = scales.reliability(twice, reverse=REVERSE, **kw)
    assert again == ref
    pd.testing.assert_frame_equal(again.item_total, ref.item_total)
    # reversing in the data instead of through `reverse` is the same analysis
    pre = likert6.assign(q4=scales.reverse_code(likert6["q4"], minimum=1, maximum=5))
    same = scales.reliability(pre, **kw)
    assert same.omega == pytest.approx(ref.omega, abs=ABS_TOL_REORDER)
    assert same.estimate == pytest.approx(ref.estimate, abs=ABS_TOL_REORDER)


def test_reversing_every_item_keeps_omega_and_loading_signs(likert6):
    ref = scales.reliability(likert6, items=ITEMS, reverse=REVERSE, minimum=1, maximum=5)
    flipped = [i for i in ITEMS if i not in REVERSE]
    res = scales.reliability(likert6, items=ITEMS, reverse=flipped, minimum=1, maximum=5)
    assert res.omega == pytest.approx(ref.omega, abs=1e-10)
    np.testing.assert_allclose(res.item_total["loading"], ref.item_total["loading"], atol=1e-9)
    assert (res.item_total["loading"] > 0).all()  # psych orients the factor: positive sum


# --------------------------------------------------------------------------- omega recovery


def test_omega_recovers_known_congeneric_reliability():
    # Continuous congeneric one-factor data on a 0-100 code range (rounding to integers
    # adds noise of variance 1/12 to a variance of 100: negligible). Unequal loadings make
    # alpha fall clearly below omega, so a swap of the two would fail.
    lam = np.array([0.9, 0.8, 0.3, 0.2, 0.7, 0.5])
    true_omega = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())  # 0.7586
    rng = np.random.default_rng(20261201)
    n = 3000
    y = rng.normal(size=(n, 1)) * lam + rng.normal(size=(n, 6)) * np.sqrt(1 - lam**2)
    codes = np.clip(np.rint(50 + 10 * y), 0, 100).astype(int)
    df = pd.DataFrame(codes, columns=[f"x{j}" for j in range(6)]).astype("Int64")
    res = scales.reliability(df, items=list(df.columns), minimum=0, maximum=100)
    assert res.omega == pytest.approx(true_omega, abs=ABS_TOL_OMEGA_RECOVERY)
    np.testing.assert_allclose(res.item_total["loading"], lam, atol=ABS_TOL_LOADING_RECOVERY)
    assert res.estimate < true_omega - 0.02  # alpha understates a congeneric scale
    assert res.notes == ""


# --------------------------------------------------------------------------- tidy tables

TABLE_COLUMNS = [
    "wave",
    "scale",
    "n_obs",
    "k_items",
    "estimate",
    "ci_low",
    "ci_high",
    "confidence",
    "omega",
    "std_alpha",
    "method",
    "notes",
    "refused",
]


@pytest.fixture(scope="module")
def merit_frame() -> pd.DataFrame:
    from asn_research.simulate import simulate_frames

    return simulate_frames(seed=11, size="small").merit


def test_reliability_table_on_simulated_merit_waves(merit_frame, merit):
    t = scales.reliability_table(merit_frame, merit, by="wave")
    assert list(t.columns) == TABLE_COLUMNS
    waves = sorted(merit_frame["wave"].unique())
    names = [s.name for s in merit.scales]
    assert t["wave"].tolist() == [w for w in waves for _ in names]
    assert t["scale"].tolist() == names * len(waves)
    assert t["refused"].isna().all()
    assert t["wave"].dtype == merit_frame["wave"].dtype
    # docs/simulated_world.md §4: alpha of the 17-item resistance scale is about 0.9
    total = t[t["scale"] == "resistance"]
    assert total["estimate"].between(0.85, 0.95).all()
    assert (total["k_items"] == 17).all()
    assert ((t["ci_low"] < t["estimate"]) & (t["estimate"] < t["ci_high"])).all()
    # each row is scale_reliability on the wave's rows
    wave = waves[2]
    sub = merit_frame[merit_frame["wave"] == wave]
    for name in ("resistance_routine_seeking", "merit_support"):
        ref = scales.scale_reliability(sub, merit, scale=name)
        row = t[(t["wave"] == wave) & (t["scale"] == name)].iloc[0]
        assert row["n_obs"] == ref.n_obs
        for col in ("estimate", "ci_low", "ci_high", "omega", "std_alpha"):
            assert row[col] == getattr(ref, col), col


def test_item_table_on_simulated_merit_waves(merit_frame, merit):
    t = scales.item_table(
        merit_frame,
        merit,
        scales=["appraisal_threat", "merit_support"],
        by="wave",
        nan_policy="pairwise",
    )
    assert list(t.columns) == [
        "wave",
        "scale",
        "item",
        "reverse",
        "n_obs",
        "mean",
        "sd",
        "r_drop",
        "alpha_if_dropped",
        "loading",
        "refused",
    ]
    n_waves = merit_frame["wave"].nunique()
    assert len(t) == n_waves * 10
    assert t.loc[t["item"] == "pat_5", "reverse"].all()
    assert not t.loc[t["item"] == "pat_1", "reverse"].any()
    assert (t["loading"] > 0.3).all() and (t["r_drop"] > 0.2).all()  # keys restore pat_5
    wave = sorted(merit_frame["wave"].unique())[0]
    sub = merit_frame[merit_frame["wave"] == wave]
    ref = scales.scale_reliability(sub, merit, scale="merit_support", nan_policy="pairwise")
    got = t[(t["wave"] == wave) & (t["scale"] == "merit_support")]
    for col in ("n_obs", "mean", "sd", "r_drop", "alpha_if_dropped", "loading"):
        assert got[col].tolist() == ref.item_total[col].tolist(), col
    # the keyed mean of a reverse-keyed item is 6 - its raw mean (agree5: codes 1-5)
    raw = sub["sup_5"].astype("float64").mean()
    assert got.set_index("item").loc["sup_5", "mean"] == pytest.approx(6 - raw, abs=1e-12)


def _refusal_frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    theta = rng.normal(size=40)
    cols = {
        f"pat_{j}": np.clip(np.rint(3 + theta + rng.normal(scale=0.8, size=40)), 1, 5)
        for j in range(1, 6)
    }
    df = pd.DataFrame(cols).astype("Int64")
    df["pat_5"] = 6 - df["pat_5"]
    df.insert(0, "wave", ["2024-1"] * 30 + ["2024-2"] * 4 + ["2025-1"] * 6)
    df.loc[30:31, "pat_2"] = pd.NA  # 2024-2: only 2 complete rows
    df.loc[34:, ["pat_1", "pat_2", "pat_3", "pat_4"]] = 3  # 2025-1: no variance at all
    df.loc[34:, "pat_5"] = 3
    return df


def test_tables_refuse_small_or_flat_groups_instead_of_raising(merit):
    df = _refusal_frame()
    t = scales.reliability_table(df, merit, scales=["appraisal_threat"], by="wave")
    assert t["wave"].tolist() == ["2024-1", "2024-2", "2025-1"]
    ok, small, flat = (t.iloc[i] for i in range(3))
    assert pd.isna(ok["refused"]) and ok["estimate"] > 0.7 and ok["n_obs"] == 30
    assert small["refused"].startswith("fewer than 3 respondents answered every item")
    assert "2" not in small["refused"]  # published beside a suppressed count: never tells it
    assert small["n_obs"] == 2 and small["k_items"] == 5
    assert "no variance" in flat["refused"] and flat["n_obs"] == 6
    for row in (small, flat):
        for col in ("estimate", "ci_low", "ci_high", "omega", "std_alpha"):
            assert np.isnan(row[col]), col
    # the same data through reliability() raises for the flat group, names the problem
    with pytest.raises(InputError, match="no variance"):
        scales.scale_reliability(df[df["wave"] == "2025-1"], merit, scale="appraisal_threat")
    # with pairwise deletion the 4 respondents of 2024-2 are enough
    pw = scales.reliability_table(
        df, merit, scales=["appraisal_threat"], by="wave", nan_policy="pairwise"
    )
    assert pd.isna(pw.loc[1, "refused"]) and pw.loc[1, "n_obs"] == 4
    items = scales.item_table(df, merit, scales=["appraisal_threat"], by="wave")
    refused = items[items["wave"] == "2024-2"]
    assert len(refused) == 5 and (refused["refused"] == small["refused"]).all()
    assert refused[["mean", "sd", "r_drop", "alpha_if_dropped", "loading"]].isna().all().all()
    assert (refused["n_obs"] == 2).all()


def test_tables_estimate_only_groups_of_at_least_min_obs(merit):
    """A report passes its publication threshold: smaller groups are refused, not fitted."""
    df = _refusal_frame()
    t = scales.reliability_table(df, merit, scales=["appraisal_threat"], by="wave",
                                 min_obs=10)
    assert pd.isna(t.loc[0, "refused"]) and t.loc[0, "n_obs"] == 30
    assert t.loc[1, "refused"] == ("fewer than 10 respondents answered every item, too few "
                                   "for an estimate")
    assert np.isnan(t.loc[1, ["estimate", "omega"]].astype(float)).all()
    default = scales.reliability_table(df, merit, scales=["appraisal_threat"], by="wave")
    assert t.loc[0, "estimate"] == default.loc[0, "estimate"]  # the threshold changes no fit
    items = scales.item_table(df, merit, scales=["appraisal_threat"], by="wave", min_obs=31)
    assert items["refused"].notna().all() and items["loading"].isna().all()
    for bad in (2, True, 3.5, "10"):
        with pytest.raises(ConfigError, match="min_obs"):
            scales.reliability_table(df, merit, by="wave", min_obs=bad)


def test_tables_refuse_items_never_answered_together(merit):
    df = pd.DataFrame(
        {
            "pat_1": [1, 2, 3, 4, pd.NA, pd.NA, pd.NA],
            "pat_2": [pd.NA, pd.NA, pd.NA, pd.NA, 2, 4, 5],
            "pat_3": [1, 2, 3, 4, 2, 4, 5],
            "pat_4": [2, 2, 3, 5, 1, 4, 4],
            "pat_5": [5, 4, 3, 1, 4, 2, 1],
        },
        dtype="Int64",
    )
    t = scales.reliability_table(df, merit, scales=["appraisal_threat"], nan_policy="pairwise")
    assert "answered together" in t.loc[0, "refused"] and t.loc[0, "n_obs"] == 7


def test_tables_still_raise_for_data_errors(merit):
    df = _refusal_frame()
    bad = df.assign(pat_3=df["pat_3"].where(df.index != 35, 9))  # 9 is no answer code
    with pytest.raises(InputError) as err:
        scales.reliability_table(bad, merit, scales=["appraisal_threat"], by="wave")
    assert err.value.column == "pat_3" and err.value.row == 36
    with pytest.raises(InputError, match="group column 'opd'"):
        scales.item_table(df, merit, scales=["appraisal_threat"], by="opd")
    with pytest.raises(InputError, match="missing from the data"):
        scales.reliability_table(df, merit, by="wave")  # the other scales' items are absent
    with pytest.raises(ConfigError, match="'listwise', 'pairwise'"):
        scales.reliability_table(df, merit, scales=["appraisal_threat"], nan_policy="all")
    with pytest.raises(ConfigError, match="strictly between 0 and 1"):
        scales.reliability_table(df, merit, scales=["appraisal_threat"], confidence=95)
    with pytest.raises(ConfigError, match="'merit_support'"):
        scales.item_table(df, merit, scales=["support"])


def test_table_missing_group_key_is_its_own_group(merit):
    df = _refusal_frame()
    df["wave"] = df["wave"].where(df.index < 36, None)
    t = scales.reliability_table(df, merit, scales=["appraisal_threat"], by="wave")
    assert t["wave"].iloc[:3].tolist() == ["2024-1", "2024-2", "2025-1"]
    assert pd.isna(t["wave"].iloc[3]) and t["n_obs"].iloc[3] == 4
    assert t["n_obs"].sum() == 30 + 2 + 2 + 4  # every respondent counted somewhere


# --------------------------------------------------------------------------- distributions


def test_item_distribution_counts_shares_and_labels(merit_frame, merit):
    t = scales.item_distribution(merit_frame, merit, scale="merit_support", by="wave")
    assert list(t.columns) == [
        "wave",
        "item",
        "code",
        "label_id",
        "label_en",
        "n",
        "n_obs",
        "share",
        "ci_low",
        "ci_high",
        "confidence",
        "n_unanswered",
        "refused",
    ]
    agree5 = merit.choices_of("sup_1")
    n_waves = merit_frame["wave"].nunique()
    assert len(t) == n_waves * 5 * len(agree5.choices)
    assert t["code"].tolist()[:5] == [c.value for c in agree5.choices]
    assert t["label_id"].tolist()[:5] == [c.label_id for c in agree5.choices]
    assert t["label_en"].tolist()[:5] == [c.label_en for c in agree5.choices]
    per = t.groupby(["wave", "item"])
    np.testing.assert_allclose(per["share"].sum(), 1.0, atol=1e-12)
    assert (per["n"].sum() == per["n_obs"].first()).all()
    wave = sorted(merit_frame["wave"].unique())[1]
    raw = merit_frame.loc[merit_frame["wave"] == wave, "sup_5"]  # raw codes: not reversed
    got = t[(t["wave"] == wave) & (t["item"] == "sup_5")].set_index("code")
    for code in range(1, 6):
        assert got.loc[code, "n"] == (raw == code).sum()
    assert got["n_obs"].iloc[0] == raw.notna().sum()
    assert got["n_unanswered"].iloc[0] == raw.isna().sum()
    assert ((t["ci_low"] <= t["share"]) & (t["share"] <= t["ci_high"])).all()
    assert t["refused"].isna().all()
    same = scales.item_distribution(
        merit_frame, merit, items=list(merit.scale("merit_support").items), by="wave"
    )
    pd.testing.assert_frame_equal(same, t)


def test_wilson_interval_matches_prop_test():
    golden = pd.read_csv(REFERENCE / "wilson_ci_golden.csv")
    skm = instruments.load_instrument("skm")
    for g in golden.itertuples():
        values = [4] * int(g.n) + [1] * int(g.n_obs - g.n)
        df = pd.DataFrame({"waktu": pd.array(values, dtype="Int64")})
        t = scales.item_distribution(df, skm, items="waktu", confidence=g.confidence)
        row = t[t["code"] == 4].iloc[0]
        assert row["n"] == g.n and row["n_obs"] == g.n_obs
        assert row["ci_low"] == pytest.approx(g.ci_low, abs=ABS_TOL_WILSON), g
        assert row["ci_high"] == pytest.approx(g.ci_high, abs=ABS_TOL_WILSON), g


def test_item_distribution_refuses_unanswered_group_and_checks_input(merit):
    df = pd.DataFrame({"wave": ["a", "a", "b"], "pat_1": pd.array([1, 5, pd.NA], dtype="Int64")})
    t = scales.item_distribution(df, merit, items=["pat_1"], by="wave")
    b = t[t["wave"] == "b"]
    assert (b["n"] == 0).all() and b["share"].isna().all() and (b["n_unanswered"] == 1).all()
    assert b["refused"].str.contains("no respondent").all()
    assert t[t["wave"] == "a"]["refused"].isna().all()
    with pytest.raises(ConfigError, match="exactly one of items"):
        scales.item_distribution(df, merit, items=["pat_1"], scale="appraisal_threat")
    with pytest.raises(ConfigError, match="exactly one of items"):
        scales.item_distribution(df, merit)
    with pytest.raises(ConfigError, match="coded select_one questions"):
        scales.item_distribution(df.assign(opd="x"), merit, items=["opd"])
    with pytest.raises(ConfigError, match="coded select_one questions"):
        scales.item_distribution(df, merit, items=["wave"])
    with pytest.raises(InputError) as err:
        scales.item_distribution(df.assign(pat_1=[1, 7, 2]), merit, items=["pat_1"])
    assert err.value.column == "pat_1" and err.value.row == 2
    gap = pd.DataFrame({"pat_1": [1.0, 2.5]})  # in range, but not an answer code
    with pytest.raises(InputError, match="not answer codes"):
        scales.item_distribution(gap, merit, items=["pat_1"])
