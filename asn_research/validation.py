"""Validate a raw wave table against an instrument: types, codes, ranges, required answers,
duplicates and identifiers — row by row, without losing a row.

Every row read ends up in exactly one of two tables: ``valid`` (typed, pseudonymized,
ready for the store) or ``quarantine`` (with its source row number, the failing columns,
the reasons and the fixes). ``rows_read == rows_valid + rows_quarantined`` always.

Problems that make the whole file unusable (a required column is missing, no instrument
column at all) raise :class:`~asn_research.errors.InputError` instead.

Examples
--------
>>> from asn_research import instruments, readers, validation
>>> merit = instruments.load_instrument("merit")
>>> raw = readers.read_wave_file("tests/data/malformed/merit_duplicate_respondent.csv",
...                              instrument=merit)            # doctest: +SKIP
>>> res = validation.validate_wave(raw, merit)                # doctest: +SKIP
>>> res.rows_read == res.rows_valid + res.rows_quarantined    # doctest: +SKIP
True
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import os
import re
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import identifiers, privacy
from .errors import InputError
from .instruments import Choice, ChoiceList, Field, Instrument

if TYPE_CHECKING:
    from .readers import RawTable

__all__ = ["KOBO_META", "SYNTHETIC_COLUMN", "ValidationResult", "validate_wave"]

log = logging.getLogger(__name__)

#: KoboToolbox/ODK metadata columns: ``_uuid`` becomes ``submission_id`` and
#: ``_submission_time`` becomes ``submitted_at``; the rest are dropped (listed in the result).
KOBO_META = frozenset(
    {
        "_uuid",
        "_submission_time",
        "_index",
        "_id",
        "_status",
        "_validation_status",
        "_notes",
        "_tags",
        "_submitted_by",
        "__version__",
        "_version_",
        "_xform_id_string",
        "_attachments",
        "_geolocation",
        "_parent_index",
        "_parent_table_name",
        "start",
        "end",
        "today",
        "deviceid",
        "instanceID",
        "instanceid",
        "meta/instanceID",
        "formhub/uuid",
        "uuid",
    }
)
#: A column ``asn-research simulate`` writes into every file (value 1 on every row): data
#: carrying it are treated as synthetic wherever the file travels. It is never stored.
SYNTHETIC_COLUMN = "_synthetic"
_SUBMISSION_ID = "_uuid"
#: Digit runs long enough to be an identifier (NIP 18, NIK 16, phone numbers), also
#: spaced or in scientific notation; never echoed in a message or a stored text.
_ID_IN_TEXT = r"\d[\d .\-]{9,}\d|\d[.,]\d+[eE]\+?1[0-9]"
_ID_IN_TEXT_RE = re.compile(_ID_IN_TEXT)
_WITHHELD = "[number withheld]"


def _shown(value: object) -> str:
    """An answer as a message may show it: one line, at most 40 characters, and any long
    number (a misplaced NIP, NIK or phone number) withheld."""
    text = " ".join(str(value).split())
    text = _ID_IN_TEXT_RE.sub(_WITHHELD, text)
    return text if len(text) <= 40 else text[:39] + "…"

_SUBMITTED_AT = "_submission_time"
_MULTI_SEPARATORS = re.compile(r"[,;]\s*|\s+")
_TRUE = frozenset({"1", "1.0", "true", "ya", "yes", "y", "x", "✓"})
_FALSE = frozenset({"0", "0.0", "false", "tidak", "no", "n", ""})


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """Outcome of validating one wave file against an instrument.

    Attributes
    ----------
    instrument_id, instrument_version : str
    file : str
        The file name as given.
    valid : pandas.DataFrame
        Typed rows that passed every check. Identifier fields are replaced by keyed
        pseudonyms (``respondent_key`` for the instrument's ``respondent_id`` field,
        ``<field>_key`` for other identifiers); ``source_row`` holds the row number in the
        file. Without a key (``validate`` only) the pseudonym columns are absent.
    quarantine : pandas.DataFrame
        One row per rejected row: ``source_row``, ``columns``, ``reasons``, ``fixes``, then the
        row's answers as text, identifiers replaced by pseudonyms (or withheld without a key).
    issues : pandas.DataFrame
        One row per problem: ``source_row``, ``column``, ``reason``, ``fix``.
    rows_read, rows_valid, rows_quarantined : int
    ignored_columns : tuple of str
        Columns in the file that the instrument does not define; never stored.
    notes : tuple of str
        Plain-language notes (from reading and validating).
    synthetic_marked : bool
        True when the file carries the simulator's ``_synthetic`` column set on every row.
    """

    instrument_id: str
    instrument_version: str
    file: str
    valid: pd.DataFrame = field(repr=False)
    quarantine: pd.DataFrame = field(repr=False)
    issues: pd.DataFrame = field(repr=False)
    rows_read: int
    rows_valid: int
    rows_quarantined: int
    ignored_columns: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    synthetic_marked: bool = False

    def summary(self) -> str:
        """One line: read N, valid S, quarantined Q."""
        return (
            f"{self.file}: read {self.rows_read}, valid {self.rows_valid}, "
            f"quarantined {self.rows_quarantined}"
        )


# --------------------------------------------------------------------------- helpers


def _norm(text: str) -> str:
    """Normalize an answer for matching: NFKC, casefold, collapse whitespace."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _choice_lookup(cl: ChoiceList) -> dict[str, int | str]:
    """Map every accepted spelling of a choice (value, labels, aliases) to its value."""
    table: dict[str, int | str] = {}

    def add(key: str, c: Choice) -> None:
        k = _norm(key)
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


