"""Tests of asn_research.identifiers: NIP/NIK checks and the synthetic-ID builders.

Every identifier here is synthetic (built with make_nip/make_nik or typed from made-up
parts), except the published example of docs/domain.md §1 sources, whose parse is pinned.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from asn_research.errors import ConfigError, InputError
from asn_research.identifiers import CHECK_COLUMNS, check_nik, check_nip, make_nik, make_nip

REF = dt.date(2025, 6, 1)  # reference (survey) date used throughout
# A run of 6+ digits in a message would be (part of) an identifier's value.
LONG_DIGIT_RUN = re.compile(r"\d{6,}")

PNS_OK = "198503122010011002"  # synthetic: born 1985-03-12, TMT 2010-01, male, serial 002
PPPK_OK = "199001312022232077"  # synthetic: born 1990-01-31, TMT 2022, round 3, female, 077


def one(value, **kwargs) -> pd.Series:
    """check_nip on a single value; the row as a Series."""
    return check_nip(pd.Series([value], dtype=object), reference_date=REF, **kwargs).iloc[0]


def assert_private(row: pd.Series, value: str) -> None:
    """reason/fix must not carry the value, its digits, or any long digit run."""
    digits = re.sub(r"\D", "", str(value))
    for text in (row["reason"], row["fix"]):
        assert isinstance(text, str) and text
        assert str(value) not in text
        if digits:
            assert digits not in text
        assert not LONG_DIGIT_RUN.search(text), text


# --------------------------------------------------------------------------- parsing


def test_reference_example_parses_exactly():
    # The layout of docs/domain.md §1 on a synthetic value (not the public example, which may
    # be a real person's NIP): born 1966-03-14, TMT 2008-02, female, serial 007.
    value = "196603142008022007"
    row = one(value)
    assert row["ok"]
    assert row["nip"] == value
    assert row["kind"] == "pns"
    assert row["birth_date"] == pd.Timestamp("1966-03-14")
    assert row["sex_code"] == 2
    assert pd.isna(row["reason"]) and pd.isna(row["fix"])
    # the layout read the other way round: the same parts rebuild the same 18 digits
    assert make_nip(dt.date(1966, 3, 14), dt.date(2008, 2, 1), sex=2, serial=7) == value


def test_output_columns_index_and_dtypes():
    values = pd.Series([PNS_OK, None, "1.98503E+17"], index=[10, 20, 30], name="nip")
    res = check_nip(values, reference_date=REF)
    assert tuple(res.columns) == CHECK_COLUMNS
    assert list(res.index) == [10, 20, 30]
    assert res["ok"].dtype == bool
    assert res["ok"].tolist() == [True, True, False]
    assert str(res["sex_code"].dtype) == "Int64"
    assert res["birth_date"].dtype.kind == "M"
    for column in ("nip", "reason", "fix", "kind"):
        assert isinstance(res[column].dtype, pd.StringDtype), column
        assert res[column].dtype.na_value is pd.NA
    # parsed fields only where ok
    assert res.loc[30, ["nip", "kind", "sex_code"]].isna().all()
    assert pd.isna(res.loc[30, "birth_date"])


@pytest.mark.parametrize(
    "typed",
    [
        "'19850312 201001 1 002",  # leading apostrophe (forced text in Excel) and spaces
        "\u201919850312 201001 1 002",  # typographic apostrophe
        "19850312.201001.1.002",
        "19850312-201001-1-002",
        "19850312\u2013201001\u20131\u2013002",  # en dashes
        "19850312\u00a0201001\u00a01\u00a0002",  # no-break spaces from a copied cell
        "  198503122010011002\t",
        198503122010011002,  # an int (exact) is fine
    ],
)
def test_normalization_accepts_typed_forms(typed):
    row = one(typed)
    assert row["ok"], row["reason"]
    assert row["nip"] == PNS_OK


def test_int_column_is_checked_like_text():
    res = check_nip(pd.Series([198503122010011002, 198503122010011000]), reference_date=REF)
    assert res["ok"].tolist() == [True, False]
    assert "000" in res.loc[1, "reason"]


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA, "", "   ", "-", "'"])
def test_missing_is_ok_with_nip_na(missing):
    row = one(missing)
    assert row["ok"]
    assert pd.isna(row["nip"]) and pd.isna(row["reason"]) and pd.isna(row["kind"])


def test_pppk_parse():
    row = one(PPPK_OK)
    assert row["ok"], row["reason"]
    assert (row["kind"], row["sex_code"]) == ("pppk", 2)
    assert row["birth_date"] == pd.Timestamp("1990-01-31")


# --------------------------------------------------------------------------- rejections

EXCEL = "the NIP was turned into a number by Excel and its last digits are lost"
EXCEL_FIX = (
    "in the source sheet, format the NIP column as Text (or prefix with an apostrophe) and "
    "re-type or re-export it; the digits cannot be recovered from this file"
)

# (case id, value, keyword arguments, expected reason fragment)
REJECTIONS = [
    ("scientific", "1.98503E+17", {}, EXCEL),
    ("scientific-comma", "1,98503E+17", {}, EXCEL),
    ("scientific-long", "1.985031220100110e+17", {}, EXCEL),
    ("decimal-zero", "198503122010011002.0", {}, "decimal number (it ends in '.0')"),
    ("thousands", "198,503,122,010,011,000", {}, "thousands separators"),
    ("17-digits", "19850312201001100", {}, "a digit is missing — Excel drops leading zeros"),
    ("16-digits", "1985031220100110", {}, "first 15 significant digits"),
    ("15-digits", "198503122010011", {}, "first 15 significant digits"),
    ("nip-lama", "198503122", {}, "NIP lama"),
    ("short", "12345", {}, "only 5 digits"),
    ("19-digits", "1985031220100110021", {}, "19 digits, more than 18"),
    ("letter", "19850312201001100A", {}, "characters other than digits"),
    ("letter-o", "198503122O10011002", {}, "characters other than digits"),
    ("feb-30", "198502302010011002", {}, "not a real calendar date"),
    ("month-13", "198513122010011002", {}, "not a real calendar date"),
    ("kind-digit", "198503122010311002", {}, "digit 13 of the NIP must be 0 or 1"),
    ("pns-month-00", "198503122010001002", {}, "not a month 01–12"),
    ("pns-tmt-before-1960", "193503121958011002", {}, "before 1960"),
    ("pns-tmt-future", "199003122027011002", {}, "more than a year after the reference date"),
    ("pns-age-at-tmt-young", "198503122000011002", {}, "age at appointment outside 18–46"),
    ("pns-age-at-tmt-old", "196003122010011002", {}, "age at appointment outside 18–46"),
    ("pppk-round-0", "199003122022201002", {}, "appointment round) is 0"),
    ("pppk-tmt-before-2018", "199003122015211002", {}, "before 2018"),
    ("pppk-tmt-future", "199003122030211002", {}, "PPPK appointment year) are more than a year"),
    ("pppk-age-at-tmt-old", "195503122022211002", {}, "age at appointment outside 18–60"),
    ("pppk-age-at-tmt-young", "200601012023211002", {}, "age at appointment outside 18–60"),
    ("sex-digit", "198503122010013002", {}, "digit 15 of the NIP (sex) must be 1"),
    ("serial-000", "198503122010011000", {}, "is 000, which is never issued"),
    ("age-under-17", "200901012026011002", {}, "age under 17"),
    ("age-over-75", "194501011970011002", {}, "age over 75"),
    ("status-pns-vs-pppk", PNS_OK, {"status": "pppk"}, "the status column says PPPK"),
    ("status-pppk-vs-pns", PPPK_OK, {"status": "PNS"}, "the status column says PNS"),
    ("sex-mismatch", PNS_OK, {"sex": 2}, "does not match the sex column"),
    ("sex-mismatch-str", PPPK_OK, {"sex": "1"}, "does not match the sex column"),
]


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [case[1:] for case in REJECTIONS],
    ids=[case[0] for case in REJECTIONS],
)
def test_each_rejection_has_its_reason_and_hides_the_value(value, kwargs, expected):
    aux = {name: pd.Series([v], dtype=object) for name, v in kwargs.items()}
    row = one(value, **aux)
    assert not row["ok"]
    assert expected in row["reason"]
    assert pd.isna(row["nip"]) and pd.isna(row["kind"]) and pd.isna(row["sex_code"])
    assert_private(row, value)


def test_excel_damage_reason_and_fix_are_exact():
    row = one("1.98503E+17")
    assert row["reason"] == EXCEL
    assert row["fix"] == EXCEL_FIX


def test_float_column_is_excel_damage():
    values = pd.Series([1.98503122010011e17, np.nan])
    res = check_nip(values, reference_date=REF)
    assert res["ok"].tolist() == [False, True]
    assert res.loc[0, "reason"] == EXCEL


def test_each_rejection_is_distinct_from_a_valid_neighbour():
    # the checks are not just failing everything: one changed digit flips the verdict
    valid = [PNS_OK, "199003122020011002", PPPK_OK, "200001012019211002"]
    assert check_nip(pd.Series(valid), reference_date=REF)["ok"].all()


def test_first_failing_check_wins():
    # month 00 AND sex digit 3 AND serial 000: the TMT month comes first
    row = one("198503122010003000")
    assert "not a month 01–12" in row["reason"]


def test_reference_date_moves_the_age_limits():
    value = "195006151975011002"  # born 1950-06-15, TMT 1975-01
    day_before = check_nip(pd.Series([value]), reference_date=dt.date(2026, 6, 14)).iloc[0]
    assert day_before["ok"], day_before["reason"]  # still 75
    birthday = check_nip(pd.Series([value]), reference_date=dt.date(2026, 6, 15)).iloc[0]
    assert "age over 75" in birthday["reason"]  # 76 today


# --------------------------------------------------------------------------- status / sex


def test_status_and_sex_agreement_and_aliases():
    values = pd.Series([PNS_OK, PNS_OK, PPPK_OK, PPPK_OK, PNS_OK])
    status = pd.Series(["PNS", "cpns", "P3K", None, " pns "])
    sex = pd.Series([1, "1", 2.0, None, "1"], dtype=object)
    res = check_nip(values, status=status, sex=sex, reference_date=REF)
    assert res["ok"].all(), res["reason"].tolist()


def test_unknown_status_raises_without_values():
    values = pd.Series([PNS_OK, PNS_OK])
    with pytest.raises(InputError) as err:
        check_nip(values, status=pd.Series(["pns", "honorer"], name="status"), reference_date=REF)
    assert err.value.column == "status"
    assert "honorer" not in str(err.value) and PNS_OK not in str(err.value)
    assert "pns" in err.value.fix


def test_status_passed_nip_column_by_mistake_does_not_leak():
    values = pd.Series([PNS_OK])
    with pytest.raises(InputError) as err:
        check_nip(values, status=pd.Series([PNS_OK]), reference_date=REF)
    assert PNS_OK not in str(err.value)


def test_unknown_sex_code_raises():
    with pytest.raises(InputError, match="other than 1 and 2"):
        check_nip(pd.Series([PNS_OK]), sex=pd.Series(["L"]), reference_date=REF)


def test_misaligned_status_raises():
    values = pd.Series([PNS_OK, PPPK_OK], index=[0, 1])
    with pytest.raises(InputError, match="not aligned"):
        check_nip(values, status=pd.Series(["pns", "pppk"], index=[5, 6]), reference_date=REF)


def test_values_must_be_a_series():
    with pytest.raises(TypeError):
        check_nip([PNS_OK], reference_date=REF)


# --------------------------------------------------------------------------- make_nip


@pytest.mark.parametrize(
    ("birth", "tmt", "sex", "serial", "status", "round_", "expected"),
    [
        (dt.date(1985, 3, 12), dt.date(2010, 1, 1), 1, 2, "pns", 1, "198503122010011002"),
        (dt.date(1992, 12, 31), dt.date(2019, 11, 1), 2, 999, "pns", 1, "199212312019112999"),
        (dt.date(1990, 1, 31), dt.date(2022, 7, 1), 2, 77, "pppk", 3, "199001312022232077"),
        (dt.date(1975, 6, 5), dt.date(2023, 1, 1), 1, 1, "pppk", 9, "197506052023291001"),
    ],
)
def test_make_nip_round_trips(birth, tmt, sex, serial, status, round_, expected):
    nip = make_nip(birth, tmt, sex, serial, status=status, round_=round_)
    assert nip == expected
    row = one(nip, status=pd.Series([status]), sex=pd.Series([sex]))
    assert row["ok"], row["reason"]
    assert row["kind"] == status
    assert row["birth_date"] == pd.Timestamp(birth)
    assert row["sex_code"] == sex


@settings(max_examples=60, deadline=None)
# found by exploration: a PPPK TMT in a later month of the grace year is plausible
@example(birth=dt.date(2000, 1, 1), age_at_tmt=26, month=7, sex=1, serial=1, pppk=True,
         round_=1)
@given(
    birth=st.dates(dt.date(1955, 1, 1), dt.date(2005, 12, 31)),
    age_at_tmt=st.integers(19, 35),
    month=st.integers(1, 12),
    sex=st.sampled_from([1, 2]),
    serial=st.integers(1, 999),
    pppk=st.booleans(),
    round_=st.integers(1, 9),
)
def test_make_nip_property(birth, age_at_tmt, month, sex, serial, pppk, round_):
    tmt = dt.date(birth.year + age_at_tmt, month, 1)
    age_now = REF.year - birth.year - ((REF.month, REF.day) < (birth.month, birth.day))
    status = "pppk" if pppk else "pns"
    plausible = (
        17 <= age_now <= 75
        # a PPPK NIP carries the TMT year only (digits 13-14 are "2" and the round), so
        # its one-year grace after the reference date is judged on the year
        and ((tmt.year <= REF.year + 1) if pppk else
             (tmt.year, tmt.month) <= (REF.year + 1, REF.month))
        and (not pppk or tmt.year >= 2018)
    )
    nip = make_nip(birth, tmt, sex, serial, status=status, round_=round_)
    row = one(nip)
    assert bool(row["ok"]) == plausible, row["reason"]
    if plausible:
        assert row["birth_date"] == pd.Timestamp(birth)
        assert (row["kind"], row["sex_code"]) == (status, sex)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sex": 3},
        {"serial": 0},
        {"serial": 1000},
        {"status": "honorer"},
        {"status": "pppk", "round_": 0},
        {"birth_date": "1985-03-12"},
    ],
)
def test_make_nip_rejects_parts_that_do_not_fit(kwargs):
    args = {"birth_date": dt.date(1985, 3, 12), "tmt": dt.date(2010, 1, 1), "sex": 1, "serial": 2}
    args.update(kwargs)
    with pytest.raises(ConfigError):
        make_nip(**args)


# --------------------------------------------------------------------------- NIK


def test_make_nik_round_trips_for_both_sexes():
    male = make_nik(dt.date(1985, 3, 12), sex=1, serial=1)
    female = make_nik(dt.date(1992, 8, 9), sex=2, serial=31, regency=71, district=5)
    assert male == "3674011203850001"
    assert female == "3671054908920031"
    res = check_nik(pd.Series([male, female]), sex=pd.Series([1, 2]), reference_date=REF)
    assert res["ok"].tolist() == [True, True]
    assert res["kind"].tolist() == ["nik", "nik"]
    assert res["sex_code"].tolist() == [1, 2]
    assert res["birth_date"].tolist() == [pd.Timestamp("1985-03-12"), pd.Timestamp("1992-08-09")]


def test_nik_century_from_reference_date():
    recent = make_nik(dt.date(2020, 5, 1), sex=1, serial=7)  # "…010520…"
    res = check_nik(pd.Series([recent]), reference_date=REF)
    assert res.loc[0, "birth_date"] == pd.Timestamp("2020-05-01")
    old = check_nik(pd.Series([recent]), reference_date=dt.date(2019, 1, 1))
    assert old.loc[0, "birth_date"] == pd.Timestamp("1920-05-01")


NIK_REJECTIONS = [
    ("province", "0074011203850001", {}, "not an Indonesian province code"),
    ("province-20", "2074011203850001", {}, "not an Indonesian province code"),
    ("regency-00", "3600011203850001", {}, "regency/city code) are 00"),
    ("district-00", "3674001203850001", {}, "district code) are 00"),
    ("day-32", "3674013203850001", {}, "not a real calendar date"),
    ("day-40", "3674014003850001", {}, "not a real calendar date"),
    ("day-72", "3674017203850001", {}, "not a real calendar date"),
    ("month-13", "3674011213850001", {}, "not a real calendar date"),
    ("feb-29-non-leap", "3674012902850001", {}, "not a real calendar date"),
    ("serial-0000", "3674011203850000", {}, "0000, which is never issued"),
    ("15-digits", "367401120385001", {}, "one fewer than 16"),
    ("17-digits", "36740112038500012", {}, "more than 16"),
    ("scientific", "3.67401E+15", {}, "turned into a number by Excel"),
    ("sex-mismatch", "3674011203850001", {"sex": 2}, "does not match the sex column"),
]


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [case[1:] for case in NIK_REJECTIONS],
    ids=[case[0] for case in NIK_REJECTIONS],
)
def test_nik_rejections(value, kwargs, expected):
    aux = {name: pd.Series([v]) for name, v in kwargs.items()}
    row = check_nik(pd.Series([value]), reference_date=REF, **aux).iloc[0]
    assert not row["ok"]
    assert expected in row["reason"]
    assert "NIK" in row["reason"] or "sex" in row["reason"]
    assert_private(row, value)


def test_nik_leap_day_accepted():
    nik = make_nik(dt.date(1984, 2, 29), sex=2, serial=3)
    assert check_nik(pd.Series([nik]), reference_date=REF).loc[0, "ok"]


# --------------------------------------------------------------------------- scale, logs


def test_batch_equals_one_by_one_on_200k_mixed_values():
    rng = np.random.default_rng(20250601)
    n = 200_000
    days = rng.integers(0, 16000, n)  # born 1960-01-01 … 2003-10
    births = (np.datetime64("1960-01-01") + days).astype(object)  # datetime.date
    ages = rng.integers(18, 40, n).tolist()
    good = [
        # TMT a year after that age, capped at 2024: age at TMT 18–40, never in the future
        make_nip(b, dt.date(min(b.year + a + 1, 2024), 1 + i % 12, 1), 1 + i % 2, 1 + i % 999)
        for i, (b, a) in enumerate(zip(births, ages, strict=True))
    ]
    damaged = ["1.98503E+17", "19850312201001100", "198503122010011000", "x", None, "  "]
    values = pd.Series(good, dtype=object)
    where = rng.choice(n, 3000, replace=False)
    values.iloc[where] = rng.choice(np.array(damaged, dtype=object), where.size)
    res = check_nip(values, reference_date=REF)
    assert len(res) == n
    rejected = values.isin(["1.98503E+17", "19850312201001100", "198503122010011000", "x"])
    assert (res["ok"] == ~rejected).all()
    assert res["nip"].notna().sum() == n - where.size
    intact = np.ones(n, dtype=bool)
    intact[where] = False
    assert (res["nip"][intact] == values[intact]).all()
    expected_births = pd.to_datetime(pd.Series(births)).to_numpy()
    assert (res["birth_date"].to_numpy()[intact] == expected_births[intact]).all()
    assert (res["sex_code"][intact] == 1 + np.arange(n)[intact] % 2).all()
    # the vectorized verdict equals checking each value on its own
    sample = np.concatenate([where[:60], rng.choice(n, 90, replace=False)])
    for i in sample:
        single = one(values.iloc[i])
        batch = res.iloc[i]
        assert single["ok"] == batch["ok"]
        assert (pd.isna(single["reason"]) and pd.isna(batch["reason"])) or single[
            "reason"
        ] == batch["reason"]
        assert (pd.isna(single["nip"]) and pd.isna(batch["nip"])) or single["nip"] == batch["nip"]


def test_logs_never_contain_values(caplog):
    values = pd.Series([PNS_OK, "1.98503E+17", "198503122010011000", "19850312201001100"])
    with caplog.at_level(logging.DEBUG, logger="asn_research"):
        check_nip(values, reference_date=REF)
        check_nik(pd.Series(["3674011203850000"]), reference_date=REF)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert not LONG_DIGIT_RUN.search(text)
    assert "E+17" not in text


@pytest.mark.parametrize("dtype", ["Int16", "int64", "object", "str"])
def test_sex_codes_in_every_dtype_are_compared_and_bad_ones_refused(dtype):
    values = pd.Series([PNS_OK, PNS_OK, PNS_OK])
    own = int(PNS_OK[14])
    other = 3 - own
    sex = pd.Series([own, other, None if dtype not in ("int64",) else own]).astype(
        dtype if dtype != "str" else "object")
    if dtype == "str":
        sex = sex.map(lambda v: None if v is None or v != v else f" {int(v)} ")
    res = check_nip(values, sex=sex, reference_date=REF)
    assert res["ok"].tolist() == [True, False, True]
    for bad in (0, 3):
        with pytest.raises(InputError, match="other than 1 and 2"):
            check_nip(values, sex=pd.Series([own, bad, own]).astype(
                dtype if dtype != "str" else "object"), reference_date=REF)


def test_status_spellings_map_once_per_distinct_value():
    values = pd.Series([PNS_OK, PPPK_OK, PNS_OK, PPPK_OK, PNS_OK])
    status = pd.Series([" PNS", "p3k", "cpns", "PPPK ", None])
    assert check_nip(values, status=status, reference_date=REF)["ok"].all()
    swapped = pd.Series(["pppk", "pns", "", "  ", None])
    assert check_nip(values, status=swapped, reference_date=REF)["ok"].tolist() == [
        False, False, True, True, True]
    with pytest.raises(InputError, match="in 2 rows"):
        check_nip(values, status=pd.Series(["pns", "honorer", "x", "pppk", None]),
                  reference_date=REF)


@pytest.mark.parametrize("check", ["nip", "nik"])
def test_details_false_returns_the_same_verdicts(check):
    func = check_nip if check == "nip" else check_nik
    values = pd.Series([PNS_OK, PPPK_OK, None, "123", "1.98503E+17", PNS_OK[:-1] + "x"]
                       if check == "nip" else
                       ["3674011203850001", "3674015203850002", None, "12", "36740112038500"])
    full = func(values, reference_date=REF)
    short = func(values, reference_date=REF, details=False)
    assert list(short.columns) == ["nip", "ok", "reason", "fix"]
    pd.testing.assert_frame_equal(short, full[["nip", "ok", "reason", "fix"]])
