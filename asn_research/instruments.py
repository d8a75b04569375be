"""Survey instruments: bilingual questionnaires defined as diffable YAML.

An instrument file (``surveys/instruments/<id>.yaml``) declares the fields of one
questionnaire, their Indonesian/English labels, answer codes, which fields are
required or identify a person, and the scales (with subscales and reverse-keyed
items) that are scored from the answers. Everything downstream — validation,
ingestion, pseudonymization, scale scoring, XLSForm export and the simulator —
is driven by these definitions. The file format is documented in
``surveys/instruments/README.md``.

Examples
--------
>>> from asn_research import instruments
>>> merit = instruments.load_instrument("merit")
>>> merit.id, merit.field("rtc_rs_1").type
('merit', 'select_one')
>>> merit.choice_list("agree6").label_of(6, "en")
'Strongly agree'
"""

from __future__ import annotations

import copy
import datetime as dt
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

import yaml

from .errors import InstrumentError

__all__ = [
    "IDENTIFIER_TYPES",
    "Choice",
    "ChoiceList",
    "Field",
    "FieldType",
    "Instrument",
    "Scale",
    "instruments_dir",
    "list_instruments",
    "load_instrument",
]

FieldType = Literal[
    "nip",  # 18-digit civil-servant ID (identifier; pseudonymized at ingest)
    "nik",  # 16-digit population ID (identifier; pseudonymized at ingest)
    "person_name",  # a person's name (identifier; pseudonymized at ingest)
    "text",
    "integer",
    "decimal",
    "date",
    "datetime",
    "select_one",
    "select_multiple",
]
IDENTIFIER_TYPES: frozenset[str] = frozenset({"nip", "nik", "person_name"})
_FIELD_TYPES = frozenset(get_args(FieldType))
_LANGS = ("id", "en")


@dataclass(frozen=True, slots=True)
class Choice:
    """One allowed answer: its stored value and its labels.

    Attributes
    ----------
    value : int or str
        The code stored in the processed data (an int for ordinal lists).
    label_id, label_en : str
        Indonesian and English answer labels.
    aliases : tuple of str
        Further spellings accepted at ingest (e.g. abbreviations "SS", "TS").
    """

    value: int | str
    label_id: str
    label_en: str
    aliases: tuple[str, ...] = ()

    def label(self, lang: str = "id") -> str:
        """Return the label in ``lang`` ("id" or "en")."""
        return self.label_id if lang == "id" else self.label_en


