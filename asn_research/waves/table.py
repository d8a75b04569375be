"""The raw table every reader returns, and the finishing steps readers share.

:class:`RawTable` holds a wave file read faithfully: all values as text, with the row
number each row has in the user's file and the rows that could not be split.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import UnreadableFileError

log = logging.getLogger(__name__)


_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas 3's default "str" dtype


_THREADED_MIN_ROWS = 50_000


@dataclass(frozen=True, slots=True, eq=False)
class RawTable:
    r"""A wave file read faithfully: all values as text, with where each row came from.

    Attributes
    ----------
    data : pandas.DataFrame
        One column per header cell (named after normalization, see ``headers``), every
        column of pandas' ``"str"`` dtype. Values are stripped of surrounding whitespace;
        empty and whitespace-only cells are NA. A ``RangeIndex``; fully empty rows are left
        out (and listed in ``notes``).
    source_rows : numpy.ndarray
        ``int64``, one per row of ``data``: the 1-based row number as the user sees it (the
        line number in a text editor for CSV — where a value with a line break starts — or
        the Excel row number).
    bad_rows : pandas.DataFrame
        Rows that could not be split into the header's columns (a cut-off last line, too
        many or too few fields). Columns ``source_row`` (int64), ``reason`` and ``fix``
        (str). They count as read: ``n_rows_read == len(data) + len(bad_rows)``.
    path : pathlib.Path
        The file read.
    format : str
        ``"csv"``, ``"xlsx"``, ``"kobo-csv"`` or ``"kobo-xlsx"``.
    encoding : str or None
        ``"utf-8"``, ``"utf-8-sig"``, ``"cp1252"``, ``"utf-16"``, ... (None for Excel).
    delimiter : str or None
        ``","``, ``";"`` or ``"\t"`` (None for Excel).
    header_row : int
        1-based line (CSV) or row (Excel) of the header.
    original_columns : tuple of str
        The header cells exactly as found, one per column position read (trailing empty
        header cells without data are not included).
    headers : dict of str to str
        Column name in ``data`` -> the original header cell it came from.
    notes : tuple of str
        Plain-language notes on what was done, e.g. ``"encoding cp1252 ..."``,
        ``"skipped 2 title rows above the header (lines 1-2)"``, ``'decimal=","...'``,
        ``"KoboToolbox export: group paths removed from 12 column names"``.
    parser : str
        How a text file was parsed, e.g. ``"read with the fast parser (pyarrow)"`` or the
        exact line-by-line fallback and why (empty for workbooks). Diagnostic detail, kept
        out of ``notes``.
    template_rows : tuple of int
        Rows (line or Excel row numbers) left out because only their row-number column
        (``No``, ``Nomor`` …) was filled: unused rows of a pre-numbered template. They are
        counted and noted, not responses.

    Notes
    -----
    Equality is identity (``eq=False``): two reads of the same file are different objects.
    """

    data: pd.DataFrame
    source_rows: np.ndarray
    bad_rows: pd.DataFrame
    path: Path
    format: str
    encoding: str | None
    delimiter: str | None
    header_row: int
    original_columns: tuple[str, ...]
    headers: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    parser: str = ""
    template_rows: tuple[int, ...] = ()

    @property
    def n_rows_read(self) -> int:
        """Rows read: rows in ``data`` plus rows in ``bad_rows``."""
        return len(self.data) + len(self.bad_rows)


def describe_lines(numbers: Sequence[int], unit: str, limit: int = 6) -> str:
    nums = list(numbers)
    if len(nums) > 1 and nums == list(range(nums[0], nums[0] + len(nums))):
        return f"{unit}s {nums[0]}-{nums[-1]}"
    shown = ", ".join(map(str, nums[:limit]))
    more = f", … ({len(nums)} in all)" if len(nums) > limit else ""
    return f"{unit}{'s' * (len(nums) != 1)} {shown}{more}"


def _trim_column(col: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Strip surrounding whitespace; cells left empty become null."""
    col = pc.utf8_trim_whitespace(col)
    empty = pc.equal(pc.binary_length(col), 0)
    if pc.any(empty).as_py():
        col = pc.if_else(empty, pa.scalar(None, pa.large_string()), col)
    return col


