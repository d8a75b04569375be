"""Reading messy wave files: the malformed corpus, row numbers, KoboToolbox headers, privacy.

Every identifier here is synthetic (tests/data/malformed/make_corpus.py).
"""

from __future__ import annotations

import csv
import importlib.util
import io
import logging
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from asn_research import instruments, waves
from asn_research.errors import ConfigError, InputError, UnreadableFileError

CORPUS = Path(__file__).parent / "data" / "malformed"
_spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
make_corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_corpus)

NIPS = make_corpus.NIPS
SHORT = make_corpus.MERIT_SHORT
FAST = "read with the fast parser (pyarrow)"


@pytest.fixture(scope="module")
def merit():
    return instruments.load_instrument("merit")


@pytest.fixture(scope="module")
def skm():
    return instruments.load_instrument("skm")


@pytest.fixture(scope="module")
def training():
    return instruments.load_instrument("training")


def _instrument_for(name: str):
    prefix = name.split("_")[0]
    if prefix in ("merit", "skm", "training"):
        return instruments.load_instrument(prefix)
    return None


def read(name: str, **kw) -> waves.RawTable:
    kw.setdefault("instrument", _instrument_for(name))
    return waves.read_wave_file(CORPUS / name, **kw)


def col(raw: waves.RawTable, name: str) -> list:
    return [None if pd.isna(v) else v for v in raw.data[name].tolist()]


def assert_uniform(raw: waves.RawTable) -> None:
    """The contract every RawTable keeps, whatever the file."""
    assert isinstance(raw.data.index, pd.RangeIndex)
    assert all(str(t) == "str" for t in raw.data.dtypes)
    assert raw.source_rows.dtype == np.int64
    assert len(raw.source_rows) == len(raw.data)
    assert list(raw.bad_rows.columns) == ["source_row", "reason", "fix"]
    assert raw.bad_rows["source_row"].dtype == np.int64
    assert raw.n_rows_read == len(raw.data) + len(raw.bad_rows)
    assert list(raw.headers) == list(raw.data.columns)
    for v in raw.data.stack().dropna().tolist():  # stripped, never empty
        assert v == v.strip() and v != ""
    rows = sorted([*raw.source_rows.tolist(), *raw.bad_rows["source_row"].tolist()])
    assert len(set(rows)) == len(rows) and all(r > raw.header_row for r in rows)


# --------------------------------------------------------------------------- unreadable files

UNREADABLE = [
    ("empty.csv", "the file is empty (0 bytes)", "export the survey data again"),
    ("whitespace_only.csv", "only blank lines or spaces", "export the survey data again"),
    ("merit_header_only.csv", "no data rows; nothing was read or stored", "exported the responses"),
    ("binary_garbage.csv", "not a text file", "CSV UTF-8"),
    ("pdf_renamed.csv", "is a PDF document", "CSV UTF-8"),
    ("legacy_doc_renamed.csv", "old-format Office file", "save it as .xlsx"),
    ("legacy.xls", "old Excel .xls", "save it as .xlsx (Excel Workbook) or as CSV UTF-8"),
    ("not_a_workbook.xlsx", "not a valid Excel workbook", "rename it .csv"),
    ("merit_pipe_delimited.csv", "separated by a vertical bar (|)", "comma or semicolon"),
    ("merit_duplicate_header.csv", "columns 1 and 10 of the header both give the column name "
     "'nip'", "rename or delete one of them"),
    ("merit_no_header.csv", "no header row found", "header row with the column names"),
]


@pytest.mark.parametrize(("name", "message", "fix"), UNREADABLE, ids=[u[0] for u in UNREADABLE])
def test_unreadable_file_raises_one_clear_error(name, message, fix):
    with pytest.raises(UnreadableFileError) as info:
        read(name)
    err = info.value
    text = str(err)
    assert message in err.message
    assert fix in err.fix
    assert name in text and "Fix: " in text
    assert "\n" not in text and "Traceback" not in text
    assert isinstance(err, InputError)  # CLI: one line, no traceback


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX named pipes")
def test_a_pipe_is_not_called_a_folder(tmp_path):
    fifo = tmp_path / "wave.csv"
    os.mkfifo(fifo)
    with pytest.raises(UnreadableFileError, match="not a regular file") as info:
        waves.read_wave_file(fifo)
    assert "folder" not in str(info.value)


