"""Reading Excel workbooks (.xlsx), also KoboToolbox exports and sheets with title rows.

Cells become text as Excel shows them; numbers of 16 or more digits that Excel stored as
floating point (an NIP typed into a General-format cell) are flagged as damaged.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..errors import InputError, UnreadableFileError
from .columns import (
    HEADER_SEARCH_ROWS,
    ColumnResolver,
    HeaderRow,
    find_header,
    mask,
    no_instrument_header,
)
from .table import RawTable, describe_lines, finish_table

log = logging.getLogger(__name__)


#: Excel keeps 15 significant digits; a float at least this large has lost digits.
EXCEL_DIGITS_LOST = 1e15


def check_excel_magic(head: bytes, fname: str) -> None:
    if head.startswith(b"PK\x03\x04"):
        return
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFileError(
            "is an old-format Office file (an .xls workbook or a password-protected "
            "workbook), not an .xlsx workbook", file=fname,
            fix="open it in Excel, remove any password and save it as .xlsx or as CSV UTF-8")
    if not head.strip():
        raise UnreadableFileError("the file is empty", file=fname,
                                  fix="export the survey data again; nothing was read")
    raise UnreadableFileError(
        "is not a valid Excel workbook (an .xlsx file is a zip archive; this one is not)",
        file=fname,
        fix="open it in Excel and save it again as .xlsx; if it is a CSV file, rename it .csv")


def check_zip_is_workbook(p: Path | io.BytesIO, fname: str) -> None:
    try:
        with zipfile.ZipFile(p) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError):
        raise UnreadableFileError("is a damaged zip archive, not a text file", file=fname,
                                  fix="export the survey data again as CSV UTF-8 or .xlsx"
                                  ) from None
    if "xl/workbook.xml" not in names:
        kind = "a Word document" if "word/document.xml" in names else "a zip archive"
        raise UnreadableFileError(f"is {kind}, not survey data", file=fname,
                                  fix="export the survey data as CSV UTF-8 or .xlsx")


def _cell_text(value: object) -> str | None:
    """Return an Excel cell value as the text a user sees (None for an empty cell)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < EXCEL_DIGITS_LOST:
            return str(int(value))
        return format(value, ".15g")
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(timespec="seconds")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _other_sheets(sheets: list, ws) -> str:
    """Hint for a header not found on the first sheet of a workbook with several."""
    others = [s.title for s in sheets if s is not ws]
    if not others:
        return ""
    return (f"; this was sheet {ws.title!r} — the workbook also has "
            + ", ".join(repr(t) for t in others[:8])
            + " (choose one with --sheet NAME)")


def read_excel(p: Path, fname: str, resolver: ColumnResolver, sheet: str | int | None,
                notes: list[str], content: bytes | None = None) -> RawTable:
    import openpyxl  # noqa: PLC0415 (openpyxl is slow to import; only needed for Excel)
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    if (len(content) if content is not None else p.stat().st_size) == 0:
        raise UnreadableFileError("the file is empty (0 bytes)", file=fname,
                                  fix="export the survey data again; nothing was read")
    # a file object: openpyxl would refuse a workbook named .csv
    fh = io.BytesIO(content) if content is not None else p.open("rb")
    try:
        wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        fh.close()
        raise UnreadableFileError(
            f"is not a readable Excel workbook ({type(exc).__name__})", file=fname,
            fix="open it in Excel and save it again as .xlsx, or export it as CSV UTF-8"
        ) from None
    try:
        sheets = wb.worksheets
        if not sheets:
            raise UnreadableFileError("the workbook has no worksheet", file=fname,
                                      fix="put the data on a worksheet and save again")
        if sheet is None:
            ws = sheets[0]
        elif isinstance(sheet, int) and not isinstance(sheet, bool):
            if not 0 <= sheet < len(sheets):
                raise InputError(
                    f"there is no sheet at position {sheet} (the workbook has {len(sheets)})",
                    file=fname, fix="give a 0-based position or a sheet name: "
                    + ", ".join(repr(s.title) for s in sheets[:10]))
            ws = sheets[sheet]
        elif sheet not in {s.title for s in sheets} and str(sheet).isdigit():
            return read_excel(p, fname, resolver, int(sheet), notes, content)  # position 2
        else:
            by_title = {s.title: s for s in sheets}
            if sheet not in by_title:
                raise InputError(f"there is no sheet called {sheet!r}", file=fname,
                                 fix="use one of: "
                                 + ", ".join(repr(s.title) for s in sheets[:10]))
            ws = by_title[sheet]
        if len(sheets) > 1:
            notes.append(f"read sheet {ws.title!r} ({sheets.index(ws) + 1} of {len(sheets)} "
                         "sheets)")
        ws.reset_dimensions()
        rows = ws.iter_rows(min_row=1, values_only=True)
        try:
            return _excel_table(rows, p, fname, resolver, notes, get_column_letter)
        except UnreadableFileError as exc:
            if exc.message.startswith(("no header row found", "the worksheet is empty")):
                exc.fix = (exc.fix or "") + _other_sheets(sheets, ws)
            raise
    except (UnreadableFileError, InputError):
        raise
    except Exception as exc:  # damaged sheet XML
        raise UnreadableFileError(
            f"cannot read the worksheet ({type(exc).__name__})", file=fname,
            fix="open it in Excel and save it again as .xlsx, or export it as CSV UTF-8"
        ) from None
    finally:
        wb.close()
        fh.close()


