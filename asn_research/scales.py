"""Scale scores and their reliability, driven by the instrument definitions.

An instrument (``surveys/instruments/<id>.yaml``) declares its scales: the items, the
reverse-keyed items, and how many items must be answered for a score. This module turns
the processed store's item columns (integer answer codes, ``NA`` when unanswered) into
one score per respondent and scale (:func:`score_instrument`, :func:`score_scale`) and
estimates internal consistency — Cronbach's alpha with a Feldt interval and McDonald's
omega from a one-factor minres fit that reproduces ``psych::fa`` (:func:`reliability`,
:func:`scale_reliability`). The tidy tables a report shows come from
:func:`reliability_table` (one row per group and scale), :func:`item_table` (one row per
group, scale and item) and :func:`item_distribution` (answer counts and shares per code,
labelled from the instrument's choice lists).

Numbers happen in small pure functions (:func:`reverse_code`, ``_alpha_from_cov``,
``_item_total``, ``_feldt_ci``, ``_minres_one_factor``, ``_omega_total``); the public
functions validate their arguments and data at the boundary and orchestrate.

Examples
--------
>>> import pandas as pd
>>> from asn_research import scales
>>> df = pd.DataFrame({"a": [1, 2, 5], "b": [5, 4, pd.NA], "c": [2, 2, 4]}, dtype="Int64")
>>> scales.score_scale(df, items=["a", "b", "c"], reverse=["b"], minimum=1, maximum=5,
...                    min_answered=2).round(3).tolist()
[1.333, 2.0, 4.5]
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from ._validation import as_tuple, check_columns, check_confidence, check_frame
from .errors import ConfigError, InputError

if TYPE_CHECKING:
    from .instruments import Instrument, Scale

__all__ = [
    "NanPolicy",
    "ReliabilityResult",
    "ScoreMethod",
    "item_distribution",
    "item_table",
    "reliability",
    "reliability_table",
    "reverse_code",
    "scale_reliability",
    "score_instrument",
    "score_scale",
]

logger = logging.getLogger(__name__)

ScoreMethod = Literal["mean", "sum"]
"""How a scale score is formed: the mean of the answered items, or the prorated sum."""

NanPolicy = Literal["listwise", "pairwise"]
"""How reliability treats unanswered items: drop incomplete rows, or use all pairs."""

# Codes with more digits are never echoed in an error message: a wrongly chosen column
# could hold an identifier (NIP 18 digits, NIK 16), and its value must never be shown.
_MAX_ECHO_DIGITS = 4


# --------------------------------------------------------------------------- validation


def _check_choice(value: Any, options: Any, *, name: str) -> None:
    """Raise ConfigError unless ``value`` is one of the values of the Literal ``options``."""
    allowed = get_args(options)
    if not isinstance(value, str) or value not in allowed:
        raise ConfigError(
            f"{name} must be one of: {', '.join(repr(a) for a in allowed)}; got {value!r}"
        )


def _check_bounds(minimum: Any, maximum: Any) -> None:
    for name, v in (("minimum", minimum), ("maximum", maximum)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise ConfigError(f"{name} must be an integer answer code; got {v!r}")
    if minimum >= maximum:
        raise ConfigError(
            f"minimum must be smaller than maximum; got minimum={minimum}, maximum={maximum}"
        )


def _check_items(items: Any, reverse: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    for name, seq in (("items", items), ("reverse", reverse)):
        if isinstance(seq, str) or not isinstance(seq, Sequence):
            raise ConfigError(
                f"{name} must be a sequence of column names (e.g. [{seq!r}]), "
                f"not {type(seq).__name__}"
            )
    items_t, reverse_t = tuple(items), tuple(reverse)
    if not items_t:
        raise ConfigError("items must name at least one item column")
    dupes = sorted({i for i in items_t if items_t.count(i) > 1})
    if dupes:
        raise ConfigError(f"items must be unique; repeated: {', '.join(map(repr, dupes))}")
    stray = [r for r in reverse_t if r not in items_t]
    if stray:
        raise ConfigError(
            f"reverse items must be among the items; not in items: {', '.join(map(repr, stray))}"
        )
    return items_t, reverse_t


def _column_codes(
    values: pd.Series, *, column: str | None, minimum: int, maximum: int
) -> np.ndarray:
    """Return the answer codes of one column as float64 (NaN = unanswered), range-checked."""
    where = f"item {column!r}" if column is not None else "the values"
    fix_codes = (
        f"item columns hold the instrument's answer codes {minimum}–{maximum} or NA; "
        "recode labels and special codes (e.g. 'don't know') before scoring"
    )
    if is_bool_dtype(values.dtype):
        raise InputError(f"{where} is boolean, not answer codes", column=column, fix=fix_codes)
    if not is_numeric_dtype(values.dtype):
        if values.dtype != object:
            raise InputError(
                f"{where} holds {values.dtype} values, not numeric answer codes",
                column=column,
                fix=fix_codes,
            )
        try:
            values = pd.to_numeric(values)
        except (ValueError, TypeError):
            raise InputError(
                f"{where} holds values that are not numeric answer codes",
                column=column,
                fix=fix_codes,
            ) from None
    codes = values.to_numpy(dtype="float64", na_value=np.nan)  # numeric: NA and NaN → NaN
    bad = ~np.isnan(codes) & ((codes < minimum) | (codes > maximum))
    if bad.any():
        positions = np.flatnonzero(bad)
        distinct = np.unique(codes[bad])
        if np.all(np.abs(distinct) < 10**_MAX_ECHO_DIGITS):
            shown = ", ".join(f"{v:g}" for v in distinct[:5])
            shown = f" ({shown}{', …' if len(distinct) > 5 else ''})"
        else:
            shown = ""  # may be an identifier: never echo it
        raise InputError(
            f"{where} has {len(positions)} value(s) outside the answer codes "
            f"{minimum}–{maximum}{shown}, first at data row {positions[0] + 1}",
            row=int(positions[0] + 1),
            column=column,
            fix=fix_codes,
        )
    return codes


def _item_matrix(
    data: pd.DataFrame,
    items: tuple[str, ...],
    reverse: tuple[str, ...],
    *,
    minimum: int,
    maximum: int,
    scale: str | None = None,
    codes_of: dict[tuple[str, int, int], np.ndarray] | None = None,
) -> np.ndarray:
    """Return the (n, k) float64 matrix of reverse-keyed codes; NaN = unanswered.

    ``codes_of`` keeps each column's checked codes for the next scale that shares the item
    (a composite and its subscales), so a column is read and checked once."""
    if not isinstance(data, pd.DataFrame):
        raise ConfigError(f"data must be a pandas DataFrame; got {type(data).__name__}")
    missing = [i for i in items if i not in data.columns]
    if missing:
        of = f" of scale {scale!r}" if scale else ""
        raise InputError(
            f"item column(s) {', '.join(map(repr, missing))}{of} are missing from the data",
            column=missing[0],
            fix="load the wave with all item columns, or score only the scales whose items "
            "are present",
        )
    out = np.empty((len(data), len(items)), dtype="float64")
    for j, item in enumerate(items):
        col = data[item]
        if isinstance(col, pd.DataFrame):
            raise InputError(
                f"item column {item!r} appears more than once in the data",
                column=item,
                fix="give every column a unique name",
            )
        key = (item, minimum, maximum)
        codes = None if codes_of is None else codes_of.get(key)
        if codes is None:
            codes = _column_codes(col, column=item, minimum=minimum, maximum=maximum)
            if codes_of is not None:
                codes_of[key] = codes
        out[:, j] = (minimum + maximum) - codes if item in reverse else codes
    return out


# --------------------------------------------------------------------------- scoring


def reverse_code(values: pd.Series, *, minimum: int, maximum: int) -> pd.Series:
    """Reverse-key answer codes: ``minimum + maximum − x``; missing answers stay missing.

    Use it for items worded in the opposite direction of their scale (on a 1–5 scale
    5 becomes 1 and 2 becomes 4). Applying it twice gives back the original codes.

    Parameters
    ----------
    values : pandas.Series
        Integer answer codes (nullable ``Int64``/``Int8``, or float with NaN for missing).
    minimum, maximum : int
        The smallest and largest answer code of the item's choice list.

    Returns
    -------
    pandas.Series
        The reversed codes, with the index, name and (numeric) dtype of ``values``.

    Raises
    ------
    ConfigError
        If ``minimum``/``maximum`` are not integers with ``minimum < maximum``.
    InputError
        If ``values`` is not numeric or holds a code outside ``[minimum, maximum]``.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research.scales import reverse_code
    >>> reverse_code(pd.Series([1, 2, None, 5], dtype="Int64"), minimum=1, maximum=5).tolist()
    [5, 4, <NA>, 1]
    """
    _check_bounds(minimum, maximum)
    if not isinstance(values, pd.Series):
        raise ConfigError(f"values must be a pandas Series; got {type(values).__name__}")
    column = None if values.name is None else str(values.name)
    _column_codes(values, column=column, minimum=minimum, maximum=maximum)
    numeric = values if is_numeric_dtype(values.dtype) else pd.to_numeric(values)
    out = (minimum + maximum) - numeric
    out.name = values.name
    return out


def _score_rows(
    codes: np.ndarray, *, min_answered: int, method: ScoreMethod
) -> tuple[np.ndarray, np.ndarray]:
    """Score each row of a (n, k) code matrix; return (scores with NaN, n_answered)."""
    answered = ~np.isnan(codes)
    n_answered = answered.sum(axis=1)
    total = np.where(answered, codes, 0.0).sum(axis=1)
    score = np.full(codes.shape[0], np.nan)
    ok = n_answered >= min_answered
    score[ok] = total[ok] / n_answered[ok]
    if method == "sum":
        score *= codes.shape[1]
    return score, n_answered


def _check_min_answered(min_answered: Any, k: int) -> None:
    if isinstance(min_answered, bool) or not isinstance(min_answered, (int, np.integer)):
        raise ConfigError(f"min_answered must be an integer; got {min_answered!r}")
    if not 1 <= min_answered <= k:
        raise ConfigError(
            f"min_answered must be between 1 and the number of items ({k}); got {min_answered}"
        )


def score_scale(
    data: pd.DataFrame,
    *,
    items: Sequence[str],
    reverse: Sequence[str] = (),
    minimum: int,
    maximum: int,
    min_answered: int,
    method: ScoreMethod = "mean",
) -> pd.Series:
    """Score one scale per respondent from its item columns.

    Reverse-keyed items are recoded first (``minimum + maximum − x``). A respondent gets a
    score when at least ``min_answered`` items are answered; otherwise the score is missing.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent, one column per item (integer codes or NA). Not modified.
    items : sequence of str
        The item columns of the scale.
    reverse : sequence of str, optional
        The items (among ``items``) scored in reverse.
    minimum, maximum : int
        Smallest and largest answer code (e.g. 1 and 5 for a 5-point Likert item).
    min_answered : int
        Minimum number of answered items for a score, between 1 and ``len(items)``.
    method : {"mean", "sum"}, optional
        ``"mean"`` (default): mean of the answered items, on the answer-code metric.
        ``"sum"``: prorated sum, ``mean × len(items)``, so that an unanswered item does
        not lower the sum.

    Returns
    -------
    pandas.Series
        ``Float64`` scores aligned to ``data.index``; ``NA`` where fewer than
        ``min_answered`` items were answered.

    Raises
    ------
    ConfigError
        For a bad option (``method``, ``min_answered``, bounds, duplicate or stray items).
    InputError
        If an item column is missing, not numeric, or holds a code outside
        ``[minimum, maximum]``.

    Notes
    -----
    Missing answers are handled by person-mean (available-item) scoring, the usual rule
    for multi-item attitude scales: the score is the mean of the answered items, which is
    unbiased when the unanswered items are missing completely at random and the items are
    parallel. ``min_answered`` guards against scores resting on too few items.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research.scales import score_scale
    >>> df = pd.DataFrame({"q1": [4, 5, pd.NA], "q2": [2, pd.NA, pd.NA], "q3": [5, 4, 3]},
    ...                   dtype="Int64")
    >>> score_scale(df, items=["q1", "q2", "q3"], reverse=["q2"], minimum=1, maximum=5,
    ...             min_answered=2, method="sum").tolist()
    [13.0, 13.5, <NA>]
    """
    _check_choice(method, ScoreMethod, name="method")
    _check_bounds(minimum, maximum)
    items_t, reverse_t = _check_items(items, reverse)
    _check_min_answered(min_answered, len(items_t))
    codes = _item_matrix(data, items_t, reverse_t, minimum=minimum, maximum=maximum)
    score, _ = _score_rows(codes, min_answered=min_answered, method=method)
    return pd.Series(pd.array(score, dtype="Float64"), index=data.index)


def _scale_bounds(instrument: Instrument, scale: Scale) -> tuple[int, int]:
    choices = instrument.choices_of(scale.items[0])
    return choices.min_value, choices.max_value


def _select_scales(instrument: Instrument, names: Sequence[str] | None) -> list[Scale]:
    if names is None:
        return list(instrument.scales)
    known = [s.name for s in instrument.scales]
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise ConfigError(
            f"scales must be a sequence of scale names (e.g. [{names!r}]); "
            f"allowed: {', '.join(map(repr, known))}"
        )
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(
            f"scales must be among the scales of instrument {instrument.id!r}: "
            f"{', '.join(map(repr, known))}; got {', '.join(map(repr, unknown))}"
        )
    return [instrument.scale(n) for n in dict.fromkeys(names)]


def score_instrument(
    data: pd.DataFrame,
    instrument: Instrument,
    *,
    scales: Sequence[str] | None = None,
    method: ScoreMethod = "mean",
) -> pd.DataFrame:
    """Score every scale (or the chosen ones) an instrument declares.

    Answer codes, reverse-keyed items and ``min_answered`` come from the instrument
    definition. Subscales and composite scales are scored alike: a composite's items are
    the items of its subscales and it applies its own ``min_answered`` to them (it is the
    mean of its items, not the mean of its subscale scores).

    Parameters
    ----------
    data : pandas.DataFrame
        Processed wave data: one row per respondent, one column per item. Not modified.
    instrument : Instrument
        The questionnaire definition (:func:`asn_research.instruments.load_instrument`).
    scales : sequence of str, optional
        Names of the scales to score, in this order; default all, in instrument order.
    method : {"mean", "sum"}, optional
        Mean of answered items (default) or prorated sum; see :func:`score_scale`.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``data.index``; for each scale two columns:

        - ``<scale>`` (``Float64``): the score, ``NA`` below ``min_answered``;
        - ``<scale>__n_answered`` (``Int64``): how many of its items were answered.

    Raises
    ------
    ConfigError
        For an unknown scale name (the message lists the instrument's scales) or a bad
        ``method``.
    InputError
        If an item column is missing, not numeric, or holds a code outside the item's
        answer codes.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import instruments, scales
    >>> merit = instruments.load_instrument("merit")
    >>> df = pd.DataFrame({"sup_1": [5], "sup_2": [4], "sup_3": [4], "sup_4": [pd.NA],
    ...                    "sup_5": [2]}, dtype="Int64")
    >>> scales.score_instrument(df, merit, scales=["merit_support"])  # sup_5 reversed: 4
       merit_support  merit_support__n_answered
    0           4.25                          4
    """
    _check_choice(method, ScoreMethod, name="method")
    chosen = _select_scales(instrument, scales)
    columns: dict[str, pd.api.extensions.ExtensionArray] = {}
    for sc in chosen:
        minimum, maximum = _scale_bounds(instrument, sc)
        codes = _item_matrix(
            data, sc.items, sc.reverse, minimum=minimum, maximum=maximum, scale=sc.name
        )
        score, n_answered = _score_rows(codes, min_answered=sc.min_answered, method=method)
        columns[sc.name] = pd.array(score, dtype="Float64")
        columns[f"{sc.name}__n_answered"] = pd.array(n_answered, dtype="Int64")
        logger.debug(
            "scored scale %s of %s: %d of %d rows have a score",
            sc.name,
            instrument.id,
            int((n_answered >= sc.min_answered).sum()),
            len(data),
        )
    return pd.DataFrame(columns, index=data.index)


# --------------------------------------------------------------------------- reliability

_MIN_OBS_TABLE = 3
"""Tables refuse a group with fewer usable respondents than this (alpha of two rows is noise)."""

# psych::fa(r, nfactors = 1, fm = "minres") as psych 2.2.9 computes it (psych:::fac): the
# uniquenesses are fitted by optim(method = "L-BFGS-B") with these settings, started at
# 1 − SMC; every one of them is reproduced so that the loadings match psych's.
_PSYCH_LOWER = 0.005  # optim's lower bound on each uniqueness
_PSYCH_PARSCALE = 0.01  # optim control parscale
_R_FACTR = 1e7  # R optim's L-BFGS-B defaults: factr, lmm, maxit (pgtol = 0)
_R_LMM = 5
_R_MAXIT = 100
_EPS = float(np.finfo(float).eps)


def _method(nan_policy: NanPolicy) -> str:
    """The method in words for ``ReliabilityResult.method`` and the tables."""
    if nan_policy == "listwise":
        cor, deletion = "correlations of the complete rows", "listwise deletion"
    else:
        cor, deletion = "pairwise-complete correlations", "pairwise deletion"
    return (
        "Cronbach's alpha with Feldt CI; omega total from a one-factor minres fit "
        f"(as psych::fa) on the {cor}; {deletion}"
    )


@dataclass(frozen=True, slots=True)
class ReliabilityResult:
    """Internal consistency of a set of items: Cronbach's alpha (Feldt CI) and omega.

    Attributes
    ----------
    estimate : float
        Cronbach's alpha from the item covariances ("raw alpha").
    ci_low, ci_high : float
        Feldt (1987) confidence interval of alpha.
    confidence : float
        Confidence level of the interval (e.g. 0.95).
    n_obs : int
        Respondents used (complete rows for listwise deletion; rows with at least one
        answered item for pairwise deletion). Also the ``n`` of the Feldt interval.
    k_items : int
        Number of items.
    std_alpha : float
        Standardized alpha, ``k·r̄ / (1 + (k − 1)·r̄)`` with ``r̄`` the mean inter-item
        correlation. NaN if an item has no variance.
    omega : float
        McDonald's omega total of the unit-weighted sum of the standardized (keyed) items,
        ``(Σλ)² / ((Σλ)² + Σ(1 − λ²))`` from the one-factor minres loadings ``λ`` of
        ``psych::fa``. NaN with fewer than three items or when a correlation is undefined.
    item_total : pandas.DataFrame
        One row per item (excluded from equality and hashing), with columns:

        - ``item`` (str): the item column;
        - ``r_drop`` (float): corrected item-total correlation, the item against the
          sum of the other (reverse-keyed) items;
        - ``alpha_if_dropped`` (float): raw alpha of the other items (NaN for two items);
        - ``loading`` (float): the item's standardized loading on the one factor behind
          ``omega`` (psych's sign convention: the loadings sum to a positive number);
        - ``mean``, ``sd`` (float): mean and standard deviation of the keyed item
          (reverse-keyed items after recoding, as ``psych::alpha``'s ``item.stats``);
        - ``n_obs`` (int): respondents behind ``mean`` and ``sd``.
    method : str
        The method in words, including the deletion rule.
    notes : str, optional
        Warnings about the numbers, ``"; "``-separated (empty when there are none): items
        without variance, negative loadings or item–rest correlations (check the reverse
        keys), Heywood cases, omega undefined.
    """

    estimate: float
    ci_low: float
    ci_high: float
    confidence: float
    n_obs: int
    k_items: int
    std_alpha: float
    omega: float
    item_total: pd.DataFrame = field(hash=False, compare=False, repr=False)
    method: str
    notes: str = ""

    def to_frame(self) -> pd.DataFrame:
        """Return the result as one tidy row (without the per-item table).

        Returns
        -------
        pandas.DataFrame
            Columns ``estimate``, ``ci_low``, ``ci_high``, ``confidence``, ``n_obs``,
            ``k_items``, ``std_alpha``, ``omega``, ``method``, ``notes``.
        """
        return pd.DataFrame(
            {
                "estimate": [self.estimate],
                "ci_low": [self.ci_low],
                "ci_high": [self.ci_high],
                "confidence": [self.confidence],
                "n_obs": [self.n_obs],
                "k_items": [self.k_items],
                "std_alpha": [self.std_alpha],
                "omega": [self.omega],
                "method": [self.method],
                "notes": [self.notes],
            }
        )


class _Refusal(Exception):
    """Reliability cannot be estimated on these rows (raised to the public boundary)."""

    def __init__(self, message: str, *, n_obs: int, fix: str, column: str | None = None,
                 detail: str | None = None):
        super().__init__(message)
        self.message = message  # shown in tables (published): tells no small count
        self.detail = detail or message  # for the analyst's error message
        self.n_obs = n_obs
        self.fix = fix
        self.column = column


def _alpha_from_cov(cov: np.ndarray) -> float:
    """Raw Cronbach's alpha of a (k, k) covariance matrix: k/(k−1)·(1 − tr C / ΣC)."""
    k = cov.shape[0]
    if k < 2:
        return float("nan")
    total = cov.sum()
    if total <= 0:
        return float("nan")
    return float(k / (k - 1) * (1.0 - np.trace(cov) / total))


def _cov_to_cor(cov: np.ndarray) -> np.ndarray:
    """Correlation matrix from a covariance matrix (as R's ``cov2cor``); NaN for sd 0."""
    sd = np.sqrt(np.diag(cov))
    with np.errstate(divide="ignore", invalid="ignore"):
        cor = cov / np.outer(sd, sd)
    cor[~np.isfinite(cor)] = np.nan
    return cor


def _std_alpha(cor: np.ndarray) -> float:
    """Standardized alpha from the mean off-diagonal correlation (NaN if any is NaN)."""
    k = cor.shape[0]
    off = cor[~np.eye(k, dtype=bool)]
    if np.isnan(off).any():
        return float("nan")
    r_bar = off.mean()
    denom = 1.0 + (k - 1) * r_bar
    return float(k * r_bar / denom) if denom != 0 else float("nan")


def _item_total(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Corrected item-total r and alpha-if-dropped per item, from the covariance matrix.

    ``r_drop_i = (Σ_j C_ij − C_ii) / sqrt(C_ii · Σ C[-i, -i])``, as psych::alpha computes it.
    """
    k = cov.shape[0]
    r_drop = np.full(k, np.nan)
    alpha_drop = np.full(k, np.nan)
    for i in range(k):
        keep = np.arange(k) != i
        rest = cov[np.ix_(keep, keep)]
        denom = cov[i, i] * rest.sum()
        if denom > 0:
            r_drop[i] = (cov[i].sum() - cov[i, i]) / np.sqrt(denom)
        if k > 2:
            alpha_drop[i] = _alpha_from_cov(rest)
    return r_drop, alpha_drop


def _item_moments(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-column (n answered, mean, sd with ddof 1) of a code matrix with NaN; NaN if n < 2."""
    answered = ~np.isnan(codes)
    n = answered.sum(axis=0)
    filled = np.where(answered, codes, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = filled.sum(axis=0) / n
        dev = np.where(answered, codes - mean, 0.0)
        sd = np.sqrt((dev**2).sum(axis=0) / (n - 1))
    mean[n < 1] = np.nan
    sd[n < 2] = np.nan
    return n, mean, sd


def _feldt_ci(alpha: float, *, n_obs: int, k_items: int, confidence: float) -> tuple[float, float]:
    """Feldt, Woodruff & Salih (1987) interval: ``1 − (1 − α)·F`` quantiles."""
    df1 = n_obs - 1
    df2 = df1 * (k_items - 1)
    tail = (1.0 - confidence) / 2.0
    # the F quantile function itself (scipy.stats.f.ppf calls it; the same numbers without
    # the distribution machinery, and without importing scipy.stats, seconds at start-up)
    from scipy.special import fdtri

    low = 1.0 - (1.0 - alpha) * fdtri(df1, df2, 1.0 - tail)
    high = 1.0 - (1.0 - alpha) * fdtri(df1, df2, tail)
    return float(low), float(high)


# --------------------------------------------------------------------------- omega (minres)


@dataclass(frozen=True, slots=True)
class _MinresFit:
    """One-factor minres solution: loadings (psych's sign), fitted uniquenesses, status."""

    loadings: np.ndarray
    psi: np.ndarray
    status: int


def _psych_smc(cor: np.ndarray) -> np.ndarray:
    """Squared multiple correlations as ``psych::smc``: 1 − 1/diag(pinv(R)), clipped to [0, 1].

    The pseudo-inverse keeps singular values above ``sqrt(eps)`` times the largest, as
    psych's ``Pinv`` does, so a singular (e.g. pairwise) matrix still gives start values.
    """
    u, d, vt = np.linalg.svd(cor)
    keep = d > max(np.sqrt(_EPS) * d[0], 0.0)
    inv = (vt[keep].T / d[keep]) @ u[:, keep].T
    with np.errstate(divide="ignore", invalid="ignore"):
        smc = 1.0 - 1.0 / np.diag(inv)
    if np.isnan(smc).all():
        smc = np.ones_like(smc)
    return np.clip(smc, 0.0, 1.0)


@functools.cache
def _blas_threads() -> Any:
    """A threadpoolctl controller of the loaded BLAS libraries, or None without threadpoolctl.

    Created on first use, after scipy.optimize is imported (so that scipy's OpenBLAS is
    among the libraries it controls).
    """
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl comes with the scientific stack
        return None
    return ThreadpoolController()


_BLAS_LIMITED = threading.local()  # inside _one_blas_thread on this thread


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Run the tiny matrix work of a fit on one BLAS thread.

    OpenBLAS's threads make scipy's L-BFGS-B on a 17-item problem about 15 times slower
    (measured: 3.1 vs 0.19 ms of CPU per iteration), and worse on a busy machine; one
    thread changes no result. A table of many fits sets the limit once: inside it, the
    fits' own calls do nothing (setting and lifting it cost more than a small fit).
    """
    controller = _blas_threads()
    if controller is None or getattr(_BLAS_LIMITED, "on", False):
        yield
        return
    with controller.limit(limits=1, user_api="blas"):
        _BLAS_LIMITED.on = True
        try:
            yield
        finally:
            _BLAS_LIMITED.on = False


def _minres_one_factor(cor: np.ndarray) -> _MinresFit:
    """Fit one factor to a correlation matrix by minres exactly as ``psych::fa`` does.

    psych (``fac``, ``fm = "minres"``) minimizes the sum of squared off-diagonal
    residuals ``Σ_{i>j} (r_ij − λ_i λ_j)²`` over the uniquenesses ``ψ``: for given ``ψ``
    the loadings are the first principal axis of ``R`` with ``1 − ψ`` on its diagonal.
    It uses ``optim(method = "L-BFGS-B")`` from ``ψ = 1 − SMC`` within
    ``[0.005, max(SMC, 1)]``, ``parscale = 0.01``, R's defaults (``factr = 1e7``,
    ``lmm = 5``, ``maxit = 100``, ``pgtol = 0``) and as "gradient" the fixed-point
    residual ``λ_i² + ψ_i − 1`` (zero where the communalities reproduce themselves, the
    minres solution). scipy's L-BFGS-B with the same settings follows R's path, so the
    loadings agree with psych's to rounding, including where psych stops short of the
    exact optimum (about 1e-6 on typical data). Deterministic: no random start.
    """
    from scipy.optimize import minimize  # imported here: it costs seconds at start-up

    k = cor.shape[0]
    smc = _psych_smc(cor)
    upper = max(float(smc.max()), 1.0)
    start = 1.0 - smc
    lower_tri = np.tril_indices(k, -1)
    diag = np.diag_indices(k)

    def first_axis(psi: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
        s = cor.copy()
        s[diag] = 1.0 - psi
        values, vectors = np.linalg.eigh(s)
        return s, float(values[-1]), vectors[:, -1]

    def objective(z: np.ndarray) -> tuple[float, np.ndarray]:
        psi = z * _PSYCH_PARSCALE
        s, value, vector = first_axis(psi)
        lam = vector * np.sqrt(value if value >= _EPS else 100.0 * _EPS)  # fit.residuals
        resid = (s - np.outer(lam, lam))[lower_tri]
        lam_g = vector * np.sqrt(max(value, 0.0))  # FAgr.minres
        return float(resid @ resid), (lam_g**2 + psi - 1.0) * _PSYCH_PARSCALE

    with _one_blas_thread():
        res = minimize(
            objective,
            start / _PSYCH_PARSCALE,
            jac=True,
            method="L-BFGS-B",
            bounds=[(_PSYCH_LOWER / _PSYCH_PARSCALE, upper / _PSYCH_PARSCALE)] * k,
            options={
                "maxcor": _R_LMM,
                "ftol": _R_FACTR * _EPS,
                "gtol": 0.0,
                "maxiter": _R_MAXIT,
            },
        )
    psi = np.asarray(res.x, dtype=float) * _PSYCH_PARSCALE
    _, value, vector = first_axis(psi)  # FAout.wls
    loadings = vector * np.sqrt(max(value, 0.0))
    if loadings.sum() < 0:
        loadings = -loadings
    loadings[loadings == 0] = 1e-15  # as psych
    return _MinresFit(loadings=loadings, psi=psi, status=int(res.status))


def _omega_total(loadings: np.ndarray) -> float:
    """McDonald's omega total ``(Σλ)² / ((Σλ)² + Σ(1 − λ²))``; NaN if the denominator ≤ 0."""
    common = float(loadings.sum()) ** 2
    denom = common + float((1.0 - loadings**2).sum())
    return common / denom if denom > 0 else float("nan")


def _omega(cor: np.ndarray, items: tuple[str, ...]) -> tuple[float, np.ndarray, list[str]]:
    """Omega total, the loadings and notes for a correlation matrix (NaN where undefined)."""
    k = len(items)
    nan = np.full(k, np.nan)
    if k < 3:
        return (
            float("nan"),
            nan,
            ["omega needs at least three items (one factor on two items is not identified)"],
        )
    undefined = [items[i] for i in range(k) if np.isnan(cor[i]).any()]
    if undefined:
        return (
            float("nan"),
            nan,
            [
                f"omega undefined: the correlations of {', '.join(undefined)} are undefined "
                "(no variance among the respondents used)"
            ],
        )
    fit = _minres_one_factor(cor)
    lam = fit.loadings
    notes = []
    if fit.status == 1:
        notes.append("the minres fit stopped at psych's iteration limit (100)")
    heywood = [
        items[i] for i in range(k) if fit.psi[i] <= _PSYCH_LOWER * (1 + 1e-9) or lam[i] ** 2 >= 1.0
    ]
    if heywood:
        notes.append(
            f"Heywood case: item(s) {', '.join(heywood)} reach the uniqueness bound of psych::fa "
            "(loading near or above 1); the one-factor solution is improper, treat omega "
            "with caution"
        )
    negative = [items[i] for i in range(k) if lam[i] < 0]
    if negative:
        notes.append(
            f"item(s) {', '.join(negative)} load negatively on the common factor; omega counts "
            "them against the sum (check the reverse keys)"
        )
    omega = _omega_total(lam)
    if np.isnan(omega):
        notes.append("omega undefined: the loadings imply a negative total uniqueness")
    return omega, lam, notes


# --------------------------------------------------------------------------- estimation


def _usable_rows(codes: np.ndarray, nan_policy: NanPolicy) -> np.ndarray:
    """Boolean mask of the rows reliability uses under ``nan_policy``."""
    missing = np.isnan(codes)
    return ~missing.any(axis=1) if nan_policy == "listwise" else ~missing.all(axis=1)


def _estimate(
    codes: np.ndarray,
    items_t: tuple[str, ...],
    *,
    confidence: float,
    nan_policy: NanPolicy,
    min_obs: int,
    items: bool = True,
) -> ReliabilityResult:
    """Alpha, Feldt CI, standardized alpha, omega and the item table (``items``; else an
    empty one, for a caller that reads only the scale's numbers); or raise _Refusal."""
    codes = codes[_usable_rows(codes, nan_policy)]
    n_obs, k_items = codes.shape
    if n_obs < min_obs:
        rule = "answered every item" if nan_policy == "listwise" else "answered any item"
        # a table's refusal is published beside a suppressed count: it must not tell it
        raise _Refusal(
            f"fewer than {min_obs} respondents {rule}, too few for an estimate",
            detail=f"only {n_obs} respondent(s) {rule}; reliability needs at least {min_obs}",
            n_obs=n_obs,
            fix="use more respondents"
            + (", or nan_policy='pairwise'" if nan_policy == "listwise" else ""),
        )
    frame = pd.DataFrame(codes, columns=list(items_t))
    # pairwise-complete; without a missing answer pandas computes np.cov, done here directly
    cov = (frame.cov().to_numpy() if np.isnan(codes).any()
           else np.cov(codes, rowvar=False, ddof=1).reshape(k_items, k_items))
    if np.isnan(cov).any():
        i, j = np.argwhere(np.isnan(cov))[0]
        raise _Refusal(
            f"items {items_t[i]!r} and {items_t[j]!r} were answered together by fewer than "
            "two respondents, so their covariance is undefined",
            n_obs=n_obs,
            column=items_t[i],
            fix="use nan_policy='listwise' or drop one of the items",
        )
    if cov.sum() <= 0:
        raise _Refusal(
            "the total score of these items has no variance, so alpha is undefined",
            n_obs=n_obs,
            fix="check that the right item columns and reverse keys were given",
        )
    estimate = _alpha_from_cov(cov)
    ci_low, ci_high = _feldt_ci(estimate, n_obs=n_obs, k_items=k_items, confidence=confidence)
    r_drop, alpha_drop = _item_total(cov)
    # psych::fa on raw data correlates with use = "pairwise" (pandas' DataFrame.corr);
    # on complete rows that is the ordinary correlation matrix.
    cor = frame.corr().to_numpy(copy=True)
    cor[np.diag_indices(k_items)] = np.where(np.isnan(np.diag(cor)), np.nan, 1.0)
    omega, loadings, omega_notes = _omega(cor, items_t)
    if items:
        n_item, mean, sd = _item_moments(codes)
        item_total = pd.DataFrame(
            {
                "item": pd.array(list(items_t), dtype="str"),
                "r_drop": r_drop,
                "alpha_if_dropped": alpha_drop,
                "loading": loadings,
                "mean": mean,
                "sd": sd,
                "n_obs": n_item.astype("int64"),
            }
        )
    else:
        item_total = pd.DataFrame()
    notes = []
    flat = [items_t[i] for i in range(k_items) if cov[i, i] <= 0]
    if flat:
        notes.append(
            f"item(s) {', '.join(flat)} have no variance; standardized alpha and their "
            "r_drop are undefined"
        )
    negative = [items_t[i] for i in range(k_items) if r_drop[i] < 0]
    if negative:
        notes.append(
            f"item(s) {', '.join(negative)} correlate negatively with the other items; "
            "check the reverse keys"
        )
    notes += omega_notes
    for note in notes:
        logger.warning("reliability: %s", note)
    return ReliabilityResult(
        estimate=estimate,
        ci_low=ci_low,
        ci_high=ci_high,
        confidence=float(confidence),
        n_obs=int(n_obs),
        k_items=int(k_items),
        std_alpha=_std_alpha(_cov_to_cor(cov)),
        omega=omega,
        item_total=item_total,
        method=_method(nan_policy),
        notes="; ".join(notes),
    )


def _check_reliability_options(confidence: Any, nan_policy: Any) -> float:
    _check_choice(nan_policy, NanPolicy, name="nan_policy")
    return check_confidence(confidence)


def _check_min_obs(min_obs: Any) -> int:
    if isinstance(min_obs, bool) or not isinstance(min_obs, (int, np.integer)) or (
            min_obs < _MIN_OBS_TABLE):
        raise ConfigError(f"min_obs must be a whole number of at least {_MIN_OBS_TABLE}; "
                          f"got {min_obs!r}")
    return int(min_obs)


def reliability(
    data: pd.DataFrame,
    *,
    items: Sequence[str],
    reverse: Sequence[str] = (),
    minimum: int,
    maximum: int,
    confidence: float = 0.95,
    nan_policy: NanPolicy = "listwise",
) -> ReliabilityResult:
    """Estimate the internal consistency of a set of items (Cronbach's alpha and omega).

    Use it to check that a scale's items measure one thing before reporting its score:
    alpha with a Feldt confidence interval, standardized alpha, McDonald's omega total
    from a one-factor fit, and per item the corrected item-total correlation, the alpha
    if the item were dropped and its factor loading.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent, one column per item (integer codes or NA). Not modified.
    items : sequence of str
        The item columns (at least two; omega needs three).
    reverse : sequence of str, optional
        Items (among ``items``) recoded as ``minimum + maximum − x`` before the analysis.
    minimum, maximum : int
        Smallest and largest answer code.
    confidence : float, optional
        Level of the Feldt interval, strictly between 0 and 1 (default 0.95).
    nan_policy : {"listwise", "pairwise"}, optional
        ``"listwise"`` (default): use only respondents who answered every item.
        ``"pairwise"``: each covariance (and correlation) uses every respondent who
        answered both items.

    Returns
    -------
    ReliabilityResult
        ``estimate`` (raw alpha), ``ci_low``, ``ci_high``, ``confidence``, ``n_obs``,
        ``k_items``, ``std_alpha``, ``omega``, ``item_total`` (``item``, ``r_drop``,
        ``alpha_if_dropped``, ``loading``, ``mean``, ``sd``, ``n_obs``), ``method`` and
        ``notes``.

    Raises
    ------
    ConfigError
        For a bad option (``nan_policy``, ``confidence``, bounds, fewer than two items,
        duplicate or stray items).
    InputError
        If an item column is missing, not numeric or out of range; if fewer than two
        respondents remain; if two items were never answered together (pairwise); or if
        the total score has no variance.

    Notes
    -----
    *Alpha* is ``k/(k−1)·(1 − Σ var(item) / var(total))`` from the item covariance matrix
    (Cronbach 1951); it assumes essentially tau-equivalent items with uncorrelated errors
    and underestimates reliability otherwise. Standardized alpha uses the correlations
    derived from the same covariance matrix (R's ``cov2cor``); the corrected item-total
    correlation ``r_drop`` and ``alpha_if_dropped`` come from the same matrix too, so all
    these numbers match ``psych::alpha``. The interval is Feldt's F-based interval with
    ``n_obs − 1`` and ``(n_obs − 1)(k − 1)`` degrees of freedom (Feldt, Woodruff & Salih
    1987).

    *Omega total* (McDonald 1999) is ``ω = (Σλ)² / ((Σλ)² + Σ(1 − λ²))``: the share of
    the variance of the unit-weighted sum of the standardized, keyed items that one
    common factor explains, with ``λ`` the standardized loadings of a one-factor minres
    fit to the item correlation matrix, computed exactly as ``psych::fa(r, nfactors = 1,
    fm = "minres")`` does (same start, bounds and optimizer settings, so the loadings agree
    with psych's to rounding). It assumes a congeneric one-factor model: items may load
    unequally (unlike alpha) but share one factor, with uncorrelated errors; it uses the
    model-implied total variance ``(Σλ)² + Σ(1 − λ²)`` in the denominator, whereas
    ``psych::omega``'s ``omega.tot`` (after Revelle & Zinbarg 2009) divides by the observed
    variance of the sum of standardized items; the two differ by the sum of the
    off-diagonal residuals, little when one factor fits.
    *Heywood cases*: psych bounds each uniqueness below at 0.005, so a loading that would
    exceed 1 stops near ``√0.995`` — or, because the loadings are re-derived from that
    boundary, slightly above 1 (psych's "ultra-Heywood" case). The value is reported as
    the fit gives it and ``notes`` flags it: the one-factor solution is improper there
    (typically few respondents, or three items of which one dominates). At the bound the
    point where psych's optimizer stops depends on details of its L-BFGS-B version, so
    our loadings can differ from psych's in the third or fourth decimal (elsewhere they
    agree to rounding). *Negative loadings* are kept with their sign
    (the factor is oriented so that the loadings sum to a positive number): an item that
    runs against the others lowers ``(Σλ)²`` and so ``ω``, as it lowers the reliability
    of the score formed with the instrument's keys; ``psych::omega`` instead reverses
    such items by default (``flip = TRUE``). Omega needs at least three items.

    Missing data: listwise deletion drops every respondent with an unanswered item; all
    statistics use the complete rows. Pairwise deletion drops only respondents who
    answered no item; covariances use all pairs (as ``psych::alpha(use = "pairwise")``)
    and omega is fitted to the pairwise-complete correlation matrix (R's
    ``cor(x, use = "pairwise")``, which ``psych::fa`` uses on raw data). Its ``n_obs`` (the
    Feldt ``n``) counts respondents with at least one answer, which overstates the
    information when many answers are missing. ``psych::alpha`` counts all rows instead;
    the two agree when no respondent left every item unanswered.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16(3), 297–334.
    Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for
    coefficient alpha. *Applied Psychological Measurement*, 11(1), 93–103.
    McDonald, R. P. (1999). *Test theory: A unified treatment*. Mahwah, NJ: Erlbaum.
    Revelle, W., & Zinbarg, R. E. (2009). Coefficients alpha, beta, omega, and the glb:
    Comments on Sijtsma. *Psychometrika*, 74(1), 145–154.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research.scales import reliability
    >>> df = pd.DataFrame({"q1": [1, 2, 3, 4, 5, 2], "q2": [2, 2, 3, 5, 4, 1],
    ...                    "q3": [5, 4, 3, 1, 2, 4]}, dtype="Int64")
    >>> # In R: psych::alpha(df, keys = "q3", check.keys = FALSE)$total$raw_alpha
    >>> res = reliability(df, items=["q1", "q2", "q3"], reverse=["q3"], minimum=1, maximum=5)
    >>> round(res.estimate, 4), res.n_obs, res.k_items
    (0.9553, 6, 3)
    >>> df2 = pd.DataFrame({"q1": [1, 2, 3, 4, 5, 2, 4, 3], "q2": [2, 2, 3, 5, 4, 1, 4, 3],
    ...                     "q3": [5, 4, 3, 1, 2, 4, 2, 4], "q4": [2, 3, 3, 4, 4, 2, 5, 2]})
    >>> res = reliability(df2, items=["q1", "q2", "q3", "q4"], reverse=["q3"], minimum=1,
    ...                   maximum=5)
    >>> # In R: l <- psych::fa(cor(x), 1, fm = "minres")$loadings[, 1]  (x: df2, q3 reversed)
    >>> #       sum(l)^2 / (sum(l)^2 + sum(1 - l^2))
    >>> round(res.omega, 4), res.item_total["loading"].round(3).tolist()
    (0.9535, [0.907, 0.907, 0.981, 0.86])
    """
    confidence = _check_reliability_options(confidence, nan_policy)
    _check_bounds(minimum, maximum)
    items_t, reverse_t = _check_items(items, reverse)
    if len(items_t) < 2:
        raise ConfigError(f"reliability needs at least two items; got {len(items_t)}")
    codes = _item_matrix(data, items_t, reverse_t, minimum=minimum, maximum=maximum)
    try:
        return _estimate(codes, items_t, confidence=confidence, nan_policy=nan_policy, min_obs=2)
    except _Refusal as refusal:
        raise InputError(refusal.detail, column=refusal.column, fix=refusal.fix) from None


def scale_reliability(
    data: pd.DataFrame,
    instrument: Instrument,
    *,
    scale: str,
    confidence: float = 0.95,
    nan_policy: NanPolicy = "listwise",
) -> ReliabilityResult:
    """Estimate the reliability (alpha and omega) of one scale an instrument declares.

    Items, reverse keys and answer codes come from the instrument; see :func:`reliability`.

    Parameters
    ----------
    data : pandas.DataFrame
        Processed wave data with the scale's item columns. Not modified.
    instrument : Instrument
        The questionnaire definition.
    scale : str
        Name of the scale (a subscale or a composite).
    confidence : float, optional
        Level of the Feldt interval (default 0.95).
    nan_policy : {"listwise", "pairwise"}, optional
        Deletion rule for unanswered items (default ``"listwise"``).

    Returns
    -------
    ReliabilityResult

    Raises
    ------
    ConfigError
        For an unknown scale (the message lists the instrument's scales) or a bad option.
    InputError
        As :func:`reliability`.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import instruments, scales
    >>> merit = instruments.load_instrument("merit")
    >>> df = pd.DataFrame({"rtc_cr_1": [2, 5, 3, 6], "rtc_cr_2": [1, 5, 3, 6],
    ...                    "rtc_cr_3": [2, 6, 4, 5], "rtc_cr_4": [6, 2, 4, 1]}, dtype="Int64")
    >>> # In R: psych::alpha(df, keys = "rtc_cr_4", check.keys = FALSE)
    >>> res = scales.scale_reliability(df, merit, scale="resistance_cognitive_rigidity")
    >>> round(res.estimate, 3), res.k_items
    (0.981, 4)
    """
    if not isinstance(scale, str):
        raise ConfigError(f"scale must be the name of one scale; got {type(scale).__name__}")
    (sc,) = _select_scales(instrument, [scale])
    minimum, maximum = _scale_bounds(instrument, sc)
    return reliability(
        data,
        items=sc.items,
        reverse=sc.reverse,
        minimum=minimum,
        maximum=maximum,
        confidence=confidence,
        nan_policy=nan_policy,
    )


# --------------------------------------------------------------------------- tidy tables


def _groups(data: pd.DataFrame, by: tuple[str, ...]) -> tuple[pd.DataFrame, list[np.ndarray]]:
    """Return (one row of group keys per group, the row positions of each group).

    Groups are sorted by their keys; rows with a missing key form their own group (last),
    so no respondent silently drops out of a table. Without ``by``: one group, no keys.
    """
    if not by:
        return pd.DataFrame(index=range(1)), [np.arange(len(data))]
    number = data.groupby(list(by), sort=True, dropna=False, observed=True).ngroup()
    number = number.to_numpy()
    n_groups = int(number.max()) + 1 if len(number) else 0
    positions = [np.flatnonzero(number == g) for g in range(n_groups)]
    positions = [p for p in positions if len(p)]
    firsts = [int(p[0]) for p in positions]
    keys = data[list(by)].iloc[firsts].reset_index(drop=True)
    return keys, positions


def _check_by(data: pd.DataFrame, by: str | Sequence[str] | None) -> tuple[str, ...]:
    check_frame(data)
    by_t = as_tuple(by, name="by")
    check_columns(data, by_t, role="group column")
    dupes = sorted({b for b in by_t if by_t.count(b) > 1})
    if dupes:
        raise ConfigError(f"by must name each column once; repeated: {', '.join(map(repr, dupes))}")
    return by_t


def _with_keys(keys: pd.DataFrame, which: list[int], body: dict[str, Any]) -> pd.DataFrame:
    """Group-key columns (rows ``which`` of ``keys``) followed by the ``body`` columns."""
    left = keys.iloc[which].reset_index(drop=True)
    right = pd.DataFrame(body)
    if left.shape[1] == 0:
        return right
    overlap = [c for c in right.columns if c in left.columns]
    if overlap:
        raise ConfigError(
            f"by must not use the table's own column names: {', '.join(map(repr, overlap))}"
        )
    return pd.concat([left, right], axis=1)


def _str_column(values: list[str | None]) -> pd.api.extensions.ExtensionArray:
    return pd.array(values, dtype="str")


def _scale_results(
    data: pd.DataFrame,
    instrument: Instrument,
    *,
    scales: Sequence[str] | None,
    by: tuple[str, ...],
    confidence: float,
    nan_policy: NanPolicy,
    min_obs: int = _MIN_OBS_TABLE,
    items: bool = True,
) -> tuple[pd.DataFrame, list[tuple[int, Scale, ReliabilityResult | _Refusal]]]:
    """Validate once on all rows, then estimate every (group, scale); refusals kept
    (``items``: with each result's item table)."""
    chosen = _select_scales(instrument, scales)
    keys, positions = _groups(data, by)
    out: list[tuple[int, Scale, ReliabilityResult | _Refusal]] = []
    matrices = {}
    codes_of: dict[tuple[str, int, int], np.ndarray] = {}
    for sc in chosen:
        minimum, maximum = _scale_bounds(instrument, sc)
        matrices[sc.name] = _item_matrix(
            data, sc.items, sc.reverse, minimum=minimum, maximum=maximum, scale=sc.name,
            codes_of=codes_of,
        )
    with _one_blas_thread():  # once for all the fits of the table
        for g, pos in enumerate(positions):
            for sc in chosen:
                codes = matrices[sc.name][pos]
                if len(sc.items) < 2:
                    outcome: ReliabilityResult | _Refusal = _Refusal(
                        "reliability needs at least two items", n_obs=len(pos), fix=""
                    )
                else:
                    try:
                        outcome = _estimate(
                            codes,
                            sc.items,
                            confidence=confidence,
                            nan_policy=nan_policy,
                            min_obs=min_obs,
                            items=items,
                        )
                    except _Refusal as refusal:
                        outcome = refusal
                out.append((g, sc, outcome))
    return keys, out


def reliability_table(
    data: pd.DataFrame,
    instrument: Instrument,
    *,
    scales: Sequence[str] | None = None,
    by: str | Sequence[str] | None = None,
    confidence: float = 0.95,
    nan_policy: NanPolicy = "listwise",
    min_obs: int = 3,
) -> pd.DataFrame:
    """Tabulate alpha, its Feldt CI and omega for every scale, per group (e.g. per wave).

    Use it for a report's reliability table: one row per (group, scale). A group where
    reliability cannot be estimated (fewer than ``min_obs`` usable respondents, no
    variance in the total score, two items never answered together) gets a row with NaN
    numbers and a ``refused`` reason instead of an error, so one small or odd group never
    breaks a report.

    Parameters
    ----------
    data : pandas.DataFrame
        Processed wave data: one row per respondent with the scales' item columns (and
        the ``by`` columns). Not modified.
    instrument : Instrument
        The questionnaire definition; items, reverse keys and answer codes come from it.
    scales : sequence of str, optional
        Scales to include, in this order; default all, in instrument order.
    by : str or sequence of str, optional
        Grouping column(s), e.g. ``"wave"`` or ``["wave", "opd"]``; default one group.
    confidence : float, optional
        Level of the Feldt interval (default 0.95).
    nan_policy : {"listwise", "pairwise"}, optional
        Deletion rule for unanswered items (default ``"listwise"``); see
        :func:`reliability`.
    min_obs : int, optional
        Fewest usable respondents for an estimate (default 3, the least alpha's interval
        allows). A report passes its publication threshold (``min_cell``): a group too
        small to publish is refused, not estimated and then suppressed.

    Returns
    -------
    pandas.DataFrame
        One row per group and scale (groups sorted by key, a missing key last; scales in
        the given order), with columns:

        - the ``by`` columns (their dtypes kept);
        - ``scale`` (str);
        - ``n_obs`` (int): respondents used (also behind a refused row);
        - ``k_items`` (int);
        - ``estimate`` (float): Cronbach's alpha;
        - ``ci_low``, ``ci_high`` (float): Feldt interval; ``confidence`` (float);
        - ``omega`` (float): McDonald's omega total (one-factor minres, as psych::fa);
        - ``std_alpha`` (float): standardized alpha;
        - ``method`` (str);
        - ``notes`` (str, NA when none): warnings about the numbers, see
          :class:`ReliabilityResult`;
        - ``refused`` (str, NA when estimated): why the group has no estimate.

    Raises
    ------
    ConfigError
        For an unknown scale, a bad option, or a ``by`` column named like an output column.
    InputError
        If an item or ``by`` column is missing, or an item holds values that are not the
        instrument's answer codes (checked on all rows: a data error is not a refusal).

    Notes
    -----
    Each row is :func:`scale_reliability` on the group's rows; see :func:`reliability`
    for the methods, assumptions and the handling of unanswered items. The table carries
    ``n_obs`` so that the reporting layer can suppress small cells.

    References
    ----------
    Cronbach (1951); Feldt, Woodruff & Salih (1987); McDonald (1999); Revelle & Zinbarg
    (2009) — full references under :func:`reliability`.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import instruments, scales
    >>> merit = instruments.load_instrument("merit")
    >>> df = pd.DataFrame({"wave": ["2024-1"] * 8 + ["2024-2"] * 2,
    ...     "rtc_cr_1": [2, 3, 4, 2, 5, 4, 2, 6, 3, 4], "rtc_cr_2": [4, 3, 5, 2, 3, 2, 3, 5, 4, 4],
    ...     "rtc_cr_3": [3, 3, 4, 3, 4, 5, 3, 5, 2, 5], "rtc_cr_4": [4, 5, 3, 5, 2, 2, 4, 2, 5, 2]})
    >>> # In R, per wave: psych::alpha(x, keys = "rtc_cr_4")$feldt; psych::fa(x, fm = "minres")
    >>> t = scales.reliability_table(df, merit, scales=["resistance_cognitive_rigidity"],
    ...                              by="wave")
    >>> t[["wave", "n_obs", "estimate", "ci_low", "ci_high", "omega"]].round(3)
         wave  n_obs  estimate  ci_low  ci_high  omega
    0  2024-1      8     0.843   0.533    0.965  0.883
    1  2024-2      2       NaN     NaN      NaN    NaN
    >>> t.loc[1, "refused"]
    'fewer than 3 respondents answered every item, too few for an estimate'
    """
    confidence = _check_reliability_options(confidence, nan_policy)
    min_obs = _check_min_obs(min_obs)
    by_t = _check_by(data, by)
    keys, results = _scale_results(
        data,
        instrument,
        scales=scales,
        by=by_t,
        confidence=confidence,
        nan_policy=nan_policy,
        min_obs=min_obs,
        items=False,  # the table has no item columns
    )
    method = _method(nan_policy)
    cols: dict[str, list[Any]] = {
        c: []
        for c in (
            "scale",
            "n_obs",
            "k_items",
            "estimate",
            "ci_low",
            "ci_high",
            "confidence",
            "omega",
            "std_alpha",
            "method",
            "notes",
            "refused",
        )
    }
    which = []
    nan = float("nan")
    for g, sc, res in results:
        which.append(g)
        cols["scale"].append(sc.name)
        cols["k_items"].append(len(sc.items))
        cols["confidence"].append(confidence)
        cols["method"].append(method)
        if isinstance(res, _Refusal):
            cols["n_obs"].append(res.n_obs)
            for c in ("estimate", "ci_low", "ci_high", "omega", "std_alpha"):
                cols[c].append(nan)
            cols["notes"].append(None)
            cols["refused"].append(res.message)
        else:
            cols["n_obs"].append(res.n_obs)
            for c in ("estimate", "ci_low", "ci_high", "omega", "std_alpha"):
                cols[c].append(getattr(res, c))
            cols["notes"].append(res.notes or None)
            cols["refused"].append(None)
    body: dict[str, Any] = {
        "scale": _str_column(cols["scale"]),
        "n_obs": np.asarray(cols["n_obs"], dtype="int64"),
        "k_items": np.asarray(cols["k_items"], dtype="int64"),
    }
    for c in ("estimate", "ci_low", "ci_high", "confidence", "omega", "std_alpha"):
        body[c] = np.asarray(cols[c], dtype="float64")
    for c in ("method", "notes", "refused"):
        body[c] = _str_column(cols[c])
    return _with_keys(keys, which, body)


def item_table(
    data: pd.DataFrame,
    instrument: Instrument,
    *,
    scales: Sequence[str] | None = None,
    by: str | Sequence[str] | None = None,
    nan_policy: NanPolicy = "listwise",
    min_obs: int = 3,
) -> pd.DataFrame:
    """Tabulate the item statistics behind each scale's reliability, per group.

    The companion of :func:`reliability_table` for a report's item analysis: per
    (group, scale, item) the corrected item-total correlation, alpha if the item were
    dropped, the item's loading on the scale's one factor, and its mean and SD. A group
    whose reliability is refused gets rows with NaN statistics and the ``refused`` reason.

    Parameters
    ----------
    data : pandas.DataFrame
        Processed wave data with the scales' item columns (and the ``by`` columns).
        Not modified.
    instrument : Instrument
        The questionnaire definition.
    scales : sequence of str, optional
        Scales to include, in this order; default all, in instrument order. An item of
        several scales (a subscale and its composite) appears once per scale.
    by : str or sequence of str, optional
        Grouping column(s); default one group.
    nan_policy : {"listwise", "pairwise"}, optional
        Deletion rule for unanswered items (default ``"listwise"``).
    min_obs : int, optional
        Fewest usable respondents for statistics (default 3); see
        :func:`reliability_table`.

    Returns
    -------
    pandas.DataFrame
        One row per group, scale and item (items in scale order), with columns:

        - the ``by`` columns;
        - ``scale``, ``item`` (str); ``reverse`` (bool): the item is reverse-keyed;
        - ``n_obs`` (int): respondents behind the item's statistics (listwise: the
          complete rows; pairwise: those who answered the item; refused rows: the
          respondents the group has under the deletion rule);
        - ``mean``, ``sd`` (float): of the keyed item (after reverse-keying);
        - ``r_drop`` (float): corrected item-total (item–rest) correlation;
        - ``alpha_if_dropped`` (float): raw alpha of the scale without the item;
        - ``loading`` (float): standardized one-factor minres loading (as psych::fa);
        - ``refused`` (str, NA when estimated).

    Raises
    ------
    ConfigError
        As :func:`reliability_table`.
    InputError
        As :func:`reliability_table`.

    Notes
    -----
    The numbers are those of :class:`ReliabilityResult`'s ``item_total``; they match
    ``psych::alpha``'s ``item.stats`` (``r.drop``, ``mean``, ``sd``, ``n``) and
    ``alpha.drop`` and ``psych::fa(fm = "minres")``'s loadings. See :func:`reliability`
    for the methods and the handling of unanswered items.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import instruments, scales
    >>> merit = instruments.load_instrument("merit")
    >>> df = pd.DataFrame({"rtc_cr_1": [2, 3, 4, 2, 5, 4, 2, 6],
    ...                    "rtc_cr_2": [4, 3, 5, 2, 3, 2, 3, 5],
    ...                    "rtc_cr_3": [3, 3, 4, 3, 4, 5, 3, 5],
    ...                    "rtc_cr_4": [4, 5, 3, 5, 2, 2, 4, 2]})
    >>> # In R: psych::alpha(df, keys = "rtc_cr_4")$item.stats; psych::fa(x, fm = "minres")
    >>> t = scales.item_table(df, merit, scales=["resistance_cognitive_rigidity"])
    >>> t[["item", "reverse", "mean", "r_drop", "loading"]].round(3)
           item  reverse   mean  r_drop  loading
    0  rtc_cr_1    False  3.500   0.871    0.936
    1  rtc_cr_2    False  3.375   0.354    0.347
    2  rtc_cr_3    False  3.750   0.821    0.924
    3  rtc_cr_4     True  3.625   0.807    0.924
    """
    confidence = _check_reliability_options(0.95, nan_policy)
    min_obs = _check_min_obs(min_obs)
    by_t = _check_by(data, by)
    keys, results = _scale_results(
        data,
        instrument,
        scales=scales,
        by=by_t,
        confidence=confidence,
        nan_policy=nan_policy,
        min_obs=min_obs,
    )
    stats_cols = ("mean", "sd", "r_drop", "alpha_if_dropped", "loading")
    which: list[int] = []
    scale_col: list[str] = []
    item_col: list[str] = []
    reverse_col: list[bool] = []
    n_col: list[int] = []
    refused: list[str | None] = []
    stats: dict[str, list[float]] = {c: [] for c in stats_cols}
    for g, sc, res in results:
        k = len(sc.items)
        which += [g] * k
        scale_col += [sc.name] * k
        item_col += list(sc.items)
        reverse_col += [i in sc.reverse for i in sc.items]
        if isinstance(res, _Refusal):
            n_col += [res.n_obs] * k
            for c in stats_cols:
                stats[c] += [float("nan")] * k
            refused += [res.message] * k
        else:
            it = res.item_total
            n_col += it["n_obs"].tolist()
            for c in stats_cols:
                stats[c] += it[c].tolist()
            refused += [None] * k
    body: dict[str, Any] = {
        "scale": _str_column(scale_col),
        "item": _str_column(item_col),
        "reverse": np.asarray(reverse_col, dtype=bool),
        "n_obs": np.asarray(n_col, dtype="int64"),
    }
    for c in stats_cols:
        body[c] = np.asarray(stats[c], dtype="float64")
    body["refused"] = _str_column(refused)
    return _with_keys(keys, which, body)


def _distribution_items(
    instrument: Instrument, items: str | Sequence[str] | None, scale: str | None
) -> tuple[str, ...]:
    if (items is None) == (scale is None):
        raise ConfigError("give exactly one of items= (item columns) or scale= (a scale name)")
    if scale is not None:
        if not isinstance(scale, str):
            raise ConfigError(f"scale must be the name of one scale; got {type(scale).__name__}")
        (sc,) = _select_scales(instrument, [scale])
        return sc.items
    items_t = as_tuple(items, name="items")
    if not items_t:
        raise ConfigError("items must name at least one item column")
    dupes = sorted({i for i in items_t if items_t.count(i) > 1})
    if dupes:
        raise ConfigError(f"items must be unique; repeated: {', '.join(map(repr, dupes))}")
    coded = [
        f.name
        for f in instrument.fields
        if f.type == "select_one"
        and f.list_name is not None
        and all(isinstance(c.value, int) for c in instrument.choice_list(f.list_name).choices)
    ]
    bad = [i for i in items_t if i not in coded]
    if bad:
        shown = ", ".join(coded[:12]) + (" …" if len(coded) > 12 else "")
        raise ConfigError(
            f"items must be coded select_one questions of instrument {instrument.id!r}; "
            f"not such a question: {', '.join(map(repr, bad))} (e.g. {shown})"
        )
    return items_t


def _wilson(n: np.ndarray, total: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of n/total (NaN where total is 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = n / total
        denom = 1.0 + z**2 / total
        centre = (p + z**2 / (2.0 * total)) / denom
        half = z * np.sqrt(p * (1.0 - p) / total + z**2 / (4.0 * total**2)) / denom
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def item_distribution(
    data: pd.DataFrame,
    instrument: Instrument,
    *,
    items: str | Sequence[str] | None = None,
    scale: str | None = None,
    by: str | Sequence[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Tabulate how respondents answered items: count and share per answer code, per group.

    Use it for a report's answer-distribution tables and stacked bar charts. Every answer
    code of the item's choice list gets a row (also when nobody chose it), labelled in
    Indonesian and English from the instrument. Answers are the codes as given: reverse
    keys are *not* applied (the labels describe what respondents ticked).

    Parameters
    ----------
    data : pandas.DataFrame
        Processed wave data with the item columns (and the ``by`` columns). Not modified.
    instrument : Instrument
        The questionnaire definition; the choice lists give the codes and labels.
    items : str or sequence of str, optional
        Coded ``select_one`` questions of the instrument. Give this or ``scale``.
    scale : str, optional
        A scale of the instrument: tabulate its items (in scale order).
    by : str or sequence of str, optional
        Grouping column(s); default one group.
    confidence : float, optional
        Level of the Wilson interval of each share (default 0.95).

    Returns
    -------
    pandas.DataFrame
        One row per group, item and answer code (codes in choice-list order), with
        columns:

        - the ``by`` columns;
        - ``item`` (str); ``code`` (int); ``label_id``, ``label_en`` (str): the answer's
          labels;
        - ``n`` (int): respondents who gave this answer;
        - ``n_obs`` (int): respondents in the group who answered the item (the share's
          denominator);
        - ``share`` (float): ``n / n_obs``;
        - ``ci_low``, ``ci_high`` (float): Wilson score interval of the share;
          ``confidence`` (float);
        - ``n_unanswered`` (int): respondents in the group who left the item unanswered;
        - ``refused`` (str, NA when computed): set when nobody in the group answered.

    Raises
    ------
    ConfigError
        For giving both or neither of ``items`` and ``scale``, an unknown scale, an item
        that is not a coded question of the instrument, or a bad ``confidence``.
    InputError
        If an item or ``by`` column is missing, or an item holds a value that is not one
        of its answer codes.

    Notes
    -----
    Unanswered items are left out of the denominator (and counted in ``n_unanswered``).
    The Wilson interval (R's ``prop.test(n, n_obs, correct = FALSE)``) treats respondents
    as a simple random sample of the group; it stays inside [0, 1] and behaves well for
    shares near 0 or 1. For publication, suppress small cells with
    :func:`asn_research.privacy.suppress_small_cells` on ``n_obs`` (or ``n``).

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. *Journal of the American Statistical Association*, 22(158), 209–212.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import instruments, scales
    >>> skm = instruments.load_instrument("skm")
    >>> df = pd.DataFrame({"waktu": [4, 3, 3, pd.NA, 2]}, dtype="Int64")
    >>> t = scales.item_distribution(df, skm, items="waktu")
    >>> t[["code", "label_en", "n", "n_obs", "share", "n_unanswered"]]
       code       label_en  n  n_obs  share  n_unanswered
    0     1       Not fast  0      4   0.00             1
    1     2  Somewhat slow  1      4   0.25             1
    2     3           Fast  2      4   0.50             1
    3     4      Very fast  1      4   0.25             1
    """
    items_t = _distribution_items(instrument, items, scale)
    confidence = check_confidence(confidence)
    by_t = _check_by(data, by)
    check_columns(data, items_t, role="item column")
    lists = {i: instrument.choices_of(i) for i in items_t}
    codes = {}
    for item in items_t:
        cl = lists[item]
        values = _column_codes(data[item], column=item, minimum=cl.min_value, maximum=cl.max_value)
        allowed = np.asarray([int(c.value) for c in cl.choices], dtype=float)
        stray = ~np.isnan(values) & ~np.isin(values, allowed)
        if stray.any():
            first = int(np.flatnonzero(stray)[0])
            raise InputError(
                f"item {item!r} has {int(stray.sum())} value(s) that are not answer codes "
                f"of its choice list ({cl.describe()}), first at data row {first + 1}",
                row=first + 1,
                column=item,
                fix="item columns hold the instrument's answer codes or NA",
            )
        codes[item] = values
    z = NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)
    keys, positions = _groups(data, by_t)
    which: list[int] = []
    cols: dict[str, list[Any]] = {
        c: []
        for c in ("item", "code", "label_id", "label_en", "n", "n_obs", "n_unanswered", "refused")
    }
    for g, pos in enumerate(positions):
        for item in items_t:
            values = codes[item][pos]
            answered = values[~np.isnan(values)]
            n_obs = len(answered)
            choices = lists[item].choices
            which += [g] * len(choices)
            for c in choices:
                cols["item"].append(item)
                cols["code"].append(int(c.value))
                cols["label_id"].append(c.label_id)
                cols["label_en"].append(c.label_en)
                cols["n"].append(int((answered == int(c.value)).sum()))
                cols["n_obs"].append(n_obs)
                cols["n_unanswered"].append(len(values) - n_obs)
                cols["refused"].append(
                    None if n_obs else "no respondent in this group answered the item"
                )
    n = np.asarray(cols["n"], dtype="int64")
    n_obs_arr = np.asarray(cols["n_obs"], dtype="int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        share = n / n_obs_arr.astype(float)
    ci_low, ci_high = _wilson(n.astype(float), n_obs_arr.astype(float), z)
    body = {
        "item": _str_column(cols["item"]),
        "code": pd.array(cols["code"], dtype="Int64"),
        "label_id": _str_column(cols["label_id"]),
        "label_en": _str_column(cols["label_en"]),
        "n": n,
        "n_obs": n_obs_arr,
        "share": share,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "confidence": np.full(len(n), confidence),
        "n_unanswered": np.asarray(cols["n_unanswered"], dtype="int64"),
        "refused": _str_column(cols["refused"]),
    }
    return _with_keys(keys, which, body)
