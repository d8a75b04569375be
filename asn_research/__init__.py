"""asn-research: turn civil-servant (ASN) survey waves into policy evidence.

Public modules: :mod:`asn_research.instruments` (questionnaires), :mod:`asn_research.readers`
(wave files), :mod:`asn_research.validation` (checks against an instrument),
:mod:`asn_research.store` (the versioned, pseudonymized wave store),
:mod:`asn_research.privacy` and :mod:`asn_research.identifiers` (keyed pseudonyms, NIP/NIK
checks), :mod:`asn_research.scales` (scale scoring), :mod:`asn_research.simulate`
(synthetic Tangerang Selatan waves with known ground truth).
"""

__version__ = "0.1.0"
