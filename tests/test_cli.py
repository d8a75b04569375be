"""The command line as a user meets it: help, clean errors, exit codes, no identifiers."""

from __future__ import annotations

import json

import pytest
from _helpers import merit_row, write_csv
from click.testing import CliRunner

from asn_research.cli import main


@pytest.fixture
def run():
    runner = CliRunner()

    def _run(*args):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return _run


def test_help_lists_verbs_and_exit_codes(run):
    r = run("--help")
    assert r.exit_code == 0
    for verb in ("instruments", "validate", "ingest", "waves", "quarantine", "simulate", "demo"):
        assert verb in r.output
    assert "Exit codes" in r.output
    for verb in ("validate", "ingest", "waves", "simulate", "demo"):
        assert run(verb, "--help").exit_code == 0


def test_instruments_json(run):
    r = run("instruments", "--json")
    assert r.exit_code == 0
    items = json.loads(r.output)
    assert [(i["id"], i["version"]) for i in items] == [
        ("merit", "1.0.0"),
        ("skm", "1.0.0"),
        ("training", "1.0.0"),
    ]
    assert run("instruments", "show", "skm").exit_code == 0


def test_unknown_instrument_exit_3(run, tmp_path, merit_csv):
    r = run("validate", merit_csv, "--instrument", "merrit")
    assert r.exit_code == 3
    assert "unknown instrument 'merrit'" in r.output and "Traceback" not in r.output


def test_validate_writes_nothing(run, tmp_path, merit_csv, monkeypatch):
    monkeypatch.delenv("ASN_RESEARCH_KEY")
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    r = run("validate", merit_csv, "--instrument", "merit")
    assert r.exit_code == 0, r.output
    assert "read 12, valid 12, would be quarantined 0" in r.output
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # no store, no key file


def test_ingest_then_waves_then_refusal_exit_4(run, tmp_path, merit_csv):
    st = tmp_path / "store"
    r = run("ingest", merit_csv, "-i", "merit", "-w", "2025-1", "--store", st)
    assert r.exit_code == 0, r.output
    assert "read 12, stored 12, quarantined 0" in r.output
    r = run("waves", "--store", st)
    assert "merit" in r.output and "2025-1" in r.output
    other = write_csv(tmp_path / "m2.csv", [merit_row(i) for i in range(3)])
    r = run("ingest", other, "-i", "merit", "-w", "2025-1", "--store", st)
    assert r.exit_code == 4 and "--replace" in r.output
    r = run("ingest", other, "-i", "merit", "-w", "2025-1", "--store", st, "--replace")
    assert r.exit_code == 0 and "v2" in r.output


def test_quarantine_report_strict_and_no_identifier_in_output(run, tmp_path):
    rows = [merit_row(i) for i in range(6)]
    rows[2]["nip"] = "1.97501012E+17"
    rows[4]["rtc_rs_3"] = "0"
    path = write_csv(tmp_path / "m.csv", rows)
    report = tmp_path / "problems.csv"
    r = run(
        "ingest",
        path,
        "-i",
        "merit",
        "-w",
        "2025-1",
        "--store",
        tmp_path / "s",
        "--report",
        report,
        "--strict",
    )
    assert r.exit_code == 6
    assert "read 6, stored 4, quarantined 2" in r.output
    assert "row 4, column 'nip'" in r.output and "row 6, column 'rtc_rs_3'" in r.output
    text = r.output + report.read_text()
    for row in rows:
        assert row["nip"] not in text and row["name"] not in text


def test_unreadable_file_exit_1_without_traceback(run, tmp_path):
    bad = tmp_path / "garbage.csv"
    bad.write_bytes(bytes(range(256)) * 4)
    r = run("ingest", bad, "-i", "merit", "-w", "2025-1", "--store", tmp_path / "s")
    assert r.exit_code == 1
    assert "garbage.csv" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "s" / "manifest.json").exists()
    r = run("validate", tmp_path / "missing.csv", "-i", "merit")
    assert r.exit_code == 1 and "missing.csv" in r.output


def test_usage_error_exit_2(run, merit_csv):
    r = run("ingest", merit_csv, "-i", "merit")  # no --wave
    assert r.exit_code == 2 and "--wave" in r.output


def test_bad_wave_id_is_a_usage_error(run, merit_csv, tmp_path):
    r = run("ingest", merit_csv, "-i", "merit", "-w", "../evil", "--store", tmp_path / "s")
    assert r.exit_code == 2 and "wave id" in r.output
    assert not (tmp_path / "s").exists()


