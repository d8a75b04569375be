"""Fixed parameters of the simulated Tangerang Selatan world: sizes, calendar, effect sizes.

Everything that defines *what* the simulator plants (wave calendars, effect sizes in
latent units, sample sizes per size) lives here, as module constants and frozen
dataclasses, so that ``docs/simulated_world.md`` and ``truth.json`` can point at one
place. Nothing here draws random numbers; :func:`component_rng` hands out the seeded
generators.

Examples
--------
>>> from asn_research.simulate.world import SIZES, MERIT_WAVES, size_config
>>> SIZES
('small', 'city', 'national')
>>> [w.id for w in MERIT_WAVES][:2]
['2024-1', '2024-2']
>>> size_config("small").n_employees
800
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..errors import ConfigError

__all__ = [
    "LAST_SURVEY_DATE",
    "MERIT_WAVES",
    "POPULATION_REFERENCE_DATE",
    "SIZES",
    "SKM_MONTHS",
    "TRAINING_WAVES",
    "Size",
    "SizeConfig",
    "WaveWindow",
    "component_rng",
    "size_config",
]

Size = Literal["small", "city", "national"]
SIZES: tuple[str, ...] = ("small", "city", "national")


@dataclass(frozen=True, slots=True)
class WaveWindow:
    """One ASN survey wave: its id and the fieldwork window (inclusive dates).

    Attributes
    ----------
    id : str
        Wave id as written in the manifest (``"2024-1"``).
    start, end : datetime.date
        First and last fieldwork day.
    """

    id: str
    start: dt.date
    end: dt.date


@dataclass(frozen=True, slots=True)
class SizeConfig:
    """Sample sizes of one simulation size.

    Attributes
    ----------
    name : str
        ``"small"``, ``"city"`` or ``"national"``.
    n_employees : int
        Number of ASN in the simulated population.
    chunk_size : int
        Employees generated and written per chunk (memory bound for ``national``).
    pns_share : float
        Share of PNS (the rest are PPPK).
    training_topic_frac : float
        Per cohort and topic: share of a chunk's employees who are trained.
    comparison_frac : float
        Share of a chunk's employees in the training comparison group.
    merit_panel_frac : float
        Share of a chunk's employees in the merit-survey panel.
    skm_sample : {"uniform", "krejcie_morgan"}
        How many SKM respondents per unit-month: 15–40 at random, or the
        Krejcie–Morgan sample size of the unit's monthly number of service users.
    allow_xlsx_asn : bool
        Whether the (large) ASN wave files may be written as XLSX.
    """

    name: str
    n_employees: int
    chunk_size: int
    pns_share: float
    training_topic_frac: float
    comparison_frac: float
    merit_panel_frac: float
    skm_sample: str
    allow_xlsx_asn: bool


_SIZE_CONFIGS = {
    "small": SizeConfig("small", 800, 800, 0.45, 0.075, 0.15, 0.56, "uniform", True),
    # ≈ 6,100 PNS + 7,800 PPPK (docs/domain.md §3, a working assumption: 13,000–14,500 ASN).
    "city": SizeConfig("city", 13_900, 13_900, 0.44, 0.025, 0.05, 0.43, "krejcie_morgan", True),
    "national": SizeConfig(
        "national", 1_050_000, 150_000, 0.80, 0.02, 0.04, 0.40, "krejcie_morgan", False
    ),
}


def size_config(size: str) -> SizeConfig:
    """Return the :class:`SizeConfig` of ``size``.

    Raises
    ------
    ConfigError
        If ``size`` is not one of :data:`SIZES`.
    """
    if size not in _SIZE_CONFIGS:
        raise ConfigError(
            f"size must be one of: {', '.join(repr(s) for s in SIZES)}; got {size!r}"
        )
    return _SIZE_CONFIGS[size]


# ----------------------------------------------------------------------------- calendar
#: The population is defined as of this date (every TMT lies before it).
POPULATION_REFERENCE_DATE = dt.date(2024, 1, 1)
#: No simulated survey answer is dated after this day (validation rejects future dates).
LAST_SURVEY_DATE = dt.date(2026, 6, 30)

#: Merit-attitude waves: baseline and four follow-ups, about six months apart.
MERIT_WAVES: tuple[WaveWindow, ...] = (
    WaveWindow("2024-1", dt.date(2024, 3, 4), dt.date(2024, 4, 5)),
    WaveWindow("2024-2", dt.date(2024, 9, 2), dt.date(2024, 10, 4)),
    WaveWindow("2025-1", dt.date(2025, 3, 3), dt.date(2025, 4, 4)),
    WaveWindow("2025-2", dt.date(2025, 9, 1), dt.date(2025, 10, 3)),
    WaveWindow("2026-1", dt.date(2026, 3, 2), dt.date(2026, 4, 3)),
)
#: Training-evaluation waves: baseline (cohort 2024 trained) and two yearly follow-ups.
TRAINING_WAVES: tuple[WaveWindow, ...] = (
    WaveWindow("2024-1", dt.date(2024, 2, 5), dt.date(2024, 6, 28)),
    WaveWindow("2025-1", dt.date(2025, 2, 3), dt.date(2025, 6, 27)),
    WaveWindow("2026-1", dt.date(2026, 2, 2), dt.date(2026, 6, 26)),
)
#: SKM months: 2023-01 … 2026-06 (42 months).
SKM_MONTHS: tuple[str, ...] = tuple(
    f"{2023 + m // 12}-{m % 12 + 1:02d}" for m in range(42)
)


# ----------------------------------------------------------------------------- randomness
def component_rng(seed: int, component: str, *index: int) -> np.random.Generator:
    """Return the generator of one simulator component (and chunk).

    Each component draws from its own stream, keyed by a stable hash of its name
    (and e.g. the chunk number), so adding or reordering components never shifts
    the numbers another component draws.

    Parameters
    ----------
    seed : int
        The simulation seed.
    component : str
        A stable component name such as ``"population"`` or ``"merit.items"``.
    *index : int
        Further keys (chunk number, wave number).

    Returns
    -------
    numpy.random.Generator

    Examples
    --------
    >>> from asn_research.simulate.world import component_rng
    >>> a = component_rng(1, "population", 0).integers(0, 100, 3)
    >>> b = component_rng(1, "population", 0).integers(0, 100, 3)
    >>> bool((a == b).all())
    True
    """
    key = (zlib.crc32(component.encode("utf-8")), *(int(i) for i in index))
    return np.random.default_rng(np.random.SeedSequence(entropy=int(seed), spawn_key=key))