def test_missing_file_and_folder_and_unsupported_extension(tmp_path):
    with pytest.raises(UnreadableFileError, match="file not found"):
        waves.read_wave_file(tmp_path / "nope.csv")
    with pytest.raises(UnreadableFileError, match="is a folder"):
        waves.read_wave_file(tmp_path)
    p = tmp_path / "wave.ods"
    p.write_text("x")
    with pytest.raises(UnreadableFileError, match=r"unsupported file type '\.ods'") as info:
        waves.read_wave_file(p)
    assert ".xlsx" in info.value.fix and "CSV UTF-8" in info.value.fix


def test_header_only_counts_padding_rows_as_no_data(tmp_path):
    p = tmp_path / "w.csv"
    p.write_text("nip,opd\n,\n , \n\n")
    with pytest.raises(UnreadableFileError, match="no data rows"):
        waves.read_wave_file(p)


def test_an_excel_file_without_data_rows_is_refused(tmp_path, merit):
    wb = openpyxl.Workbook()
    wb.active.append(["nip", "opd", "status"])
    wb.save(tmp_path / "w.xlsx")
    with pytest.raises(UnreadableFileError, match="no data rows"):
        waves.read_wave_file(tmp_path / "w.xlsx", instrument=merit)


def test_a_file_of_another_kind_is_refused(tmp_path, skm):
    # an inventory list read as SKM: no header cell belongs to the instrument
    p = tmp_path / "stok.csv"
    p.write_text("kode_barang,harga,stok\nA-1,1000,5\n")
    with pytest.raises(UnreadableFileError, match="column name of instrument 'skm'"):
        waves.read_wave_file(p, instrument=skm)


# --------------------------------------------------------------------------- files that read


def test_cp1252_names_are_decoded(merit):
    raw = read("merit_cp1252_names.csv")
    assert_uniform(raw)
    assert raw.encoding == "cp1252"
    assert col(raw, "name") == ["Siti Nurhaliza", "José Santoso", "Renée Putri"]
    assert raw.source_rows.tolist() == [2, 3, 4]
    assert any(n.startswith("encoding cp1252") for n in raw.notes)
    assert col(raw, "dlg_attended") == ["1", "0", "1"]  # no CR left from CRLF


def test_utf8_bom_is_not_part_of_the_first_column():
    raw = read("merit_utf8_bom.csv")
    assert raw.encoding == "utf-8-sig"
    assert raw.data.columns[0] == "nip" and raw.original_columns[0] == "nip"
    assert col(raw, "nip") == [NIPS[0], NIPS[1]]


def test_semicolon_file_notes_decimal_comma_and_keeps_values(training):
    raw = read("training_semicolon_decimal_comma.csv")
    assert_uniform(raw)
    assert raw.delimiter == ";"
    assert any(n.startswith('decimal=","') for n in raw.notes)
    assert col(raw, "l2_pre_pct") == ["72,5", "65"]
    assert col(raw, "l2_post_pct") == ["88,75", "70,5"]
    assert col(raw, "survey_date") == ["10/03/2025", "10/03/2025"]  # not converted


def test_duplicate_respondent_is_read_not_judged():
    raw = read("merit_duplicate_respondent.csv")
    assert_uniform(raw)
    assert raw.data.shape == (3, 42)
    assert col(raw, "nip") == [NIPS[0], NIPS[1], NIPS[0]]
    assert col(raw, "rtc_rs_1")[2] == "6"
    assert raw.source_rows.tolist() == [2, 3, 4]


@pytest.mark.parametrize(("name", "column", "values"), [
    ("merit_out_of_range_code.csv", "rtc_rs_1", ["6", "9"]),
    ("merit_unknown_label.csv", "rtc_rs_2", ["Lumayan setuju", "2"]),
    ("merit_nip_scientific.csv", "nip", ["1,98503E+17", "1.97907E+17", NIPS[2]]),
])
def test_odd_values_are_kept_as_typed(name, column, values):
    raw = read(name)
    assert_uniform(raw)
    assert col(raw, column) == values
    assert len(raw.bad_rows) == 0


def test_missing_required_column_reads(merit):
    raw = read("merit_missing_required_column.csv")
    assert "opd" not in raw.data.columns and "nip" in raw.data.columns
    assert len(raw.data) == 2


