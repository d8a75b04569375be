"""Tests of asn_research.xlsform: XLSForm export of the instruments.

Every workbook written here is converted with pyxform (the converter KoboToolbox and ODK
Central use) and the produced XForm is checked; when a Java runtime exists, ODK Validate
checks it too.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import openpyxl
import pytest
from pyxform.xls2xform import convert

from asn_research import instruments, xlsform
from asn_research.errors import ConfigError, InputError, InstrumentError
from asn_research.instruments import Choice, ChoiceList, Instrument

INSTRUMENT_IDS = ("training", "merit", "skm")
XF = "{http://www.w3.org/2002/xforms}"
H = "{http://www.w3.org/1999/xhtml}"
JR = "{http://openrosa.org/javarosa}"
ID_LANG, EN_LANG = "Indonesian (id)", "English (en)"

# A synthetic instrument with the cases the three real ones do not cover: a NIK, a
# select_multiple with dotted codes, a group split in two runs, triggers with several values,
# a select_multiple trigger and a number trigger, one-sided bounds, a datetime field, and a
# hint that starts with "=" (must stay text in the workbook, not become a formula).
EDGE_YAML = """\
id: edge
version: 0.2.0
title: {id: "Uji kasus tepi", en: "Edge cases"}
respondent: citizen
respondent_id: nik
unique: [nik]
groups:
  - {name: grp, label: {id: "Grup satu", en: "Group one"}}
  - {name: other, label: {id: "Grup dua", en: "Group two"}}
choice_lists:
  kecamatan:
    - {value: "36.74.01", id: "Serpong", en: "Serpong"}
    - {value: "36.74.02", id: "Serpong Utara", en: "Serpong Utara"}
  channel:
    - {value: online, id: "Daring", en: "Online"}
    - {value: walk_in, id: "Datang langsung", en: "Walk-in"}
    - {value: by mail, id: "Lewat pos", en: "By mail"}
fields:
  - {name: nik, type: nik, group: grp, required: true, label: {id: "NIK", en: "NIK"}}
  - name: kecamatan
    type: select_multiple
    list: kecamatan
    group: grp
    label: {id: "Kecamatan", en: "District"}
  - {name: visit, type: select_one, list: channel, group: other, label: {id: "Kanal", en: "Way"}}
  - name: kec_detail
    type: text
    group: grp
    required_when: {field: kecamatan, in: ["36.74.01"]}
    label: {id: "Rincian", en: "Details"}
    hint: {id: "=1 berarti ya", en: "=1 means yes"}
  - name: either
    type: text
    required_when: {field: visit, in: [online, walk_in]}
    label: {id: "Salah satu", en: "Either"}
  - name: mailed
    type: text
    required_when: {field: visit, in: [by mail]}
    label: {id: "Pos", en: "Mail"}
  - {name: n_visits, type: integer, min: 1, label: {id: "Jumlah kunjungan", en: "Visits"}}
  - name: share
    type: decimal
    max: 2.5
    required_when: {field: n_visits, in: [2, 3]}
    label: {id: "Porsi", en: "Share"}
  - {name: seen_at, type: datetime, min: 2024-01-01T08:00:00, max: today, label: {id: W, en: T}}
  - {name: since, type: date, min: 2021-06-30, label: {id: "Sejak", en: "Since"}}
