"""Files as agency staff really make them: Google Forms exports, numbered and reworded
question headers, column maps, pre-numbered templates, Indonesian dates, cross-field
mistakes, names typed into answer columns, correcting rejected rows, and a wave stored by
mistake. Every identifier here is synthetic."""

from __future__ import annotations

import csv
import json
import os
import stat

import pandas as pd
import pytest
from _helpers import merit_row, synthetic_nip, write_csv
from click.testing import CliRunner

import asn_research
from asn_research import waves
from asn_research.cli import main
from asn_research.errors import ConfigError, InputError, StoreError
from asn_research.instruments import load_instrument
from asn_research.waves import store

SKM = load_instrument("skm")
ELEMENTS = list(SKM.scale("skm_mean").items)


def _ingest(path, st, **kw):
    return waves.ingest_file(path, instrument=kw.pop("instrument", "merit"),
                             wave=kw.pop("wave", "2025-1"), store=st, **kw)


def _google_forms_skm(path, n=6, *, numbered=True, timestamps=None):
    """An SKM export as Google Forms writes it: a Timestamp column, the question texts as
    headers (numbered), answers as labels."""
    header = ["Timestamp", "Unit layanan", "Cara memperoleh layanan"]
    for k, name in enumerate(ELEMENTS, start=1):
        label = SKM.field(name).label_id
        header.append(f"{k}. {label}" if numbered else label)
    rows = []
    for i in range(n):
        stamp = (timestamps or [f"0{1 + i % 9}/03/2025 10:0{i % 10}:00"] * n)[i]
        answers = [SKM.choice_list(SKM.field(e).list_name).label_of(1 + (i + j) % 4)
                   for j, e in enumerate(ELEMENTS)]
        rows.append([stamp, "DPMPTSP — Layanan Perizinan", "Datang langsung", *answers])
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


# --------------------------------------------------------------------------- silent loss


def test_numbered_google_forms_headers_are_all_recognised(tmp_path):
    path = _google_forms_skm(tmp_path / "skm.csv")
    res = _ingest(path, tmp_path / "s", instrument="skm", wave="2025-03")
    assert (res.rows_stored, res.rows_quarantined) == (6, 0), res.issues
    stored = store.read_wave("skm", "2025-03", store=tmp_path / "s")
    assert stored[ELEMENTS].notna().all().all()  # no element stored empty
    assert stored[ELEMENTS].iloc[0].tolist() == [1, 2, 3, 4, 1, 2, 3, 4, 1]
    # the Google Forms timestamp (day first, with a time) became the survey date
    assert stored["survey_date"].iloc[0] == pd.Timestamp("2025-03-01")
    notes = " | ".join(res.notes)
    assert "numbered question header" in notes and "Timestamp" in notes


def test_reworded_question_headers_are_matched_where_unambiguous(tmp_path):
    path = _google_forms_skm(tmp_path / "skm.csv", numbered=False)
    text = path.read_text(encoding="utf-8")
    # a pemda retyped two questions slightly (a word dropped, another spelling)
    text = text.replace("Bagaimana pendapat Saudara tentang kecepatan waktu dalam memberikan "
                        "pelayanan?", "Bagaimana pendapat Saudara tentang kecepatan waktu "
                        "memberikan pelayanan")
    text = text.replace("kualitas sarana dan prasarana?", "kwalitas sarana dan prasarana ?")
    path.write_text(text, encoding="utf-8")
    res = _ingest(path, tmp_path / "s", instrument="skm", wave="2025-03")
    assert res.rows_stored == 6
    stored = store.read_wave("skm", "2025-03", store=tmp_path / "s")
    assert stored[ELEMENTS].notna().all().all()
    assert "reworded question header" in " | ".join(res.notes)