class _Problems:
    """Collects (row position, column, reason, fix) without per-row Python work."""

    def __init__(self) -> None:
        self._parts: list[tuple[np.ndarray, str, np.ndarray | str, str]] = []

    def add(self, mask: np.ndarray | pd.Series, column: str, reason, fix) -> None:
        m = np.asarray(mask, dtype=bool)
        if not m.any():
            return
        pos = np.flatnonzero(m)
        if isinstance(reason, (pd.Series, np.ndarray)):
            reason = np.asarray(reason, dtype=object)[pos]
        if isinstance(fix, (pd.Series, np.ndarray)):
            fix = np.asarray(fix, dtype=object)[pos]
        self._parts.append((pos, column, reason, fix))

    def extend(self, other: _Problems) -> None:
        """Append another collector's problems (in their order) after these."""
        self._parts.extend(other._parts)

    def frame(self, source_rows: np.ndarray) -> pd.DataFrame:
        if not self._parts:
            return pd.DataFrame(
                {
                    "pos": pd.Series([], dtype="int64"),
                    "source_row": pd.Series([], dtype="int64"),
                    "column": pd.Series([], dtype="str"),
                    "reason": pd.Series([], dtype="str"),
                    "fix": pd.Series([], dtype="str"),
                }
            )
        frames = []
        for order, (pos, column, reason, fix) in enumerate(self._parts):
            frames.append(
                pd.DataFrame(
                    {
                        "pos": pos,
                        "order": order,
                        "column": column,
                        "reason": reason if not isinstance(reason, str) else [reason] * len(pos),
                        "fix": fix,
                    }
                )
            )
        out = pd.concat(frames, ignore_index=True).sort_values(["pos", "order"], kind="stable")
        out.insert(1, "source_row", source_rows[out["pos"].to_numpy()])
        out = out.drop(columns="order").reset_index(drop=True)
        return out.astype({"column": "str", "reason": "str", "fix": "str"})


def _numeric_code(text: str) -> str:
    """'05', '+5', '5.00' -> '5' (so integer codes written as numbers still match)."""
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() and abs(number) < 1e6 else text


