"""Ingest a wave file into the store: read, check, pseudonymize, write — nothing lost.

:func:`ingest_file` runs the steps in order: the file is read once
(:func:`~asn_research.waves.read.read_wave_file`), checked
(:func:`~asn_research.waves.checks.validate_wave`), its identifiers are replaced by keyed
pseudonyms (:func:`~asn_research.waves.pseudonymize.pseudonymize_result`), and the raw
copy, the valid table and the quarantine are written to the store with a new manifest
entry (:mod:`~asn_research.waves.store`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from .. import __version__, privacy
from ..errors import PrivacyError, StoreError
from ..instruments import Instrument, load_instrument
from . import checks, read
from .pseudonymize import pseudonymize_result
from .store import (
    STORE_FORMAT,
    STORE_FORMAT_VERSION,
    check_wave_id,
    copy_raw,
    default_store,
    locked,
    read_manifest,
    read_source,
    safe_name,
    sha256_bytes,
    write_json_atomic,
    write_table,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What one ingest did.

    Attributes
    ----------
    status : str
        ``"stored"`` (new wave), ``"replaced"`` (new version of a wave) or ``"unchanged"``
        (the same file was already the wave's current version; nothing was written).
    instrument, wave : str
    version : int
        The wave's version number in the store.
    rows_read, rows_stored, rows_quarantined : int
        ``rows_read == rows_stored + rows_quarantined`` always.
    synthetic : bool
        True when the file came from ``asn-research simulate``.
    entry : dict
        The manifest entry.
    issues : pandas.DataFrame
        One row per problem found (row, column, reason, fix); empty when unchanged.
    notes : tuple of str
    """

    status: str
    instrument: str
    wave: str
    version: int
    rows_read: int
    rows_stored: int
    rows_quarantined: int
    synthetic: bool
    entry: dict = field(repr=False)
    issues: pd.DataFrame = field(repr=False)
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line for the terminal."""
        verb = {
            "stored": "stored",
            "replaced": "stored (new version)",
            "unchanged": "already in store",
        }
        return (
            f"{self.instrument} wave {self.wave} v{self.version}: read {self.rows_read}, "
            f"stored {self.rows_stored}, quarantined {self.rows_quarantined} — "
            f"{verb[self.status]}{' [SYNTHETIC]' if self.synthetic else ''}"
        )


def detect_synthetic(path: Path, sha256: str, *, levels: int = 4) -> bool:
    """True when a simulate ``manifest.json`` beside or above ``path`` lists this exact file.

    The file must be listed under its relative path with the same SHA-256 and
    ``synthetic: true``; a renamed or edited file is not recognized.
    """
    return _simulate_entry(path, sha256, levels=levels) is not None


def _simulate_entry(path: Path, sha256: str, *, levels: int = 4) -> dict | None:
    path = path.resolve()
    for parent in list(path.parents)[:levels]:
        m = parent / "manifest.json"
        if not m.is_file():
            continue
        try:
            doc = json.loads(m.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(doc, dict) or not isinstance(doc.get("files"), list):
            continue
        rel = path.relative_to(parent).as_posix()
        for entry in doc["files"]:
            if (
                isinstance(entry, dict)
                and entry.get("file") == rel
                and entry.get("sha256") == sha256
                and entry.get("synthetic") is True
            ):
                return entry
    return None


def _repeated_text(text: str, n: int) -> pd.Series:
    """``n`` copies of ``text`` as a ``str`` column, built in Arrow (no million-item list)."""
    arr = pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(n, dtype=np.int8)), pa.array([text], pa.large_string())
    ).dictionary_decode()
    return pd.Series(pd.array(arr, dtype="str"))


def ingest_file(
    path: str | os.PathLike[str],
    *,
    instrument: str | Instrument,
    wave: str,
    store: str | os.PathLike[str] | None = None,
    replace: bool = False,
    key: privacy.PseudonymKey | None = None,
    synthetic: bool | None = None,
    reference_date: dt.date | None = None,
    progress: bool = False,
    sheet: str | int | None = None,
    allow_new_key: bool = False,
    ingested_at: dt.datetime | None = None,
) -> IngestResult:
    """Validate a wave file and add it to the store.

    Parameters
    ----------
    path : path
        The wave file (CSV, XLSX or a KoboToolbox export).
    instrument : str or Instrument
        The questionnaire the file answers (``"training"``, ``"merit"``, ``"skm"``).
    wave : str
        The wave id, e.g. ``"2025-1"`` or ``"2024-03"``.
    store : path, optional
        The store folder (default :func:`default_store`).
    replace : bool, optional
        Allow a different file for a wave that already has one; the old version is kept.
    key : PseudonymKey, optional
        Pseudonymization key (default :func:`asn_research.privacy.load_key`).
    synthetic : bool, optional
        Mark the data as synthetic; by default detected from the simulator's
        ``_synthetic`` column or from a simulate ``manifest.json`` listing this file.
    reference_date : datetime.date, optional
        "Today" for date checks (default: the current date).
    progress : bool, optional
        Show a progress bar on the terminal.
    sheet : str or int, optional
        Excel only: the sheet to read.
    allow_new_key : bool, optional
        Accept a key whose fingerprint differs from the store's earlier ingests (their
        respondent keys will not link to this wave's).
    ingested_at : datetime.datetime, optional
        The time recorded in the manifest (default: now, in UTC). The demo passes a fixed
        time so that the same seed gives a byte-identical store.

    Returns
    -------
    IngestResult

    Raises
    ------
    UnreadableFileError, InputError
        The file cannot be read, or lacks a required column; nothing is written.
    StoreError
        The wave already holds a different file and ``replace`` is False, or the store is
        busy or damaged.
    PrivacyError
        The key differs from the one the store was built with and ``allow_new_key`` is False.
    ConfigError
        The wave id is not in the wave calendar (a semester, quarter, month or year id,
        or an id declared in the store's ``calendar.yaml``).

    Notes
    -----
    Every row read is either stored or quarantined: ``rows_read == rows_stored +
    rows_quarantined``. Identifiers are replaced by keyed pseudonyms before anything is
    written outside ``raw/``.
    """
    src = Path(path)
    inst = instrument if isinstance(instrument, Instrument) else load_instrument(instrument)
    store_dir = Path(store) if store is not None else default_store()
    check_wave_id(wave, store_dir)
    # The file is read once: those bytes are hashed, parsed and (below) stored, so the raw
    # copy is exactly what was validated even if someone saves the file again meanwhile.
    content = read_source(src)
    if content is None:  # not a readable file: the reader says why
        read.read_wave_file(src, instrument=inst, sheet=sheet)
    raw_sha = sha256_bytes(content)

    with locked(store_dir):
        manifest = read_manifest(store_dir)
        history = [
            e for e in manifest["ingests"] if e["instrument"] == inst.id and e["wave"] == wave
        ]
        current = next((e for e in history if e.get("current")), None)
        same = (
            current is not None
            and current["raw_sha256"] == raw_sha
            and current.get("sheet") == (None if sheet is None else str(sheet))
            and current.get("instrument_version") == inst.version
        )
        if same:
            log.info("%s: already the current version of %s wave %s", src.name, inst.id, wave)
            return IngestResult(
                status="unchanged",
                instrument=inst.id,
                wave=wave,
                version=current["version"],
                rows_read=current["rows_read"],
                rows_stored=current["rows_stored"],
                rows_quarantined=current["rows_quarantined"],
                synthetic=current["synthetic"],
                entry=current,
                issues=pd.DataFrame(columns=["source_row", "column", "reason", "fix"]),
                notes=("this exact file is already stored for this wave; nothing was written",),
            )
        table = read.read_wave_file(src, instrument=inst, sheet=sheet,
                                       content=content)  # UnreadableFileError
        if current is not None and not replace:
            raise StoreError(
                f"{inst.id} wave {wave} already holds {current['source_name']!r} "
                f"(version {current['version']}); this file (or its sheet, or the instrument "
                "version) is different. Use --replace to "
                f"store it as version {current['version'] + 1} (version {current['version']} "
                "is kept), or choose another --wave"
            )

        k = key if key is not None else privacy.load_key()
        fingerprints = {e.get("key_fingerprint") for e in manifest["ingests"]} - {None}
        notes: list[str] = []
        if fingerprints and k.fingerprint not in fingerprints:
            if not allow_new_key:
                raise PrivacyError(
                    f"the pseudonymization key ({k.source}, fingerprint {k.fingerprint}) is not "
                    f"the one this store was built with ({', '.join(sorted(fingerprints))}); "
                    "respondents would not link across waves. Fix: use the original key "
                    "(ASN_RESEARCH_KEY or ASN_RESEARCH_KEY_FILE), or pass --allow-new-key if "
                    "you really mean to start new respondent keys"
                )
            notes.append(
                "this wave uses a different pseudonymization key than earlier ingests: its "
                "respondent keys do not link to theirs (--allow-new-key)"
            )
        same_file = [
            e["wave"]
            for e in manifest["ingests"]
            if e["instrument"] == inst.id and e["raw_sha256"] == raw_sha and e["wave"] != wave
        ]
        if same_file:
            notes.append(
                f"this exact file is also stored as {inst.id} wave(s) "
                f"{', '.join(sorted(set(same_file)))} — check the --wave id"
            )
        bar = _progress_bar(len(inst.fields), src.name) if progress else None
        try:
            res = checks.validate_wave(
                table,
                inst,
                reference_date=reference_date,
                progress=(lambda _name: bar.update(1)) if bar else None,
            )
        finally:
            if bar:
                bar.close()
        res = pseudonymize_result(res, inst, k)  # identifiers die here, before any write
        sim = _simulate_entry(src, raw_sha)
        is_synth = synthetic if synthetic is not None else (sim is not None or res.synthetic_marked)
        if sim is not None and sim.get("wave") not in (None, wave):
            notes.append(f"the simulator wrote this file as wave {sim['wave']!r}, not {wave!r}")

        version = max((e["version"] for e in history), default=0) + 1
        rel_raw = Path("raw", inst.id, wave, f"{raw_sha[:16]}-{safe_name(src.name)}")
        rel_tab = Path("processed", inst.id, wave, f"v{version}.parquet")
        rel_q = Path("quarantine", inst.id, wave, f"v{version}.parquet")
        valid = res.valid.copy(deep=False)  # copy-on-write: res.valid stays as it is
        valid.insert(0, "wave", _repeated_text(wave, len(valid)))
        # three independent writes that release the GIL; all finish before the manifest
        with ThreadPoolExecutor(max_workers=3) as pool:
            jobs = [
                pool.submit(copy_raw, content, store_dir / rel_raw),
                pool.submit(write_table, valid, store_dir / rel_tab),
                pool.submit(write_table, res.quarantine, store_dir / rel_q),
            ]
            _, table_sha, q_sha = (j.result() for j in jobs)

        entry = {
            "instrument": inst.id,
            "instrument_version": inst.version,
            "wave": wave,
            "version": version,
            "current": True,
            "source_name": src.name,
            "raw_path": rel_raw.as_posix(),
            "raw_sha256": raw_sha,
            "table_path": rel_tab.as_posix(),
            "table_sha256": table_sha,
            "quarantine_path": rel_q.as_posix(),
            "quarantine_sha256": q_sha,
            "rows_read": res.rows_read,
            "rows_stored": res.rows_valid,
            "rows_quarantined": res.rows_quarantined,
            "ingested_at": (ingested_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
            .replace(microsecond=0).isoformat(),
            "synthetic": bool(is_synth),
            "key_fingerprint": k.fingerprint,
            "reader": {
                "format": table.format,
                "encoding": table.encoding,
                "delimiter": table.delimiter,
                "header_row": table.header_row,
            },
            "columns_ignored": list(res.ignored_columns),
            "sheet": None if sheet is None else str(sheet),
            "package_version": __version__,
        }
        notes = list(res.notes) + notes
        for e in history:
            e["current"] = False
        manifest["ingests"].append(entry)
        manifest["format"] = STORE_FORMAT
        manifest["format_version"] = STORE_FORMAT_VERSION
        write_json_atomic(store_dir / "manifest.json", manifest)

    log.info("%s", res.summary())
    return IngestResult(
        status="replaced" if current is not None else "stored",
        instrument=inst.id,
        wave=wave,
        version=version,
        rows_read=res.rows_read,
        rows_stored=res.rows_valid,
        rows_quarantined=res.rows_quarantined,
        synthetic=bool(is_synth),
        entry=entry,
        issues=res.issues,
        notes=tuple(notes),
    )


def _progress_bar(total: int, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"validating {desc}", unit="field", leave=False)
