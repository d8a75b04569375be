"""Validate a raw wave table against an instrument: types, codes, ranges, required answers,
cross-field consistency and duplicates — row by row, without losing a row.

Every row read ends up in exactly one of two tables: ``valid`` (typed, ready for the
pseudonymization step and the store) or ``quarantine`` (with its source row number, the
failing columns, the reasons and the fixes). ``rows_read == rows_valid + rows_quarantined``
always.

Problems that make the whole file unusable (a required column is missing, no instrument
column at all, a scale item absent without consent) raise
:class:`~asn_research.errors.InputError` instead.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import identifiers
from ..errors import ConfigError, InputError
from ..instruments import Field, Instrument
from .answers import (
    FALSE_TEXTS,
    MULTI_SEPARATORS,
    TRUE_TEXTS,
    choice_lookup,
    codes_for,
    month_first,
    norm,
    parse_dates,
    parse_numbers,
    plain_integers,
)
from .columns import (
    SUBMISSION_ID,
    SUBMITTED_AT,
    SYNTHETIC_COLUMN,
    better_instrument,
    map_columns,
    mask,
)
from .quarantine import ID_IN_TEXT, WITHHELD, quarantine_table, shown_answer
from .table import RawTable

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """Outcome of validating one wave file against an instrument.

    Attributes
    ----------
    instrument_id, instrument_version : str
    file : str
        The file name as given.
    valid : pandas.DataFrame
        Typed rows that passed every check; ``source_row`` holds the row number in the
        file. Until :func:`~asn_research.waves.pseudonymize.pseudonymize_result` has run
        (``pseudonymized`` False) the identifier fields (``nip``, ``name`` …) hold the
        checked, normalized identifiers **in clear**, right after ``source_row``: never
        write such a table anywhere. Afterwards they are keyed pseudonyms
        (``respondent_key`` for the instrument's ``respondent_id`` field, ``<field>_key``
        for other identifiers).
    quarantine : pandas.DataFrame
        One row per rejected row: ``source_row``, ``columns``, ``reasons``, ``fixes``, the
        identifier fields (as in ``valid``), then the row's other answers as text (long
        numbers and name-like text in answer columns withheld).
    issues : pandas.DataFrame
        One row per problem: ``source_row``, ``column``, ``reason``, ``fix``.
    rows_read, rows_valid, rows_quarantined : int
    ignored_columns : tuple of str
        Columns in the file that the instrument does not define; never stored.
    notes : tuple of str
        Plain-language notes (from reading and validating).
    synthetic_marked : bool
        True when the file carries the simulator's ``_synthetic`` column set on every row.
    rows_skipped : int
        Rows of a pre-numbered template that hold only a row number: not responses, not
        in ``rows_read`` (listed in ``notes``).
    missing_allowed : tuple of str
        Scale items absent from the file that the user accepted (``allow_missing``).
    pseudonymized : bool
        True once the identifier columns have been replaced by pseudonyms.
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
    rows_skipped: int = 0
    missing_allowed: tuple[str, ...] = ()
    pseudonymized: bool = False

    def summary(self) -> str:
        """One line: read N, valid S, quarantined Q (and skipped template rows)."""
        return (
            f"{self.file}: read {self.rows_read}, valid {self.rows_valid}, "
            f"quarantined {self.rows_quarantined}"
            + (f"; skipped {self.rows_skipped} empty template rows" if self.rows_skipped else "")
        )


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


#: Threads for column checks (Arrow and NumPy release the GIL).
_WORKERS = min(4, os.cpu_count() or 1)


