"""asn-research: turn civil-servant (ASN) survey waves into policy evidence.

Public modules: :mod:`~asn_research.instruments` (questionnaires),
:mod:`~asn_research.readers` (wave files), :mod:`~asn_research.validation` (checks against an
instrument), :mod:`~asn_research.store` (the versioned, pseudonymized wave store),
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
    readers,
    scales,
    simulate,
    store,
    validation,
    xlsform,
)

__all__ = [
    "__version__",
    "errors",
    "identifiers",
    "instruments",
    "privacy",
    "readers",
    "scales",
    "simulate",
    "store",
    "validation",
    "xlsform",
]