def test_truncated_last_line_goes_to_bad_rows():
    raw = read("merit_truncated_last_line.csv")
    assert_uniform(raw)
    assert raw.source_rows.tolist() == [2, 3, 4]
    assert raw.bad_rows.to_dict("records") == [{
        "source_row": 5,
        "reason": "row has 12 of 42 fields (file cut off or a missing separator?)",
        "fix": "the file ends in the middle of this row: export or copy the complete file again",
    }]
    assert raw.n_rows_read == 4


def test_too_many_fields_goes_to_bad_rows_and_neighbours_keep_their_lines():
    raw = read("merit_too_many_fields.csv")
    assert_uniform(raw)
    assert raw.source_rows.tolist() == [2, 4]
    assert raw.bad_rows["source_row"].tolist() == [3]
    assert raw.bad_rows["reason"].iloc[0].startswith("row has 10 fields but the header has 9")
    assert "double quotes" in raw.bad_rows["fix"].iloc[0]
    assert col(raw, "nip") == [NIPS[0], NIPS[2]]


def test_blank_lines_in_the_middle_keep_row_numbers_right():
    raw = read("merit_blank_lines.csv")
    assert_uniform(raw)
    assert raw.source_rows.tolist() == [2, 4, 6, 8]
    assert col(raw, "nip") == list(NIPS[:4])
    assert "skipped 3 empty lines (lines 3, 5, 7)" in raw.notes


def test_quoted_line_break_keeps_value_and_row_numbers(skm):
    raw = read("skm_quoted_newline.csv")
    assert_uniform(raw)
    assert raw.source_rows.tolist() == [2, 3, 5, 7]
    assert col(raw, "service_type") == [
        "Izin usaha", 'Izin usaha\n(perpanjangan, "SIUP")', "KTP-el", "Akta kelahiran"]
    assert col(raw, "waktu") == ["3", "2", "4", "3"]


def test_excel_style_csv_with_title_padding_and_unnamed_column():
    raw = read("merit_excel_trailing_separators.csv")
    assert_uniform(raw)
    assert raw.header_row == 3
    assert raw.source_rows.tolist() == [4, 6]
    assert list(raw.data.columns) == ["nip", "opd", "status", "sex", "survey_date",
                                      "dlg_attended", "unnamed_8"]
    assert col(raw, "unnamed_8") == [None, "pindah OPD"]
    assert raw.headers["unnamed_8"] == ""
    assert "skipped 1 title row above the header (line 1)" in raw.notes
    assert "skipped 1 empty line (line 5)" in raw.notes  # trailing empty rows: not noted


def test_google_forms_labels_become_field_names(skm):
    raw = read("skm_google_forms.csv")
    assert_uniform(raw)
    assert list(raw.data.columns) == ["Timestamp", "service_unit", "channel", "survey_date",
                                      "sex", "age", "persyaratan", "biaya"]
    assert raw.headers["channel"] == "Cara memperoleh layanan"
    assert col(raw, "biaya") == ["Gratis", "Murah"]
    assert col(raw, "channel") == ["Daring (online)", "Datang langsung"]


def test_utf16_tab_separated_unicode_text():
    raw = read("merit_utf16_tab.txt")
    assert_uniform(raw)
    assert (raw.encoding, raw.delimiter, raw.format) == ("utf-16", "\t", "csv")
    assert col(raw, "name") == ["José Santoso", "José Santoso"]
    assert col(raw, "dlg_attended") == ["1", "0"]
    assert raw.source_rows.tolist() == [2, 3]


# --------------------------------------------------------------------------- KoboToolbox


KOBO_COLUMNS = (
    ["start", "end", "nip", "name", "opd", "status", "sex", "survey_date", "rtc_rs_1",
     "dlg_attended", "dlg_formats"]
    + [f"dlg_formats/{o}" for o in ("sosialisasi", "dialog_terbuka", "forum_opd", "daring",
                                    "konsultasi")]
    + ["instanceID", "_id", "_uuid", "_submission_time", "_validation_status", "_notes",
       "_status", "_submitted_by", "__version__", "_tags", "_index"]
)


