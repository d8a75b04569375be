"""The pseudonymization step of ingest: identifiers out, keyed pseudonyms in.

After the checks, the identifier fields of a wave (NIP, NIK, names) hold the checked,
normalized identifiers in clear. :func:`pseudonymize_result` replaces each by its keyed
pseudonym (:func:`asn_research.privacy.pseudonymize`, HMAC-SHA256) in the valid table and
in the quarantine, under the name the store uses: ``respondent_key`` for the instrument's
respondent id, ``<field>_key`` for any other identifier. Nothing is written before this
step has run.

Examples
--------
>>> import pandas as pd
>>> from asn_research.instruments import load_instrument
>>> from asn_research.waves.pseudonymize import pseudonym_column
>>> merit = load_instrument("merit")
>>> pseudonym_column(merit, "nip"), pseudonym_column(merit, "name")
('respondent_key', 'name_key')
"""

from __future__ import annotations

import dataclasses
import logging

import pandas as pd

from ..instruments import Instrument
from ..privacy import PseudonymKey, pseudonymize
from .checks import ValidationResult

__all__ = ["pseudonym_column", "pseudonymize_result"]

log = logging.getLogger(__name__)

_KIND = {"nip": "nip", "nik": "nik", "person_name": "name"}


def pseudonym_column(instrument: Instrument, field: str) -> str:
    """The stored name of an identifier field's pseudonym column."""
    return "respondent_key" if field == instrument.respondent_id else f"{field}_key"


def _replace(frame: pd.DataFrame, instrument: Instrument, key: PseudonymKey) -> pd.DataFrame:
    out = frame.copy(deep=False)
    for name in instrument.identifier_fields:
        if name not in out.columns:
            continue
        keys = pseudonymize(out[name].rename(None), key,
                            kind=_KIND[instrument.field(name).type])
        pos = out.columns.get_loc(name)
        out = out.drop(columns=name)
        out.insert(pos, pseudonym_column(instrument, name), keys)
    return out


def pseudonymize_result(result: ValidationResult, instrument: Instrument,
                        key: PseudonymKey) -> ValidationResult:
    """Replace the identifiers of a checked wave by keyed pseudonyms.

    Parameters
    ----------
    result : ValidationResult
        From :func:`~asn_research.waves.checks.validate_wave` (identifiers in clear).
    instrument : Instrument
        The instrument the wave answers (which fields are identifiers, and of what kind).
    key : PseudonymKey
        The data owner's key (:func:`asn_research.privacy.load_key`).

    Returns
    -------
    ValidationResult
        The same result with ``pseudonymized=True``: in ``valid`` and ``quarantine`` every
        identifier field is replaced, at the same position, by its pseudonym column
        (:func:`pseudonym_column`); a missing identifier gives a missing pseudonym.

    Raises
    ------
    ValueError
        If ``result`` was already pseudonymized (pseudonymizing twice would hash the
        pseudonyms).
    """
    if result.pseudonymized:
        raise ValueError("this result is already pseudonymized")
    out = dataclasses.replace(
        result,
        valid=_replace(result.valid, instrument, key),
        quarantine=_replace(result.quarantine, instrument, key),
        pseudonymized=True,
    )
    log.debug("pseudonymized %s (%d valid, %d quarantined rows) with key %s", result.file,
              result.rows_valid, result.rows_quarantined, key.fingerprint)
    return out
