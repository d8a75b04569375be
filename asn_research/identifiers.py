"""Checks of hand-typed NIP and NIK identifiers, and builders of synthetic ones.

NIPs reach a survey wave typed by hand into Excel, where they get damaged: Excel turns
an 18-digit number into ``1.98503E+17`` and keeps only 15 significant digits, people
drop or add a digit, and the embedded dates end up impossible. :func:`check_nip` and
:func:`check_nik` judge a whole column at once (vectorized; a million values take well
under two seconds) and say, per row, what is wrong and how to fix it. They never put
the identifier's value into a reason or fix, so their output can be logged and shown.

The layouts (docs/domain.md §1):

* NIP PNS, 18 digits: ``YYYYMMDD`` birth date + ``YYYYMM`` TMT CPNS (start of
  appointment) + ``G`` sex (1 male, 2 female) + ``NNN`` serial 001–999.
* NIP PPPK, 18 digits: ``YYYYMMDD`` birth date + ``YYYY`` TMT year + ``2`` (PPPK code)
  + ``F`` appointment round 1–9 + ``G`` sex + ``NNN`` serial.
* NIK, 16 digits: ``PP KK CC DD MM YY SSSS`` — province, regency/city, district codes;
  day of birth (+40 for women), month, two-digit year; serial.

Examples
--------
>>> import datetime as dt
>>> import pandas as pd
>>> from asn_research.identifiers import check_nip
>>> res = check_nip(pd.Series(["19850312 201001 1 002", "1.98503E+17"]),  # synthetic
...                 reference_date=dt.date(2025, 1, 1))
>>> res[["nip", "ok", "kind", "sex_code"]]
                  nip     ok  kind  sex_code
0  198503122010011002   True   pns         1
1                <NA>  False  <NA>      <NA>
>>> res.loc[1, "reason"]
'the NIP was turned into a number by Excel and its last digits are lost'
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .errors import ConfigError, InputError

__all__ = [
    "CHECK_COLUMNS",
    "NIK_LENGTH",
    "NIP_LENGTH",
    "check_nik",
    "check_nip",
    "make_nik",
    "make_nip",
]

log = logging.getLogger(__name__)

NIP_LENGTH = 18
NIK_LENGTH = 16
#: Columns of the frames returned by :func:`check_nip` and :func:`check_nik`, in order.
CHECK_COLUMNS = ("nip", "ok", "reason", "fix", "kind", "birth_date", "sex_code")

# Plausibility bounds. Each is a judgement call, stated so a reviewer can change it.
MIN_AGE = 17  # youngest plausible respondent (ASN appointment needs 18; one year of slack)
MAX_AGE = 75  # oldest plausible: retirement is at 58–65; leaves room for retirees' waves
PNS_FIRST_TMT_YEAR = 1960  # no serving or recently retired PNS was appointed earlier
PNS_TMT_AGE = (18, 46)  # CPNS age limit is 18–35 (40 for some posts); wide for corrections
PPPK_FIRST_TMT_YEAR = 2018  # PPPK exist since PP 49/2018; first appointments 2019
PPPK_TMT_AGE = (18, 60)  # PPPK may be appointed up to one year before the post's age limit
TMT_GRACE_YEARS = 1  # a TMT may lie up to a year after the reference date (new appointees)

# Kemendagri province codes (first two NIK digits); 91–99 kept open for the Papua splits.
_PROVINCE_CODES = frozenset(
    [*range(11, 20), 21, *range(31, 37), 51, 52, 53, *range(61, 66), *range(71, 77), 81, 82]
    + list(range(91, 100))
)

# Characters people use to group digits: ASCII whitespace, no-break and thin spaces,
# dots, hyphen-minus and the Unicode dashes (literal characters work in RE2 and re).
_SEPARATORS = "[\\s\u00a0\u2007\u2009\u202f.\\-\u2010\u2011\u2012\u2013\u2014\u2212]"
_APOSTROPHES = "'\u2018\u2019`"  # a leading apostrophe forces text in Excel
_SCIENTIFIC = r"[+-]?[0-9]+([.,][0-9]*)?[eE][+-]?[0-9]+"
_DECIMAL_ZERO = r"[0-9]{12,}[.,]0+"  # "198503122010011000.0": went through a float
_THOUSANDS = r"[0-9]{1,3}([.,][0-9]{3}){4,}"  # "198,503,122,010,011,000": Excel number format

_IDS_SOURCE = "SIASN/SIMPEG or the employee's decree (SK)"

_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


# --------------------------------------------------------------------------- public API


def check_nip(
    values: pd.Series,
    *,
    status: pd.Series | None = None,
    sex: pd.Series | None = None,
    reference_date: dt.date | None = None,
    details: bool = True,
) -> pd.DataFrame:
    """Check and normalize a column of NIPs (PNS or PPPK), one verdict per row.

    Use it at ingest, before :func:`asn_research.privacy.pseudonymize`: a damaged NIP
    would otherwise become a pseudonym that links to nobody, or — worse, after Excel
    replaced its last digits with zeros — to somebody else.

    Parameters
    ----------
    values : pandas.Series
        The NIPs as typed (str; ints are accepted too). Spaces, dots, dashes and a
        leading apostrophe are ignored, so ``"'19850312 201001 1 002"`` is fine.
    status : pandas.Series, optional
        Employment status per row, aligned with ``values`` (same index): ``"pns"`` or
        ``"pppk"`` (any case; ``"cpns"`` counts as PNS and ``"p3k"`` as PPPK). The NIP's
        kind must match. Missing values are not compared.
    sex : pandas.Series, optional
        Sex code per row, aligned with ``values``: 1 (male) or 2 (female), as int or
        str. The NIP's sex digit must match. Missing values are not compared.
    reference_date : datetime.date, optional
        The date ages are judged at (the survey date). Defaults to today; pass the
        wave's date for reproducible results.
    details : bool, default True
        When False, only the ``nip``, ``ok``, ``reason`` and ``fix`` columns are returned
        (what ingest needs; about a third faster on large waves).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``values``, with columns:

        - ``nip`` (string): the normalized 18 digits where ``ok``, else NA;
        - ``ok`` (bool): True when the NIP passed every check, or is missing;
        - ``reason`` (string): what is wrong, in plain English, never quoting the value;
          NA where ``ok``;
        - ``fix`` (string): what to do about it; NA where ``ok``;
        - ``kind`` (string): ``"pns"`` or ``"pppk"`` where ``ok``, else NA;
        - ``birth_date`` (datetime64): the embedded birth date where ``ok``, else NaT;
        - ``sex_code`` (Int64): the embedded sex digit (1 male, 2 female) where ``ok``.

    Raises
    ------
    InputError
        If ``status`` or ``sex`` is not aligned with ``values`` or holds values other
        than the allowed codes (map answers to codes first; invalid answers as missing).
    TypeError
        If ``values`` is not a pandas Series.

    Notes
    -----
    Checks, in order; a row gets the reason of the first that fails:

    1. Excel damage: scientific notation (``1.98503E+17``, also with a decimal comma),
       a decimal form (``….0``), thousands separators, or a float column — the last
       digits are gone and cannot be recovered.
    2. Characters other than digits and separators.
    3. The number of digits (17: one is missing; 15–16: Excel's 15-digit limit; 9: an
       old "NIP lama"; more than 18: an extra digit).
    4. The birth date (digits 1–8) is a real date, giving an age of 17–75 at
       ``reference_date``.
    5. Digit 13 tells the kind: 0 or 1 (a TMT month) for PNS, 2 for PPPK.
    6. PNS: TMT month 01–12, TMT year from 1960 to a year after ``reference_date``, age
       at TMT 18–46. PPPK: round digit 1–9, TMT year from 2018 to a year after
       ``reference_date``, age at TMT 18–60 (judged on the year only).
    7. Sex digit 1 or 2; serial not 000 (a NIP ending in 000 is the usual trace of
       Excel rounding).
    8. Agreement with ``status`` and ``sex`` when given.

    Missing values (NA, empty or whitespace-only strings, a lone ``"-"``) are reported
    as ``ok`` with ``nip`` NA: whether a NIP is required is judged elsewhere. A NIP
    damaged by Excel in a way that still leaves 18 plausible digits (e.g. only the last
    digit zeroed) cannot be detected here.

    References
    ----------
    Peraturan Kepala BKN No. 22/2007 (NIP PNS); docs/domain.md §1.

    Examples
    --------
    >>> import datetime as dt
    >>> import pandas as pd
    >>> from asn_research.identifiers import check_nip, make_nip
    >>> nip = make_nip(dt.date(1990, 5, 17), dt.date(2015, 3, 1), sex=2, serial=12)
    >>> res = check_nip(pd.Series([nip, "1990051720150320001"]), sex=pd.Series([2, 2]),
    ...                 reference_date=dt.date(2025, 1, 1))
    >>> res["ok"].tolist()
    [True, False]
    >>> res.loc[1, "reason"]
    'the NIP has 19 digits, more than 18: an extra digit was typed or two values were merged'
    """
    ref = _reference(reference_date)
    status_code = _status_codes(status, values) if status is not None else None
    sex_code = _sex_codes(sex, values) if sex is not None else None
    prep = _prepare(values, label="NIP", length=NIP_LENGTH)
    v = prep.verdict
    d = prep.digits  # (k, 18) int matrix of the rows that passed the structural checks
    rows = prep.rows

    birth_y, birth_m, birth_d = _num(d, 0, 4), _num(d, 4, 6), _num(d, 6, 8)
    tmt_y, tmt_m = _num(d, 8, 12), _num(d, 12, 14)
    kind_digit, round_digit, sex_digit = _num(d, 12, 13), _num(d, 13, 14), _num(d, 14, 15)
    serial = _num(d, 15, 18)
    is_pns = kind_digit <= 1
    is_pppk = kind_digit == 2
    ref_ymd = ref.year * 10000 + ref.month * 100 + ref.day
    birth_ymd = birth_y * 10000 + birth_m * 100 + birth_d
    age_now = _age(birth_ymd, ref_ymd)
    # PNS: age on the first day of the TMT month; PPPK: the TMT year only, so judge
    # leniently (age at the end of that year must be >= the minimum, at its start <= max).
    age_tmt_pns = _age(birth_ymd, tmt_y * 10000 + tmt_m * 100 + 1)
    age_tmt_pppk_hi = tmt_y - birth_y
    age_tmt_pppk_lo = age_tmt_pppk_hi - 1
    tmt_limit = (ref.year + TMT_GRACE_YEARS) * 100 + ref.month

    fix_retype = f"re-type the NIP from {_IDS_SOURCE}; look for swapped or mistyped digits"
    v.flag(
        rows,
        ~_real_date(birth_y, birth_m, birth_d),
        "digits 1–8 of the NIP (birth date, YYYYMMDD) are not a real calendar date",
        fix_retype,
    )
    v.flag(
        rows,
        ~(is_pns | is_pppk),
        "digit 13 of the NIP must be 0 or 1 (PNS: the appointment month) or 2 (PPPK); "
        "it is neither",
        fix_retype,
    )
    v.flag(
        rows,
        is_pns & ((tmt_m < 1) | (tmt_m > 12)),
        "digits 13–14 of the NIP (PNS appointment month, TMT CPNS) are not a month 01–12",
        fix_retype,
    )
    v.flag(
        rows,
        is_pns & (tmt_y < PNS_FIRST_TMT_YEAR),
        f"digits 9–12 of the NIP (PNS appointment year, TMT CPNS) are before {PNS_FIRST_TMT_YEAR}",
        fix_retype,
    )
    v.flag(
        rows,
        is_pns & (tmt_y * 100 + tmt_m > tmt_limit),
        "the appointment date in the NIP (TMT CPNS, digits 9–14) is more than a year "
        "after the reference date",
        fix_retype + " (if the survey is old, check the date it was taken)",
    )
    v.flag(
        rows,
        is_pppk & (round_digit == 0),
        "digit 14 of the NIP (PPPK appointment round) is 0; it must be 1–9",
        fix_retype,
    )
    v.flag(
        rows,
        is_pppk & (tmt_y < PPPK_FIRST_TMT_YEAR),
        f"digits 9–12 of the NIP (PPPK appointment year) are before {PPPK_FIRST_TMT_YEAR}, "
        "when PPPK did not yet exist",
        fix_retype,
    )
    v.flag(
        rows,
        is_pppk & (tmt_y > ref.year + TMT_GRACE_YEARS),
        "digits 9–12 of the NIP (PPPK appointment year) are more than a year after the "
        "reference date",
        fix_retype + " (if the survey is old, check the date it was taken)",
    )
    v.flag(
        rows,
        (sex_digit < 1) | (sex_digit > 2),
        "digit 15 of the NIP (sex) must be 1 (male) or 2 (female)",
        fix_retype,
    )
    v.flag(
        rows,
        serial == 0,
        "the serial number of the NIP (digits 16–18) is 000, which is never issued; a NIP "
        "ending in 000 usually means Excel turned it into a number and replaced its last "
        "digits with zeros",
        f"re-type the NIP from {_IDS_SOURCE}; if the column was numeric in Excel, format "
        "it as Text and re-export — the digits cannot be recovered from this file",
    )
    v.flag(
        rows,
        age_now < MIN_AGE,
        f"the birth date in the NIP (digits 1–8) gives an age under {MIN_AGE} at the "
        "reference date",
        fix_retype + " (if the survey is old, check the date it was taken)",
    )
    v.flag(
        rows,
        age_now > MAX_AGE,
        f"the birth date in the NIP (digits 1–8) gives an age over {MAX_AGE} at the reference date",
        fix_retype + " (if the survey is old, check the date it was taken)",
    )
    lo, hi = PNS_TMT_AGE
    v.flag(
        rows,
        is_pns & ((age_tmt_pns < lo) | (age_tmt_pns > hi)),
        f"the birth date and appointment date (TMT CPNS) in the NIP give an age at "
        f"appointment outside {lo}–{hi}",
        fix_retype,
    )
    lo, hi = PPPK_TMT_AGE
    v.flag(
        rows,
        is_pppk & ((age_tmt_pppk_hi < lo) | (age_tmt_pppk_lo > hi)),
        f"the birth date and appointment year in the PPPK NIP give an age at appointment "
        f"outside {lo}–{hi}",
        fix_retype,
    )
    if status_code is not None:
        given = status_code[rows]
        v.flag(
            rows,
            (given == "pppk") & is_pns,
            "the NIP has the PNS layout (digit 13 is 0 or 1) but the status column says PPPK",
            "check which is wrong: the status answer or the NIP (PPPK NIPs have 2 as digit 13)",
        )
        v.flag(
            rows,
            (given == "pns") & is_pppk,
            "the NIP has the PPPK layout (digit 13 is 2) but the status column says PNS",
            "check which is wrong: the status answer or the NIP (PNS NIPs have 0 or 1 as digit 13)",
        )
    if sex_code is not None:
        given = sex_code[rows]
        v.flag(
            rows,
            (given > 0) & (given != sex_digit),
            "the sex digit of the NIP (digit 15) does not match the sex column",
            "check which is wrong: the sex answer (1 male, 2 female) or the NIP",
        )

    return v.frame(
        values.index,
        prep,
        kind=is_pppk.astype(np.int32),
        kind_labels=("pns", "pppk"),
        birth=(lambda: _dates(birth_y, birth_m, birth_d)),
        sex=sex_digit,
        details=details,
    )


def check_nik(
    values: pd.Series,
    *,
    sex: pd.Series | None = None,
    reference_date: dt.date | None = None,
    details: bool = True,
) -> pd.DataFrame:
    """Check and normalize a column of NIKs (16-digit population IDs), one verdict per row.

    The NIK counterpart of :func:`check_nip`, for citizens' (SKM) and ASN's NIKs. NIKs
    of every region are accepted, not only Tangerang Selatan's (``3674…``).

    Parameters
    ----------
    values : pandas.Series
        The NIKs as typed (str; ints accepted). Spaces, dots, dashes and a leading
        apostrophe are ignored.
    sex : pandas.Series, optional
        Sex code per row, aligned with ``values``: 1 (male) or 2 (female), as int or
        str. It must match the NIK's day of birth (+40 for women).
    reference_date : datetime.date, optional
        Used to choose the century of the two-digit birth year: 20YY when that date is
        not after ``reference_date``, else 19YY. Defaults to today.
    details : bool, default True
        When False, only the ``nip``, ``ok``, ``reason`` and ``fix`` columns are returned.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``values``, with the columns of :func:`check_nip`: ``nip`` (the
        normalized 16 digits where ``ok``; the name is shared so both checks stack),
        ``ok``, ``reason``, ``fix``, ``kind`` (``"nik"`` where ``ok``), ``birth_date``
        and ``sex_code``.

    Raises
    ------
    InputError
        If ``sex`` is not aligned with ``values`` or holds codes other than 1 and 2.
    TypeError
        If ``values`` is not a pandas Series.

    Notes
    -----
    Checks, in order: Excel damage and non-digits and the number of digits (as for
    NIPs); a known province code (digits 1–2); non-zero regency and district codes;
    a real birth date (day 01–31 or 41–71, month 01–12); serial not 0000; agreement
    with ``sex``. The two-digit year makes age plausibility unjudgeable, so no age
    bounds are applied. Excel's 15-digit limit zeroes only the last digit of a NIK,
    which leaves a valid-looking NIK: that damage cannot be detected here. Missing
    values are ``ok`` with ``nip`` NA.

    References
    ----------
    Dukcapil NIK layout; docs/domain.md §1.

    Examples
    --------
    >>> import datetime as dt
    >>> import pandas as pd
    >>> from asn_research.identifiers import check_nik, make_nik
    >>> nik = make_nik(dt.date(1992, 8, 9), sex=2, serial=31)
    >>> nik
    '3674014908920031'
    >>> res = check_nik(pd.Series([nik]), reference_date=dt.date(2025, 1, 1))
    >>> bool(res.loc[0, "ok"]), str(res.loc[0, "birth_date"].date()), int(res.loc[0, "sex_code"])
    (True, '1992-08-09', 2)
    """
    ref = _reference(reference_date)
    sex_code = _sex_codes(sex, values) if sex is not None else None
    prep = _prepare(values, label="NIK", length=NIK_LENGTH)
    v = prep.verdict
    d = prep.digits
    rows = prep.rows

    province, regency, district = _num(d, 0, 2), _num(d, 2, 4), _num(d, 4, 6)
    day_raw, month, yy, serial = _num(d, 6, 8), _num(d, 8, 10), _num(d, 10, 12), _num(d, 12, 16)
    female = day_raw > 40
    day = np.where(female, day_raw - 40, day_raw)
    ref_ymd = ref.year * 10000 + ref.month * 100 + ref.day
    year = 2000 + yy
    year = np.where(year * 10000 + month * 100 + day > ref_ymd, year - 100, year)
    sex_digit = np.where(female, 2, 1)

    fix_retype = "re-type the NIK from the KTP or family card (KK); look for swapped digits"
    v.flag(
        rows,
        ~np.isin(province, list(_PROVINCE_CODES)),
        "digits 1–2 of the NIK are not an Indonesian province code",
        fix_retype,
    )
    v.flag(rows, regency == 0, "digits 3–4 of the NIK (regency/city code) are 00", fix_retype)
    v.flag(rows, district == 0, "digits 5–6 of the NIK (district code) are 00", fix_retype)
    v.flag(
        rows,
        ~_real_date(year, month, day),
        "digits 7–12 of the NIK (birth date DDMMYY, day +40 for women) are not a real "
        "calendar date",
        fix_retype,
    )
    v.flag(
        rows,
        serial == 0,
        "the serial number of the NIK (digits 13–16) is 0000, which is never issued",
        fix_retype,
    )
    if sex_code is not None:
        given = sex_code[rows]
        v.flag(
            rows,
            (given > 0) & (given != sex_digit),
            "the sex encoded in the NIK (day of birth +40 for women) does not match the sex column",
            "check which is wrong: the sex answer (1 male, 2 female) or the NIK",
        )
    return v.frame(
        values.index,
        prep,
        kind=np.zeros(len(rows), dtype=np.int32),
        kind_labels=("nik",),
        birth=(lambda: _dates(year, month, day)),
        sex=sex_digit,
        details=details,
    )


def make_nip(
    birth_date: dt.date,
    tmt: dt.date,
    sex: int,
    serial: int,
    *,
    status: Literal["pns", "pppk"] = "pns",
    round_: int = 1,
) -> str:
    """Build an 18-digit NIP from its parts (for tests and the simulator).

    Parameters
    ----------
    birth_date : datetime.date
        Date of birth (digits 1–8).
    tmt : datetime.date
        Start of appointment: TMT CPNS year and month for PNS (digits 9–14), the TMT
        year for PPPK (digits 9–12).
    sex : int
        1 (male) or 2 (female).
    serial : int
        Serial number, 1–999.
    status : {"pns", "pppk"}, optional
        The NIP layout. Default "pns".
    round_ : int, optional
        PPPK appointment round, 1–9 (digit 14). Ignored for PNS. Default 1.

    Returns
    -------
    str
        The 18 digits, no separators.

    Raises
    ------
    ConfigError
        If a part does not fit its digits (sex not 1/2, serial outside 1–999, round
        outside 1–9, a year outside 1000–9999, an unknown status).

    Notes
    -----
    Only the layout is enforced; plausibility (ages, TMT) is :func:`check_nip`'s job,
    so deliberately implausible NIPs can be built for tests.

    Examples
    --------
    >>> import datetime as dt
    >>> from asn_research.identifiers import make_nip
    >>> make_nip(dt.date(1985, 3, 12), dt.date(2010, 1, 1), sex=1, serial=2)
    '198503122010011002'
    >>> make_nip(dt.date(1990, 1, 31), dt.date(2022, 7, 1), sex=2, serial=77,
    ...          status="pppk", round_=3)
    '199001312022232077'
    """
    if status not in ("pns", "pppk"):
        raise ConfigError(f"status must be one of: 'pns', 'pppk'; got {status!r}")
    _check_part("sex", sex, 1, 2)
    _check_part("serial", serial, 1, 999)
    _check_year("birth_date", birth_date)
    _check_year("tmt", tmt)
    head = f"{birth_date.year:04d}{birth_date.month:02d}{birth_date.day:02d}"
    if status == "pns":
        middle = f"{tmt.year:04d}{tmt.month:02d}"
    else:
        _check_part("round_", round_, 1, 9)
        middle = f"{tmt.year:04d}2{round_:d}"
    return f"{head}{middle}{sex:d}{serial:03d}"


def make_nik(
    birth_date: dt.date,
    sex: int,
    serial: int,
    *,
    province: int = 36,
    regency: int = 74,
    district: int = 1,
) -> str:
    """Build a 16-digit NIK from its parts (for tests and the simulator).

    Parameters
    ----------
    birth_date : datetime.date
        Date of birth; only the last two digits of the year are encoded.
    sex : int
        1 (male) or 2 (female; the day is written +40).
    serial : int
        Serial number, 1–9999.
    province, regency, district : int, optional
        Region codes, each 1–99. Defaults 36, 74, 1: Banten, Kota Tangerang Selatan,
        the first kecamatan code.

    Returns
    -------
    str
        The 16 digits, no separators.

    Raises
    ------
    ConfigError
        If a part does not fit its digits.

    Examples
    --------
    >>> import datetime as dt
    >>> from asn_research.identifiers import make_nik
    >>> make_nik(dt.date(1985, 3, 12), sex=1, serial=1)
    '3674011203850001'
    """
    _check_part("sex", sex, 1, 2)
    _check_part("serial", serial, 1, 9999)
    _check_part("province", province, 11, 99)
    _check_part("regency", regency, 1, 99)
    _check_part("district", district, 1, 99)
    day = birth_date.day + (40 if sex == 2 else 0)
    return (
        f"{province:02d}{regency:02d}{district:02d}"
        f"{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{serial:04d}"
    )


# --------------------------------------------------------------------------- internals


class _Verdict:
    """Per-row reason codes; the first failing check wins.

    ``code`` is 0 for rows without a reason, else 1 + the index into ``messages``.
    """

    def __init__(self, n: int) -> None:
        self.code = np.zeros(n, dtype=np.int32)
        self.messages: list[tuple[str, str]] = []

    @property
    def open(self) -> np.ndarray:
        return self.code == 0

    def _code_of(self, reason: str, fix: str) -> int:
        try:
            return self.messages.index((reason, fix)) + 1
        except ValueError:
            self.messages.append((reason, fix))
            return len(self.messages)

    def flag_all(self, mask: np.ndarray, reason: str, fix: str) -> None:
        """Flag every row where ``mask`` (length n) is True and no reason is set yet."""
        hit = np.flatnonzero(mask & (self.code == 0))
        if hit.size:
            self.code[hit] = self._code_of(reason, fix)

    def flag(self, rows: np.ndarray, mask: np.ndarray, reason: str, fix: str) -> None:
        """Flag ``rows[mask]`` (``rows`` are the positions of the parsed sub-matrix)."""
        hit = rows[np.asarray(mask, dtype=bool)]
        hit = hit[self.code[hit] == 0]
        if hit.size:
            self.code[hit] = self._code_of(reason, fix)

    def frame(
        self,
        index: pd.Index,
        prep: _Prepared,
        *,
        kind: np.ndarray,
        kind_labels: tuple[str, ...],
        birth: Callable[[], np.ndarray],
        sex: np.ndarray,
        details: bool = True,
    ) -> pd.DataFrame:
        n = len(index)
        ok = self.code == 0  # missing rows are never flagged: ok
        good = ok[prep.rows]  # parsed rows that passed every check
        good_pos = prep.rows[good]
        parsed_ok = np.zeros(n, dtype=bool)
        parsed_ok[good_pos] = True

        if parsed_ok.all():
            nip = prep.normalized
        else:
            nip = pc.if_else(pa.array(parsed_ok), prep.normalized,
                             pa.scalar(None, pa.large_string()))
        n_bad = int((~ok).sum())
        if n_bad:
            log.debug("%d of %d identifiers failed the checks", n_bad, n)
        columns = {
            "nip": _string_array(nip),
            "ok": ok,
            "reason": _decode(self.code - 1, [r for r, _ in self.messages]),
            "fix": _decode(self.code - 1, [f for _, f in self.messages]),
        }
        if details:
            kind_code = np.full(n, -1, dtype=np.int32)
            kind_code[good_pos] = kind[good]
            birth_out = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
            birth_out[good_pos] = birth()[good]
            sex_vals = np.zeros(n, dtype=np.int64)
            sex_vals[good_pos] = sex[good]
            columns["kind"] = _decode(kind_code, list(kind_labels))
            columns["birth_date"] = birth_out
            columns["sex_code"] = pd.arrays.IntegerArray(sex_vals, ~parsed_ok)
        return pd.DataFrame(columns, index=index)


def _string_array(arr: pa.Array) -> pd.api.extensions.ExtensionArray:
    """Wrap an Arrow string array as a pandas ``string`` (pd.NA) array without copying."""
    return pd.array(arr.cast(pa.large_string()), dtype=pd.StringDtype("pyarrow"))


def _decode(codes: np.ndarray, labels: list[str]) -> pd.api.extensions.ExtensionArray:
    """Return a pandas ``string`` array of ``labels[codes]``; negative codes give NA."""
    missing = codes < 0
    if missing.all():
        return _string_array(pa.nulls(len(codes), pa.large_string()))
    indices = pa.array(np.where(missing, 0, codes), mask=missing, type=pa.int32())
    dictionary = pa.array(labels or [""], type=pa.large_string())
    return _string_array(pa.DictionaryArray.from_arrays(indices, dictionary).dictionary_decode())


class _Prepared:
    """Normalized values and the digit matrix of the rows that passed structural checks."""

    def __init__(
        self, verdict: _Verdict, normalized: pa.Array, rows: np.ndarray, digits: np.ndarray
    ) -> None:
        self.verdict = verdict
        self.normalized = normalized  # Arrow large_string: the digits (null where missing)
        self.rows = rows  # positions (into values) of the parsed rows
        self.digits = digits  # (len(rows), length) uint8 matrix of digit values


def _prepare(values: pd.Series, *, label: str, length: int) -> _Prepared:
    """Normalize, flag structural damage, and parse the well-formed rows into digits."""
    if not isinstance(values, pd.Series):
        raise TypeError(f"values must be a pandas Series, got {type(values).__name__}")
    n = len(values)
    verdict = _Verdict(n)
    excel_reason = f"the {label} was turned into a number by Excel and its last digits are lost"
    excel_fix = (
        f"in the source sheet, format the {label} column as Text (or prefix with an "
        "apostrophe) and re-type or re-export it; the digits cannot be recovered from "
        "this file"
    )
    retype_fix = f"re-type the full {length}-digit {label} from " + (
        _IDS_SOURCE if label == "NIP" else "the KTP or family card (KK)"
    )
    no_rows = np.arange(0)
    no_digits = np.empty((0, length), dtype=np.int64)

    if pd.api.types.is_float_dtype(values.dtype):
        # A float column cannot hold 16–18 digits exactly: every value is damaged.
        verdict.flag_all(values.notna().to_numpy(), excel_reason, excel_fix)
        return _Prepared(verdict, pa.nulls(n, pa.large_string()), no_rows, no_digits)

    text = _arrow_text(values)
    text = pc.utf8_trim_whitespace(text)
    text = pc.utf8_trim_whitespace(pc.utf8_ltrim(text, characters=_APOSTROPHES))
    # The common case — nothing but ASCII digits — skips the regular expressions.
    pure = _np_bool(_is_ascii_digits(text))
    messy = np.flatnonzero(~pure & _np_bool(pc.is_valid(text)))
    digits = text
    if messy.size:
        sub = text.take(pa.array(messy))
        # Excel damage needs a dot, a comma or an exponent: test only those rows.
        maybe_number = np.flatnonzero(
            _np_bool(pc.match_substring(sub, "."))
            | _np_bool(pc.match_substring(sub, ","))
            | _np_bool(pc.match_substring(sub, "e", ignore_case=True))
        )
        if maybe_number.size:
            candidates = sub.take(pa.array(maybe_number))
            for pattern, reason in (
                (_SCIENTIFIC, excel_reason),
                (
                    _DECIMAL_ZERO,
                    f"the {label} was stored as a decimal number (it ends in '.0'), so it "
                    "went through a numeric column and its last digits are probably lost",
                ),
                (
                    _THOUSANDS,
                    f"the {label} was formatted by Excel as a number with thousands "
                    "separators and its last digits are lost",
                ),
            ):
                hit = np.zeros(n, dtype=bool)
                hit[messy[maybe_number]] = _np_bool(
                    pc.match_substring_regex(candidates, f"^(?:{pattern})$")
                )
                verdict.flag_all(hit, reason, excel_fix)
        # Separators: the usual ones by literal replacement, the rest by a regex on the
        # few rows that still hold something other than digits.
        cleaned = sub
        for separator in (" ", ".", "-"):
            cleaned = pc.replace_substring(cleaned, separator, "")
        still = np.flatnonzero(~_np_bool(_is_ascii_digits(cleaned)))
        if still.size:
            rest = pc.replace_substring_regex(cleaned.take(pa.array(still)), _SEPARATORS, "")
            still_mask = np.zeros(len(cleaned), dtype=bool)
            still_mask[still] = True
            cleaned = pc.replace_with_mask(cleaned, pa.array(still_mask), rest)
        mask = np.zeros(n, dtype=bool)
        mask[messy] = True
        digits = pc.replace_with_mask(text, pa.array(mask), cleaned)
        only_digits = np.ones(n, dtype=bool)
        only_digits[messy] = _np_bool(_is_ascii_digits(cleaned))
        empty = np.zeros(n, dtype=bool)
        empty[messy] = _np_bool(pc.equal(cleaned, ""))
        verdict.flag_all(
            ~only_digits & ~empty,
            f"the {label} contains characters other than digits, spaces, dots or dashes",
            f"re-type the {label} with digits only (a letter O typed for zero, or l for one, "
            "is a common cause)",
        )
    n_digits = _np_int(pc.utf8_length(digits))  # 0 for null, "" and lone separators
    missing = n_digits == 0
    normalized = pc.if_else(pa.array(missing), pa.scalar(None, pa.large_string()), digits)

    wrong_length = ~missing & (n_digits != length)
    for k in np.unique(n_digits[wrong_length & verdict.open]):
        reason, fix = _length_message(int(k), label=label, length=length)
        verdict.flag_all(wrong_length & (n_digits == k), reason, fix or retype_fix)

    rows = np.flatnonzero(verdict.open & ~missing)
    if not rows.size:
        return _Prepared(verdict, normalized, no_rows, no_digits)
    good = normalized if rows.size == n else normalized.take(pa.array(rows))
    good = good.cast(pa.large_string())
    offsets = np.frombuffer(good.buffers()[1], dtype=np.int64)[good.offset : good.offset + 2]
    data = np.frombuffer(good.buffers()[2], dtype=np.uint8)
    start = int(offsets[0])
    matrix = data[start : start + rows.size * length].reshape(rows.size, length)
    return _Prepared(verdict, normalized, rows, matrix - np.uint8(ord("0")))


def _arrow_text(values: pd.Series) -> pa.Array:
    """Return the values as one Arrow large_string array (ints become their digits)."""
    text = values.astype(pd.StringDtype("pyarrow"))
    arr = pa.array(text.array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.large_string())


def _is_ascii_digits(arr: pa.Array) -> pa.Array:
    """Flag strings that are non-empty and hold only the ASCII digits 0–9."""
    return pc.and_(pc.string_is_ascii(arr), pc.utf8_is_digit(arr))


def _np_bool(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def _np_int(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, 0).to_numpy(zero_copy_only=False), dtype=np.int64)


def _length_message(k: int, *, label: str, length: int) -> tuple[str, str | None]:
    """Reason (and a specific fix, or None for the default) for ``k`` digits."""
    if k > length:
        return (
            f"the {label} has {k} digits, more than {length}: an extra digit was typed or "
            "two values were merged",
            None,
        )
    if k == length - 1:
        return (
            f"the {label} has {k} digits, one fewer than {length}: a digit is missing — "
            "Excel drops leading zeros, or a digit was not typed",
            f"re-type the full {length}-digit {label} and format the column as Text so "
            "Excel keeps every digit",
        )
    if label == "NIP" and k in (15, 16):
        return (
            f"the NIP has {k} digits instead of 18: digits are missing, as when Excel keeps "
            "only the first 15 significant digits of a NIP stored as a number",
            f"re-type the full 18-digit NIP from {_IDS_SOURCE}; format the column as Text "
            "first — the missing digits cannot be recovered from this file",
        )
    if label == "NIP" and k == 9:
        return (
            "the NIP has 9 digits: this looks like an old 'NIP lama' from before 2007, "
            "not the 18-digit NIP",
            f"look up the employee's 18-digit NIP in {_IDS_SOURCE}",
        )
    return (f"the {label} has only {k} digits; a {label} has {length}", None)


def _num(d: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Integer value of digit columns ``start:stop`` of the digit matrix."""
    out = d[:, start].astype(np.int64)
    for j in range(start + 1, stop):  # Horner; a uint8 matmul would not use BLAS
        out *= 10
        out += d[:, j]
    return out