@pytest.mark.parametrize("with_instrument", [True, False])
def test_kobo_csv_group_paths_and_select_multiple_options(with_instrument, merit):
    raw = read("merit_kobo_export.csv", instrument=merit if with_instrument else None)
    assert_uniform(raw)
    assert raw.format == "kobo-csv" and raw.delimiter == ";"
    assert list(raw.data.columns) == KOBO_COLUMNS
    assert raw.headers["nip"] == "profile/nip"
    assert raw.headers["dlg_formats/daring"] == "dialogue/dlg_formats/daring"
    assert raw.headers["instanceID"] == "meta/instanceID"
    assert col(raw, "dlg_formats/daring") == ["1", None, "1"]
    assert col(raw, "_uuid")[0] == "00000000-0000-4000-8000-000000000001"
    assert col(raw, "_submission_time")[1] == "2025-03-10T01:11:00"
    assert any(n.startswith("KoboToolbox export: group paths removed from 15") for n in raw.notes)
    assert raw.source_rows.tolist() == [2, 3, 4]


def test_kobo_xlsx_label_headers_map_to_field_names(merit):
    raw = read("merit_kobo_labels.xlsx")
    assert_uniform(raw)
    assert raw.format == "kobo-xlsx" and raw.encoding is None and raw.delimiter is None
    assert list(raw.data.columns) == [
        "start", "end", "nip", "name", "opd", "status", "sex", "survey_date", "dlg_attended",
        "dlg_formats", "dlg_formats/sosialisasi", "dlg_formats/daring", "_id", "_uuid",
        "_submission_time", "_index"]
    assert raw.headers["nip"] == "NIP (18 digit)"
    assert raw.headers["dlg_formats/daring"] == (
        "Bentuk kegiatan yang pernah Anda ikuti/Webinar/daring")
    assert col(raw, "survey_date") == ["2025-03-10", "2025-03-10"]
    assert col(raw, "start")[0] == "2025-03-10T08:00:00"
    assert col(raw, "dlg_formats/daring") == ["1", None]
    assert col(raw, "_id") == ["2000", "2001"]
    assert col(raw, "nip") == [NIPS[0], NIPS[1]]


def test_kobo_label_headers_stay_as_they_are_without_an_instrument():
    raw = read("merit_kobo_labels.xlsx", instrument=None)
    assert raw.format == "kobo-xlsx"  # recognized by _uuid/_id/_index
    assert "NIP (18 digit)" in raw.data.columns


def test_plain_headers_are_stripped_and_matched_case_insensitively(tmp_path, merit):
    p = tmp_path / "w.csv"
    p.write_text(f" NIP ,\u00a0OPD\u00a0,Catatan Admin\n {NIPS[0]} , dinkes\u00a0,\u2003ok \n")
    raw = waves.read_wave_file(p, instrument=merit)
    assert list(raw.data.columns) == ["nip", "opd", "Catatan Admin"]
    assert raw.original_columns == (" NIP ", "\u00a0OPD\u00a0", "Catatan Admin")
    assert raw.data.iloc[0].tolist() == [NIPS[0], "dinkes", "ok"]
    raw = waves.read_wave_file(p)  # without an instrument: only stripped
    assert list(raw.data.columns) == ["NIP", "OPD", "Catatan Admin"]


# --------------------------------------------------------------------------- Excel


def test_xlsx_with_title_rows(merit):
    raw = read("merit_title_row.xlsx")
    assert_uniform(raw)
    assert raw.format == "xlsx" and raw.header_row == 3
    assert raw.source_rows.tolist() == [4, 5, 7]
    assert list(raw.data.columns) == ["nip", "name", "opd", "status", "sex", "survey_date",
                                      "birth_year", "tenure_years", "rtc_rs_1"]
    assert raw.original_columns[:2] == ("NIP", "Nama lengkap")
    assert col(raw, "survey_date") == ["2025-03-10", "2025-03-10", "2025-03-11T14:30:00"]
    assert col(raw, "tenure_years") == ["10", "10", "7.5"]
    assert col(raw, "sex") == ["1", "1", "2"]
    assert col(raw, "name")[2] == "Renée Putri"  # surrounding spaces removed
    assert col(raw, "rtc_rs_1")[2] is None
    assert "skipped 1 title row above the header (row 1)" in raw.notes
    assert "skipped 1 empty row (row 6)" in raw.notes