@dataclass(frozen=True, slots=True)
class ChoiceList:
    """A named list of answers shared by several fields.

    Attributes
    ----------
    name : str
        The list's name, referenced by fields as ``list:``.
    choices : tuple of Choice
    ordinal : bool
        True when values are integers on an ordered scale (Likert, 1–4 SKM).
    """

    name: str
    choices: tuple[Choice, ...]
    ordinal: bool

    @property
    def values(self) -> tuple[int | str, ...]:
        """The allowed stored values, in order."""
        return tuple(c.value for c in self.choices)

    @property
    def min_value(self) -> int:
        """Smallest code of an ordinal list."""
        return min(int(v) for v in self.values)

    @property
    def max_value(self) -> int:
        """Largest code of an ordinal list."""
        return max(int(v) for v in self.values)

    def label_of(self, value: int | str, lang: str = "id") -> str:
        """Return the label of ``value`` in ``lang``."""
        for c in self.choices:
            if c.value == value:
                return c.label(lang)
        raise KeyError(value)

    def describe(self, lang: str = "en", limit: int = 8) -> str:
        """Short 'code label' listing for error messages."""
        parts = [f"{c.value} '{c.label(lang)}'" for c in self.choices[:limit]]
        if len(self.choices) > limit:
            parts.append(f"… ({len(self.choices)} in all)")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class Field:
    """One question or data column of an instrument.

    Attributes
    ----------
    name : str
        Column name in raw files and in the store (English snake_case).
    type : str
        One of :data:`FieldType`.
    label_id, label_en : str
        The question text in Indonesian and English.
    group : str or None
        Section name (an XLSForm group; KoboToolbox exports prefix it as ``group/name``).
    required : bool
        An answer is always required.
    required_when : dict or None
        ``{"field": other, "in": [values]}``: required only when another field has
        one of these values (also the XLSForm ``relevant`` condition).
    list_name : str or None
        Choice list of a select field.
    minimum, maximum : float, date or None
        Inclusive bounds of a number or date (a date bound may be ``"today"``).
    hint_id, hint_en : str
        Optional help text.
    aliases : tuple of str
        Other column headers that mean this field in agency files (e.g. ``"Unit kerja"``
        for ``opd``), matched like the labels: ignoring case and spaces.
    not_before : str or None
        Another date field this one may not precede (``training_end`` not before
        ``training_start``); a row that breaks it is quarantined.
    not_when : dict or None
        ``{"field": other, "in": [values]}``: this answer must be empty when the other
        field has one of these values (no training topic for the comparison group).
    nip_part : str or None
        ``"birth_year"``: the answer must equal the birth year encoded in the row's NIP.
    """

    name: str
    type: str
    label_id: str
    label_en: str
    group: str | None = None
    required: bool = False
    required_when: dict[str, Any] | None = field(default=None, hash=False)
    list_name: str | None = None
    minimum: Any = None
    maximum: Any = None
    hint_id: str = ""
    hint_en: str = ""
    aliases: tuple[str, ...] = ()
    not_before: str | None = None
    not_when: dict[str, Any] | None = field(default=None, hash=False)
    nip_part: str | None = None

    @property
    def is_identifier(self) -> bool:
        """True for NIP, NIK and name fields (pseudonymized at ingest)."""
        return self.type in IDENTIFIER_TYPES

    def label(self, lang: str = "id") -> str:
        """Return the question text in ``lang``."""
        return self.label_id if lang == "id" else self.label_en


@dataclass(frozen=True, slots=True)
class Scale:
    """A scale or subscale scored as the mean of its items.

    Attributes
    ----------
    name : str
        Score column name (e.g. ``resistance_routine_seeking``).
    label_id, label_en : str
    items : tuple of str
        Item fields (all on the same ordinal choice list).
    reverse : tuple of str
        Items scored in reverse (``min + max − answer``).
    min_answered : int
        A score is computed only when at least this many items are answered.
    subscales : tuple of str
        For a composite scale: the names of its subscales (its items are their union).
    reference : str
        Where the scale comes from.
    """

    name: str
    label_id: str
    label_en: str
    items: tuple[str, ...]
    reverse: tuple[str, ...] = ()
    min_answered: int = 1
    subscales: tuple[str, ...] = ()
    reference: str = ""

    def label(self, lang: str = "id") -> str:
        """Return the scale's label in ``lang``."""
        return self.label_id if lang == "id" else self.label_en


