from __future__ import annotations

import textwrap

import pytest

from asn_research import instruments
from asn_research.errors import InstrumentError

SKM_ELEMENTS = ["persyaratan", "prosedur", "waktu", "biaya", "produk", "kompetensi",
                "perilaku", "pengaduan", "sarana"]


@pytest.mark.parametrize("iid", ["training", "merit", "skm"])
def test_instruments_load_with_bilingual_labels(iid):
    inst = instruments.load_instrument(iid)
    assert inst.id == iid and inst.version.count(".") == 2
    for f in inst.fields:
        assert f.label_id.strip() and f.label_en.strip(), f.name
    for cl in inst.choice_lists.values():
        for c in cl.choices:
            assert c.label_id.strip() and c.label_en.strip(), (cl.name, c.value)
    assert inst.required_fields
    assert inst.date_field in inst.field_names


def test_list_instruments_sorted():
    assert [i.id for i in instruments.list_instruments()] == ["merit", "skm", "training"]


def test_merit_has_four_oreg_subscales_and_reverse_items():
    m = instruments.load_instrument("merit")
    total = m.scale("resistance")
    assert total.subscales == ("resistance_routine_seeking", "resistance_emotional_reaction",
                               "resistance_short_term_focus", "resistance_cognitive_rigidity")
    assert len(total.items) == 17  # 5/4/4/4 after Oreg (2003)
    assert set(total.reverse) == {"rtc_rs_2", "rtc_cr_4"}
    assert m.choices_of("rtc_rs_1").values == (1, 2, 3, 4, 5, 6)
    assert m.choices_of("rtc_rs_1").label_of(6, "id") == "Sangat setuju"
    assert m.identifier_fields == ("nip", "name")
    assert m.respondent_id == "nip"
    assert m.field("dlg_sessions").required_when == {"field": "dlg_attended", "in": [1]}


def test_skm_elements_follow_permenpanrb_14_2017():
    s = instruments.load_instrument("skm")
    assert [f for f in SKM_ELEMENTS if f in s.field_names] == SKM_ELEMENTS
    for e in SKM_ELEMENTS:
        assert s.choices_of(e).values == (1, 2, 3, 4)
    # exact labels of the regulation's sample questionnaire (docs/skm.md)
    assert s.choices_of("biaya").label_of(4, "id") == "Gratis"
    assert s.choices_of("biaya").label_of(1, "id") == "Sangat mahal"
    assert s.choices_of("pengaduan").label_of(2, "id") == "Ada tetapi tidak berfungsi"
    assert s.choices_of("perilaku").label_of(3, "id") == "Sopan dan ramah"
    assert s.respondent_id is None and "nip" not in s.field_names
    assert s.choices_of("channel").values == ("online", "walk_in")


def test_tangsel_lookups():
    m = instruments.load_instrument("merit")
    opd = m.choice_list("opd").values
    assert len(opd) == len(set(opd)) >= 25
    assert {"bkpsdm", "dpmptsp", "disdukcapil"} <= set(opd)
    assert len([v for v in opd if str(v).startswith("kec_")]) == 7
    assert len(m.choice_list("golongan").values) == 17 + 17  # PNS I/a..IV/e, PPPK I..XVII


def _write(tmp_path, text, name="demo.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_unquoted_comma_in_flow_label_is_caught(tmp_path):
    p = _write(tmp_path, """\
        id: demo
        version: 1.0.0
        title: {id: Judul, en: Title}
        fields:
          - {name: q1, type: text, label: {id: Satu, dua, en: One, two}}
        """)
    with pytest.raises(InstrumentError, match="Quote labels"):
        instruments.load_instrument(p)


def test_id_must_match_file_name_and_lists_must_exist(tmp_path):
    p = _write(tmp_path, """\
        id: other
        version: 1.0.0
        title: {id: Judul, en: Title}
        fields:
          - {name: q1, type: text, label: {id: Satu, en: One}}
        """)
    with pytest.raises(InstrumentError, match="must equal the file name"):
        instruments.load_instrument(p)
    p = _write(tmp_path, """\
        id: demo
        version: 1.0.0
        title: {id: Judul, en: Title}
        fields:
          - {name: q1, type: select_one, list: nope, label: {id: Satu, en: One}}
        """)
    with pytest.raises(InstrumentError, match="unknown choice list 'nope'"):
        instruments.load_instrument(p)


def test_unknown_instrument_lists_known_ones():
    with pytest.raises(InstrumentError, match="known instruments: merit, skm, training"):
        instruments.load_instrument("merrit")