def _codes_for(
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
        norm_pos = np.array([where.get(_numeric_code(_norm(str(u))), -1) for u in uniques]
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


#: Threads for column checks (Arrow and NumPy release the GIL).
_WORKERS = min(4, os.cpu_count() or 1)
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


def _plain_integers(series: pd.Series) -> pd.Series | None:
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


def _parse_numbers(series: pd.Series, *, decimal_comma: bool) -> tuple[pd.Series, np.ndarray]:
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
)
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def _parse_dates(series: pd.Series, *, with_time: bool) -> tuple[pd.Series, np.ndarray]:
    """Parse dates written as ISO, DD/MM/YYYY, DD-MM-YYYY or an Excel serial number.

    Day-first is the Indonesian convention; MM/DD/YYYY is therefore not accepted. Each
    distinct text is parsed once (a wave has few distinct dates), then spread to its rows.
    """
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
        else:
            parsed = pd.to_datetime(sub, errors="coerce", format=fmt)
        out[match] = parsed.astype("datetime64[s]")
        remaining &= ~match
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


def _bound_value(bound, today: dt.date):
    if bound == "today":
        return pd.Timestamp(today)
    if isinstance(bound, dt.date):
        return pd.Timestamp(bound)
    return bound


# --------------------------------------------------------------------------- column mapping


@dataclass
class _Columns:
    fields: dict[str, str]  # field name -> column in raw data
    multi_options: dict[str, dict[str, str]]  # select_multiple field -> {option value: column}
    meta: dict[str, str]
    ignored: list[str]


def _map_columns(raw_cols: list[str], inst: Instrument) -> _Columns:
    names = set(inst.field_names)
    fields: dict[str, str] = {}
    multi: dict[str, dict[str, str]] = {}
    meta: dict[str, str] = {}
    ignored: list[str] = []
    multi_fields = {f.name: f for f in inst.fields if f.type == "select_multiple"}
    for col in raw_cols:
        if col in names:
            fields[col] = col
            continue
        if col in KOBO_META or col == SYNTHETIC_COLUMN:
            meta[col] = col
            continue
        matched = False
        for sep in ("/", "__", "."):
            if sep in col:
                head, _, opt = col.rpartition(sep)
                head = head.rpartition("/")[2]
                if head in multi_fields:
                    values = {str(v) for v in inst.choices_of(head).values}
                    if opt in values:
                        multi.setdefault(head, {})[opt] = col
                        matched = True
                        break
        if not matched:
            ignored.append(col)
    return _Columns(fields, multi, meta, ignored)


# --------------------------------------------------------------------------- main entry


def validate_wave(
    raw: RawTable,
    instrument: Instrument,
    *,
    key: privacy.PseudonymKey | None = None,
    reference_date: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> ValidationResult:
    """Check every row of a raw wave table against an instrument.

    Parameters
    ----------
    raw : RawTable
        What :func:`asn_research.readers.read_wave_file` returned.
    instrument : Instrument
        The questionnaire the file answers.
    key : PseudonymKey, optional
        Key for the keyed hashes of identifiers. Without it (``asn-research validate``) the
        valid table carries no pseudonym columns and quarantined identifiers are withheld.
    reference_date : datetime.date, optional
        "Today" for date bounds and NIP plausibility (default: the current date).
    progress : callable, optional
        Called with each field name as it is checked (for a progress bar).

    Returns
    -------
    ValidationResult

    Raises
    ------
    InputError
        If the file lacks a required column (or a column a condition requires), or holds no
        column of the instrument at all. Nothing is quarantined then: the file is rejected.

    Notes
    -----
    Checks, in order: answers are mapped to codes (codes, Indonesian or English labels and
    aliases are accepted, case-insensitively); numbers and dates are parsed (decimal comma,
    ``DD/MM/YYYY``, ISO, Excel serial days) and checked against the instrument's bounds;
    required answers and conditional requirements (``required_when``); NIP/NIK structure and
    consistency with ``status`` and ``sex``; duplicates — the instrument's ``unique`` key
    (e.g. the same NIP twice) and repeated KoboToolbox ``_uuid`` — where the first valid
    occurrence is kept and later ones quarantined. A row with any problem is quarantined as a
    whole; one row may have several problems (all are listed).
    """
    today = reference_date or dt.date.today()
    fname = raw.path.name
    data = raw.data
    n = len(data)
    source_rows = np.asarray(raw.source_rows, dtype=np.int64)
    cols = _map_columns(list(data.columns), instrument)
    notes = list(raw.notes)

    if not cols.fields and not cols.multi_options:
        raise InputError(
            f"none of the columns is a field of instrument {instrument.id!r} "
            f"(found: {', '.join(map(str, list(data.columns)[:8]))})",
            file=fname,
            row=raw.header_row,
            fix=(
                f"check that this file answers the {instrument.id!r} questionnaire; its columns "
                f"should be named {', '.join(instrument.field_names[:6])}, … "
                f"(see `asn-research instruments show {instrument.id}`)"
            ),
        )
    missing = [f for f in instrument.required_fields if f not in cols.fields]
    if missing:
        other = _better_instrument(list(data.columns), instrument)
        raise InputError(
            f"required column(s) missing: {', '.join(missing)}",
            file=fname,
            row=raw.header_row,
            column=missing[0],
            fix=(
                f"this file looks like the {other!r} questionnaire: use --instrument {other}"
                if other
                else "add the column(s) to the header with these exact names (or their Indonesian/"
                "English question text); the file was rejected as a whole"
            ),
        )

    # Column checks are Arrow/NumPy work that releases the GIL: answer codes are mapped
    # on a small thread pool, and the identifier checks and pseudonyms run beside the other
    # fields. Problems are still added in one fixed order, so results are deterministic.
    pool = ThreadPoolExecutor(max_workers=_WORKERS)
    id_pool = ThreadPoolExecutor(max_workers=1)  # its own thread: starts at once
    try:
        return _validate(raw, instrument, key, today, progress, data, n, source_rows, cols,
                         notes, fname, pool, id_pool)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        id_pool.shutdown(wait=True, cancel_futures=True)


def _validate(raw, instrument, key, today, progress, data, n, source_rows, cols, notes, fname,
              pool, id_pool) -> ValidationResult:
    problems = _Problems()
    out: dict[str, pd.Series] = {}

    def col(name: str) -> pd.Series:
        return data[cols.fields[name]]

    # ---- select fields first (status/sex are needed by the NIP check)
    select_ones = [f for f in instrument.fields
                   if f.type == "select_one" and f.name in cols.fields]
    jobs = {}
    for f in select_ones:
        cl = instrument.choice_list(f.list_name)
        jobs[f.name] = pool.submit(_codes_for, col(f.name), _choice_lookup(cl),
                                   ordinal=cl.ordinal)
    multi_jobs = {f.name: pool.submit(_select_multiple_alone, f, instrument, data, cols)
                  for f in instrument.fields if f.type == "select_multiple"}
    # identifiers (NIP/NIK checks need status and sex codes): checked and pseudonymized
    # beside everything below
    id_fields = [f for f in instrument.fields if f.is_identifier and f.name in cols.fields]
    id_job = id_pool.submit(
        _identifier_results, id_fields, {f.name: col(f.name) for f in id_fields},
        {k: jobs[k].result()[0] for k in ("status", "sex") if k in jobs}, key, today,
    )
    for f in instrument.fields:
        if progress:
            progress(f.name)
        if f.type == "select_one" and f.name in cols.fields:
            cl = instrument.choice_list(f.list_name)
            values, unknown = jobs.pop(f.name).result()
            if unknown.any():
                shown = np.empty(n, dtype=object)
                shown[unknown] = [_shown(v) for v in col(f.name)[unknown]]
                numeric = np.zeros(n, dtype=bool)
                numeric[unknown] = pd.to_numeric(col(f.name)[unknown], errors="coerce").notna()
                if cl.ordinal:
                    oob = unknown & numeric
                    problems.add(
                        oob,
                        f.name,
                        "code " + pd.Series(shown, dtype=object).astype(str)
                        + f" is not one of the allowed codes {cl.min_value}–{cl.max_value}",
                        f"use one of: {cl.describe('id')}",
                    )
                    unknown = unknown & ~oob
                problems.add(
                    unknown,
                    f.name,
                    "answer '" + pd.Series(shown, dtype=object).astype(str)
                    + "' is not an allowed answer",
                    f"use a code or label from: {cl.describe('id')}",
                )
            out[f.name] = values
        elif f.type == "select_multiple":
            its_problems, its_out, its_notes = multi_jobs.pop(f.name).result()
            problems.extend(its_problems)
            out.update(its_out)
            notes.extend(its_notes)

    # ---- other fields
    for f in instrument.fields:
        if f.type in ("select_one", "select_multiple") or f.name not in cols.fields:
            continue
        s = col(f.name)
        whole = _plain_integers(s) if f.type == "integer" else None
        if whole is not None:  # fast path: every answer is a plain integer
            _range(whole, f, problems, today)
            out[f.name] = whole.round().astype("Int64")
        elif f.type in ("integer", "decimal"):
            values, bad = _parse_numbers(s, decimal_comma=raw.delimiter == ";")
            problems.add(bad, f.name, "not a number", "write a plain number, e.g. 12 or 72,5")
            if f.type == "integer":
                frac = values.notna().to_numpy() & ~bad
                frac &= (values.fillna(0) % 1 != 0).to_numpy()
                problems.add(frac, f.name, "not a whole number", "write a whole number")
                grouped = s.str.fullmatch(r"[+-]?\d{1,3}([.,]\d{3})+").fillna(False)
                grouped = grouped.astype(bool).to_numpy() & ~bad
                problems.add(grouped, f.name,
                             "a thousands separator makes this number ambiguous",
                             "write the number without separators, e.g. 10000")
                huge = (values.abs() > 2**53).fillna(False).astype(bool).to_numpy()
                problems.add(huge, f.name, "the number is too large", "check the value")
                values = values.mask(huge | grouped)
            _range(values, f, problems, today)
            out[f.name] = values.round().astype("Int64") if f.type == "integer" else values
        elif f.type in ("date", "datetime"):
            values, bad = _parse_dates(s, with_time=f.type == "datetime")
            problems.add(
                bad,
                f.name,
                "not a date",
                "write dates as YYYY-MM-DD or DD/MM/YYYY (day first); in Excel format the "
                "column as Date",
            )
            _range(values, f, problems, today)
            out[f.name] = values
        elif f.type == "text":  # free text: an NIP/NIK typed into it is withheld
            out[f.name] = s.astype("str").str.replace(_ID_IN_TEXT, _WITHHELD, regex=True)

    # ---- PNS ranks (golongan/ruang) and PPPK grades must match the employment status
    if "status" in out and "golongan" in out and instrument.respondent == "asn":
        gol = out["golongan"].astype("str")
        is_pppk_grade = gol.str.startswith("pppk_").fillna(False).astype(bool).to_numpy()
        has_gol = gol.notna().to_numpy()
        st = out["status"].astype("str")
        problems.add(
            has_gol & is_pppk_grade & (st == "pns").fillna(False).to_numpy(),
            "golongan", "a PPPK grade is given but the status is PNS",
            "write the PNS golongan/ruang in full (e.g. III/a), or correct the status",
        )
        problems.add(
            has_gol & ~is_pppk_grade & (st == "pppk").fillna(False).to_numpy(),
            "golongan", "a PNS golongan/ruang is given but the status is PPPK",
            "write the PPPK grade (e.g. PPPK IX), or correct the status",
        )

    # ---- identifiers (results of the job started above, added in field order)
    key_cols: dict[str, pd.Series] = {}
    dup_keys: dict[str, pd.Series] = {}
    for f, bad, reason, fix, normalized, pseud in id_job.result():
        if bad is not None:
            problems.add(bad, f.name, reason, fix)
        dup_keys[f.name] = normalized
        if pseud is not None:
            name = "respondent_key" if f.name == instrument.respondent_id else f"{f.name}_key"
            key_cols[name] = pseud

    # ---- required and conditionally required answers
    for f in instrument.fields:
        if f.type == "select_multiple":
            continue
        present = f.name in cols.fields
        if f.required and present:
            problems.add(
                col(f.name).isna().to_numpy(),
                f.name,
                "required answer is missing",
                "fill in this answer, or remove the row if it is not a real response",
            )
        if f.required_when:
            cond_field = f.required_when["field"]
            allowed = set(f.required_when["in"])
            cond_vals = out.get(cond_field)
            if cond_vals is None:
                continue
            triggered = cond_vals.isin(allowed).fillna(False).astype(bool).to_numpy()
            if not triggered.any():
                continue
            if not present:
                raise InputError(
                    f"column {f.name!r} is missing, but it is required whenever "
                    f"{cond_field} is {sorted(allowed, key=str)} "
                    f"({int(triggered.sum())} rows)",
                    file=fname,
                    row=raw.header_row,
                    column=f.name,
                    fix="add the column to the file; the file was rejected as a whole",
                )
            problems.add(
                triggered & col(f.name).isna().to_numpy(),
                f.name,
                f"answer is missing but required because {cond_field} is "
                + "/".join(str(v) for v in sorted(allowed, key=str)),
                f"fill in {f.name}, or correct {cond_field}",
            )

    # ---- duplicates among rows that are otherwise valid
    pre = problems.frame(source_rows)
    row_bad = np.zeros(n, dtype=bool)
    row_bad[pre["pos"].to_numpy()] = True
    if instrument.unique and all(u in cols.fields for u in instrument.unique):
        keyframe = pd.DataFrame(
            {u: (dup_keys[u] if u in dup_keys else out.get(u, col(u))) for u in instrument.unique}
        )
        _duplicates(
            keyframe,
            row_bad,
            problems,
            source_rows,
            column=instrument.unique[0],
            reason="duplicate respondent: same " + "+".join(instrument.unique) + " as row ",
            fix="keep one response per respondent per wave; remove or correct the copy",
        )
    if _SUBMISSION_ID in cols.meta:
        keyframe = pd.DataFrame({"u": data[_SUBMISSION_ID]})
        _duplicates(
            keyframe,
            row_bad,
            problems,
            source_rows,
            column=_SUBMISSION_ID,
            reason="duplicate submission: same _uuid as row ",
            fix="the export holds the same submission twice; keep one",
        )

    issues = problems.frame(source_rows)
    bad_pos = np.unique(issues["pos"].to_numpy())
    # a stored row whose respondent also has a row quarantined for another reason than
    # duplication: e.g. a bad first entry with a corrected copy below it
    if instrument.unique and all(u in cols.fields for u in instrument.unique) and row_bad.any():
        keyframe = pd.DataFrame(
            {u: (dup_keys[u] if u in dup_keys else out.get(u, col(u))) for u in instrument.unique}
        ).reset_index(drop=True)
        complete = keyframe.notna().all(axis=1).to_numpy()
        stored = np.ones(n, dtype=bool)
        stored[bad_pos] = False
        bad_keys = keyframe[complete & row_bad].drop_duplicates()
        both = (
            keyframe[complete & stored]
            .reset_index()
            .merge(bad_keys, on=list(instrument.unique))["index"]
        )
        if len(both):
            rows_kept = ", ".join(str(source_rows[i]) for i in both[:8])
            notes.append(
                f"{len(both)} stored row(s) share their {'+'.join(instrument.unique)} with a "
                f"quarantined row (stored rows {rows_kept}); check which copy is right"
            )
    good = np.ones(n, dtype=bool)
    good[bad_pos] = False

    # ---- valid table
    valid_cols: dict[str, pd.Series] = {"source_row": pd.Series(source_rows, dtype="int64")}
    for name in ("respondent_key", *sorted(k for k in key_cols if k != "respondent_key")):
        if name in key_cols:
            valid_cols[name] = key_cols[name]
    if _SUBMISSION_ID in cols.meta:
        valid_cols["submission_id"] = data[_SUBMISSION_ID].astype("str")
    if _SUBMITTED_AT in cols.meta:
        valid_cols["submitted_at"], _ = _parse_dates(data[_SUBMITTED_AT], with_time=True)
    for f in instrument.fields:
        if f.is_identifier:
            continue
        if f.type == "select_multiple":
            for k in [k for k in out if k == f.name or k.startswith(f.name + "__")]:
                valid_cols[k] = out[k]
        elif f.name in out:
            valid_cols[f.name] = out[f.name]
        else:  # optional column absent from the file: keep the schema stable
            valid_cols[f.name] = _empty_like(f, instrument, n)
    valid = pd.DataFrame({k: v.reset_index(drop=True) for k, v in valid_cols.items()})
    if not good.all():
        valid = valid.loc[good].reset_index(drop=True)

    # ---- quarantine table
    quarantine = _quarantine_table(
        data, issues, bad_pos, source_rows, instrument, cols, key_cols, raw.bad_rows
    )
    if len(raw.bad_rows):
        br = raw.bad_rows
        extra = pd.DataFrame(
            {
                "pos": -1,
                "source_row": br["source_row"].astype("int64"),
                "column": "",
                "reason": br["reason"].astype(str),
                "fix": br["fix"].astype(str),
            }
        )
        issues = pd.concat([issues, extra], ignore_index=True)
    issues = issues.sort_values("source_row", kind="stable").drop(columns="pos")
    issues = issues.reset_index(drop=True)

    rows_read = n + len(raw.bad_rows)
    if len(valid) + len(quarantine) != rows_read:  # an invariant of this function, not user input
        raise RuntimeError(
            f"internal error: {len(valid)} valid + {len(quarantine)} quarantined "
            f"!= {rows_read} read"
        )
    if cols.ignored:
        notes.append(
            "columns not in the instrument were not stored: "
            + ", ".join(cols.ignored[:12])
            + (" …" if len(cols.ignored) > 12 else "")
        )
    absent = [
        f.name
        for f in instrument.fields
        if f.name not in cols.fields and f.name not in cols.multi_options
    ]
    if absent:
        notes.append(
            f"{len(absent)} optional column(s) of the instrument are not in the file and are "
            "stored empty: " + ", ".join(absent[:12]) + (" …" if len(absent) > 12 else "")
        )
        for col_name in cols.ignored:
            near = difflib.get_close_matches(col_name.casefold(), absent, n=1, cutoff=0.75)
            if near:
                notes.append(
                    f"did you mean {near[0]!r} for the column {col_name!r}? "
                    "Rename the header and validate again"
                )
    marked = False
    if SYNTHETIC_COLUMN in cols.meta:
        flag = data[SYNTHETIC_COLUMN].fillna("").map(_norm)
        marked = bool(len(flag)) and bool(flag.isin(_TRUE).all())
        notes.append(
            "the file is marked SYNTHETIC (simulated data)"
            if marked
            else f"the {SYNTHETIC_COLUMN} column is not 1 on every row; the file is not treated "
            "as synthetic"
        )
    dropped_meta = sorted(set(cols.meta) - {_SUBMISSION_ID, _SUBMITTED_AT, SYNTHETIC_COLUMN})
    if dropped_meta:
        notes.append("KoboToolbox metadata not stored: " + ", ".join(dropped_meta))
    return ValidationResult(
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        file=fname,
        valid=valid,
        quarantine=quarantine,
        issues=issues,
        rows_read=rows_read,
        rows_valid=len(valid),
        rows_quarantined=len(quarantine),
        ignored_columns=tuple(cols.ignored),
        notes=tuple(notes),
        synthetic_marked=marked,
    )


def _identifier_results(id_fields, series, coded, key, today) -> list[tuple]:
    """Check NIP/NIK, normalize names, and pseudonymize: one tuple per identifier field
    (field, bad mask or None, reasons, fixes, normalized values, pseudonyms or None)."""
    results = []
    for f in id_fields:
        s = series[f.name]
        bad = reason = fix = None
        if f.type in ("nip", "nik"):
            if f.type == "nip":
                chk = identifiers.check_nip(s, status=coded.get("status"), sex=coded.get("sex"),
                                            reference_date=today, details=False)
            else:
                chk = identifiers.check_nik(s, sex=coded.get("sex"), reference_date=today,
                                            details=False)
            bad = ~chk["ok"].fillna(False).astype(bool).to_numpy()
            if bad.any():
                reason = chk["reason"].fillna("invalid").astype(str).to_numpy()
                fix = chk["fix"].fillna("").astype(str).to_numpy()
            else:
                bad = None
            normalized = chk["nip"]  # check_nik reports the normalized NIK in the same column
            kind = f.type
        else:
            normalized = s.map(_norm, na_action="ignore")
            kind = "name"
        pseud = None
        if key is not None:
            pseud = privacy.pseudonymize(normalized.where(normalized.notna()), key, kind=kind)
        results.append((f, bad, reason, fix, normalized, pseud))
    return results


def _better_instrument(columns: list[str], instrument: Instrument) -> str | None:
    """The id of another instrument whose fields the header matches better, if any."""
    from .instruments import list_instruments

    names = {str(c).rpartition("/")[2] for c in columns}
    mine = len(names & set(instrument.field_names))
    best, best_n = None, mine
    folder = instrument.source.parent if instrument.source else None
    for other in list_instruments(folder):
        if other.id == instrument.id:
            continue
        hits = len(names & set(other.field_names))
        if hits > best_n and set(other.required_fields) <= names:
            best, best_n = other.id, hits
    return best


def _empty_like(f: Field, inst: Instrument, n: int) -> pd.Series:
    if f.type == "select_one":
        dtype = "Int16" if inst.choice_list(f.list_name).ordinal else "str"
    elif f.type == "integer":
        dtype = "Int64"
    elif f.type == "decimal":
        dtype = "Float64"
    elif f.type in ("date", "datetime"):
        dtype = "datetime64[s]"
    else:
        dtype = "str"
    return pd.Series(index=pd.RangeIndex(n), dtype=dtype)  # all missing


def _range(values: pd.Series, f: Field, problems: _Problems, today: dt.date) -> None:
    lo, hi = _bound_value(f.minimum, today), _bound_value(f.maximum, today)
    if lo is not None:
        below = (values < lo).fillna(False).astype(bool).to_numpy()
        problems.add(
            below,
            f.name,
            f"below the minimum {_fmt_bound(f.minimum)}",
            f"check the value; allowed {_fmt_range(f)}",
        )
    if hi is not None:
        above = (values > hi).fillna(False).astype(bool).to_numpy()
        reason = (
            "date is in the future"
            if f.maximum == "today"
            else f"above the maximum {_fmt_bound(f.maximum)}"
        )
        problems.add(above, f.name, reason, f"check the value; allowed {_fmt_range(f)}")


def _fmt_bound(b) -> str:
    return b.isoformat() if isinstance(b, dt.date) else str(b)


def _fmt_range(f: Field) -> str:
    lo = "…" if f.minimum is None else _fmt_bound(f.minimum)
    hi = "…" if f.maximum is None else _fmt_bound(f.maximum)
    return f"{lo} to {hi}"


def _select_multiple_alone(f, inst, data, cols) -> tuple[_Problems, dict, list[str]]:
    """:func:`_select_multiple` with its own problems, outputs and notes (for a thread)."""
    problems, out, notes = _Problems(), {}, []
    _select_multiple(f, inst, data, cols, problems, out, notes)
    return problems, out, notes


def _select_multiple(f, inst, data, cols, problems, out, notes) -> None:
    cl = inst.choice_list(f.list_name)
    values = [str(v) for v in cl.values]
    chosen = {v: np.zeros(len(data), dtype=bool) for v in values}
    answered = np.zeros(len(data), dtype=bool)
    lookup = _choice_lookup(cl)
    if f.name in cols.fields:
        s = data[cols.fields[f.name]]
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        parsed: list[tuple[list[str], list[str]]] = []
        for u in uniques:
            text = str(u)
            whole = lookup.get(_norm(text))
            if whole is not None:
                parsed.append(([str(whole)], []))
                continue
            ok, bad = [], []
            for token in [t for t in _MULTI_SEPARATORS.split(text) if t]:
                v = lookup.get(_norm(token))
                (ok if v is not None else bad).append(str(v) if v is not None else token)
            parsed.append((ok, bad))
        has = codes >= 0
        answered |= has
        bad_reason = np.empty(len(data), dtype=object)
        for i, (ok, bad) in enumerate(parsed):
            rows = codes == i
            if not ok and not bad:  # only separators (",", ";"): no answer given
                answered &= ~rows
                continue
            for v in ok:
                chosen[v] |= rows
            if bad:
                bad_reason[rows] = "contains an answer that is not allowed: " + ", ".join(
                    repr(_shown(b)) for b in bad[:3]
                )
        problems.add(
            bad_reason != None,  # noqa: E711  (element-wise on an object array)
            f.name,
            bad_reason,
            f"separate codes with spaces; allowed: {cl.describe('id')}",
        )
    from_text = {v: c.copy() for v, c in chosen.items()} if f.name in cols.fields else None
    disagree = np.zeros(len(data), dtype=bool)
    for opt, colname in cols.multi_options.get(f.name, {}).items():
        s = data[colname].fillna("").map(_norm)
        is_true = s.isin(_TRUE).to_numpy()
        is_false = s.isin(_FALSE).to_numpy()
        problems.add(
            ~(is_true | is_false),
            f.name,
            f"option column {colname!r} is not 0/1",
            "write 1 for chosen and 0 (or nothing) for not chosen",
        )
        if from_text is not None:
            disagree |= data[cols.fields[f.name]].notna().to_numpy() & (from_text[opt] != is_true)
        chosen[opt] |= is_true
        answered |= is_true | (data[colname].notna().to_numpy() & is_false)
    if disagree.any():
        notes.append(
            f"{f.name}: in {int(disagree.sum())} row(s) the answer text and the 0/1 option "
            "columns disagree; every option marked in either was kept"
        )
    for v in values:
        out[f"{f.name}__{v}"] = pd.Series(chosen[v], dtype="boolean").where(answered, pd.NA)


def _duplicates(keyframe, row_bad, problems, source_rows, *, column, reason, fix) -> None:
    complete = keyframe.notna().all(axis=1).to_numpy() & ~row_bad
    if complete.sum() < 2:
        return
    sub = _compact_keys(keyframe.loc[complete])
    dup = sub.duplicated(keep="first").to_numpy()
    if not dup.any():
        return
    first_pos = np.flatnonzero(complete)
    grp = sub.groupby(list(sub.columns), sort=False, dropna=False).ngroup().to_numpy()
    first_of_group = pd.Series(first_pos).groupby(grp).transform("first").to_numpy()
    mask = np.zeros(len(row_bad), dtype=bool)
    mask[first_pos[dup]] = True
    reasons = np.empty(len(row_bad), dtype=object)
    reasons[first_pos[dup]] = [reason + str(source_rows[p]) for p in first_of_group[dup]]
    problems.add(mask, column, reasons, fix)


def _compact_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """Digit strings of one fixed length (normalized NIPs/NIKs) as int64: the same
    duplicates, found several times faster than by hashing the strings."""
    out = {}
    for c in frame.columns:
        out[c] = frame[c]
        if not isinstance(frame[c].dtype, pd.StringDtype) or not len(frame):
            continue
        arr = pa.array(frame[c])
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        lengths = pc.min_max(pc.utf8_length(arr))
        if not lengths["min"].is_valid or lengths["min"] != lengths["max"] or \
                lengths["max"].as_py() > 18:
            continue
        if pc.all(pc.ascii_is_decimal(arr)).as_py() is not True:
            continue
        out[c] = pd.Series(pc.cast(arr, pa.int64()).to_numpy(zero_copy_only=False),
                           index=frame.index)
    return pd.DataFrame(out, index=frame.index)


def _quarantine_table(data, issues, bad_pos, source_rows, inst, cols, key_cols, bad_rows):
    agg = issues.groupby("pos", sort=True).agg(
        columns=("column", lambda c: "; ".join(dict.fromkeys(c))),
        reasons=("reason", lambda r: "; ".join(r)),
        fixes=("fix", lambda f: "; ".join(dict.fromkeys(x for x in f if x))),
    )
    q = pd.DataFrame(
        {
            "source_row": pd.Series(source_rows[bad_pos], dtype="int64"),
            "columns": agg["columns"].to_numpy(),
            "reasons": agg["reasons"].to_numpy(),
            "fixes": agg["fixes"].to_numpy(),
        }
    )
    id_cols = {cols.fields[f] for f in inst.identifier_fields if f in cols.fields}
    for name, series in key_cols.items():
        q[name] = (series.iloc[bad_pos] if len(bad_pos) else series.iloc[:0]).to_numpy()
    # a slice, not a take, when nothing is quarantined: taking from 1M-row columns is slow
    rows = data.iloc[bad_pos] if len(bad_pos) else data.iloc[:0]
    for c in data.columns:
        if c in id_cols or c in cols.ignored:
            continue  # identifiers go in only as pseudonyms; unknown columns may hold anything
        if c in cols.meta and c not in (_SUBMISSION_ID, _SUBMITTED_AT):
            continue  # device ids, GPS, enumerator names: not stored, as the notes say
        cells = rows[c].astype("str")
        q[c] = cells.str.replace(_ID_IN_TEXT, _WITHHELD, regex=True).to_numpy()
    if len(bad_rows):
        extra = pd.DataFrame(
            {
                "source_row": bad_rows["source_row"].astype("int64").to_numpy(),
                "columns": "",
                "reasons": bad_rows["reason"].astype(str).to_numpy(),
                "fixes": bad_rows["fix"].astype(str).to_numpy(),
            }
        )
        q = pd.concat([q, extra], ignore_index=True)
    q = q.sort_values("source_row", kind="stable").reset_index(drop=True)
    return q.astype({c: "str" for c in q.columns if c != "source_row"})
