r"""Read survey-wave files (CSV, Excel, KoboToolbox exports) into one uniform, all-text table.

Waves arrive as KoboToolbox exports, Google Forms CSVs and spreadsheets typed by agency
staff: with a byte-order mark or in Windows-1252, separated by commas, semicolons or tabs,
with title rows above the header, blank lines, quoted line breaks, a cut-off last line, NIPs
that Excel turned into numbers, and KoboToolbox group paths in the column names.
:func:`read_wave_file` reads all of them *faithfully*: every value stays text exactly as the
user typed it (only surrounding whitespace is removed), and every row keeps the row number
the user sees in a text editor or in Excel. Text files are read by
:mod:`~asn_research.waves.text`, workbooks by :mod:`~asn_research.waves.excel`; header
cells are matched to the instrument's fields by :mod:`~asn_research.waves.columns`. Types,
codes, ranges and NIP checks are the job of :mod:`~asn_research.waves.checks`, which works
on the :class:`~asn_research.waves.table.RawTable` returned here.

Examples
--------
>>> import pathlib, tempfile
>>> from asn_research.waves import read_wave_file
>>> p = pathlib.Path(tempfile.mkdtemp()) / "w1.csv"
>>> _ = p.write_text("NIP;OPD\n198503122010011002;dinkes\n\n197001012000121001;bkpsdm\n")
>>> raw = read_wave_file(p)
>>> raw.delimiter, list(raw.data.columns), raw.source_rows.tolist()
(';', ['NIP', 'OPD'], [2, 4])
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from ..errors import ConfigError, InputError, UnreadableFileError
from ..instruments import Instrument
from .columns import ColumnResolver
from .excel import check_excel_magic, check_zip_is_workbook, read_excel
from .table import RawTable
from .text import read_text

log = logging.getLogger(__name__)


#: File name endings read as delimited text and as Excel workbooks.
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")


EXCEL_SUFFIXES = (".xlsx", ".xlsm")


def read_wave_file(
    path: str | os.PathLike[str],
    *,
    instrument: Instrument | None = None,
    sheet: str | int | None = None,
    content: bytes | None = None,
    column_map: Mapping[str, str] | None = None,
) -> RawTable:
    r"""Read a survey-wave file (CSV, Excel or KoboToolbox export) into a :class:`RawTable`.

    Use this as the first step of every ingest: it never converts types or maps answer
    labels, it only reads what is in the file and records where each row came from.

    Parameters
    ----------
    path : str or path-like
        A ``.csv``, ``.txt`` or ``.tsv`` text file, or an ``.xlsx``/``.xlsm`` workbook.
    instrument : Instrument, optional
        When given, the header row, the delimiter and the column names are matched against
        the instrument's field names and Indonesian/English question labels
        (``"NIP"`` and ``"NIP (18 digit)"`` both become ``nip``), KoboToolbox
        ``select_multiple`` option columns become ``field/option``, and a file in which
        no column belongs to the instrument is refused. Numbered question headers
        (``1. Bagaimana …``), Google Forms grid columns (``Title [item]``), the field's
        listed header aliases and, where unambiguous, slightly reworded question texts are
        recognised too (each noted).
    sheet : str or int, optional
        Excel only: the sheet name or 0-based position (default: the first sheet).
    content : bytes, optional
        The file's bytes, already read. Ingest reads a file once and hashes, parses and
        stores those same bytes, so the stored raw copy is exactly what was validated even
        if the file is saved again meanwhile. ``path`` still names the file in messages
        and decides the file type.
    column_map : mapping of str to str, optional
        Header text → field name (``field/option``, or ``"ignore"``), applied before any
        other matching; see :func:`~asn_research.waves.columns.read_column_map`.

    Returns
    -------
    RawTable
        ``data`` (all text, NA for empty cells), ``source_rows``, ``bad_rows`` and how the
        file was read (``format``, ``encoding``, ``delimiter``, ``header_row``,
        ``original_columns``, ``headers``, ``notes``).

    Raises
    ------
    UnreadableFileError
        The file cannot be read at all: missing, empty, binary (not text and not a
        workbook), an ``.xlsx`` that is not a valid workbook, an old ``.xls``, another
        separator than comma/semicolon/tab, no header row, a header without data rows, or
        two header cells that become the same column name. The message names the file and
        the fix; it never quotes a cell value.
    InputError
        ``sheet`` does not exist, or is given for a text file.

    Notes
    -----
    *Text files.* The encoding is UTF-8 (with or without byte-order mark), UTF-16 with a
    byte-order mark (Excel's "Unicode text"), or else Windows-1252. The delimiter is the one
    of ``,`` ``;`` and tab that splits the header into the most instrument column names, or
    else gives the most consistent field count. With ``;`` numbers may use a decimal comma:
    this is noted (``decimal=","``) and left to validation. Rows are parsed with
    ``pyarrow.csv`` (all columns as text); row numbers are physical line numbers, correct
    across blank lines and quoted line breaks. If pyarrow and the line count disagree (e.g.
    stray quotes) the file is re-read with Python's ``csv`` module, which tracks lines
    exactly. Rows with the wrong number of fields go to ``bad_rows``; rows whose cells are
    all empty are skipped and noted.

    *Excel.* Cells become text as shown in Excel: whole numbers without ``.0``, other
    numbers with up to 15 significant digits, dates as ``YYYY-MM-DD`` (``YYYY-MM-DDTHH:MM:SS``
    with a time), booleans as ``"1"``/``"0"``. A number of 16 or more digits that Excel
    stored as a float (typically an NIP typed into a General-format cell) has lost its last
    digits; it is given in scientific notation, e.g. ``"1.98503122010011e+17"``, which
    validation recognizes as damaged, and a note says which column holds such cells.

    *Header.* Title rows above the header are skipped (noted): with an instrument the
    header is the row among the first 20 non-empty rows that matches most field names or
    labels; without one, the first row with at least half as many filled cells as the
    fullest row (and at least 2). A header cell that is empty gets the name
    ``unnamed_<position>`` (``unnamed_<letter>`` in Excel) if its column holds data, and is
    dropped otherwise.

    *KoboToolbox.* Recognized by ``_uuid``/``_submission_time``/``_index``/``_id`` columns
    or ``group/field`` paths. Group paths are removed (``profile/nip`` -> ``nip``,
    ``meta/instanceID`` -> ``instanceID``), ``select_multiple`` option columns keep their
    field (``dialogue/dlg_formats/daring`` -> ``dlg_formats/daring``), ``_``-columns keep
    their names. Without an instrument, label headers are left as they are.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from asn_research import instruments
    >>> merit = instruments.load_instrument("merit")
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "w1.csv"
    >>> _ = p.write_text("NIP (18 digit), OPD \n198503122010011002,dinkes\n")
    >>> raw = read_wave_file(p, instrument=merit)
    >>> list(raw.data.columns), raw.source_rows.tolist(), raw.format
    (['nip', 'opd'], [2], 'csv')
    """
    p = Path(path)
    fname = p.name or str(path)
    if sheet is not None and not isinstance(sheet, (str, int)):
        raise InputError(f"sheet must be a name or a 0-based position; got {type(sheet).__name__}",
                         file=fname, fix="pass e.g. sheet='Data' or sheet=0")
    if content is None and not p.exists():
        raise UnreadableFileError("file not found", file=str(path),
                                  fix="check the folder and the file name")
    if content is None and not p.is_file():
        what = ("is a folder, not a file" if p.is_dir()
                else "is not a regular file (a pipe, socket or device)")
        raise UnreadableFileError(what, file=fname,
                                  fix="save the survey data to a .csv or .xlsx file and give "
                                  "its path")
    suffix = p.suffix.lower()
    if suffix == ".xls":
        raise UnreadableFileError(
            "old Excel .xls workbooks are not read", file=fname,
            fix="open it in Excel and save it as .xlsx (Excel Workbook) or as CSV UTF-8")
    if suffix not in TEXT_SUFFIXES + EXCEL_SUFFIXES:
        raise UnreadableFileError(
            f"unsupported file type {suffix or '(no extension)'!r}", file=fname,
            fix="save the survey data as .xlsx or as CSV UTF-8 (.csv); accepted: "
            + ", ".join(TEXT_SUFFIXES + EXCEL_SUFFIXES))
    try:
        if content is not None:
            head = bytes(content[:8])
        else:
            with p.open("rb") as fh:
                head = fh.read(8)
    except OSError as exc:
        raise UnreadableFileError(f"cannot open the file ({exc.strerror or exc})", file=fname,
                                  fix="check that the file exists and that you may read it"
                                  ) from None
    resolver = ColumnResolver(instrument, column_map)
    if suffix in EXCEL_SUFFIXES or head.startswith(b"PK\x03\x04"):
        notes: list[str] = []
        if suffix not in EXCEL_SUFFIXES:
            check_zip_is_workbook(p if content is None else io.BytesIO(content), fname)
            notes.append(f"the file is named {suffix} but is an Excel workbook; read as Excel")
        else:
            check_excel_magic(head, fname)
        return read_excel(p, fname, resolver, sheet, notes, content)
    if sheet is not None:
        raise ConfigError(f"{fname}: --sheet applies only to Excel workbooks; leave it out "
                          "for a text (CSV) file")
    return read_text(p, fname, resolver, content)
