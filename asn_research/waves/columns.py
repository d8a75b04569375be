"""Column mapping, in one place: header cells to instrument fields, and fields to roles.

Two steps, both here: while a file is read, each header cell is matched to a field name of
the instrument (the field name, its Indonesian or English question text, a numbered or
slightly reworded question, a KoboToolbox group path, or an entry of a column-map file);
then the names are sorted into instrument fields, ``select_multiple`` option columns,
KoboToolbox/ODK metadata and ignored columns. :data:`KOBO_META` is the one list of
metadata columns.
"""

from __future__ import annotations

import difflib
import logging
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, UnreadableFileError
from ..instruments import Instrument

log = logging.getLogger(__name__)


#: The header is looked for among this many non-empty rows at the top of a file.
HEADER_SEARCH_ROWS = 20


#: Columns that mark a KoboToolbox export (kept under their own names).
_KOBO_MARKERS = frozenset({"_uuid", "_submission_time", "_index", "_id"})


_KOBO_META_PATHS = frozenset({"meta/instanceid", "meta/instancename", "meta/rootuuid",
                              "meta/deprecatedid", "formhub/uuid"})


_NAME_PATH = re.compile(r"[^\s/]+(?:/[^\s/]+)+")  # group/field, no spaces


_LONG_NUMBER = re.compile(r"\d[\d .,\-]{6,}\d")  # masks identifier-like numbers in messages


_ID_LIKE_CELL = re.compile(r"[0-9][0-9 .]{13,}[0-9]|[0-9][.,][0-9]+[eE]\+?1[5-9]")

#: Question numbering in front of a header ("1.", "2)", "Q3.", "U4 -", "(5)", "IV.", "b.").
_NUMBERING = re.compile(
    r"^\s*(?:\(?(?:[A-Za-z]{0,3}\s?\d{1,3}[a-z]?|[IVXivx]{1,5}|[A-Ha-h])\)\s*|"
    r"(?:[A-Za-z]{0,3}\s?\d{1,3}[a-z]?|[IVXivx]{1,5}|[A-Ha-h])\s*[.):\-–—]\s+|"
    r"(?:[A-Za-z]{1,3}\d{1,3}|\d{1,3})\s+(?=\S))")
#: A Google Forms grid column: "Question title [row text]".
_GRID = re.compile(r"^(.*?)\s*\[([^\[\]]+)\]\s*$")
#: Google Forms' response-time column, in its English and Indonesian exports.
TIMESTAMP_HEADERS = frozenset({"timestamp", "tanda waktu", "stempel waktu", "cap waktu"})
#: A reworded question header is matched to a field only this similar to its question text
#: (difflib ratio of the normalized texts), and only this much better than any other field.
FUZZY_MIN_RATIO = 0.82
FUZZY_MIN_MARGIN = 0.08
_FUZZY_MIN_WORDS = 4
#: A column-map entry with this target drops the column.
IGNORE = "ignore"


def header_key(text: str) -> str:
    """Case- and whitespace-insensitive matching key."""
    return " ".join(text.split()).casefold()


def _plain_words(text: str) -> str:
    """Casefolded words without punctuation, for comparing reworded question texts."""
    return " ".join(re.findall(r"[^\W_]+", text.casefold()))


def _strip_decoration(cell: str) -> str:
    """A header without question numbering in front and required-marks (*) or ':' behind."""
    text = _NUMBERING.sub("", cell, count=1)
    return re.sub(r"[\s*:]+$", "", text).strip()


def mask(text: str, limit: int = 60) -> str:
    """Make header text safe for a message: hide long numbers, limit the length."""
    out = _LONG_NUMBER.sub("<number>", text)
    return out if len(out) <= limit else out[: limit - 1] + "…"


def _looks_like_identifier(cell: str) -> bool:
    """Tell whether a cell holds a long number (an NIP/NIK, also in scientific notation)."""
    return bool(_ID_LIKE_CELL.search(cell))