def finish_table(
    columns: list[pa.ChunkedArray | pa.Array],
    row_lines: np.ndarray,
    bad_rows: list[tuple[int, str, str]],
    skipped: list[int],
    needs_trim: bool,
    header_cells: list[str],
    names: list[str | None],
    labels: list[str],
    p: Path,
    fname: str,
    *,
    fmt: str,
    encoding: str | None,
    delimiter: str | None,
    header_row: int,
    notes: list[str],
    unit: str,
    parser: str = "",
) -> RawTable:
    n_rows = len(row_lines)
    if needs_trim and columns:
        if n_rows >= _THREADED_MIN_ROWS and len(columns) > 1:
            with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as ex:
                columns = list(ex.map(_trim_column, columns))
        else:
            columns = [_trim_column(c) for c in columns]
    # empty header cells: keep the column as unnamed_<position> if it holds data
    keep_cols: list[int] = []
    final_names: list[str] = []
    dropped_unnamed = 0
    unnamed: list[str] = []
    for j, nm in enumerate(names):
        if nm is None:
            if n_rows and columns[j].null_count < n_rows:
                nm = f"unnamed_{labels[j]}"
                unnamed.append(nm)
            else:
                dropped_unnamed += 1
                continue
        keep_cols.append(j)
        final_names.append(nm)
    clash = set(unnamed) & (set(final_names) - set(unnamed))
    if clash:
        raise UnreadableFileError(
            f"a column without a header would be called {sorted(clash)[0]!r}, which is also a "
            "header in the file", file=fname, row=header_row,
            fix="give every column that holds data a name in the header row")
    if unnamed:
        notes.append(f"{len(unnamed)} column{'s' * (len(unnamed) != 1)} without a header "
                     f"but with data kept as {', '.join(unnamed[:5])}")
    if dropped_unnamed:
        notes.append(f"ignored {dropped_unnamed} empty column{'s' * (dropped_unnamed != 1)} "
                     "without a header")
    columns = [columns[j] for j in keep_cols]
    # rows whose cells are all empty
    if n_rows and columns and all(c.null_count > 0 for c in columns):
        all_null = pc.is_null(columns[0])
        for c in columns[1:]:
            all_null = pc.and_(all_null, pc.is_null(c))
        if pc.any(all_null).as_py():
            mask = all_null.to_numpy(zero_copy_only=False)
            skipped = sorted([*skipped, *row_lines[mask].tolist()])
            keep = pc.invert(all_null)
            columns = [pc.filter(c, keep) for c in columns]
            row_lines = row_lines[~mask]
            n_rows = len(row_lines)
    # rows of a pre-numbered template: only the row-number column is filled
    template: list[int] = []
    counter = _row_number_column(final_names)
    if n_rows and counter is not None and len(columns) > 1:
        numbered = pc.fill_null(pc.match_substring_regex(columns[counter], r"^\d{1,6}\.?$"),
                                False)
        rest_null = None
        for j, c in enumerate(columns):
            if j != counter:
                rest_null = pc.is_null(c) if rest_null is None else pc.and_(rest_null,
                                                                          pc.is_null(c))
        only_number = pc.and_(numbered, rest_null)
        if pc.any(only_number).as_py():
            mask = only_number.to_numpy(zero_copy_only=False)
            template = row_lines[mask].tolist()
            keep = pc.invert(only_number)
            columns = [pc.filter(c, keep) for c in columns]
            row_lines = row_lines[~mask]
            n_rows = len(row_lines)
            notes.append(
                f"skipped {len(template)} {unit}{'s' * (len(template) != 1)} that hold only a "
                f"row number in column {final_names[counter]!r} (an unused row of a "
                f"pre-numbered template: {describe_lines(template, unit)}); they are not "
                "responses")
    last = max([int(row_lines[-1]) if n_rows else 0, *(b[0] for b in bad_rows), *template])
    skipped = [s for s in skipped if s < last]  # empty lines at the end are not noted
    if skipped:
        notes.append(f"skipped {len(skipped)} empty {unit}{'s' * (len(skipped) != 1)} "
                     f"({describe_lines(skipped, unit)})")
    if n_rows == 0 and not bad_rows:
        raise UnreadableFileError(
            "has a header row but no data rows; nothing was read or stored", file=fname,
            row=header_row,
            fix="check that you exported the responses (not only the questions) and read "
            "the complete file")
    frame = pd.DataFrame(
        {nm: pd.array(c, dtype=_STR) for nm, c in zip(final_names, columns, strict=True)},
        index=pd.RangeIndex(n_rows),
    )
    bad_rows = sorted(bad_rows)
    bad = pd.DataFrame({
        "source_row": pd.array([b[0] for b in bad_rows], dtype="int64"),
        "reason": pd.array([b[1] for b in bad_rows], dtype=_STR),
        "fix": pd.array([b[2] for b in bad_rows], dtype=_STR),
    })
    if bad_rows:
        notes.append(f"{len(bad_rows)} row{'s' * (len(bad_rows) != 1)} could not be split into "
                     f"the header's columns ({describe_lines([b[0] for b in bad_rows], unit)}); "
                     "they are quarantined with the reason")
    headers = {nm: header_cells[j] for nm, j in zip(final_names, keep_cols, strict=True)}
    original = tuple(header_cells)
    log.info("read %s: %d rows, %d bad rows, %d columns (%s)", p.name, n_rows,
                len(bad_rows), len(final_names), fmt)
    return RawTable(
        data=frame,
        source_rows=np.ascontiguousarray(row_lines, dtype=np.int64),
        bad_rows=bad,
        path=p,
        format=fmt,
        encoding=encoding,
        delimiter=delimiter,
        header_row=header_row,
        original_columns=original,
        headers=headers,
        notes=tuple(notes),
        parser=parser,
        template_rows=tuple(int(t) for t in template),
    )


_ROW_NUMBER_HEADERS = frozenset({"no", "no.", "nomor", "no urut", "no. urut", "nomor urut",
                                 "urut", "#", "nr", "nr.", "number", "row"})


def _row_number_column(names: Sequence[str]) -> int | None:
    """Position of a row-number column (``No``, ``Nomor``, ``#`` …; or an unnamed first
    column), if the header has one."""
    for j, nm in enumerate(names):
        if " ".join(nm.split()).casefold() in _ROW_NUMBER_HEADERS:
            return j
    if names and names[0].startswith("unnamed_"):
        return 0
    return None
