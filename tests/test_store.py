"""The wave store: layout, manifest, versions, no-op re-ingest, atomicity, privacy."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import stat

import pandas as pd
import pytest
from _helpers import all_text_under, merit_row, write_csv

from asn_research import waves
from asn_research.errors import (
    ConfigError,
    InputError,
    PrivacyError,
    StoreError,
    UnreadableFileError,
)
from asn_research.waves import store

TODAY = dt.date(2026, 11, 27)


def _ingest(path, st, **kw):
    return waves.ingest_file(
        path, instrument="merit", wave="2025-1", store=st, reference_date=TODAY, **kw
    )


def test_ingest_writes_layout_and_manifest(tmp_path, merit_csv):
    st = tmp_path / "store"
    res = _ingest(merit_csv, st)
    assert res.status == "stored" and res.version == 1
    assert (res.rows_read, res.rows_stored, res.rows_quarantined) == (12, 12, 0)
    man = json.loads((st / "manifest.json").read_text())
    (e,) = man["ingests"]
    assert set(store.MANIFEST_FIELDS) <= set(e)
    assert e["raw_sha256"] == store.sha256_file(merit_csv)
    assert e["table_sha256"] == store.sha256_file(st / e["table_path"])
    assert e["quarantine_sha256"] == store.sha256_file(st / e["quarantine_path"])
    assert e["synthetic"] is False and e["current"] is True
    assert e["table_path"] == "processed/merit/2025-1/v1.parquet"
    raw = st / e["raw_path"]
    assert raw.read_bytes() == merit_csv.read_bytes()
    assert stat.S_IMODE(raw.stat().st_mode) == 0o400
    assert stat.S_IMODE((st / "raw").stat().st_mode) == 0o700
    df = store.read_wave("merit", "2025-1", store=st)
    assert len(df) == 12 and (df["wave"] == "2025-1").all()


def test_reingest_same_file_is_a_noop(tmp_path, merit_csv):
    st = tmp_path / "store"
    _ingest(merit_csv, st)
    before = (st / "manifest.json").read_bytes()
    res = _ingest(merit_csv, st)
    assert res.status == "unchanged" and res.version == 1
    assert (st / "manifest.json").read_bytes() == before


def test_different_file_needs_replace_and_keeps_old_version(tmp_path, merit_csv):
    st = tmp_path / "store"
    _ingest(merit_csv, st)
    other = write_csv(tmp_path / "merit_fixed.csv", [merit_row(i) for i in range(5)])
    with pytest.raises(StoreError, match="--replace"):
        _ingest(other, st)
    res = _ingest(other, st, replace=True)
    assert res.status == "replaced" and res.version == 2
    assert len(store.read_wave("merit", "2025-1", store=st)) == 5
    assert len(store.read_wave("merit", "2025-1", store=st, version=1)) == 12
    allv = store.list_waves(st, all_versions=True)
    assert allv["current"].tolist() == [False, True]
    assert len(store.list_waves(st)) == 1


def test_quarantine_is_kept_and_counts_add_up(tmp_path):
    rows = [merit_row(i) for i in range(10)]
    rows[3]["rtc_rs_1"] = "9"
    rows[7]["opd"] = "dinas tidak ada"
    path = write_csv(tmp_path / "m.csv", rows)
    st = tmp_path / "store"
    res = _ingest(path, st)
    assert (res.rows_read, res.rows_stored, res.rows_quarantined) == (10, 8, 2)
    q = store.read_quarantine("merit", "2025-1", store=st)
    assert q["source_row"].tolist() == [5, 9]
    assert q.loc[0, "rtc_rs_1"] == "9"  # a wrong code is shown
    # not an answer, and could be personal text: withheld (the data owner gets the original
    # values with `quarantine --originals`)
    assert q.loc[1, "opd"] == "[text withheld: it could be personal]"
    assert q.loc[1, "status"] == "pns"  # valid answers stay


def test_text_that_could_be_a_name_is_withheld_in_the_quarantine(tmp_path):
    rows = [merit_row(i) for i in range(4)]
    rows[1]["opd"] = "Siti Aminah"  # a name typed into an answer column
    rows[2]["sex"] = "Aminah"
    path = write_csv(tmp_path / "m.csv", rows)
    st = tmp_path / "store"
    res = _ingest(path, st)
    q = store.read_quarantine("merit", "2025-1", store=st)
    assert q["opd"].tolist()[0] == q["sex"].tolist()[1] == "[text withheld: it could be personal]"
    text = " ".join(res.issues["reason"]) + q.to_csv()
    assert "Aminah" not in text


def test_unreadable_file_writes_nothing(tmp_path):
    st = tmp_path / "store"
    bad = tmp_path / "empty.csv"
    bad.write_bytes(b"")
    with pytest.raises(UnreadableFileError):
        _ingest(bad, st)
    assert not (st / "manifest.json").exists()
    rows = [{k: v for k, v in merit_row(i).items() if k != "nip"} for i in range(2)]
    with pytest.raises(InputError, match="nip"):
        _ingest(write_csv(tmp_path / "nonip.csv", rows), st)
    assert not (st / "manifest.json").exists()
    assert not (st / "raw").exists()


def test_interrupted_ingest_leaves_store_as_it_was(tmp_path, merit_csv, monkeypatch):
    st = tmp_path / "store"
    _ingest(merit_csv, st)
    before = (st / "manifest.json").read_bytes()
    other = write_csv(tmp_path / "m2.csv", [merit_row(i) for i in range(3)])
    calls = {"n": 0}
    import asn_research.waves.ingest as ingest_mod

    real = ingest_mod.write_table

    def flaky(df, dest):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # killed between writing the table and the quarantine
        return real(df, dest)

    monkeypatch.setattr(ingest_mod, "write_table", flaky)
    with pytest.raises(KeyboardInterrupt):
        _ingest(other, st, replace=True)
    assert (st / "manifest.json").read_bytes() == before
    assert len(store.read_wave("merit", "2025-1", store=st)) == 12
    monkeypatch.setattr(ingest_mod, "write_table", real)
    res = _ingest(other, st, replace=True)  # the store still works afterwards
    assert res.version == 2 and len(store.read_wave("merit", "2025-1", store=st)) == 3


def test_synthetic_files_are_recognized_by_the_simulate_manifest(tmp_path, merit_csv):
    folder = merit_csv.parent
    (folder / "manifest.json").write_text(
        json.dumps(
            {
                "synthetic": True,
                "files": [
                    {
                        "file": merit_csv.name,
                        "instrument": "merit",
                        "wave": "2025-1",
                        "synthetic": True,
                        "sha256": store.sha256_file(merit_csv),
                    }
                ],
            }
        )
    )
    res = _ingest(merit_csv, tmp_path / "store")
    assert res.synthetic is True and res.entry["synthetic"] is True
    # an edited file is no longer the simulated one
    edited = write_csv(folder / "other.csv", [merit_row(1)])
    res2 = waves.ingest_file(
        edited, instrument="merit", wave="2025-2", store=tmp_path / "store", reference_date=TODAY
    )
    assert res2.synthetic is False


def test_no_identifier_outside_raw(tmp_path):
    rows = [merit_row(i) for i in range(20)]
    rows[4]["rtc_rs_1"] = "8"  # a quarantined row keeps its answers...
    rows[9]["nip"] = "1,97501012E+17"  # ...and a damaged NIP must not leak either
    path = write_csv(tmp_path / "m.csv", rows)
    st = tmp_path / "store"
    _ingest(path, st)
    text = all_text_under(st, exclude="raw")
    for df in (
        store.read_wave("merit", "2025-1", store=st),
        store.read_quarantine("merit", "2025-1", store=st),
    ):
        text += df.to_csv()
    for r in rows:
        assert r["nip"] not in text
        assert r["name"] not in text


def test_bad_wave_id_and_missing_wave(tmp_path, merit_csv):
    with pytest.raises(ConfigError, match="wave id"):
        waves.ingest_file(merit_csv, instrument="merit", wave="../etc", store=tmp_path / "s")
    _ingest(merit_csv, tmp_path / "s")
    with pytest.raises(StoreError, match="holds no merit wave 2030-1"):
        store.read_wave("merit", "2030-1", store=tmp_path / "s")


def test_missing_store_is_an_error_not_an_empty_list(tmp_path):
    with pytest.raises(StoreError, match="there is no store at"):
        store.list_waves(tmp_path / "typo")
    (tmp_path / "empty").mkdir()
    df = store.list_waves(tmp_path / "empty")
    assert isinstance(df, pd.DataFrame) and df.empty


def test_a_different_key_is_refused_unless_allowed(tmp_path, merit_csv, monkeypatch):
    st = tmp_path / "store"
    _ingest(merit_csv, st)
    other = write_csv(tmp_path / "m2.csv", [merit_row(i) for i in range(3)])
    monkeypatch.setenv("ASN_RESEARCH_KEY", "f" * 64)
    with pytest.raises(PrivacyError, match="not the one this store was built with"):
        waves.ingest_file(other, instrument="merit", wave="2025-2", store=st, reference_date=TODAY)
    assert len(store.list_waves(st)) == 1
    res = waves.ingest_file(
        other, instrument="merit", wave="2025-2", store=st, reference_date=TODAY, allow_new_key=True
    )
    assert any("different pseudonymization key" in n for n in res.notes)
    assert "f" * 64 not in (st / "manifest.json").read_text()


def test_same_file_under_another_wave_is_flagged(tmp_path, merit_csv):
    st = tmp_path / "store"
    _ingest(merit_csv, st)
    res = waves.ingest_file(
        merit_csv, instrument="merit", wave="2025-01", store=st, reference_date=TODAY
    )
    assert any("also stored as merit wave(s) 2025-1" in n for n in res.notes)


def test_simulated_file_stays_synthetic_when_copied(tmp_path):
    from asn_research.simulate import simulate

    out = tmp_path / "sim"
    simulate(out, seed=3, size="small")
    src = next((out / "merit").glob("merit_2024-1*"))
    copy = tmp_path / "elsewhere" / src.name
    copy.parent.mkdir()
    copy.write_bytes(src.read_bytes())  # no manifest.json beside it any more
    res = waves.ingest_file(
        copy, instrument="merit", wave="2024-1", store=tmp_path / "st", reference_date=TODAY
    )
    assert res.synthetic is True
    assert any("SYNTHETIC" in n for n in res.notes)
    assert "_synthetic" not in store.read_wave("merit", "2024-1", store=tmp_path / "st").columns


def test_sheet_and_instrument_version_are_part_of_the_same_file_check(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "A"
    for title, n in (("A", 3), ("B", 5)):
        ws = wb.active if title == "A" else wb.create_sheet(title)
        rows = [merit_row(i) for i in range(n)]
        ws.append(list(rows[0]))
        for row in rows:
            ws.append(list(row.values()))
    path = tmp_path / "two.xlsx"
    wb.save(path)
    st = tmp_path / "s"
    waves.ingest_file(path, instrument="merit", wave="2025-1", store=st, sheet="A",
                      reference_date=TODAY)
    with pytest.raises(StoreError, match="--replace"):
        waves.ingest_file(path, instrument="merit", wave="2025-1", store=st, sheet="B",
                          reference_date=TODAY)
    res = waves.ingest_file(path, instrument="merit", wave="2025-1", store=st, sheet="B",
                            replace=True, reference_date=TODAY)
    assert res.status == "replaced" and res.rows_stored == 5
    assert res.entry["sheet"] == "B"


def test_a_file_saved_again_during_ingest_stores_what_was_validated(tmp_path, merit_csv,
                                                                    monkeypatch):
    """The file is read once: the raw copy, its hash in the manifest and the stored rows all
    come from those bytes, even if the file on disk changes while ingest runs."""
    st = tmp_path / "s"
    original = merit_csv.read_bytes()
    import asn_research.waves.read as read_mod

    real_read = read_mod.read_wave_file

    def read_then_someone_saves(path, **kw):
        table = real_read(path, **kw)
        with open(path, "ab") as fh:  # the file on disk is no longer what was read
            fh.write(b"one more line typed meanwhile\n")
        return table

    monkeypatch.setattr(read_mod, "read_wave_file", read_then_someone_saves)
    res = _ingest(merit_csv, st)
    entry = res.entry
    assert entry["raw_sha256"] == hashlib.sha256(original).hexdigest()
    assert (st / entry["raw_path"]).read_bytes() == original
    assert res.rows_read == len(original.splitlines()) - 1


def test_unusable_store_folder_is_a_store_error(tmp_path, merit_csv):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot use"):
        waves.ingest_file(merit_csv, instrument="merit", wave="2025-1", store=blocker,
                          reference_date=TODAY)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "manifest.json").write_text('{"format": "asn-research-store"}')
    with pytest.raises(StoreError, match="not an asn-research store manifest"):
        store.list_waves(bad)
