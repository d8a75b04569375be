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
>>> from asn_research.waves import ingest_file
>>> res = ingest_file("waves/merit_2025-1.csv", instrument="merit",
...                   wave="2025-1", store="data/store")            # doctest: +SKIP
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
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from filelock import FileLock, Timeout

from ..errors import ConfigError, StoreError

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
    "rows_skipped",
    "ingested_at",
    "synthetic",
    "key_fingerprint",
    "reader",
    "columns_ignored",
    "column_map",
    "missing_allowed",
    "sheet",
    "corrections",
    "package_version",
)


_WAVE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


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
    from .calendar import WaveCalendar

    if not isinstance(wave, str) or not _WAVE_RE.match(wave):
        raise ConfigError(
            f"wave id {wave!r} is not valid: use letters, digits, '-', '_' or '.', e.g. "
            "2025-1 or 2024-03 (at most 64 characters)"
        )
    cal = WaveCalendar.read(store) if store is not None else WaveCalendar.empty()
    cal.parse(wave)
    return wave


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


def write_json_atomic(path: Path, doc: dict) -> None:
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
def locked(store: Path) -> Iterator[None]:
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


def write_table(df: pd.DataFrame, dest: Path) -> str:
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


def read_source(src: Path) -> bytes | None:
    """The whole file, or None if it is not a readable regular file (the reader then
    reports why)."""
    try:
        return src.read_bytes() if src.is_file() else None
    except OSError:
        return None


def sha256_bytes(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()  # releases the GIL for large data


def copy_raw(content: bytes, dest: Path) -> None:
    """Store the raw file's bytes (exactly those that were hashed and parsed) under ``dest``,
    owner-read-only, in owner-only folders; atomic (written under a temporary name)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    for d in (dest.parent, dest.parent.parent, dest.parent.parent.parent):
        os.chmod(d, 0o700)
    if dest.exists():
        return  # same name = same sha prefix: already there, byte for byte
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.chmod(tmp, 0o400)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:100] or "file"


def list_waves(
    store: str | os.PathLike[str] | None = None, *, all_versions: bool = False
) -> pd.DataFrame:
    """List what the store holds: one row per instrument and wave (current version).

    Returns
    -------
    pandas.DataFrame
        Columns ``instrument``, ``wave``, ``version``, ``instrument_version``, ``rows_read``,
        ``rows_stored``, ``rows_quarantined``, ``synthetic``, ``source_name``,
        ``ingested_at``, ``current`` (and ``removed_at`` with ``all_versions``); sorted by
        instrument, then waves in calendar order, then version.
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
    if all_versions:
        cols.append("removed_at")
    df = pd.DataFrame([{c: e.get(c) for c in cols} for e in entries], columns=cols)
    from .calendar import WaveCalendar

    cal = WaveCalendar.read(store_dir)

    def order(e: dict) -> tuple:
        try:
            key = cal.parse(e["wave"]).sort_key
        except ConfigError:  # an id from before the calendar existed: after the others
            key = (dt.date.max, dt.date.max, e["wave"])
        return (e["instrument"], key, e["version"])

    df["_order"] = [order(e) for e in df.to_dict("records")]
    return df.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)


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


# --------------------------------------------------------------------------- remove / rename


def _event(manifest: dict, **fields) -> None:
    manifest.setdefault("events", []).append(fields)


def _wave_dirs(store_dir: Path, instrument: str, wave: str) -> list[Path]:
    return [store_dir / part / instrument / wave for part in ("raw", "processed", "quarantine")]


def _make_writable(path: Path) -> None:
    for p in [path, *path.rglob("*")]:
        with contextlib.suppress(OSError):
            os.chmod(p, 0o700 if p.is_dir() else 0o600)