def _excel_table(rows: Iterable[tuple], p: Path, fname: str, resolver: ColumnResolver,
                 notes: list[str], letter: Callable[[int], str]) -> RawTable:
    it = iter(rows)
    buffered: list[tuple[int, tuple]] = []  # (Excel row number, raw values)
    head: list[HeaderRow] = []
    for num, values in enumerate(it, start=1):
        buffered.append((num, values))
        cells = [_cell_text(v) or "" for v in values]
        if any(c.strip() for c in cells):
            head.append(HeaderRow(num, num, cells))
            if len(head) > HEADER_SEARCH_ROWS:
                break
    if not head:
        raise UnreadableFileError("the worksheet is empty", file=fname,
                                  fix="export the survey data again; nothing was read")
    idx, _ = find_header(head, resolver)
    if idx is None:
        if resolver.instrument is not None and any(r.filled >= 2 for r in head):
            raise no_instrument_header(resolver.instrument, fname, "sheet")
        raise UnreadableFileError(
            f"no header row found: none of the first {HEADER_SEARCH_ROWS} rows has at least "
            "two filled cells", file=fname,
            fix="put the column names in one row above the data and save again")
    hdr = head[idx]
    if idx:
        rows_above = [r.start for r in head[:idx]]
        notes.append(f"skipped {idx} title row{'s' * (idx != 1)} above the header "
                     f"({describe_lines(rows_above, 'row')})")
    hcells = list(hdr.cells)
    while hcells and not hcells[-1].strip():
        hcells.pop()
    data_rows: list[list[str | None]] = []
    row_lines: list[int] = []
    skipped: list[int] = []
    big_floats: Counter[int] = Counter()

    def take(num: int, values: Sequence[object]) -> None:
        texts: list[str | None] = []
        for j, v in enumerate(values):
            t = _cell_text(v)
            if t is not None:
                t = t.strip() or None
                if t is not None and isinstance(v, float) and abs(v) >= EXCEL_DIGITS_LOST:
                    big_floats[j] += 1
            texts.append(t)
        while texts and texts[-1] is None:
            texts.pop()
        if texts:
            data_rows.append(texts)
            row_lines.append(num)
        else:
            skipped.append(num)

    for num, values in buffered:
        if num > hdr.start:
            take(num, values)
    for num, values in enumerate(it, start=buffered[-1][0] + 1):
        take(num, values)
    width = max([len(hcells), *(len(t) for t in data_rows)])
    cells = (hcells + [""] * width)[:width]
    labels = [letter(j + 1) for j in range(width)]
    names, kobo, name_notes = resolver.resolve(cells, labels, fname, hdr.start, "column")
    notes.extend(name_notes)
    for j, n in sorted(big_floats.items()):
        nm = names[j] or f"unnamed_{labels[j]}"
        notes.append(
            f"column {mask(nm)!r} ({labels[j]}): {n} cell{'s' * (n != 1)} "
            f"hold{'s' * (n == 1)} numbers of 16 or more digits that Excel stored as floating "
            "point, so digits after the 15th were lost; they are given in scientific notation "
            "(like 1.23456789012345e+17). Format the column as Text in Excel and type the "
            "values again")
    columns = [pa.array([t[j] if j < len(t) else None for t in data_rows],
                        type=pa.large_string()) for j in range(width)]
    return finish_table(columns, np.asarray(row_lines, dtype=np.int64), [], skipped, False,
                   cells, names, labels, p, fname, fmt="kobo-xlsx" if kobo else "xlsx",
                   encoding=None, delimiter=None, header_row=hdr.start, notes=notes,
                   unit="row")
