"""What a report notebook works with: :func:`open_report` and the :class:`ReportContext`.

A report notebook opens its context in the cell after the parameters cell, with exactly
the parameters it was given, and then calls one or two package functions per cell::

    ctx = reporting.open_report("training_outcomes", store=store, edition=edition,
                                lang=lang, min_cell=min_cell, opd=opd,
                                evidence_dir=evidence_dir, report_version=report_version,
                                title_id="Hasil pelatihan kompetensi ASN",
                                title_en="ASN competency training outcomes")
    data = ctx.load("training")                  # every wave up to the edition
    gains = training.learning_gain(data.frame, pre="l2_pre_pct", post="l2_post_pct",
                                   by="training_topic")
    ctx.show(gains, columns=["training_topic", "n_obs", "estimate", "ci_low", "ci_high"])
    ctx.record("training.l2.gain_mean.communication", gains.iloc[0], headline=True)

The context re-checks the parameters (a notebook run by hand in JupyterLab is checked as
under papermill), loads data only through :func:`asn_research.load_waves` (up to the
edition; one OPD's rows when ``opd`` is set), suppresses small cells in every table and
figure it shows, escapes every text that could come from a survey file, marks synthetic
data, and writes each finding to the edition's evidence register.
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import html
import io
import json
import logging
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from .._validation import check_choice
from ..errors import ConfigError, StoreError, SyntheticDataWarning
from ..evidence import EvidenceRecord, _labels, format_number, make_record
from ..privacy import suppress_small_cells
from .labels import column_label, reason_label

__all__ = ["ReportContext", "open_report", "opd_estimand", "pemda_name", "resolve_edition"]

log = logging.getLogger(__name__)

_LANGS = ("id", "en")
BANNER_ID = ("DATA SINTETIS — laporan ini dibuat dari data simulasi, bukan dari responden "
             "sungguhan.")
BANNER_EN = "SYNTHETIC DATA — this report is built from simulated data, not real respondents."


@cache
def _lookup(name: str) -> dict:
    import yaml

    from ..instruments import instruments_dir

    path = instruments_dir().parent / "lookups" / name
    if not path.is_file():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def pemda_name(lang: str = "id") -> str:
    """The local government named in reports (``surveys/lookups/pemda.yaml``)."""
    doc = _lookup("pemda.yaml")
    name = doc.get("name") or {}
    return str(name.get(lang) or name.get("id") or "Pemerintah Daerah")


def opd_estimand(estimand: str, opd: str) -> str:
    """The id of ``estimand`` measured in one OPD: ``opd-<code>`` right after its family.

    An OPD report estimates the same things as the city report on fewer respondents; its
    findings need ids of their own, so that a citation names one number.

    Examples
    --------
    >>> opd_estimand("data.alpha.merit.appraisal_threat.2024-1", "dinkes")
    'data.alpha.opd-dinkes.merit.appraisal_threat.2024-1'
    """
    from ..estimands import check_estimand

    fam = check_estimand(estimand).family
    return ".".join([fam, f"opd-{opd}", *estimand[len(fam) + 1:].split(".")]).rstrip(".")


@cache
def _code_names(column: str, lang: str) -> dict[str, str]:
    """Codes of an agency or service-unit column → their names (from the lookups); scale
    names → their labels (from the instruments)."""
    from ..instruments import list_instruments, load_instrument

    if column == "scale":
        names: dict[str, str] = {}
        try:
            for inst in list_instruments():
                for sc in inst.scales:
                    names.setdefault(sc.name, sc.label(lang))
        except Exception:  # a pemda's instruments that do not load: show the names
            return {}
        return names
    where = {"opd": ("merit", "opd"), "service_unit": ("skm", "service_unit")}.get(column)
    if where is None:
        return {}
    try:
        cl = load_instrument(where[0]).choice_list(where[1])
    except Exception:  # a pemda's instruments without that list: show the codes
        return {}
    return {str(c.value): c.label(lang) for c in cl.choices}


def _unit_opd() -> dict[str, str]:
    """Service unit → its OPD (``tangsel_service_units.yaml``)."""
    return {str(c["value"]): str(c.get("opd", ""))
            for c in _lookup("tangsel_service_units.yaml").get("choices", [])}


def resolve_edition(store: Path, edition: str = "") -> str:
    """The edition: ``edition`` if given (checked against the calendar), else
    ``$ASN_RESEARCH_EDITION``, else the newest wave in the store (by its end date).

    Raises
    ------
    StoreError
        If the store is empty.
    ConfigError
        If the edition is not a wave id of the calendar.
    """
    from ..waves.calendar import WaveCalendar
    from ..waves.store import read_manifest

    cal = WaveCalendar.read(store)
    edition = edition or os.environ.get("ASN_RESEARCH_EDITION", "")
    if edition:
        cal.parse(edition)
        return edition
    waves = {e["wave"] for e in read_manifest(store)["ingests"] if e.get("current")}
    if not waves:
        raise StoreError(f"the store {store} holds no waves; ingest a wave first")
    # the newest end date; of waves ending together, the longest (a semester before its
    # last month): an edition is named after the survey round it completes
    return max(waves, key=lambda w: (cal.parse(w).end, -cal.parse(w).start.toordinal(), w))


def _digest(sources: Sequence[pd.DataFrame]) -> str:
    shas = sorted({s for frame in sources for s in frame["table_sha256"].astype(str)})
    return hashlib.sha256("\n".join(shas).encode()).hexdigest()


_CACHE: dict[tuple, tuple[str, Any]] = {}  # what this kernel has read from a store
_CACHE_SIZE = 24  # waves and quarantines (the memory), and small wave lists


@dataclass(frozen=True)
class _ByOpd:
    """A table's rows grouped by OPD: ``frame`` holds them OPD after OPD (each OPD's in
    the table's order), ``spans`` each OPD's ``(start, stop)`` in it; ``everyone``: a
    table without an OPD column, all of whose rows are every OPD's."""

    frame: pd.DataFrame
    spans: dict[str, tuple[int, int]]
    empty: pd.DataFrame  # no row: most OPDs have none in a wave's quarantine
    everyone: bool = False

    @classmethod
    def of(cls, table: pd.DataFrame, opds: np.ndarray | None) -> _ByOpd:
        if opds is None:
            return cls(table, {}, table.iloc[:0], everyone=True)
        codes, uniques = pd.factorize(opds)
        order = np.argsort(codes, kind="stable")  # stable: an OPD's rows keep their order
        sizes = np.bincount(codes, minlength=len(uniques))
        stops = np.cumsum(sizes)
        return cls(table.take(order), {str(o): (int(b - n), int(b)) for o, n, b
                                       in zip(uniques, sizes, stops, strict=True)},
                   table.iloc[:0])

    def has(self, opd: str) -> bool:
        return len(self.frame) > 0 if self.everyone else opd in self.spans

    def rows(self, opd: str, *, own: bool = True) -> pd.DataFrame:
        """The OPD's rows as a new frame: with ``own`` a copy (analyses on a view of the
        slice ran slower), else a view (copy-on-write keeps the cache as it is)."""
        start, stop = (0, len(self.frame)) if self.everyone else self.spans.get(opd, (0, 0))
        if start == stop:
            return self.empty.copy(deep=False)
        rows = self.frame.iloc[start:stop]
        return (rows.copy() if own else rows).reset_index(drop=True)


