"""Checks shared by the public functions: columns, option values, levels.

They raise the package's own errors (:class:`~asn_research.errors.InputError` for data,
:class:`~asn_research.errors.ConfigError` for options) with a message that lists what
is allowed. Private: import them as ``from ._validation import check_columns``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, get_args

import pandas as pd

from .errors import ConfigError, InputError


def check_frame(data: Any, *, name: str = "data") -> pd.DataFrame:
    """Return ``data`` if it is a DataFrame, else raise ConfigError."""
    if not isinstance(data, pd.DataFrame):
        raise ConfigError(f"{name} must be a pandas DataFrame; got {type(data).__name__}")
    return data


def check_columns(data: pd.DataFrame, columns: Iterable[str | None], *,
                  role: str = "column") -> None:
    """Raise InputError naming the first of ``columns`` missing from ``data``.

    ``None`` entries (optional roles left out) are skipped.
    """
    check_frame(data)
    for col in columns:
        if col is None:
            continue
        if not isinstance(col, str):
            raise ConfigError(f"{role} names must be strings; got {col!r}")
        if col not in data.columns:
            shown = ", ".join(map(str, list(data.columns)[:12]))
            more = " …" if len(data.columns) > 12 else ""
            raise InputError(f"the {role} {col!r} is not in the data", column=col,
                             fix=f"pass one of the data's columns: {shown}{more}")


def check_choice(value: Any, options: Any, *, name: str) -> str:
    """Return ``value`` if it is one of the values of a ``Literal`` (or a sequence).

    Raises
    ------
    ConfigError
        Listing the allowed values, e.g. "lang must be one of: 'id', 'en'; got 'ind'".
    """
    allowed = get_args(options) or tuple(options)
    if not isinstance(value, str) or value not in allowed:
        raise ConfigError(
            f"{name} must be one of: {', '.join(repr(a) for a in allowed)}; got {value!r}")
    return value


def check_confidence(confidence: Any) -> float:
    """Return ``confidence`` as a float strictly between 0 and 1, else raise ConfigError."""
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) \
            or not 0.0 < float(confidence) < 1.0:
        raise ConfigError(
            f"confidence must be a number strictly between 0 and 1; got {confidence!r}")
    return float(confidence)


def as_tuple(names: str | Sequence[str] | None, *, name: str) -> tuple[str, ...]:
    """Return ``None`` → ``()``, one column name → ``(name,)``, a sequence → a tuple."""
    if names is None:
        return ()
    if isinstance(names, str):
        return (names,)
    if not isinstance(names, Sequence) or not all(isinstance(n, str) for n in names):
        raise ConfigError(f"{name} must be a column name or a sequence of column names; "
                          f"got {names!r}")
    return tuple(names)