def test_report_may_not_overwrite_input_or_store(run, merit_csv, tmp_path):
    st = tmp_path / "s"
    assert run("ingest", merit_csv, "-i", "merit", "-w", "2025-1", "--store", st).exit_code == 0
    manifest = (st / "manifest.json").read_bytes()
    original = merit_csv.read_bytes()
    r = run("validate", merit_csv, "-i", "merit", "--report", merit_csv)
    assert r.exit_code == 2 and "overwrite the input" in r.output
    assert merit_csv.read_bytes() == original
    r = run(
        "ingest",
        merit_csv,
        "-i",
        "merit",
        "-w",
        "2025-2",
        "--store",
        st,
        "--report",
        st / "problems.csv",
    )
    assert r.exit_code == 2 and "outside the store" in r.output
    r = run("validate", merit_csv, "-i", "merit", "--report", tmp_path / "nope" / "r.csv")
    assert r.exit_code == 2 and "does not exist" in r.output
    r = run(
        "ingest",
        merit_csv,
        "-i",
        "merit",
        "-w",
        "2025-3",
        "--store",
        st,
        "--report",
        tmp_path / "nope" / "r.csv",
    )
    assert r.exit_code == 2
    assert (st / "manifest.json").read_bytes() == manifest  # nothing stored before refusing


def test_quiet_prints_nothing_on_success(run, merit_csv, tmp_path):
    r = run("-q", "ingest", merit_csv, "-i", "merit", "-w", "2025-1", "--store", tmp_path / "s")
    assert r.exit_code == 0 and r.output == ""


def test_waves_on_a_missing_store_exit_4(run, tmp_path):
    r = run("waves", "--store", tmp_path / "typo")
    assert r.exit_code == 4 and "there is no store" in r.output


def test_sheet_option_reads_a_later_sheet(run, tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Petunjuk"
    wb.active.append(["Isi data di lembar berikutnya"])
    ws = wb.create_sheet("Data")
    rows = [merit_row(i) for i in range(3)]
    ws.append(list(rows[0]))
    for row in rows:
        ws.append(list(row.values()))
    path = tmp_path / "two_sheets.xlsx"
    wb.save(path)
    r = run("validate", path, "-i", "merit")
    assert r.exit_code == 1 and "'Data'" in r.output and "--sheet" in r.output
    r = run("validate", path, "-i", "merit", "--sheet", "Data")
    assert r.exit_code == 0 and "read 3, valid 3" in r.output
    assert run("validate", path, "-i", "merit", "--sheet", "1").exit_code == 0


def test_broken_pipe_is_not_an_internal_error(tmp_path):
    import subprocess
    import sys

    cli = [sys.executable, "-c", "from asn_research.cli import main; main()"]
    p1 = subprocess.Popen(
        [*cli, "instruments", "show", "merit"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    p1.stdout.read(10)
    p1.stdout.close()
    err = p1.stderr.read().decode()
    p1.stderr.close()
    assert p1.wait() in (0, 141) and "internal error" not in err


def test_quarantine_lists_and_exports_rejected_rows(run, tmp_path):
    rows = [merit_row(i) for i in range(5)]
    rows[2]["rtc_rs_1"] = "9"
    st = tmp_path / "s"
    run("ingest", write_csv(tmp_path / "m.csv", rows), "-i", "merit", "-w", "2025-1",
        "--store", st)
    r = run("quarantine", "-i", "merit", "-w", "2025-1", "--store", st)
    assert r.exit_code == 0 and "row 4 [rtc_rs_1]: code 9 is not one of" in r.output
    out = tmp_path / "q.csv"
    assert run("quarantine", "-i", "merit", "-w", "2025-1", "--store", st, "--out", out
               ).exit_code == 0
    text = out.read_text()
    assert "code 9" in text and rows[2]["nip"] not in text and rows[2]["name"] not in text
    r = run("quarantine", "-i", "merit", "-w", "2030-1", "--store", st)
    assert r.exit_code == 4


def test_export_xlsform_via_cli(run, tmp_path):
    out = tmp_path / "merit.xlsx"
    r = run("instruments", "export", "merit", "--xlsform", out)
    assert r.exit_code == 0 and out.stat().st_size > 0
    r = run("instruments", "export", "merit", "--xlsform", tmp_path)
    assert r.exit_code == 0 and (tmp_path / "merit.xlsx").exists()
    r = run("instruments", "export", "merit", "--xlsform", tmp_path / "merit.csv")
    assert r.exit_code == 2 and ".xlsx" in r.output