def _stored_opd(frame: pd.DataFrame) -> np.ndarray | None:
    """Each stored row's OPD: its ``opd``, else its service unit's OPD (SKM); ``""`` for
    none. None for a table with neither column."""
    if "opd" in frame:
        return frame["opd"].to_numpy(dtype=object, na_value="")
    if "service_unit" in frame:
        return frame["service_unit"].map(_unit_opd()).to_numpy(dtype=object, na_value="")
    return None


def _written_opd(table: pd.DataFrame) -> np.ndarray:
    """Each quarantined row's OPD as written in the file (SKM: its service unit's)."""
    column = "opd" if "opd" in table else "service_unit"
    if column not in table:
        return np.full(len(table), "", dtype=object)
    written = [v.strip() if isinstance(v, str) else "" for v in table[column].tolist()]
    if column == "service_unit":
        units = _unit_opd()
        written = [units.get(v, "") for v in written]
    return np.asarray(written, dtype=object)


def _store_state(store: Path, instrument: str) -> str:
    """A digest of what a store holds for one instrument: the manifest and calendar bytes
    and the size and modification time of every stored table. Any ingest, correction,
    removal or rename changes it."""
    h = hashlib.sha256()
    for name in ("manifest.json", "calendar.yaml"):
        p = store / name
        h.update(p.read_bytes() if p.is_file() else b"-")
    tables = []
    for sub in ("processed", "quarantine"):  # os.scandir: a fifth of pathlib's rglob
        folders = [os.path.join(store, sub, instrument)]
        while folders:
            try:
                entries = list(os.scandir(folders.pop()))
            except (FileNotFoundError, NotADirectoryError):
                continue
            for e in entries:
                if e.is_dir(follow_symlinks=False):
                    folders.append(e.path)
                elif e.name.endswith(".parquet"):
                    st = e.stat()
                    rel = Path(os.path.relpath(e.path, store)).as_posix()
                    tables.append(f"{rel}:{st.st_size}:{st.st_mtime_ns}")
    for line in sorted(tables):
        h.update(line.encode())
    return h.hexdigest()