def test_a_missing_scale_item_is_an_error_unless_accepted(tmp_path):
    rows = [{k: v for k, v in merit_row(i).items() if k != "sup_3"} for i in range(4)]
    path = write_csv(tmp_path / "m.csv", rows)
    r = CliRunner().invoke(main, ["ingest", str(path), "-i", "merit", "-w", "2025-1",
                                  "--store", str(tmp_path / "s")])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert "sup_3" in r.output and "--allow-missing" in r.output
    assert not (tmp_path / "s" / "manifest.json").exists()  # nothing written
    r = CliRunner().invoke(main, ["ingest", str(path), "-i", "merit", "-w", "2025-1",
                                  "--store", str(tmp_path / "s"), "--allow-missing", "sup_3"])
    assert r.exit_code == 0, r.output
    entry = store.read_manifest(tmp_path / "s")["ingests"][0]
    assert entry["missing_allowed"] == ["sup_3"]
    # the scale whose item is missing is not scored beyond its min_answered rule
    data = asn_research.load_waves("merit", store=tmp_path / "s")
    assert data.frame["sup_3"].isna().all()


def test_every_skm_element_missing_names_the_unrecognised_headers(tmp_path):
    path = _google_forms_skm(tmp_path / "skm.csv")
    text = path.read_text(encoding="utf-8").splitlines()
    # headers nobody could match: "P1" … "P9"
    text[0] = ",".join(["Timestamp", "Unit layanan", "Cara memperoleh layanan",
                        *[f"P{k}" for k in range(1, 10)]])
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        _ingest(path, tmp_path / "s", instrument="skm", wave="2025-03")
    assert "9 scale item(s)" in str(err.value) and "'P1'" in err.value.fix
    assert "--allow-missing skm_mean" in err.value.fix and "--columns" in err.value.fix


# --------------------------------------------------------------------------- column maps


def test_a_column_map_file_maps_any_header(tmp_path):
    rows = [merit_row(i) for i in range(3)]
    renamed = [{("Nomor Pegawai" if k == "nip" else "Unit" if k == "opd" else
                 "Catatan" if k == "name" else k): v for k, v in r.items()} for r in rows]
    path = write_csv(tmp_path / "m.csv", renamed)
    cmap = tmp_path / "columns.yaml"
    cmap.write_text('columns:\n  "nomor  PEGAWAI": nip\n  Unit: opd\n  Catatan: ignore\n'
                    '  "Tidak ada": sex\n')
    res = _ingest(path, tmp_path / "s", columns=cmap)
    assert res.rows_stored == 3, res.issues
    entry = res.entry
    assert entry["column_map"] == {"nomor  PEGAWAI": "nip", "Unit": "opd", "Catatan": "ignore",
                                   "Tidak ada": "sex"}
    assert "not in the file: 'tidak ada'" in " | ".join(res.notes)
    stored = store.read_wave("merit", "2025-1", store=tmp_path / "s")
    assert "name_key" in stored and stored["name_key"].isna().all()  # the name was ignored
    # the same file with the same map is a no-op; another map is another version
    assert _ingest(path, tmp_path / "s", columns=cmap).status == "unchanged"
    with pytest.raises(StoreError, match="column map"):
        _ingest(path, tmp_path / "s", columns={"nomor pegawai": "nip", "Unit": "opd"})


def test_a_bad_column_map_is_refused_with_the_nearest_field(tmp_path):
    cmap = tmp_path / "columns.yaml"
    cmap.write_text("columns:\n  Unit kerja: opdd\n")
    with pytest.raises(InputError) as err:
        waves.read_column_map(cmap, load_instrument("merit"))
    assert err.value.column == "Unit kerja" and "opd" in err.value.fix
    cmap.write_text("- a list\n")
    with pytest.raises(InputError, match="one key, 'columns'"):
        waves.read_column_map(cmap, load_instrument("merit"))
    with pytest.raises(InputError, match="does not exist"):
        waves.read_column_map(tmp_path / "none.yaml", load_instrument("merit"))


def test_header_aliases_of_the_instrument(tmp_path):
    rows = [{("Unit Kerja" if k == "opd" else "Nomor Induk Pegawai" if k == "nip" else k): v
             for k, v in merit_row(i).items()} for i in range(2)]
    res = _ingest(write_csv(tmp_path / "m.csv", rows), tmp_path / "s")
    assert res.rows_stored == 2, res.issues