class ColumnResolver:
    """Maps header cells to column names, using an instrument when there is one.

    Parameters
    ----------
    instrument : Instrument or None
        The questionnaire; without one, headers are kept as they are.
    column_map : mapping of str to str, optional
        Header text (matched ignoring case and spaces) → field name, ``field/option`` of a
        ``select_multiple`` field, or ``"ignore"``. It wins over every other rule.
    """

    def __init__(self, instrument: Instrument | None,
                 column_map: Mapping[str, str] | None = None) -> None:
        self.instrument = instrument
        self.exact: dict[str, tuple[str, str]] = {}  # key -> (column name, "name"|"label")
        self.multi_fields: set[str] = set()
        self.group_keys: set[str] = set()
        self.mapped: dict[str, str] = {header_key(k): v for k, v in (column_map or {}).items()}
        self.questions: list[tuple[str, str]] = []  # (field, plain words of a question text)
        if instrument is None:
            return
        for f in instrument.fields:
            self.exact.setdefault(header_key(f.name), (f.name, "name"))
        for f in instrument.fields:
            for lab in (f.label_id, f.label_en, *f.aliases):
                self.exact.setdefault(header_key(lab), (f.name, "label"))
            for lab in (f.label_id, f.label_en):
                if len(lab.split()) >= _FUZZY_MIN_WORDS:
                    self.questions.append((f.name, _plain_words(lab)))
        for f in instrument.fields:
            if f.type != "select_multiple" or f.list_name is None:
                continue
            self.multi_fields.add(f.name)
            for c in instrument.choice_list(f.list_name).choices:
                target = f"{f.name}/{c.value}"
                self.exact.setdefault(header_key(target), (target, "name"))
                for fk in (f.name, f.label_id, f.label_en):
                    for ck in (str(c.value), c.label_id, c.label_en):
                        self.exact.setdefault(header_key(f"{fk}/{ck}"), (target, "label"))
        for g, (lid, len_) in instrument.groups.items():
            self.group_keys.update({header_key(g), header_key(lid), header_key(len_)})

    def match(self, cell: str) -> tuple[str, str, str] | None:
        """Return (name, how, prefix) for a cell matching the instrument, else None.

        ``how`` is ``"map"`` (column-map file), ``"name"``, ``"label"`` (question text or
        alias), ``"numbered"`` (after removing question numbering or a Google Forms grid
        title) or ``"reworded"`` (see :meth:`fuzzy`, used by :meth:`resolve` only).
        """
        key = header_key(cell)
        if key in self.mapped:
            target = self.mapped[key]
            return (f"{IGNORE}: {cell}" if target == IGNORE else target), "map", ""
        if not self.exact:
            return None
        hit = self.exact.get(key)
        if hit is not None:
            return hit[0], hit[1], ""
        start = cell.find("/")
        while start != -1:
            hit = self.exact.get(header_key(cell[start + 1:]))
            if hit is not None:
                return hit[0], hit[1], cell[:start]
            start = cell.find("/", start + 1)
        bare = _strip_decoration(cell)
        if bare and bare != cell.strip():
            hit = self.exact.get(header_key(bare))
            if hit is not None:
                return hit[0], "numbered", ""
        grid = _GRID.match(cell)
        if grid:
            for part in (grid[2], _strip_decoration(grid[2])):
                hit = self.exact.get(header_key(part))
                if hit is not None:
                    return hit[0], "numbered", ""
        return None

    def fuzzy(self, cell: str, taken: set[str]) -> tuple[str, float] | None:
        """The field whose question text a reworded header matches, if unambiguous.

        Only headers of at least four words are compared (question texts, not short
        column names), with :data:`FUZZY_MIN_RATIO` similarity and a margin of
        :data:`FUZZY_MIN_MARGIN` over any other field; fields in ``taken`` are skipped.
        """
        text = _plain_words(_strip_decoration(cell))
        if len(text.split()) < _FUZZY_MIN_WORDS or not self.questions:
            return None
        best: dict[str, float] = {}
        for name, q in self.questions:
            m = difflib.SequenceMatcher(None, text, q, autojunk=False)
            if m.real_quick_ratio() < FUZZY_MIN_RATIO - FUZZY_MIN_MARGIN:
                continue
            r = m.ratio()
            if r > best.get(name, 0.0):
                best[name] = r
        ranked = sorted(best.items(), key=lambda kv: -kv[1])
        if not ranked or ranked[0][1] < FUZZY_MIN_RATIO or ranked[0][0] in taken:
            return None
        if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < FUZZY_MIN_MARGIN:
            return None
        return ranked[0]

    def score(self, cells: Sequence[str], *, fuzzy: bool = False) -> int:
        """How many cells of a candidate header row are instrument or KoboToolbox columns
        (with ``fuzzy``, reworded question texts count too)."""
        n = 0
        for c in cells:
            c = c.strip()
            if c and (c.casefold() in _KOBO_MARKERS or self.match(c) is not None
                      or (fuzzy and self.fuzzy(c, set()) is not None)):
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
        n_label = n_case = n_path = n_map = n_numbered = 0
        unmatched: list[int] = []
        kobo_groups = False
        for s in stripped:
            if not s:
                names.append(None)
                continue
            if s.startswith("_") and header_key(s) not in self.mapped:
                names.append(s)
                continue
            hit = self.match(s)
            if hit is not None:
                name, how, prefix = hit
                n_map += how == "map"
                n_numbered += how == "numbered"
                if prefix:
                    n_path += 1
                    segs = [header_key(x) for x in prefix.split("/")]
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
                in_group = header_key(segs[0]) in self.group_keys | {"meta"}
                if kobo or in_group:
                    # group/…/field -> field; group/field/option -> field/option
                    parent = "/".join(segs[:-1])
                    multi = parent in present or segs[-2] in self.multi_fields
                    names.append(f"{segs[-2]}/{segs[-1]}" if multi else segs[-1])
                    n_path += 1
                    kobo_groups = kobo_groups or in_group
                    continue
            unmatched.append(len(names))
            names.append(s)
        kobo = kobo or kobo_groups
        notes = []
        if self.mapped:
            absent = [k for k in self.mapped if k not in {header_key(c) for c in stripped}]
            notes.append(f"column map: {n_map} header{'s' * (n_map != 1)} mapped"
                         + (f"; not in the file: {', '.join(repr(mask(a)) for a in absent[:6])}"
                            if absent else ""))
        if n_numbered:
            notes.append(f"{n_numbered} numbered question header{'s' * (n_numbered != 1)} "
                         "(e.g. '1. Bagaimana …' or a Google Forms grid 'Title [item]') were "
                         "matched to fields after removing the numbering")
        taken = {nm for nm in names if nm}
        reworded = []
        for i in unmatched:
            hit = self.fuzzy(stripped[i], taken)
            if hit is not None:
                names[i] = hit[0]
                taken.add(hit[0])
                reworded.append(f"{mask(stripped[i], 40)!r} -> {hit[0]} ({hit[1]:.2f})")
        if reworded:
            notes.append(f"{len(reworded)} reworded question header{'s' * (len(reworded) != 1)} "
                         "matched to the field whose question text is clearly the most similar: "
                         + "; ".join(reworded[:6]) + (" …" if len(reworded) > 6 else "")
                         + ". If one is wrong, map it with a column-map file (--columns)")
        date_field = self.instrument.date_field if self.instrument is not None else None
        for i, nm in enumerate(names):
            if nm is not None and header_key(nm) in TIMESTAMP_HEADERS:
                if date_field is not None and date_field not in taken:
                    names[i] = date_field
                    taken.add(date_field)
                    notes.append(f"the Google Forms column {stripped[i]!r} (when each response "
                                 f"was sent) was used as {date_field}, because the file has "
                                 "no date column")
                break
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
                    f"name {mask(nm)!r}", file=fname, row=header_row,
                    fix=("rename or delete one of them (names are matched ignoring case, "
                         "spaces and KoboToolbox group paths); nothing was read"))
            seen[nm] = i
        return names, kobo, notes