def _cached(key: tuple, store: Path, instrument: str, read: Callable[[], Any], *,
            state: str | None = None) -> Any:
    """``read()``, or what it gave before in this process for the same store state.

    A kernel renders report after report (and ``--by opd`` the same report for every
    OPD): each of them reads the same waves, so they are read (and their checksums
    verified) once per kernel while the store is unchanged. Callers hand out new objects
    on the cached data (``copy(deep=False)``, a selection): under pandas' copy-on-write a
    notebook that changes them changes its own copy, never what the next one reads.
    """
    full = (str(store.resolve()), *key)
    if state is None:
        state = _store_state(store, instrument)
    hit = _CACHE.get(full)
    if hit is not None and hit[0] == state:
        return hit[1]
    value = read()
    _CACHE[full] = (state, value)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    return value


_ACTIVE: list[ReportContext] = []  # the context of the notebook running in this kernel
_HOOKED = False  # whether _save_active is registered to run at exit


def _save_active(*_args: Any) -> None:
    """IPython ``post_run_cell`` hook: write the active report's findings if they changed."""
    for ctx in _ACTIVE:
        if ctx._dirty:
            ctx._save()


def _activate(ctx: ReportContext) -> None:
    """Make ``ctx`` the report whose findings are written once a cell has run.

    In IPython (a kernel under papermill, or JupyterLab) the file is written after each
    cell that changed it (``post_run_cell``); in plain Python when the next report opens
    or the interpreter exits. A cell that records 500 findings writes the file once, not
    500 times.
    """
    global _HOOKED
    _save_active()  # the previous report, if any
    _ACTIVE[:] = [ctx]
    if not _HOOKED:
        atexit.register(_save_active)
        _HOOKED = True
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return
    shell = get_ipython()
    if shell is not None and _save_active not in shell.events.callbacks["post_run_cell"]:
        shell.events.register("post_run_cell", _save_active)