@dataclass(frozen=True, slots=True)
class Instrument:
    """A questionnaire definition loaded from YAML.

    Attributes
    ----------
    id, version : str
        Stable identifier and semantic version (recorded with every ingest).
    title_id, title_en : str
    respondent : str
        ``"asn"`` (civil servants) or ``"citizen"``.
    respondent_id : str or None
        The identifier field whose pseudonym becomes ``respondent_key``.
    unique : tuple of str
        Fields that identify one respondent within a wave (duplicate check).
    date_field : str or None
        The field that dates an answer (survey or visit date).
    fields : tuple of Field
    choice_lists : dict of str to ChoiceList
    scales : tuple of Scale
    groups : dict of str to (label_id, label_en)
    source : Path
        The YAML file it was loaded from.
    """

    id: str
    version: str
    title_id: str
    title_en: str
    respondent: str
    respondent_id: str | None
    unique: tuple[str, ...]
    date_field: str | None
    fields: tuple[Field, ...]
    choice_lists: dict[str, ChoiceList] = field(hash=False, compare=False)
    scales: tuple[Scale, ...] = ()
    groups: dict[str, tuple[str, str]] = field(default_factory=dict, hash=False, compare=False)
    description_id: str = ""
    description_en: str = ""
    source: Path | None = None

    @property
    def field_names(self) -> tuple[str, ...]:
        """Names of all fields, in questionnaire order."""
        return tuple(f.name for f in self.fields)

    @property
    def required_fields(self) -> tuple[str, ...]:
        """Fields that must always be answered (their columns must exist in a file)."""
        return tuple(f.name for f in self.fields if f.required)

    @property
    def identifier_fields(self) -> tuple[str, ...]:
        """NIP, NIK and name fields: pseudonymized at ingest, never stored in clear."""
        return tuple(f.name for f in self.fields if f.is_identifier)

    def field(self, name: str) -> Field:
        """Return the field called ``name``.

        Raises
        ------
        InstrumentError
            If the instrument has no such field.
        """
        for f in self.fields:
            if f.name == name:
                return f
        raise InstrumentError(
            f"instrument {self.id!r} has no field {name!r}; "
            f"its fields are: {', '.join(self.field_names)}"
        )

    def choice_list(self, name: str) -> ChoiceList:
        """Return the choice list called ``name``."""
        try:
            return self.choice_lists[name]
        except KeyError:
            raise InstrumentError(
                f"instrument {self.id!r} has no choice list {name!r}; "
                f"its lists are: {', '.join(sorted(self.choice_lists))}"
            ) from None

    def choices_of(self, field_name: str) -> ChoiceList:
        """Return the choice list of a select field."""
        f = self.field(field_name)
        if f.list_name is None:
            raise InstrumentError(f"field {field_name!r} of {self.id!r} is not a select field")
        return self.choice_list(f.list_name)

    def scale(self, name: str) -> Scale:
        """Return the scale called ``name``."""
        for s in self.scales:
            if s.name == name:
                return s
        raise InstrumentError(
            f"instrument {self.id!r} has no scale {name!r}; "
            f"its scales are: {', '.join(s.name for s in self.scales)}"
        )


# --------------------------------------------------------------------------- loading


def instruments_dir() -> Path:
    """Return the folder holding the instrument YAML files.

    The folder is, in order: ``$ASN_RESEARCH_INSTRUMENTS``; ``surveys/instruments``
    in the current directory or a parent of it (a pemda's own, edited copy); the copy
    inside the installed package (``asn_research/surveys``, from the wheel); or
    ``surveys/instruments`` beside the package (a source checkout).

    Raises
    ------
    InstrumentError
        If no such folder exists.
    """
    env = os.environ.get("ASN_RESEARCH_INSTRUMENTS")
    if env:
        p = Path(env)
        if not p.is_dir():
            raise InstrumentError(
                f"ASN_RESEARCH_INSTRUMENTS points to {env!r}, which is not a folder"
            )
        return p
    here = Path.cwd().resolve()
    for d in (here, *here.parents):
        cand = d / "surveys" / "instruments"
        if cand.is_dir():
            return cand
    here = Path(__file__).resolve().parent
    for cand in (here / "surveys" / "instruments", here.parent / "surveys" / "instruments"):
        if cand.is_dir():
            return cand
    raise InstrumentError(
        "cannot find the instruments folder surveys/instruments; run from the project "
        "folder or set ASN_RESEARCH_INSTRUMENTS"
    )


def list_instruments(directory: str | os.PathLike[str] | None = None) -> list[Instrument]:
    """Load every instrument in ``directory`` (default: :func:`instruments_dir`), sorted by id."""
    d = Path(directory) if directory is not None else instruments_dir()
    return sorted((load_instrument(p) for p in sorted(d.glob("*.yaml"))), key=lambda i: i.id)


def load_instrument(id_or_path: str | os.PathLike[str]) -> Instrument:
    """Load an instrument by id (``"merit"``) or from a YAML file path.

    Parameters
    ----------
    id_or_path : str or path
        An instrument id found in :func:`instruments_dir`, or a path to a YAML file.

    Returns
    -------
    Instrument

    Raises
    ------
    InstrumentError
        If the instrument does not exist or its definition is inconsistent.
    """
    p = Path(id_or_path)
    if p.suffix not in (".yaml", ".yml"):
        d = instruments_dir()
        p = d / f"{id_or_path}.yaml"
        if not p.is_file():
            known = sorted(q.stem for q in d.glob("*.yaml"))
            raise InstrumentError(
                f"unknown instrument {str(id_or_path)!r}; known instruments: {', '.join(known)}"
            )
    p = p.resolve()
    return _load_cached(p, p.stat().st_mtime_ns)


