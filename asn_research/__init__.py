"""asn-research: turn civil-servant (ASN) survey waves into policy evidence.

Public modules: :mod:`~asn_research.instruments` (questionnaires),
:mod:`~asn_research.waves` (reading, checking, pseudonymizing and storing wave files; the
wave calendar; :func:`load_waves`, the one way analyses read the store),
:mod:`~asn_research.privacy` and :mod:`~asn_research.identifiers` (keyed pseudonyms, NIP/NIK
checks, small-cell suppression), :mod:`~asn_research.scales` (scale scoring and reliability),
:mod:`~asn_research.xlsform` (XLSForm export) and :mod:`~asn_research.simulate` (synthetic
Tangerang Selatan waves with known ground truth).
"""

__version__ = "0.1.0"

from . import (  # noqa: E402  (the version must exist before submodules import it)
    errors,
    identifiers,
    instruments,
    privacy,
    results,
    scales,
    simulate,
    waves,
    xlsform,
)
from .waves import WaveData, load_waves  # noqa: E402

__all__ = [
    "WaveData",
    "__version__",
    "errors",
    "identifiers",
    "instruments",
    "load_waves",
    "privacy",
    "results",
    "scales",
    "simulate",
    "waves",
    "xlsform",
]
