r"""Read survey-wave files (CSV, Excel, KoboToolbox exports) into one uniform, all-text table.

Waves arrive as KoboToolbox exports, Google Forms CSVs and spreadsheets typed by agency
staff: with a byte-order mark or in Windows-1252, separated by commas, semicolons or tabs,
with title rows above the header, blank lines, quoted line breaks, a cut-off last line, NIPs
that Excel turned into numbers, and KoboToolbox group paths in the column names.
:func:`read_wave_file` reads all of them *faithfully*: every value stays text exactly as the
user typed it (only surrounding whitespace is removed), and every row keeps the row number
the user sees in a text editor or in Excel. Types, codes, ranges and NIP checks are the job
of :mod:`asn_research.validation`, which works on the :class:`RawTable` returned here.

Examples
--------
>>> import pathlib, tempfile
>>> from asn_research import readers
>>> p = pathlib.Path(tempfile.mkdtemp()) / "w1.csv"
>>> _ = p.write_text("NIP;OPD\n198503122010011002;dinkes\n\n197001012000121001;bkpsdm\n")
>>> raw = readers.read_wave_file(p)
>>> raw.delimiter, list(raw.data.columns), raw.source_rows.tolist()
(';', ['NIP', 'OPD'], [2, 4])
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import logging
import math
import os
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .errors import ConfigError, InputError, UnreadableFileError
from .instruments import Instrument

__all__ = ["RawTable", "read_wave_file"]

logger = logging.getLogger(__name__)

#: File name endings read as delimited text and as Excel workbooks.
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
#: The header is looked for among this many non-empty rows at the top of a file.
HEADER_SEARCH_ROWS = 20
#: Excel keeps 15 significant digits; a float at least this large has lost digits.
EXCEL_DIGITS_LOST = 1e15

_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas 3's default "str" dtype
_DELIMITERS = (",", ";", "\t")
_OTHER_SEPARATORS = ("|", "^", "~", ":", "#")
_DELIM_NAMES = {",": "comma (,)", ";": "semicolon (;)", "\t": "tab", "|": "vertical bar (|)",
                "^": "caret (^)", "~": "tilde (~)", ":": "colon (:)", "#": "hash (#)"}
#: Columns that mark a KoboToolbox export (kept under their own names).
_KOBO_MARKERS = frozenset({"_uuid", "_submission_time", "_index", "_id"})
_KOBO_META_PATHS = frozenset({"meta/instanceid", "meta/instancename", "meta/rootuuid",
                              "meta/deprecatedid", "formhub/uuid"})
_NAME_PATH = re.compile(r"[^\s/]+(?:/[^\s/]+)+")  # group/field, no spaces
_LONG_NUMBER = re.compile(r"\d[\d .,\-]{6,}\d")  # masks identifier-like numbers in messages
_ID_LIKE_CELL = re.compile(r"[0-9][0-9 .]{13,}[0-9]|[0-9][.,][0-9]+[eE]\+?1[5-9]")
_SAMPLE_LINES = 200
_SAMPLE_BYTES = 1 << 20
_THREADED_MIN_ROWS = 50_000
_BLOCK_SIZE = 1 << 20  # pyarrow's block size (tests lower it to stress block boundaries)


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, slots=True, eq=False)
class RawTable:
    r"""A wave file read faithfully: all values as text, with where each row came from.

    Attributes
    ----------
    data : pandas.DataFrame
        One column per header cell (named after normalization, see ``column_map``), every
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
    column_map : dict of str to str
        Column name in ``data`` -> the original header cell it came from.
    notes : tuple of str
        Plain-language notes on what was done, e.g. ``"encoding cp1252 ..."``,
        ``"skipped 2 title rows above the header (lines 1-2)"``, ``'decimal=","...'``,
        ``"KoboToolbox export: group paths removed from 12 column names"``.
    parser : str
        How a text file was parsed, e.g. ``"read with the fast parser (pyarrow)"`` or the
        exact line-by-line fallback and why (empty for workbooks). Diagnostic detail, kept
        out of ``notes``.

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
    column_map: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    parser: str = ""

    @property
    def n_rows_read(self) -> int:
        """Rows read: rows in ``data`` plus rows in ``bad_rows``."""
        return len(self.data) + len(self.bad_rows)


# --------------------------------------------------------------------------- entry point