def validate_wave(
    raw: RawTable,
    instrument: Instrument,
    *,
    reference_date: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
    allow_missing: Sequence[str] = (),
) -> ValidationResult:
    """Check every row of a raw wave table against an instrument.

    Parameters
    ----------
    raw : RawTable
        What :func:`~asn_research.waves.read.read_wave_file` returned.
    instrument : Instrument
        The questionnaire the file answers.
    reference_date : datetime.date, optional
        "Today" for date bounds and NIP plausibility (default: the current date).
    progress : callable, optional
        Called with each field name as it is checked (for a progress bar).
    allow_missing : sequence of str, optional
        Scale items (field names, or scale names standing for all their items) that may be
        absent from the file. Without it, a file lacking any scale item — every SKM
        element, every resistance item … — is refused: a header that was not recognised
        would otherwise store the answers as empty.

    Returns
    -------
    ValidationResult

    Raises
    ------
    InputError
        If the file lacks a required column (or a column a condition requires), lacks a
        scale item not in ``allow_missing``, or holds no column of the instrument at all.
        Nothing is quarantined then: the file is rejected.
    ConfigError
        If ``allow_missing`` names something that is neither a scale nor a scale item.

    Notes
    -----
    Checks, in order: answers are mapped to codes (codes, Indonesian or English labels and
    aliases are accepted, case-insensitively); numbers and dates are parsed (decimal comma,
    ``DD/MM/YYYY``, ISO, Excel serial days) and checked against the instrument's bounds;
    required answers and conditional requirements (``required_when``); NIP/NIK structure and
    consistency with ``status`` and ``sex``; cross-field rules of the instrument (a date
    ``not_before`` another, an answer that must be empty ``not_when`` another field has some
    value, a ``birth_year`` that must match the NIP); duplicates — the instrument's ``unique`` key
    (e.g. the same NIP twice) and repeated KoboToolbox ``_uuid`` — where the first valid
    occurrence is kept and later ones quarantined. A row with any problem is quarantined as a
    whole; one row may have several problems (all are listed).
    """
    today = reference_date or dt.date.today()
    fname = raw.path.name
    data = raw.data
    n = len(data)
    source_rows = np.asarray(raw.source_rows, dtype=np.int64)
    cols = map_columns(list(data.columns), instrument)
    notes = list(raw.notes)

    if not cols.fields and not cols.multi_options:
        raise InputError(
            f"none of the columns is a field of instrument {instrument.id!r} "
            f"(found: {', '.join(mask(str(c), 30) for c in list(data.columns)[:8])})",
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
        other = better_instrument(list(data.columns), instrument)
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

    allowed = allowed_missing(allow_missing, instrument)
    items = list(dict.fromkeys(i for sc in instrument.scales for i in sc.items))
    absent = [i for i in items if i not in cols.fields]
    blocked = [i for i in absent if i not in allowed]
    if blocked:
        raise InputError(_missing_items_message(blocked, instrument),
                         file=fname, row=raw.header_row, column=blocked[0],
                         fix=_missing_items_fix(blocked, instrument, cols))
    if absent:
        notes.append(f"accepted as not asked (--allow-missing): {', '.join(absent)}; they are "
                     "stored empty and their scales are not scored")

    # Column checks are Arrow/NumPy work that releases the GIL: answer codes are mapped
    # on a small thread pool, and the identifier checks and pseudonyms run beside the other
    # fields. Problems are still added in one fixed order, so results are deterministic.
    pool = ThreadPoolExecutor(max_workers=_WORKERS)
    id_pool = ThreadPoolExecutor(max_workers=1)  # its own thread: starts at once
    try:
        res = _validate(raw, instrument, today, progress, data, n, source_rows, cols,
                        notes, fname, pool, id_pool)
        return dataclasses.replace(res, rows_skipped=len(raw.template_rows),
                                   missing_allowed=tuple(absent))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        id_pool.shutdown(wait=True, cancel_futures=True)


def _validate(raw, instrument, today, progress, data, n, source_rows, cols, notes, fname,
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
        jobs[f.name] = pool.submit(codes_for, col(f.name), choice_lookup(cl),
                                   ordinal=cl.ordinal)
    multi_jobs = {f.name: pool.submit(_select_multiple_alone, f, instrument, data, cols)
                  for f in instrument.fields if f.type == "select_multiple"}
    # identifiers (NIP/NIK checks need status and sex codes): checked and pseudonymized
    # beside everything below
    id_fields = [f for f in instrument.fields if f.is_identifier and f.name in cols.fields]
    id_job = id_pool.submit(
        _identifier_results, id_fields, {f.name: col(f.name) for f in id_fields},
        {k: jobs[k].result()[0] for k in ("status", "sex") if k in jobs}, today,
    )
    for f in instrument.fields:
        if progress:
            progress(f.name)
        if f.type == "select_one" and f.name in cols.fields:
            cl = instrument.choice_list(f.list_name)
            values, unknown = jobs.pop(f.name).result()
            if unknown.any():
                shown = np.empty(n, dtype=object)
                spellings = list(choice_lookup(cl))
                shown[unknown] = [shown_answer(v, spellings) for v in col(f.name)[unknown]]
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
        whole = plain_integers(s) if f.type == "integer" else None
        if whole is not None:  # fast path: every answer is a plain integer
            _range(whole, f, problems, today)
            out[f.name] = whole.round().astype("Int64")
        elif f.type in ("integer", "decimal"):
            values, bad = parse_numbers(s, decimal_comma=raw.delimiter == ";")
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
            us_order = month_first(s)
            if us_order:
                notes.append(f"{f.name}: the dates are written month first (e.g. 3/15/2025, as "
                             "an English-language export writes them); they were read that way")
            values, bad = parse_dates(s, with_time=f.type == "datetime",
                                      month_first_order=us_order)
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
            out[f.name] = s.astype("str").str.replace(ID_IN_TEXT, WITHHELD, regex=True)

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
    dup_keys: dict[str, pd.Series] = {}
    for f, bad, reason, fix, normalized in id_job.result():
        if bad is not None:
            problems.add(bad, f.name, reason, fix)
        dup_keys[f.name] = normalized
    _cross_field_rules(instrument, out, dup_keys, cols, problems)
    # the respondent id first, then other identifiers by name: where their pseudonyms go;
    # an identifier field absent from the file is kept (empty): the stored schema is stable
    present_ids = dict(dup_keys)
    for name in instrument.identifier_fields:
        present_ids.setdefault(name, pd.Series(index=pd.RangeIndex(n), dtype="str"))
    id_cols = {name: present_ids[name] for name in sorted(
        present_ids, key=lambda nm: (nm != instrument.respondent_id, nm))}

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
    if SUBMISSION_ID in cols.meta:
        keyframe = pd.DataFrame({"u": data[SUBMISSION_ID]})
        _duplicates(
            keyframe,
            row_bad,
            problems,
            source_rows,
            column=SUBMISSION_ID,
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
    valid_cols.update(id_cols)  # clear until the pseudonymization step
    if SUBMISSION_ID in cols.meta:
        valid_cols["submission_id"] = data[SUBMISSION_ID].astype("str")
    if SUBMITTED_AT in cols.meta:
        valid_cols["submitted_at"], _ = parse_dates(data[SUBMITTED_AT], with_time=True)
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
    quarantine = quarantine_table(
        data, issues, bad_pos, source_rows, instrument, cols, id_cols, raw.bad_rows
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
        flag = data[SYNTHETIC_COLUMN].fillna("").map(norm)
        marked = bool(len(flag)) and bool(flag.isin(TRUE_TEXTS).all())
        notes.append(
            "the file is marked SYNTHETIC (simulated data)"
            if marked
            else f"the {SYNTHETIC_COLUMN} column is not 1 on every row; the file is not treated "
            "as synthetic"
        )
    dropped_meta = sorted(set(cols.meta) - {SUBMISSION_ID, SUBMITTED_AT, SYNTHETIC_COLUMN})
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


def _identifier_results(id_fields, series, coded, today) -> list[tuple]:
    """Check NIP/NIK and normalize names: one tuple per identifier field
    (field, bad mask or None, reasons, fixes, normalized values)."""
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
        else:
            normalized = s.map(norm, na_action="ignore")
        results.append((f, bad, reason, fix, normalized.where(normalized.notna())))
    return results


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


def _bound_value(bound, today: dt.date):
    if bound == "today":
        return pd.Timestamp(today)
    if isinstance(bound, dt.date):
        return pd.Timestamp(bound)
    return bound


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
    lookup = choice_lookup(cl)
    if f.name in cols.fields:
        s = data[cols.fields[f.name]]
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        parsed: list[tuple[list[str], list[str]]] = []
        for u in uniques:
            text = str(u)
            whole = lookup.get(norm(text))
            if whole is not None:
                parsed.append(([str(whole)], []))
                continue
            ok, bad = [], []
            for token in [t for t in MULTI_SEPARATORS.split(text) if t]:
                v = lookup.get(norm(token))
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
                    repr(shown_answer(b, list(lookup))) for b in bad[:3]
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
        s = data[colname].fillna("").map(norm)
        is_true = s.isin(TRUE_TEXTS).to_numpy()
        is_false = s.isin(FALSE_TEXTS).to_numpy()
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


def allowed_missing(names: Sequence[str], instrument: Instrument) -> set[str]:
    """Field names of the scale items ``names`` allows to be absent (scale names expand)."""
    if isinstance(names, str):
        names = [n for n in names.split(",") if n.strip()]
    items = {i for sc in instrument.scales for i in sc.items}
    out: set[str] = set()
    for nm in (n.strip() for n in names):
        if nm in items:
            out.add(nm)
            continue
        try:
            out.update(instrument.scale(nm).items)
        except Exception:
            known = [sc.name for sc in instrument.scales]
            raise ConfigError(
                f"allow_missing must name scale items or scales of {instrument.id!r} (scales: "
                f"{', '.join(known)}); got {nm!r}") from None
    return out


def _missing_items_message(blocked: list[str], instrument: Instrument) -> str:
    shown = ", ".join(blocked[:9]) + (" …" if len(blocked) > 9 else "")
    return (f"the file has no column for {len(blocked)} scale item(s) of the {instrument.id!r} "
            f"questionnaire ({shown}); their answers would be stored as empty")


def _missing_items_fix(blocked: list[str], instrument: Instrument, cols) -> str:
    unmatched = [mask(str(c), 40) for c in cols.ignored][:4]
    whole = [sc.name for sc in instrument.scales
             if set(sc.items) <= set(blocked) and not sc.subscales]
    covered = {i for s in whole for i in instrument.scale(s).items}
    names = whole if whole and set(blocked) <= covered else blocked
    return ("if the headers are other question texts or numbering, rename them to the field "
            "names or map them with --columns MAP.yaml"
            + (f" (headers not recognised: {'; '.join(map(repr, unmatched))})" if unmatched
               else "")
            + "; if these questions were really not asked, accept it with --allow-missing "
            + ",".join(names))


def _cross_field_rules(instrument: Instrument, out: dict[str, pd.Series],
                       identifiers_checked: dict[str, pd.Series], cols, problems: _Problems
                       ) -> None:
    """Rules between fields, as the instrument declares them (not_before, not_when,
    nip_part); each broken rule is a problem of the field that carries it."""
    for f in instrument.fields:
        if f.not_before and f.name in out and f.not_before in out:
            mine, other = out[f.name], out[f.not_before]
            early = (mine < other).fillna(False).astype(bool).to_numpy()
            if early.any():
                text = ("before " + f.not_before + " (" + mine.dt.strftime("%Y-%m-%d").astype(str)
                        + " < " + other.dt.strftime("%Y-%m-%d").astype(str) + ")")
                problems.add(early, f.name, text.to_numpy(),
                             f"check both dates: {f.name} cannot be before {f.not_before}")
        if f.not_when and f.name in cols.fields and f.not_when["field"] in out:
            cond, values = f.not_when["field"], f.not_when["in"]
            given = out[f.name].notna().to_numpy() if f.name in out else np.zeros(0, bool)
            hit = out[cond].isin(values).fillna(False).astype(bool).to_numpy() & given
            shown = "/".join(str(v) for v in values)
            problems.add(hit, f.name, f"answered although {cond} is {shown}",
                         f"leave {f.name} empty when {cond} is {shown}, or correct {cond}")
        if f.nip_part == "birth_year" and f.name in out:
            nip_field = next((x.name for x in instrument.fields if x.type == "nip"), None)
            nips = identifiers_checked.get(nip_field)
            if nips is None:
                continue
            arr = pa.array(nips.astype("str"), type=pa.large_string())
            ok = pc.and_(pc.equal(pc.utf8_length(arr), 18), pc.ascii_is_decimal(arr))
            first4 = pc.if_else(ok, pc.utf8_slice_codeunits(arr, 0, 4),
                                pa.scalar(None, pa.large_string()))
            encoded = pd.Series(pc.cast(first4, pa.float64()).to_numpy(zero_copy_only=False))
            year = out[f.name].astype("Float64")
            wrong = (encoded.notna() & year.notna() & (year != encoded.to_numpy()))
            problems.add(wrong.fillna(False).astype(bool).to_numpy(), f.name,
                         "the year of birth does not match the birth date in the NIP",
                         "correct the year of birth, or the NIP (its first 8 digits are the "
                         "birth date YYYYMMDD)")
