"""The fast paths give exactly the results of the general code they short-cut.

Ingest has fast paths for the common case (integer answer codes parsed in C, identifiers
hashed by the C accelerator, …). Each falls back to the general code on anything unusual.
These tests run whole files — a messy simulated world and the malformed corpus — with the
fast paths on and off and require identical stored tables, quarantine tables, issues and
notes. Every identifier here is synthetic.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asn_research import instruments, privacy, readers, validation
from asn_research.errors import AsnResearchError
from asn_research.simulate import simulate

CORPUS = Path(__file__).parent / "data" / "malformed"
REF = dt.date(2026, 1, 15)
KEY = privacy.PseudonymKey.from_secret(b"synthetic key for the fast-path comparison")


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> list[tuple[Path, str]]:
    root = tmp_path_factory.mktemp("fast") / "w"
    simulate(root, seed=23, size="small", messy_fraction=0.06)
    import json

    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    return [(root / e["file"], e["instrument"]) for e in manifest["files"]]


def _run(path: Path, instrument: str, monkeypatch, fast: bool):
    monkeypatch.setattr(validation, "FAST_PATHS", fast)
    monkeypatch.setattr(readers, "FAST_PATHS", fast, raising=False)
    monkeypatch.setattr(privacy, "_native", privacy._native if fast else None)
    inst = instruments.load_instrument(instrument)
    try:
        raw = readers.read_wave_file(path, instrument=inst)
        return validation.validate_wave(raw, inst, key=KEY, reference_date=REF)
    except AsnResearchError as exc:  # a rejected file must be rejected the same way
        return str(exc)


def _assert_same(fast, slow) -> None:
    if isinstance(slow, str) or isinstance(fast, str):
        assert fast == slow
        return
    pd.testing.assert_frame_equal(fast.valid, slow.valid)
    pd.testing.assert_frame_equal(fast.quarantine, slow.quarantine)
    pd.testing.assert_frame_equal(fast.issues, slow.issues)
    assert fast.notes == slow.notes
    assert (fast.rows_read, fast.rows_valid, fast.rows_quarantined) == (
        slow.rows_read, slow.rows_valid, slow.rows_quarantined)


def test_simulated_world_is_the_same_with_and_without_fast_paths(world, monkeypatch):
    quarantined = 0
    for path, instrument in world:
        fast = _run(path, instrument, monkeypatch, fast=True)
        slow = _run(path, instrument, monkeypatch, fast=False)
        _assert_same(fast, slow)
        quarantined += 0 if isinstance(fast, str) else fast.rows_quarantined
    assert quarantined > 0  # the comparison covered messy rows, not only clean ones


@pytest.mark.parametrize(
    "name", sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".csv", ".xlsx", ".txt")))
def test_malformed_corpus_is_the_same_with_and_without_fast_paths(name, monkeypatch):
    instrument = name.split("_")[0] if name.split("_")[0] in ("merit", "skm", "training") \
        else "merit"
    fast = _run(CORPUS / name, instrument, monkeypatch, fast=True)
    slow = _run(CORPUS / name, instrument, monkeypatch, fast=False)
    _assert_same(fast, slow)


ANSWERS = st.sampled_from(
    ["1", "2", "5", "6", "7", "0", "-0", "05", "+5", " 5", "5 ", "5.0", "5,0", "1e0", "",
     "Sangat Setuju", "sangat setuju", "Strongly agree", "SS", "99", "-1", "٥", "x",
     "99999999999999999999", "0x1", "0X2", "0xffff", "0x7C1"])


@settings(max_examples=200, deadline=None)
@given(answers=st.lists(st.one_of(st.none(), ANSWERS), min_size=1, max_size=30))
def test_integer_code_fast_path_equals_the_general_lookup(answers):
    merit = instruments.load_instrument("merit")
    for list_name in {f.list_name for f in merit.fields if f.type == "select_one"}:
        cl = merit.choice_list(list_name)
        lookup = validation._choice_lookup(cl)
        series = pd.Series(pd.array(answers, dtype=pd.StringDtype("pyarrow")))
        validation.FAST_PATHS = True
        try:
            fast_codes, fast_unknown = validation._codes_for(series, lookup, ordinal=cl.ordinal)
            validation.FAST_PATHS = False
            slow_codes, slow_unknown = validation._codes_for(series, lookup, ordinal=cl.ordinal)
        finally:
            validation.FAST_PATHS = True
        pd.testing.assert_series_equal(fast_codes, slow_codes)
        np.testing.assert_array_equal(fast_unknown, slow_unknown)


@pytest.mark.skipif(readers._native is None, reason="C accelerator not built")
@settings(max_examples=300, deadline=None)
@given(
    data=st.lists(st.sampled_from([b",", b";", b"\t", b" ", b"\r", b"\n", b"\r\n", b'"', b"a",
                                   b"7", b"\x00", b"\x1f", b"!", b"\xc3\xa9", b"abcdefghij"]),
                  max_size=80).map(b"".join),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    start=st.integers(0, 9),
)
def test_native_line_scan_equals_numpy(data, delimiter, start):
    arr = np.frombuffer(data, dtype=np.uint8)[min(start, len(data)):]  # unaligned starts too
    readers.FAST_PATHS = True
    try:
        fast_nl, fast_edge = readers._scan_bytes(arr, delimiter)
        readers.FAST_PATHS = False
        slow_nl, slow_edge = readers._scan_bytes(arr, delimiter)
    finally:
        readers.FAST_PATHS = True
    np.testing.assert_array_equal(fast_nl, slow_nl)
    assert fast_edge == slow_edge


@pytest.mark.parametrize(
    "name", sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".csv", ".xlsx", ".txt",
                                                                     ".xls")))
def test_reading_given_bytes_equals_reading_the_file(name):
    """Ingest passes the bytes it hashed (content=); the result must not change."""
    path = CORPUS / name
    inst = instruments.load_instrument(name.split("_")[0] if name.split("_")[0] in
                                       ("merit", "skm", "training") else "merit")

    def read(**kw):
        try:
            return readers.read_wave_file(path, instrument=inst, **kw)
        except AsnResearchError as exc:
            return str(exc)

    from_file, from_bytes = read(), read(content=path.read_bytes())
    if isinstance(from_file, str):
        assert from_bytes == from_file
        return
    pd.testing.assert_frame_equal(from_bytes.data, from_file.data)
    pd.testing.assert_frame_equal(from_bytes.bad_rows, from_file.bad_rows)
    np.testing.assert_array_equal(from_bytes.source_rows, from_file.source_rows)
    assert (from_bytes.notes, from_bytes.format, from_bytes.encoding, from_bytes.header_row) \
        == (from_file.notes, from_file.format, from_file.encoding, from_file.header_row)


def test_hexadecimal_text_is_not_a_number_on_either_path(tmp_path, monkeypatch):
    """pyarrow's integer cast reads "0x3" as 3; the general code (and people) do not."""
    from _helpers import merit_row, write_csv

    rows = [merit_row(i) for i in range(6)]
    rows[1]["rtc_rs_1"] = "0x3"
    rows[2]["birth_year"] = "0x7C1"
    rows[3]["sex"] = "0X1"
    path = write_csv(tmp_path / "hex.csv", rows)
    fast = _run(path, "merit", monkeypatch, fast=True)
    slow = _run(path, "merit", monkeypatch, fast=False)
    _assert_same(fast, slow)
    assert sorted(fast.quarantine["source_row"]) == [3, 4, 5]


def test_integer_fast_path_leaves_non_text_columns_to_the_general_code():
    assert validation._plain_integers(pd.Series([1985, "x"], dtype=object)) is None
