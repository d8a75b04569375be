"""The wave store: validated, pseudonymized, versioned survey waves on disk.

Layout (a contract; see the README)::

    <store>/
      manifest.json                                   every ingest, newest last
      raw/<instrument>/<wave>/<sha256[:16]>-<file>    the file as received, byte for byte
                                                      (folders 0700, files 0400: owner only)
      processed/<instrument>/<wave>/v<N>.parquet      valid rows, typed, pseudonymized
      quarantine/<instrument>/<wave>/v<N>.parquet     rejected rows with row number and reasons

Only ``raw/`` ever holds a clear identifier. Re-ingesting the same file is a no-op; a
different file for a wave that already has one needs ``replace=True`` and becomes version
N+1 while version N stays on disk (marked ``current: false``). Writes are atomic: tables are
written under temporary names and renamed, and the manifest — the store's single source of
truth — is replaced last, so an interrupted ingest leaves the store as it was.

Examples
--------
>>> from asn_research import store
>>> res = store.ingest_file("waves/merit_2025-1.csv", instrument="merit",
...                         wave="2025-1", store="data/store")      # doctest: +SKIP
>>> res.rows_read == res.rows_stored + res.rows_quarantined         # doctest: +SKIP
True
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from filelock import FileLock, Timeout

from . import __version__, privacy, readers, validation
from .errors import ConfigError, PrivacyError, StoreError
from .instruments import Instrument, load_instrument

__all__ = [
    "MANIFEST_FIELDS",
    "IngestResult",
    "default_store",
    "ingest_file",
    "list_waves",
    "read_manifest",
    "read_quarantine",
    "read_wave",
    "sha256_file",
]

log = logging.getLogger(__name__)

STORE_FORMAT = "asn-research-store"
STORE_FORMAT_VERSION = 1
#: Fields of every entry in ``manifest.json["ingests"]`` (a contract for other tools).
MANIFEST_FIELDS = (
    "instrument",
    "instrument_version",
    "wave",
    "version",
    "current",
    "source_name",
    "raw_path",
    "raw_sha256",
    "table_path",
    "table_sha256",
    "quarantine_path",
    "quarantine_sha256",
    "rows_read",
    "rows_stored",
    "rows_quarantined",
    "ingested_at",
    "synthetic",
    "key_fingerprint",
    "reader",
    "columns_ignored",
    "sheet",
    "package_version",
)
_WAVE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


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


def default_store() -> Path:
    """The store folder: ``$ASN_RESEARCH_STORE`` or ``data/store`` under the current folder."""
    return Path(os.environ.get("ASN_RESEARCH_STORE", "data/store"))


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_wave_id(wave: str, store: str | os.PathLike[str] | None = None) -> str:
    """Return ``wave`` if the wave calendar knows it, else raise ConfigError (a usage error).

    Semester (``2025-1``), quarter (``2025-Q1``), month (``2025-01``) and year (``2025``)
    ids are always known; other ids must be declared in ``<store>/calendar.yaml``
    (see :mod:`asn_research.waves.calendar`).
    """
    from .waves.calendar import WaveCalendar

    if not isinstance(wave, str) or not _WAVE_RE.match(wave):
        raise ConfigError(
            f"wave id {wave!r} is not valid: use letters, digits, '-', '_' or '.', e.g. "
            "2025-1 or 2024-03 (at most 64 characters)"
        )
    cal = WaveCalendar.read(store) if store is not None else WaveCalendar.empty()
    cal.parse(wave)
    return wave


# --------------------------------------------------------------------------- manifest


def read_manifest(store: str | os.PathLike[str]) -> dict:
    """Return the store's manifest (an empty one for a new store).

    Raises
    ------
    StoreError
        If ``manifest.json`` exists but is not a store manifest.
    """
    p = Path(store) / "manifest.json"
    if not p.exists():
        return {"format": STORE_FORMAT, "format_version": STORE_FORMAT_VERSION, "ingests": []}
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"{p}: cannot read the store manifest ({exc})") from None
    if (
        not isinstance(doc, dict)
        or doc.get("format") != STORE_FORMAT
        or not isinstance(doc.get("ingests"), list)
    ):
        raise StoreError(
            f"{p} is not an asn-research store manifest; choose another --store folder"
        )
    return doc


def _write_json_atomic(path: Path, doc: dict) -> None:
    text = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".manifest-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _locked(store: Path) -> Iterator[None]:
    """Hold the store's lock file (``<store>/.lock``) while writing; one writer at a time.

    ``filelock`` uses the operating system's file locks (fcntl on Linux and macOS,
    msvcrt on Windows), so a crashed ingest never leaves a stale lock behind.
    """
    try:
        store.mkdir(parents=True, exist_ok=True)
        lock = FileLock(store / ".lock", timeout=0)
        lock.acquire()
    except Timeout:
        raise StoreError(
            f"another ingest is writing to {store}; wait for it to finish and try again"
        ) from None
    except OSError as exc:
        raise StoreError(
            f"cannot use {store} as a store ({exc.strerror}); give a folder you can write to "
            "with --store or ASN_RESEARCH_STORE"
        ) from None
    try:
        yield
    finally:
        lock.release()


# --------------------------------------------------------------------------- synthetic detection


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


# --------------------------------------------------------------------------- tables


def _table_bytes_write(df: pd.DataFrame, dest: Path) -> str:
    """Write ``df`` as Parquet to a temp file next to ``dest``, rename, return its sha256."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".", suffix=".parquet.tmp")
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="snappy")
        digest = sha256_file(tmp)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return digest