def test_xlsx_sheet_choice(merit):
    raw = read("merit_title_row.xlsx", instrument=None, sheet="Data")
    assert raw.header_row == 3
    with pytest.raises(UnreadableFileError, match="no header row found"):
        read("merit_title_row.xlsx", instrument=None, sheet=1)  # one cell only
    with pytest.raises(InputError, match="no sheet called 'Daten'") as info:
        read("merit_title_row.xlsx", sheet="Daten")
    assert "'Data'" in info.value.fix and "'Catatan'" in info.value.fix
    with pytest.raises(InputError, match="no sheet at position 5"):
        read("merit_title_row.xlsx", sheet=5)
    with pytest.raises(ConfigError, match="only to Excel"):  # a usage error (exit 2)
        read("merit_utf8_bom.csv", sheet=0)


def test_xlsx_nip_stored_as_number_is_visibly_damaged(merit):
    raw = read("merit_nip_as_number.xlsx")
    assert_uniform(raw)
    assert col(raw, "nip") == ["1.98503122010031e+17", NIPS[1]]
    assert col(raw, "dlg_attended") == ["1", "0"]
    assert col(raw, "survey_date") == ["2025-03-10", "2025-03-10"]
    note = next(n for n in raw.notes if n.startswith("column 'nip' (A): 1 cell holds numbers"))
    assert "Format the column as Text" in note


def test_xlsx_renamed_csv_is_read_as_excel(tmp_path, merit):
    p = tmp_path / "wave.csv"
    p.write_bytes((CORPUS / "merit_nip_as_number.xlsx").read_bytes())
    raw = waves.read_wave_file(p, instrument=merit)
    assert raw.format == "xlsx" and len(raw.data) == 2
    assert any("is an Excel workbook" in n for n in raw.notes)


@pytest.mark.parametrize(("value", "text"), [
    (5, "5"), (5.0, "5"), (3.5, "3.5"), (0.1 + 0.2, "0.3"), (-2.0, "-2"),
    (198503122010031002.0, "1.98503122010031e+17"), (3201234567890123.0, "3.20123456789012e+15"),
    (198503122010031002, "198503122010031002"), (True, "1"), (False, "0"),
    (pd.Timestamp("2025-03-10").to_pydatetime(), "2025-03-10"),
    (pd.Timestamp("2025-03-10 07:05:09").to_pydatetime(), "2025-03-10T07:05:09"),
    (pd.Timestamp("2025-03-10").date(), "2025-03-10"), (None, None), ("  x ", "  x "),
])
def test_excel_cell_text(value, text):
    assert waves.excel._cell_text(value) == text


# --------------------------------------------------------------------------- row numbers


def test_fast_path_for_100k_rows_by_40_columns(tmp_path):
    rng = np.random.default_rng(7)
    n, k = 100_000, 40
    codes = rng.integers(1, 7, size=(n, k - 1)).astype(str)
    ids = np.char.add("19850312201003", np.char.zfill((np.arange(n) % 10_000).astype(str), 4))
    body = np.concatenate([ids[:, None], codes], axis=1)
    header = ",".join(["nip", *[f"q{j}" for j in range(1, k)]])
    text = header + "\n" + "\n".join(",".join(r) for r in body) + "\n"
    p = tmp_path / "big.csv"
    p.write_text(text)
    raw = waves.read_wave_file(p)
    assert raw.parser == FAST
    assert raw.data.shape == (n, k)
    assert np.array_equal(raw.source_rows, np.arange(2, n + 2))
    assert all(str(t) == "str" for t in raw.data.dtypes)
    assert raw.data["q39"].tolist() == body[:, 39].tolist()
    # a bad row and blank lines in the middle: numbers stay exact on the fast path
    lines = text.split("\n")
    lines[50_000] = lines[50_000] + ",extra"  # line 50001
    lines.insert(70_000, "")  # blank line 70001
    p.write_text("\n".join(lines))
    raw = waves.read_wave_file(p)
    assert raw.parser == FAST
    assert raw.bad_rows["source_row"].tolist() == [50_001]
    expected = np.concatenate([np.arange(2, 50_001), np.arange(50_002, 70_001),
                               np.arange(70_002, n + 3)])
    assert np.array_equal(raw.source_rows, expected)
    assert raw.data["nip"].iloc[-1] == ids[-1]


