"""Survey waves: the wave calendar, and loading analysis-ready waves from the store.

Public API: :func:`load_waves` and :class:`WaveData` (the one way analyses read the
store), :func:`parse_wave`, :func:`wave_index`, :func:`sort_waves`,
:class:`WavePeriod` and :class:`WaveCalendar` (what period a wave id stands for).
"""

from .calendar import (
    CALENDAR_FILE,
    WaveCalendar,
    WavePeriod,
    parse_wave,
    period_number,
    sort_waves,
    wave_index,
)
from .load import SOURCE_COLUMNS, WaveData, load_waves

__all__ = [
    "CALENDAR_FILE",
    "SOURCE_COLUMNS",
    "WaveCalendar",
    "WaveData",
    "WavePeriod",
    "load_waves",
    "parse_wave",
    "period_number",
    "sort_waves",
    "wave_index",
]