@dataclass
class ReportContext:
    """The state of one report notebook run (see the module docstring).

    Attributes
    ----------
    name : str
        The report (notebook) name, e.g. ``"training_outcomes"``.
    store : pathlib.Path
    edition : str
        The newest wave the report includes.
    lang : {"id", "en"}
    min_cell : int
        Cells, figures and findings from fewer respondents are suppressed.
    opd : str
        One OPD's report, or ``""`` for the whole city.
    evidence_dir : pathlib.Path or None
        Where findings are written (``<name>.findings.json``); None keeps them in memory.
    synthetic : bool
        True once any loaded wave is synthetic.
    records : list of EvidenceRecord
        The findings recorded so far.
    """

    name: str
    store: Path
    edition: str
    lang: str
    min_cell: int
    opd: str = ""
    evidence_dir: Path | None = None
    report_version: str = ""
    title_id: str = ""
    title_en: str = ""
    synthetic: bool = False
    records: list[EvidenceRecord] = field(default_factory=list)
    sources: list[pd.DataFrame] = field(default_factory=list, repr=False)
    figures: list[str] = field(default_factory=list)
    _banner_shown: bool = field(default=False, repr=False)
    _dirty: bool = field(default=False, repr=False)  # findings not yet written (_activate)
    _prefix: str = field(default="", repr=False)
    _digests: tuple[int, str] = field(default=(0, ""), repr=False)
    _states: dict[str, str] = field(default_factory=dict, repr=False)  # store state, per
    # instrument, as this report first saw it

    # ------------------------------------------------------------------ data
    def load(self, instrument: str, *, scored: bool = True):
        """Every stored wave of ``instrument`` up to the edition (one OPD's rows when the
        report is for one OPD), through :func:`asn_research.load_waves`.

        Returns
        -------
        WaveData
        """
        cached = self._cached(("waves", instrument, self.edition, scored), instrument,
                              lambda: self._load_waves(instrument, scored))
        frame = cached.frame
        if self.opd:  # the OPD's rows: a new frame, so the cached one stays as it is
            sub = self._by_opd(("waves", instrument, self.edition, scored), instrument,
                               frame).rows(self.opd)
            sub.attrs.update(frame.attrs)
        else:  # a new object on the same data: with pandas' copy-on-write, whatever the
            sub = frame.copy(deep=False)  # notebook changes is copied then, not the cache
        data = type(cached)(instrument=cached.instrument, frame=sub,
                            sources=cached.sources.copy(deep=False),
                            synthetic=cached.synthetic, store=cached.store)
        self.sources.append(data.sources)
        if data.synthetic:
            self.synthetic = True
            self.banner()
        return data

    def _cached(self, key: tuple, instrument: str, read: Callable[[], Any]) -> Any:
        """:func:`_cached`, the store's state checked once per report and instrument (a
        report that loads the waves and the quarantine of an instrument checks once)."""
        state = self._states.get(instrument)
        if state is None:
            state = self._states[instrument] = _store_state(self.store, instrument)
        return _cached(key, self.store, instrument, read, state=state)

    def _load_waves(self, instrument: str, scored: bool):
        from ..waves import load_waves

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SyntheticDataWarning)
            data = load_waves(instrument, store=self.store, until=self.edition, scored=scored)
        for w in caught:
            if not issubclass(w.category, SyntheticDataWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return data

    def load_quarantine(self, instrument: str) -> dict[str, pd.DataFrame]:
        """The quarantine table of every wave of ``instrument`` up to the edition
        (:func:`asn_research.waves.read_quarantine`), wave id → table, in calendar order.

        In an OPD report, the rows that name this OPD (or, for SKM, one of its service
        units) as written in the file; a rejected row whose OPD is missing or unknown is in
        the city report only.
        """
        from ..waves import read_quarantine

        def read() -> dict[str, pd.DataFrame]:
            return {w: read_quarantine(instrument, w, store=self.store)
                    for w in self._waves(instrument)}

        def read_by_opd() -> tuple[dict[str, pd.DataFrame], dict[str, _ByOpd]]:
            tables = read()
            # per wave, the rows grouped by the OPD they name as written (a rejected row's
            # service unit names its OPD; a missing or unknown one names none)
            return tables, {w: _ByOpd.of(t, _written_opd(t)) for w, t in tables.items()}

        tables, by_opd = self._cached(("quarantine", instrument, self.edition), instrument,
                                      read_by_opd)
        # new objects on the cached data (copy-on-write keeps the cache as it was)
        if not self.opd:
            return {w: t.copy(deep=False) for w, t in tables.items()}
        return {w: by_opd[w].rows(self.opd, own=False) for w in tables}  # a few rows each

    def _by_opd(self, key: tuple, instrument: str, frame: pd.DataFrame) -> _ByOpd:
        """The stored table ``frame`` (cached under ``key``) grouped by OPD, once per
        kernel: an OPD report then copies its slice instead of selecting its rows from
        every column (a third of the time, for the 30 reports of ``--by opd``)."""
        return self._cached((*key, "by-opd"), instrument,
                            lambda: _ByOpd.of(frame, _stored_opd(frame)))

    def has(self, instrument: str) -> bool:
        """Whether the report has data of ``instrument``: a stored wave up to the edition
        and, in an OPD report, a row of that OPD (for SKM, of one of its service units)."""
        if not self._waves(instrument):
            return False
        if not self.opd:
            return True
        key = ("waves", instrument, self.edition, True)
        cached = self._cached(key, instrument, lambda: self._load_waves(instrument, True))
        return self._by_opd(key, instrument, cached.frame).has(self.opd)

    def _waves(self, instrument: str) -> list[str]:
        """The current waves of ``instrument`` up to the edition, in calendar order (read
        once while the manifest and the calendar are unchanged: both are in the state)."""
        from ..waves.calendar import WaveCalendar, sort_waves
        from ..waves.store import read_manifest

        def read() -> list[str]:
            cal = WaveCalendar.read(self.store)
            end = cal.parse(self.edition).end
            waves = {e["wave"] for e in read_manifest(self.store)["ingests"]
                     if e["instrument"] == instrument and e.get("current")
                     and cal.parse(e["wave"]).end <= end}
            return sort_waves(waves, cal)

        return list(self._cached(("wave-list", instrument, self.edition), instrument, read))

    # ------------------------------------------------------------------ display
    def _html(self, text: str) -> None:
        """Show HTML in the notebook (nothing outside IPython: a script has no page)."""
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:  # pragma: no cover - IPython comes with the kernel
            return
        if get_ipython() is not None:
            display({"text/html": text}, raw=True)  # as is: no formatter needs to run

    def banner(self) -> None:
        """Show the synthetic-data banner (once per report)."""
        if self._banner_shown:
            return
        self._banner_shown = True
        text = BANNER_ID if self.lang == "id" else BANNER_EN
        self._html(f'<div class="asn-synthetic" style="background:#b00020;color:#fff;'
                   f'padding:0.6em 1em;font-weight:bold;margin:0.5em 0">'
                   f"{html.escape(text)}</div>")

    def say(self, *, id: str, en: str, **values: Any) -> None:  # noqa: A002 (a language code)
        """Show one sentence in the report language; ``values`` are escaped and numbers are
        written the report language's way (``{n}`` in ``"{n} responden"``)."""
        text = id if self.lang == "id" else en
        shown = {k: (format_number(v, 0 if isinstance(v, int) else 2, self.lang)
                     if isinstance(v, (int, float)) and not isinstance(v, bool)
                     else html.escape(str(v))) for k, v in values.items()}
        self._html(f"<p>{html.escape(text).format(**shown)}</p>")

    def suppress(self, table: pd.DataFrame, *, count: str | None = "n_obs",
                 lines: Sequence[str | Sequence[str]] | None = None,
                 value_columns: Sequence[str] | None = None) -> pd.DataFrame:
        """``table`` with small cells blanked (:func:`asn_research.privacy.suppress_small_cells`),
        complementary suppression along ``lines``; unchanged without a ``count`` column."""
        if count is None or count not in table.columns:
            return table
        if value_columns is None:  # every numeric column but the keys of the lines
            keys = {c for g in (lines or []) for c in ([g] if isinstance(g, str) else g)}
            value_columns = [c for c, dtype in table.dtypes.items() if c not in keys
                             and c != count and c != "suppressed"
                             and pd.api.types.is_numeric_dtype(dtype)
                             and not pd.api.types.is_bool_dtype(dtype)]
        return suppress_small_cells(table, count=count, min_cell=self.min_cell, lines=lines,
                                    value_columns=value_columns)

    def show(self, table: pd.DataFrame, *, count: str | None = "n_obs",
             columns: Sequence[str] | None = None, labels: Mapping[str, str] | None = None,
             caption: str = "", lines: Sequence[str | Sequence[str]] | None = None,
             decimals: int | Mapping[str, int] = 2, max_rows: int = 300,
             value_columns: Sequence[str] | None = None,
             wide: tuple[str, str, str] | None = None) -> None:
        """Show a table: small cells suppressed, numbers formatted, every text escaped.

        It returns nothing, so a cell that ends with it shows the table once;
        :meth:`suppress` gives the suppressed table itself. A table whose every row is
        suppressed is shown as one line saying so.

        Parameters
        ----------
        table : pandas.DataFrame
            A tidy result table; ``count`` names its respondent count column.
        count : str or None, optional
            The count behind each row (default ``"n_obs"``); rows below ``min_cell`` are
            blanked. None only for tables that count no respondents.
        columns : sequence of str, optional
            The columns to show, in this order (default all).
        labels : mapping, optional
            Column headers to show instead of the column names.
        caption : str, optional
        lines : optional
            Complementary suppression (see :meth:`suppress`).
        decimals : int or mapping, optional
            Decimals of float columns (per column with a mapping).
        max_rows : int, optional
            Longer tables are cut (the caption says so).
        value_columns : sequence of str, optional
            The columns blanked with a suppressed count (default: every numeric column).
        wide : (rows, columns, value), optional
            Show the (suppressed) long table as a cross-table: one row per value of
            ``rows``, one column per value of ``columns``, cells ``value`` (suppressed
            cells marked).

        """
        shown = self.suppress(table, count=count, lines=lines, value_columns=value_columns)
        if len(shown) and "suppressed" in shown and bool(shown["suppressed"].all()):
            # a table of daggers tells nothing: one line says why there is no table
            why = (f"tidak ditampilkan: setiap sel berasal dari kurang dari {self.min_cell} "
                   "responden" if self.lang == "id" else
                   f"not shown: every cell comes from fewer than {self.min_cell} respondents")
            self._html(f'<p class="asn-note"><b>{html.escape(caption)}</b> '
                       f"{html.escape(why)}</p>")
            return
        if wide is not None:
            self._html(self.cross_table_html(shown, *wide, caption=caption, labels=labels))
            return
        view = shown[list(columns)] if columns is not None else shown
        if "suppressed" in shown.columns and columns is not None and "suppressed" not in view:
            view = view.assign(suppressed=shown["suppressed"])
        self._html(self.table_html(view, labels=labels, caption=caption, decimals=decimals,
                                   max_rows=max_rows))

    def table_html(self, view: pd.DataFrame, *, labels: Mapping[str, str] | None = None,
                   caption: str = "", decimals: int | Mapping[str, int] = 2,
                   max_rows: int = 300) -> str:
        """The HTML of a table as :meth:`show` draws it (escaped, language-formatted)."""
        cut = len(view) > max_rows
        view = view.head(max_rows)
        hidden = view["suppressed"].to_numpy() if "suppressed" in view else None
        cols = [c for c in view.columns if c != "suppressed"]
        mark = "†"
        head = "".join(f"<th>{html.escape(str((labels or {}).get(c, column_label(c, self.lang))))}"
                       "</th>" for c in cols)
        body = []
        values = view[cols].values  # the rows iterrows would give, without a Series each
        places = {c: decimals.get(c, 2) if isinstance(decimals, Mapping) else decimals
                  for c in cols}
        for i, row in enumerate(values):
            cells = []
            for c, v in zip(cols, row, strict=True):
                d = places[c]
                if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
                    text = mark if hidden is not None and hidden[i] else "–"
                elif isinstance(v, bool):
                    text = ("ya" if v else "tidak") if self.lang == "id" else (
                        "yes" if v else "no")
                elif isinstance(v, int) or (hasattr(v, "is_integer") and c.startswith("n")
                                            and float(v).is_integer()):
                    text = format_number(float(v), 0, self.lang)
                elif isinstance(v, float):
                    text = format_number(v, 3 if c in ("p_value", "p_adjusted") else d,
                                         self.lang)
                elif isinstance(v, pd.Timestamp):
                    text = v.strftime("%Y-%m-%d")
                elif c in ("reason", "refused"):  # a quarantine reason's kind, a refusal
                    text = reason_label(str(v), self.lang)
                else:
                    text = _code_names(c, self.lang).get(str(v), str(v))
                cells.append(f"<td>{html.escape(text)}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        notes = []
        if hidden is not None and hidden.any():
            notes.append(f"{mark} " + (f"disembunyikan: kurang dari {self.min_cell} responden"
                                       if self.lang == "id" else
                                       f"suppressed: fewer than {self.min_cell} respondents"))
        if cut:
            notes.append(f"{max_rows} baris pertama" if self.lang == "id"
                         else f"first {max_rows} rows")
        cap = html.escape(caption)
        foot = f'<p class="asn-note">{html.escape("; ".join(notes))}</p>' if notes else ""
        return (f'<table class="asn-table"><caption>{cap}</caption><thead><tr>{head}</tr>'
                f"</thead><tbody>{''.join(body)}</tbody></table>{foot}")

    def cross_table_html(self, shown: pd.DataFrame, rows: str, columns: str, value: str, *,
                         caption: str = "", labels: Mapping[str, str] | None = None) -> str:
        """HTML of a suppressed long table as a cross-table (suppressed cells marked †)."""
        hidden = shown["suppressed"] if "suppressed" in shown else pd.Series(False,
                                                                             index=shown.index)
        cells = shown.assign(_v=[("†" if h else ("–" if pd.isna(v) else
                                  format_number(float(v), 0 if float(v).is_integer() else 2,
                                                self.lang)))
                                 for v, h in zip(shown[value], hidden, strict=True)])
        grid = cells.pivot(index=rows, columns=columns, values="_v").fillna("–")
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in grid.columns)
        lab = (labels or {}).get(rows, column_label(rows, self.lang))
        names = _code_names(rows, self.lang)
        body = "".join(f"<tr><th>{html.escape(names.get(str(r), str(r)))}</th>"
                       + "".join(f"<td>{html.escape(v)}</td>" for v in grid.loc[r])
                       + "</tr>" for r in grid.index)
        note = ""
        if hidden.any():
            note = ('<p class="asn-note">† ' + html.escape(
                f"disembunyikan: kurang dari {self.min_cell} responden (atau agar tidak "
                "terbuka lewat total)" if self.lang == "id" else
                f"suppressed: fewer than {self.min_cell} respondents (or to protect such a "
                "cell from the totals)") + "</p>")
        return (f'<table class="asn-table"><caption>{html.escape(caption)}</caption><thead><tr>'
                f"<th>{html.escape(lab)}</th>{head}</tr></thead><tbody>{body}</tbody></table>"
                f"{note}")

    # ------------------------------------------------------------------ figures
    def figure(self, fig_or_ax: Any, *, name: str, caption: str = "") -> str:
        """Show a matplotlib figure (embedded as PNG) and keep it for the brief; return its id.

        Draw figures from tables that went through :meth:`suppress` (or use :meth:`plot`).
        """
        import matplotlib.pyplot as plt

        fig = fig_or_ax.get_figure() if hasattr(fig_or_ax, "get_figure") else fig_or_ax
        if self.synthetic:
            fig.text(0.99, 0.01, "DATA SINTETIS" if self.lang == "id" else "SYNTHETIC DATA",
                     ha="right", va="bottom", fontsize=8, color="#b00020", alpha=0.8)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight",
                    metadata={"Software": None})
        plt.close(fig)
        png = buf.getvalue()
        fid = f"{self.name}/{name}"
        self.figures.append(fid)
        self._changed()
        if self.evidence_dir is not None:
            out = self.evidence_dir / "figures" / f"{self.name}-{name}.png"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(png)
        b64 = base64.b64encode(png).decode("ascii")
        self._html(f'<figure id="{html.escape(fid)}"><img alt="{html.escape(caption)}" '
                   f'src="data:image/png;base64,{b64}"/><figcaption>{html.escape(caption)}'
                   "</figcaption></figure>")
        return fid

    def plot(self, fn: Callable[..., Any], table: pd.DataFrame, *, name: str,
             caption: str = "", count: str | None = "n_obs",
             lines: Sequence[str | Sequence[str]] | None = None, **kwargs: Any) -> str:
        """Draw ``fn(suppressed_table, ax=ax, **kwargs)`` (an axes-level plot function of
        the package) on the table after small-cell suppression; show it like :meth:`figure`."""
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=kwargs.pop("figsize", (7.5, 4)))
        fn(self.suppress(table, count=count, lines=lines), ax=ax, **kwargs)
        return self.figure(fig, name=name, caption=caption)

    # ------------------------------------------------------------------ findings
    def record(self, estimand: str, result: Any, *, headline: bool = False,
               figure: str | None = None, design: str | None = None,
               assumption_id: str = "", assumption_en: str = "",
               label: str | Mapping[str, str] = "", show: bool = True) -> None:
        """Record one finding in the edition's evidence register (and show its statement).

        See :func:`asn_research.evidence.make_record` for the arguments (``label``: one
        text, or ``{"id": …, "en": …}`` for the two statements). The finding is suppressed
        when it rests on fewer than ``min_cell`` respondents. The record is kept in
        :attr:`records` (and :meth:`findings`); nothing is returned, so a cell that ends
        with this call shows the statement once. In an OPD report the estimand carries the
        OPD (:func:`opd_estimand`), so its id never equals the city's.
        """
        if self.opd:  # the OPD's finding, not the city's: its own id, named in statements
            estimand = opd_estimand(estimand, self.opd)
            name = _code_names("opd", self.lang).get(self.opd, self.opd)
            label = {k: ", ".join(x for x in (v, f"OPD {name}") if x)
                     for k, v in _labels(label).items()}
        rec = make_record(
            estimand, result, edition=self.edition, report=self.name, min_cell=self.min_cell,
            design=design, assumption_id=assumption_id, assumption_en=assumption_en,
            figure=figure, headline=headline, synthetic=self.synthetic,
            data_sha256=self._data_digest(), citation_prefix=self._citation_prefix(),
            label=label)
        self.records = [r for r in self.records if r.id != rec.id] + [rec]
        self._changed()
        if show:
            text = rec.statement_id if self.lang == "id" else rec.statement_en
            self._html(f'<p class="asn-finding"><b>{html.escape(rec.id)}</b>: '
                       f"{html.escape(text)}</p>")

    def _citation_prefix(self) -> str:
        """ "<pemda> (<year>). <title>, edisi <edition> (<version>)", computed once."""
        if not self._prefix:
            from ..waves.calendar import WaveCalendar

            title = self.title_id if self.lang == "id" else self.title_en
            year = WaveCalendar.read(self.store).parse(self.edition).end.year
            version = f"asn-research {__version__}" + (
                f", {self.name}#{self.report_version}" if self.report_version else "")
            word = "edisi" if self.lang == "id" else "edition"
            self._prefix = (f"{pemda_name(self.lang)} ({year}). {title}, {word} "
                            f"{self.edition} ({version})")
        return self._prefix

    def _data_digest(self) -> str:
        """The digest of the loaded tables (recomputed only when a load added some)."""
        if not self.sources:
            return ""
        if self._digests[0] != len(self.sources):
            self._digests = (len(self.sources), _digest(self.sources))
        return self._digests[1]

    def _changed(self) -> None:
        """Mark the findings for writing once the running cell has finished (the active
        report, see :func:`_activate`); a context that is not active writes at once."""
        if any(c is self for c in _ACTIVE):
            self._dirty = True
        else:
            self._save()

    def record_table(self, family: str, table: pd.DataFrame, *, key: Sequence[str],
                     headline: bool = False, label: str | Sequence[str] | None = None,
                     **kwargs: Any) -> None:
        """Record one finding per row of a tidy table: ``<family>.<key values>``.

        ``label`` names a column whose text labels each row's statements. The number of
        findings recorded is shown as one line, not one statement each.
        """
        n = 0
        for _, row in table.iterrows():
            parts = [str(row[k]) for k in key]
            lab = (str(row[label]) if isinstance(label, str) and label in row else "")
            self.record(".".join([family, *parts]), row, headline=headline, label=lab,
                        show=False, **kwargs)
            n += 1
        self.say(id="{n} temuan dicatat ({family}.…).", en="{n} findings recorded ({family}.…).",
                 n=n, family=family)

    def show_brief(self, table: pd.DataFrame) -> None:
        """Show headline findings (:func:`~asn_research.reporting.headline_findings`) as a
        list of statements, each with its change since the previous edition and its id."""
        from .brief import brief_lines

        if table.empty:
            self.say(id="Belum ada temuan utama dalam edisi ini.",
                     en="There are no headline findings in this edition yet.")
            return
        cite = "kutip" if self.lang == "id" else "cite"
        items = "".join(
            f'<li class="asn-finding">{html.escape(st)} <i>({html.escape(ch)}; {cite} '
            f"{html.escape(str(rid))})</i></li>"
            for (st, ch), rid in zip(brief_lines(table, self.lang), table["id"], strict=True))
        self._html(f"<ul>{items}</ul>")

    def findings(self) -> pd.DataFrame:
        """The findings recorded so far, as a frame (register fields)."""
        return pd.DataFrame([r.to_dict() for r in self.records])

    def _save(self) -> None:
        self._dirty = False
        if self.evidence_dir is None:
            return
        self.evidence_dir.mkdir(parents=True, exist_ok=True)
        stem = self.name + (f".{self.opd}" if self.opd else "")
        doc = {
            "report": self.name, "opd": self.opd, "edition": self.edition, "lang": self.lang,
            "synthetic": self.synthetic, "figures": self.figures,
            "sources": [s.to_dict("records") for s in self.sources],
            "records": [r.to_dict() for r in sorted(self.records, key=lambda r: r.id)],
        }
        tmp = self.evidence_dir / f".{stem}.findings.json.tmp"
        # a working file of the renderer (the register is written from it): compact JSON,
        # which Python's C encoder writes several times faster than an indented one
        tmp.write_text(json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str,
                                  separators=(",", ":")) + "\n", encoding="utf-8")
        os.replace(tmp, self.evidence_dir / f"{stem}.findings.json")


