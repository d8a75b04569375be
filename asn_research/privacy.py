"""Keyed pseudonyms for NIP, NIK and names, the key that makes them, and small-cell suppression.

Identifiers die early (house style §2.1, principle 7): at ingest every NIP, NIK and name
is replaced by a keyed hash, HMAC-SHA256 under a secret held by the data owner, so the
same person links across waves and instruments while the processed store, reports and
logs never see the identifier. A plain hash would not do: the NIP space is small and
structured (birth date, appointment date, sex, serial), so an unkeyed hash of every
possible NIP can be computed in minutes (docs/domain.md §6).

The key comes from the environment (``ASN_RESEARCH_KEY``) or from a key file outside
the repository (default ``~/.config/asn-research/pseudonym.key``), created on first use.
Its :attr:`PseudonymKey.fingerprint` is safe to record in a manifest, so an ingest made
with another key is detected before its pseudonyms fail to link.

Examples
--------
>>> import pandas as pd
>>> from asn_research.privacy import PseudonymKey, pseudonymize
>>> key = PseudonymKey.from_secret(bytes(range(32)))
>>> key
PseudonymKey(fingerprint='14d1953cb37c', source='memory')
>>> nips = pd.Series(["19850312 201001 1 002", "198503122010011002"])  # synthetic
>>> pseudonymize(nips, key, kind="nip")
0    p_b0458d2474510050589e5a23
1    p_b0458d2474510050589e5a23
dtype: string
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import InitVar, dataclass, field
from pathlib import Path
from typing import Literal, get_args

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .errors import ConfigError, InputError, PrivacyError

__all__ = [
    "DEFAULT_KEY_FILE",
    "IdentifierKind",
    "PseudonymKey",
    "load_key",
    "pseudonymize",
    "suppress_small_cells",
]

log = logging.getLogger(__name__)

IdentifierKind = Literal["nip", "nik", "name"]
_KINDS: tuple[str, ...] = get_args(IdentifierKind)

#: Where :func:`load_key` keeps the key when neither the environment nor the caller says.
DEFAULT_KEY_FILE = Path("~/.config/asn-research/pseudonym.key")
_KEY_FILE_ENV = "ASN_RESEARCH_KEY_FILE"
_FINGERPRINT_MESSAGE = b"asn-research key fingerprint v1"
_MIN_SECRET_BYTES = 16  # any text key needs >= 16 characters; hex keys >= 32 hex digits
_NEW_KEY_BYTES = 32
_PSEUDONYM_HEX = 24  # 96 bits: collisions are negligible for any survey population
_HEX_KEY = re.compile(r"[0-9a-fA-F]{32,}")
_NEW_KEY_HINT = "python -c 'import secrets; print(secrets.token_hex(32))'"
# Excel's damage to a digit identifier: scientific notation ("1.98503E+17").
_SCIENTIFIC = r"^\s*[+-]?[0-9]+([.,][0-9]*)?[eE][+-]?[0-9]+\s*$"  # RE2 syntax (pyarrow)


@dataclass(frozen=True)
class PseudonymKey:
    """The secret that pseudonyms are computed with, and its safe-to-show fingerprint.

    Build one with :func:`load_key` (from the environment or a key file) or
    :meth:`from_secret`. Its ``repr``, ``str``, :func:`dataclasses.asdict` and equality
    use only the fingerprint and source; the secret is never shown.

    Parameters
    ----------
    fingerprint : str
        First 12 hex digits of HMAC-SHA256(secret, ``b"asn-research key fingerprint v1"``).
        Record it in manifests: two ingests with different fingerprints used different
        keys, and their pseudonyms will not link.
    source : str
        Where the key came from: ``"env:<VARIABLE>"``, ``"file:<path>"`` or
        ``"memory"``. Never the secret.
    secret : bytes
        The key material, at least 16 bytes. Not stored as a field.

    Raises
    ------
    PrivacyError
        If the secret is shorter than 16 bytes or does not match ``fingerprint``.

    Examples
    --------
    >>> from asn_research.privacy import PseudonymKey
    >>> key = PseudonymKey.from_secret(b"a synthetic test key, not a real one")
    >>> key.fingerprint
    'd39a6e154078'
    >>> "synthetic" in repr(key)
    False
    """

    fingerprint: str
    source: str = field(compare=False)
    secret: InitVar[bytes]

    def __post_init__(self, secret: bytes) -> None:
        """Check the secret against the fingerprint and keep it off the fields."""
        if not isinstance(secret, bytes | bytearray):
            raise TypeError("the secret of a PseudonymKey must be bytes")
        if len(secret) < _MIN_SECRET_BYTES:
            raise PrivacyError(
                f"the pseudonymization key is too short ({len(secret)} bytes; at least "
                f"{_MIN_SECRET_BYTES} are needed). Fix: make a new one with {_NEW_KEY_HINT}"
            )
        if _fingerprint(bytes(secret)) != self.fingerprint:
            raise PrivacyError(
                "the fingerprint does not belong to this key. Fix: build keys with "
                "PseudonymKey.from_secret or load_key"
            )
        object.__setattr__(self, "_secret", bytes(secret))

    @classmethod
    def from_secret(cls, secret: bytes, *, source: str = "memory") -> PseudonymKey:
        """Make a key from raw key bytes (at least 16), computing its fingerprint.

        Parameters
        ----------
        secret : bytes
            The key material.
        source : str, optional
            Where it came from, for manifests and messages. Default ``"memory"``.

        Returns
        -------
        PseudonymKey
        """
        if not isinstance(secret, bytes | bytearray):
            raise TypeError("the secret of a PseudonymKey must be bytes")
        return cls(_fingerprint(bytes(secret)), source, bytes(secret))


def load_key(
    *,
    env_var: str = "ASN_RESEARCH_KEY",
    key_file: str | os.PathLike[str] | None = None,
    create: bool = True,
) -> PseudonymKey:
    """Load the pseudonymization key, creating a key file on first use.

    Parameters
    ----------
    env_var : str, optional
        Environment variable that may hold the key: a hex string of at least 32 hex
        digits (decoded to bytes), or any other string of at least 16 characters (used
        as its UTF-8 bytes). Default ``"ASN_RESEARCH_KEY"``. When it is set, it wins.
    key_file : str or path-like, optional
        The key file to use when ``env_var`` is not set. Defaults to the path in
        ``ASN_RESEARCH_KEY_FILE``, else ``~/.config/asn-research/pseudonym.key``.
    create : bool, optional
        Create the key file (32 random bytes, hex) when it does not exist. Default True.

    Returns
    -------
    PseudonymKey
        With ``source`` ``"env:<env_var>"`` or ``"file:<absolute path>"``.

    Raises
    ------
    PrivacyError
        If the key is empty or too short; if the key file lies inside a git working
        tree (a directory above it holds ``.git``); if it can be read or written by
        group or others; if it does not exist and ``create`` is False; or if it cannot
        be read or created. The message ends with a fix.

    Notes
    -----
    A new key file is written with permissions 0600, in a directory created with 0700
    (existing directories are left as they are), and ONE warning is logged on the
    ``asn_research.privacy`` logger: the key must be kept secret and backed up — without
    it, new waves no longer link to old ones — and must stay outside the repository.
    Permissions are not checked on Windows, which has no POSIX modes.

    Examples
    --------
    >>> import os, tempfile
    >>> from asn_research.privacy import load_key
    >>> os.environ["ASN_DOCTEST_KEY"] = "0123456789abcdef" * 4   # synthetic
    >>> load_key(env_var="ASN_DOCTEST_KEY")
    PseudonymKey(fingerprint='9248a35d436c', source='env:ASN_DOCTEST_KEY')
    >>> del os.environ["ASN_DOCTEST_KEY"]
    """
    value = os.environ.get(env_var)
    if value is not None:
        secret = _secret_from_text(value, where=f"the environment variable {env_var}")
        key = PseudonymKey.from_secret(secret, source=f"env:{env_var}")
        log.debug("using pseudonymization key %s from %s", key.fingerprint, key.source)
        return key

    path = _key_path(key_file)
    _refuse_inside_git(path)
    if not path.exists():
        if not create:
            raise PrivacyError(
                f"no pseudonymization key: {env_var} is not set and the key file {path} "
                f"does not exist. Fix: set {env_var}, point {_KEY_FILE_ENV} at the key "
                "file kept by the data owner, or allow creating a new key (only for a "
                "first ingest: a new key does not link to earlier waves)"
            )
        _create_key_file(path)
    key = _read_key_file(path)
    log.debug("using pseudonymization key %s from %s", key.fingerprint, key.source)
    return key


def pseudonymize(values: pd.Series, key: PseudonymKey, *, kind: IdentifierKind) -> pd.Series:
    """Replace identifiers by keyed pseudonyms that link the same person across waves.

    Parameters
    ----------
    values : pandas.Series
        The identifiers (str; ints accepted for NIP/NIK). Check NIPs and NIKs first
        with :func:`asn_research.identifiers.check_nip` / ``check_nik`` and pseudonymize
        the accepted values only: this function does not validate them.
    key : PseudonymKey
        From :func:`load_key`.
    kind : {"nip", "nik", "name"}
        What the values are. It is part of the hashed message, so the same digits give
        different pseudonyms as a NIP and as a NIK.

    Returns
    -------
    pandas.Series
        ``"p_"`` + the first 24 hex digits (96 bits) of
        HMAC-SHA256(secret, ``f"{kind}:{normalized}"``), dtype ``string``, indexed like
        ``values`` and named ``<name>_key`` (unnamed if ``values`` is). Missing values,
        and values that normalize to nothing, give NA.

    Raises
    ------
    ConfigError
        If ``kind`` is not one of "nip", "nik", "name".
    InputError
        For ``kind`` "nip" or "nik": if ``values`` is a float column or holds numbers in
        scientific notation. Excel has then replaced the last digits, and different
        people would get the same pseudonym.

    Notes
    -----
    Normalization before hashing: for "nip" and "nik" the digits only (so a NIP typed
    with spaces, dots or dashes links to the plain one); for "name" Unicode NFKC,
    casefolding, whitespace collapsed to single spaces and stripped (so "Nama  Contoh"
    links to "NAMA CONTOH", but not to "Nama Contoh, S.Kom."). Each distinct value is
    hashed once. Values are never logged.

    Same key, same pseudonym; another key gives unrelated pseudonyms, so a lost key
    means that new waves no longer link to old ones.

    References
    ----------
    RFC 2104 (HMAC); FIPS 180-4 (SHA-256); UU 27/2022 on personal-data protection
    (pseudonymized microdata remain personal data; docs/domain.md §6).

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research.privacy import PseudonymKey, pseudonymize
    >>> key = PseudonymKey.from_secret(b"a synthetic test key, not a real one")
    >>> names = pd.Series(["Nama  Contoh", "NAMA CONTOH", None], name="name")
    >>> pseudonymize(names, key, kind="name").tolist()
    ['p_20babd6e86ce793bc498c4ee', 'p_20babd6e86ce793bc498c4ee', <NA>]
    """
    if kind not in _KINDS:
        raise ConfigError(f"kind must be one of: 'nip', 'nik', 'name'; got {kind!r}")
    if not isinstance(key, PseudonymKey):
        raise TypeError(f"key must be a PseudonymKey (see load_key), got {type(key).__name__}")
    if not isinstance(values, pd.Series):
        raise TypeError(f"values must be a pandas Series, got {type(values).__name__}")
    column = str(values.name) if values.name is not None else None
    if kind != "name" and pd.api.types.is_float_dtype(values.dtype):
        raise InputError(
            f"the {kind.upper()} values are floating-point numbers, so Excel or a numeric "
            "column has replaced their last digits",
            column=column,
            fix=f"read the {kind.upper()} column as text and check it with "
            f"identifiers.check_{kind} first",
        )

    texts, codes = _distinct_texts(values)
    if kind == "name":
        normalized = pa.array(
            [
                " ".join(unicodedata.normalize("NFKC", t).casefold().split())
                for t in texts.to_pylist()
            ],
            type=pa.large_string(),
        )
    elif pc.all(pc.ascii_is_decimal(texts)).as_py() is not False:
        normalized = texts  # digits only already (what check_nip/check_nik return)
    else:
        scientific = texts.filter(pc.fill_null(pc.match_substring_regex(texts, _SCIENTIFIC),
                                               False))
        numbers = pc.count_distinct(scientific).as_py() or 0
        if numbers:
            raise InputError(
                f"{numbers} distinct {kind.upper()} values are numbers in scientific "
                "notation: Excel has replaced their last digits",
                column=column,
                fix=f"check the column with identifiers.check_{kind} and pseudonymize "
                "only the accepted values",
            )
        normalized = pc.replace_substring_regex(texts, "[^0-9]", "")
    normalized = normalized.cast(pa.large_string())
    # values that normalize to nothing (or were missing) get no pseudonym
    keep = pc.fill_null(pc.greater(pc.binary_length(normalized), 0), False)
    present = normalized.filter(keep)
    hexed = _pseudonym_array(
        object.__getattribute__(key, "_secret"), present.cast(pa.large_binary()),
        f"{kind}:".encode(),
    )
    keep_np = keep.to_numpy(zero_copy_only=False)
    positions = np.full(len(keep_np), -1, dtype=np.int64)
    positions[keep_np] = np.arange(len(present))
    pseudonyms = hexed.take(pa.array(positions, mask=positions < 0))
    result = pseudonyms.take(pa.array(codes, mask=codes < 0, type=pa.int64()))
    log.debug(
        "pseudonymized %d %s values (%d hashed) with key %s",
        len(values),
        kind,
        len(present),
        key.fingerprint,
    )
    return pd.Series(
        pd.array(result, dtype=pd.StringDtype("pyarrow")),
        index=values.index,
        name=f"{column}_key" if column is not None else None,
    )


def suppress_small_cells(
    table: pd.DataFrame,
    *,
    count: str,
    min_cell: int = 10,
    value_columns: Sequence[str] | None = None,
    lines: Sequence[str | Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Blank out table cells built from too few respondents before publishing.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per published cell (e.g. OPD × sex), with a respondent count.
    count : str
        The column holding the number of respondents behind each row.
    min_cell : int, optional
        Rows with ``0 < count < min_cell`` are suppressed. Default 10, the conservative
        choice for attitude items (docs/domain.md §6); 5 is common for plain counts.
    value_columns : sequence of str, optional
        Columns computed from those respondents (means, percentages, CIs) that are
        blanked with the count. Default: every numeric column other than ``count``
        — pass the list explicitly when a grouping column is numeric (e.g. a year).
    lines : sequence of column names (or of lists of them), optional
        Complementary suppression. Each entry names the columns that are *constant along a
        line* whose total is published or can be worked out: e.g. ``["wave"]`` for a table of
        OPD × wave with a total per wave, ``[["wave"], ["opd"]]`` when totals per wave and per
        OPD are both known. Whenever a line would hold exactly one suppressed cell (so the
        total minus the published cells reveals it), its smallest other non-zero cell is
        suppressed too, and this repeats until no line has exactly one.

    Returns
    -------
    pandas.DataFrame
        A copy of ``table`` where suppressed rows have ``count`` and the value columns
        set to NA (integer columns become nullable ``Int64``), plus a bool column
        ``suppressed`` (True for those rows; OR-ed with an existing ``suppressed``).

    Raises
    ------
    InputError
        If a named column is missing, ``count`` is not numeric or is negative.
    ConfigError
        If ``min_cell`` is not a positive integer.

    Notes
    -----
    Zero counts are published (an empty cell discloses nobody), following the CMS
    cell-size policy. Rows with a missing count are left alone. Without ``lines`` this is
    primary suppression only: a suppressed cell can still be recovered by subtraction when
    a total of its row or column is published, so give the lines whose totals are known.
    The complementary cells are chosen greedily (the smallest count first), a common
    heuristic; it guarantees that no line has exactly one suppressed cell, not that the
    number of suppressed cells is minimal.

    References
    ----------
    Hundepool et al. (2010), ESSnet Handbook on Statistical Disclosure Control; OECD
    glossary, "threshold rule"; docs/domain.md §6.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research.privacy import suppress_small_cells
    >>> t = pd.DataFrame({"opd": ["dinkes", "bapenda"], "n": [42, 3],
    ...                   "mean_score": [3.1, 4.0]})
    >>> suppress_small_cells(t, count="n", min_cell=10)
           opd     n  mean_score  suppressed
    0   dinkes    42         3.1       False
    1  bapenda  <NA>         NaN        True
    """
    if isinstance(min_cell, bool) or not isinstance(min_cell, int | np.integer) or min_cell < 1:
        raise ConfigError(f"min_cell must be a positive integer; got {min_cell!r}")
    if count not in table.columns:
        raise InputError(
            f"the count column {count!r} is missing",
            column=count,
            fix=f"pass count= one of: {', '.join(map(str, table.columns))}",
        )
    counts = table[count]
    if not pd.api.types.is_numeric_dtype(counts.dtype) or pd.api.types.is_bool_dtype(counts.dtype):
        raise InputError(
            f"the count column {count!r} is not numeric",
            column=count,
            fix="pass the column holding the number of respondents per cell",
        )
    values = counts.to_numpy(dtype="float64", na_value=np.nan)
    if bool((values < 0).any()):  # a missing count compares False
        raise InputError(
            f"the count column {count!r} has negative values",
            column=count,
            fix="counts of respondents cannot be negative; check how the table was built",
        )
    if value_columns is None:
        value_columns = [
            c
            for c, dtype in table.dtypes.items()
            if c != count
            and c != "suppressed"
            and pd.api.types.is_numeric_dtype(dtype)
            and not pd.api.types.is_bool_dtype(dtype)
        ]
    else:
        value_columns = list(value_columns)
        missing = [c for c in value_columns if c not in table.columns]
        if missing:
            raise InputError(
                f"value column(s) {', '.join(map(repr, missing))} are missing",
                column=str(missing[0]),
                fix=f"choose among: {', '.join(map(str, table.columns))}",
            )

    small = (values > 0) & (values < min_cell)  # a missing count is left alone
    if lines:
        small = _complementary(table, values, small, lines)
    hide = bool(small.any())
    replaced = {}
    for column in [count, *[c for c in value_columns if c != count]]:
        series = table[column]
        # integer and bool columns become nullable whether or not a cell is blanked, so
        # the table's dtypes never tell that something was suppressed
        if pd.api.types.is_integer_dtype(series.dtype) and not isinstance(
            series.dtype, pd.api.extensions.ExtensionDtype
        ):
            series = series.astype("Int64")
        elif pd.api.types.is_bool_dtype(series.dtype):
            series = series.astype("boolean")
        elif not hide:
            continue
        replaced[column] = _blanked(series, small) if hide else series
    out = table.copy(deep=False)  # columns are replaced, never changed in place
    for column, series in replaced.items():
        out[column] = series
    flag = small
    previous = out["suppressed"] if "suppressed" in out.columns else None
    if previous is not None and pd.api.types.is_bool_dtype(previous.dtype):
        flag = flag | previous.fillna(False).to_numpy(dtype=bool)
    out["suppressed"] = flag
    n_small = int(small.sum())
    if n_small:
        log.info(
            "suppressed %d of %d cells with fewer than %d respondents", n_small, len(out), min_cell
        )
    return out


