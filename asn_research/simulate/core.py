"""Orchestration: build the simulated world chunk by chunk and write every file.

Methods orchestrate, numbers happen in the component modules: :mod:`.population`,
:mod:`.training`, :mod:`.merit`, :mod:`.service` generate clean frames and truth sums;
:mod:`.writers` and :mod:`.mess` turn them into files; :mod:`.truth` assembles the
estimand catalogue.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from ..errors import ConfigError, InputError
from ..instruments import load_instrument
from .merit import DIALOGUE_EFFECTS, merit_world, simulate_merit
from .population import generate_population, load_opds
from .service import SERVICE_EFFECTS, service_world, simulate_skm
from .training import TRAINING_EFFECTS, simulate_training
from .truth import TruthAccumulator, truth_document
from .world import (
    MERIT_WAVES,
    SKM_MONTHS,
    TRAINING_WAVES,
    component_rng,
    size_config,
)
from .writers import FileFormat, WaveFileSink

__all__ = ["SimulatedFile", "SimulatedFrames", "SimulationResult", "simulate",
           "simulate_frames"]

logger = logging.getLogger(__name__)

GENERATOR = "asn-research simulate"

# ----------------------------------------------------------------------------- format plan
_CSV = FileFormat("csv")
_CSV_BOM = FileFormat("csv", encoding="utf-8-sig")
_CSV_WIN = FileFormat("csv", encoding="cp1252")
_XLSX_TITLE = FileFormat("xlsx", title_row=True)
_XLSX = FileFormat("xlsx")
_KOBO_CSV = FileFormat("kobo-csv")
_KOBO_CSV_LABELS = FileFormat("kobo-csv", answers="labels")
_KOBO_XLSX_LABELS = FileFormat("kobo-xlsx", answers="labels")

_ASN_PLAN = {
    "training": {"2024-1": _XLSX_TITLE, "2025-1": _CSV_WIN, "2026-1": _KOBO_CSV_LABELS},
    "merit": {"2024-1": _CSV, "2024-2": _KOBO_CSV, "2025-1": _XLSX, "2025-2": _CSV_BOM,
              "2026-1": _KOBO_XLSX_LABELS},
}
# National: the big ASN files are CSV only (streamed chunk by chunk).
_ASN_PLAN_LARGE = {
    "training": {"2024-1": _CSV_BOM, "2025-1": _CSV_WIN, "2026-1": _KOBO_CSV_LABELS},
    "merit": {"2024-1": _CSV, "2024-2": _KOBO_CSV, "2025-1": _CSV_WIN, "2025-2": _CSV_BOM,
              "2026-1": _KOBO_CSV_LABELS},
}
_SKM_ROTATION = (_CSV, _CSV_WIN, _KOBO_XLSX_LABELS, _CSV_BOM, _XLSX_TITLE, _KOBO_CSV)
_MAX_FRACTION = 0.2


@dataclass(frozen=True, slots=True)
class SimulatedFile:
    """One written wave file, as listed in ``manifest.json``.

    Attributes
    ----------
    file : str
        Path relative to the output folder (forward slashes).
    instrument, wave, format : str
    rows : int
        Data rows written (duplicates included).
    expected_quarantined : int
        Rows ingest must quarantine.
    sha256 : str
        Hash of the file's bytes.
    """

    file: str
    instrument: str
    wave: str
    format: str
    rows: int
    expected_quarantined: int
    sha256: str


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """What :func:`simulate` wrote.

    Attributes
    ----------
    out_dir : pathlib.Path
        The output folder.
    seed : int
    size : str
    messy_fraction : float
    files : tuple of SimulatedFile
        Every wave file, sorted by path.
    n_rows : dict of str to int
        Data rows per instrument (all waves).
    n_expected_quarantined : int
        Rows ingest must quarantine, over all files.
    n_estimands : int
        Estimands in ``truth.json``.
    manifest_path, truth_path : pathlib.Path
    synthetic : bool
        Always True.
    """

    out_dir: Path
    seed: int
    size: str
    messy_fraction: float
    files: tuple[SimulatedFile, ...] = field(repr=False)
    n_rows: dict[str, int] = field(hash=False)
    n_expected_quarantined: int
    n_estimands: int
    manifest_path: Path
    truth_path: Path
    synthetic: bool = True

    def summary(self) -> str:
        """One line for the terminal (no identifiers)."""
        rows = ", ".join(f"{k} {v:,}" for k, v in self.n_rows.items())
        return (
            f"{len(self.files)} SYNTHETIC wave files in {self.out_dir} (seed {self.seed}, size "
            f"{self.size}; rows: {rows}; {self.n_expected_quarantined:,} rows to quarantine), "
            f"{self.n_estimands} estimands in truth.json"
        )

    def __str__(self) -> str:
        return self.summary()

    def to_frame(self) -> pd.DataFrame:
        """One row per written file (the manifest as a tidy frame)."""
        frame = pd.DataFrame([
            {"file": f.file, "instrument": f.instrument, "wave": f.wave, "format": f.format,
             "rows": f.rows, "expected_quarantined": f.expected_quarantined,
             "sha256": f.sha256}
            for f in self.files
        ])
        frame.attrs["synthetic"] = True
        return frame


@dataclass(frozen=True, slots=True)
class SimulatedFrames:
    """The simulated world as clean, tidy frames (no file formats, no mess).

    Attributes
    ----------
    population : pandas.DataFrame
        One row per employee (see
        :func:`~asn_research.simulate.population.generate_population`).
    training, merit : pandas.DataFrame
        All waves stacked, with a ``wave`` column first and ``person_id`` (the synthetic
        person number of ``population``) second, then the instrument's fields.
    skm : pandas.DataFrame
        All months stacked, with a ``wave`` (month) column first.
    truth : dict
        The ``truth.json`` document.
    """

    population: pd.DataFrame = field(repr=False)
    training: pd.DataFrame = field(repr=False)
    merit: pd.DataFrame = field(repr=False)
    skm: pd.DataFrame = field(repr=False)
    truth: dict[str, Any] = field(repr=False, hash=False)


# ----------------------------------------------------------------------------- checks
def _check_args(seed: Any, size: Any, messy_fraction: Any) -> None:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer; got {seed!r}")
    size_config(size)
    if isinstance(messy_fraction, bool) or not isinstance(messy_fraction, (int, float)) or \
            not 0 <= float(messy_fraction) <= _MAX_FRACTION:
        raise ConfigError(
            f"messy_fraction must be a number from 0 to {_MAX_FRACTION}; got {messy_fraction!r}"
        )


def _stamp(seed: int) -> dt.datetime:
    """Fixed document/zip timestamp derived from the seed (never the clock)."""
    return dt.datetime(2026, 7, 1, 8, 0, 0) + dt.timedelta(seconds=int(seed) % (86_400 * 28))


def _prepare_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InputError("the output path exists and is not a folder", file=str(out),
                         fix="choose a new or empty folder for --out")
    if out.is_dir() and any(out.iterdir()):
        man = out / "manifest.json"
        try:
            old = json.loads(man.read_text(encoding="utf-8"))
            ours = old.get("generator") == GENERATOR
        except (OSError, ValueError, AttributeError):
            ours = False
        if not ours:
            raise InputError(
                "the output folder is not empty and was not written by `asn-research simulate`",
                file=str(out),
                fix="choose a new or empty folder, or a folder written by an earlier simulate",
            )
        # Replace an earlier simulation: remove exactly what it listed.
        for entry in old.get("files", []):
            p = (out / entry.get("file", "")).resolve()
            if out.resolve() in p.parents and p.is_file():
                p.unlink()
        for name in ("manifest.json", "truth.json", "mess.json"):
            (out / name).unlink(missing_ok=True)
        for sub in ("training", "merit", "skm"):
            d = out / sub
            if d.is_dir() and not any(d.iterdir()):
                d.rmdir()
    out.mkdir(parents=True, exist_ok=True)


def _dump(obj: Any) -> bytes:
    return (json.dumps(obj, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode(
        "utf-8")


def _parameters(cfg_name: str, mworld: Mapping[str, Any], sworld: Mapping[str, Any]
                ) -> dict[str, Any]:
    return {
        "calendar": {
            "training_waves": [[w.id, w.start.isoformat(), w.end.isoformat()]
                               for w in TRAINING_WAVES],
            "merit_waves": [[w.id, w.start.isoformat(), w.end.isoformat()]
                            for w in MERIT_WAVES],
            "skm_months": [SKM_MONTHS[0], SKM_MONTHS[-1]],
        },
        "training": {k: (list(v) if isinstance(v, tuple) else v)
                     for k, v in TRAINING_EFFECTS.items()},
        "dialogue": {
            **{k: (list(v) if isinstance(v, tuple) else v) for k, v in DIALOGUE_EFFECTS.items()},
            "adoption_wave": dict(sorted(mworld["adoption_wave"].items())),
            "opd_effect": {k: round(v, 6) for k, v in sorted(mworld["opd_effect"].items())},
        },
        "service": {
            **{k: (list(v) if isinstance(v, tuple) else v) for k, v in SERVICE_EFFECTS.items()},
            "launch_month": dict(sorted(sworld["launch_month"].items())),
            "weak_elements": dict(sorted(sworld["weak_elements"].items())),
            "base": {k: round(v, 6) for k, v in sorted(sworld["base"].items())},
            "trend_latent_per_month": {k: round(v, 6) for k, v in sorted(sworld["trend"].items())},
        },
        "size": cfg_name,
    }


# ----------------------------------------------------------------------------- world
def _opd_weights(seed: int) -> np.ndarray:
    opds = load_opds()
    rng = component_rng(seed, "population.world")
    return opds["weight"].to_numpy() * np.exp(rng.normal(0, 0.25, len(opds)))


def _iter_world(seed: int, size: str, *, acc: TruthAccumulator, mworld: Mapping[str, Any]):
    """Yield (chunk, population, training frames, merit frames); fill ``acc``."""
    cfg = size_config(size)
    weights = _opd_weights(seed)
    for k, start in enumerate(range(0, cfg.n_employees, cfg.chunk_size)):
        m = min(cfg.chunk_size, cfg.n_employees - start)
        pop = generate_population(component_rng(seed, "population", k), m,
                                  pns_share=cfg.pns_share, chunk_index=k,
                                  first_person_id=start, opd_weights=weights)
        tr = simulate_training(pop, seed=seed, chunk=k, topic_frac=cfg.training_topic_frac,
                               comparison_frac=cfg.comparison_frac, acc=acc)
        mr = simulate_merit(pop, seed=seed, chunk=k, panel_frac=cfg.merit_panel_frac,
                            world=dict(mworld), acc=acc)
        yield k, pop, tr, mr


# ----------------------------------------------------------------------------- public
def simulate(
    out: str | os.PathLike[str],
    *,
    seed: int = 1,
    size: str = "small",
    messy_fraction: float = 0.015,
) -> SimulationResult:
    """Write synthetic Tangerang Selatan survey waves with known ground truth.

    Writes, under ``out``: the ``training`` (3 waves), ``merit`` (5 waves) and ``skm``
    (42 months) wave files in a mix of the formats ingestion accepts; ``truth.json``
    (the estimand catalogue with true values and definitions); ``mess.json`` (the
    row-level list of injected mess, without identifiers); and ``manifest.json``
    (every wave file with instrument, wave, format, sha256, rows and the number of
    rows ingest must quarantine; all marked synthetic).

    Parameters
    ----------
    out : str or path
        Output folder; created if missing. It must be empty or hold an earlier
        simulation (whose files are then replaced).
    seed : int, optional
        Seed of every random stream. The same seed gives byte-identical files.
    size : {"small", "city", "national"}, optional
        ``small`` (800 ASN, 15–40 SKM respondents per unit-month; seconds),
        ``city`` (≈ 13,900 ASN, Krejcie–Morgan SKM samples), ``national``
        (1,050,000 ASN, streamed in chunks; plain/Kobo CSV only for the ASN files).
    messy_fraction : float, optional
        Expected share of rows per file that ingest must quarantine (0 to 0.2; 0 turns
        all mess off); about twice as many rows get mess that ingest must accept.

    Returns
    -------
    SimulationResult

    Raises
    ------
    ConfigError
        If ``seed``, ``size`` or ``messy_fraction`` is invalid.
    InputError
        If ``out`` is a file, or a non-empty folder not written by ``simulate``.

    Notes
    -----
    Every number is drawn from ``numpy.random.default_rng`` streams keyed by the seed
    and a component name (:func:`~asn_research.simulate.world.component_rng`); nothing
    reads the clock, so files and JSON documents are reproducible byte for byte. All
    people, NIPs and names are synthetic. The world, the formats and the estimand
    catalogue are documented in ``docs/simulated_world.md``.

    Examples
    --------
    >>> import tempfile
    >>> from asn_research.simulate import simulate
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     res = simulate(tmp, seed=1, size="small")
    >>> sorted(res.n_rows), len(res.files), res.synthetic
    (['merit', 'skm', 'training'], 50, True)
    """
    _check_args(seed, size, messy_fraction)
    seed = int(seed)
    cfg = size_config(size)
    root = Path(out)
    _prepare_out(root)
    stamp = _stamp(seed)
    plan = _ASN_PLAN if cfg.allow_xlsx_asn else _ASN_PLAN_LARGE
    insts = {i: load_instrument(i) for i in ("training", "merit", "skm")}
    sinks: dict[tuple[str, str], WaveFileSink] = {}

    def sink(instrument: str, wave: str, fmt: FileFormat, title: str) -> WaveFileSink:
        key = (instrument, wave)
        if key not in sinks:
            suffix = "_kobo" if fmt.is_kobo else ""
            rel = f"{instrument}/{instrument}_{wave}{suffix}{fmt.extension}"
            sinks[key] = WaveFileSink(root, rel, insts[instrument], wave, fmt, seed,
                                      float(messy_fraction), title=title)
        return sinks[key]

    acc = TruthAccumulator()
    mworld = merit_world(seed)
    for k, _pop, tr, mr in _iter_world(seed, size, acc=acc, mworld=mworld):
        for wave, frame in tr.items():
            sink("training", wave, plan["training"][wave],
                 f"Evaluasi Pelatihan ASN — gelombang {wave} (DATA SINTETIS)").write(
                frame.drop(columns="person_id"))
        for wave, frame in mr.items():
            sink("merit", wave, plan["merit"][wave],
                 f"Survei Sikap ASN terhadap Sistem Merit — {wave} (DATA SINTETIS)").write(
                frame.drop(columns="person_id"))
        logger.info("simulated ASN chunk %d", k)

    sworld = service_world(seed)
    skm_frames, service_truth = simulate_skm(seed=seed, sample=cfg.skm_sample, world=sworld)
    for t, (month, frame) in enumerate(skm_frames.items()):
        sink("skm", month, _SKM_ROTATION[t % len(_SKM_ROTATION)],
             f"Survei Kepuasan Masyarakat — {month} (DATA SINTETIS)").write(frame)
    del skm_frames

    entries = []
    mess_rows: dict[str, list[dict]] = {}
    for s in sinks.values():
        entry = s.close(stamp)
        entries.append(entry)
        mess_rows[s.relpath] = s.details
        logger.info("wrote %s (%d rows, %d to quarantine)", s.relpath, entry["rows"],
                    entry["expected_quarantined"])
    entries.sort(key=lambda e: e["file"])

    truth = truth_document(acc, service_truth, seed=seed, size=size,
                           package_version=__version__,
                           parameters=_parameters(size, mworld, sworld))
    truth_bytes = _dump(truth)
    (root / "truth.json").write_bytes(truth_bytes)
    mess_doc = {"generator": GENERATOR, "seed": seed, "size": size, "synthetic": True,
                "messy_fraction": float(messy_fraction),
                "note": "rows are 1-based data rows (header and title rows not counted)",
                "files": dict(sorted(mess_rows.items()))}
    (root / "mess.json").write_bytes(_dump(mess_doc))
    manifest = {
        "generator": GENERATOR,
        "package_version": __version__,
        "seed": seed,
        "size": size,
        "messy_fraction": float(messy_fraction),
        "synthetic": True,
        "truth": {"file": "truth.json", "sha256": _sha(truth_bytes),
                  "n_estimands": len(truth["estimands"])},
        "files": entries,
    }
    (root / "manifest.json").write_bytes(_dump(manifest))

    n_rows: dict[str, int] = {}
    for e in entries:
        n_rows[e["instrument"]] = n_rows.get(e["instrument"], 0) + e["rows"]
    files = tuple(
        SimulatedFile(e["file"], e["instrument"], e["wave"], e["format"], e["rows"],
                      e["expected_quarantined"], e["sha256"]) for e in entries
    )
    logger.info("simulate: %d files, %d estimands in %s", len(files),
                len(truth["estimands"]), root)
    return SimulationResult(
        out_dir=root,
        seed=seed,
        size=size,
        messy_fraction=float(messy_fraction),
        files=files,
        n_rows=dict(sorted(n_rows.items())),
        n_expected_quarantined=sum(f.expected_quarantined for f in files),
        n_estimands=len(truth["estimands"]),
        manifest_path=root / "manifest.json",
        truth_path=root / "truth.json",
    )


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def simulate_frames(*, seed: int = 1, size: str = "small") -> SimulatedFrames:
    """Return the simulated world as clean frames, without writing files.

    The frames hold exactly the answers :func:`simulate` writes for the same seed and
    size, before formatting and mess: codes, ISO dates, NA where a question was not
    asked. Useful for examples and tests of the analysis modules.

    Parameters
    ----------
    seed : int, optional
        Simulation seed.
    size : {"small", "city"}, optional
        ``national`` is refused (it does not fit in memory as frames).

    Returns
    -------
    SimulatedFrames

    Raises
    ------
    ConfigError
        For an invalid seed or size, or ``size="national"``.

    Examples
    --------
    >>> from asn_research.simulate import simulate_frames
    >>> world = simulate_frames(seed=1, size="small")
    >>> sorted(world.merit["wave"].unique())
    ['2024-1', '2024-2', '2025-1', '2025-2', '2026-1']
    >>> world.truth["synthetic"], world.population.attrs["synthetic"]
    (True, True)
    """
    _check_args(seed, size, 0.0)
    if size == "national":
        raise ConfigError(
            "size must be one of: 'small', 'city' for simulate_frames; got 'national' "
            "(use simulate() to write national-size files)"
        )
    pops, trs, mrs = [], [], []
    acc = TruthAccumulator()
    mworld = merit_world(int(seed))
    for _k, pop, tr, mr in _iter_world(int(seed), size, acc=acc, mworld=mworld):
        pops.append(pop)
        trs += [f.assign(wave=w) for w, f in tr.items()]
        mrs += [f.assign(wave=w) for w, f in mr.items()]
    sworld = service_world(int(seed))
    skm, service_truth = simulate_skm(seed=int(seed), sample=size_config(size).skm_sample,
                                      world=sworld)
    truth = truth_document(acc, service_truth, seed=int(seed), size=size,
                           package_version=__version__,
                           parameters=_parameters(size, mworld, sworld))

    def stack(parts: list[pd.DataFrame]) -> pd.DataFrame:
        f = pd.concat(parts, ignore_index=True)
        f = f[["wave", *[c for c in f.columns if c != "wave"]]]  # then person_id, fields
        f.attrs["synthetic"] = True
        return f

    population = pd.concat(pops, ignore_index=True)
    population.attrs["synthetic"] = True
    return SimulatedFrames(
        population=population,
        training=stack(trs),
        merit=stack(mrs),
        skm=stack([f.assign(wave=m) for m, f in skm.items()]),
        truth=truth,
    )