def _read_source(src: Path) -> bytes | None:
    """The whole file, or None if it is not a readable regular file (the reader then
    reports why)."""
    try:
        return src.read_bytes() if src.is_file() else None
    except OSError:
        return None


def _sha256_bytes(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()  # releases the GIL for large data


def _repeated_text(text: str, n: int) -> pd.Series:
    """``n`` copies of ``text`` as a ``str`` column, built in Arrow (no million-item list)."""
    arr = pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(n, dtype=np.int8)), pa.array([text], pa.large_string())
    ).dictionary_decode()
    return pd.Series(pd.array(arr, dtype="str"))


def _copy_raw(src: Path, dest: Path, sha256: str, content: bytes | None = None) -> None:
    """Store the raw file under ``dest`` (owner-read-only): ``content`` (the bytes that
    were hashed and parsed) when given, else a copy of ``src`` checked against ``sha256``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    for d in (dest.parent, dest.parent.parent, dest.parent.parent.parent):
        os.chmod(d, 0o700)
    if dest.exists():
        return  # same name = same sha prefix: already there, byte for byte
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".", suffix=".tmp")
    try:
        if content is not None:  # exactly the bytes that were hashed and parsed
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
        else:
            os.close(fd)
            shutil.copyfile(src, tmp)
            if sha256_file(tmp) != sha256:
                raise StoreError(
                    f"{src.name} changed while it was being ingested; nothing was stored. "
                    "Wait until the file is saved completely and ingest it again"
                )
        os.chmod(tmp, 0o400)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# --------------------------------------------------------------------------- ingest


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
    content = _read_source(src)
    if content is None:  # not a readable file: the reader says why
        readers.read_wave_file(src, instrument=inst, sheet=sheet)
    raw_sha = _sha256_bytes(content)

    with _locked(store_dir):
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
        table = readers.read_wave_file(src, instrument=inst, sheet=sheet,
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
            res = validation.validate_wave(
                table,
                inst,
                key=k,
                reference_date=reference_date,
                progress=(lambda _name: bar.update(1)) if bar else None,
            )
        finally:
            if bar:
                bar.close()
        sim = _simulate_entry(src, raw_sha)
        is_synth = synthetic if synthetic is not None else (sim is not None or res.synthetic_marked)
        if sim is not None and sim.get("wave") not in (None, wave):
            notes.append(f"the simulator wrote this file as wave {sim['wave']!r}, not {wave!r}")

        version = max((e["version"] for e in history), default=0) + 1
        rel_raw = Path("raw", inst.id, wave, f"{raw_sha[:16]}-{_safe_name(src.name)}")
        rel_tab = Path("processed", inst.id, wave, f"v{version}.parquet")
        rel_q = Path("quarantine", inst.id, wave, f"v{version}.parquet")
        valid = res.valid.copy(deep=False)  # copy-on-write: res.valid stays as it is
        valid.insert(0, "wave", _repeated_text(wave, len(valid)))
        # three independent writes that release the GIL; all finish before the manifest
        with ThreadPoolExecutor(max_workers=3) as pool:
            jobs = [
                pool.submit(_copy_raw, src, store_dir / rel_raw, raw_sha, content),
                pool.submit(_table_bytes_write, valid, store_dir / rel_tab),
                pool.submit(_table_bytes_write, res.quarantine, store_dir / rel_q),
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
        _write_json_atomic(store_dir / "manifest.json", manifest)

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


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:100] or "file"


def _progress_bar(total: int, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"validating {desc}", unit="field", leave=False)


# --------------------------------------------------------------------------- reading back


def list_waves(
    store: str | os.PathLike[str] | None = None, *, all_versions: bool = False
) -> pd.DataFrame:
    """List what the store holds: one row per instrument and wave (current version).

    Returns
    -------
    pandas.DataFrame
        Columns ``instrument``, ``wave``, ``version``, ``instrument_version``, ``rows_read``,
        ``rows_stored``, ``rows_quarantined``, ``synthetic``, ``source_name``,
        ``ingested_at``, ``current``; sorted by instrument and wave.
    """
    store_dir = Path(store) if store is not None else default_store()
    if not store_dir.is_dir():
        raise StoreError(
            f"there is no store at {store_dir}; give the right --store folder "
            "(or set ASN_RESEARCH_STORE), or ingest a wave to create it"
        )
    entries = read_manifest(store_dir)["ingests"]
    if not all_versions:
        entries = [e for e in entries if e.get("current")]
    cols = [
        "instrument",
        "wave",
        "version",
        "instrument_version",
        "rows_read",
        "rows_stored",
        "rows_quarantined",
        "synthetic",
        "source_name",
        "ingested_at",
        "current",
    ]
    df = pd.DataFrame([{c: e.get(c) for c in cols} for e in entries], columns=cols)
    return df.sort_values(["instrument", "wave", "version"], kind="stable").reset_index(drop=True)


def _entry(store_dir: Path, instrument: str, wave: str, version: int | None) -> dict:
    entries = [
        e
        for e in read_manifest(store_dir)["ingests"]
        if e["instrument"] == instrument and e["wave"] == wave
    ]
    if version is None:
        entries = [e for e in entries if e.get("current")]
    else:
        entries = [e for e in entries if e["version"] == version]
    if not entries:
        held = list_waves(store_dir)
        have = ", ".join(f"{r.instrument}/{r.wave}" for r in held.itertuples()) or "nothing"
        raise StoreError(
            f"the store {store_dir} holds no {instrument} wave {wave}"
            + (f" version {version}" if version else "")
            + f"; it holds: {have}"
        )
    return entries[-1]


def read_wave(
    instrument: str,
    wave: str | None = None,
    *,
    store: str | os.PathLike[str] | None = None,
    version: int | None = None,
) -> pd.DataFrame:
    """Read the stored (valid, pseudonymized) rows of one wave, or of every wave.

    Parameters
    ----------
    instrument : str
    wave : str, optional
        A wave id; ``None`` reads the current version of every wave, stacked.
    store : path, optional
    version : int, optional
        A specific version (default: the current one).

    Returns
    -------
    pandas.DataFrame
        One row per stored response, with a ``wave`` column.
    """
    store_dir = Path(store) if store is not None else default_store()
    if wave is None:
        waves = list_waves(store_dir)
        waves = waves[waves["instrument"] == instrument]["wave"].tolist()
        if not waves:
            raise StoreError(f"the store {store_dir} holds no {instrument} waves")
        return pd.concat(
            [read_wave(instrument, w, store=store_dir) for w in waves], ignore_index=True
        )
    e = _entry(store_dir, instrument, wave, version)
    return pd.read_parquet(store_dir / e["table_path"])


def read_quarantine(
    instrument: str,
    wave: str,
    *,
    store: str | os.PathLike[str] | None = None,
    version: int | None = None,
) -> pd.DataFrame:
    """Read the quarantined rows of one wave (row numbers, reasons, pseudonymized answers)."""
    store_dir = Path(store) if store is not None else default_store()
    e = _entry(store_dir, instrument, wave, version)
    return pd.read_parquet(store_dir / e["quarantine_path"])
