"""The wave calendar: what period each wave id stands for, and in which order waves come.

A wave id names a survey period. Four kinds are recognised without any configuration:

=========  ============  ==========================================  =================
kind       id            period                                      example
=========  ============  ==========================================  =================
semester   ``YYYY-S``    S = 1: 1 Jan – 30 Jun; S = 2: 1 Jul – 31 Dec   ``2025-1``
quarter    ``YYYY-Qn``   n = 1…4: three calendar months               ``2025-Q3``
month      ``YYYY-MM``   MM = 01…12: one calendar month               ``2024-03``
year       ``YYYY``      1 Jan – 31 Dec                               ``2025``
=========  ============  ==========================================  =================

Any other id (``baseline``, ``pilot-2023``) must be declared, with its dates, in the
store's calendar file ``<store>/calendar.yaml``::

    # Waves whose ids are not a semester, quarter, month or year.
    waves:
      baseline: {start: 2023-07-01, end: 2023-12-31}
      pilot-2023: {start: 2023-03-01, end: 2023-03-31, label: "Uji coba kuesioner"}

Each wave has a start and an end date and, for every kind, a period number
(:func:`period_number`): consecutive integers, so that "waves since the first
dialogue" is a difference of period numbers (a semester that was skipped still counts).
Analyses take event time from here, never from the order of the id strings.

Examples
--------
>>> from asn_research.waves import parse_wave, wave_index
>>> w = parse_wave("2025-2")
>>> w.kind, w.start.isoformat(), w.end.isoformat()
('semester', '2025-07-01', '2025-12-31')
>>> wave_index(["2024-1", "2025-1", "2024-2"]).tolist()
[4048, 4050, 4049]
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from ..errors import ConfigError

__all__ = [
    "CALENDAR_FILE",
    "PeriodKind",
    "WaveCalendar",
    "WavePeriod",
    "parse_wave",
    "period_number",
    "sort_waves",
    "wave_index",
]

#: The store's calendar file (declares wave ids that are not a semester, quarter, month
#: or year).
CALENDAR_FILE = "calendar.yaml"

PeriodKind = Literal["semester", "quarter", "month", "year"]
_KINDS: tuple[str, ...] = ("semester", "quarter", "month", "year")
_PER_YEAR = {"semester": 2, "quarter": 4, "month": 12, "year": 1}

_SEMESTER = re.compile(r"(\d{4})-([12])")
_QUARTER = re.compile(r"(\d{4})-[Qq]([1-4])")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_YEAR = re.compile(r"(\d{4})")
_CUSTOM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_FIRST_YEAR, _LAST_YEAR = 1990, 2100
_FORMS = ("2025-1 or 2025-2 (semester), 2025-Q1 … 2025-Q4 (quarter), 2025-01 … 2025-12 "
          "(month) or 2025 (year)")


@dataclass(frozen=True, slots=True, order=False)
class WavePeriod:
    """One wave id with its period.

    Attributes
    ----------
    id : str
        The wave id as stored.
    kind : str
        ``"semester"``, ``"quarter"``, ``"month"``, ``"year"`` or ``"declared"`` (an id
        from the store's calendar file).
    start, end : datetime.date
        First and last day of the period (inclusive).
    label : str
        A readable name, e.g. ``"Semester 2 2025"`` or the calendar file's ``label``.
    """

    id: str
    kind: str
    start: dt.date
    end: dt.date
    label: str

    @property
    def sort_key(self) -> tuple[dt.date, dt.date, str]:
        """Order of waves: by start date, then end date, then id."""
        return (self.start, self.end, self.id)

    def period(self, kind: PeriodKind) -> int:
        """This wave's period number in ``kind`` units (see :func:`period_number`)."""
        return period_number(self.start, kind)


def period_number(day: dt.date, kind: PeriodKind) -> int:
    """The consecutive period number of the period of ``kind`` that contains ``day``.

    ``year × 2 + (semester − 1)`` for semesters, ``year × 4 + (quarter − 1)`` for quarters,
    ``year × 12 + (month − 1)`` for months and the year itself for years: consecutive
    periods get consecutive numbers, so differences count periods.

    Examples
    --------
    >>> import datetime as dt
    >>> period_number(dt.date(2025, 8, 1), "semester") - period_number(dt.date(2024, 2, 1),
    ...                                                                  "semester")
    3
    """
    if kind not in _KINDS:
        raise ConfigError(f"kind must be one of: {', '.join(map(repr, _KINDS))}; got {kind!r}")
    per = _PER_YEAR[kind]
    return day.year * per + (day.month - 1) * per // 12


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, _cal.monthrange(year, month)[1])