# libyaml's C loader when PyYAML was built with it (10x faster), else the pure-Python one
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml(path: Path) -> Any:
    """Parse a YAML file once per modification time (lookups are included by many lists).

    Returns a deep copy, so no caller can change the cached document.
    """
    return copy.deepcopy(_yaml_cached(path, path.stat().st_mtime_ns))


@cache
def _yaml_cached(path: Path, _mtime: int) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (safe)


@cache
def _load_cached(path: Path, _mtime: int) -> Instrument:
    try:
        doc = _yaml(path)
    except (OSError, yaml.YAMLError) as exc:
        raise InstrumentError(f"{path}: cannot read instrument definition: {exc}") from None
    if not isinstance(doc, dict):
        raise InstrumentError(f"{path}: an instrument file must hold a mapping")
    return _build(doc, path)


_CHOICE_KEYS = frozenset(
    {"value", "id", "en", "aliases", "verified", "size", "opd", "online_permits"}
)
_FIELD_KEYS = frozenset(
    {"name", "type", "label", "hint", "group", "required", "required_when", "list", "min", "max",
     "aliases", "not_before", "not_when", "nip_part"}
)
_SCALE_KEYS = frozenset(
    {"name", "label", "items", "reverse", "min_answered", "subscales", "reference"}
)
_TOP_KEYS = frozenset(
    {
        "id",
        "version",
        "title",
        "description",
        "respondent",
        "respondent_id",
        "unique",
        "date_field",
        "groups",
        "choice_lists",
        "fields",
        "scales",
    }
)


def _check_keys(obj: dict[str, Any], allowed: frozenset[str], where: str) -> None:
    # An unknown key usually means an unquoted comma split a label in a YAML flow mapping.
    unknown = sorted(str(k) for k in obj if k not in allowed)
    if unknown:
        raise InstrumentError(
            f"{where}: unknown key(s) {unknown}; allowed: {', '.join(sorted(allowed))}. "
            "Quote labels that contain commas or colons"
        )


def _labels(obj: Any, where: str, *, required: bool = True, strict: bool = True) -> tuple[str, str]:
    if obj is None and not required:
        return "", ""
    if isinstance(obj, dict) and all(isinstance(obj.get(k), str) for k in _LANGS):
        if strict:
            _check_keys(obj, frozenset(_LANGS), where)
        return obj["id"], obj["en"]
    raise InstrumentError(f"{where}: needs labels in both languages, as {{id: ..., en: ...}}")


def _choice_list(name: str, spec: Any, path: Path) -> ChoiceList:
    where = f"{path.name}: choice list {name!r}"
    if isinstance(spec, dict) and "include" in spec:
        inc = (path.parent / spec["include"]).resolve()
        try:
            spec = _yaml(inc)
        except (OSError, yaml.YAMLError) as exc:
            raise InstrumentError(f"{where}: cannot read included file {inc}: {exc}") from None
        if isinstance(spec, dict) and "lists" in spec:
            spec = (spec["lists"] or {}).get(name)
        elif isinstance(spec, dict):
            spec = spec.get("choices")
    if not isinstance(spec, list) or not spec:
        raise InstrumentError(f"{where}: must be a non-empty list of choices")
    choices = []
    for i, c in enumerate(spec):
        if not isinstance(c, dict) or "value" not in c:
            raise InstrumentError(f"{where}, choice {i + 1}: needs a 'value'")
        _check_keys(c, _CHOICE_KEYS, f"{where}, choice {c.get('value')!r}")
        lid, len_ = _labels(c, f"{where}, choice {c.get('value')!r}", strict=False)
        aliases = tuple(str(a) for a in c.get("aliases", ()))
        choices.append(Choice(c["value"], lid, len_, aliases))
    values = [c.value for c in choices]
    if len(set(values)) != len(values):
        raise InstrumentError(f"{where}: values must be unique")
    ordinal = all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    if not ordinal and not all(isinstance(v, str) for v in values):
        raise InstrumentError(f"{where}: values must be all integers or all strings")
    return ChoiceList(name, tuple(choices), ordinal)


