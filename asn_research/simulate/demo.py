"""A demo store in one call: simulate the synthetic waves and ingest every file.

:func:`demo_store` is what ``asn-research demo`` and the test suite use. Its
pseudonymization key is derived from the seed (the data are synthetic) and kept in the
demo folder, never in the user's key file; manifest times are fixed from the seed. So the
same seed and size give a byte-identical store.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from .core import simulate

__all__ = ["DemoStore", "demo_key", "demo_store"]

log = logging.getLogger(__name__)

_DEMO_FILE = "demo.json"
_KEY_FILE = "demo-pseudonym.key"


@dataclass(frozen=True, slots=True)
class DemoStore:
    """What :func:`demo_store` built.

    Attributes
    ----------
    root : pathlib.Path
        The demo folder.
    waves_dir : pathlib.Path
        ``<root>/waves``: the simulated wave files, ``manifest.json`` and ``truth.json``.
    store : pathlib.Path
        ``<root>/store``: the ingested store.
    truth : dict
        The ``truth.json`` document (estimand catalogue with true values).
    seed : int
    size : str
    key_fingerprint : str
        Fingerprint of the demo key (the key itself is in ``<root>/demo-pseudonym.key``).
    rows_read, rows_stored, rows_quarantined : int
        Over every file ingested (``rows_read == rows_stored + rows_quarantined``).
    expected_quarantined : int
        Rows the simulator made messy on purpose (what the quarantine should catch).
    rebuilt : bool
        False when an existing demo of the same seed and size was reused.
    synthetic : bool
        Always True.
    """

    root: Path
    waves_dir: Path
    store: Path
    truth: dict[str, Any] = field(repr=False, hash=False, compare=False)
    seed: int
    size: str
    key_fingerprint: str
    rows_read: int
    rows_stored: int
    rows_quarantined: int
    expected_quarantined: int
    rebuilt: bool = True
    synthetic: bool = True


def demo_key(seed: int):
    """The demo's pseudonymization key, derived from the seed (synthetic data only).

    Examples
    --------
    >>> demo_key(2026).fingerprint == demo_key(2026).fingerprint != demo_key(1).fingerprint
    True
    """
    from ..privacy import PseudonymKey

    secret = hashlib.sha256(f"asn-research demo key v1, seed {int(seed)}".encode()).digest()
    return PseudonymKey.from_secret(secret, source=f"demo:seed {int(seed)}")


def _stamp(seed: int, i: int) -> dt.datetime:
    """Fixed ingest time of the i-th demo file (never the clock)."""
    base = dt.datetime(2026, 7, 1, 9, 0, 0, tzinfo=dt.UTC)
    return base + dt.timedelta(seconds=int(seed) % (86_400 * 28) + i)


def _remove_tree(path: Path) -> None:
    """Delete a demo store; its raw copies are read-only, so make them writable first."""
    def onerror(func, p, _exc):  # noqa: ANN001 (shutil's callback signature)
        with contextlib.suppress(OSError):
            os.chmod(p, 0o700)
            os.chmod(os.path.dirname(p), 0o700)
        func(p)

    shutil.rmtree(path, onexc=onerror)


#: The store's log of dated service changes (read by the service-quality report).
INTERVENTIONS_FILE = "interventions.yaml"


def _write_interventions(store_dir: Path, truth: dict[str, Any]) -> None:
    """The synthetic city's own record of when each unit started online permits.

    A real pemda keeps this file by hand (it knows when it launched a service change);
    for the demo it is the simulator's launch months. The effects themselves stay in
    ``truth.json``, which no report reads.
    """
    launches = truth["parameters"]["service"]["launch_month"]
    lines = ["# Dated service changes, for the interrupted time series of the service report.",
             "# SYNTHETIC: the launch months of the simulated city.",
             "interventions:"]
    for unit, month in sorted(launches.items()):
        if month:
            lines.append(f"  - {{id: online_permit, unit: {unit}, start: '{month}', label: "
                         "{id: 'Layanan izin daring', en: 'Online permit applications'}}")
    (store_dir / INTERVENTIONS_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")


def demo_store(
    path: str | os.PathLike[str],
    *,
    seed: int = 2026,
    size: str = "small",
    progress: Callable[[int, int], None] | None = None,
) -> DemoStore:
    """Simulate the synthetic Tangerang Selatan waves and ingest them into a store.

    Parameters
    ----------
    path : path
        The demo folder: ``waves/`` (the simulated files with ``manifest.json`` and
        ``truth.json``), ``store/`` (the ingested store, with ``interventions.yaml``: when
        each simulated unit started online permits), ``demo-pseudonym.key`` and
        ``demo.json`` are written there. It must be new, empty, or an earlier demo.
    seed : int, optional
        Simulation seed (default 2026). The same seed and size give a byte-identical
        store; a demo folder of the same seed and size is reused as it is.
    size : {"small", "city"}, optional
        ``small`` (800 ASN; seconds) or ``city`` (≈ 13,900 ASN).
    progress : callable, optional
        Called as ``progress(done, total)`` after each file is ingested.

    Returns
    -------
    DemoStore

    Raises
    ------
    InputError
        If ``path`` holds something other than an earlier demo.
    ConfigError
        For a bad seed or size.

    Notes
    -----
    Every file is ingested with ``replace=True`` under the wave the simulator wrote it
    for. The key never touches ``~/.config/asn-research``; it is synthetic, derived from
    the seed, and written to the demo folder (owner-only) so that further demo files can
    be ingested with it (``ASN_RESEARCH_KEY`` = its content).

    Examples
    --------
    >>> import tempfile
    >>> from asn_research.simulate import demo_store
    >>> demo = demo_store(tempfile.mkdtemp(), seed=3)           # doctest: +SKIP
    >>> demo.rows_read == demo.rows_stored + demo.rows_quarantined  # doctest: +SKIP
    True
    """
    from ..errors import ConfigError
    from ..waves.ingest import ingest_file

    if size not in ("small", "city"):
        raise ConfigError(f"size must be one of: 'small', 'city'; got {size!r}")
    root = Path(path)
    marker = root / _DEMO_FILE
    key = demo_key(seed)
    want = {"generator": "asn-research demo", "seed": int(seed), "size": size,
            "key_fingerprint": key.fingerprint, "synthetic": True}
    if root.exists() and not root.is_dir():
        raise InputError("the demo path exists and is not a folder", file=str(root),
                         fix="choose a new or empty folder for the demo")
    old = None
    if root.is_dir() and any(root.iterdir()):
        try:
            old = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise InputError(
                "the folder is not empty and does not hold an earlier demo", file=str(root),
                fix="choose a new or empty folder, or an earlier demo folder") from None
    waves_dir, store_dir = root / "waves", root / "store"
    reuse = old is not None and {k: old.get(k) for k in want} == want and \
        (store_dir / "manifest.json").is_file() and old.get("complete") is True
    if old is not None and not reuse:
        marker.unlink(missing_ok=True)
        if store_dir.exists():
            _remove_tree(store_dir)
    root.mkdir(parents=True, exist_ok=True)
    key_path = root / _KEY_FILE
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(object.__getattribute__(key, "_secret").hex() + "\n")

    if not reuse:
        simulate(waves_dir, seed=seed, size=size)
    manifest = json.loads((waves_dir / "manifest.json").read_text(encoding="utf-8"))
    files = manifest["files"]
    totals = {"read": 0, "stored": 0, "quarantined": 0}
    for i, entry in enumerate(files):
        res = ingest_file(waves_dir / entry["file"], instrument=entry["instrument"],
                          wave=entry["wave"], store=store_dir, replace=True, key=key,
                          ingested_at=_stamp(seed, i))
        totals["read"] += res.rows_read
        totals["stored"] += res.rows_stored
        totals["quarantined"] += res.rows_quarantined
        log.info(res.summary())
        if progress is not None:
            progress(i + 1, len(files))
    truth = json.loads((waves_dir / "truth.json").read_text(encoding="utf-8"))
    _write_interventions(store_dir, truth)
    marker.write_text(json.dumps({**want, "complete": True}, indent=2, sort_keys=True) + "\n",
                      encoding="utf-8")
    return DemoStore(
        root=root, waves_dir=waves_dir, store=store_dir, truth=truth, seed=int(seed),
        size=size, key_fingerprint=key.fingerprint, rows_read=totals["read"],
        rows_stored=totals["stored"], rows_quarantined=totals["quarantined"],
        expected_quarantined=sum(int(e.get("expected_quarantined", 0)) for e in files),
        rebuilt=not reuse,
    )