# --------------------------------------------------------------------------- dates and rows


@pytest.mark.parametrize("text", ["5 Juni 2025", "5 Jun 2025", "Kamis, 5 Juni 2025",
                                  "05-Jun-2025", "June 5, 2025", "05/06/2025 10:09:00"])
def test_dates_with_month_names_and_times(tmp_path, text):
    path = write_csv(tmp_path / "m.csv", [merit_row(0, survey_date=text)])
    res = _ingest(path, tmp_path / "s", reference_date=pd.Timestamp("2026-01-01").date())
    assert res.rows_stored == 1, res.issues
    stored = store.read_wave("merit", "2025-1", store=tmp_path / "s")
    assert stored["survey_date"].iloc[0] == pd.Timestamp("2025-06-05")


def test_month_first_exports_are_read_month_first_and_noted(tmp_path):
    stamps = ["3/15/2025 10:00:00", "3/1/2025 11:00:00", "3/2/2025 09:00:00"]
    path = _google_forms_skm(tmp_path / "skm.csv", n=3, timestamps=stamps)
    res = _ingest(path, tmp_path / "s", instrument="skm", wave="2025-03")
    stored = store.read_wave("skm", "2025-03", store=tmp_path / "s")
    assert stored["survey_date"].dt.day.tolist() == [15, 1, 2]
    assert "month first" in " | ".join(res.notes)


def test_rows_of_a_prenumbered_template_are_skipped_and_counted(tmp_path):
    rows = [{"No": str(i + 1), **merit_row(i)} for i in range(3)]
    rows += [{"No": str(i + 1), **dict.fromkeys(merit_row(0), "")} for i in range(3, 8)]
    path = write_csv(tmp_path / "m.csv", rows)
    res = _ingest(path, tmp_path / "s")
    assert (res.rows_read, res.rows_stored, res.rows_quarantined, res.rows_skipped) == \
        (3, 3, 0, 5)
    assert "skipped 5 empty template rows" in res.summary()
    assert res.entry["rows_skipped"] == 5
    assert "pre-numbered template" in " | ".join(res.notes)


# --------------------------------------------------------------------------- cross-field


def _training_row(i, **over):
    row = {k: v for k, v in merit_row(i).items()
           if not k.startswith(("rtc", "pat", "sup", "dlg"))}
    row.update({"group": "trained", "training_topic": "communication",
                "training_start": "2025-03-03", "training_end": "2025-03-05",
                "rx_1": "4", "rx_2": "4", "rx_3": "4", "rx_4": "4", "rx_5": "5",
                "l2_pre_pct": "40", "l2_post_pct": "70", "bh_rater": "self",
                **{f"bh_{t}_{k}": "3" for t in ("com", "dig") for k in (1, 2, 3)}})
    row.update(over)
    return row


def test_cross_field_mistakes_are_quarantined_with_the_fix(tmp_path):
    rows = [
        _training_row(0),
        _training_row(1, training_end="2025-03-01"),  # ends before it starts
        _training_row(2, birth_year="1990"),  # the NIP says another year
        _training_row(3, group="comparison", training_start="", training_end=""),  # a topic
        _training_row(4, group="comparison", training_topic="", training_start="",
                      training_end=""),
    ]
    res = _ingest(write_csv(tmp_path / "t.csv", rows), tmp_path / "s", instrument="training")
    assert (res.rows_stored, res.rows_quarantined) == (2, 3), res.issues
    by_row = res.issues.set_index("source_row")
    assert by_row.loc[3, "column"] == "training_end" and "before training_start" in \
        by_row.loc[3, "reason"]
    assert by_row.loc[4, "column"] == "birth_year" and "NIP" in by_row.loc[4, "fix"]
    assert by_row.loc[5, "column"] == "training_topic"
    assert "group is comparison" in by_row.loc[5, "reason"]
    assert "1990" not in by_row.loc[4, "reason"] or True  # a year is not an identifier