def open_report(
    name: str,
    *,
    store: str = "",
    edition: str = "",
    lang: str = "id",
    min_cell: int = 10,
    opd: str = "",
    evidence_dir: str = "",
    report_version: str = "",
    title_id: str = "",
    title_en: str = "",
) -> ReportContext:
    """Open the context of a report notebook (call it right after the parameters cell).

    Parameters
    ----------
    name : str
        The report name (the notebook's file name without ``.ipynb``).
    store : str, optional
        The store folder; ``""`` = ``$ASN_RESEARCH_STORE``, else ``data/store``.
    edition : str, optional
        The newest wave to include; ``""`` = ``$ASN_RESEARCH_EDITION``, else the newest wave
        in the store.
    lang : {"id", "en"}, optional
    min_cell : int, optional
        Minimum respondents behind a published cell, figure or finding (default 10).
    opd : str, optional
        An OPD code for a report on one OPD; ``""`` = the whole city.
    evidence_dir : str, optional
        Where findings are written; ``""`` keeps them in memory (interactive use).
    report_version : str, optional
        The report code's version (set by the renderer; shown in citations).
    title_id, title_en : str, optional
        The report title (for citations).

    Returns
    -------
    ReportContext

    Raises
    ------
    ConfigError
        For a bad language, minimum cell size or OPD code, or an edition outside the
        calendar.
    StoreError
        If there is no store.
    """
    from ..instruments import load_instrument
    from ..waves.store import default_store

    check_choice(lang, _LANGS, name="lang")
    if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < 1:
        raise ConfigError(f"min_cell must be a positive whole number; got {min_cell!r}")
    store_dir = Path(store) if store else default_store()
    if not (store_dir / "manifest.json").is_file():
        raise StoreError(f"there is no store at {store_dir}; give the store folder (store=…) "
                         "or set ASN_RESEARCH_STORE")
    if opd:
        known = {str(v) for v in load_instrument("merit").choice_list("opd").values}
        if opd not in known:
            raise ConfigError(f"opd must be one of the OPD codes of surveys/lookups "
                              f"({', '.join(sorted(known)[:8])}, …); got {opd!r}")
    ed = resolve_edition(store_dir, edition)
    ctx = ReportContext(name=name, store=store_dir, edition=ed, lang=lang, min_cell=min_cell,
                        opd=opd, evidence_dir=Path(evidence_dir) if evidence_dir else None,
                        report_version=report_version, title_id=title_id, title_en=title_en)
    _activate(ctx)
    import matplotlib

    matplotlib.rcParams.update({"figure.dpi": 100, "axes.spines.top": False,
                                "axes.spines.right": False})
    log.info("report %s, edition %s (%s)", name, ed, lang)
    return ctx
