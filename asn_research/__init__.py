"""asn-research: turn civil-servant (ASN) survey waves into policy evidence.

Public modules: :mod:`~asn_research.instruments` (questionnaires),
:mod:`~asn_research.waves` (reading, checking, pseudonymizing and storing wave files; the
wave calendar; :func:`load_waves`, the one way analyses read the store),
:mod:`~asn_research.privacy` and :mod:`~asn_research.identifiers` (keyed pseudonyms, NIP/NIK
checks, small-cell suppression), :mod:`~asn_research.scales` (scale scoring and reliability),
:mod:`~asn_research.xlsform` (XLSForm export), :mod:`~asn_research.simulate` (synthetic
Tangerang Selatan waves with known ground truth), the analyses
:mod:`~asn_research.training`, :mod:`~asn_research.dialogue`, :mod:`~asn_research.service`
and :mod:`~asn_research.overview`, the estimand catalogue :mod:`~asn_research.estimands`,
the evidence register :mod:`~asn_research.evidence` and report rendering
:mod:`~asn_research.reporting`. The analysis, report, simulation and XLSForm modules are
imported on first use (``asn_research.service`` works without an import statement), so the
command line and every report kernel start without loading what they do not use.
"""

__version__ = "0.1.0"

from . import (  # noqa: E402  (the version must exist before submodules import it)
    errors,
    identifiers,
    instruments,
    privacy,
    results,
    scales,
    waves,
)
from .waves import WaveData, load_waves  # noqa: E402

_LAZY = ("dialogue", "estimands", "evidence", "overview", "reporting", "service", "simulate",
         "training", "xlsform")


def __getattr__(name: str):
    """Import an analysis or report module on first use (PEP 562)."""
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "WaveData",
    "__version__",
    "dialogue",
    "estimands",
    "evidence",
    "overview",
    "reporting",
    "service",
    "training",
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
