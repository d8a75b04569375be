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
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from .. import __version__, privacy
from ..errors import ConfigError, InputError, PrivacyError, StoreError
from ..instruments import Instrument, load_instrument
from . import checks, read
from .columns import read_column_map
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
        ``"stored"`` (new wave), ``"replaced"`` (new version of a wave), ``"corrected"``
        (a new version with corrected quarantined rows) or ``"unchanged"`` (the same file
        was already the wave's current version; nothing was written).
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
    rows_skipped : int
        Rows of a pre-numbered template that hold only a row number (not responses).
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
    rows_skipped: int = 0

    def summary(self) -> str:
        """One line for the terminal."""
        verb = {
            "stored": "stored",
            "replaced": "stored (new version)",
            "corrected": "stored (corrected version)",
            "unchanged": "already in store",
        }
        skipped = (f", skipped {self.rows_skipped} empty template rows"
                   if self.rows_skipped else "")
        return (
            f"{self.instrument} wave {self.wave} v{self.version}: read {self.rows_read}, "
            f"stored {self.rows_stored}, quarantined {self.rows_quarantined}{skipped} — "
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


def _key_check(manifest: dict, k: privacy.PseudonymKey, allow_new_key: bool) -> list[str]:
    """Refuse a key other than the store's (unless allowed); the note to add if allowed."""
    fingerprints = {e.get("key_fingerprint") for e in manifest["ingests"]} - {None}
    if not fingerprints or k.fingerprint in fingerprints:
        return []
    if not allow_new_key:
        raise PrivacyError(
            f"the pseudonymization key ({k.source}, fingerprint {k.fingerprint}) is not "
            f"the one this store was built with ({', '.join(sorted(fingerprints))}); "
            "respondents would not link across waves. Fix: use the original key "
            "(ASN_RESEARCH_KEY or ASN_RESEARCH_KEY_FILE), or pass --allow-new-key if "
            "you really mean to start new respondent keys"
        )
    return ["this wave uses a different pseudonymization key than earlier ingests: its "
            "respondent keys do not link to theirs (--allow-new-key)"]


def _column_map(columns: str | os.PathLike[str] | Mapping[str, str] | None,
                inst: Instrument) -> dict[str, str] | None:
    if columns is None:
        return None
    if isinstance(columns, Mapping):
        return {str(k): str(v) for k, v in columns.items()}
    return read_column_map(columns, inst)


def _now(ingested_at: dt.datetime | None) -> str:
    return ((ingested_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
            .replace(microsecond=0).isoformat())


def _unchanged(current: dict, notes: tuple[str, ...]) -> IngestResult:
    return IngestResult(
        status="unchanged", instrument=current["instrument"], wave=current["wave"],
        version=current["version"], rows_read=current["rows_read"],
        rows_stored=current["rows_stored"], rows_quarantined=current["rows_quarantined"],
        synthetic=current["synthetic"], entry=current,
        issues=pd.DataFrame(columns=["source_row", "column", "reason", "fix"]), notes=notes,
        rows_skipped=current.get("rows_skipped", 0))


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
    columns: str | os.PathLike[str] | Mapping[str, str] | None = None,
    allow_missing: Sequence[str] = (),
    correction: bool = False,
) -> IngestResult:
    """Validate a wave file and add it to the store.

    Parameters
    ----------
    path : path
        The wave file (CSV, XLSX or a KoboToolbox export).
    instrument : str or Instrument
        The questionnaire the file answers (``"training"``, ``"merit"``, ``"skm"``).
    wave : str
        The wave id, e.g. ``"2025-1"`` or ``"2024-03"`` (see :mod:`~asn_research.waves.calendar`).
    store : path, optional
        The store folder (default :func:`~asn_research.waves.store.default_store`).
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
    columns : path or mapping, optional
        A column map (a YAML file, see :func:`~asn_research.waves.columns.read_column_map`,
        or a mapping header → field) for headers the instrument does not recognise. It is
        recorded in the manifest. A correction uses the wave's recorded map by default.
    allow_missing : sequence of str, optional
        Scale items (or scale names) the file may lack; see
        :func:`~asn_research.waves.checks.validate_wave`.
    correction : bool, optional
        The file holds corrected rows of the wave's quarantine, as written by
        :func:`export_for_correction` (each row keeps its ``_source_row``). The new version
        is the stored rows plus the corrected rows that now pass; rows still wrong stay
        quarantined with their new reasons. Every row of the wave stays accounted for.

    Returns
    -------
    IngestResult

    Raises
    ------
    UnreadableFileError, InputError
        The file cannot be read, lacks a required column or a scale item (without
        ``allow_missing``), or — for a correction — a row lacks a valid ``_source_row``;
        nothing is written.
    StoreError
        The wave already holds a different file and ``replace`` is False, a correction is
        given for a wave that is not stored, or the store is busy or damaged.
    PrivacyError
        The key differs from the one the store was built with and ``allow_new_key`` is False.
    ConfigError
        The wave id is not in the wave calendar (a semester, quarter, month or year id,
        or an id declared in the store's ``calendar.yaml``), or ``replace`` and
        ``correction`` are both given.

    Notes
    -----
    Every row read is either stored or quarantined: ``rows_read == rows_stored +
    rows_quarantined``; rows of a pre-numbered template that hold only a row number are
    counted apart (``rows_skipped``). Identifiers are replaced by keyed pseudonyms before
    anything is written outside ``raw/``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from asn_research.waves import ingest_file
    >>> res = ingest_file("incoming/merit_2025-1.xlsx", instrument="merit", wave="2025-1",
    ...                   store=tempfile.mkdtemp())                    # doctest: +SKIP
    >>> res.rows_read == res.rows_stored + res.rows_quarantined       # doctest: +SKIP
    True
    """
    src = Path(path)
    inst = instrument if isinstance(instrument, Instrument) else load_instrument(instrument)
    store_dir = Path(store) if store is not None else default_store()
    check_wave_id(wave, store_dir)
    if replace and correction:
        raise ConfigError("give either --replace (a new file for the wave) or --correction "
                          "(corrected quarantined rows), not both")
    colmap = _column_map(columns, inst)
    # The file is read once: those bytes are hashed, parsed and (below) stored, so the raw
    # copy is exactly what was validated even if someone saves the file again meanwhile.
    content = read_source(src)
    if content is None:  # not a readable file: the reader says why
        read.read_wave_file(src, instrument=inst, sheet=sheet, column_map=colmap)
    raw_sha = sha256_bytes(content)
    sheet_id = None if sheet is None else str(sheet)

    with locked(store_dir):
        manifest = read_manifest(store_dir)
        history = [
            e for e in manifest["ingests"] if e["instrument"] == inst.id and e["wave"] == wave
        ]
        current = next((e for e in history if e.get("current")), None)
        if correction:
            return _ingest_correction(
                src, content, raw_sha, inst, wave, store_dir, manifest, history, current,
                key=key, reference_date=reference_date, sheet=sheet,
                allow_new_key=allow_new_key, ingested_at=ingested_at, colmap=colmap,
                allow_missing=allow_missing)
        same = (
            current is not None
            and current["raw_sha256"] == raw_sha
            and current.get("sheet") == sheet_id
            and current.get("instrument_version") == inst.version
            and current.get("column_map") == colmap
        )
        if same:
            log.info("%s: already the current version of %s wave %s", src.name, inst.id, wave)
            return _unchanged(current, ("this exact file is already stored for this wave; "
                                        "nothing was written",))
        table = read.read_wave_file(src, instrument=inst, sheet=sheet, content=content,
                                    column_map=colmap)  # UnreadableFileError
        if current is not None and not replace:
            raise StoreError(
                f"{inst.id} wave {wave} already holds {current['source_name']!r} "
                f"(version {current['version']}); this file (or its sheet, column map or the "
                "instrument version) is different. Use --replace to "
                f"store it as version {current['version'] + 1} (version {current['version']} "
                "is kept), --correction if it holds corrected quarantined rows, or choose "
                "another --wave"
            )

        k = key if key is not None else privacy.load_key()
        notes = _key_check(manifest, k, allow_new_key)
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
        res = _check(table, inst, src, reference_date, progress, allow_missing)
        res = pseudonymize_result(res, inst, k)  # identifiers die here, before any write
        sim = _simulate_entry(src, raw_sha)
        is_synth = synthetic if synthetic is not None else (sim is not None or res.synthetic_marked)
        if sim is not None and sim.get("wave") not in (None, wave):
            notes.append(f"the simulator wrote this file as wave {sim['wave']!r}, not {wave!r}")

        version = max((e["version"] for e in history), default=0) + 1
        rel_raw = Path("raw", inst.id, wave, f"{raw_sha[:16]}-{safe_name(src.name)}")
        valid = res.valid.copy(deep=False)  # copy-on-write: res.valid stays as it is
        valid.insert(0, "wave", _repeated_text(wave, len(valid)))
        table_path, table_sha, q_path, q_sha = _write_version(
            store_dir, inst.id, wave, version, valid, res.quarantine, content, rel_raw)
        entry = {
            "instrument": inst.id,
            "instrument_version": inst.version,
            "wave": wave,
            "version": version,
            "current": True,
            "source_name": src.name,
            "raw_path": rel_raw.as_posix(),
            "raw_sha256": raw_sha,
            "table_path": table_path,
            "table_sha256": table_sha,
            "quarantine_path": q_path,
            "quarantine_sha256": q_sha,
            "rows_read": res.rows_read,
            "rows_stored": res.rows_valid,
            "rows_quarantined": res.rows_quarantined,
            "rows_skipped": res.rows_skipped,
            "ingested_at": _now(ingested_at),
            "synthetic": bool(is_synth),
            "key_fingerprint": k.fingerprint,
            "reader": {
                "format": table.format,
                "encoding": table.encoding,
                "delimiter": table.delimiter,
                "header_row": table.header_row,
            },
            "columns_ignored": list(res.ignored_columns),
            "column_map": colmap,
            "missing_allowed": list(res.missing_allowed),
            "sheet": sheet_id,
            "corrections": [],
            "package_version": __version__,
        }
        _commit(store_dir, manifest, history, entry)

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
        notes=tuple(list(res.notes) + notes),
        rows_skipped=res.rows_skipped,
    )


def _check(table, inst, src, reference_date, progress, allow_missing):
    bar = _progress_bar(len(inst.fields), src.name) if progress else None
    try:
        return checks.validate_wave(
            table, inst, reference_date=reference_date, allow_missing=allow_missing,
            progress=(lambda _name: bar.update(1)) if bar else None)
    finally:
        if bar:
            bar.close()


def _write_version(store_dir: Path, instrument: str, wave: str, version: int,
                   valid: pd.DataFrame, quarantine: pd.DataFrame, content: bytes,
                   rel_raw: Path) -> tuple[str, str, str, str]:
    """Write the raw copy, the table and the quarantine of a new version (not the manifest)."""
    rel_tab = Path("processed", instrument, wave, f"v{version}.parquet")
    rel_q = Path("quarantine", instrument, wave, f"v{version}.parquet")
    # three independent writes that release the GIL; all finish before the manifest
    with ThreadPoolExecutor(max_workers=3) as pool:
        jobs = [
            pool.submit(copy_raw, content, store_dir / rel_raw),
            pool.submit(write_table, valid, store_dir / rel_tab),
            pool.submit(write_table, quarantine, store_dir / rel_q),
        ]
        _, table_sha, q_sha = (j.result() for j in jobs)
    return rel_tab.as_posix(), table_sha, rel_q.as_posix(), q_sha


def _commit(store_dir: Path, manifest: dict, history: list[dict], entry: dict) -> None:
    for e in history:
        e["current"] = False
    manifest["ingests"].append(entry)
    manifest["format"] = STORE_FORMAT
    manifest["format_version"] = STORE_FORMAT_VERSION
    write_json_atomic(store_dir / "manifest.json", manifest)


# --------------------------------------------------------------------------- corrections

#: The column of a correction file that names each row's row in the wave's original file.
SOURCE_ROW = "_source_row"


def _source_rows_of(table, fname: str, quarantined: set[int]) -> dict[int, int]:
    """Row in the correction file -> row in the wave's original file, checked."""
    if SOURCE_ROW not in table.data.columns:
        raise InputError(
            f"a correction file needs the column {SOURCE_ROW} (the row each line corrects)",
            file=fname, row=table.header_row, column=SOURCE_ROW,
            fix="start from the file written by `asn-research quarantine --originals`, keep "
            "its _source_row column, and correct only the answers")
    if len(table.bad_rows):
        r = int(table.bad_rows["source_row"].iloc[0])
        raise InputError("this row could not be split into the header's columns", file=fname,
                         row=r, fix=str(table.bad_rows["fix"].iloc[0]))
    out: dict[int, int] = {}
    seen: dict[int, int] = {}
    for line, text in zip(table.source_rows.tolist(), table.data[SOURCE_ROW].tolist(),
                          strict=True):
        try:
            orig = int(str(text).strip())
        except ValueError:
            raise InputError(f"{SOURCE_ROW} is not a row number", file=fname, row=line,
                             column=SOURCE_ROW,
                             fix="keep the row numbers the export wrote") from None
        if orig in seen:
            raise InputError(f"row {orig} of the wave is corrected twice (also on line "
                             f"{seen[orig]})", file=fname, row=line, column=SOURCE_ROW,
                             fix="keep one corrected line per quarantined row")
        if orig not in quarantined:
            raise InputError(
                f"row {orig} is not a quarantined row of this wave (already corrected, or "
                "never rejected)", file=fname, row=line, column=SOURCE_ROW,
                fix="export the current quarantine again with `asn-research quarantine "
                "--originals` and correct those rows; new respondents go in a new file "
                "for the wave (--replace)")
        seen[orig] = line
        out[line] = orig
    return out


def _ingest_correction(src, content, raw_sha, inst, wave, store_dir, manifest, history,
                       current, *, key, reference_date, sheet, allow_new_key, ingested_at,
                       colmap, allow_missing) -> IngestResult:
    if current is None:
        raise StoreError(f"there is no {inst.id} wave {wave} in {store_dir} to correct; ingest "
                         "the wave's file first (without --correction)")
    if colmap is None:
        colmap = current.get("column_map")
    table = read.read_wave_file(src, instrument=inst, sheet=sheet, content=content,
                                column_map=colmap)
    old_q = pd.read_parquet(store_dir / current["quarantine_path"])
    old_t = pd.read_parquet(store_dir / current["table_path"])
    to_orig = _source_rows_of(table, src.name, set(old_q["source_row"].tolist()))
    k = key if key is not None else privacy.load_key()
    notes = _key_check(manifest, k, allow_new_key)
    if current.get("key_fingerprint") not in (None, k.fingerprint):
        raise PrivacyError(f"the correction must use the key wave {wave} was ingested with "
                           f"(fingerprint {current['key_fingerprint']}); this one is "
                           f"{k.fingerprint}. Fix: use the original key")
    allow = list(allow_missing) or list(current.get("missing_allowed") or [])
    res = pseudonymize_result(
        checks.validate_wave(table, inst, reference_date=reference_date, allow_missing=allow),
        inst, k)
    mapping = np.vectorize(to_orig.get, otypes=[np.int64])
    fixed = res.valid.copy()
    still = res.quarantine.copy()
    if len(fixed):
        fixed["source_row"] = mapping(fixed["source_row"].to_numpy())
    if len(still):
        still["source_row"] = mapping(still["source_row"].to_numpy())
    # a corrected row must not repeat a respondent already stored for the wave
    if inst.unique and "respondent_key" in fixed and "respondent_key" in old_t:
        stored = dict(zip(old_t["respondent_key"], old_t["source_row"], strict=True))
        dup = fixed["respondent_key"].isin(stored.keys()).to_numpy()
        if dup.any():
            moved = fixed.loc[dup]
            extra = pd.DataFrame({
                "source_row": moved["source_row"].to_numpy(),
                "columns": inst.unique[0],
                "reasons": ["duplicate respondent: already stored as row "
                            f"{stored[k_]}" for k_ in moved["respondent_key"]],
                "fixes": "keep one response per respondent per wave; remove the copy",
                "respondent_key": moved["respondent_key"].to_numpy(),
            })
            still = pd.concat([still, extra], ignore_index=True)
            fixed = fixed.loc[~dup]
    fixed.insert(0, "wave", _repeated_text(wave, len(fixed)))
    new_t = pd.concat([old_t, _like(fixed, old_t)], ignore_index=True)
    new_t = new_t.sort_values("source_row", kind="stable").reset_index(drop=True)
    corrected = set(to_orig.values())
    kept_q = old_q[~old_q["source_row"].isin(corrected)]
    new_q = pd.concat([kept_q, still.astype({c: "str" for c in still.columns
                                             if c != "source_row"})], ignore_index=True)
    new_q = new_q.sort_values("source_row", kind="stable").reset_index(drop=True)
    if len(new_t) + len(new_q) != current["rows_read"]:  # an invariant, not user input
        raise RuntimeError("internal error: a correction lost or added rows")
    version = max(e["version"] for e in history) + 1
    rel_raw = Path("raw", inst.id, wave, f"{raw_sha[:16]}-{safe_name(src.name)}")
    table_path, table_sha, q_path, q_sha = _write_version(
        store_dir, inst.id, wave, version, new_t, new_q, content, rel_raw)
    record = {"source_name": src.name, "raw_path": rel_raw.as_posix(), "raw_sha256": raw_sha,
              "rows_read": res.rows_read, "rows_fixed": len(fixed),
              "rows_still_quarantined": res.rows_read - len(fixed),
              "ingested_at": _now(ingested_at), "based_on_version": current["version"]}
    entry = {**current, "version": version, "current": True, "table_path": table_path,
             "table_sha256": table_sha, "quarantine_path": q_path, "quarantine_sha256": q_sha,
             "rows_stored": len(new_t), "rows_quarantined": len(new_q),
             "ingested_at": record["ingested_at"], "key_fingerprint": k.fingerprint,
             "corrections": [*(current.get("corrections") or []), record],
             "package_version": __version__}
    _commit(store_dir, manifest, history, entry)
    notes = [*res.notes, *notes,
             f"correction of version {current['version']}: {len(fixed)} of {res.rows_read} "
             f"corrected row(s) now stored, {res.rows_read - len(fixed)} still quarantined"]
    log.info("%s wave %s v%d: correction stored", inst.id, wave, version)
    return IngestResult(
        status="corrected", instrument=inst.id, wave=wave, version=version,
        rows_read=entry["rows_read"], rows_stored=entry["rows_stored"],
        rows_quarantined=entry["rows_quarantined"], synthetic=bool(current["synthetic"]),
        entry=entry, issues=res.issues, notes=tuple(notes),
        rows_skipped=current.get("rows_skipped", 0))


def _like(frame: pd.DataFrame, model: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``model``'s columns and dtypes (missing columns empty)."""
    out = frame.reindex(columns=model.columns)
    for c in model.columns:
        try:
            out[c] = out[c].astype(model[c].dtype)
        except (TypeError, ValueError):
            pass
    return out


def export_for_correction(
    instrument: str,
    wave: str,
    out: str | os.PathLike[str],
    *,
    store: str | os.PathLike[str] | None = None,
) -> int:
    """Write a wave's quarantined rows with their ORIGINAL values, for correcting them.

    The file is for the data owner only: it holds identifiers (NIP, names) in clear, as
    they are in the store's ``raw/`` copies. It is written owner-only (mode 0600) and
    refused inside a git working tree or the store. Correct the answers, keep the
    ``_source_row`` column, and ingest it with ``correction=True`` (``asn-research ingest
    FILE --correction``); then delete it.

    Parameters
    ----------
    instrument, wave : str
        The wave whose current quarantine is exported.
    out : path
        A new ``.csv`` file.
    store : path, optional
        The store folder (default as the command line).

    Returns
    -------
    int
        Rows written.

    Raises
    ------
    StoreError
        If the wave is not stored, or has no quarantined rows.
    InputError
        If ``out`` exists, is not a ``.csv`` name, or lies in the store or a git working tree.

    Notes
    -----
    Values are taken, for each quarantined row, from the file that last supplied it: the
    wave's original file or a later correction file (all kept byte for byte in ``raw/``),
    read exactly as at ingest (same sheet and column map). Columns: ``_source_row`` (the
    row in the original file), ``_reasons``, ``_fixes``, then the file's columns.
    """
    from .store import read_quarantine

    store_dir = Path(store) if store is not None else default_store()
    target = Path(out)
    _check_private_output(target, store_dir)
    entry = next((e for e in read_manifest(store_dir)["ingests"]
                  if e["instrument"] == instrument and e["wave"] == wave and e.get("current")),
                 None)
    if entry is None:
        raise StoreError(f"the store {store_dir} holds no {instrument} wave {wave}")
    q = read_quarantine(instrument, wave, store=store_dir)
    if q.empty:
        raise StoreError(f"{instrument} wave {wave} has no quarantined rows to correct")
    inst = load_instrument(instrument)
    colmap = entry.get("column_map")
    values: dict[int, dict[str, str]] = {}
    columns: list[str] = []
    sources = [(entry["raw_path"], entry.get("sheet"), False)] + [
        (c["raw_path"], None, True) for c in entry.get("corrections") or []]
    wanted = set(q["source_row"].tolist())
    for raw_path, sheet, is_correction in sources:
        table = read.read_wave_file(store_dir / raw_path, instrument=inst, sheet=sheet,
                                    column_map=colmap)
        rows = (table.data[SOURCE_ROW].astype(int).tolist() if is_correction
                else table.source_rows.tolist())
        data = table.data.drop(columns=[SOURCE_ROW, "_reasons", "_fixes"], errors="ignore")
        columns += [c for c in data.columns if c not in columns]
        for pos, orig in enumerate(rows):
            if orig in wanted:
                values[orig] = {c: v for c, v in data.iloc[pos].items() if pd.notna(v)}
    frame = pd.DataFrame(
        [{SOURCE_ROW: int(r.source_row), "_reasons": r.reasons, "_fixes": r.fixes,
          **values.get(int(r.source_row), {})} for r in q.itertuples()],
        columns=[SOURCE_ROW, "_reasons", "_fixes", *columns])
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
        frame.to_csv(fh, index=False)
    log.info("exported %d quarantined rows of %s wave %s for correction", len(frame),
             instrument, wave)
    return len(frame)


def _check_private_output(target: Path, store_dir: Path) -> None:
    fname = str(target)
    if target.suffix.lower() != ".csv":
        raise InputError("the file for correcting rows must be a .csv file", file=fname,
                         fix="give a name ending in .csv")
    if target.exists():
        raise InputError("the file exists already", file=fname,
                         fix="give a new file name (the export never overwrites a file)")
    if not target.parent.is_dir():
        raise InputError("its folder does not exist", file=fname, fix="create the folder first")
    resolved = target.resolve()
    sroot = store_dir.resolve()
    if sroot == resolved.parent or sroot in resolved.parents:
        raise InputError("it would be written inside the store", file=fname,
                         fix="write it outside the store folder")
    for d in resolved.parents:
        if (d / ".git").exists():
            raise InputError(
                "it would be written inside a git working tree; the file holds NIPs and names "
                "in clear and must never be committed", file=fname,
                fix="write it outside the project folder, e.g. in your home folder")


def _progress_bar(total: int, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"validating {desc}", unit="field", leave=False)