def _regular(wave: str) -> WavePeriod | None:
    """Parse a semester, quarter, month or year id; None if it has none of these forms."""
    if m := _SEMESTER.fullmatch(wave):
        y, s = int(m[1]), int(m[2])
        start = dt.date(y, 1 + 6 * (s - 1), 1)
        return WavePeriod(wave, "semester", start, _month_end(y, 6 * s), f"Semester {s} {y}")
    if m := _QUARTER.fullmatch(wave):
        y, q = int(m[1]), int(m[2])
        return WavePeriod(wave, "quarter", dt.date(y, 3 * q - 2, 1), _month_end(y, 3 * q),
                          f"Q{q} {y}")
    if m := _MONTH.fullmatch(wave):
        y, mo = int(m[1]), int(m[2])
        if not 1 <= mo <= 12:
            raise ConfigError(
                f"wave id {wave!r} is not a wave of the calendar: there is no month {mo:02d}. "
                f"Fix: use "
                f"{y}-01 … {y}-12 for a month, or {_FORMS}")
        return WavePeriod(wave, "month", dt.date(y, mo, 1), _month_end(y, mo),
                          dt.date(y, mo, 1).strftime("%b %Y"))
    if _YEAR.fullmatch(wave):
        y = int(wave)
        return WavePeriod(wave, "year", dt.date(y, 1, 1), dt.date(y, 12, 31), str(y))
    return None


@dataclass(frozen=True, slots=True)
class WaveCalendar:
    """The wave ids a store accepts: the four regular kinds plus declared ids.

    Attributes
    ----------
    declared : mapping of str to WavePeriod
        Ids declared in the store's ``calendar.yaml`` (empty without one).
    source : pathlib.Path or None
        The calendar file read, if any.

    Examples
    --------
    >>> cal = WaveCalendar.from_mapping({"baseline": {"start": "2023-07-01",
    ...                                                "end": "2023-12-31"}})
    >>> cal.parse("baseline").end.isoformat(), cal.parse("2024-Q1").kind
    ('2023-12-31', 'quarter')
    """

    declared: Mapping[str, WavePeriod]
    source: Path | None = None

    @classmethod
    def empty(cls) -> WaveCalendar:
        """A calendar without declared ids."""
        return cls({}, None)

    @classmethod
    def from_mapping(cls, waves: Mapping[str, Mapping[str, object]], *,
                     source: Path | None = None) -> WaveCalendar:
        """Build a calendar from ``{id: {start, end, label?}}`` (dates as ISO text or dates).

        Raises
        ------
        ConfigError
            For an id that is itself a regular wave id or not a valid id, a missing or
            invalid date, an end before the start, or an unknown key.
        """
        where = f"{source}" if source else "the wave calendar"
        out: dict[str, WavePeriod] = {}
        if not isinstance(waves, Mapping):
            raise ConfigError(f"{where}: 'waves' must map wave ids to {{start, end}}")
        for wid, spec in waves.items():
            wid = str(wid)
            if not _CUSTOM_ID.fullmatch(wid):
                raise ConfigError(
                    f"{where}: {wid!r} is not a valid wave id. Fix: use letters, digits, "
                    "'-', '_' or '.' (at most 64 characters)")
            try:
                regular = _regular(wid)
            except ConfigError:
                regular = None
            if regular is not None:
                raise ConfigError(
                    f"{where}: {wid!r} is already a {regular.kind} wave id and needs no "
                    "declaration. Fix: remove it from the calendar file")
            if not isinstance(spec, Mapping):
                raise ConfigError(f"{where}: wave {wid!r} needs {{start: YYYY-MM-DD, end: "
                                  "YYYY-MM-DD}}")
            unknown = set(spec) - {"start", "end", "label"}
            if unknown:
                raise ConfigError(f"{where}: wave {wid!r} has unknown key(s) "
                                  f"{', '.join(sorted(map(str, unknown)))}; allowed: start, "
                                  "end, label")
            start, end = (_as_date(spec.get(k), where, wid, k) for k in ("start", "end"))
            if end < start:
                raise ConfigError(f"{where}: wave {wid!r} ends ({end}) before it starts "
                                  f"({start}). Fix: swap or correct the dates")
            out[wid] = WavePeriod(wid, "declared", start, end, str(spec.get("label", wid)))
        return cls(out, source)

    @classmethod
    def read(cls, store: str | Path) -> WaveCalendar:
        """The calendar of a store: ``<store>/calendar.yaml`` if it exists, else empty.

        Raises
        ------
        ConfigError
            If the file is not valid YAML or declares waves wrongly.
        """
        path = Path(store) / CALENDAR_FILE
        if not path.is_file():
            return cls.empty()
        import yaml

        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: cannot read the wave calendar ({type(exc).__name__}). "
                              "Fix: correct the YAML (see the README, 'Wave calendar')"
                              ) from None
        if not isinstance(doc, Mapping) or set(doc) - {"waves"}:
            raise ConfigError(f"{path}: the wave calendar must have one key, 'waves'. Fix: "
                              "see the README, 'Wave calendar'")
        return cls.from_mapping(doc.get("waves") or {}, source=path)

    def parse(self, wave: str) -> WavePeriod:
        """Return the period of ``wave``.

        Raises
        ------
        ConfigError
            If ``wave`` is neither a regular id nor declared, with the fix.
        """
        if not isinstance(wave, str):
            raise ConfigError(f"a wave id must be text; got {type(wave).__name__}")
        if wave in self.declared:
            return self.declared[wave]
        period = _regular(wave)
        if period is not None:
            if not _FIRST_YEAR <= period.start.year <= _LAST_YEAR:
                raise ConfigError(f"wave id {wave!r} is not valid: the year {period.start.year} "
                                  f"is outside {_FIRST_YEAR}–{_LAST_YEAR}")
            return period
        where = f" in {self.source}" if self.source else " in <store>/calendar.yaml"
        raise ConfigError(
            f"wave id {wave!r} is not a wave of the calendar. Fix: use {_FORMS}; or, for "
            f"another kind of id (e.g. 'baseline'), declare it with its start and end "
            f"date{where}")


