"""Write wave frames in the file formats ingestion accepts, byte-reproducibly.

Formats (see ``docs/simulated_world.md``):

``csv``
    Plain CSV with field names as headers: UTF-8 with ``,``; UTF-8 with a BOM; or the
    Excel-on-Windows style — cp1252, ``;``, decimal comma (``72,5``), dates
    ``DD/MM/YYYY`` and CRLF line ends.
``xlsx``
    One sheet, optionally with a title row above the header; codes and numbers as
    number cells, NIPs as text cells (format ``@``), dates as text.
``kobo-csv`` / ``kobo-xlsx``
    A KoboToolbox-style export: ``;``-separated CSV (or XLSX) whose headers are group
    paths (``profile/nip``); a ``select_multiple`` column with space-separated values
    plus one 0/1 column per option (``dialogue/dlg_formats/daring``); then the
    metadata columns ``_id``, ``_uuid``, ``_submission_time`` and ``_index``. Answers
    are codes or Indonesian labels.

XLSX workbooks are written directly as minimal SpreadsheetML (one sheet, inline strings,
as openpyxl's write-only mode does) and are byte-reproducible: the document properties
and zip entry times are set from the seed, never from the clock.

Examples
--------
>>> from asn_research.simulate.writers import FileFormat
>>> FileFormat("csv", encoding="cp1252").delimiter
';'
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ..instruments import Instrument
from ..waves.columns import SYNTHETIC_COLUMN
from .mess import MessResult, inject_mess
from .world import component_rng

__all__ = ["FileFormat", "WaveFileSink", "render_cells"]

_FORMAT_KINDS = ("csv", "xlsx", "kobo-csv", "kobo-xlsx")


@dataclass(frozen=True, slots=True)
class FileFormat:
    """How one wave file is written.

    Attributes
    ----------
    kind : {"csv", "xlsx", "kobo-csv", "kobo-xlsx"}
    encoding : {"utf-8", "utf-8-sig", "cp1252"}
        Text encoding of CSV files (cp1252 implies ``;``, decimal comma, DD/MM/YYYY
        dates and CRLF).
    answers : {"codes", "labels"}
        Answer codes or Indonesian labels in select fields.
    title_row : bool
        XLSX only: a title line above the header row.
    date_style : {"iso", "dmy"} or None
        Date text; default ISO, except cp1252 CSV and plain XLSX (DD/MM/YYYY).
    """

    kind: str
    encoding: str = "utf-8"
    answers: str = "codes"
    title_row: bool = False
    date_style: str | None = None

    @property
    def is_kobo(self) -> bool:
        """A KoboToolbox-style export."""
        return self.kind.startswith("kobo")

    @property
    def is_xlsx(self) -> bool:
        """An XLSX workbook."""
        return self.kind.endswith("xlsx")

    @property
    def delimiter(self) -> str:
        """Field separator of a CSV file."""
        return ";" if (self.encoding == "cp1252" or self.is_kobo) else ","

    @property
    def decimal(self) -> str:
        """Decimal mark of numbers written as text."""
        return "," if (self.encoding == "cp1252" and not self.is_xlsx) else "."

    @property
    def dates(self) -> str:
        """``"iso"`` or ``"dmy"``."""
        if self.date_style:
            return self.date_style
        if self.is_kobo:
            return "iso"
        return "dmy" if (self.encoding == "cp1252" or self.is_xlsx) else "iso"

    @property
    def line_terminator(self) -> str:
        """CRLF for the Excel-on-Windows style, LF otherwise."""
        return "\r\n" if self.encoding == "cp1252" else "\n"

    @property
    def extension(self) -> str:
        """File name ending."""
        return ".xlsx" if self.is_xlsx else ".csv"

    def describe(self) -> dict[str, Any]:
        """Manifest fields describing the format."""
        d: dict[str, Any] = {
            "format": self.kind,
            "answers": self.answers,
            "date_format": "YYYY-MM-DD" if self.dates == "iso" else "DD/MM/YYYY",
            "header_row": 2 if self.title_row else 1,
        }
        if not self.is_xlsx:
            d.update(encoding=self.encoding, delimiter=self.delimiter, decimal=self.decimal)
        return d


# ----------------------------------------------------------------------------- rendering
def _blank(values: pd.Series) -> np.ndarray:
    return values.isna().to_numpy()


def render_cells(frame: pd.DataFrame, instrument: Instrument, fmt: FileFormat
                 ) -> dict[str, np.ndarray]:
    """Render a clean wave frame to text cells, one object array per instrument field.

    Parameters
    ----------
    frame : pandas.DataFrame
        One column per instrument field (codes; NA where not answered).
    instrument : Instrument
    fmt : FileFormat

    Returns
    -------
    dict of str to numpy.ndarray
        Field → text cells (``""`` where blank).
    """
    out: dict[str, np.ndarray] = {}
    for f in instrument.fields:
        s = frame[f.name]
        blank = _blank(s)
        if f.type == "date":
            d = s.to_numpy().astype("datetime64[D]")
            iso = np.datetime_as_string(d)
            if fmt.dates == "dmy":
                iso = np.strings.add(
                    np.strings.add(np.strings.slice(iso, 8, 10), "/"),
                    np.strings.add(np.strings.add(np.strings.slice(iso, 5, 7), "/"),
                                   np.strings.slice(iso, 0, 4)),
                )
            txt = iso.astype(object)
        elif f.type == "decimal":
            v = s.to_numpy(dtype=float, na_value=np.nan)
            whole = np.isclose(v, np.round(v))
            txt = np.where(
                whole, np.char.mod("%d", np.nan_to_num(np.round(v)).astype(np.int64)),
                np.char.mod("%.1f", np.nan_to_num(v)),
            ).astype(object)
            if fmt.decimal == ",":
                txt = np.strings.replace(txt.astype(str), ".", ",").astype(object)
        elif f.type == "integer" or (
            f.type == "select_one" and instrument.choices_of(f.name).ordinal
        ):
            v = s.to_numpy(dtype=float, na_value=np.nan)
            txt = np.char.mod("%d", np.nan_to_num(v).astype(np.int64)).astype(object)
        else:
            txt = s.astype(object).where(~blank, "").to_numpy(dtype=object)
            txt = np.asarray([str(x) for x in txt], dtype=object) if txt.dtype != object else txt
        if f.type == "select_one" and fmt.answers == "labels":
            cl = instrument.choices_of(f.name)
            mapping = {str(c.value): c.label_id for c in cl.choices}
            txt = np.asarray(pd.Series(txt, dtype=object).map(mapping).fillna("").to_numpy(),
                             dtype=object)
        txt = np.where(blank, "", txt).astype(object)
        out[f.name] = txt
    return out


# ----------------------------------------------------------------------------- layout
def _kobo_uuids(rng: np.random.Generator, n: int) -> np.ndarray:
    raw = np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexs = [r.tobytes().hex() for r in raw]
    return np.asarray(
        [f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}" for h in hexs], dtype=object
    )


def _layout(
    mess: MessResult,
    instrument: Instrument,
    fmt: FileFormat,
    *,
    dates: np.ndarray,
    rng: np.random.Generator,
    first_index: int,
    id_base: int,
) -> tuple[list[str], list[np.ndarray]]:
    """Headers and columns of the file (Kobo paths, option and metadata columns)."""
    cells = mess.cells
    # every row carries the marker column, so the data stay marked synthetic even when a
    # file is copied away from its manifest.json (ingest reads it; it is never stored)
    marker = np.full(mess.order.size, "1", dtype=object)
    if not fmt.is_kobo:
        names = list(instrument.field_names)
        return [*names, SYNTHETIC_COLUMN], [*(cells[c] for c in names), marker]
    headers: list[str] = []
    cols: list[np.ndarray] = []
    for f in instrument.fields:
        path = f"{f.group}/{f.name}" if f.group else f.name
        headers.append(path)
        cols.append(cells[f.name])
        if f.type == "select_multiple":
            s = pd.Series(cells[f.name], dtype=object)
            blank = (s == "").to_numpy()
            for c in instrument.choices_of(f.name).choices:
                has = s.str.contains(rf"(?:^|\s){c.value}(?:\s|$)", regex=True).to_numpy(bool)
                headers.append(f"{path}/{c.value}")
                cols.append(np.where(blank, "", np.where(has, "1", "0")).astype(object))
    n_src = int(mess.order.max()) + 1 if mess.order.size else 0
    uuid_src = _kobo_uuids(rng, n_src)
    secs = rng.integers(7 * 3600 + 1800, 17 * 3600, n_src)
    ts = (np.asarray(dates, "datetime64[D]").astype("datetime64[s]")
          + secs.astype("timedelta64[s]"))
    sub_src = np.datetime_as_string(ts).astype(object)
    n = mess.order.size
    headers += ["_id", "_uuid", "_submission_time", "_index", SYNTHETIC_COLUMN]
    cols += [
        np.char.mod("%d", np.arange(id_base + first_index, id_base + first_index + n)
                    ).astype(object),
        uuid_src[mess.order],
        sub_src[mess.order],
        np.char.mod("%d", np.arange(first_index + 1, first_index + n + 1)).astype(object),
        marker,
    ]
    return headers, cols


# ----------------------------------------------------------------------------- serializers
def _csv_bytes(headers: list[str], cols: list[np.ndarray], fmt: FileFormat,
               *, header: bool) -> bytes:
    text = io.StringIO()
    w = csv.writer(text, delimiter=fmt.delimiter, lineterminator=fmt.line_terminator)
    if header:
        w.writerow(headers)
    head = text.getvalue().encode("utf-8")
    body: bytes
    try:
        table = pa.table({f"c{i}": pa.array(c, type=pa.string()) for i, c in enumerate(cols)})
        buf = io.BytesIO()
        pacsv.write_csv(table, buf, pacsv.WriteOptions(
            include_header=False, delimiter=fmt.delimiter, quoting_style="none"))
        body = buf.getvalue()
        if fmt.line_terminator != "\n":
            body = body.replace(b"\n", fmt.line_terminator.encode())
    except pa.ArrowInvalid:  # a value holds the delimiter or a quote: let csv quote it
        text = io.StringIO()
        w = csv.writer(text, delimiter=fmt.delimiter, lineterminator=fmt.line_terminator)
        w.writerows(zip(*cols, strict=True))
        body = text.getvalue().encode("utf-8")
    data = head + body
    if fmt.encoding == "cp1252":
        data = data.decode("utf-8").encode("cp1252")
    return data


_NUM_RE = r"^-?\d+(?:\.\d+)?$"


_XLSX_STATIC = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '<Override PartName="/docProps/app.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
        'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
        '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/extended-properties" Target="docProps/app.xml"/></Relationships>'
    ),
    "docProps/app.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        'extended-properties"><Application>asn-research simulate</Application></Properties>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="data" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/styles" Target="styles.xml"/></Relationships>'
    ),
    # Style 0: General; style 1: Text ("@", numFmtId 49) for NIP cells.
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
        '</fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill>'
        '<patternFill patternType="gray125"/></fill></fills><borders count="1"><border>'
        '<left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        '</cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" '
        'borderId="0" xfId="0"/><xf numFmtId="49" fontId="0" fillId="0" borderId="0" '
        'xfId="0" applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle '
        'name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
    ),
}


def _col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _esc(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=str)
    for old, new in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        a = np.strings.replace(a, old, new)
    return a


def _xlsx_bytes(
    headers: list[str],
    cols: list[np.ndarray],
    numeric: list[bool],
    nip_col: int | None,
    numeric_nip_rows: np.ndarray,
    fmt: FileFormat,
    *,
    title: str,
    stamp: dt.datetime,
) -> bytes:
    """A minimal SpreadsheetML workbook (one sheet, inline strings), built with numpy.

    Numbers (codes, integers, decimals) are number cells; other text, dates and NIPs
    are text cells (NIPs styled "@", except deliberately damaged ones, which are
    numbers). The zip is byte-reproducible: fixed entry order and times.
    """
    n = len(cols[0]) if cols else 0
    first = 2 if fmt.title_row else 1
    rownum = np.arange(first + 1, first + 1 + n).astype(str)
    cells = []
    for j, (c, is_num) in enumerate(zip(cols, numeric, strict=True)):
        vals = np.asarray(c, dtype=str) if n else np.empty(0, str)
        ref = np.strings.add(_col_letter(j), rownum)
        empty = vals == ""
        num = np.zeros(n, bool)
        if is_num and n:
            num = pd.Series(vals, dtype=object).str.match(_NUM_RE).to_numpy(bool)
        if j == nip_col and n:
            num = np.zeros(n, bool)
            num[np.asarray(numeric_nip_rows, np.int64)] = True
        space = np.strings.startswith(vals, " ") | np.strings.endswith(vals, " ")
        style = ' s="1"' if j == nip_col else ""
        text_open = np.where(space, '<t xml:space="preserve">', "<t>")
        txt = np.strings.add(
            np.strings.add(np.strings.add(np.strings.add('<c r="', ref), f'"{style} '
                                          't="inlineStr"><is>'), text_open),
            np.strings.add(_esc(vals), "</t></is></c>"))
        nums = np.strings.add(np.strings.add(np.strings.add('<c r="', ref), '"><v>'),
                              np.strings.add(vals, "</v></c>"))
        cells.append(np.where(empty, "", np.where(num, nums, txt)))
    body = io.StringIO()
    body.write('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
    last = f"{_col_letter(max(len(headers), 1) - 1)}{first + n}"
    body.write(f'<dimension ref="A1:{last}"/><sheetData>')
    if fmt.title_row:
        body.write(f'<row r="1"><c r="A1" t="inlineStr"><is><t>{_esc([title])[0]}</t></is>'
                   "</c></row>")
    body.write(f'<row r="{first}">')
    for j, h in enumerate(headers):
        body.write(f'<c r="{_col_letter(j)}{first}" t="inlineStr"><is><t>{_esc([h])[0]}'
                   "</t></is></c>")
    body.write("</row>")
    if n:
        rows = cells[0]
        for c in cells[1:]:
            rows = np.strings.add(rows, c)
        opens = np.strings.add(np.strings.add('<row r="', rownum), '">')
        body.write("".join(np.strings.add(np.strings.add(opens, rows), "</row>").tolist()))
    body.write("</sheetData></worksheet>")
    when = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    core = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<dc:creator>asn-research simulate (synthetic data)</dc:creator>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{when}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{when}</dcterms:modified>'
        "</cp:coreProperties>"
    )
    parts = {**_XLSX_STATIC, "docProps/core.xml": core,
             "xl/worksheets/sheet1.xml": body.getvalue()}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name in ("[Content_Types].xml", "_rels/.rels", "docProps/app.xml",
                     "docProps/core.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                     "xl/styles.xml", "xl/worksheets/sheet1.xml"):
            zi = zipfile.ZipInfo(name, date_time=stamp.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            z.writestr(zi, parts[name].encode("utf-8"))
    return out.getvalue()


# ----------------------------------------------------------------------------- sink
@dataclass
class WaveFileSink:
    """Accumulates the chunks of one wave file, injects mess, writes and hashes it.

    CSV files are appended chunk by chunk (memory stays bounded); XLSX files are
    written at :meth:`close`.

    Attributes
    ----------
    root : pathlib.Path
        The output folder.
    relpath : str
        The file's path relative to ``root`` (forward slashes).
    instrument : Instrument
    wave : str
    fmt : FileFormat
    seed : int
    messy_fraction : float
    title : str
        XLSX title-row text.
    """

    root: Path
    relpath: str
    instrument: Instrument
    wave: str
    fmt: FileFormat
    seed: int
    messy_fraction: float
    title: str = ""
    rows: int = 0
    quarantine: dict[str, int] = field(default_factory=dict)
    accepted: dict[str, int] = field(default_factory=dict)
    details: list[dict] = field(default_factory=list)
    _hash: Any = field(default_factory=hashlib.sha256)
    _xlsx_parts: list[tuple[list[str], list[np.ndarray], np.ndarray]] = field(
        default_factory=list)
    _opened: bool = False
    _chunks: int = 0

    @property
    def path(self) -> Path:
        """Absolute path of the file."""
        return self.root / self.relpath

    def write(self, frame: pd.DataFrame) -> None:
        """Render, mess up and write (or buffer) one chunk of the wave."""
        chunk = self._chunks
        self._chunks += 1
        rng = component_rng(self.seed, "mess." + self.relpath, chunk)
        cells = render_cells(frame, self.instrument, self.fmt)
        dup_ok = self.instrument.respondent_id is not None or self.fmt.is_kobo
        mess = inject_mess(cells, self.instrument, rng, self.messy_fraction,
                           duplicates=dup_ok, xlsx=self.fmt.is_xlsx,
                           labels=self.fmt.answers == "labels")
        date_field = self.instrument.date_field or "survey_date"
        headers, cols = _layout(
            mess, self.instrument, self.fmt,
            dates=frame[date_field].to_numpy().astype("datetime64[D]"),
            rng=component_rng(self.seed, "kobo." + self.relpath, chunk),
            first_index=self.rows, id_base=100_000_000 + 1000 * (self.seed % 100_000),
        )
        for k, v in mess.quarantine.items():
            self.quarantine[k] = self.quarantine.get(k, 0) + v
        for k, v in mess.accepted.items():
            self.accepted[k] = self.accepted.get(k, 0) + v
        for d in mess.details:
            self.details.append({**d, "row": d["row"] + self.rows + 1})
        n_out = mess.order.size
        if self.fmt.is_xlsx:
            self._xlsx_parts.append((headers, cols, mess.numeric_nip_rows + self.rows))
        else:
            data = _csv_bytes(headers, cols, self.fmt, header=not self._opened)
            if not self._opened:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                if self.fmt.encoding == "utf-8-sig":
                    data = b"\xef\xbb\xbf" + data
                mode = "wb"
                self._opened = True
            else:
                mode = "ab"
            with open(self.path, mode) as fh:
                fh.write(data)
            self._hash.update(data)
        self.rows += n_out

    def close(self, stamp: dt.datetime) -> dict[str, Any]:
        """Finish the file; return its manifest entry (without ``file`` ordering)."""
        if self.fmt.is_xlsx:
            headers = self._xlsx_parts[0][0] if self._xlsx_parts else []
            cols = [np.concatenate([p[1][i] for p in self._xlsx_parts])
                    for i in range(len(headers))]
            nrows = np.concatenate([p[2] for p in self._xlsx_parts]) if self._xlsx_parts \
                else np.empty(0, np.int64)
            numeric = self._numeric_columns(headers)
            nip_col = self._nip_column(headers)
            data = _xlsx_bytes(headers, cols, numeric, nip_col, nrows, self.fmt,
                               title=self.title, stamp=stamp)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_bytes(data)
            self._hash.update(data)
            self._xlsx_parts.clear()
        elif not self._opened:  # an empty wave still gets a header
            data = _csv_bytes(list(self.instrument.field_names),
                              [np.empty(0, object)] * len(self.instrument.field_names),
                              self.fmt, header=True)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_bytes(data)
            self._hash.update(data)
        entry = {
            "file": self.relpath,
            "instrument": self.instrument.id,
            "instrument_version": self.instrument.version,
            "wave": self.wave,
            "synthetic": True,
            "sha256": self._hash.hexdigest(),
            "rows": int(self.rows),
            "expected_quarantined": int(sum(self.quarantine.values())),
            "mess": {"quarantine": dict(sorted(self.quarantine.items())),
                     "accepted": dict(sorted(self.accepted.items()))},
        }
        entry.update(self.fmt.describe())
        return entry

    def _numeric_columns(self, headers: list[str]) -> list[bool]:
        kinds = {}
        for f in self.instrument.fields:
            num = f.type in ("integer", "decimal") or (
                f.type == "select_one" and self.instrument.choices_of(f.name).ordinal)
            kinds[f.name] = num and self.fmt.answers == "codes" or f.type in (
                "integer", "decimal")
        out = []
        for h in headers:
            name = h.split("/")[1] if self.fmt.is_kobo and "/" in h else h
            if self.fmt.is_kobo and h.count("/") == 2:
                out.append(True)  # select_multiple option column (0/1)
            elif h in ("_id", "_index"):
                out.append(True)
            else:
                out.append(kinds.get(name, False))
        return out

    def _nip_column(self, headers: list[str]) -> int | None:
        for f in self.instrument.fields:
            if f.type == "nip":
                key = f"{f.group}/{f.name}" if (self.fmt.is_kobo and f.group) else f.name
                return headers.index(key) if key in headers else None
        return None