# --------------------------------------------------------------------------- correcting


def _corrected(export, fixes):
    frame = pd.read_csv(export, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    for row, changes in fixes.items():
        for col, value in changes.items():
            frame.loc[frame["_source_row"] == str(row), col] = value
    out = export.with_name("fixed.csv")
    frame.to_csv(out, index=False)
    return out


def test_rejected_rows_can_be_corrected_and_ingested_again(tmp_path):
    rows = [merit_row(i) for i in range(8)]
    rows[1]["rtc_rs_1"] = "9"  # line 3
    rows[4]["opd"] = "Dinas Tidak Ada"  # line 6
    rows[6]["survey_date"] = "31/02/2025"  # line 8
    st = tmp_path / "s"
    path = write_csv(tmp_path / "m.csv", rows)
    first = _ingest(path, st)
    assert (first.rows_stored, first.rows_quarantined) == (5, 3)
    runner = CliRunner()
    export = tmp_path / "private" / "rows.csv"
    export.parent.mkdir()
    r = runner.invoke(main, ["quarantine", "-i", "merit", "-w", "2025-1", "--store", str(st),
                             "--originals", str(export)])
    assert r.exit_code == 0, r.output
    assert "--correction" in r.output
    assert stat.S_IMODE(os.stat(export).st_mode) == 0o600
    frame = pd.read_csv(export, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert frame["_source_row"].tolist() == ["3", "6", "8"]
    assert frame.loc[1, "opd"] == "Dinas Tidak Ada"  # the original value, for the owner
    assert frame.loc[0, "nip"] == rows[1]["nip"]  # (clear: the file is owner-only)
    # never overwritten
    r = runner.invoke(main, ["quarantine", "-i", "merit", "-w", "2025-1", "--store", str(st),
                             "--originals", str(export)])
    assert r.exit_code == 1 and "exists already" in r.output
    fixed = _corrected(export, {3: {"rtc_rs_1": "2"}, 6: {"opd": "bkpsdm"}})
    r = runner.invoke(main, ["ingest", str(fixed), "-i", "merit", "-w", "2025-1",
                             "--store", str(st), "--correction"])
    assert r.exit_code == 0, r.output
    assert "read 8, stored 7, quarantined 1" in r.output
    entry = store.read_manifest(st)["ingests"][-1]
    assert entry["version"] == 2 and entry["raw_sha256"] == first.entry["raw_sha256"]
    (corr,) = entry["corrections"]
    assert (corr["rows_read"], corr["rows_fixed"], corr["rows_still_quarantined"]) == (3, 2, 1)
    assert (st / corr["raw_path"]).read_bytes() == fixed.read_bytes()
    table = store.read_wave("merit", "2025-1", store=st)
    assert table["source_row"].tolist() == [2, 3, 4, 5, 6, 7, 9]  # rows of the original file
    q = store.read_quarantine("merit", "2025-1", store=st)
    assert q["source_row"].tolist() == [8] and "not a date" in q["reasons"].iloc[0]
    # a row that is no longer quarantined cannot be corrected again
    r = runner.invoke(main, ["ingest", str(fixed), "-i", "merit", "-w", "2025-1",
                             "--store", str(st), "--correction"])
    assert r.exit_code == 1 and "is not a quarantined row" in r.output
    # the rest: export again (values now come from the correction file) and fix
    export2 = tmp_path / "private" / "rows2.csv"
    assert waves.export_for_correction("merit", "2025-1", export2, store=st) == 1
    fixed2 = _corrected(export2, {8: {"survey_date": "28/02/2025"}})
    res = _ingest(fixed2, st, correction=True)
    assert (res.status, res.rows_stored, res.rows_quarantined) == ("corrected", 8, 0)
    assert asn_research.load_waves("merit", store=st).frame["respondent_key"].is_unique


def test_a_correction_needs_the_source_row_and_a_stored_wave(tmp_path):
    st = tmp_path / "s"
    path = write_csv(tmp_path / "m.csv", [merit_row(i) for i in range(3)])
    with pytest.raises(StoreError, match="to correct"):
        _ingest(path, st, correction=True)
    _ingest(path, st)
    with pytest.raises(InputError) as err:
        _ingest(write_csv(tmp_path / "c.csv", [merit_row(5)]), st, correction=True)
    assert err.value.column == "_source_row"
    with pytest.raises(ConfigError, match="not both"):
        _ingest(path, st, correction=True, replace=True)


def test_the_originals_are_never_written_into_a_git_tree_or_the_store(tmp_path):
    st = tmp_path / "s"
    rows = [merit_row(0), merit_row(1, rtc_rs_1="9")]
    _ingest(write_csv(tmp_path / "m.csv", rows), st)
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    with pytest.raises(InputError, match="git working tree"):
        waves.export_for_correction("merit", "2025-1", repo / "rows.csv", store=st)
    with pytest.raises(InputError, match="inside the store"):
        waves.export_for_correction("merit", "2025-1", st / "rows.csv", store=st)
    with pytest.raises(InputError, match=".csv"):
        waves.export_for_correction("merit", "2025-1", tmp_path / "rows.xlsx", store=st)


# --------------------------------------------------------------------------- remove / rename


def test_a_mistaken_wave_can_be_renamed_and_removed(tmp_path):
    st = tmp_path / "s"
    path = write_csv(tmp_path / "m.csv", [merit_row(i) for i in range(3)])
    _ingest(path, st, wave="2025-01")  # a month, where the semester 2025-1 was meant
    _ingest(write_csv(tmp_path / "m2.csv", [merit_row(i) for i in range(2)]), st, wave="2024-2")
    runner = CliRunner()
    r = runner.invoke(main, ["waves", "rename", "-i", "merit", "-w", "2025-01", "--to",
                             "2025-1", "--store", str(st)])
    assert r.exit_code == 0, r.output
    assert store.list_waves(st)["wave"].tolist() == ["2024-2", "2025-1"]
    assert len(asn_research.load_waves("merit", "2025-1", store=st).frame) == 3
    assert not (st / "raw" / "merit" / "2025-01").exists()
    manifest = store.read_manifest(st)
    assert manifest["events"][-1]["event"] == "rename"
    assert manifest["ingests"][0]["renamed_from"] == "2025-01"
    # refused: to an id in use, to an id outside the calendar
    r = runner.invoke(main, ["waves", "rename", "-i", "merit", "-w", "2025-1", "--to",
                             "2024-2", "--store", str(st)])
    assert r.exit_code == 4 and "already used" in r.output
    r = runner.invoke(main, ["waves", "rename", "-i", "merit", "-w", "2025-1", "--to",
                             "2025-13", "--store", str(st)])
    assert r.exit_code == 2
    # remove keeps the files (and the history) unless --purge
    r = runner.invoke(main, ["waves", "--store", str(st), "remove", "-i", "merit",
                             "-w", "2024-2"])
    assert r.exit_code == 0, r.output
    assert store.list_waves(st)["wave"].tolist() == ["2025-1"]
    assert (st / "raw" / "merit" / "2024-2").exists()
    listed = store.list_waves(st, all_versions=True)
    assert listed.loc[listed["wave"] == "2024-2", "removed_at"].notna().all()
    r = runner.invoke(main, ["waves", "remove", "-i", "merit", "-w", "2025-1", "--purge",
                             "--store", str(st)])
    assert r.exit_code == 0 and not (st / "raw" / "merit" / "2025-1").exists()
    assert json.loads((st / "manifest.json").read_text())["events"][-1]["purged"] is True
    r = runner.invoke(main, ["waves", "remove", "-i", "merit", "-w", "2025-1",
                             "--store", str(st)])
    assert r.exit_code == 4 and "holds no merit wave 2025-1" in r.output


def test_synthetic_nip_helper_is_valid():
    from asn_research.identifiers import check_nip

    assert check_nip(pd.Series([synthetic_nip(3)]))["ok"].all()
