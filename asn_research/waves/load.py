"""Loading analysis-ready waves from the store, with their provenance.

:func:`load_waves` is the one way analyses and report notebooks read the store: it
returns the current version of every requested wave of an instrument as one tidy frame
(the stored schema, plus every scale score the instrument defines) together with a
table of where each wave came from (its data checksums, instrument version and row
counts) and whether any of it is synthetic.
"""

from __future__ import annotations

import hashlib
import logging
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError, StoreError, SyntheticDataWarning
from .calendar import WaveCalendar

__all__ = ["SOURCE_COLUMNS", "WaveData", "load_waves"]

log = logging.getLogger(__name__)

#: Columns of :attr:`WaveData.sources` (a contract).
SOURCE_COLUMNS = ("wave", "version", "table_sha256", "raw_sha256", "instrument_version",
                  "rows_read", "rows_stored", "rows_quarantined", "synthetic")


@dataclass(frozen=True, slots=True)
class WaveData:
    """Waves of one instrument, ready for analysis, with where they came from.

    Attributes
    ----------
    instrument : str
        The instrument id.
    frame : pandas.DataFrame
        One row per stored response of every loaded wave, in calendar order of the waves
        (then by source row): the stored schema (``wave``, ``source_row``,
        ``respondent_key``, the instrument's fields …) plus, when loaded with
        ``scored=True``, every scale score (``<scale>``, ``Float64``) and its number of
        answered items (``<scale>__n_answered``). ``frame.attrs["synthetic"]`` is set.
    sources : pandas.DataFrame
        One row per loaded wave, in calendar order: ``wave``, ``version``,
        ``table_sha256``, ``raw_sha256``, ``instrument_version``, ``rows_read``,
        ``rows_stored``, ``rows_quarantined``, ``synthetic``.
    synthetic : bool
        True when any loaded wave is synthetic (simulated) data.
    store : pathlib.Path
        The store read.
    """

    instrument: str
    frame: pd.DataFrame = field(repr=False)
    sources: pd.DataFrame = field(repr=False)
    synthetic: bool
    store: Path

    @property
    def waves(self) -> list[str]:
        """The loaded wave ids in calendar order."""
        return self.sources["wave"].tolist()

    def rows(self, wave: str | None = None) -> pd.DataFrame:
        """The rows of one wave (default: the newest loaded), as ``frame[frame["wave"] ==
        wave]`` gives them, index included.

        The frame holds the waves one after another, so this is a slice of it, not a
        selection from every column (a third of the time on a wide table).

        Parameters
        ----------
        wave : str, optional
            A loaded wave id; default the newest (``waves[-1]``).

        Returns
        -------
        pandas.DataFrame
            The wave's rows (none for a wave not loaded); copy-on-write keeps ``frame``
            as it is whatever is done with them.

        Examples
        --------
        >>> import pandas as pd
        >>> from pathlib import Path
        >>> from asn_research.waves import WaveData
        >>> frame = pd.DataFrame({"wave": ["2024-1", "2024-1", "2024-2"], "x": [1, 2, 3]})
        >>> d = WaveData("merit", frame, pd.DataFrame({"wave": ["2024-1", "2024-2"]}),
        ...              synthetic=False, store=Path("store"))
        >>> d.rows()
             wave  x
        2  2024-2  3
        >>> d.rows("2024-1")["x"].tolist()
        [1, 2]
        """
        wave = self.waves[-1] if wave is None else wave
        at = np.flatnonzero(
            (self.frame["wave"] == wave).to_numpy(dtype=bool, na_value=False))
        if len(at) and at[-1] - at[0] + 1 == len(at):  # one run of rows, as loaded
            return self.frame.iloc[at[0]:at[-1] + 1]
        return self.frame.iloc[at]  # none, or rows someone reordered

    def __repr__(self) -> str:
        return (f"WaveData(instrument={self.instrument!r}, waves={self.waves}, "
                f"rows={len(self.frame)}, synthetic={self.synthetic})")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_waves(
    instrument: str,
    waves: str | Sequence[str] | None = None,
    *,
    store: str | os.PathLike[str] | None = None,
    scored: bool = True,
    until: str | None = None,
) -> WaveData:
    """Load the current version of stored waves of one instrument, with provenance.

    Use this in analyses and notebooks: it is the one way to read the store.

    Parameters
    ----------
    instrument : str
        The instrument id (``"training"``, ``"merit"``, ``"skm"``).
    waves : str or sequence of str, optional
        The wave ids to load; default every stored wave of the instrument.
    store : path, optional
        The store folder; default the same as the command line (``$ASN_RESEARCH_STORE``,
        else ``data/store`` under the current folder).
    scored : bool, optional
        Add every scale score the instrument defines (default True).
    until : str, optional
        Load only waves that end on or before the end of this wave (e.g. ``until="2025-2"``
        loads the semesters up to 2025-2 and the months up to 2025-12). Wave ids are
        compared through the wave calendar, never as strings.

    Returns
    -------
    WaveData
        ``frame``, ``sources``, ``synthetic``, ``instrument``, ``store``.

    Raises
    ------
    StoreError
        If there is no store, the store holds none of the requested waves (the message
        lists what it holds), or a table file no longer matches the checksum recorded at
        ingest.
    ConfigError
        For a wave id (in ``waves`` or ``until``) that is not in the calendar.

    Warns
    -----
    SyntheticDataWarning
        When any loaded wave is synthetic.

    Notes
    -----
    Each table file's SHA-256 is checked against the manifest before it is used, so a
    report never rests on a file changed after ingest. Scale scores follow the
    instrument definition (reverse keys, minimum answered items; see
    :func:`asn_research.scales.score_instrument`).

    Examples
    --------
    >>> import asn_research, tempfile, warnings
    >>> from asn_research.simulate import demo_store
    >>> demo = demo_store(tempfile.mkdtemp(), seed=3, size="small")  # doctest: +SKIP
    >>> with warnings.catch_warnings():                               # doctest: +SKIP
    ...     warnings.simplefilter("ignore", asn_research.errors.SyntheticDataWarning)
    ...     merit = asn_research.load_waves("merit", store=demo.store, until="2025-1")
    >>> merit.waves, merit.synthetic                                  # doctest: +SKIP
    (['2024-1', '2024-2', '2025-1'], True)
    """
    from .. import scales
    from ..instruments import load_instrument
    from .store import default_store, read_manifest

    store_dir = Path(store) if store is not None else default_store()
    if not (store_dir / "manifest.json").is_file():
        raise StoreError(
            f"there is no store at {store_dir}; give the right store folder (store=… or "
            "$ASN_RESEARCH_STORE), or ingest a wave first")
    calendar = WaveCalendar.read(store_dir)
    entries = [e for e in read_manifest(store_dir)["ingests"]
               if e["instrument"] == instrument and e.get("current")]
    held = {e["wave"]: e for e in entries}
    if not held:
        have = sorted({e["instrument"] for e in read_manifest(store_dir)["ingests"]
                       if e.get("current")})
        raise StoreError(f"the store {store_dir} holds no {instrument!r} waves; it holds "
                         f"waves of: {', '.join(have) or 'nothing'}")
    if waves is None:
        wanted = list(held)
    else:
        wanted = [waves] if isinstance(waves, str) else list(waves)
        missing = [w for w in wanted if w not in held]
        if missing:
            raise StoreError(
                f"the store {store_dir} holds no {instrument} wave "
                f"{', '.join(map(repr, missing))}; it holds: "
                f"{', '.join(sorted(held, key=lambda w: calendar.parse(w).sort_key))}")
    periods = {w: calendar.parse(w) for w in wanted}
    if until is not None:
        end = calendar.parse(until).end
        wanted = [w for w in wanted if periods[w].end <= end]
        if not wanted:
            raise StoreError(f"the store {store_dir} holds no {instrument} wave that ends by "
                             f"the end of {until} ({end.isoformat()})")
    wanted.sort(key=lambda w: periods[w].sort_key)
    if not isinstance(scored, bool):
        raise ConfigError(f"scored must be True or False; got {scored!r}")

    frames, rows = [], []
    for w in wanted:
        e = held[w]
        path = store_dir / e["table_path"]
        if not path.is_file() or _sha256(path) != e["table_sha256"]:
            raise StoreError(
                f"{path} does not match the checksum recorded when {instrument} wave {w} was "
                "ingested (it was changed, damaged or removed). Fix: restore the store from "
                "a backup, or ingest the wave again with --replace")
        frames.append(pd.read_parquet(path))
        rows.append({c: e.get(c) for c in SOURCE_COLUMNS})
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if scored:
        inst = load_instrument(instrument)
        if inst.scales:
            frame = pd.concat([frame, scales.score_instrument(frame, inst)], axis=1)
    sources = pd.DataFrame(rows, columns=list(SOURCE_COLUMNS))
    synthetic = bool(sources["synthetic"].any())
    frame.attrs["synthetic"] = synthetic
    if synthetic:
        warnings.warn(
            f"{instrument} waves {', '.join(wanted)} include SYNTHETIC (simulated) data, not "
            "real survey responses", SyntheticDataWarning, stacklevel=2)
    log.info("loaded %s waves %s: %d rows", instrument, ", ".join(wanted), len(frame))
    return WaveData(instrument=instrument, frame=frame, sources=sources, synthetic=synthetic,
                    store=store_dir)
