"""Render every report of an edition: papermill on warm kernels, then HTML, the register,
provenance and an index — into a temporary folder that is published in one step.

One call (``asn-research report``) does it all:

1. the edition is the newest wave in the store (or ``edition``); each notebook uses every
   stored wave up to it;
2. every notebook in ``notebooks/`` is executed with papermill, its parameters checked
   strictly against its parameters cell (an unknown name or a wrong type is refused, where
   papermill would only warn). Notebooks run on a small pool of warm kernels (``jobs``),
   one after another per kernel with the namespace reset in between — starting a kernel
   and importing the scientific stack costs several seconds, which the pool pays once per
   kernel instead of once per report; a kernel whose notebook failed is restarted;
3. each executed notebook becomes a self-contained HTML page
   (:func:`~asn_research.reporting.html.export_html`); the findings the notebooks
   recorded become ``evidence.json`` / ``.csv`` / ``.xlsx``; ``provenance.json`` records the
   data checksums, waves, instrument versions, parameters, package and stack versions and
   the render time of every notebook; ``index.html`` links everything;
4. a report whose notebook, parameters, data and package code are unchanged since the
   last render is copied from it (content-hash cache) unless ``force``;
5. a failing notebook does not stop the others: its executed notebook is kept, the index
   and the result say what failed and why in one line.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import hashlib
import json
import logging
import os
import platform
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import ConfigError, StoreError
from .params import COMMON_PARAMETERS, NotebookParameter, check_parameters, notebook_parameters

__all__ = ["NotebookSpec", "RenderResult", "ReportOutcome", "discover_notebooks",
           "render_reports"]

log = logging.getLogger(__name__)

# Imported once when a kernel starts (what every report uses), then frozen out of the
# garbage collector's sight: a full collection over the scientific stack's ~250 000
# objects took 0.1 s, and IPython's %reset runs several of them. pyplot (half a second) is
# left to the first report that draws. The package's warnings go to the cell's standard
# error as they would without a handler (the same lines, kept in the executed notebook, not
# on the page), but without a flush per line: each flush waited for the kernel's output
# thread and sent a message of its own (an OPD report logs dozens of reliability notes);
# the kernel flushes standard error when the cell ends.
_WARM = (
    "import gc as _gc, logging as _l, sys as _s, matplotlib as _m, asn_research.reporting as _r\n"
    "class _Unflushed(_l.StreamHandler):\n"
    "    def flush(self): pass\n"
    "_h = _Unflushed(_s.stderr); _h.setLevel(_l.WARNING)\n"
    "_l.getLogger('asn_research').addHandler(_h)\n"
    "_gc.collect(); _gc.freeze()\n"
    "del _gc, _l, _s, _m, _r, _Unflushed, _h\n"
)
# Between two reports on one kernel: a clean namespace, figures, styles and warning filters;
# what the last report imported is frozen too.
_RESET = (
    "get_ipython().run_line_magic('reset', '-f')\n"
    "import gc as _gc, sys as _s, warnings as _w, matplotlib as _m\n"
    "if 'matplotlib.pyplot' in _s.modules: _s.modules['matplotlib.pyplot'].close('all')\n"
    "_m.rcdefaults(); _w.resetwarnings(); _gc.collect(); _gc.freeze()\n"
    "del _gc, _s, _w, _m\n"
)
_CACHE_FILE = ".render-cache.json"
_FINDINGS = ".findings"


# --------------------------------------------------------------------------- notebooks


@dataclass(frozen=True, slots=True)
class NotebookSpec:
    """A report notebook and its parameter contract.

    Attributes
    ----------
    name : str
        The file name without ``.ipynb``.
    path : pathlib.Path
    parameters : tuple of NotebookParameter
    title_id, title_en : str
        From the notebook's metadata ``asn_research.title_id`` / ``title_en``.
    last : bool
        Runs after the other reports (the policy brief reads their findings).
    per_opd : bool
        Declares an ``opd`` parameter and may be rendered once per OPD (``by="opd"``).
    """

    name: str
    path: Path
    parameters: tuple[NotebookParameter, ...]
    title_id: str
    title_en: str
    last: bool
    per_opd: bool

    def title(self, lang: str) -> str:
        """The report title in ``lang``."""
        return (self.title_id if lang == "id" else self.title_en) or self.name

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)


def discover_notebooks(folder: str | Path | None = None) -> list[NotebookSpec]:
    """The report notebooks in ``folder`` (default :func:`~.params.notebooks_dir`), ordered:
    the others first, by name, then those marked to run last.

    Raises
    ------
    ConfigError
        If a notebook lacks a common parameter or has a malformed parameters cell.
    """
    from .params import notebooks_dir

    root = Path(folder) if folder is not None else notebooks_dir()
    specs = []
    for p in sorted(root.glob("*.ipynb")):
        params = tuple(notebook_parameters(p))
        names = {q.name for q in params}
        missing = [c for c in COMMON_PARAMETERS if c not in names]
        if missing:
            raise ConfigError(f"{p.name}: a report notebook declares the parameters "
                              f"{', '.join(COMMON_PARAMETERS)}; missing {', '.join(missing)}")
        meta = json.loads(p.read_text(encoding="utf-8")).get("metadata", {}).get(
            "asn_research", {})
        specs.append(NotebookSpec(p.stem, p, params, str(meta.get("title_id", "")),
                                  str(meta.get("title_en", "")), meta.get("order") == "last",
                                  bool(meta.get("per_opd", False)) and "opd" in names))
    return sorted(specs, key=lambda s: (s.last, s.name))


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class ReportOutcome:
    """How one report fared.

    Attributes
    ----------
    name : str
    opd : str
        ``""`` for the city-wide report.
    status : str
        ``"rendered"``, ``"cached"`` (unchanged inputs: copied from the last render),
        ``"kept"`` (not selected with ``only``: kept as last rendered) or ``"failed"``.
    html : str or None
        The page, relative to the edition folder.
    notebook : str or None
        The executed notebook, relative to the edition folder (kept when it failed).
    error : str or None
        One line: where and why it failed.
    seconds : float
    """

    name: str
    opd: str
    status: str
    html: str | None
    notebook: str | None
    error: str | None
    seconds: float


@dataclass(frozen=True, slots=True)
class RenderResult:
    """What :func:`render_reports` produced.

    Attributes
    ----------
    edition : str
    out_dir : pathlib.Path
        ``<out>/<edition>``.
    index : pathlib.Path
    outcomes : tuple of ReportOutcome
    n_findings : int
    synthetic : bool
    seconds : float
    """

    edition: str
    out_dir: Path
    index: Path
    outcomes: tuple[ReportOutcome, ...]
    n_findings: int
    synthetic: bool
    seconds: float

    @property
    def failed(self) -> list[ReportOutcome]:
        """The reports that failed."""
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def ok(self) -> bool:
        """True when every report rendered (or was unchanged)."""
        return not self.failed

    def summary(self) -> str:
        """One line for the terminal."""
        n = {s: sum(o.status == s for o in self.outcomes) for s in ("rendered", "cached",
                                                                     "kept", "failed")}
        kept = f", {n['kept']} kept from the last render" if n["kept"] else ""
        return (f"edition {self.edition}: {n['rendered']} rendered, {n['cached']} unchanged"
                f"{kept}, {n['failed']} failed; {self.n_findings} findings in "
                f"{self.seconds:.0f} s"
                + (" [SYNTHETIC]" if self.synthetic else ""))


# --------------------------------------------------------------------------- kernels


class _Kernel:
    """A warm IPython kernel that runs notebooks one after another.

    It keeps one client for its whole life: a new client waits for the kernel's first
    answer on two channels (0.2–0.4 s), which twice per report cost more than a small
    report's cells.
    """

    def __init__(self, workdir: Path, env: Mapping[str, str]) -> None:
        from jupyter_client import KernelManager

        self.workdir = workdir
        self.env = dict(env)
        self.used = False  # a report has run since the last start or reset
        self.kc: Any = None
        kw: dict[str, Any] = {"kernel_name": "python3"}
        if os.name == "posix":  # no TCP sockets, no "running over TCP" warning
            kw.update(transport="ipc", ip=str(workdir / f"kernel-{uuid.uuid4().hex[:8]}"))
        self.km = KernelManager(**kw)
        self._start()

    def _start(self) -> None:
        # no input history: the report code would go to the user's IPython history
        # database, which two kernels then write at once
        self.km.start_kernel(extra_arguments=["--IPKernelApp.log_level=ERROR",
                                              "--HistoryManager.enabled=False"],
                             cwd=str(self.workdir), env=self.env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._connect()

    def _connect(self) -> None:
        kc = self.km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        kc.allow_stdin = False
        self.kc = kc
        self._run(_WARM)
        self.used = False

    def _run(self, code: str) -> None:
        self.kc.execute_interactive(code, timeout=60, output_hook=lambda _msg: None)

    def reset(self) -> None:
        """A clean namespace before the next report (nothing to do on a fresh kernel)."""
        if self.used:
            self._run(_RESET)
            self.used = False

    def _disconnect(self) -> None:
        if self.kc is not None:
            with contextlib.suppress(Exception):
                self.kc.stop_channels()
            self.kc = None

    def restart(self) -> None:
        self._disconnect()
        try:
            self.km.restart_kernel(now=True)
            self._connect()
        except Exception:  # a kernel that died: start a fresh one
            self._disconnect()
            with contextlib.suppress(Exception):
                self.km.shutdown_kernel(now=True)
            self._start()

    def shutdown(self) -> None:
        self._disconnect()
        with contextlib.suppress(Exception):
            self.km.shutdown_kernel(now=True)


_ENGINE = "asn-research-warm-kernel"


def _register_engine() -> None:
    """A papermill engine that runs a notebook on a kernel and client it does not own and
    leaves both running (papermill's own engine either starts a kernel or, given one, opens
    a client per notebook and leaks its sockets; nbclient's cleanup would shut the kernel
    down)."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    if _ENGINE in papermill_engines._engines:
        return

    class WarmKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False,
                                     stdout_file=None, stderr_file=None, start_timeout=60,
                                     execution_timeout=None, **kwargs):
            client = PapermillNotebookClient(
                nb_man, km=kwargs["km"], timeout=execution_timeout,
                startup_timeout=start_timeout, kernel_name=kernel_name, log=log,
                log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
            client.reset_execution_trackers()
            client.kc = kwargs["kc"]  # nbclient then uses it instead of opening its own
            with client.setup_kernel(cleanup_kc=False):
                try:
                    client.papermill_execute_cells()
                    kc = client.kc  # asked once per kernel client: the answer never changes
                    info = getattr(kc, "_asn_language_info", None)
                    if info is None:
                        reply = client.wait_for_reply(kc.kernel_info())
                        info = kc._asn_language_info = reply["content"]["language_info"]
                    client.nb.metadata["language_info"] = copy.deepcopy(info)
                finally:
                    client.kc = None
            return client.nb

    papermill_engines.register(_ENGINE, WarmKernelEngine)


# --------------------------------------------------------------------------- hashing


def _tree_digest(paths: Sequence[Path]) -> str:
    h = hashlib.sha256()
    for root in paths:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file()
                                                      and "__pycache__" not in p.parts)
        for p in files:
            h.update(p.relative_to(root.parent).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def _code_digest() -> str:
    from ..instruments import instruments_dir

    pkg = Path(__file__).resolve().parent.parent
    return _tree_digest([pkg, instruments_dir().parent])


def _data_digest(store: Path, edition: str) -> tuple[str, list[dict], bool]:
    from ..waves.calendar import WaveCalendar
    from ..waves.store import read_manifest

    cal = WaveCalendar.read(store)
    end = cal.parse(edition).end
    used = [e for e in read_manifest(store)["ingests"]
            if e.get("current") and cal.parse(e["wave"]).end <= end]
    if not used:
        raise StoreError(f"the store {store} holds no wave up to edition {edition}")
    used.sort(key=lambda e: (e["instrument"], cal.parse(e["wave"]).sort_key))
    sources = [{k: e.get(k) for k in ("instrument", "wave", "version", "instrument_version",
                                       "table_sha256", "raw_sha256", "rows_read", "rows_stored",
                                       "rows_quarantined", "synthetic")} for e in used]
    digest = hashlib.sha256(json.dumps(sources, sort_keys=True).encode()).hexdigest()
    return digest, sources, any(e.get("synthetic") for e in used)


def _git_commit() -> str | None:
    root = Path(__file__).resolve().parent.parent.parent
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for name in ("pandas", "numpy", "scipy", "statsmodels", "pyfixest", "differences",
                 "pyarrow", "matplotlib", "papermill", "nbconvert", "nbclient",
                 "ipykernel", "python-docx", "openpyxl"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = "not installed"
    return out


# --------------------------------------------------------------------------- rendering


@dataclass
class _Item:
    spec: NotebookSpec
    opd: str
    params: dict[str, Any]
    key: str = ""
    outcome: ReportOutcome | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def stem(self) -> str:
        return self.spec.name + (f".{self.opd}" if self.opd else "")

    @property
    def folder(self) -> str:
        return f"opd/{self.opd}/" if self.opd else ""


def _previous_edition(out: Path, edition: str, store: Path) -> Path | None:
    from ..waves.calendar import WaveCalendar

    cal = WaveCalendar.read(store)
    here = cal.parse(edition).sort_key
    best = None
    for d in out.iterdir() if out.is_dir() else []:
        if not (d / "evidence.json").is_file():
            continue
        try:
            key = cal.parse(d.name).sort_key
        except ConfigError:
            continue
        if key < here and (best is None or key > best[0]):
            best = (key, d)
    return best[1] if best else None


def render_reports(
    *,
    store: str | os.PathLike[str] | None = None,
    edition: str = "",
    out: str | os.PathLike[str] = "reports",
    lang: str = "id",
    jobs: int | None = None,
    by: str | None = None,
    only: Sequence[str] = (),
    force: bool = False,
    params: Mapping[str, Any] | None = None,
    min_cell: int = 10,
    opds: Sequence[str] | None = None,
    notebooks: str | os.PathLike[str] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    timeout: int = 1800,
) -> RenderResult:
    """Render every report notebook of an edition (see the module docstring).

    Parameters
    ----------
    store : path, optional
        The store (default: as the command line).
    edition : str, optional
        The newest wave to include (default: the newest in the store).
    out : path, optional
        Reports are written under ``<out>/<edition>/`` (default ``reports``).
    lang : {"id", "en"}, optional
    jobs : int, optional
        Warm kernels running notebooks in parallel (default: 2, or 1 on one core).
    by : {"opd"} or None, optional
        Also render one report per OPD of every notebook that supports it
        (``<edition>/opd/<code>/``), on the same warm kernels.
    only : sequence of str, optional
        Render only these notebooks (and keep the others' findings out of the register).
    force : bool, optional
        Render even the reports whose inputs are unchanged.
    params : mapping, optional
        Further notebook parameters (``-p name=value``); each must be declared by a selected
        notebook and have the declared type.
    min_cell : int, optional
        Small-cell threshold (default 10).
    opds : sequence of str, optional
        With ``by="opd"``: these OPD codes only (default: every OPD of the lookup).
    notebooks : path, optional
        Another folder of report notebooks (a pemda's own set; tests use it for fixtures).
    progress : callable, optional
        Called as ``progress(done, total, name)``.
    timeout : int, optional
        Seconds one cell may run.

    Returns
    -------
    RenderResult

    Raises
    ------
    ConfigError
        An unknown notebook in ``only``, an unknown or mistyped parameter, a bad ``by`` or
        language.
    StoreError
        No store, or no wave up to the edition.
    """
    from ..waves.store import default_store
    from .context import resolve_edition

    t0 = time.perf_counter()
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    logging.getLogger("traitlets").setLevel(logging.ERROR)  # zmq teardown chatter
    if lang not in ("id", "en"):
        raise ConfigError(f"lang must be one of: 'id', 'en'; got {lang!r}")
    if by not in (None, "opd"):
        raise ConfigError(f"by must be 'opd' or left out; got {by!r}")
    if opds and by != "opd":  # else the OPD codes would be ignored without a word
        raise ConfigError("OPD codes (--opd) choose OPD reports: add --by opd (by='opd')")
    store_dir = Path(store) if store is not None else default_store()
    if not (store_dir / "manifest.json").is_file():
        raise StoreError(f"there is no store at {store_dir}; give --store or set "
                         "ASN_RESEARCH_STORE, or run `asn-research demo`")
    store_dir = store_dir.resolve()
    ed = resolve_edition(store_dir, edition)
    data_digest, sources, synthetic = _data_digest(store_dir, ed)
    specs = discover_notebooks(notebooks)
    if only:
        names = {s.name for s in specs}
        unknown = [n for n in only if n not in names]
        if unknown:
            raise ConfigError(f"no report notebook named {', '.join(map(repr, unknown))}; "
                              f"the notebooks are: {', '.join(sorted(names))}")
        kept_specs = [s for s in specs if s.name not in only]
        specs = [s for s in specs if s.name in only]
    else:
        kept_specs = []
    user = dict(params or {})
    for name in user:
        if name in COMMON_PARAMETERS:
            raise ConfigError(f"the parameter {name} is set by the renderer (use the report "
                              "command's own options)")
        if not any(name in s.parameter_names for s in specs):
            declared = sorted({p for s in specs for p in s.parameter_names
                               if p not in COMMON_PARAMETERS})
            raise ConfigError(f"no selected report notebook has a parameter {name!r}; their "
                              f"own parameters: {', '.join(declared) or 'none'}")
    out_root = Path(out).resolve()
    final = out_root / ed
    previous = _previous_edition(out_root, ed, store_dir)
    code = _code_digest()
    out_root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".render-{ed}-", dir=out_root))
    findings_dir = tmp / _FINDINGS
    findings_dir.mkdir()
    previous_render: dict[str, Any] = {}
    if (final / _CACHE_FILE).is_file():
        with contextlib.suppress(ValueError, OSError):
            previous_render = json.loads((final / _CACHE_FILE).read_text(encoding="utf-8"))
    old_cache = {} if force else previous_render

    items: list[_Item] = []
    if by == "opd":
        known = _opd_codes()
        unknown = [o for o in (opds or []) if o not in known]
        if unknown:
            raise ConfigError(f"unknown OPD code(s) {', '.join(map(repr, unknown))}; the "
                              f"codes are in surveys/lookups (e.g. {', '.join(known[:5])})")
        opds = list(opds) if opds else known
    else:
        opds = []
    for spec in specs:
        mine = {k: v for k, v in user.items() if k in spec.parameter_names}
        mine = check_parameters(spec.parameters, mine, notebook=spec.path.name)
        for opd in ["", *([o for o in opds] if spec.per_opd else [])]:
            p = {"store": str(store_dir), "edition": ed, "lang": lang, "min_cell": int(min_cell),
                 "opd": opd, "evidence_dir": str(findings_dir / (f"opd/{opd}" if opd else "")),
                 **mine}
            extra = {}
            if "previous_evidence" in spec.parameter_names:
                extra["previous_evidence"] = str(
                    (previous / (f"opd/{opd}/" if opd else "") / "evidence.json")
                    if previous else "")
            if "output_dir" in spec.parameter_names:
                extra["output_dir"] = str(tmp / (f"opd/{opd}" if opd else ""))
            items.append(_Item(spec, opd, {**p, **extra}))
    if not items:
        raise ConfigError("no report notebook to render")
    # with `only`, the edition keeps the other reports as they were last rendered
    kept: list[_Item] = []
    for spec in kept_specs:
        for stem, entry in sorted(previous_render.items()):
            name, _, opd = stem.partition(".")
            if name != spec.name or entry.get("status") != "rendered":
                continue
            files = [final / f for f in entry.get("files", [])]
            if not all(f.is_file() for f in files):
                continue
            for f in files:
                dest = tmp / f.relative_to(final)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(f, dest)
            item = _Item(spec, opd, {}, key=entry["key"])
            item.outcome = ReportOutcome(spec.name, opd, "kept", entry.get("html"),
                                         entry.get("notebook"), None, 0.0)
            kept.append(item)

    env = {**os.environ, "ASN_RESEARCH_STORE": str(store_dir), "ASN_RESEARCH_EDITION": ed,
           "PYTHONHASHSEED": "0", "MPLBACKEND": "module://matplotlib_inline.backend_inline",
           # One BLAS/OpenMP thread per kernel: kernels already run side by side (--jobs),
           # threads fighting for the same cores made reports several times slower, and a
           # fixed thread count keeps the summation order (so the register) the same on
           # every machine.
           **dict.fromkeys(("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                            "NUMEXPR_NUM_THREADS"), "1")}
    env.setdefault("MPLCONFIGDIR", str(Path(sys.prefix) / ".cache" / "matplotlib"))
    n_jobs = max(1, min(int(jobs or min(2, os.cpu_count() or 1)), len(items)))
    done = 0
    lock = threading.Lock()

    def key_of(item: _Item, deps: str = "") -> str:
        stable = {k: v for k, v in item.params.items()
                  if k not in ("evidence_dir", "output_dir", "previous_evidence")}
        h = hashlib.sha256()
        for part in (item.spec.path.read_bytes(), json.dumps(stable, sort_keys=True).encode(),
                     data_digest.encode(), code.encode(), deps.encode(),
                     str(item.params.get("previous_evidence", "")).encode()):
            h.update(hashlib.sha256(part).digest())
        return h.hexdigest()

    def finish(item: _Item, outcome: ReportOutcome) -> None:
        nonlocal done
        item.outcome = outcome
        with lock:
            done += 1
            if progress is not None:
                progress(done, len(items), item.stem)

    def cached(item: _Item) -> bool:
        entry = old_cache.get(item.stem)
        if not entry or entry.get("key") != item.key or entry.get("status") != "rendered":
            return False
        files = [final / f for f in entry.get("files", [])]
        if not all(f.is_file() for f in files):
            return False
        for f in files:
            dest = tmp / f.relative_to(final)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dest)
        finish(item, ReportOutcome(item.spec.name, item.opd, "cached", entry.get("html"),
                                   entry.get("notebook"), None, 0.0))
        return True

    def run(item: _Item, kernel: _Kernel) -> None:
        import papermill

        t = time.perf_counter()
        nb_rel = f"{item.folder}notebooks/{item.stem}.ipynb"
        out_nb = tmp / nb_rel
        out_nb.parent.mkdir(parents=True, exist_ok=True)
        # the report's version names its code (notebook + package), not its data or store
        version = hashlib.sha256(item.spec.path.read_bytes() + code.encode()).hexdigest()[:12]
        params = {**item.params, "report_version": version}
        (Path(params["evidence_dir"])).mkdir(parents=True, exist_ok=True)
        error = None
        try:
            _register_engine()
            try:
                kernel.reset()  # the previous report's namespace, if any
            except Exception:  # the kernel died after the last report: a fresh one
                kernel.restart()
            kernel.used = True
            papermill.execute_notebook(
                str(item.spec.path), str(out_nb), parameters=params, km=kernel.km,
                kc=kernel.kc, engine_name=_ENGINE, kernel_name="python3", progress_bar=False,
                log_output=False, request_save_on_cell_execute=False,
                execution_timeout=timeout, report_mode=False)
        except Exception as exc:  # papermill's error, or a dead kernel: one line, go on
            error = _one_line(exc)
            kernel.restart()
        # the page is exported on its own thread while this kernel runs the next report
        exports.append(exporter.submit(export, item, out_nb, nb_rel, version, error, t))

    def export(item: _Item, out_nb: Path, nb_rel: str, version: str, error: str | None,
               t: float) -> None:
        html_rel = None
        if error is None:
            try:
                html_rel = f"{item.folder}{item.stem}.{lang}.html"
                from .context import pemda_name
                from .html import export_html

                word = "edisi" if lang == "id" else "edition"
                sub = (f"{pemda_name(lang)} · {item.spec.title(lang)} · {word} {ed}"
                       + (f" · OPD {item.opd}" if item.opd else ""))
                export_html(out_nb, tmp / html_rel, lang=lang, synthetic=synthetic,
                            title=item.spec.title(lang), subtitle=sub,
                            footer=f"asn-research {__version__} · {item.spec.name}#"
                                   f"{version}")
            except Exception as exc:  # an export failure is a report failure too
                error, html_rel = f"HTML export failed: {_one_line(exc)}", None
        finish(item, ReportOutcome(item.spec.name, item.opd, "failed" if error else "rendered",
                                   html_rel, nb_rel, error, round(time.perf_counter() - t, 2)))
        if item.opd:
            early_register(item.opd)

    def early_register(opd: str) -> None:
        """An OPD's register as soon as all its reports are done here (not cached or kept
        ones, whose findings are copied later), while the kernels go on."""
        members = [i for i in items + kept if i.opd == opd]
        with lock:
            if opd in registered or not all(
                    i.outcome is not None and i.outcome.status in ("rendered", "failed")
                    for i in members):
                return
            registered.append(opd)
        try:
            _write_group(members, tmp, findings_dir, ed, synthetic)
        except Exception:  # written (and its problem raised) with the others at the end
            with lock:
                registered.remove(opd)

    def run_all(todo: list[_Item]) -> None:
        _run_all(todo, kernels, run)
        for f in exports:
            f.result()
        exports.clear()

    workdir = Path(tempfile.mkdtemp(prefix="asn-kernels-"))
    kernels: list[Future[_Kernel]] = []  # each starts on its own; its worker waits for it
    starter = ThreadPoolExecutor(max(1, n_jobs))
    exporter = ThreadPoolExecutor(1)
    exports: list = []
    registered: list[str] = []  # OPDs whose register is written
    try:
        first = [i for i in items if not i.spec.last]
        last = [i for i in items if i.spec.last]
        for i in first:
            i.key = key_of(i)
        todo = [i for i in first if not cached(i)]
        need = max(1 if (todo or last) else 0, min(n_jobs, len(todo) or 1))
        if todo or last:
            kernels = [starter.submit(_new_kernel, workdir, env) for _ in range(need)]
            _import_renderer()  # while the kernels import the stack
        run_all(todo)
        deps = _findings_digest(findings_dir, final, first)
        for i in last:
            i.key = key_of(i, deps)
        _copy_cached_findings(first, findings_dir, final)
        todo_last = [i for i in last if not cached(i)]
        run_all(todo_last)
        _copy_cached_findings(last, findings_dir, final)
    finally:
        exporter.shutdown(wait=True)
        starter.shutdown(wait=True)
        for f in kernels:
            if f.exception() is None:
                f.result().shutdown()
        shutil.rmtree(workdir, ignore_errors=True)

    items = sorted(items + kept, key=lambda i: (i.spec.last, i.spec.name, i.opd))
    n_findings = _write_registers(items, tmp, findings_dir, ed, synthetic, done=registered)
    finished = dt.datetime.now(dt.UTC).replace(microsecond=0)
    outcomes = tuple(i.outcome for i in items)  # type: ignore[misc]
    provenance = {
        "edition": ed, "store": str(store_dir), "synthetic": synthetic, "language": lang,
        "min_cell": int(min_cell), "sources": sources, "data_sha256": data_digest,
        "package_version": __version__, "git_commit": _git_commit(), "code_sha256": code,
        "versions": _versions(), "started_at": started.isoformat(),
        "finished_at": finished.isoformat(),
        "previous_edition": previous.name if previous else None,
        "reports": [{"name": i.spec.name, "opd": i.opd, "status": i.outcome.status,
                     "seconds": i.outcome.seconds, "error": i.outcome.error,
                     "key": i.key, "parameters": {k: v for k, v in i.params.items()
                                                  if k not in ("evidence_dir", "output_dir")}}
                    for i in items if i.outcome is not None],
    }
    (tmp / "provenance.json").write_text(json.dumps(provenance, indent=2, sort_keys=True,
                                                    ensure_ascii=False) + "\n", encoding="utf-8")
    _write_cache(items, tmp)
    index = _write_indexes(items, tmp, ed, lang, synthetic, by)
    _publish(tmp, final)
    result = RenderResult(edition=ed, out_dir=final, index=final / index.name,
                          outcomes=outcomes, n_findings=n_findings, synthetic=synthetic,
                          seconds=round(time.perf_counter() - t0, 1))
    log.info("%s", result.summary())
    return result


def _one_line(exc: BaseException) -> str:
    ename = getattr(exc, "ename", None) or type(exc).__name__
    evalue = getattr(exc, "evalue", None) or str(exc)
    cell = getattr(exc, "exec_count", None)
    where = f"cell [{cell}]: " if cell else ""
    text = " ".join(f"{where}{ename}: {evalue}".split())
    return text[:300]


def _close_thread_loop() -> None:
    """Close the asyncio loop jupyter_client left in this (worker) thread."""
    import asyncio

    with contextlib.suppress(Exception):
        loop = asyncio.get_event_loop_policy().get_event_loop()
        if not loop.is_running():
            loop.close()


def _import_renderer() -> None:
    """Import papermill and nbconvert (a few seconds the first time)."""
    import nbconvert  # noqa: F401
    import papermill  # noqa: F401


def _new_kernel(workdir: Path, env: Mapping[str, str]) -> _Kernel:
    try:
        return _Kernel(workdir, env)
    finally:
        _close_thread_loop()


def _run_all(items: list[_Item], kernels: Sequence[Future[_Kernel]], run) -> None:
    """Run ``items`` from one queue on the kernels: each worker begins as soon as its kernel
    is up (the first reports need not wait for the last kernel to start). A kernel that
    cannot start leaves the queue to the others; if none starts, its error is raised."""
    if not items:
        return
    q: queue.Queue[_Item] = queue.Queue()
    for i in items:
        q.put(i)

    def worker(started: Future[_Kernel]) -> None:
        try:
            kernel = started.result()
        except Exception:
            return
        try:
            while True:
                try:
                    item = q.get_nowait()
                except queue.Empty:
                    return
                run(item, kernel)
        finally:
            _close_thread_loop()

    use = list(kernels[:max(1, min(len(kernels), len(items)))])
    with ThreadPoolExecutor(len(use)) as pool:
        list(pool.map(worker, use))
    if not q.empty():  # no kernel started
        for f in kernels:
            f.result()  # raises the first kernel's error


def _findings_file(item: _Item, base: Path) -> Path:
    return base / (f"opd/{item.opd}" if item.opd else "") / f"{item.stem}.findings.json"


def _findings_digest(findings_dir: Path, final: Path, items: Sequence[_Item]) -> str:
    h = hashlib.sha256()
    for i in items:
        for base in (findings_dir, final / _FINDINGS):
            f = _findings_file(i, base)
            if f.is_file():
                h.update(f.read_bytes())
                break
    return h.hexdigest()


def _copy_cached_findings(items: Sequence[_Item], findings_dir: Path, final: Path) -> None:
    for i in items:
        if i.outcome is not None and i.outcome.status == "cached":
            src = _findings_file(i, final / _FINDINGS)
            if src.is_file():
                dest = _findings_file(i, findings_dir)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest)
            figs = (final / _FINDINGS / (f"opd/{i.opd}" if i.opd else "") / "figures")
            if figs.is_dir():
                target = _findings_file(i, findings_dir).parent / "figures"
                target.mkdir(parents=True, exist_ok=True)
                for f in figs.glob(f"{i.spec.name}-*.png"):
                    shutil.copy2(f, target / f.name)


def _write_registers(items: Sequence[_Item], tmp: Path, findings_dir: Path, edition: str,
                     synthetic: bool, done: Sequence[str] = ()) -> int:
    """Write the register of every group (the city, each OPD) not in ``done``; return the
    number of city-wide findings."""
    groups: dict[str, list[_Item]] = {}
    for i in items:
        groups.setdefault(i.opd, []).append(i)
    total = 0
    for opd, members in groups.items():
        if opd in done:
            continue
        n = _write_group(members, tmp, findings_dir, edition, synthetic)
        total += n if not opd else 0
    return total


def _write_group(members: Sequence[_Item], tmp: Path, findings_dir: Path, edition: str,
                 synthetic: bool) -> int:
    """The register of one group of reports (the city's, or one OPD's)."""
    from ..evidence import EvidenceRecord, write_register

    recs: list[EvidenceRecord] = []
    for i in members:
        f = _findings_file(i, findings_dir)
        if i.outcome is None or i.outcome.status == "failed" or not f.is_file():
            continue
        doc = json.loads(f.read_text(encoding="utf-8"))
        recs += [EvidenceRecord(**r) for r in doc["records"]]
    opd = members[0].opd
    write_register(recs, tmp / (f"opd/{opd}" if opd else ""), edition=edition,
                   synthetic=synthetic)
    return len(recs)


def _write_cache(items: Sequence[_Item], tmp: Path) -> None:
    cache = {}
    for i in items:
        o = i.outcome
        if o is None or o.status == "failed":
            continue
        files = [f for f in (o.html, o.notebook) if f]
        files += [p.relative_to(tmp).as_posix() for p in
                  [_findings_file(i, tmp / _FINDINGS)] if p.is_file()]
        figs = _findings_file(i, tmp / _FINDINGS).parent / "figures"
        if figs.is_dir():
            files += [p.relative_to(tmp).as_posix() for p in figs.glob(f"{i.spec.name}-*.png")]
        if i.spec.last:
            files += [p.relative_to(tmp).as_posix()
                      for p in (tmp / i.folder.rstrip("/")).glob(f"{i.spec.name}*.docx")]
        cache[i.stem] = {"key": i.key, "status": "rendered", "html": o.html,
                         "notebook": o.notebook, "files": sorted(set(files))}
    (tmp / _CACHE_FILE).write_text(json.dumps(cache, indent=2, sort_keys=True) + "\n",
                                   encoding="utf-8")


def _write_indexes(items: Sequence[_Item], tmp: Path, edition: str, lang: str,
                   synthetic: bool, by: str | None) -> Path:
    from .context import pemda_name
    from .html import write_index

    title = {"id": "Laporan bukti kebijakan", "en": "Policy evidence reports"}[lang]
    title = f"{title} — {pemda_name(lang)}"

    def rows_of(group: Sequence[_Item], prefix: str) -> list[dict]:
        return [{"name": i.spec.name, "title": i.spec.title(lang),
                 "html": i.outcome.html[len(prefix):] if i.outcome.html else None,
                 "notebook": i.outcome.notebook[len(prefix):] if i.outcome.notebook else None,
                 "status": i.outcome.status, "error": i.outcome.error} for i in group]

    city = [i for i in items if not i.opd]
    files = [("evidence.json", "evidence.json"), ("evidence.csv", "evidence.csv"),
             ("evidence.xlsx", "evidence.xlsx"), ("provenance.json", "provenance.json")]
    files += [(p.name, p.name) for p in sorted(tmp.glob("*.docx"))]
    notes = []
    failed = [i for i in items if i.outcome and i.outcome.status == "failed"]
    if failed:
        notes.append(("Gagal: " if lang == "id" else "Failed: ")
                     + "; ".join(f"{i.stem} — {i.outcome.error}" for i in failed))
    if by == "opd":
        for opd in sorted({i.opd for i in items if i.opd}):
            group = [i for i in items if i.opd == opd]
            write_index(tmp / "opd" / opd / "index.html", edition=edition, lang=lang,
                        synthetic=synthetic, title=f"{title} — OPD {opd}",
                        rows=rows_of(group, f"opd/{opd}/"),
                        files=[("evidence.json", "evidence.json"),
                               ("evidence.csv", "evidence.csv")])
        files += [(f"OPD {opd}", f"opd/{opd}/index.html")
                  for opd in sorted({i.opd for i in items if i.opd})]
    return write_index(tmp / "index.html", edition=edition, lang=lang, synthetic=synthetic,
                       title=title, rows=rows_of(city, ""), files=files, notes=notes)


def _publish(tmp: Path, final: Path) -> None:
    """Replace ``final`` by ``tmp`` in one rename (the old edition is removed afterwards)."""
    old = None
    if final.exists():
        old = final.with_name(f".old-{final.name}-{uuid.uuid4().hex[:8]}")
        os.replace(final, old)
    try:
        os.replace(tmp, final)
    except BaseException:
        if old is not None:
            os.replace(old, final)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _opd_codes() -> list[str]:
    from ..instruments import load_instrument

    return [str(v) for v in load_instrument("merit").choice_list("opd").values]
