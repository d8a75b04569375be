"""The wave calendar, load_waves and the demo store (every identifier here is synthetic)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from _helpers import merit_row, write_csv

import asn_research
from asn_research import waves
from asn_research.errors import ConfigError, StoreError, SyntheticDataWarning
from asn_research.waves import WaveCalendar, WaveData, parse_wave, sort_waves, wave_index

# --------------------------------------------------------------------------- calendar


@pytest.mark.parametrize(
    ("wave", "kind", "start", "end"),
    [
        ("2025-1", "semester", "2025-01-01", "2025-06-30"),
        ("2025-2", "semester", "2025-07-01", "2025-12-31"),
        ("2024-Q1", "quarter", "2024-01-01", "2024-03-31"),
        ("2024-q4", "quarter", "2024-10-01", "2024-12-31"),
        ("2024-02", "month", "2024-02-01", "2024-02-29"),
        ("2023-02", "month", "2023-02-01", "2023-02-28"),
        ("2025", "year", "2025-01-01", "2025-12-31"),
    ],
)
def test_regular_wave_ids_have_a_period(wave, kind, start, end):
    p = parse_wave(wave)
    assert (p.kind, p.start.isoformat(), p.end.isoformat()) == (kind, start, end)


@pytest.mark.parametrize("wave", ["2025-13", "2025-00", "2025-2x", "2025-Q5", "25-1",
                                  "baseline", "2025-1 ", "1800-1"])
def test_other_wave_ids_are_refused_with_a_fix(wave):
    with pytest.raises(ConfigError, match="Fix|year"):
        parse_wave(wave)


def test_month_13_names_the_problem():
    with pytest.raises(ConfigError, match="no month 13"):
        parse_wave("2025-13")


def test_period_numbers_count_periods_not_waves():
    idx = wave_index(["2024-1", "2024-2", "2026-1"])
    assert (idx - idx.iloc[0]).tolist() == [0, 1, 4]
    months = wave_index(pd.Series(["2023-11", "2023-12", "2024-01", None]))
    assert months.diff().tolist()[1:3] == [1, 1] and months.isna().tolist()[-1]
    quarters = wave_index(["2024-Q4", "2025-Q1"])
    assert int(quarters.diff().iloc[1]) == 1


def test_mixed_kinds_need_a_unit():
    with pytest.raises(ConfigError, match="several kinds"):
        wave_index(["2024-1", "2024-03"])
    # months counted in semesters: March is in semester 1, July in semester 2
    assert wave_index(["2024-1", "2024-03", "2024-07"], kind="semester").tolist() == \
        [4048, 4048, 4049]


def test_sort_waves_uses_the_calendar_not_string_order():
    # as strings "2024-10" < "2024-2"; in the calendar February comes first
    assert sort_waves(["2024-10", "2024-02", "2024-02"]) == ["2024-02", "2024-10"]


def test_declared_waves_come_from_the_store_calendar_file(tmp_path):
    (tmp_path / "calendar.yaml").write_text(
        "waves:\n  baseline: {start: 2023-07-01, end: 2023-12-31, label: Baseline}\n")
    cal = WaveCalendar.read(tmp_path)
    p = cal.parse("baseline")
    assert (p.kind, p.start, p.label) == ("declared", dt.date(2023, 7, 1), "Baseline")
    assert sort_waves(["2024-1", "baseline"], cal) == ["baseline", "2024-1"]
    assert wave_index(["baseline", "2024-1"], kind="semester", calendar=cal).tolist() == \
        [4047, 4048]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("waves:\n  2024-1: {start: 2024-01-01, end: 2024-06-30}\n", "needs no declaration"),
        ("waves:\n  pilot: {start: 2024-05-01, end: 2024-04-01}\n", "before it starts"),
        ("waves:\n  pilot: {start: 1 May 2024, end: 2024-06-01}\n", "YYYY-MM-DD"),
        ("waves:\n  pilot: {start: 2024-05-01, end: 2024-06-01, colour: red}\n", "unknown"),
        ("wave:\n  pilot: {}\n", "one key"),
        ("waves: [\n", "cannot read"),
    ],
)
def test_a_bad_calendar_file_is_refused(tmp_path, text, match):
    (tmp_path / "calendar.yaml").write_text(text)
    with pytest.raises(ConfigError, match=match):
        WaveCalendar.read(tmp_path)


def test_ingest_refuses_a_wave_id_outside_the_calendar(tmp_path, merit_csv):

    with pytest.raises(ConfigError, match="calendar"):
        waves.ingest_file(merit_csv, instrument="merit", wave="2025-13", store=tmp_path / "s")
    assert not (tmp_path / "s" / "manifest.json").exists()
    (tmp_path / "s").mkdir(exist_ok=True)
    (tmp_path / "s" / "calendar.yaml").write_text(
        "waves:\n  baseline: {start: 2025-01-01, end: 2025-03-31}\n")
    res = waves.ingest_file(merit_csv, instrument="merit", wave="baseline",
                            store=tmp_path / "s")
    assert res.status == "stored"


def test_cli_refuses_a_bad_wave_id_with_exit_code_2(tmp_path, merit_csv):
    from click.testing import CliRunner

    from asn_research.cli import main

    r = CliRunner().invoke(main, ["ingest", str(merit_csv), "-i", "merit", "-w", "2025-2x",
                                  "--store", str(tmp_path / "s")])
    assert r.exit_code == 2
    assert "calendar" in r.output and "Traceback" not in r.output


# --------------------------------------------------------------------------- load_waves


def test_load_waves_returns_every_current_wave_with_provenance(demo_store, merit_waves):
    listed = asn_research.waves.store.list_waves(demo_store.store)
    listed = listed[listed["instrument"] == "merit"]
    assert merit_waves.waves == ["2024-1", "2024-2", "2025-1", "2025-2", "2026-1"]
    assert len(merit_waves.frame) == listed["rows_stored"].sum()
    assert list(merit_waves.sources.columns) == list(waves.SOURCE_COLUMNS)
    assert merit_waves.sources["rows_stored"].sum() == len(merit_waves.frame)
    assert merit_waves.synthetic and merit_waves.frame.attrs["synthetic"]
    # scored: every scale of the instrument, plus its answered-item count
    inst = asn_research.instruments.load_instrument("merit")
    for sc in inst.scales:
        assert merit_waves.frame[sc.name].dtype == "Float64"
        assert f"{sc.name}__n_answered" in merit_waves.frame
    # the stored schema: pseudonyms, never a clear identifier
    assert "nip" not in merit_waves.frame and "name" not in merit_waves.frame
    assert merit_waves.frame["respondent_key"].str.startswith("p_").all()


def test_load_waves_until_and_subsets_follow_the_calendar(demo_store):
    with pytest.warns(SyntheticDataWarning):
        upto = asn_research.load_waves("skm", store=demo_store.store, until="2023-2",
                                       scored=False)
    assert upto.waves[0] == "2023-01" and upto.waves[-1] == "2023-12"
    assert len(upto.waves) == 12
    with pytest.warns(SyntheticDataWarning):
        two = asn_research.load_waves("merit", ["2025-1", "2024-1"], store=demo_store.store)
    assert two.waves == ["2024-1", "2025-1"]  # calendar order, not the order asked
    assert two.frame["wave"].iloc[0] == "2024-1"


def test_load_waves_says_what_the_store_holds(demo_store):
    with pytest.raises(StoreError, match="it holds: 2024-1, 2024-2"):
        asn_research.load_waves("merit", "2023-1", store=demo_store.store)
    with pytest.raises(StoreError, match="holds no 'nosuch' waves"):
        asn_research.load_waves("nosuch", store=demo_store.store)
    with pytest.raises(ConfigError, match="calendar"):
        asn_research.load_waves("merit", store=demo_store.store, until="2025-13")


def test_load_waves_uses_the_default_store_like_the_cli(tmp_path, monkeypatch, merit_csv):

    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError, match="no store"):
        asn_research.load_waves("merit")
    waves.ingest_file(merit_csv, instrument="merit", wave="2025-1")  # into data/store
    data = asn_research.load_waves("merit")
    assert data.store.as_posix() == "data/store" and not data.synthetic
    assert data.waves == ["2025-1"] and len(data.frame) == 12


def test_load_waves_refuses_a_table_changed_after_ingest(tmp_path, merit_csv):

    res = waves.ingest_file(merit_csv, instrument="merit", wave="2025-1", store=tmp_path)
    table = tmp_path / res.entry["table_path"]
    frame = pd.read_parquet(table)
    frame.iloc[:5].to_parquet(table)
    with pytest.raises(StoreError, match="checksum"):
        asn_research.load_waves("merit", store=tmp_path)


def test_load_waves_unscored_is_the_stored_schema(tmp_path):
    from asn_research.waves import store

    path = write_csv(tmp_path / "m.csv", [merit_row(i) for i in range(5)])
    waves.ingest_file(path, instrument="merit", wave="2025-2", store=tmp_path / "s")
    data = asn_research.load_waves("merit", store=tmp_path / "s", scored=False)
    stored = store.read_wave("merit", "2025-2", store=tmp_path / "s")
    pd.testing.assert_frame_equal(data.frame, stored, check_flags=False)


# --------------------------------------------------------------------------- demo store


def test_the_demo_store_accounts_for_every_row(demo_store):
    assert demo_store.rows_read == demo_store.rows_stored + demo_store.rows_quarantined
    assert demo_store.rows_quarantined == demo_store.expected_quarantined > 0
    assert (demo_store.waves_dir / "truth.json").is_file()
    assert demo_store.truth["synthetic"] is True
    key = demo_store.root / "demo-pseudonym.key"
    assert key.stat().st_mode & 0o077 == 0


def test_the_demo_never_touches_the_users_key_file(demo_store, tmp_path):
    import os

    from asn_research.simulate import demo_key

    # the test environment's key file does not exist, and the demo did not create it
    assert not os.path.exists(os.environ["ASN_RESEARCH_KEY_FILE"])
    fingerprints = {e["key_fingerprint"]
                    for e in asn_research.waves.store.read_manifest(demo_store.store)["ingests"]}
    assert fingerprints == {demo_key(2026).fingerprint}


def test_a_demo_of_the_same_seed_is_byte_identical(demo_store, demo_twin):
    """A fresh build from the same seed gives the same bytes; a rebuild of an existing demo
    of the same seed reuses it untouched."""
    from asn_research.simulate import demo_store as build

    def snapshot(root):
        return {p.relative_to(root).as_posix(): p.read_bytes()
                for p in sorted(root.rglob("*")) if p.is_file() and p.name != ".lock"}

    assert demo_twin.rebuilt
    assert snapshot(demo_twin.store) == snapshot(demo_store.store)
    before = snapshot(demo_twin.store)
    reused = build(demo_twin.root, seed=2026, size="small")
    assert not reused.rebuilt and snapshot(reused.store) == before


def test_a_folder_that_is_not_a_demo_is_refused(tmp_path):
    from asn_research.errors import InputError
    from asn_research.simulate import demo_store as build

    (tmp_path / "mine.txt").write_text("important")
    with pytest.raises(InputError, match="does not hold an earlier demo"):
        build(tmp_path, seed=1)
    assert (tmp_path / "mine.txt").exists()


def test_rows_of_a_wave_are_those_a_selection_gives():
    frame = pd.DataFrame({"wave": pd.array(["2024-1", "2024-1", "2024-2", None, "2024-2"],
                                           dtype="str"), "x": [1, 2, 3, 4, 5]})
    sources = pd.DataFrame({"wave": ["2024-1", "2024-2"]})
    for f in (frame, frame.iloc[[2, 0, 4, 1, 3]]):  # as loaded, and reordered
        d = WaveData("merit", f, sources, synthetic=False, store=Path("store"))
        for wave in ("2024-1", "2024-2", "2025-1"):
            pd.testing.assert_frame_equal(d.rows(wave), f[f["wave"] == wave])
        pd.testing.assert_frame_equal(d.rows(), f[f["wave"] == "2024-2"])
    rows = WaveData("merit", frame, sources, synthetic=False, store=Path("store")).rows()
    rows.loc[rows.index[0], "x"] = 99  # copy-on-write: the loaded frame stays as it is
    assert frame["x"].tolist() == [1, 2, 3, 4, 5]
