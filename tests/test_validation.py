"""Row-level validation against an instrument: every row read is stored or quarantined."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from _helpers import merit_row, synthetic_nip, write_csv

from asn_research import instruments, privacy, waves
from asn_research.errors import InputError
from asn_research.waves.pseudonymize import pseudonymize_result

TODAY = dt.date(2026, 11, 27)


@pytest.fixture(scope="module")
def merit():
    return instruments.load_instrument("merit")


def _validate(path, inst, key=True, **kw):
    raw = waves.read_wave_file(path, instrument=inst)
    res = waves.validate_wave(raw, inst, reference_date=TODAY, **kw)
    return pseudonymize_result(res, inst, privacy.load_key()) if key else res


def _issue(res, row):
    got = res.issues[res.issues["source_row"] == row]
    assert len(got), f"no issue for row {row}: {res.issues.to_dict('records')}"
    return " | ".join(got["column"] + ": " + got["reason"] + " FIX " + got["fix"])


def test_clean_file_is_stored_typed_and_pseudonymized(tmp_path, merit):
    path = write_csv(tmp_path / "m.csv", [merit_row(i) for i in range(9)])
    res = _validate(path, merit)
    assert (res.rows_read, res.rows_valid, res.rows_quarantined) == (9, 9, 0)
    v = res.valid
    assert "nip" not in v.columns and "name" not in v.columns
    assert v["respondent_key"].str.fullmatch(r"p_[0-9a-f]{24}").all()
    assert v["name_key"].notna().all()
    assert v["respondent_key"].is_unique
    assert v["source_row"].tolist() == list(range(2, 11))  # header is line 1
    assert str(v["rtc_rs_1"].dtype) == "Int16"
    assert v["rtc_rs_1"].tolist() == [1 + i % 6 for i in range(9)]
    assert v["survey_date"].iloc[0] == pd.Timestamp("2025-03-10")
    assert str(v["dlg_sessions"].dtype) == "Int64"
    # select_multiple -> one boolean per option; unanswered stays NA
    assert v.loc[1, "dlg_formats__sosialisasi"] is True or v.loc[1, "dlg_formats__sosialisasi"]
    assert not v.loc[1, "dlg_formats__konsultasi"]
    assert pd.isna(v.loc[0, "dlg_formats__daring"])


def test_labels_and_aliases_map_to_codes(tmp_path, merit):
    rows = [
        merit_row(
            0,
            rtc_rs_1="Sangat Setuju",
            rtc_rs_2="strongly disagree",
            rtc_rs_3="  cenderung   SETUJU ",
            rtc_rs_4="SS",
            opd="Dinas Kesehatan",
            status="Pegawai Negeri Sipil",
            sex="Laki-laki",
            dlg_attended="Tidak",
        )
    ]
    res = _validate(write_csv(tmp_path / "m.csv", rows), merit)
    assert res.rows_valid == 1, res.issues
    r = res.valid.iloc[0]
    assert (r["rtc_rs_1"], r["rtc_rs_2"], r["rtc_rs_3"], r["rtc_rs_4"]) == (6, 1, 4, 6)
    assert r["opd"] == "dinkes" and r["status"] == "pns" and r["sex"] == 1
    assert r["dlg_attended"] == 0


def test_bad_rows_are_quarantined_with_row_column_reason_and_fix(tmp_path, merit):
    rows = [merit_row(i) for i in range(8)]
    rows[1]["rtc_er_2"] = "7"  # out of range (line 3)
    rows[2]["sup_1"] = "Setuju sekali"  # unknown label (line 4)
    rows[3]["opd"] = ""  # required missing (line 5)
    rows[4]["dlg_attended"] = "1"
    rows[4]["dlg_sessions"] = ""  # required_when (line 6)
    rows[5]["survey_date"] = "2027-01-05"  # future (line 7)
    rows[6]["birth_year"] = "abc"  # not a number (line 8)
    res = _validate(write_csv(tmp_path / "m.csv", rows), merit)
    assert res.rows_read == 8 and res.rows_valid == 2 and res.rows_quarantined == 6
    assert "rtc_er_2: code 7 is not one of the allowed codes 1–6" in _issue(res, 3)
    assert "sup_1: answer 'Setuju sekali' is not an allowed answer" in _issue(res, 4)
    assert "opd: required answer is missing" in _issue(res, 5)
    assert "dlg_sessions: answer is missing but required because dlg_attended is 1" in _issue(
        res, 6
    )
    assert "survey_date: date is in the future" in _issue(res, 7)
    assert "birth_year: not a number" in _issue(res, 8)
    q = res.quarantine
    assert q["source_row"].tolist() == [3, 4, 5, 6, 7, 8]
    assert (q["fixes"].str.len() > 0).all()
    assert "nip" not in q.columns and "name" not in q.columns
    assert q["respondent_key"].notna().all()


def test_duplicate_respondent_keeps_first_and_names_its_row(tmp_path, merit):
    rows = [merit_row(i) for i in range(4)]
    rows.append(merit_row(1, survey_date="2025-03-11"))  # same NIP as line 3, at line 6
    res = _validate(write_csv(tmp_path / "m.csv", rows), merit)
    assert (res.rows_valid, res.rows_quarantined) == (4, 1)
    assert "duplicate respondent: same nip as row 3" in _issue(res, 6)


def test_nip_checks_and_no_identifier_in_any_message(tmp_path, merit):
    good = synthetic_nip(40, sex=2)
    rows = [merit_row(i) for i in range(6)]
    rows[0]["nip"] = "1.97501012000011E+17"  # Excel scientific notation
    rows[1]["nip"] = rows[1]["nip"][:-1]  # 17 digits
    rows[2]["sex"] = "2"  # NIP says male
    rows[3]["status"] = "pppk"  # NIP is PNS-format
    rows[4]["nip"] = "19751301" + rows[4]["nip"][8:]  # month 13 in birth date
    rows[5]["nip"] = good
    rows[5]["sex"] = "2"
    rows[5]["birth_year"] = good[:4]
    res = _validate(write_csv(tmp_path / "m.csv", rows), merit)
    assert res.rows_valid == 1 and res.rows_quarantined == 5
    assert "Excel" in _issue(res, 2) and "Text" in _issue(res, 2)
    for line in range(2, 7):
        assert "nip" in _issue(res, line)
    text = res.issues.to_string() + res.quarantine.to_string()
    for r in rows:
        assert r["nip"] not in text and r["nip"][:12] not in text
        assert r["name"] not in text


def test_missing_required_column_rejects_the_file(tmp_path, merit):
    rows = [{k: v for k, v in merit_row(i).items() if k != "status"} for i in range(3)]
    path = write_csv(tmp_path / "m.csv", rows)
    with pytest.raises(InputError) as ei:
        _validate(path, merit)
    msg = str(ei.value)
    assert "m.csv" in msg and "status" in msg and "Fix:" in msg


def test_wrong_instrument_is_a_clear_error(tmp_path, merit):
    skm = instruments.load_instrument("skm")
    path = write_csv(tmp_path / "m.csv", [merit_row(0)])
    with pytest.raises(InputError, match="required column"):
        _validate(path, skm)


def test_unknown_columns_are_reported_not_stored(tmp_path, merit):
    rows = [merit_row(i, telepon="0812000000") for i in range(3)]
    res = _validate(write_csv(tmp_path / "m.csv", rows), merit)
    assert res.ignored_columns == ("telepon",)
    assert "telepon" not in res.valid.columns
    assert any("telepon" in n for n in res.notes)


def test_semicolon_decimal_comma_and_day_first_dates(tmp_path):
    training = instruments.load_instrument("training")
    row = {
        "nip": synthetic_nip(5),
        "opd": "bkpsdm",
        "status": "pns",
        "sex": "1",
        "survey_date": "05/03/2025",
        "group": "trained",
        "training_topic": "Komunikasi efektif",
        "training_start": "03/03/2025",
        "training_end": "2025-03-05",
        "l2_pre_pct": "42,5",
        "l2_post_pct": "80",
    }
    path = write_csv(tmp_path / "t.csv", [row], delimiter=";", encoding="cp1252")
    res = _validate(path, training, allow_missing=["reaction", "behaviour"])
    assert res.rows_valid == 1, res.issues
    v = res.valid.iloc[0]
    assert v["l2_pre_pct"] == 42.5 and v["survey_date"] == pd.Timestamp("2025-03-05")
    assert v["training_topic"] == "communication"


def test_kobo_style_export_with_option_columns_and_duplicate_uuid(tmp_path, merit):
    rows = []
    for i in range(4):
        r = merit_row(i)
        kobo = {
            f"{merit.field(k).group}/{k}" if k in merit.field_names else k: v
            for k, v in r.items()
            if k != "dlg_formats"
        }
        kobo["dialogue/dlg_formats"] = r["dlg_formats"]
        for opt in ("sosialisasi", "daring", "konsultasi"):
            kobo[f"dialogue/dlg_formats/{opt}"] = "1" if opt in r["dlg_formats"] else "0"
        kobo.update(
            {
                "_uuid": f"uuid-{i}",
                "_submission_time": "2025-03-10T08:00:00",
                "_index": str(i + 1),
                "_id": str(100 + i),
            }
        )
        rows.append(kobo)
    dup = dict(rows[2])
    dup["_index"] = "5"
    rows.append(dup)
    path = write_csv(tmp_path / "kobo.csv", rows, delimiter=";")
    res = _validate(path, merit)
    assert res.rows_read == 5 and res.rows_quarantined == 1
    issue = _issue(res, 6)
    assert "duplicate" in issue
    v = res.valid
    assert v["submission_id"].tolist() == ["uuid-0", "uuid-1", "uuid-2", "uuid-3"]
    assert v.loc[1, "dlg_formats__daring"] and not v.loc[1, "dlg_formats__konsultasi"]
    assert any("_index" in n for n in res.notes)


def test_pseudonymization_is_its_own_step(tmp_path, merit):
    """The checks keep the checked identifiers in clear (never written); the ingest step
    pseudonymize_result replaces them, in place, in both tables."""
    rows = [merit_row(0), merit_row(1, opd="no_such_opd")]
    res = _validate(write_csv(tmp_path / "m.csv", rows), merit, key=False)
    assert not res.pseudonymized and "respondent_key" not in res.valid.columns
    assert res.valid["nip"].tolist() == [merit_row(0)["nip"]]
    assert res.quarantine["nip"].tolist() == [merit_row(1)["nip"]]
    done = pseudonymize_result(res, merit, privacy.load_key())
    assert done.pseudonymized
    for table in (done.valid, done.quarantine):
        assert "nip" not in table and "name" not in table
        assert table["respondent_key"].str.startswith("p_").all()
    assert list(done.valid.columns[:3]) == ["source_row", "respondent_key", "name_key"]
    with pytest.raises(ValueError, match="already"):
        pseudonymize_result(done, merit, privacy.load_key())


def test_misspelled_and_absent_columns_are_named(tmp_path, merit):
    rows = [
        {("rtc_rs1" if k == "rtc_rs_1" else k): v for k, v in merit_row(i).items()}
        for i in range(3)
    ]
    path = write_csv(tmp_path / "m.csv", rows)
    # a scale item without a column is refused, naming the header that was not recognised
    with pytest.raises(InputError) as err:
        _validate(path, merit)
    assert err.value.column == "rtc_rs_1" and err.value.file == "m.csv"
    assert "'rtc_rs1'" in err.value.fix and "--allow-missing rtc_rs_1" in err.value.fix
    assert "--columns" in err.value.fix
    # ...unless the user accepts it; then the near miss is pointed out in the notes
    res = _validate(path, merit, allow_missing=["rtc_rs_1"])
    assert res.rows_valid == 3 and res.missing_allowed == ("rtc_rs_1",)
    text = " | ".join(res.notes)
    assert "stored empty: rtc_rs_1" in text
    assert "did you mean 'rtc_rs_1' for the column 'rtc_rs1'?" in text


def test_wrong_instrument_suggests_the_right_one(tmp_path):
    training = instruments.load_instrument("training")
    path = write_csv(tmp_path / "m.csv", [merit_row(i) for i in range(2)])
    with pytest.raises(InputError, match="use --instrument merit"):
        _validate(path, training)


def test_duplicate_of_a_quarantined_row_is_stored_with_a_note(tmp_path, merit):
    rows = [merit_row(i) for i in range(4)]
    rows[1]["rtc_rs_1"] = "9"  # first copy is bad (line 3)...
    rows.append(merit_row(1))  # ...a corrected copy follows (line 6)
    res = _validate(write_csv(tmp_path / "m.csv", rows), merit)
    assert (res.rows_valid, res.rows_quarantined) == (4, 1)
    assert any("share their nip with a quarantined row (stored rows 6)" in n for n in res.notes)


def test_select_multiple_names_the_bad_option_and_flags_disagreement(tmp_path, merit):
    rows = [merit_row(i) for i in range(1, 4)]
    rows[0]["dlg_formats"] = "sosialisasi zoom"
    res = _validate(write_csv(tmp_path / "m.csv", rows), merit)
    assert "not allowed: 'zoom'" in _issue(res, 2)
    kobo = [dict(merit_row(1), **{"dlg_formats/daring": "1", "dlg_formats/sosialisasi": "0"})]
    kobo[0]["dlg_formats"] = "sosialisasi"
    res = _validate(write_csv(tmp_path / "k.csv", kobo), merit)
    assert res.rows_valid == 1
    assert any("disagree" in n for n in res.notes)
    assert res.valid.loc[0, "dlg_formats__daring"] and res.valid.loc[0, "dlg_formats__sosialisasi"]


def test_plain_duplicate_gives_no_shared_key_note(tmp_path, merit):
    rows = [merit_row(i) for i in range(3)] + [merit_row(1)]
    res = _validate(write_csv(tmp_path / "m.csv", rows), merit)
    assert res.rows_quarantined == 1
    assert not any("share their" in n for n in res.notes)


def test_identifier_in_the_wrong_column_never_reaches_a_message_or_table(tmp_path, merit):
    nik = "3674051203850002"  # a synthetic NIK typed into an answer column
    nip_elsewhere = synthetic_nip(77)
    rows = [merit_row(i) for i in range(3)]
    rows[0]["opd"] = nip_elsewhere
    rows[1]["rtc_rs_1"] = nik
    rows[2]["dlg_formats"] = f"sosialisasi {nik}"
    res = _validate(write_csv(tmp_path / "m.csv", rows), merit)
    assert res.rows_quarantined == 3
    text = res.issues.to_csv() + res.quarantine.to_csv() + " ".join(res.notes)
    assert nik not in text and nip_elsewhere not in text
    assert "[number withheld]" in text


def test_kobo_metadata_is_not_kept_in_the_quarantine(tmp_path, merit):
    rows = [dict(merit_row(i), _geolocation="[-6.2912, 106.7101]", deviceid="collect:abc",
                 _submitted_by="enumerator_x", _uuid=f"u{i}") for i in range(2)]
    rows[0]["rtc_rs_1"] = "9"
    res = _validate(write_csv(tmp_path / "m.csv", rows), merit)
    q = res.quarantine
    assert res.rows_quarantined == 1
    assert {"_geolocation", "deviceid", "_submitted_by"}.isdisjoint(q.columns)
    assert "_uuid" in q.columns


def test_nan_text_in_a_number_field_is_not_silently_missing(tmp_path, merit):
    rows = [merit_row(1, dlg_sessions="nan"), merit_row(2)]
    res = _validate(write_csv(tmp_path / "m.csv", rows), merit)
    assert res.rows_quarantined == 1
    assert "dlg_sessions: not a number" in _issue(res, 2)


def test_multiline_answer_is_shown_on_one_line(tmp_path, merit):
    rows = [merit_row(1, opd="din\nkes")]
    res = _validate(write_csv(tmp_path / "m.csv", rows), merit)
    reason = res.issues["reason"].iloc[0]
    assert "\n" not in reason and "'din kes'" in reason


@pytest.mark.parametrize(
    ("over", "expect"),
    [
        ({"golongan": "III"}, "a PPPK grade is given but the status is PNS"),
        ({"tenure_years": "10,000"}, "thousands separator"),
        ({"tenure_years": "1.000"}, "thousands separator"),
    ],
)
def test_domain_and_number_pitfalls_are_quarantined(tmp_path, merit, over, expect):
    res = _validate(write_csv(tmp_path / "m.csv", [merit_row(1, **over)]), merit)
    assert res.rows_quarantined == 1 and expect in _issue(res, 2)


def test_numeric_spellings_of_codes_and_local_dates(tmp_path, merit):
    rows = [merit_row(1, rtc_rs_1="05", rtc_rs_2="+3", rtc_rs_3="4.00",
                      survey_date="2025-03-10T01:00+07:00", dlg_formats=",")]
    res = _validate(write_csv(tmp_path / "m.csv", rows), merit)
    assert res.rows_valid == 1, res.issues
    v = res.valid.iloc[0]
    assert (v["rtc_rs_1"], v["rtc_rs_2"], v["rtc_rs_3"]) == (5, 3, 4)
    assert v["survey_date"] == pd.Timestamp("2025-03-10")  # the local day, not UTC
    assert pd.isna(v["dlg_formats__daring"])  # "," alone is no answer
