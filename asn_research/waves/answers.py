"""Turning answer text into values: codes and labels, numbers, dates.

Codes, Indonesian and English labels and aliases map to an instrument's codes
(case-insensitively); numbers may use a decimal comma; dates may be ISO, day-first
(``DD/MM/YYYY``, with or without a time), Excel serial days, or written with Indonesian or
English month names (``5 Juni 2025``, ``5 Jun 2025``).
"""

from __future__ import annotations

import logging
import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..instruments import Choice, ChoiceList

log = logging.getLogger(__name__)


MULTI_SEPARATORS = re.compile(r"[,;]\s*|\s+")


TRUE_TEXTS = frozenset({"1", "1.0", "true", "ya", "yes", "y", "x", "✓"})


FALSE_TEXTS = frozenset({"0", "0.0", "false", "tidak", "no", "n", ""})


def norm(text: str) -> str:
    """Normalize an answer for matching: NFKC, casefold, collapse whitespace."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def choice_lookup(cl: ChoiceList) -> dict[str, int | str]:
    """Map every accepted spelling of a choice (value, labels, aliases) to its value."""
    table: dict[str, int | str] = {}

    def add(key: str, c: Choice) -> None:
        k = norm(key)
        if k and k not in table:
            table[k] = c.value

    exact = [str(c.value) for c in cl.choices] + [
        t for c in cl.choices for t in (c.label_id, c.label_en, *c.aliases)
    ]
    values = [c.value for c in cl.choices] + [
        c.value for c in cl.choices for _ in (c.label_id, c.label_en, *c.aliases)
    ]
    for text, value in zip(exact, values, strict=True):  # codes first, as written (fast path)
        if text and text not in table:
            table[text] = value
    for c in cl.choices:  # values first: a code always wins over a label
        add(str(c.value), c)
        if cl.ordinal:
            add(f"{c.value}.0", c)
            add(f"{c.value},0", c)
    for c in cl.choices:
        add(c.label_id, c)
        add(c.label_en, c)
        for a in c.aliases:
            add(a, c)
    return table


def _numeric_code(text: str) -> str:
    """'05', '+5', '5.00' -> '5' (so integer codes written as numbers still match)."""
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() and abs(number) < 1e6 else text


def codes_for(
    series: pd.Series, lookup: dict[str, int | str], *, ordinal: bool
) -> tuple[pd.Series, np.ndarray]:
    """Map answers to codes. Returns (codes, unknown_mask).

    Fast path: an exact hash lookup in C (``pyarrow.compute.index_in``) of every spelling
    the instrument lists. Only answers it does not find (odd case or spacing, unknown
    answers) are normalized, once per distinct value.
    """
    keys = list(lookup)
    spellings = pa.array(keys, type=pa.string())
    vals = list(lookup.values())
    arr = pa.array(series)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.string())
    if ordinal:
        fast = _integer_codes(arr, lookup)
        if fast is not None:
            return pd.Series(fast, index=series.index), np.zeros(len(arr), dtype=bool)
    idx = pc.index_in(arr, value_set=spellings)
    pos = pc.fill_null(idx, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    present = arr.is_valid().to_numpy(zero_copy_only=False)
    todo = present & (pos < 0)
    if todo.any():  # normalize the few distinct unmatched spellings
        sub = series[todo]
        codes, uniques = pd.factorize(sub, use_na_sentinel=True)
        where = {k: j for j, k in enumerate(keys)}
        norm_pos = np.array([where.get(_numeric_code(norm(str(u))), -1) for u in uniques]
                            + [-1])
        pos[todo] = norm_pos[np.where(codes < 0, len(uniques), codes)]
    unknown = present & (pos < 0)
    missing = pos < 0
    take = np.where(missing, 0, pos)
    if ordinal:
        table = np.array(vals, dtype=np.int16)
        arr_out = pd.arrays.IntegerArray(table[take], missing)
        return pd.Series(arr_out, index=series.index), unknown
    out = pa.array([str(v) for v in vals], pa.large_string()).take(pa.array(take, mask=missing))
    return pd.Series(pd.array(out, dtype="str"), index=series.index), unknown


_INT_TEXT = re.compile(r"\s*[+-]?[0-9]+\s*")


def _decimal_integers(arr: pa.Array | pa.ChunkedArray, type_: pa.DataType, lo: int, hi: int
                      ) -> pa.Array | pa.ChunkedArray | None:
    """The text column as integers, or None unless every answer is a plain decimal integer
    (``5``, ``05``, ``-1``) within [lo, hi]. The fast paths below start here.

    pyarrow's cast also reads hexadecimal (``0x3``), which the general code does not: a
    column whose character data holds an ``x`` or ``X`` anywhere is left to the general code
    (a byte search over the Arrow buffers; a false alarm only costs speed).
    """
    for chunk in arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]:
        data = chunk.buffers()[2]
        if data is not None and len(data):
            raw = np.frombuffer(data, dtype=np.uint8)
            if ((raw == ord("x")) | (raw == ord("X"))).any():
                return None
    try:
        ints = pc.cast(arr, type_)  # any text that is not an integer raises
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    extremes = pc.min_max(ints)
    if extremes["min"].is_valid and (extremes["min"].as_py() < lo
                                     or extremes["max"].as_py() > hi):
        return None
    return ints


def _integer_codes(arr: pa.Array, lookup: dict[str, int | str]) -> pd.arrays.IntegerArray | None:
    """Fast path for a column of integer codes: parse all of it in C and check the codes.

    Returns None (use the general path) unless every answer is an integer (``5``, ``05``)
    that is one of the list's codes — the result the general path gives for such answers.
    """
    codes = {v for v in lookup.values() if isinstance(v, int)}
    # a spelling that reads as an integer must mean that integer's code (never a label)
    confusable = any(_INT_TEXT.fullmatch(k) and lookup[k] != int(k) for k in lookup)
    if not codes or confusable or max(map(abs, codes)) > 30_000:
        return None
    lo, hi = min(codes), max(codes)
    ints = _decimal_integers(arr, pa.int16(), lo, hi)
    if ints is None:
        return None
    if len(codes) != hi - lo + 1:  # codes with gaps (e.g. 1, 2, 9)
        allowed = pc.is_in(ints, value_set=pa.array(sorted(codes), pa.int16()))
        if pc.all(allowed).as_py() is False:
            return None
    values = np.asarray(pc.fill_null(ints, 0).to_numpy(zero_copy_only=False), dtype=np.int16)
    missing = np.asarray(ints.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    return pd.arrays.IntegerArray(values, missing)


def plain_integers(series: pd.Series) -> pd.Series | None:
    """Float64 values of a text column whose every answer is a plain integer within ±2**53
    (what the general number checks accept unchanged), else None."""
    if not isinstance(series.dtype, pd.StringDtype):
        return None
    arr = pa.array(series)
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return None
    ints = _decimal_integers(arr, pa.int64(), -(2**53), 2**53)
    if ints is None:
        return None
    return pd.Series(pd.array(pc.cast(ints, pa.float64()), dtype="Float64"), index=series.index)


def parse_numbers(series: pd.Series, *, decimal_comma: bool) -> tuple[pd.Series, np.ndarray]:
    """Parse text numbers ("72.5", "72,5"); returns (Float64 values, not_a_number mask)."""
    try:  # fast path: every value is a plain number (pyarrow parses in C)
        parsed = pc.cast(pa.array(series), pa.float64())
        nan_text = pc.fill_null(pc.is_nan(parsed), False).to_numpy(zero_copy_only=False)
        values = pd.Series(pd.array(parsed, dtype="Float64"), index=series.index)
        return _finite(values.mask(nan_text), nan_text.copy())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
        pass
    s = series
    if decimal_comma or s.str.contains(",", regex=False).any():
        # a comma is a decimal separator only when there is no dot and exactly one comma
        one_comma = s.str.fullmatch(r"[+-]?\d+,\d+").fillna(False).astype(bool)
        s = s.where(~one_comma, s.str.replace(",", ".", regex=False))
    num = pd.to_numeric(s, errors="coerce")
    bad = (series.notna() & num.isna()).to_numpy()
    return _finite(pd.Series(num, index=series.index, dtype="Float64"), bad)


def _finite(values: pd.Series, bad: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    """Treat 'inf' and 'nan' written in a cell as not a number."""
    arr = values.to_numpy(dtype="float64", na_value=0.0)
    nonfinite = ~np.isfinite(arr) | (values.notna().to_numpy() & np.isnan(arr))
    if nonfinite.any():
        values = values.mask(nonfinite)
        bad = bad | nonfinite
    return values, bad


_DATE_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"\d{4}-\d{1,2}-\d{1,2}", "%Y-%m-%d"),
    (r"\d{4}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?", "iso"),
    (r"\d{1,2}/\d{1,2}/\d{4}", "%d/%m/%Y"),
    (r"\d{1,2}-\d{1,2}-\d{4}", "%d-%m-%Y"),
    (r"\d{1,2}\.\d{1,2}\.\d{4}", "%d.%m.%Y"),
    (r"\d{4}/\d{1,2}/\d{1,2}", "%Y/%m/%d"),
    # day-first date-times, as Google Forms and Excel write them in Indonesia
    (r"\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2}", "%d/%m/%Y %H:%M:%S"),
    (r"\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}", "%d/%m/%Y %H:%M"),
    (r"\d{1,2}-\d{1,2}-\d{4} \d{1,2}:\d{2}(:\d{2})?", "day-first-dash"),
    (r"\d{1,2}\.\d{1,2}\.\d{4} \d{1,2}[:.]\d{2}([:.]\d{2})?", "day-first-dot"),
)

#: Month names and abbreviations, Indonesian and English (lower case, without a dot).
MONTHS = {
    **{m: i for i, m in enumerate(
        ["januari", "februari", "maret", "april", "mei", "juni", "juli", "agustus",
         "september", "oktober", "november", "desember"], start=1)},
    **{m: i for i, m in enumerate(
        ["january", "february", "march", "april", "may", "june", "july", "august",
         "september", "october", "november", "december"], start=1)},
    "jan": 1, "feb": 2, "peb": 2, "pebruari": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7,
    "agu": 8, "agt": 8, "agus": 8, "aug": 8, "sep": 9, "sept": 9, "okt": 10, "oct": 10,
    "nov": 11, "nop": 11, "nopember": 11, "des": 12, "dec": 12,
}
_WEEKDAY = (r"(?:(?:senin|selasa|rabu|kamis|jumat|jum'at|sabtu|minggu|ahad|monday|tuesday|"
            r"wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun)\.?,?\s+)?")
_TIME = r"(?:[\sT,]+(?P<time>\d{1,2}[:.]\d{2}(?:[:.]\d{2})?))?"
_NAMED_DMY = re.compile(_WEEKDAY + r"(?P<d>\d{1,2})[\s\-./]+(?P<m>[^\W\d_]+)\.?[\s\-./,]+"
                        r"(?P<y>\d{4})" + _TIME, re.IGNORECASE)
_NAMED_MDY = re.compile(_WEEKDAY + r"(?P<m>[^\W\d_]+)\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>\d{4})"
                        + _TIME, re.IGNORECASE)


def _named_month_iso(text: str) -> str | None:
    """``"Kamis, 5 Juni 2025 10:09"`` → ``"2025-06-05 10:09"`` (None if not such a date)."""
    for pattern in (_NAMED_DMY, _NAMED_MDY):
        m = pattern.fullmatch(text.strip())
        if m:
            month = MONTHS.get(m["m"].casefold().rstrip("."))
            if month is None:
                return None
            time = (m["time"] or "").replace(".", ":")
            return f"{m['y']}-{month:02d}-{int(m['d']):02d}" + (f" {time}" if time else "")
    return None


_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


_SLASHED = re.compile(r"\s*(\d{1,2})/(\d{1,2})/\d{4}(?:\s.*)?")


def month_first(series: pd.Series) -> bool:
    """Tell whether a column's ``a/b/YYYY`` dates are month-first (an English-locale export).

    True only when some date cannot be day-first (its second number is above 12) and none
    cannot be month-first (no first number above 12); otherwise dates are day-first, the
    Indonesian convention.

    Examples
    --------
    >>> import pandas as pd
    >>> month_first(pd.Series(["3/15/2025 10:09:00", "3/1/2025"])), month_first(
    ...     pd.Series(["15/3/2025", "3/1/2025"]))
    (True, False)
    """
    distinct = pd.Series(pd.unique(series.dropna()), dtype="str")  # few distinct dates
    parts = distinct.str.extract(_SLASHED).dropna().astype(int)
    if parts.empty:
        return False
    return bool((parts[1] > 12).any() and not (parts[0] > 12).any())


def parse_dates(series: pd.Series, *, with_time: bool,
                month_first_order: bool = False) -> tuple[pd.Series, np.ndarray]:
    """Parse dates written as ISO, DD/MM/YYYY (also with a time), DD-MM-YYYY, with a month
    name (``5 Juni 2025``, ``5 Jun 2025``, ``Kamis, 5 Juni 2025``, ``June 5, 2025``) or as an
    Excel serial number.

    Day-first is the Indonesian convention; ``a/b/YYYY`` is month-first only when
    ``month_first_order`` says so (see :func:`month_first`). A date field given a date-time
    keeps the calendar day. Each distinct text is parsed once (a
    wave has few distinct dates), then spread to its rows.

    Examples
    --------
    >>> import pandas as pd
    >>> v, bad = parse_dates(pd.Series(["5 Juni 2025", "01/03/2025 10:09:00", "2025-13-01"]),
    ...                      with_time=False)
    >>> v.dt.strftime("%Y-%m-%d").tolist()[:2], bad.tolist()
    (['2025-06-05', '2025-03-01'], [False, False, True])
    """
    if month_first_order:  # swap to day-first, then parse as usual
        series = series.str.replace(r"^\s*(\d{1,2})/(\d{1,2})/", r"\2/\1/", regex=True)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    if len(uniques) * 4 < len(series):
        u_vals, u_bad = _parse_dates_each(pd.Series(uniques, dtype="str"), with_time=with_time)
        idx = np.where(codes < 0, len(uniques), codes)
        vals = np.append(u_vals.to_numpy(), np.datetime64("NaT", "s"))[idx]
        bad = np.append(u_bad, False)[idx]
        return pd.Series(vals, index=series.index, dtype="datetime64[s]"), bad
    return _parse_dates_each(series, with_time=with_time)


def _parse_dates_each(series: pd.Series, *, with_time: bool) -> tuple[pd.Series, np.ndarray]:
    out = pd.Series(pd.NaT, index=series.index, dtype="datetime64[s]")
    remaining = series.notna().to_numpy(copy=True)
    for pattern, fmt in _DATE_PATTERNS:
        if not remaining.any():
            break
        match = series.str.fullmatch(pattern).fillna(False).astype(bool).to_numpy() & remaining
        if not match.any():
            continue
        sub = series[match]
        if fmt == "iso" and not with_time:  # a date: the local calendar day as written
            parsed = pd.to_datetime(sub.str.slice(0, 10), errors="coerce", format="%Y-%m-%d")
        elif fmt == "iso":  # a moment: stored in UTC
            parsed = pd.to_datetime(sub, errors="coerce", utc=True, format="ISO8601")
            parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
        elif fmt.startswith("day-first"):
            sep = "-" if fmt.endswith("dash") else "."
            day, _, time = sub.str.partition(" ")[[0, 1, 2]].T.to_numpy()
            text = pd.Series([f"{d.replace(sep, '/')} {t.replace('.', ':')}"
                              for d, t in zip(day, time, strict=True)], index=sub.index)
            parsed = pd.to_datetime(text, errors="coerce", format="mixed", dayfirst=True)
        else:
            parsed = pd.to_datetime(sub, errors="coerce", format=fmt)
        out[match] = parsed.astype("datetime64[s]")
        remaining &= ~match
    # month names (Indonesian or English), with an optional weekday and time
    if remaining.any() and series[remaining].str.contains(r"[^\W\d_]{3}", regex=True).any():
        texts = series[remaining]
        iso = texts.map(lambda t: _named_month_iso(str(t)))
        ok_named = iso.notna()
        if ok_named.any():
            parsed = pd.to_datetime(iso[ok_named], errors="coerce", format="mixed")
            idx = np.flatnonzero(remaining)[ok_named.to_numpy()]
            out.iloc[idx] = parsed.astype("datetime64[s]").to_numpy()
            remaining[idx] = False
    # Excel serial day numbers (1990-01-01 .. 2099-12-31) from a sheet whose date column
    # was formatted as a number.
    if remaining.any():
        serial = pd.to_numeric(series.where(remaining), errors="coerce")
        ok = serial.between(32874, 73050).to_numpy() & remaining
        if ok.any():
            out[ok] = (_EXCEL_EPOCH + pd.to_timedelta(serial[ok], unit="D")).astype("datetime64[s]")
            remaining &= ~ok
    bad = series.notna().to_numpy() & out.isna().to_numpy()
    if not with_time:
        out = out.dt.normalize()
    return out, bad
