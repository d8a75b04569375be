"""Reading delimited text files (CSV in the encodings and dialects agency staff produce).

Encodings (UTF-8 with or without byte-order mark, UTF-16, Windows-1252), the delimiter, the
header row below any title rows, and physical line numbers for every row, also across blank
lines and quoted line breaks; rows with the wrong number of fields are kept as bad rows.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ..errors import UnreadableFileError
from .columns import (
    HEADER_SEARCH_ROWS,
    ColumnResolver,
    HeaderRow,
    find_header,
    no_instrument_header,
)
from .table import RawTable, describe_lines, finish_table

log = logging.getLogger(__name__)


_DELIMITERS = (",", ";", "\t")


_OTHER_SEPARATORS = ("|", "^", "~", ":", "#")


_DELIM_NAMES = {",": "comma (,)", ";": "semicolon (;)", "\t": "tab", "|": "vertical bar (|)",
                "^": "caret (^)", "~": "tilde (~)", ":": "colon (:)", "#": "hash (#)"}


_SAMPLE_LINES = 200


_SAMPLE_BYTES = 1 << 20


_BLOCK_SIZE = 1 << 20  # pyarrow's block size (tests lower it to stress block boundaries)


@dataclass(slots=True)
class _Layout:
    delimiter: str
    header: HeaderRow
    width: int
    body_offset: int  # byte offset of the line after the header
    title_rows: list[int]


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


def _sample_records(text: str, delimiter: str, first_line: int) -> list[HeaderRow]:
    reader = csv.reader(io.StringIO(text, newline="\n"), delimiter=delimiter, quotechar='"',
                        doublequote=True, strict=False)
    out: list[HeaderRow] = []
    prev = 0
    try:
        for rec in reader:
            start, prev = prev + 1, reader.line_num
            if any(c.strip() for c in rec):
                out.append(HeaderRow(first_line + start - 1, first_line + prev - 1, rec))
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


def _sniff(data: bytes, fname: str, resolver: ColumnResolver) -> _Layout:
    cut = _nth_line_offset(data[:_SAMPLE_BYTES], _SAMPLE_LINES)
    whole = cut >= len(data)
    sample = data[:cut].decode("utf-8", errors="replace")
    best: tuple | None = None
    for d in _DELIMITERS:
        recs = _sample_records(sample, d, 1)
        if len(recs) > 1 and not whole:
            recs = recs[:-1]  # the last record may be cut off by the sample
        idx, score = find_header(recs, resolver)
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
            raise no_instrument_header(resolver.instrument, fname, "file")
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


def read_text(p: Path, fname: str, resolver: ColumnResolver, content: bytes | None = None
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
                     f"({describe_lines(layout.title_rows, 'line')})")
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
    log.debug("%s: %s", fname, parsed.parser)
    return finish_table(parsed.columns, parsed.row_lines, bad_rows, parsed.skipped,
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
            log.debug("pyarrow rows (%d) and line count (%d) disagree; using the csv module",
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
        log.debug("pyarrow could not parse the file (%s); using the csv module",
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
