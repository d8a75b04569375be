"""XLSForm export: field an instrument on KoboToolbox or ODK Collect.

:func:`xlsform_tables` turns an :class:`~asn_research.instruments.Instrument` into the three
sheets of an XLSForm (``survey``, ``choices``, ``settings``) as data frames;
:func:`to_xlsform` writes them to an ``.xlsx`` workbook that pyxform (and so KoboToolbox
and ODK Central) converts to an XForm. Every label, hint and message is bilingual:
Indonesian (``Indonesian (id)``) and English (``English (en)``).

What the export does with each part of an instrument:

* **groups** become ``begin_group`` / ``end_group`` rows around their fields, in the
  instrument's field order. A group whose fields are not contiguous opens a new run named
  ``<group>_2``, ``<group>_3``, … (XForm siblings need unique names); a warning is logged
  because KoboToolbox exports then prefix those columns with the new name.
* **types**: ``select_one`` / ``select_multiple`` → ``select_one <list>`` /
  ``select_multiple <list>``; ``integer``, ``decimal``, ``date``, ``text`` as is;
  ``datetime`` → ``dateTime``; ``nip`` and ``nik`` → ``text`` with a digits-only
  ``constraint`` (18 and 16 digits) and the ``numbers`` appearance (numeric keypad in
  ODK Collect, answer still stored as text so no digit is lost); ``person_name`` → ``text``.
* **bounds** (``min`` / ``max``) → ``constraint`` (``. >= 0 and . <= 60``,
  ``. >= date('2020-01-01') and . <= today()``) with a bilingual ``constraint_message``.
* ``required: true`` → ``required`` ``yes``; ``required_when`` → a ``relevant`` condition
  (the question is shown only when it applies) plus ``required`` ``yes``.
* the choice lists used by select fields, with the stored value as the choice ``name``.
* metadata rows ``start``, ``end`` and ``today`` so the server records when an interview
  started and ended.

Examples
--------
>>> from asn_research import instruments, xlsform
>>> merit = instruments.load_instrument("merit")
>>> tables = xlsform.xlsform_tables(merit)
>>> sorted(tables)
['choices', 'settings', 'survey']
>>> survey = tables["survey"].set_index("name")
>>> survey.loc["dlg_sessions", ["type", "relevant", "constraint"]].tolist()
['integer', "${dlg_attended} = '1'", '. >= 0 and . <= 60']
>>> tables["settings"].loc[0, "default_language"]
'Indonesian (id)'
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import ConfigError, InputError, InstrumentError
from .instruments import Field, Instrument

__all__ = [
    "LANGUAGES",
    "METADATA_FIELDS",
    "to_xlsform",
    "xlsform_tables",
]

logger = logging.getLogger(__name__)

LANGUAGES: dict[str, str] = {"id": "Indonesian (id)", "en": "English (en)"}
"""XLSForm language names by code: ``"Name (IANA subtag)"``, the form pyxform checks for."""

METADATA_FIELDS: tuple[str, ...] = ("start", "end", "today")
"""Metadata rows added to every form (XLSForm types of the same names)."""

_LANG_CODES = tuple(LANGUAGES)


def _cols(stem: str) -> list[str]:
    return [f"{stem}::{LANGUAGES[lang]}" for lang in _LANG_CODES]


_SURVEY_COLUMNS: tuple[str, ...] = (
    "type",
    "name",
    *_cols("label"),
    *_cols("hint"),
    "required",
    *_cols("required_message"),
    "relevant",
    "constraint",
    *_cols("constraint_message"),
    "appearance",
)
_CHOICES_COLUMNS: tuple[str, ...] = ("list_name", "name", *_cols("label"))
_SETTINGS_COLUMNS: tuple[str, ...] = ("form_title", "form_id", "version", "default_language")

_SIMPLE_TYPES = {
    "integer": "integer",
    "decimal": "decimal",
    "date": "date",
    "datetime": "dateTime",
    "text": "text",
    "person_name": "text",
    "nip": "text",
    "nik": "text",
}
_ID_DIGITS = {"nip": 18, "nik": 16}
_ID_NAMES = {"nip": "NIP", "nik": "NIK"}

# An XML element name as our instruments spell them (ASCII NCName).
_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
# A select_multiple answer is stored as a space-separated list of choice names, and
# KoboToolbox exports one column `field/choice` per choice: keep names to word characters,
# dots and hyphens.
_MULTI_CHOICE_NAME = re.compile(r"[\w.\-]+")

_REQUIRED_MESSAGE = {"id": "Pertanyaan ini wajib dijawab.", "en": "This question is required."}

# Fixed timestamp for the workbook's document properties and zip entries, so that the same
# instrument gives the same bytes (openpyxl stamps the current time on every save).
_FIXED_TIME = dt.datetime(2000, 1, 1, 0, 0, 0)
_CORE_TIMES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


# --------------------------------------------------------------------------- public API


def xlsform_tables(
    instrument: Instrument, *, default_language: str = "id"
) -> dict[str, pd.DataFrame]:
    """Build the ``survey``, ``choices`` and ``settings`` sheets of an instrument's XLSForm.

    Use this to inspect or test the rows that :func:`to_xlsform` writes; the tables are a
    pure function of the instrument (no clock, no randomness).

    Parameters
    ----------
    instrument : Instrument
        The questionnaire to export.
    default_language : {"id", "en"}, optional
        The language an ODK/Kobo form opens in and the language of ``form_title``.
        Default "id" (Indonesian).

    Returns
    -------
    dict of str to pandas.DataFrame
        Three frames, all cells strings (``""`` for an empty cell):

        ``"survey"``
            One row per question, group boundary and metadata row. Columns: ``type``,
            ``name``, ``label::Indonesian (id)``, ``label::English (en)``, ``hint::…``
            (both languages), ``required`` (``"yes"`` or empty), ``required_message::…``,
            ``relevant``, ``constraint``, ``constraint_message::…``, ``appearance``.
        ``"choices"``
            One row per answer of each choice list used by a select field, in order of
            first use. Columns: ``list_name``, ``name`` (the stored value as text),
            ``label::Indonesian (id)``, ``label::English (en)``.
        ``"settings"``
            One row. Columns: ``form_title`` (title in the default language), ``form_id``
            (the instrument id), ``version`` (the instrument version) and
            ``default_language`` (e.g. ``"Indonesian (id)"``).

    Raises
    ------
    ConfigError
        If ``default_language`` is not "id" or "en".
    InstrumentError
        If the instrument cannot be expressed as a valid XLSForm: a choice name unusable in
        a ``select_multiple`` (whitespace or punctuation other than ``_ . -``), a choice name
        that is empty or has surrounding spaces, bounds on a field that cannot have them or
        of the wrong kind (a date bound on a number), a ``required_when`` value that is not
        an answer of its field, a field or group name that is not a valid XML name, or a
        name that collides with a group run or a metadata row (``start``, ``end``,
        ``today``).

    Notes
    -----
    ``required_when: {field: x, in: [v]}`` becomes ``relevant`` ``${x} = 'v'`` (a number
    field compares unquoted: ``${x} = 3``); several values, or a ``select_multiple``
    trigger, become ``selected(${x}, 'v1') or selected(${x}, 'v2')``. The question is then
    hidden when it does not apply, and required when it does, which is what
    ``required_when`` means at ingest.

    Integer choice values are written as their decimal text (``1`` → ``"1"``), the form in
    which ODK and KoboToolbox store and export them. Choice lists that no field uses are
    not exported.

    References
    ----------
    XLSForm specification, https://xlsform.org/en/ (survey, choices and settings sheets,
    multiple-language support, constraints, relevant, metadata).

    Examples
    --------
    >>> from asn_research import instruments, xlsform
    >>> skm = instruments.load_instrument("skm")
    >>> tables = xlsform.xlsform_tables(skm, default_language="en")
    >>> tables["settings"].loc[0, ["form_id", "form_title", "default_language"]].tolist()
    ['skm', 'Public satisfaction survey (SKM)', 'English (en)']
    >>> tables["survey"]["type"].head(4).tolist()
    ['start', 'end', 'today', 'begin_group']
    """
    if default_language not in LANGUAGES:
        raise ConfigError(
            "`default_language` must be one of: "
            + ", ".join(repr(k) for k in LANGUAGES)
            + f"; got {default_language!r}"
        )
    list_order = _used_lists(instrument)
    for list_name in list_order:
        _check_choice_names(instrument, list_name)
    survey = _frame(_survey_rows(instrument), _SURVEY_COLUMNS)
    choices = _frame(_choice_rows(instrument, list_order), _CHOICES_COLUMNS)
    title = instrument.title_id if default_language == "id" else instrument.title_en
    settings = _frame(
        [
            {
                "form_title": title,
                "form_id": instrument.id,
                "version": instrument.version,
                "default_language": LANGUAGES[default_language],
            }
        ],
        _SETTINGS_COLUMNS,
    )
    return {"survey": survey, "choices": choices, "settings": settings}


def to_xlsform(
    instrument: Instrument, out: str | os.PathLike[str], *, default_language: str = "id"
) -> Path:
    """Write an instrument as an XLSForm workbook for KoboToolbox or ODK.

    The workbook has the sheets ``survey``, ``choices`` and ``settings`` built by
    :func:`xlsform_tables`; upload it to KoboToolbox ("Upload an XLSForm") or ODK Central,
    or convert it with ``xls2xform``.

    Parameters
    ----------
    instrument : Instrument
        The questionnaire to export.
    out : str or path
        The ``.xlsx`` file to write (replaced if it exists), or an existing folder, in
        which case the file is ``<folder>/<instrument id>.xlsx``.
    default_language : {"id", "en"}, optional
        The language the form opens in. Default "id".

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    InputError
        If ``out`` does not end in ``.xlsx`` or its folder does not exist.
    ConfigError
        If ``default_language`` is not "id" or "en".
    InstrumentError
        If the instrument cannot be expressed as an XLSForm (see :func:`xlsform_tables`).

    Notes
    -----
    The file is byte-for-byte reproducible: openpyxl stamps the save time into the
    workbook's document properties and zip entries, and these are reset to a fixed
    timestamp (2000-01-01). The file is written to a temporary name and then renamed, so a
    failed export never leaves a half-written workbook behind.

    Examples
    --------
    >>> import tempfile
    >>> from asn_research import instruments, xlsform
    >>> merit = instruments.load_instrument("merit")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = xlsform.to_xlsform(merit, d)
    ...     path.name
    'merit.xlsx'
    """
    tables = xlsform_tables(instrument, default_language=default_language)
    path = Path(out)
    if path.is_dir():
        path = path / f"{instrument.id}.xlsx"
    if path.suffix.lower() != ".xlsx":
        raise InputError(
            "an XLSForm must be an .xlsx workbook",
            file=str(out),
            fix="give a file name ending in .xlsx, or an existing folder",
        )
    if not path.parent.is_dir():
        raise InputError(
            "the folder to write the XLSForm into does not exist",
            file=str(out),
            fix="create the folder first",
        )
    data = _workbook_bytes(tables)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".xlsx.tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    logger.info(
        "wrote XLSForm of instrument %r v%s (%d fields) to %s",
        instrument.id,
        instrument.version,
        len(instrument.fields),
        path,
    )
    return path


# --------------------------------------------------------------------------- survey sheet


def _survey_rows(instrument: Instrument) -> list[dict[str, str]]:
    field_names = set(instrument.field_names)
    for f in instrument.fields:
        _check_xml_name(instrument, f.name, "field")
    for meta in METADATA_FIELDS:
        if meta in field_names:
            raise InstrumentError(
                f"instrument {instrument.id!r}: field {meta!r} clashes with the XLSForm "
                f"metadata row of the same name ({', '.join(METADATA_FIELDS)} are added to "
                "every form); rename the field"
            )
    rows: list[dict[str, str]] = [{"type": m, "name": m} for m in METADATA_FIELDS]
    taken = field_names | set(METADATA_FIELDS)
    runs_of: dict[str, int] = {}
    current: str | None = None
    for f in instrument.fields:
        if f.group != current:
            if current is not None:
                rows.append({"type": "end_group"})
            if f.group is not None:
                rows.append(_begin_group(instrument, f.group, runs_of, taken))
            current = f.group
        rows.append(_field_row(instrument, f))
    if current is not None:
        rows.append({"type": "end_group"})
    return rows


def _begin_group(
    instrument: Instrument, group: str, runs_of: dict[str, int], taken: set[str]
) -> dict[str, str]:
    if group not in instrument.groups:
        raise InstrumentError(
            f"instrument {instrument.id!r}: group {group!r} is used by a field but not "
            "declared under 'groups'; add it with its labels"
        )
    _check_xml_name(instrument, group, "group")
    runs_of[group] = runs_of.get(group, 0) + 1
    name = group if runs_of[group] == 1 else f"{group}_{runs_of[group]}"
    if name in taken:
        what = "an earlier group run" if runs_of[group] > 1 else "a field or metadata row"
        raise InstrumentError(
            f"instrument {instrument.id!r}: group name {name!r} is also the name of {what}; "
            "XLSForm names must be unique. Rename the group, or keep its fields together"
        )
    if runs_of[group] > 1:
        logger.warning(
            "instrument %r: fields of group %r are not contiguous; the XLSForm opens a new "
            "group %r (KoboToolbox exports will prefix those columns with %r)",
            instrument.id,
            group,
            name,
            name,
        )
    taken.add(name)
    label_id, label_en = instrument.groups[group]
    return {"type": "begin_group", "name": name, **_bilingual("label", label_id, label_en)}


def _field_row(instrument: Instrument, f: Field) -> dict[str, str]:
    row: dict[str, str] = {
        "type": _xlsform_type(instrument, f),
        "name": f.name,
        **_bilingual("label", f.label_id, f.label_en),
    }
    if f.hint_id or f.hint_en:
        row.update(_bilingual("hint", f.hint_id, f.hint_en))
    if f.required or f.required_when is not None:
        row["required"] = "yes"
        row.update(_bilingual("required_message", _REQUIRED_MESSAGE["id"], _REQUIRED_MESSAGE["en"]))
    if f.required_when is not None:
        row["relevant"] = _relevant(instrument, f)
    constraint = _constraint(instrument, f)
    if constraint is not None:
        expr, msg_id, msg_en = constraint
        row["constraint"] = expr
        row.update(_bilingual("constraint_message", msg_id, msg_en))
    if f.type in _ID_DIGITS:
        row["appearance"] = "numbers"
    return row


def _xlsform_type(instrument: Instrument, f: Field) -> str:
    if f.type in ("select_one", "select_multiple"):
        if f.list_name is None:
            raise InstrumentError(
                f"instrument {instrument.id!r}: select field {f.name!r} has no choice list"
            )
        return f"{f.type} {f.list_name}"
    try:
        return _SIMPLE_TYPES[f.type]
    except KeyError:
        raise InstrumentError(
            f"instrument {instrument.id!r}: field {f.name!r} has type {f.type!r}, which has "
            f"no XLSForm equivalent; use one of: {', '.join(sorted(_SIMPLE_TYPES))}, "
            "select_one, select_multiple"
        ) from None


def _constraint(instrument: Instrument, f: Field) -> tuple[str, str, str] | None:
    has_bounds = f.minimum is not None or f.maximum is not None
    where = f"instrument {instrument.id!r}, field {f.name!r}"
    if f.type in _ID_DIGITS:
        if has_bounds:
            raise InstrumentError(f"{where}: an identifier field cannot have min/max bounds")
        n = _ID_DIGITS[f.type]
        label = _ID_NAMES[f.type]
        return (
            f"regex(., '^[0-9]{{{n}}}$')",
            f"{label} harus terdiri dari {n} angka, tanpa spasi atau tanda baca.",
            f"The {label} must be exactly {n} digits, without spaces or punctuation.",
        )
    if not has_bounds:
        return None
    if f.type in ("integer", "decimal"):
        lo, hi = (_number_bound(where, b) for b in (f.minimum, f.maximum))
        return _bounds_constraint(
            lo,
            hi,
            lo_text=(_number_text(f.minimum, "id"), _number_text(f.minimum, "en")),
            hi_text=(_number_text(f.maximum, "id"), _number_text(f.maximum, "en")),
            noun=("Nilai", "The value"),
        )
    if f.type in ("date", "datetime"):
        lo, hi = (_date_bound(where, b, f.type) for b in (f.minimum, f.maximum))
        return _bounds_constraint(
            lo,
            hi,
            lo_text=(_date_text(f.minimum, "id"), _date_text(f.minimum, "en")),
            hi_text=(_date_text(f.maximum, "id"), _date_text(f.maximum, "en")),
            noun=("Tanggal", "The date"),
        )
    raise InstrumentError(
        f"{where}: min/max bounds apply only to integer, decimal, date and datetime fields, "
        f"not to {f.type!r}; remove them"
    )


def _bounds_constraint(
    lo: str | None,
    hi: str | None,
    *,
    lo_text: tuple[str, str],
    hi_text: tuple[str, str],
    noun: tuple[str, str],
) -> tuple[str, str, str]:
    noun_id, noun_en = noun
    if lo is not None and hi is not None:
        return (
            f". >= {lo} and . <= {hi}",
            f"{noun_id} harus antara {lo_text[0]} dan {hi_text[0]}.",
            f"{noun_en} must be between {lo_text[1]} and {hi_text[1]}.",
        )
    if lo is not None:
        return (
            f". >= {lo}",
            f"{noun_id} tidak boleh kurang dari {lo_text[0]}.",
            f"{noun_en} must not be less than {lo_text[1]}.",
        )
    return (
        f". <= {hi}",
        f"{noun_id} tidak boleh lebih dari {hi_text[0]}.",
        f"{noun_en} must not be more than {hi_text[1]}.",
    )


def _number_bound(where: str, bound: Any) -> str | None:
    if bound is None:
        return None
    if isinstance(bound, bool) or not isinstance(bound, (int, float)):
        raise InstrumentError(
            f"{where}: a number field needs number bounds, got {type(bound).__name__} "
            f"{bound!r}; use a number for min/max"
        )
    return _number_text(bound, "en")


def _number_text(bound: Any, lang: str) -> str:
    if bound is None or not isinstance(bound, (int, float)):
        return ""
    if isinstance(bound, float) and bound.is_integer():
        bound = int(bound)
    text = repr(bound)
    # Indonesian writes a decimal comma (0,5); the XPath expression keeps the point.
    return text.replace(".", ",") if lang == "id" else text


def _date_bound(where: str, bound: Any, field_type: str) -> str | None:
    if bound is None:
        return None
    if bound == "today":
        return "today()" if field_type == "date" else "now()"
    if isinstance(bound, dt.datetime):
        if field_type == "date":
            raise InstrumentError(
                f"{where}: a date field needs date bounds (YYYY-MM-DD), got a date-time; "
                "drop the time of day from min/max"
            )
        return f"decimal-date-time('{bound.isoformat()}')"
    if isinstance(bound, dt.date):
        return f"date('{bound.isoformat()}')"
    raise InstrumentError(
        f"{where}: a {field_type} field needs an ISO date or 'today' as bound, got "
        f"{type(bound).__name__} {bound!r}"
    )


def _date_text(bound: Any, lang: str) -> str:
    if bound == "today":
        return "hari ini" if lang == "id" else "today"
    if isinstance(bound, dt.date):
        return bound.isoformat()
    return ""


def _relevant(instrument: Instrument, f: Field) -> str:
    rw = f.required_when or {}
    where = f"instrument {instrument.id!r}, field {f.name!r}: required_when"
    trigger_name = rw.get("field")
    if not isinstance(trigger_name, str):
        raise InstrumentError(f"{where} needs {{field: <existing field>, in: [...]}}")
    trigger = instrument.field(trigger_name)
    values = rw.get("in")
    if isinstance(values, (str, int, float)):
        values = [values]
    if not isinstance(values, list) or not values:
        raise InstrumentError(f"{where} needs a non-empty list of values under 'in'")
    ref = "${" + trigger.name + "}"
    if trigger.list_name is not None:
        allowed = {_choice_name(v) for v in instrument.choice_list(trigger.list_name).values}
        names = [_choice_name(v) for v in values]
        unknown = [n for n in names if n not in allowed]
        if unknown:
            raise InstrumentError(
                f"{where}: {unknown} not among the answers of {trigger.name!r} "
                f"({instrument.choice_list(trigger.list_name).describe()}); use their codes"
            )
        quoted = [_xpath_string(where, n) for n in names]
        if trigger.type == "select_one" and len(quoted) == 1:
            return f"{ref} = {quoted[0]}"
        return " or ".join(f"selected({ref}, {q})" for q in quoted)
    if trigger.type in ("integer", "decimal"):
        terms = []
        for v in values:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise InstrumentError(
                    f"{where}: {trigger.name!r} is a number field; list numbers under 'in'"
                )
            terms.append(f"{ref} = {_number_text(v, 'en')}")
    else:
        terms = [f"{ref} = {_xpath_string(where, str(v))}" for v in values]
    return " or ".join(terms)


def _xpath_string(where: str, text: str) -> str:
    # XPath 1.0 string literals have no escape: quote with whichever quote is absent.
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    raise InstrumentError(
        f"{where}: value {text!r} contains both quote characters and cannot be written in "
        "an XLSForm expression; remove one of them"
    )


# --------------------------------------------------------------------------- choices sheet


def _used_lists(instrument: Instrument) -> list[str]:
    order: list[str] = []
    for f in instrument.fields:
        if f.type in ("select_one", "select_multiple") and f.list_name not in order:
            if f.list_name is None:
                raise InstrumentError(
                    f"instrument {instrument.id!r}: select field {f.name!r} has no choice list"
                )
            instrument.choice_list(f.list_name)  # raises InstrumentError when unknown
            order.append(f.list_name)
    return order


def _choice_name(value: int | str) -> str:
    return str(value)


def _check_choice_names(instrument: Instrument, list_name: str) -> None:
    multi_fields = [
        f.name
        for f in instrument.fields
        if f.type == "select_multiple" and f.list_name == list_name
    ]
    for value in instrument.choice_list(list_name).values:
        name = _choice_name(value)
        where = f"instrument {instrument.id!r}, choice list {list_name!r}, value {name!r}"
        if not name.strip():
            raise InstrumentError(f"{where}: a choice value cannot be empty")
        if name != name.strip():
            raise InstrumentError(
                f"{where}: has leading or trailing spaces, which XLSForm tools strip, so "
                "answers would not match the stored codes; remove the spaces"
            )
        if multi_fields and not _MULTI_CHOICE_NAME.fullmatch(name):
            raise InstrumentError(
                f"{where}: cannot be a choice name of a select_multiple question "
                f"({', '.join(multi_fields)}). ODK stores the answers of such a question as "
                "one space-separated list and KoboToolbox exports a column '<field>/<choice>' "
                "per answer, so a name may hold only letters, digits, '_', '.' and '-'. "
                "Use a code like 'dialog_terbuka' and keep the wording in the labels"
            )


def _choice_rows(instrument: Instrument, list_order: Iterable[str]) -> list[dict[str, str]]:
    rows = []
    for list_name in list_order:
        for c in instrument.choice_list(list_name).choices:
            rows.append(
                {
                    "list_name": list_name,
                    "name": _choice_name(c.value),
                    **_bilingual("label", c.label_id, c.label_en),
                }
            )
    return rows


# --------------------------------------------------------------------------- helpers


def _check_xml_name(instrument: Instrument, name: str, what: str) -> None:
    if not _XML_NAME.fullmatch(name):
        raise InstrumentError(
            f"instrument {instrument.id!r}: {what} name {name!r} is not a valid XLSForm name; "
            "use letters, digits and '_' (starting with a letter)"
        )


def _bilingual(stem: str, text_id: str, text_en: str) -> dict[str, str]:
    return {f"{stem}::{LANGUAGES['id']}": text_id, f"{stem}::{LANGUAGES['en']}": text_en}


def _frame(rows: list[dict[str, str]], columns: tuple[str, ...]) -> pd.DataFrame:
    data = {c: [str(r.get(c, "")) for r in rows] for c in columns}
    return pd.DataFrame(data, columns=list(columns), dtype="str")


def _workbook_bytes(tables: dict[str, pd.DataFrame]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    first = True
    for sheet in ("survey", "choices", "settings"):
        ws = wb.active if first else wb.create_sheet()
        first = False
        ws.title = sheet
        frame = tables[sheet]
        ws.append(list(frame.columns))
        for record in frame.itertuples(index=False, name=None):
            ws.append([v if v != "" else None for v in record])
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                # A label starting with "=" must stay text, not become a formula.
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
    wb.properties.creator = "asn-research"
    wb.properties.created = _FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    return _normalize_zip(buf.getvalue())


def _normalize_zip(data: bytes) -> bytes:
    """Reset save-time stamps in an .xlsx so that equal content gives equal bytes."""
    stamp = _FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            payload = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                payload = _CORE_TIMES.sub(rb"\g<1>" + stamp + rb"\g<2>", payload)
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, payload)
    return out.getvalue()