# --------------------------------------------------------------------------- internals


def _blanked(series: pd.Series, small: np.ndarray) -> pd.Series:
    """``series.mask(small)``: the same values and dtype, without its alignment machinery
    (a report's tables are small, and pandas' overhead per call was most of their cost)."""
    if isinstance(series.dtype, pd.api.extensions.ExtensionDtype):
        values = series.array.copy()
        values[small] = pd.NA
    elif series.dtype.kind == "f":
        values = np.where(small, np.nan, series.to_numpy())
    else:
        return series.mask(small)
    return pd.Series(values, index=series.index, name=series.name, copy=False)


def _line_ids(table: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """One integer per row naming its line (equal values in ``columns``; NA is a value)."""
    ids = np.zeros(len(table), dtype=np.int64)
    for column in columns:
        codes, uniques = pd.factorize(table[column], use_na_sentinel=False)
        ids = ids * (len(uniques) + 1) + codes
    return pd.factorize(ids)[0]


def _complementary(table: pd.DataFrame, values: np.ndarray, small: np.ndarray,
                   lines: Sequence[str | Sequence[str]]) -> np.ndarray:
    """Extend ``small`` until no line holds exactly one suppressed cell (``values`` are the
    counts, NaN where missing)."""
    groups = [[g] if isinstance(g, str) else list(g) for g in lines]
    for g in groups:
        missing = [c for c in g if c not in table.columns]
        if missing:
            raise InputError(f"line column(s) {', '.join(map(repr, missing))} are missing",
                             column=missing[0],
                             fix=f"choose among: {', '.join(map(str, table.columns))}")
    hidden = small.copy()
    line_ids = [_line_ids(table, g) for g in groups]
    changed = True
    while changed:
        changed = False
        for ids in line_ids:
            for line in np.unique(ids):
                members = np.flatnonzero(ids == line)
                if len(members) < 2 or hidden[members].sum() != 1:
                    continue
                candidates = [i for i in members if not hidden[i] and values[i] > 0]
                if not candidates:
                    continue  # only zeros left: the hidden cell is its line's total anyway
                pick = min(candidates, key=lambda i: (values[i], i))
                hidden[pick] = True
                changed = True
    return hidden


def _distinct_texts(values: pd.Series) -> tuple[pa.LargeStringArray, np.ndarray]:
    """Each distinct value once, as an Arrow text array, with the codes that put them back
    in place (-1 for missing)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = pa.array(pd.Series(uniques).astype(pd.StringDtype("pyarrow")).array)
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    return texts.cast(pa.large_string()), codes


def _pseudonym_array(secret: bytes, messages: pa.LargeBinaryArray, prefix: bytes
                     ) -> pa.LargeStringArray:
    """``"p_"`` + 24 hex digits of HMAC-SHA256(secret, prefix + m) for every message.

    HMAC as RFC 2104 defines it, H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)), with the standard
    library's ``hashlib`` (OpenSSL underneath) on every machine: the two keyed SHA-256
    states are computed once and copied per message, which gives the bytes of
    ``hmac.digest(secret, prefix + m, "sha256")`` (tested) at less than half its cost —
    about 2 s for a million distinct identifiers, against 5 s for the one-shot call that
    sets up the key again for every message.
    """
    width = _PSEUDONYM_HEX // 2
    block = hashlib.sha256().block_size  # 64 bytes
    key = hashlib.sha256(secret).digest() if len(secret) > block else secret
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(x ^ 0x36 for x in key))
    outer = hashlib.sha256(bytes(x ^ 0x5C for x in key))
    inner.update(prefix)  # every message starts with the same prefix
    parts = []
    new_inner, new_outer = inner.copy, outer.copy
    for m in messages.to_pylist():
        h = new_inner()
        h.update(m)
        o = new_outer()
        o.update(h.digest())
        parts.append(o.digest()[:width])
    blob = b"".join(parts)
    hexed = pa.Array.from_buffers(
        pa.binary(2 * width), len(messages), [None, pa.py_buffer(blob.hex().encode("ascii"))]
    ).cast(pa.large_binary()).cast(pa.large_string())
    return pc.binary_join_element_wise(
        pa.scalar("p_", pa.large_string()), hexed, pa.scalar("", pa.large_string())
    )


def _fingerprint(secret: bytes) -> str:
    return hmac.new(secret, _FINGERPRINT_MESSAGE, hashlib.sha256).hexdigest()[:12]


def _secret_from_text(text: str, *, where: str) -> bytes:
    """Key bytes from a hex string (>= 32 hex digits) or any text of >= 16 characters."""
    text = text.strip()
    if not text:
        raise PrivacyError(
            f"the pseudonymization key in {where} is empty. Fix: restore the key kept by "
            f"the data owner, or (first ingest only) make one with {_NEW_KEY_HINT}"
        )
    if _HEX_KEY.fullmatch(text) and len(text) % 2 == 0:
        return bytes.fromhex(text)
    if len(text) >= _MIN_SECRET_BYTES:
        return text.encode("utf-8")
    raise PrivacyError(
        f"the pseudonymization key in {where} is too short ({len(text)} characters; at "
        f"least {_MIN_SECRET_BYTES} characters or 32 hex digits are needed). Fix: use the "
        f"key kept by the data owner, or (first ingest only) make one with {_NEW_KEY_HINT}"
    )


def _key_path(key_file: str | os.PathLike[str] | None) -> Path:
    if key_file is None:
        key_file = os.environ.get(_KEY_FILE_ENV) or DEFAULT_KEY_FILE
    return Path(key_file).expanduser().resolve()


def _refuse_inside_git(path: Path) -> None:
    for directory in path.parents:
        if (directory / ".git").exists():
            raise PrivacyError(
                f"the pseudonymization key file {path} is inside a git working tree "
                f"({directory}); committed by mistake, it would let anyone re-identify "
                f"respondents. Fix: keep the key outside the repository, e.g. in "
                f"{DEFAULT_KEY_FILE}, and point {_KEY_FILE_ENV} at it"
            )


def _create_key_file(path: Path) -> None:
    try:
        missing = [d for d in [path.parent, *path.parent.parents] if not d.exists()]
        for directory in reversed(missing):
            directory.mkdir(mode=0o700)
            directory.chmod(0o700)  # mkdir's mode is reduced by the umask
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # created concurrently: read it
    except OSError as exc:
        raise PrivacyError(
            f"cannot create the pseudonymization key file {path}: {exc.strerror}. Fix: "
            f"choose a writable location outside the repository with {_KEY_FILE_ENV}"
        ) from None
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)
        os.write(fd, (secrets.token_bytes(_NEW_KEY_BYTES).hex() + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    log.warning(
        "Created a new pseudonymization key at %s. Keep it secret and back it up: "
        "without it, new survey waves will not link to earlier ones. Keep it outside "
        "the repository and never commit or share it.",
        path,
    )


def _read_key_file(path: Path) -> PseudonymKey:
    if not path.is_file():
        raise PrivacyError(
            f"the pseudonymization key path {path} is not a regular file. Fix: point "
            f"{_KEY_FILE_ENV} at the key file"
        )
    if os.name == "posix":
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise PrivacyError(
                f"the pseudonymization key file {path} can be accessed by group or others "
                f"(mode {mode:o}). Fix: run chmod 600 {path}"
            )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise PrivacyError(
            f"cannot read the pseudonymization key file {path}: {reason}. Fix: restore "
            "the key file kept by the data owner"
        ) from None
    secret = _secret_from_text(text, where=f"the key file {path}")
    return PseudonymKey.from_secret(secret, source=f"file:{path}")