def _real_date(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Flag (y, m, d) triples that are dates of the proleptic Gregorian calendar."""
    month_ok = (m >= 1) & (m <= 12)
    days = _DAYS_IN_MONTH[np.where(month_ok, m, 0)]
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    days = days + ((m == 2) & leap)
    return month_ok & (d >= 1) & (d <= days) & (y >= 1)


def _age(birth_ymd: np.ndarray, at_ymd: np.ndarray | int) -> np.ndarray:
    """Completed years between two dates written as YYYYMMDD integers."""
    return (np.asarray(at_ymd) - birth_ymd) // 10000


def _dates(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """datetime64[us] from year/month/day arrays; NaT where not a real date."""
    ok = _real_date(y, m, d) & (y >= 1678) & (y <= 2261)
    months = np.where(ok, (y - 1970) * 12 + (m - 1), 0).astype("timedelta64[M]")
    day0 = np.datetime64("1970-01", "M") + months
    out = day0.astype("datetime64[D]") + np.where(ok, d - 1, 0).astype("timedelta64[D]")
    out = out.astype("datetime64[us]")
    out[~ok] = np.datetime64("NaT")
    return out


def _reference(reference_date: dt.date | None) -> dt.date:
    if reference_date is None:
        return dt.date.today()
    if isinstance(reference_date, dt.datetime):
        return reference_date.date()
    if isinstance(reference_date, dt.date):
        return reference_date
    raise ConfigError(
        f"reference_date must be a datetime.date, got {type(reference_date).__name__}"
    )


def _aligned(aux: pd.Series, values: pd.Series, name: str) -> pd.Series:
    if not isinstance(aux, pd.Series):
        raise TypeError(f"{name} must be a pandas Series, got {type(aux).__name__}")
    if not aux.index.equals(values.index):
        raise InputError(
            f"the {name} values are not aligned with the identifiers (different index)",
            column=str(aux.name) if aux.name is not None else name,
            fix=f"pass {name} and the identifiers as columns of the same data frame",
        )
    return aux


def _mapped_codes(aux: pd.Series, mapping: dict[str, object]
                  ) -> tuple[np.ndarray, pd.Series, np.ndarray]:
    """Map each distinct stripped text of ``aux`` once: (codes per row, distinct texts,
    which distinct texts are unknown). Row codes index into the distinct texts; -1 = missing."""
    text = aux.astype(pd.StringDtype("pyarrow"))
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    distinct = pd.Series(uniques, dtype=pd.StringDtype("pyarrow")).str.strip()
    blank = distinct.isna() | (distinct == "")
    codes = np.where(blank.to_numpy()[np.maximum(codes, 0)] & (codes >= 0), -1, codes)
    keys = distinct.str.lower().map(mapping)
    unknown = (~blank & keys.isna()).to_numpy()
    return codes, keys, unknown


def _status_codes(status: pd.Series, values: pd.Series) -> np.ndarray:
    """'pns' / 'pppk' / '' (missing) per row."""
    status = _aligned(status, values, "status")
    codes, keys, unknown = _mapped_codes(
        status, {"pns": "pns", "cpns": "pns", "pppk": "pppk", "p3k": "pppk"})
    bad_rows = unknown[np.maximum(codes, 0)] & (codes >= 0)
    if bad_rows.any():
        raise InputError(
            f"the status column has values other than 'pns' and 'pppk' in {int(bad_rows.sum())} "
            f"rows (first at position {int(np.flatnonzero(bad_rows)[0])})",
            column=str(status.name) if status.name is not None else "status",
            fix="map the status answers to the codes 'pns'/'pppk' first (invalid answers "
            "as missing)",
        )
    table = np.array(keys.fillna("").tolist() + [""], dtype=object)
    return table[codes]  # -1 picks the trailing "" (missing)


def _sex_codes(sex: pd.Series, values: pd.Series) -> np.ndarray:
    """1 / 2 / 0 (missing) per row."""
    sex = _aligned(sex, values, "sex")
    if pd.api.types.is_integer_dtype(sex.dtype):  # codes already (the validator's Int16)
        ints = sex.to_numpy(dtype="int64", na_value=0)
        if not (sex.notna().to_numpy() & (ints != 1) & (ints != 2)).any():
            return ints  # 1, 2, or 0 where missing
    codes, keys, unknown = _mapped_codes(sex, {"1": 1, "2": 2, "1.0": 1, "2.0": 2})
    bad_rows = unknown[np.maximum(codes, 0)] & (codes >= 0)
    if bad_rows.any():
        raise InputError(
            f"the sex column has values other than 1 and 2 in {int(bad_rows.sum())} rows "
            f"(first at position {int(np.flatnonzero(bad_rows)[0])})",
            column=str(sex.name) if sex.name is not None else "sex",
            fix="map the sex answers to the codes 1 (male) / 2 (female) first (invalid "
            "answers as missing)",
        )
    table = np.array(keys.fillna(0).astype("int64").tolist() + [0], dtype=np.int64)
    return table[codes]


def _check_part(name: str, value: int, lo: int, hi: int) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or not (lo <= value <= hi)
    ):
        raise ConfigError(f"{name} must be an integer from {lo} to {hi}; got {value!r}")


def _check_year(name: str, value: dt.date) -> None:
    if not isinstance(value, dt.date) or not (1000 <= value.year <= 9999):
        raise ConfigError(f"{name} must be a datetime.date with a four-digit year")