def test_crlf_cr_only_and_whitespace(tmp_path):
    p = tmp_path / "w.csv"
    p.write_bytes(b"nip,opd\r\n" + NIPS[0].encode() + b",dinkes\r\n\r\n"
                  + NIPS[1].encode() + b", bkpsdm \r\n")
    raw = waves.read_wave_file(p)
    assert col(raw, "opd") == ["dinkes", "bkpsdm"]
    assert raw.source_rows.tolist() == [2, 4]
    p.write_bytes(b"nip,opd\r" + NIPS[0].encode() + b",dinkes\r\r" + NIPS[1].encode() + b",x\r")
    raw = waves.read_wave_file(p)
    assert raw.source_rows.tolist() == [2, 4]
    assert col(raw, "opd") == ["dinkes", "x"]


def test_utf16_without_bom_and_a_header_cell_with_a_line_break(tmp_path, skm):
    p = tmp_path / "w.txt"
    p.write_bytes("service_unit\tage\r\ndpmptsp\t34\r\n".encode("utf-16-le"))
    raw = waves.read_wave_file(p, instrument=skm)
    assert (raw.encoding, raw.delimiter) == ("utf-16-le", "\t")
    assert col(raw, "age") == ["34"]
    p = tmp_path / "w.csv"
    p.write_text('"Unit layanan","Umur\n(tahun)"\ndpmptsp,34\n\ndisdukcapil,51\n')
    raw = waves.read_wave_file(p, instrument=skm)
    assert list(raw.data.columns) == ["service_unit", "age"]
    assert raw.header_row == 1
    assert raw.source_rows.tolist() == [3, 5]


def test_excel_columns_without_header(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["nip", "opd", None, "sex"])
    ws.append([NIPS[0], "dinkes", "catatan", "1", None, "lain"])
    ws.append([NIPS[1], "bkpsdm", None, "2"])
    wb.save(tmp_path / "w.xlsx")
    raw = waves.read_wave_file(tmp_path / "w.xlsx")
    assert_uniform(raw)
    assert list(raw.data.columns) == ["nip", "opd", "unnamed_C", "sex", "unnamed_F"]
    assert col(raw, "unnamed_F") == ["lain", None]
    assert raw.headers["unnamed_C"] == ""
    assert any("without a header but with data kept as unnamed_C, unnamed_F" in n
               for n in raw.notes)


def test_trailing_separator_on_every_data_row(tmp_path):
    p = tmp_path / "w.csv"
    p.write_text("nip,opd\n" + "".join(f"{n},dinkes,\n" for n in NIPS[:3]))
    raw = waves.read_wave_file(p)
    assert list(raw.data.columns) == ["nip", "opd"]
    assert len(raw.bad_rows) == 0 and raw.source_rows.tolist() == [2, 3, 4]
    assert "ignored 1 empty column without a header" in raw.notes


def _python_path(monkeypatch):
    monkeypatch.setattr(waves.text, "_parse_arrow", lambda *a, **k: None)


def test_stray_quote_falls_back_to_exact_parser(tmp_path, monkeypatch):
    p = tmp_path / "w.csv"
    p.write_text('name,height\nBudi,5\'2"\n\nAni,"1,6 m"\n')
    raw = waves.read_wave_file(p)
    assert raw.source_rows.tolist() == [2, 4]
    assert col(raw, "height") == ['5\'2"', "1,6 m"]
    assert "exact line-by-line parser" in raw.parser


# Property: on any CSV, the pyarrow path (with tiny blocks, to cross block boundaries with
# quoted line breaks) and the exact csv-module path agree, and both give the line numbers and
# values the file was written with.
_CELL = st.text(alphabet=list("ab ,\"\n\u00e9\u00a0"), max_size=6)


