"""Column mapping, in one place: header cells to instrument fields, and fields to roles.

Two steps, both here: while a file is read, each header cell is matched to a field name of
the instrument (the field name, its Indonesian or English question text, a numbered or
slightly reworded question, a KoboToolbox group path, or an entry of a column-map file);
then the names are sorted into instrument fields, ``select_multiple`` option columns,
KoboToolbox/ODK metadata and ignored columns. :data:`KOBO_META` is the one list of
metadata columns.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import UnreadableFileError
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


def header_key(text: str) -> str:
    """Case- and whitespace-insensitive matching key."""
    return " ".join(text.split()).casefold()


def mask(text: str, limit: int = 60) -> str:
    """Make header text safe for a message: hide long numbers, limit the length."""
    out = _LONG_NUMBER.sub("<number>", text)
    return out if len(out) <= limit else out[: limit - 1] + "…"


def _looks_like_identifier(cell: str) -> bool:
    """Tell whether a cell holds a long number (an NIP/NIK, also in scientific notation)."""
    return bool(_ID_LIKE_CELL.search(cell))


class ColumnResolver:
    """Maps header cells to column names, using an instrument when there is one."""

    def __init__(self, instrument: Instrument | None) -> None:
        self.instrument = instrument
        self.exact: dict[str, tuple[str, str]] = {}  # key -> (column name, "name"|"label")
        self.multi_fields: set[str] = set()
        self.group_keys: set[str] = set()
        if instrument is None:
            return
        for f in instrument.fields:
            self.exact.setdefault(header_key(f.name), (f.name, "name"))
        for f in instrument.fields:
            for lab in (f.label_id, f.label_en):
                self.exact.setdefault(header_key(lab), (f.name, "label"))
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
        """Return (name, how, prefix) for a cell matching the instrument, else None."""
        if not self.exact:
            return None
        hit = self.exact.get(header_key(cell))
        if hit is not None:
            return hit[0], hit[1], ""
        start = cell.find("/")
        while start != -1:
            hit = self.exact.get(header_key(cell[start + 1:]))
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