def _bound(value: Any) -> Any:
    if value is None or isinstance(value, (int, float)) or value == "today":
        return value
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise InstrumentError(f"bad bound {value!r}: use a number, an ISO date or 'today'")


def _check_rules(f: Field, by_name: dict[str, Field], lists: dict[str, ChoiceList],
                 name: str) -> None:
    """Check a field's cross-field rules (not_before, not_when, nip_part, aliases)."""
    where = f"{name}: field {f.name!r}"
    if f.not_before is not None:
        other = by_name.get(f.not_before)
        if f.type not in ("date", "datetime") or other is None or \
                other.type not in ("date", "datetime"):
            raise InstrumentError(f"{where}: not_before needs a date field naming another "
                                  "date field of the instrument")
    nw = f.not_when
    if nw is not None:
        if (not isinstance(nw, dict) or set(nw) != {"field", "in"} or nw["field"] not in by_name
                or not isinstance(nw["in"], list)):
            raise InstrumentError(f"{where}: not_when needs {{field: <existing field>, in: [...]}}")
        other = by_name[nw["field"]]
        if other.list_name is not None and not set(nw["in"]) <= set(lists[other.list_name].values):
            raise InstrumentError(f"{where}: not_when values {nw['in']} are not all answers of "
                                  f"{nw['field']!r}")
    if f.nip_part is not None:
        if f.nip_part != "birth_year" or f.type != "integer":
            raise InstrumentError(f"{where}: nip_part must be 'birth_year' on an integer field")
        if not any(x.type == "nip" for x in by_name.values()):
            raise InstrumentError(f"{where}: nip_part needs a field of type nip")
    if any(not a.strip() for a in f.aliases):
        raise InstrumentError(f"{where}: aliases must be non-empty header texts")


