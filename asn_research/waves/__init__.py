"""Survey waves, from the file an agency sends to the analysis-ready frame.

The steps, one module each:

* :mod:`~asn_research.waves.read` — read a CSV/XLSX/KoboToolbox file faithfully
  (:func:`read_wave_file`; text files in :mod:`~asn_research.waves.text`, workbooks in
  :mod:`~asn_research.waves.excel`), header cells matched to fields by
  :mod:`~asn_research.waves.columns` (the one owner of column mapping);
* :mod:`~asn_research.waves.checks` — check every row against the instrument
  (:func:`validate_wave`; answers parsed by :mod:`~asn_research.waves.answers`, rejected
  rows laid out by :mod:`~asn_research.waves.quarantine`);
* :mod:`~asn_research.waves.pseudonymize` — replace identifiers by keyed pseudonyms;
* :mod:`~asn_research.waves.ingest` — :func:`ingest_file` runs the steps and writes the
  store (:mod:`~asn_research.waves.store`: layout, manifest, reading back);
* :mod:`~asn_research.waves.load` — :func:`load_waves`, the one way analyses read the store;
* :mod:`~asn_research.waves.calendar` — what period a wave id stands for
  (:func:`parse_wave`, :func:`wave_index`).
"""

from . import store
from .calendar import (
    CALENDAR_FILE,
    WaveCalendar,
    WavePeriod,
    parse_wave,
    period_number,
    sort_waves,
    wave_index,
)
from .checks import ValidationResult, validate_wave
from .columns import read_column_map
from .ingest import IngestResult, export_for_correction, ingest_file
from .load import SOURCE_COLUMNS, WaveData, load_waves
from .read import read_wave_file
from .store import (
    default_store,
    list_waves,
    read_manifest,
    read_quarantine,
    read_wave,
    remove_wave,
    rename_wave,
)
from .table import RawTable

__all__ = [
    "CALENDAR_FILE",
    "SOURCE_COLUMNS",
    "IngestResult",
    "RawTable",
    "ValidationResult",
    "WaveCalendar",
    "WaveData",
    "WavePeriod",
    "default_store",
    "export_for_correction",
    "ingest_file",
    "list_waves",
    "load_waves",
    "parse_wave",
    "period_number",
    "read_column_map",
    "read_manifest",
    "read_quarantine",
    "read_wave",
    "read_wave_file",
    "remove_wave",
    "rename_wave",
    "sort_waves",
    "store",
    "validate_wave",
    "wave_index",
]