@dataclass(slots=True)
class HeaderRow:
    start: int  # 1-based first line / row
    end: int  # 1-based last line / row
    cells: list[str]

    @property
    def filled(self) -> int:
        return sum(1 for c in self.cells if c.strip())


def find_header(records: Sequence[HeaderRow], resolver: ColumnResolver) -> tuple[int | None, int]:
    """Index of the header among ``records`` (non-empty rows) and its instrument score."""
    cands = [i for i, r in enumerate(records[:HEADER_SEARCH_ROWS])
             if r.filled >= 2 and not any(_looks_like_identifier(c) for c in r.cells)]
    if not cands:
        return None, 0
    if resolver.instrument is not None:
        for fuzzy in (False, True):  # reworded question texts only if nothing else matches
            scores = [resolver.score(records[i].cells, fuzzy=fuzzy) for i in cands]
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


def no_instrument_header(inst: Instrument, fname: str, what: str) -> UnreadableFileError:
    """The error for a file or sheet none of whose first rows names an instrument field."""
    return UnreadableFileError(
        f"no header row found: none of the first {HEADER_SEARCH_ROWS} rows holds a "
        f"column name of instrument {inst.id!r}", file=fname,
        fix=(f"check that the {what} answers this questionnaire and has a header row "
             f"with the column names ({', '.join(inst.field_names[:4])}, …)"))


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