"""


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Instrument:
    path = tmp_path_factory.mktemp("instruments") / "edge.yaml"
    path.write_text(EDGE_YAML, encoding="utf-8")
    return instruments.load_instrument(path)


@pytest.fixture(scope="module")
def forms(tmp_path_factory: pytest.TempPathFactory, edge: Instrument) -> dict[str, dict]:
    """Each instrument written with to_xlsform and converted by pyxform, once per module."""
    out = tmp_path_factory.mktemp("xlsform")
    result = {}
    for inst in [*(instruments.load_instrument(i) for i in INSTRUMENT_IDS), edge]:
        path = xlsform.to_xlsform(inst, out / f"{inst.id}.xlsx")
        warnings: list[str] = []
        conv = convert(str(path), warnings=warnings)
        result[inst.id] = {
            "instrument": inst,
            "path": path,
            "xml": ET.fromstring(conv.xform),
            "warnings": conv.warnings,
        }
    return result


def _binds(root: ET.Element) -> dict[str, dict[str, str]]:
    return {b.get("nodeset"): dict(b.attrib) for b in root.iter(f"{XF}bind")}


def _instance_root(root: ET.Element) -> ET.Element:
    model = root.find(f"{H}head/{XF}model")
    assert model is not None
    primary = model.find(f"{XF}instance")
    assert primary is not None
    return primary[0]


def _field_path(inst: Instrument, name: str) -> str:
    group = inst.field(name).group
    return f"/data/{group}/{name}" if group else f"/data/{name}"


def _itext(root: ET.Element) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for tr in root.iter(f"{XF}translation"):
        out[tr.get("lang")] = {
            t.get("id"): "".join(t.find(f"{XF}value").itertext()) for t in tr.iter(f"{XF}text")
        }
    return out


def _squash(expr: str) -> str:
    return " ".join(expr.split())


def _survey(inst: Instrument, **kw) -> dict[str, dict[str, str]]:
    frame = xlsform.xlsform_tables(inst, **kw)["survey"]
    rows = frame[frame["name"] != ""].set_index("name")
    return {name: row.to_dict() for name, row in rows.iterrows()}


# --------------------------------------------------------------------------- the XForm


@pytest.mark.parametrize("iid", INSTRUMENT_IDS)
def test_form_identity_and_no_pyxform_warnings(forms, iid):
    form = forms[iid]
    inst, root = form["instrument"], form["xml"]
    assert form["warnings"] == []
    data = _instance_root(root)
    assert data.get("id") == iid
    assert data.get("version") == inst.version
    assert root.find(f"{H}head/{H}title").text == inst.title_id


@pytest.mark.parametrize("iid", INSTRUMENT_IDS)
def test_every_field_is_a_bind_in_its_group(forms, iid):
    inst, root = forms[iid]["instrument"], forms[iid]["xml"]
    binds = _binds(root)
    for f in inst.fields:
        assert _field_path(inst, f.name) in binds, f.name
    for meta, preload in (("start", "timestamp"), ("end", "timestamp"), ("today", "date")):
        assert binds[f"/data/{meta}"][f"{JR}preload"] == preload
    # nothing but the fields, the metadata and the instanceID is bound
    assert len(binds) == len(inst.fields) + 3 + 1


@pytest.mark.parametrize("iid", INSTRUMENT_IDS)
def test_both_languages_with_the_instrument_labels(forms, iid):
    inst, root = forms[iid]["instrument"], forms[iid]["xml"]
    texts = _itext(root)
    assert set(texts) == {ID_LANG, EN_LANG}
    defaults = [t.get("lang") for t in root.iter(f"{XF}translation") if t.get("default")]
    assert defaults == [ID_LANG]
    for f in inst.fields:
        key = f"{_field_path(inst, f.name)}:label"
        assert texts[ID_LANG][key] == f.label_id
        assert texts[EN_LANG][key] == f.label_en
        if f.hint_en:
            assert texts[EN_LANG][f"{_field_path(inst, f.name)}:hint"] == f.hint_en
    for group, (label_id, label_en) in inst.groups.items():
        assert texts[ID_LANG][f"/data/{group}:label"] == label_id
        assert texts[EN_LANG][f"/data/{group}:label"] == label_en


@pytest.mark.parametrize("iid", INSTRUMENT_IDS)
def test_required_and_required_when_binds(forms, iid):
    inst, root = forms[iid]["instrument"], forms[iid]["xml"]
    binds = _binds(root)
    conditional = 0
    for f in inst.fields:
        bind = binds[_field_path(inst, f.name)]
        if f.required or f.required_when:
            assert bind.get("required") == "true()", f.name
        else:
            assert "required" not in bind, f.name
        if f.required_when:
            conditional += 1
            trigger = _field_path(inst, f.required_when["field"])
            (value,) = f.required_when["in"]
            assert _squash(bind["relevant"]) == f"{trigger} = '{value}'"
        else:
            assert "relevant" not in bind, f.name
    assert conditional == {"training": 3, "merit": 2, "skm": 0}[iid]


def test_merit_relevant_is_exactly_the_dialogue_condition(forms):
    binds = _binds(forms["merit"]["xml"])
    for name in ("dlg_sessions", "dlg_first_date"):
        bind = binds[f"/data/dialogue/{name}"]
        assert _squash(bind["relevant"]) == "/data/dialogue/dlg_attended = '1'"
        assert bind["required"] == "true()"


@pytest.mark.parametrize("iid", ["training", "merit"])
def test_nip_constraint_and_bilingual_message(forms, iid):
    root = forms[iid]["xml"]
    bind = _binds(root)["/data/profile/nip"]
    assert bind["constraint"] == "regex(., '^[0-9]{18}$')"
    assert bind["type"] == "string"
    texts = _itext(root)
    msg_id = texts[ID_LANG]["/data/profile/nip:jr:constraintMsg"]
    msg_en = texts[EN_LANG]["/data/profile/nip:jr:constraintMsg"]
    assert "18" in msg_id and "18" in msg_en and msg_id != msg_en
    body_input = next(e for e in root.iter(f"{XF}input") if e.get("ref") == "/data/profile/nip")
    assert body_input.get("appearance") == "numbers"


def test_skm_has_no_nip_and_an_unconstrained_optional_name(forms):
    binds = _binds(forms["skm"]["xml"])
    assert not any(k.endswith("/nip") for k in binds)
    name_bind = binds["/data/profile/respondent_name"]
    assert name_bind == {"nodeset": "/data/profile/respondent_name", "type": "string"}


@pytest.mark.parametrize(
    ("iid", "path", "constraint"),
    [
        ("merit", "/data/dialogue/dlg_sessions", ". >= 0 and . <= 60"),
        ("merit", "/data/profile/survey_date", ". >= date('2020-01-01') and . <= today()"),
        ("training", "/data/learning/l2_post_pct", ". >= 0 and . <= 100"),
        ("skm", "/data/service/survey_date", ". >= date('2015-01-01') and . <= today()"),
        ("skm", "/data/profile/age", ". >= 15 and . <= 100"),
    ],
)
def test_bounds_become_constraints(forms, iid, path, constraint):
    root = forms[iid]["xml"]
    assert _binds(root)[path]["constraint"] == constraint
    texts = _itext(root)
    assert texts[ID_LANG][f"{path}:jr:constraintMsg"]
    assert texts[EN_LANG][f"{path}:jr:constraintMsg"]


@pytest.mark.parametrize("iid", INSTRUMENT_IDS)
def test_choice_names_are_the_stored_codes(forms, iid):
    inst, root = forms[iid]["instrument"], forms[iid]["xml"]
    model = root.find(f"{H}head/{XF}model")
    lists = {
        inst_el.get("id"): [item.findtext(f"{XF}name") for item in inst_el.iter(f"{XF}item")]
        for inst_el in model.findall(f"{XF}instance")
        if inst_el.get("id")
    }
    used = {f.list_name for f in inst.fields if f.list_name}
    assert set(lists) == used
    for name in used:
        assert lists[name] == [str(v) for v in inst.choice_list(name).values]


def test_select_types_in_the_xform(forms):
    root = forms["merit"]["xml"]
    selects = {e.get("ref") for e in root.iter(f"{XF}select")}
    assert selects == {"/data/dialogue/dlg_formats"}
    assert "/data/rtc/rtc_rs_1" in {e.get("ref") for e in root.iter(f"{XF}select1")}


def test_edge_instrument_converts(forms):
    form = forms["edge"]
    root, inst = form["xml"], form["instrument"]
    assert form["warnings"] == []
    binds = _binds(root)
    assert binds["/data/grp/nik"]["constraint"] == "regex(., '^[0-9]{16}$')"
    assert _squash(binds["/data/grp_2/kec_detail"]["relevant"]) == (
        "selected( /data/grp/kecamatan , '36.74.01')"
    )
    assert _squash(binds["/data/either"]["relevant"]) == (
        "selected( /data/other/visit , 'online') or selected( /data/other/visit , 'walk_in')"
    )
    assert _squash(binds["/data/mailed"]["relevant"]) == "/data/other/visit = 'by mail'"
    assert _squash(binds["/data/share"]["relevant"]) == "/data/n_visits = 2 or /data/n_visits = 3"
    assert binds["/data/seen_at"]["type"] == "dateTime"
    assert binds["/data/seen_at"]["constraint"] == (
        ". >= decimal-date-time('2024-01-01T08:00:00') and . <= now()"
    )
    assert binds["/data/since"]["constraint"] == ". >= date('2021-06-30')"
    texts = _itext(root)
    assert texts[ID_LANG]["/data/grp_2:label"] == inst.groups["grp"][0]
    assert texts[EN_LANG]["/data/grp_2/kec_detail:hint"] == "=1 means yes"


@pytest.mark.skipif(shutil.which("java") is None, reason="ODK Validate needs a Java runtime")
@pytest.mark.parametrize("iid", [*INSTRUMENT_IDS, "edge"])
def test_odk_validate_accepts_the_form(forms, iid, tmp_path):
    xls2xform = Path(sys.executable).with_name("xls2xform")
    cmd = [str(xls2xform)] if xls2xform.exists() else [sys.executable, "-m", "pyxform.xls2xform"]
    proc = subprocess.run(
        [*cmd, "--odk_validate", "--json", str(forms[iid]["path"]), str(tmp_path / "f.xml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    # xls2xform --json logs its JSON report (to stderr in pyxform 4.5).
    output = proc.stdout + proc.stderr
    reports = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert proc.returncode == 0 and reports, output
    assert reports[-1]["code"] == 100, reports[-1]["message"]
    assert reports[-1]["warnings"] == []


# --------------------------------------------------------------------------- the tables


@pytest.mark.parametrize("iid", INSTRUMENT_IDS)
def test_groups_wrap_their_fields_in_order(iid):
    inst = instruments.load_instrument(iid)
    survey = xlsform.xlsform_tables(inst)["survey"]
    assert survey["type"].tolist()[:3] == ["start", "end", "today"]
    open_group = None
    seen_fields = []
    for type_, name in zip(survey["type"], survey["name"], strict=True):
        if type_ == "begin_group":
            assert open_group is None, "groups must not nest"
            open_group = name
        elif type_ == "end_group":
            assert open_group is not None
            open_group = None
        elif type_ not in xlsform.METADATA_FIELDS:
            assert inst.field(name).group == open_group, name
            seen_fields.append(name)
    assert open_group is None
    assert seen_fields == list(inst.field_names)
    begins = survey.loc[survey["type"] == "begin_group", "name"].tolist()
    assert begins == list(dict.fromkeys(f.group for f in inst.fields))


def test_type_mapping():
    merit = _survey(instruments.load_instrument("merit"))
    training = _survey(instruments.load_instrument("training"))
    skm = _survey(instruments.load_instrument("skm"))
    assert merit["nip"]["type"] == "text"
    assert merit["name"]["type"] == "text"
    assert merit["name"]["constraint"] == ""
    assert merit["opd"]["type"] == "select_one opd"
    assert merit["dlg_formats"]["type"] == "select_multiple dialogue_format"
    assert merit["dlg_sessions"]["type"] == "integer"
    assert merit["survey_date"]["type"] == "date"
    assert training["l2_pre_pct"]["type"] == "decimal"
    assert skm["service_type"]["type"] == "text"


def test_bilingual_columns_and_messages():
    survey = xlsform.xlsform_tables(instruments.load_instrument("merit"))["survey"]
    for stem in ("label", "hint", "required_message", "constraint_message"):
        assert f"{stem}::{ID_LANG}" in survey.columns
        assert f"{stem}::{EN_LANG}" in survey.columns
    row = _survey(instruments.load_instrument("merit"))["dlg_sessions"]
    assert row[f"constraint_message::{ID_LANG}"] == "Nilai harus antara 0 dan 60."
    assert row[f"constraint_message::{EN_LANG}"] == "The value must be between 0 and 60."
    assert row["required"] == "yes"
    assert row[f"required_message::{ID_LANG}"] != row[f"required_message::{EN_LANG}"]


def test_one_sided_and_decimal_bounds_messages(edge):
    rows = _survey(edge)
    assert rows["n_visits"]["constraint"] == ". >= 1"
    assert rows["share"]["constraint"] == ". <= 2.5"
    # Indonesian uses a decimal comma in the message; the expression keeps the point.
    assert "2,5" in rows["share"][f"constraint_message::{ID_LANG}"]
    assert "2.5" in rows["share"][f"constraint_message::{EN_LANG}"]
    assert "2021-06-30" in rows["since"][f"constraint_message::{EN_LANG}"]


def test_choices_sheet():
    merit = instruments.load_instrument("merit")
    choices = xlsform.xlsform_tables(merit)["choices"]
    assert list(choices.columns) == ["list_name", "name", f"label::{ID_LANG}", f"label::{EN_LANG}"]
    by_list = choices.groupby("list_name", sort=False)["name"].apply(list).to_dict()
    assert by_list["yes_no"] == ["1", "0"]
    assert by_list["golongan"][0] == "i_a" and "pppk_01" in by_list["golongan"]
    assert list(by_list) == list(dict.fromkeys(f.list_name for f in merit.fields if f.list_name))
    yes = choices[(choices["list_name"] == "yes_no") & (choices["name"] == "1")].iloc[0]
    assert (yes[f"label::{ID_LANG}"], yes[f"label::{EN_LANG}"]) == ("Ya", "Yes")
    skm = xlsform.xlsform_tables(instruments.load_instrument("skm"))["choices"]
    assert "walk_in" in skm.loc[skm["list_name"] == "channel", "name"].tolist()


@pytest.mark.parametrize(("lang", "title_attr"), [("id", "title_id"), ("en", "title_en")])
def test_settings(lang, title_attr):
    inst = instruments.load_instrument("training")
    settings = xlsform.xlsform_tables(inst, default_language=lang)["settings"]
    assert settings.to_dict("records") == [
        {
            "form_title": getattr(inst, title_attr),
            "form_id": "training",
            "version": inst.version,
            "default_language": xlsform.LANGUAGES[lang],
        }
    ]


def test_default_language_english_in_the_xform(tmp_path):
    inst = instruments.load_instrument("skm")
    path = xlsform.to_xlsform(inst, tmp_path / "skm.xlsx", default_language="en")
    root = ET.fromstring(convert(str(path)).xform)
    defaults = [t.get("lang") for t in root.iter(f"{XF}translation") if t.get("default")]
    assert defaults == [EN_LANG]
    assert root.find(f"{H}head/{H}title").text == inst.title_en


def test_tables_are_deterministic():
    inst = instruments.load_instrument("merit")
    a, b = xlsform.xlsform_tables(inst), xlsform.xlsform_tables(inst)
    for sheet in ("survey", "choices", "settings"):
        assert a[sheet].equals(b[sheet])


# --------------------------------------------------------------------------- the workbook


def test_workbook_holds_the_tables_and_is_byte_identical(tmp_path, edge):
    p1 = xlsform.to_xlsform(edge, tmp_path / "a.xlsx")
    p2 = xlsform.to_xlsform(edge, tmp_path / "b.xlsx")
    assert p1.read_bytes() == p2.read_bytes()
    tables = xlsform.xlsform_tables(edge)
    wb = openpyxl.load_workbook(p1)
    assert wb.sheetnames == ["survey", "choices", "settings"]
    for sheet, frame in tables.items():
        rows = list(wb[sheet].iter_rows(values_only=True))
        assert list(rows[0]) == list(frame.columns)
        got = [["" if v is None else v for v in r] for r in rows[1:]]
        assert got == frame.values.tolist()
    hint_col = list(tables["survey"].columns).index(f"hint::{EN_LANG}") + 1
    cells = [r[hint_col - 1] for r in wb["survey"].iter_rows(min_row=2) if r[hint_col - 1].value]
    assert [(c.value, c.data_type) for c in cells] == [("=1 means yes", "s")]


def test_out_may_be_a_folder(tmp_path):
    path = xlsform.to_xlsform(instruments.load_instrument("skm"), tmp_path)
    assert path == tmp_path / "skm.xlsx" and path.is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["skm.xlsx"]


def test_bad_output_paths(tmp_path):
    inst = instruments.load_instrument("skm")
    with pytest.raises(InputError, match=r"\.xlsx") as err:
        xlsform.to_xlsform(inst, tmp_path / "skm.csv")
    assert err.value.fix and err.value.file
    with pytest.raises(InputError, match="does not exist"):
        xlsform.to_xlsform(inst, tmp_path / "missing" / "skm.xlsx")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- refusals


def _with_list(inst: Instrument, name: str, values: list) -> Instrument:
    choices = tuple(Choice(v, f"label {i}", f"label {i}") for i, v in enumerate(values))
    ordinal = all(isinstance(v, int) for v in values)
    return dataclasses.replace(
        inst, choice_lists={**inst.choice_lists, name: ChoiceList(name, choices, ordinal)}
    )


@pytest.mark.parametrize("bad", ["dialog terbuka", "forum/opd", "it's"])
def test_select_multiple_refuses_an_unsafe_choice_name(bad):
    merit = instruments.load_instrument("merit")
    broken = _with_list(merit, "dialogue_format", ["sosialisasi", bad])
    with pytest.raises(InstrumentError) as err:
        xlsform.xlsform_tables(broken)
    msg = str(err.value)
    assert "'dialogue_format'" in msg and repr(bad) in msg
    assert "select_multiple" in msg and "dlg_formats" in msg
    assert "space-separated" in msg and "Use a code like" in msg


def test_select_multiple_refusal_also_stops_the_file(tmp_path):
    merit = instruments.load_instrument("merit")
    broken = _with_list(merit, "dialogue_format", ["sosialisasi", "dialog terbuka"])
    with pytest.raises(InstrumentError):
        xlsform.to_xlsform(broken, tmp_path / "merit.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_a_spaced_name_is_fine_in_a_select_one(forms):
    # 'by mail' in the edge instrument's select_one list converted above without warnings.
    root = forms["edge"]["xml"]
    names = [i.findtext(f"{XF}name") for i in root.iter(f"{XF}item")]
    assert "by mail" in names


@pytest.mark.parametrize("bad", [" padded", ""])
def test_empty_or_padded_choice_names_are_refused(bad):
    merit = instruments.load_instrument("merit")
    broken = _with_list(merit, "status", ["pns", bad])
    with pytest.raises(InstrumentError, match="'status'"):
        xlsform.xlsform_tables(broken)


def test_bounds_on_a_select_field_are_refused():
    merit = instruments.load_instrument("merit")
    fields = tuple(
        dataclasses.replace(f, minimum=1) if f.name == "opd" else f for f in merit.fields
    )
    with pytest.raises(InstrumentError, match="'opd'.*integer, decimal, date and datetime"):
        xlsform.xlsform_tables(dataclasses.replace(merit, fields=fields))


def test_a_date_bound_on_a_number_is_refused():
    import datetime as dt

    merit = instruments.load_instrument("merit")
    fields = tuple(
        dataclasses.replace(f, maximum=dt.date(2024, 1, 1)) if f.name == "tenure_years" else f
        for f in merit.fields
    )
    with pytest.raises(InstrumentError, match="'tenure_years'.*number"):
        xlsform.xlsform_tables(dataclasses.replace(merit, fields=fields))


def test_unknown_required_when_value_is_refused():
    merit = instruments.load_instrument("merit")
    fields = tuple(
        dataclasses.replace(f, required_when={"field": "dlg_attended", "in": [2]})
        if f.name == "dlg_sessions"
        else f
        for f in merit.fields
    )
    with pytest.raises(InstrumentError, match=r"\['2'\] not among the answers of 'dlg_attended'"):
        xlsform.xlsform_tables(dataclasses.replace(merit, fields=fields))


def test_a_field_named_like_a_metadata_row_is_refused():
    skm = instruments.load_instrument("skm")
    fields = tuple(
        dataclasses.replace(f, name="start") if f.name == "service_type" else f for f in skm.fields
    )
    with pytest.raises(InstrumentError, match="'start' clashes"):
        xlsform.xlsform_tables(dataclasses.replace(skm, fields=fields))


def test_bad_default_language():
    with pytest.raises(ConfigError, match="must be one of: 'id', 'en'; got 'ind'"):
        xlsform.xlsform_tables(instruments.load_instrument("skm"), default_language="ind")
