"""End to end: no NIP or name from any simulated wave reaches anything outside the store's raw/."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from _helpers import all_text_under

from asn_research import instruments, readers, store
from asn_research.simulate import simulate

TODAY = dt.date(2026, 11, 27)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("privacy")
    waves = root / "waves"
    simulate(waves, seed=11, size="small")
    manifest = json.loads((waves / "manifest.json").read_text())
    return root, waves, manifest


def test_no_identifier_outside_raw(demo, monkeypatch, caplog):
    monkeypatch.setenv("ASN_RESEARCH_KEY", "9" * 64)
    root, waves, manifest = demo
    st = root / "store"
    secrets: set[str] = set()
    caplog.set_level("DEBUG", logger="asn_research")
    for e in manifest["files"]:
        inst = instruments.load_instrument(e["instrument"])
        raw = readers.read_wave_file(waves / e["file"], instrument=inst)
        for f in inst.identifier_fields:
            if f in raw.data.columns:
                values = raw.data[f].dropna().astype(str)
                secrets.update(v for v in values if len(v) >= 8)
        res = store.ingest_file(waves / e["file"], instrument=e["instrument"], wave=e["wave"],
                                store=st, reference_date=TODAY)
        assert res.rows_quarantined == e["expected_quarantined"]
    assert len(secrets) > 1000  # NIPs and names were really there to find
    text = all_text_under(st, exclude="raw") + caplog.text
    leaked = [s for s in secrets if s in text]
    assert not leaked, f"{len(leaked)} identifiers found outside raw/"
    # NIPs (18 digits) also must not appear in any other form, e.g. as numbers
    # (bounded by non-hex characters, so hex digests and pseudonyms cannot match by chance)
    assert not re.search(r"(?<![0-9a-fA-F])(19|20)\d{16}(?![0-9a-fA-F])", text)
    # ...while raw/ keeps the files byte for byte
    for e in store.read_manifest(st)["ingests"]:
        assert store.sha256_file(st / e["raw_path"]) == e["raw_sha256"]