SUBMISSION_ID = "_uuid"


SUBMITTED_AT = "_submission_time"


@dataclass
class Columns:
    fields: dict[str, str]  # field name -> column in raw data
    multi_options: dict[str, dict[str, str]]  # select_multiple field -> {option value: column}
    meta: dict[str, str]
    ignored: list[str]

    def field_of(self, column: str) -> str | None:
        """The instrument field a data column belongs to (an option column: its field)."""
        for name, col in self.fields.items():
            if col == column:
                return name
        for name, opts in self.multi_options.items():
            if column in opts.values():
                return name
        return None


def map_columns(raw_cols: list[str], inst: Instrument) -> Columns:
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
    return Columns(fields, multi, meta, ignored)


def better_instrument(columns: list[str], instrument: Instrument) -> str | None:
    """The id of another instrument whose fields the header matches better, if any."""
    from ..instruments import list_instruments

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


def read_column_map(path: str | os.PathLike[str], instrument: Instrument) -> dict[str, str]:
    """Read a column-map file: which header in agency files means which field.

    The file is YAML with one key, ``columns``, mapping a header text (as in the file;
    case and spaces are ignored) to a field name of the instrument, to
    ``field/option`` for one option column of a ``select_multiple`` field, or to
    ``ignore``::

        # columns.yaml for the merit survey of Dinas X
        columns:
          "Nomor Induk Pegawai (NIP)": nip
          "Unit kerja": opd
          "Tgl isi": survey_date
          "Catatan petugas": ignore

    Parameters
    ----------
    path : path
        The map file.
    instrument : Instrument
        The instrument whose fields the targets must name.

    Returns
    -------
    dict of str to str
        Header text → target, as written.

    Raises
    ------
    InputError
        If the file cannot be read, is not such a mapping, maps two headers that differ only
        in case or spaces, or names a target that is not a field (the message suggests the
        nearest field names).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from asn_research.instruments import load_instrument
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "columns.yaml"
    >>> _ = p.write_text('columns:\\n  "Unit kerja": opd\\n  "Catatan": ignore\\n')
    >>> read_column_map(p, load_instrument("merit"))
    {'Unit kerja': 'opd', 'Catatan': 'ignore'}
    """
    import yaml

    p = Path(path)
    fix = ("write it as YAML: a key 'columns' mapping each header to a field name, "
           "field/option or ignore (see the README, 'Column maps')")
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("the column-map file does not exist", file=str(p),
                         fix="check the path given to --columns") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read the column map ({type(exc).__name__})", file=p.name,
                         fix=fix) from None
    if not isinstance(doc, dict) or set(doc) != {"columns"} or not isinstance(doc["columns"], dict):
        raise InputError("the column map must have one key, 'columns', holding a mapping",
                         file=p.name, fix=fix)
    targets = set(instrument.field_names)
    for f in instrument.fields:
        if f.type == "select_multiple" and f.list_name is not None:
            targets |= {f"{f.name}/{v}" for v in instrument.choice_list(f.list_name).values}
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    for header, target in doc["columns"].items():
        header, target = str(header), str(target).strip()
        if header_key(header) in seen:
            raise InputError(f"the headers {seen[header_key(header)]!r} and {header!r} differ "
                             "only in case or spaces", file=p.name, column=header,
                             fix="keep one of them")
        seen[header_key(header)] = header
        if target != IGNORE and target not in targets:
            near = difflib.get_close_matches(target, sorted(targets), n=3, cutoff=0.6)
            raise InputError(
                f"{target!r} is not a field of instrument {instrument.id!r}", file=p.name,
                column=header,
                fix=(f"did you mean {', '.join(near)}? " if near else "")
                + f"use a field name (see `asn-research instruments show {instrument.id}`), "
                "field/option, or ignore")
        out[header] = target
    return out