def remove_wave(
    instrument: str,
    wave: str,
    *,
    store: str | os.PathLike[str] | None = None,
    purge: bool = False,
    when: dt.datetime | None = None,
) -> int:
    """Remove a wave stored by mistake: it is no longer listed, loaded or reported.

    The manifest keeps the wave's entries (marked ``current: false`` with ``removed_at``)
    and records the removal in its ``events`` list; the raw copies and tables stay on disk
    unless ``purge`` is given.

    Parameters
    ----------
    instrument, wave : str
        The wave to remove.
    store : path, optional
        The store folder (default as the command line).
    purge : bool, optional
        Also delete the wave's raw copies, tables and quarantine from disk (cannot be undone).
    when : datetime.datetime, optional
        The time recorded (default: now, UTC).

    Returns
    -------
    int
        The number of versions removed.

    Raises
    ------
    StoreError
        If the store holds no such wave (the message lists what it holds), or is busy.
    """
    store_dir = Path(store) if store is not None else default_store()
    at = (when or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0).isoformat()
    with locked(store_dir):
        manifest = read_manifest(store_dir)
        entries = [e for e in manifest["ingests"]
                   if e["instrument"] == instrument and e["wave"] == wave
                   and not e.get("removed_at")]
        if not entries:
            _entry(store_dir, instrument, wave, None)  # raises, listing what the store holds
        for e in entries:
            e["current"] = False
            e["removed_at"] = at
            if purge:
                e["purged"] = True
        if purge:
            for d in _wave_dirs(store_dir, instrument, wave):
                if d.exists():
                    _make_writable(d)
                    shutil.rmtree(d)
        _event(manifest, event="remove", instrument=instrument, wave=wave, at=at,
               versions=len(entries), purged=bool(purge))
        write_json_atomic(store_dir / "manifest.json", manifest)
    log.info("removed %s wave %s (%d versions%s)", instrument, wave, len(entries),
             ", purged" if purge else "")
    return len(entries)


def rename_wave(
    instrument: str,
    wave: str,
    new: str,
    *,
    store: str | os.PathLike[str] | None = None,
    when: dt.datetime | None = None,
) -> int:
    """Give a stored wave another id (e.g. ``2025-01`` that should have been ``2025-1``).

    Every version moves: the folders under ``raw/``, ``processed/`` and ``quarantine/``,
    the manifest entries (``wave``, paths, ``renamed_from``) and an ``events`` record.

    Parameters
    ----------
    instrument, wave : str
        The wave to rename.
    new : str
        The new id; it must be in the wave calendar and not yet used by the instrument.
    store : path, optional
        The store folder.
    when : datetime.datetime, optional
        The time recorded (default: now, UTC).

    Returns
    -------
    int
        The number of versions renamed.

    Raises
    ------
    StoreError
        If there is no such wave, or ``new`` is already used (also by a removed wave
        whose files are still on disk).
    ConfigError
        If ``new`` is not a wave id of the calendar.
    """
    store_dir = Path(store) if store is not None else default_store()
    check_wave_id(new, store_dir)
    at = (when or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0).isoformat()
    with locked(store_dir):
        manifest = read_manifest(store_dir)
        entries = [e for e in manifest["ingests"]
                   if e["instrument"] == instrument and e["wave"] == wave]
        if not [e for e in entries if e.get("current")]:
            _entry(store_dir, instrument, wave, None)  # raises, listing what the store holds
        taken = [e for e in manifest["ingests"]
                 if e["instrument"] == instrument and e["wave"] == new]
        if taken or any(d.exists() for d in _wave_dirs(store_dir, instrument, new)):
            raise StoreError(
                f"{instrument} wave {new} is already used in {store_dir}"
                + (" (by a removed wave whose files are kept)" if taken and
                   not any(e.get("current") for e in taken) else "")
                + "; choose another id, or remove that wave first (with --purge if it was "
                "removed already)")
        for old_dir, new_dir in zip(_wave_dirs(store_dir, instrument, wave),
                                    _wave_dirs(store_dir, instrument, new), strict=True):
            if old_dir.exists():
                os.replace(old_dir, new_dir)
        prefix = {f"{part}/{instrument}/{wave}/": f"{part}/{instrument}/{new}/"
                  for part in ("raw", "processed", "quarantine")}

        def moved(path: str | None) -> str | None:
            for a, b in prefix.items():
                if path and path.startswith(a):
                    return b + path[len(a):]
            return path

        for e in entries:
            e["wave"] = new
            e["renamed_from"] = wave
            for k in ("raw_path", "table_path", "quarantine_path"):
                e[k] = moved(e.get(k))
            for c in e.get("corrections") or []:
                c["raw_path"] = moved(c.get("raw_path"))
        _event(manifest, event="rename", instrument=instrument, wave=wave, to=new, at=at,
               versions=len(entries))
        write_json_atomic(store_dir / "manifest.json", manifest)
    log.info("renamed %s wave %s to %s (%d versions)", instrument, wave, new, len(entries))
    return len(entries)