def _build(doc: dict[str, Any], path: Path) -> Instrument:
    name = path.name
    _check_keys(doc, _TOP_KEYS, name)
    for key in ("id", "version", "title", "fields"):
        if key not in doc:
            raise InstrumentError(f"{name}: missing top-level key {key!r}")
    lists = {k: _choice_list(k, v, path) for k, v in (doc.get("choice_lists") or {}).items()}
    groups = {
        g["name"]: _labels(g.get("label"), f"{name}: group {g.get('name')!r}")
        for g in doc.get("groups") or []
    }
    fields: list[Field] = []
    for i, f in enumerate(doc["fields"]):
        where = f"{name}: field {f.get('name', i + 1)!r}"
        if "name" not in f or "type" not in f:
            raise InstrumentError(f"{where}: needs 'name' and 'type'")
        _check_keys(f, _FIELD_KEYS, where)
        if f["type"] not in _FIELD_TYPES:
            raise InstrumentError(
                f"{where}: type must be one of {', '.join(sorted(_FIELD_TYPES))}; got {f['type']!r}"
            )
        lid, len_ = _labels(f.get("label"), where)
        hid, hen = _labels(f.get("hint"), where, required=False)
        list_name = f.get("list")
        if f["type"] in ("select_one", "select_multiple"):
            if list_name not in lists:
                raise InstrumentError(f"{where}: unknown choice list {list_name!r}")
        elif list_name is not None:
            raise InstrumentError(f"{where}: only select fields take a 'list'")
        group = f.get("group")
        if group is not None and group not in groups:
            raise InstrumentError(f"{where}: unknown group {group!r}")
        fields.append(
            Field(
                name=f["name"],
                type=f["type"],
                label_id=lid,
                label_en=len_,
                group=group,
                required=bool(f.get("required", False)),
                required_when=f.get("required_when"),
                list_name=list_name,
                minimum=_bound(f.get("min")),
                maximum=_bound(f.get("max")),
                hint_id=hid,
                hint_en=hen,
                aliases=tuple(str(a) for a in (f.get("aliases") or ())),
                not_before=f.get("not_before"),
                not_when=f.get("not_when"),
                nip_part=f.get("nip_part"),
            )
        )
    names = [f.name for f in fields]
    if len(set(names)) != len(names):
        raise InstrumentError(f"{name}: field names must be unique")
    by_name = {f.name: f for f in fields}
    for f in fields:
        _check_rules(f, by_name, lists, name)
        rw = f.required_when
        if rw is not None and (
            not isinstance(rw, dict)
            or rw.get("field") not in by_name
            or not isinstance(rw.get("in"), list)
            or set(rw) != {"field", "in"}
        ):
            raise InstrumentError(
                f"{name}: field {f.name!r}: required_when needs "
                "{field: <existing field>, in: [...]}"
            )
        if rw is not None and by_name[rw["field"]].list_name is not None:
            allowed = set(lists[by_name[rw["field"]].list_name].values)
            if not set(rw["in"]) <= allowed:
                raise InstrumentError(
                    f"{name}: field {f.name!r}: required_when values {rw['in']} are not all "
                    f"answers of {rw['field']!r} ({sorted(allowed, key=str)})"
                )
        for b in (f.minimum, f.maximum):
            if isinstance(b, bool):
                raise InstrumentError(f"{name}: field {f.name!r}: a bound cannot be true/false")
    scales: list[Scale] = []
    for s in doc.get("scales") or []:
        where = f"{name}: scale {s.get('name')!r}"
        _check_keys(s, _SCALE_KEYS, where)
        lid, len_ = _labels(s.get("label"), where)
        subs = tuple(s.get("subscales") or ())
        if subs:
            known = {sc.name: sc for sc in scales}
            missing = [x for x in subs if x not in known]
            if missing:
                raise InstrumentError(f"{where}: subscales must be defined before it: {missing}")
            items = tuple(i for x in subs for i in known[x].items)
            reverse = tuple(i for x in subs for i in known[x].reverse)
        else:
            items = tuple(s.get("items") or ())
            reverse = tuple(s.get("reverse") or ())
        if not items:
            raise InstrumentError(f"{where}: needs items or subscales")
        bad = [i for i in items if i not in by_name or by_name[i].type != "select_one"]
        if bad:
            raise InstrumentError(f"{where}: items must be select_one fields: {bad}")
        if set(reverse) - set(items):
            raise InstrumentError(f"{where}: reverse items must be among its items")
        item_lists = {lists[by_name[i].list_name] for i in items}
        if not all(cl.ordinal for cl in item_lists) or len({cl.values for cl in item_lists}) != 1:
            raise InstrumentError(f"{where}: items must share one set of ordinal answer codes")
        min_answered = int(s.get("min_answered", len(items)))
        if not 1 <= min_answered <= len(items):
            raise InstrumentError(f"{where}: min_answered must be between 1 and {len(items)}")
        scales.append(
            Scale(s["name"], lid, len_, items, reverse, min_answered, subs, s.get("reference", ""))
        )
    tid, ten = _labels(doc["title"], f"{name}: title")
    did, den = _labels(doc.get("description"), f"{name}: description", required=False)
    rid = doc.get("respondent_id")
    if rid is not None and (rid not in by_name or not by_name[rid].is_identifier):
        raise InstrumentError(f"{name}: respondent_id must name an identifier field")
    unique = tuple(doc.get("unique") or ())
    if set(unique) - set(names):
        raise InstrumentError(f"{name}: unique must list existing fields")
    date_field = doc.get("date_field")
    if date_field is not None and date_field not in by_name:
        raise InstrumentError(f"{name}: date_field must name an existing field")
    if doc["id"] != path.stem:
        raise InstrumentError(f"{name}: id {doc['id']!r} must equal the file name {path.stem!r}")
    return Instrument(
        id=str(doc["id"]),
        version=str(doc["version"]),
        title_id=tid,
        title_en=ten,
        respondent=str(doc.get("respondent", "asn")),
        respondent_id=rid,
        unique=unique,
        date_field=date_field,
        fields=tuple(fields),
        choice_lists=lists,
        scales=tuple(scales),
        groups=groups,
        description_id=did,
        description_en=den,
        source=path,
    )