@st.composite
def _csv_files(draw):
    width = draw(st.integers(2, 5))
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    kinds = draw(st.lists(st.sampled_from(["row", "row", "row", "blank", "spaces", "commas",
                                           "short", "long"]), min_size=1, max_size=12))
    if sum(k == "row" for k in kinds) <= sum(k in ("short", "long") for k in kinds):
        kinds = ["row"] * len(kinds)
    buf = io.StringIO()
    buf.write(",".join(f"c{j}" for j in range(width)) + eol)
    expected_rows, expected_bad = [], []
    for kind in kinds:
        line = buf.getvalue().count("\n") + 1
        if kind == "blank":
            buf.write(eol)
            continue
        if kind == "spaces":
            buf.write("  " + eol)
            continue
        if kind == "commas":
            buf.write("," * (width - 1) + eol)
            continue
        n = {"row": width, "short": width - 1, "long": width + 1}[kind]
        cells = [draw(_CELL) for _ in range(n)]
        w = csv.writer(buf, lineterminator=eol)
        w.writerow(cells)
        stripped = [c.strip() for c in cells]
        if not any(stripped):
            continue  # an empty row: skipped
        if kind == "row":
            expected_rows.append((line, [c or None for c in stripped]))
        else:
            expected_bad.append(line)
    # the reader takes the most common field count as the table's width (a trailing
    # separator on every row adds an unnamed column); keep the header's width the common one
    assume(len(expected_rows) > len(expected_bad))
    text = buf.getvalue()
    if draw(st.booleans()) and text.endswith(eol):
        text = text[: -len(eol)]
    return width, text, expected_rows, expected_bad


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_csv_files())
def test_fast_and_exact_parsers_agree_with_the_written_file(case, monkeypatch):
    width, text, expected_rows, expected_bad = case
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "w.csv"
        p.write_bytes(text.encode("utf-8"))
        with monkeypatch.context() as m:
            m.setattr(waves.text, "_BLOCK_SIZE", 96)
            fast = waves.read_wave_file(p)
        with monkeypatch.context() as m:
            _python_path(m)
            exact = waves.read_wave_file(p)
    for raw in (fast, exact):
        assert_uniform(raw)
        assert list(raw.data.columns) == [f"c{j}" for j in range(width)]
        assert raw.source_rows.tolist() == [r[0] for r in expected_rows]
        got = [[None if pd.isna(v) else v for v in row] for row in raw.data.to_numpy().tolist()]
        assert got == [r[1] for r in expected_rows]
        assert raw.bad_rows["source_row"].tolist() == expected_bad
    pd.testing.assert_frame_equal(fast.bad_rows, exact.bad_rows)


# --------------------------------------------------------------------------- privacy


def _corpus_files():
    return sorted(p for p in CORPUS.iterdir() if p.suffix not in (".py", ".md"))


def test_no_message_note_or_log_contains_an_identifier(caplog):
    secrets = [*NIPS, *make_corpus.NAMES, "1,98503E+17", "1.98503122010031e+17"]
    texts = []
    with caplog.at_level(logging.DEBUG, logger="asn_research"):
        for p in _corpus_files():
            for inst in {None, _instrument_for(p.name)}:
                try:
                    raw = waves.read_wave_file(p, instrument=inst)
                except UnreadableFileError as exc:
                    texts += [str(exc), exc.message, exc.fix or ""]
                else:
                    texts += [*raw.notes, *raw.bad_rows["reason"], *raw.bad_rows["fix"]]
    texts += [r.getMessage() for r in caplog.records]
    assert texts
    for t in texts:
        for s in secrets:
            assert s not in t, f"identifier leaked into: {t[:80]}"


def test_header_like_rows_with_identifiers_are_never_column_names(tmp_path):
    # no header and no instrument: rows holding an NIP are not taken as the header
    p = tmp_path / "w.csv"
    p.write_text("\n".join(",".join(make_corpus.short(i)) for i in range(3)) + "\n")
    with pytest.raises(UnreadableFileError) as info:
        waves.read_wave_file(p)
    assert not any(n in str(info.value) for n in NIPS)


def test_duplicate_header_message_masks_long_numbers(tmp_path):
    p = tmp_path / "w.csv"
    p.write_text("a 1234567890,b,a 1234567890\nx,y,z\n")
    with pytest.raises(UnreadableFileError, match="columns 1 and 3") as info:
        waves.read_wave_file(p)
    assert "1234567890" not in str(info.value)


# --------------------------------------------------------------------------- the corpus itself


def test_corpus_is_what_make_corpus_writes(tmp_path):
    written = make_corpus.build(tmp_path)
    names = {p.name for p in written}
    assert names == {p.name for p in _corpus_files()}
    for p in written:
        assert p.read_bytes() == (CORPUS / p.name).read_bytes(), p.name
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    for name in names:
        assert f"`{name}`" in readme, f"{name} is not listed in README.md"


def test_every_corpus_identifier_is_a_well_formed_synthetic_nip():
    for nip in NIPS:
        assert re.fullmatch(r"(19[5-9]\d)(0[1-9]|1[0-2])([0-2]\d|3[01])(20[0-2]\d)"
                            r"(0[1-9]|1[0-2])[12]\d{3}", nip)