def read_wave_file(
    path: str | os.PathLike[str],
    *,
    instrument: Instrument | None = None,
    sheet: str | int | None = None,
    content: bytes | None = None,
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
        no column belongs to the instrument is refused.
    sheet : str or int, optional
        Excel only: the sheet name or 0-based position (default: the first sheet).
    content : bytes, optional
        The file's bytes, already read. Ingest reads a file once and hashes, parses and
        stores those same bytes, so the stored raw copy is exactly what was validated even
        if the file is saved again meanwhile. ``path`` still names the file in messages
        and decides the file type.

    Returns
    -------
    RawTable
        ``data`` (all text, NA for empty cells), ``source_rows``, ``bad_rows`` and how the
        file was read (``format``, ``encoding``, ``delimiter``, ``header_row``,
        ``original_columns``, ``column_map``, ``notes``).

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
    resolver = _ColumnResolver(instrument)
    if suffix in EXCEL_SUFFIXES or head.startswith(b"PK\x03\x04"):
        notes: list[str] = []
        if suffix not in EXCEL_SUFFIXES:
            _check_zip_is_workbook(p if content is None else io.BytesIO(content), fname)
            notes.append(f"the file is named {suffix} but is an Excel workbook; read as Excel")
        else:
            _check_excel_magic(head, fname)
        return _read_excel(p, fname, resolver, sheet, notes, content)
    if sheet is not None:
        raise ConfigError(f"{fname}: --sheet applies only to Excel workbooks; leave it out "
                          "for a text (CSV) file")
    return _read_text(p, fname, resolver, content)


# --------------------------------------------------------------------------- columns


def _key(text: str) -> str:
    """Case- and whitespace-insensitive matching key."""
    return " ".join(text.split()).casefold()


def _mask(text: str, limit: int = 60) -> str:
    """Make header text safe for a message: hide long numbers, limit the length."""
    out = _LONG_NUMBER.sub("<number>", text)
    return out if len(out) <= limit else out[: limit - 1] + "…"


def _looks_like_identifier(cell: str) -> bool:
    """Tell whether a cell holds a long number (an NIP/NIK, also in scientific notation)."""
    return bool(_ID_LIKE_CELL.search(cell))


class _ColumnResolver:
    """Maps header cells to column names, using an instrument when there is one."""

    def __init__(self, instrument: Instrument | None) -> None:
        self.instrument = instrument
        self.exact: dict[str, tuple[str, str]] = {}  # key -> (column name, "name"|"label")
        self.multi_fields: set[str] = set()
        self.group_keys: set[str] = set()
        if instrument is None:
            return
        for f in instrument.fields:
            self.exact.setdefault(_key(f.name), (f.name, "name"))
        for f in instrument.fields:
            for lab in (f.label_id, f.label_en):
                self.exact.setdefault(_key(lab), (f.name, "label"))
        for f in instrument.fields:
            if f.type != "select_multiple" or f.list_name is None:
                continue
            self.multi_fields.add(f.name)
            for c in instrument.choice_list(f.list_name).choices:
                target = f"{f.name}/{c.value}"
                self.exact.setdefault(_key(target), (target, "name"))
                for fk in (f.name, f.label_id, f.label_en):
                    for ck in (str(c.value), c.label_id, c.label_en):
                        self.exact.setdefault(_key(f"{fk}/{ck}"), (target, "label"))
        for g, (lid, len_) in instrument.groups.items():
            self.group_keys.update({_key(g), _key(lid), _key(len_)})

    def match(self, cell: str) -> tuple[str, str, str] | None:
        """Return (name, how, prefix) for a cell matching the instrument, else None."""
        if not self.exact:
            return None
        hit = self.exact.get(_key(cell))
        if hit is not None:
            return hit[0], hit[1], ""
        start = cell.find("/")
        while start != -1:
            hit = self.exact.get(_key(cell[start + 1:]))
            if hit is not None:
                return hit[0], hit[1], cell[:start]
            start = cell.find("/", start + 1)
        return None

    def score(self, cells: Sequence[str]) -> int:
        """How many cells of a candidate header row are instrument or KoboToolbox columns."""
        n = 0
        for c in cells:
            c = c.strip()
            if c and (c.casefold() in _KOBO_MARKERS or self.match(c) is not None):
                n += 1
        return n

    def resolve(
        self, cells: Sequence[str], labels: Sequence[str], fname: str, header_row: int,
        unit: str,
    ) -> tuple[list[str | None], bool, list[str]]:
        """Return column names (None = empty cell), whether it is a Kobo export, and notes.

        ``labels`` name each position for messages ("3" or "C").
        """
        stripped = [c.strip() for c in cells]
        present = set(stripped)
        kobo = any(s.casefold() in _KOBO_MARKERS or s.casefold() in _KOBO_META_PATHS
                   for s in stripped)
        names: list[str | None] = []
        n_label = n_case = n_path = 0
        kobo_groups = False
        for s in stripped:
            if not s:
                names.append(None)
                continue
            if s.startswith("_"):
                names.append(s)
                continue
            hit = self.match(s)
            if hit is not None:
                name, how, prefix = hit
                if prefix:
                    n_path += 1
                    segs = [_key(x) for x in prefix.split("/")]
                    if all(x in self.group_keys or x == "meta" for x in segs):
                        kobo_groups = True
                if how == "label":
                    n_label += 1
                elif not prefix and name != s:
                    n_case += 1
                names.append(name)
                continue
            if "/" in s and _NAME_PATH.fullmatch(s):
                segs = s.split("/")
                in_group = _key(segs[0]) in self.group_keys | {"meta"}
                if kobo or in_group:
                    # group/…/field -> field; group/field/option -> field/option
                    parent = "/".join(segs[:-1])
                    multi = parent in present or segs[-2] in self.multi_fields
                    names.append(f"{segs[-2]}/{segs[-1]}" if multi else segs[-1])
                    n_path += 1
                    kobo_groups = kobo_groups or in_group
                    continue
            names.append(s)
        kobo = kobo or kobo_groups
        notes = []
        if n_path:
            notes.append(
                ("KoboToolbox export: " if kobo else "")
                + f"group paths removed from {n_path} column name{'s' * (n_path != 1)}"
                + " (e.g. profile/nip -> nip)")
        if n_label:
            notes.append(f"{n_label} column header{'s' * (n_label != 1)} given as question "
                         "labels were mapped to field names")
        if n_case:
            notes.append(f"{n_case} column name{'s' * (n_case != 1)} matched instrument fields "
                         "after ignoring case and spaces")
        seen: dict[str, int] = {}
        for i, nm in enumerate(names):
            if nm is None:
                continue
            if nm in seen:
                j = seen[nm]
                raise UnreadableFileError(
                    f"{unit}s {labels[j]} and {labels[i]} of the header both give the column "
                    f"name {_mask(nm)!r}", file=fname, row=header_row,
                    fix=("rename or delete one of them (names are matched ignoring case, "
                         "spaces and KoboToolbox group paths); nothing was read"))
            seen[nm] = i
        return names, kobo, notes


# --------------------------------------------------------------------------- header search


@dataclass(slots=True)
class _Record:
    start: int  # 1-based first line / row
    end: int  # 1-based last line / row
    cells: list[str]

    @property
    def filled(self) -> int:
        return sum(1 for c in self.cells if c.strip())


def _find_header(records: Sequence[_Record], resolver: _ColumnResolver) -> tuple[int | None, int]:
    """Index of the header among ``records`` (non-empty rows) and its instrument score."""
    cands = [i for i, r in enumerate(records[:HEADER_SEARCH_ROWS])
             if r.filled >= 2 and not any(_looks_like_identifier(c) for c in r.cells)]
    if not cands:
        return None, 0
    if resolver.instrument is not None:
        scores = [resolver.score(records[i].cells) for i in cands]
        best = max(scores)
        if best > 0:
            return cands[scores.index(best)], best
        return None, 0
    most = max(records[i].filled for i in cands)
    need = max(2, math.ceil(most / 2))
    for i in cands:
        if records[i].filled >= need:
            return i, 0
    return None, 0


# --------------------------------------------------------------------------- text files


@dataclass(slots=True)
class _Layout:
    delimiter: str
    header: _Record
    width: int
    body_offset: int  # byte offset of the line after the header
    title_rows: list[int]


def _check_excel_magic(head: bytes, fname: str) -> None:
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


def _check_zip_is_workbook(p: Path | io.BytesIO, fname: str) -> None:
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


def _check_binary(raw: bytes, fname: str) -> None:
    if raw.startswith(b"%PDF"):
        raise UnreadableFileError("is a PDF document, not a data file", file=fname,
                                  fix="export the survey data as CSV UTF-8 or .xlsx")
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFileError(
            "is an old-format Office file (.xls or .doc) renamed as text", file=fname,
            fix="open it in Excel and save it as .xlsx or as CSV UTF-8")
    if raw.startswith((b"\x89PNG", b"\xff\xd8\xff", b"\x1f\x8b", b"GIF8", b"Rar!", b"7z\xbc")):
        raise UnreadableFileError("is an image or compressed file, not a data file",
                                  file=fname, fix="export the survey data as CSV UTF-8 or .xlsx")


def _binary_error(fname: str) -> UnreadableFileError:
    return UnreadableFileError(
        "is not a text file (it contains binary data)", file=fname,
        fix="export the survey data again as CSV UTF-8 or .xlsx; a file renamed to .csv "
        "is not converted")


def _decode(raw: bytes, fname: str) -> tuple[bytes, str, bool]:
    """Return (UTF-8 bytes without BOM, encoding name, is_ascii)."""
    if raw.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        enc = "utf-32"
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        enc = "utf-16"
    else:
        enc = None
        head = raw[:4096]
        if len(head) >= 8 and b"\x00" in head:
            even, odd = head[0::2], head[1::2]
            if odd.count(0) > 0.7 * len(odd) and even.count(0) < 0.05 * len(even):
                enc = "utf-16-le"
            elif even.count(0) > 0.7 * len(even) and odd.count(0) < 0.05 * len(odd):
                enc = "utf-16-be"
            else:
                raise _binary_error(fname)
    if enc is not None:
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError:
            raise _binary_error(fname) from None
        text = text.removeprefix("\ufeff")
        _check_text(text, fname)
        return text.encode("utf-8"), enc, text.isascii()
    if b"\x00" in raw:
        raise _binary_error(fname)
    if raw.startswith(b"\xef\xbb\xbf"):
        body, enc = raw[3:], "utf-8-sig"
    else:
        body, enc = raw, "utf-8"
    if body.isascii():
        _check_text(body[:65536].decode("ascii"), fname)
        return body, enc, True
    try:
        _validate_utf8(body)
    except UnicodeDecodeError:
        if enc == "utf-8-sig":
            raise UnreadableFileError(
                "starts with a UTF-8 byte-order mark but is not valid UTF-8", file=fname,
                fix="save the file again as CSV UTF-8") from None
        try:
            text = body.decode("cp1252")
        except UnicodeDecodeError:
            raise _binary_error(fname) from None
        enc = "cp1252"
        _check_text(text, fname)
        return text.encode("utf-8"), enc, False
    _check_text(body[:65536].decode("utf-8", errors="ignore"), fname)
    return body, enc, False


def _validate_utf8(data: bytes, chunk: int = 1 << 22) -> None:
    """Raise UnicodeDecodeError unless ``data`` is UTF-8 (without building a str of it all)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    for start in range(0, len(data), chunk):
        decoder.decode(view[start:start + chunk], final=False)
    decoder.decode(b"", final=True)


def _check_text(text: str, fname: str) -> None:
    sample = text[:65536]
    if not sample:
        return
    bad = sum(1 for ch in sample if ch < " " and ch not in "\t\n\r\f\v")
    if bad > max(2, len(sample) // 200):
        raise _binary_error(fname)


def _sample_records(text: str, delimiter: str, first_line: int) -> list[_Record]:
    reader = csv.reader(io.StringIO(text, newline="\n"), delimiter=delimiter, quotechar='"',
                        doublequote=True, strict=False)
    out: list[_Record] = []
    prev = 0
    try:
        for rec in reader:
            start, prev = prev + 1, reader.line_num
            if any(c.strip() for c in rec):
                out.append(_Record(first_line + start - 1, first_line + prev - 1, rec))
    except csv.Error:
        pass
    return out


def _nth_line_offset(data: bytes, n_lines: int) -> int:
    """Byte offset just after the ``n_lines``-th newline (len(data) if there are fewer)."""
    pos = 0
    for _ in range(n_lines):
        nl = data.find(b"\n", pos)
        if nl == -1:
            return len(data)
        pos = nl + 1
    return pos


def _sniff(data: bytes, fname: str, resolver: _ColumnResolver) -> _Layout:
    cut = _nth_line_offset(data[:_SAMPLE_BYTES], _SAMPLE_LINES)
    whole = cut >= len(data)
    sample = data[:cut].decode("utf-8", errors="replace")
    best: tuple | None = None
    for d in _DELIMITERS:
        recs = _sample_records(sample, d, 1)
        if len(recs) > 1 and not whole:
            recs = recs[:-1]  # the last record may be cut off by the sample
        idx, score = _find_header(recs, resolver)
        if idx is None:
            key: tuple = (0, False, 0, 0, 0)
        else:
            # rows (from the header on) that split into the header's number of fields;
            # ties go to the earlier header (fewer rows taken for titles)
            hdr = recs[idx]
            same = sum(1 for r in recs[idx:] if len(r.cells) == len(hdr.cells))
            key = (score, True, same, -hdr.start, hdr.filled)
        if best is None or key > best[0]:
            best = (key, d, recs, idx)
    _, d, recs, idx = best  # type: ignore[misc]
    if idx is None:
        lines = [ln for ln in sample.splitlines() if ln.strip()][:HEADER_SEARCH_ROWS]
        for s in _OTHER_SEPARATORS:
            if lines and sum(s in ln for ln in lines) >= max(1, 0.8 * len(lines)):
                if max(len(ln.split(s)) for ln in lines) >= 2:
                    raise UnreadableFileError(
                        f"the values are separated by a {_DELIM_NAMES[s]}, which is not "
                        "supported", file=fname,
                        fix="save it as CSV with comma or semicolon separators (in Excel: "
                        "Save As > CSV UTF-8), or as .xlsx")
        if resolver.instrument is not None and any(r.filled >= 2 for r in recs):
            raise _no_instrument_header(resolver.instrument, fname, "file")
        raise UnreadableFileError(
            f"no header row found: none of the first {HEADER_SEARCH_ROWS} rows has at least "
            "two column names separated by a comma, semicolon or tab", file=fname,
            fix="put the column names in the first row and save the file as CSV UTF-8 or .xlsx")
    hdr = recs[idx]
    after = recs[idx + 1:]
    width = len(hdr.cells)
    last_filled = max(i for i, c in enumerate(hdr.cells) if c.strip()) + 1
    if after:
        modal_width = Counter(len(r.cells) for r in after).most_common(1)[0][0]
        if modal_width >= last_filled:
            width = modal_width
    body_offset = _nth_line_offset(data, hdr.end)
    title_rows = [r.start for r in recs[:idx]]
    return _Layout(d, hdr, width, body_offset, title_rows)


@dataclass(slots=True)
class _Parsed:
    columns: list[pa.ChunkedArray | pa.Array]
    row_lines: np.ndarray  # source line of each row in ``columns``
    bad: list[tuple[int, int]]  # (line, number of fields)
    skipped: list[int]  # lines of empty rows that were skipped
    needs_trim: bool
    parser: str


def _read_text(p: Path, fname: str, resolver: _ColumnResolver, content: bytes | None = None
               ) -> RawTable:
    try:
        raw = bytes(content) if content is not None else p.read_bytes()
    except OSError as exc:
        raise UnreadableFileError(f"cannot read the file ({exc.strerror or exc})", file=fname,
                                  fix="check that you may read the file") from None
    if not raw or raw.isspace():
        raise UnreadableFileError(
            "the file is empty" + (" (only blank lines or spaces)" if raw else " (0 bytes)"),
            file=fname, fix="export the survey data again; nothing was read")
    _check_binary(raw, fname)
    data, encoding, is_ascii = _decode(raw, fname)
    del raw
    if not data or data.isspace():
        raise UnreadableFileError("the file is empty (only blank lines or spaces)", file=fname,
                                  fix="export the survey data again; nothing was read")
    notes: list[str] = []
    if encoding == "utf-8-sig":
        notes.append("encoding utf-8-sig (UTF-8 with a byte-order mark)")
    elif encoding == "cp1252":
        notes.append("encoding cp1252 (Windows-1252): the file is not UTF-8; accented letters "
                     "were read as Windows typed them")
    elif encoding != "utf-8":
        notes.append(f"encoding {encoding} (Unicode text from Excel)")
    if b"\r" in data and b"\n" not in data:
        data = data.replace(b"\r", b"\n")
        notes.append("line breaks were old Mac style (CR only)")
    layout = _sniff(data, fname, resolver)
    d = layout.delimiter
    hdr = layout.header
    cells = (hdr.cells + [""] * layout.width)[: layout.width]
    labels = [str(i + 1) for i in range(layout.width)]
    names, kobo, name_notes = resolver.resolve(cells, labels, fname, hdr.start, "column")
    if d != ",":
        notes.append(f"delimiter {_DELIM_NAMES[d]}")
    if d == ";":
        notes.append('decimal=",": the file is separated by semicolons, so numbers may use a '
                     'decimal comma ("3,5")')
    if layout.title_rows:
        n = len(layout.title_rows)
        notes.append(f"skipped {n} title row{'s' * (n != 1)} above the header "
                     f"({_lines(layout.title_rows, 'line')})")
    notes.extend(name_notes)
    first_line = hdr.end + 1
    parsed = _parse_arrow(data, layout, first_line, is_ascii)
    if parsed is None:
        parsed = _parse_python(data, layout, first_line, fname)
    ends_with_newline = data.endswith(b"\n")
    # the physical last line of the file (CR-only line ends were turned into LF above); a
    # short row is "cut off" only if it is that line — not if empty lines follow it
    last_start = (data.count(b"\n") + (0 if ends_with_newline else 1)) if parsed.bad else 0
    bad_rows = [
        _bad_row(line, n_fields, layout.width, d,
                 cut_off=not ends_with_newline and line == last_start)
        for line, n_fields in parsed.bad
    ]
    logger.debug("%s: %s", fname, parsed.parser)
    return _finish(parsed.columns, parsed.row_lines, bad_rows, parsed.skipped,
                   parsed.needs_trim, cells, names, labels, p, fname,
                   fmt="kobo-csv" if kobo else "csv", encoding=encoding, delimiter=d,
                   header_row=hdr.start, notes=notes, unit="line", parser=parsed.parser)


def _bad_row(line: int, n_fields: int, width: int, d: str, *, cut_off: bool
             ) -> tuple[int, str, str]:
    if n_fields < width:
        reason = (f"row has {n_fields} of {width} fields (file cut off or a missing "
                  "separator?)")
        if cut_off:
            fix = ("the file ends in the middle of this row: export or copy the complete file "
                   "again")
        else:
            fix = ("add the missing values or separators to this row (or remove a line break "
                   "inside a value), save and read the file again")
    else:
        reason = (f"row has {n_fields} fields but the header has {width} (a "
                  f"{_DELIM_NAMES[d]} inside a value that is not in quotes?)")
        fix = (f"put values that contain a {_DELIM_NAMES[d]} in double quotes, or remove the "
               "extra separator, then read the file again")
    return line, reason, fix


def _arrow_read(buf: pa.Buffer, layout: _Layout, *, threads: bool, quoted_newlines: bool,
                handler: Callable[[pacsv.InvalidRow], str]) -> pa.Table:
    names = [f"f{i}" for i in range(layout.width)]
    return pacsv.read_csv(
        pa.BufferReader(buf),
        read_options=pacsv.ReadOptions(column_names=names, use_threads=threads,
                                       block_size=_BLOCK_SIZE),
        parse_options=pacsv.ParseOptions(
            delimiter=layout.delimiter, quote_char='"', double_quote=True, escape_char=False,
            newlines_in_values=quoted_newlines, ignore_empty_lines=True,
            invalid_row_handler=handler),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.large_string() for n in names}, strings_can_be_null=True,
            null_values=[""], quoted_strings_can_be_null=True, check_utf8=False),
    )


def _is_blank_text(text: str, d: str) -> bool:
    """Tell whether a row's text holds no value (only separators, quotes, whitespace)."""
    if text.replace(d, "").replace('"', "").strip():
        return False
    try:
        cells = [c for rec in csv.reader(io.StringIO(text, newline="\n"), delimiter=d)
                 for c in rec]
    except csv.Error:
        return False
    return not any(c.strip() for c in cells)


def _scan_bytes(arr: np.ndarray, d: str) -> tuple[np.ndarray, bool]:
    """Find newline positions and whether any value may need trimming, in one pass.

    Trimming is needed when ASCII whitespace touches a separator, a line end, a quote or
    the end of the data.
    """
    chunk = 1 << 24
    n = arr.size
    newlines = []
    edge = False
    marks = np.array([ord(d), 10, 13, 34], dtype=np.uint8)
    for start in range(0, n, chunk):
        part = arr[start:start + chunk]
        pos = np.flatnonzero(part <= 32)
        is_nl = part[pos] == 10
        newlines.append(pos[is_nl] + start)
        if edge:
            continue
        ws = pos[~is_nl] + start
        if ws.size:
            prev = np.where(ws > 0, arr[np.maximum(ws - 1, 0)], 10)
            nxt = np.where(ws < n - 1, arr[np.minimum(ws + 1, n - 1)], 10)
            crlf = (arr[ws] == 13) & (nxt == 10)  # the CR of a CRLF line end
            edge = bool(((np.isin(prev, marks) | np.isin(nxt, marks)) & ~crlf).any())
    nl = np.concatenate(newlines) if newlines else np.empty(0, dtype=np.int64)
    return nl.astype(np.int64, copy=False), edge


def _parse_arrow(data: bytes, layout: _Layout, first_line: int, is_ascii: bool
                 ) -> _Parsed | None:
    """Parse the rows after the header with pyarrow; None if line numbers cannot be trusted."""
    off = layout.body_offset
    n_body = len(data) - off
    has_quote = data.find(b'"', off) != -1
    buf = pa.py_buffer(data).slice(off)
    invalid: list[tuple[int | None, int, bool]] = []

    def collect(row: pacsv.InvalidRow) -> str:
        invalid.append((row.number, row.actual_columns,
                        _is_blank_text(row.text or "", layout.delimiter)))
        return "skip"

    def parse(quoted_newlines: bool) -> pa.Table:
        invalid.clear()
        table = _arrow_read(buf, layout, threads=True, quoted_newlines=quoted_newlines,
                            handler=collect)
        if invalid:  # pyarrow numbers invalid rows only when reading single-threaded
            invalid.clear()
            table = _arrow_read(buf, layout, threads=False, quoted_newlines=quoted_newlines,
                                handler=collect)
        return table

    # newlines_in_values=True is much slower; without it pyarrow raises ("out of sync
    # with chunker") when a quoted line break falls on a block boundary, and we retry.
    arr = np.frombuffer(data, dtype=np.uint8, offset=off)
    with ThreadPoolExecutor(max_workers=1) as pool:  # the C scan overlaps pyarrow's parse
        scan = pool.submit(_scan_bytes, arr, layout.delimiter)
        parsed = _parse_with_retries(parse, has_quote)
        nl, edge_ws = scan.result()
    if parsed is None:
        return None
    table, quoted_newlines = parsed
    total = table.num_rows + len(invalid)
    n_lines = nl.size + (1 if n_body and data[-1:] != b"\n" else 0)
    skipped: list[int] = []
    quoted_breaks = False
    if total == n_lines:
        row_starts = first_line + np.arange(total, dtype=np.int64)
    else:
        if has_quote:
            keep = _even_quote_parity(arr, nl)
            quoted_breaks = not keep.all()
            idx = np.flatnonzero(keep)
        else:
            idx = np.arange(nl.size)
        pos = np.concatenate(([0], nl[idx] + 1))
        lines = np.concatenate(([0], idx + 1)).astype(np.int64) + first_line
        inside = pos < n_body
        pos, lines = pos[inside], lines[inside]
        first = arr[pos]
        second = np.where(pos + 1 < n_body, arr[np.minimum(pos + 1, n_body - 1)], 10)
        blank = (first == 10) | ((first == 13) & (second == 10))
        skipped = lines[blank].tolist()
        row_starts = lines[~blank]
        if row_starts.size != total:
            logger.debug("pyarrow rows (%d) and line count (%d) disagree; using the csv module",
                         total, row_starts.size)
            return None
    if quoted_breaks and not quoted_newlines:
        # parsed correctly within blocks; re-read in the mode that guarantees it
        try:
            table = parse(True)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        if table.num_rows + len(invalid) != total:
            return None
    bad: list[tuple[int, int]] = []
    drop = np.zeros(total, dtype=bool)
    for number, n_fields, blank_row in invalid:
        if number is None or not 1 <= number <= total:
            return None
        drop[number - 1] = True
        line = int(row_starts[number - 1])
        if blank_row:
            skipped.append(line)
        else:
            bad.append((line, n_fields))
    row_lines = row_starts[~drop] if invalid else row_starts
    needs_trim = (not is_ascii) or quoted_breaks or edge_ws
    return _Parsed(list(table.columns), row_lines, bad, sorted(skipped), needs_trim,
                   "read with the fast parser (pyarrow)")


def _parse_with_retries(parse: Callable[[bool], pa.Table], has_quote: bool
                        ) -> tuple[pa.Table, bool] | None:
    """Parse without, then (if quotes may hide line breaks) with quoted newlines.

    Returns the table and whether quoted newlines were allowed, or None if pyarrow
    cannot parse the file (the caller then uses the csv module)."""
    try:
        try:
            return parse(False), False
        except pa.ArrowInvalid:
            if not has_quote:
                raise
            return parse(True), True
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        logger.debug("pyarrow could not parse the file (%s); using the csv module",
                     type(exc).__name__)
        return None


def _even_quote_parity(arr: np.ndarray, nl: np.ndarray) -> np.ndarray:
    """For each newline position: True if an even number of quotes precedes it (a row end)."""
    out = np.empty(nl.size, dtype=bool)
    chunk = 1 << 23
    carry = 0
    done = 0
    for start in range(0, arr.size, chunk):
        part = arr[start:start + chunk]
        par = np.cumsum(part == 34, dtype=np.uint8)
        hi = int(np.searchsorted(nl, start + part.size))
        sel = nl[done:hi] - start
        out[done:hi] = ((par[sel] + carry) & 1) == 0
        carry = (carry + int(par[-1])) & 1
        done = hi
    return out


def _parse_python(data: bytes, layout: _Layout, first_line: int, fname: str) -> _Parsed:
    """Exact line tracking with the csv module (slower; used when pyarrow cannot be trusted)."""
    text = data[layout.body_offset:].decode("utf-8")
    width, d = layout.width, layout.delimiter
    reader = csv.reader(io.StringIO(text, newline="\n"), delimiter=d, quotechar='"',
                        doublequote=True, strict=False)
    cols: list[list[str | None]] = [[] for _ in range(width)]
    lines: list[int] = []
    bad: list[tuple[int, int]] = []
    skipped: list[int] = []
    prev = 0
    try:
        for rec in reader:
            line, prev = first_line + prev, reader.line_num
            if not any(c.strip() for c in rec):
                skipped.append(line)
                continue
            if len(rec) != width:
                bad.append((line, len(rec)))
                continue
            lines.append(line)
            for j, v in enumerate(rec):
                cols[j].append(v if v != "" else None)
    except csv.Error as exc:
        raise UnreadableFileError(
            f"cannot split the file into rows near line {first_line + reader.line_num - 1} "
            f"({exc})", file=fname,
            fix="open the file in a spreadsheet program and save it again as CSV UTF-8"
        ) from None
    arrays = [pa.array(c, type=pa.large_string()) for c in cols]
    return _Parsed(arrays, np.asarray(lines, dtype=np.int64), bad, skipped, True,
                   "read with the exact line-by-line parser (Python csv), because the file "
                   "has quotes or line breaks the fast parser cannot number reliably")


def _lines(numbers: Sequence[int], unit: str, limit: int = 6) -> str:
    nums = list(numbers)
    if len(nums) > 1 and nums == list(range(nums[0], nums[0] + len(nums))):
        return f"{unit}s {nums[0]}-{nums[-1]}"
    shown = ", ".join(map(str, nums[:limit]))
    more = f", … ({len(nums)} in all)" if len(nums) > limit else ""
    return f"{unit}{'s' * (len(nums) != 1)} {shown}{more}"


# --------------------------------------------------------------------------- shared finish


def _trim_column(col: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Strip surrounding whitespace; cells left empty become null."""
    col = pc.utf8_trim_whitespace(col)
    empty = pc.equal(pc.binary_length(col), 0)
    if pc.any(empty).as_py():
        col = pc.if_else(empty, pa.scalar(None, pa.large_string()), col)
    return col


def _finish(
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
    last = max([int(row_lines[-1]) if n_rows else 0, *(b[0] for b in bad_rows)])
    skipped = [s for s in skipped if s < last]  # empty lines at the end are not noted
    if skipped:
        notes.append(f"skipped {len(skipped)} empty {unit}{'s' * (len(skipped) != 1)} "
                     f"({_lines(skipped, unit)})")
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
                     f"the header's columns ({_lines([b[0] for b in bad_rows], unit)}); they are "
                     "quarantined with the reason")
    column_map = {nm: header_cells[j] for nm, j in zip(final_names, keep_cols, strict=True)}
    original = tuple(header_cells)
    logger.info("read %s: %d rows, %d bad rows, %d columns (%s)", p.name, n_rows,
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
        column_map=column_map,
        notes=tuple(notes),
        parser=parser,
    )


# --------------------------------------------------------------------------- Excel


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


def _no_instrument_header(inst: Instrument, fname: str, what: str) -> UnreadableFileError:
    """The error for a file or sheet none of whose first rows names an instrument field."""
    return UnreadableFileError(
        f"no header row found: none of the first {HEADER_SEARCH_ROWS} rows holds a "
        f"column name of instrument {inst.id!r}", file=fname,
        fix=(f"check that the {what} answers this questionnaire and has a header row "
             f"with the column names ({', '.join(inst.field_names[:4])}, …)"))


def _other_sheets(sheets: list, ws) -> str:
    """Hint for a header not found on the first sheet of a workbook with several."""
    others = [s.title for s in sheets if s is not ws]
    if not others:
        return ""
    return (f"; this was sheet {ws.title!r} — the workbook also has "
            + ", ".join(repr(t) for t in others[:8])
            + " (choose one with --sheet NAME)")


def _read_excel(p: Path, fname: str, resolver: _ColumnResolver, sheet: str | int | None,
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
            return _read_excel(p, fname, resolver, int(sheet), notes, content)  # position 2
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


def _excel_table(rows: Iterable[tuple], p: Path, fname: str, resolver: _ColumnResolver,
                 notes: list[str], letter: Callable[[int], str]) -> RawTable:
    it = iter(rows)
    buffered: list[tuple[int, tuple]] = []  # (Excel row number, raw values)
    head: list[_Record] = []
    for num, values in enumerate(it, start=1):
        buffered.append((num, values))
        cells = [_cell_text(v) or "" for v in values]
        if any(c.strip() for c in cells):
            head.append(_Record(num, num, cells))
            if len(head) > HEADER_SEARCH_ROWS:
                break
    if not head:
        raise UnreadableFileError("the worksheet is empty", file=fname,
                                  fix="export the survey data again; nothing was read")
    idx, _ = _find_header(head, resolver)
    if idx is None:
        if resolver.instrument is not None and any(r.filled >= 2 for r in head):
            raise _no_instrument_header(resolver.instrument, fname, "sheet")
        raise UnreadableFileError(
            f"no header row found: none of the first {HEADER_SEARCH_ROWS} rows has at least "
            "two filled cells", file=fname,
            fix="put the column names in one row above the data and save again")
    hdr = head[idx]
    if idx:
        rows_above = [r.start for r in head[:idx]]
        notes.append(f"skipped {idx} title row{'s' * (idx != 1)} above the header "
                     f"({_lines(rows_above, 'row')})")
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
            f"column {_mask(nm)!r} ({labels[j]}): {n} cell{'s' * (n != 1)} "
            f"hold{'s' * (n == 1)} numbers of 16 or more digits that Excel stored as floating "
            "point, so digits after the 15th were lost; they are given in scientific notation "
            "(like 1.23456789012345e+17). Format the column as Text in Excel and type the "
            "values again")
    columns = [pa.array([t[j] if j < len(t) else None for t in data_rows],
                        type=pa.large_string()) for j in range(width)]
    return _finish(columns, np.asarray(row_lines, dtype=np.int64), [], skipped, False,
                   cells, names, labels, p, fname, fmt="kobo-xlsx" if kobo else "xlsx",
                   encoding=None, delimiter=None, header_row=hdr.start, notes=notes,
                   unit="row")