def parse_wave(wave: str, calendar: WaveCalendar | None = None) -> WavePeriod:
    """Return the period (kind, start, end) of one wave id.

    Parameters
    ----------
    wave : str
        A semester (``2025-1``), quarter (``2025-Q1``), month (``2025-01``) or year
        (``2025``) id, or an id declared in ``calendar``.
    calendar : WaveCalendar, optional
        A store's calendar (:meth:`WaveCalendar.read`) for declared ids.

    Returns
    -------
    WavePeriod

    Raises
    ------
    ConfigError
        If the id is of none of these forms (``2025-13``, ``2025-2x``), with the fix.
    """
    return (calendar or WaveCalendar.empty()).parse(wave)


def sort_waves(waves: Iterable[str], calendar: WaveCalendar | None = None) -> list[str]:
    """Distinct wave ids in calendar order (start date, end date, id).

    Examples
    --------
    >>> sort_waves(["2025-1", "2024-2", "2024-Q4", "2024-1"])
    ['2024-1', '2024-2', '2024-Q4', '2025-1']
    """
    cal = calendar or WaveCalendar.empty()
    return [p.id for p in sorted({cal.parse(w) for w in dict.fromkeys(waves)},
                                 key=lambda p: p.sort_key)]


def wave_index(waves: Iterable[str] | pd.Series, *, kind: PeriodKind | None = None,
               calendar: WaveCalendar | None = None) -> pd.Series:
    """Consecutive period numbers of wave ids, for event time and trends.

    Parameters
    ----------
    waves : sequence of str or pandas.Series
        Wave ids (repeats allowed, e.g. a frame's ``wave`` column).
    kind : {"semester", "quarter", "month", "year"}, optional
        The period unit. Default: the kind of the ids when they are all of one regular
        kind; required when kinds are mixed or ids are declared in the calendar file.
    calendar : WaveCalendar, optional
        For declared ids; a declared wave counts in the period that contains its start.

    Returns
    -------
    pandas.Series
        ``Int64`` period numbers (:func:`period_number` of each wave's start date), aligned
        with ``waves`` (same index when it is a Series). Differences count periods:
        ``2025-2`` minus ``2024-1`` is 3 semesters.

    Raises
    ------
    ConfigError
        For an id that is not in the calendar, or mixed kinds without ``kind``.

    Examples
    --------
    >>> idx = wave_index(["2024-1", "2025-2"])
    >>> int(idx.iloc[1] - idx.iloc[0])
    3
    >>> wave_index(["2024-12", "2025-01"]).diff().tolist()[1]
    1
    """
    cal = calendar or WaveCalendar.empty()
    series = waves if isinstance(waves, pd.Series) else pd.Series(list(waves), dtype="object")
    distinct = pd.unique(series.dropna())
    periods = {w: cal.parse(str(w)) for w in distinct}
    if kind is None:
        kinds = {p.kind for p in periods.values()}
        if len(kinds) > 1 or kinds & {"declared"}:
            raise ConfigError(
                "the waves are of several kinds (" + ", ".join(sorted(kinds)) + "); pass "
                "kind='semester', 'quarter', 'month' or 'year' to count periods in one unit")
        kind = kinds.pop() if kinds else "semester"  # type: ignore[assignment]
    numbers = {w: p.period(kind) for w, p in periods.items()}  # type: ignore[arg-type]
    out = series.map(numbers)
    return out.astype("Int64")


def _as_date(value: object, where: str, wid: str, key: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ConfigError(f"{where}: wave {wid!r} needs a {key} date written YYYY-MM-DD; got "
                      f"{value!r}")
