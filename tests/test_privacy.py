"""End to end: no NIP or name from any simulated wave reaches anything outside the store's raw/.

The identifiers to look for come from the simulated population itself (seed 2026, the
session demo store's seed), not from reading the files, so a reader that missed a column
could not hide a leak.
"""

from __future__ import annotations

import json
import re

import pytest
from _helpers import all_text_under

from asn_research import waves
from asn_research.simulate import demo_key, simulate_frames
from asn_research.waves import store


@pytest.fixture(scope="module")
def secrets() -> set[str]:
    world = simulate_frames(seed=2026, size="small")
    found = set(world.population["nip"]) | set(world.population["name"])
    found |= set(world.skm["respondent_name"].dropna())
    return {s for s in found if len(s) >= 8}


def _leaks(text: str, secrets: set[str]) -> list[str]:
    """The secrets found in ``text``: names as runs of 1-4 words (case-insensitive), NIPs
    and NIKs as runs of digits (a set lookup per candidate, fast on megabytes of text)."""
    wanted = {" ".join(s.casefold().split()) for s in secrets}
    words = re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)?", text.casefold())
    grams = {" ".join(words[i:i + n]) for n in range(1, 5) for i in range(len(words) - n + 1)}
    grams |= set(re.findall(r"\d{16,18}", text))
    return sorted(wanted & grams)


def test_no_identifier_outside_raw(demo_store, secrets):
    assert len(secrets) > 1000  # NIPs and names were really there to find
    raw_text = all_text_under(demo_store.store / "raw")
    assert len(_leaks(raw_text, secrets)) > 1000  # ...and are in the raw files (the check works)
    text = all_text_under(demo_store.store, exclude="raw")
    assert not _leaks(text, secrets), "identifiers found outside raw/"
    # NIPs (18 digits) also must not appear in any other form, e.g. as numbers
    # (bounded by non-hex characters, so hex digests and pseudonyms cannot match by chance)
    assert not re.search(r"(?<![0-9a-fA-F])(19|20)\d{16}(?![0-9a-fA-F])", text)
    # ...while raw/ keeps the files byte for byte
    for e in store.read_manifest(demo_store.store)["ingests"]:
        assert store.sha256_file(demo_store.store / e["raw_path"]) == e["raw_sha256"]


def test_no_identifier_in_logs_or_messages(demo_store, secrets, tmp_path, caplog):
    """Debug logs and the notes of an ingest of the messiest files name rows, never people."""
    caplog.set_level("DEBUG", logger="asn_research")
    manifest = json.loads((demo_store.waves_dir / "manifest.json").read_text())
    files = sorted((e for e in manifest["files"] if e["instrument"] != "skm"),
                   key=lambda e: -e["expected_quarantined"])[:3]
    files.append(next(e for e in manifest["files"] if e["instrument"] == "skm"))
    text = []
    for e in files:
        res = waves.ingest_file(demo_store.waves_dir / e["file"], instrument=e["instrument"],
                                wave=e["wave"], store=tmp_path / "s", key=demo_key(2026))
        assert res.rows_quarantined == e["expected_quarantined"]
        text += [res.summary(), *res.notes, res.issues.to_csv()]
    assert not _leaks("\n".join(text) + caplog.text, secrets)
