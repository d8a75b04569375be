"""Exceptions and warnings of asn-research.

Every error a user can cause derives from :class:`AsnResearchError`. The CLI catches
it, prints its one-line message (never a traceback) and exits with the class's
``exit_code``. Messages never contain an identifier's value (NIP, NIK, name).
"""

from __future__ import annotations

__all__ = [
    "AsnResearchError",
    "AsnResearchWarning",
    "ConfigError",
    "InputError",
    "InstrumentError",
    "PrivacyError",
    "StoreError",
    "SyntheticDataWarning",
    "UnreadableFileError",
]


class AsnResearchError(Exception):
    """Base class of all errors raised by asn-research on purpose.

    Attributes
    ----------
    exit_code : int
        The CLI's exit status for this kind of error.
    """

    exit_code = 1


class InputError(AsnResearchError, ValueError):
    """Bad input data, pinpointed to file, row and column, with a fix.

    Parameters
    ----------
    message : str
        What is wrong, in one sentence. Must not contain an identifier's value.
    file : str, optional
        The file the problem is in (a name or path as the user gave it).
    row : int, optional
        1-based row number as the user sees it (spreadsheet row or text line).
    column : str, optional
        The column (field) name.
    fix : str, optional
        What the user should do about it.

    Examples
    --------
    >>> str(InputError("column is missing", file="w1.csv", column="opd",
    ...                fix="add an 'opd' column"))
    "w1.csv, column 'opd': column is missing. Fix: add an 'opd' column"
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        fix: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        self.fix = fix

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        text = (", ".join(where) + ": " if where else "") + self.message
        if self.fix:
            text += f". Fix: {self.fix}"
        return text


class UnreadableFileError(InputError):
    """The file cannot be read at all (empty, binary, wrong format); nothing is written."""


class InstrumentError(AsnResearchError):
    """An instrument definition is missing or inconsistent."""

    exit_code = 3


class StoreError(AsnResearchError):
    """The wave store refuses an operation (e.g. a different file for an existing wave)."""

    exit_code = 4


class PrivacyError(AsnResearchError):
    """An operation would expose an identifier, or the pseudonymization key is unusable."""

    exit_code = 5


class ConfigError(AsnResearchError, ValueError):
    """An option or setting has a value outside its allowed set."""

    exit_code = 2


class AsnResearchWarning(UserWarning):
    """Base class of warnings issued by asn-research."""


class SyntheticDataWarning(AsnResearchWarning):
    """Synthetic (simulated) data reaches an analysis or a report."""
