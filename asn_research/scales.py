"""Scale scores and their reliability, driven by the instrument definitions.

An instrument (``surveys/instruments/<id>.yaml``) declares its scales: the items, the
reverse-keyed items, and how many items must be answered for a score. This module turns
the processed store's item columns (integer answer codes, ``NA`` when unanswered) into
one score per respondent and scale (:func:`score_instrument`, :func:`score_scale`) and
estimates internal consistency (:func:`reliability`, :func:`scale_reliability`).

Numbers happen in small pure functions (:func:`reverse_code`, ``_alpha_from_cov``,
``_item_total``, ``_feldt_ci``); the public functions validate their arguments and data
at the boundary and orchestrate.

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

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from .errors import ConfigError, InputError

if TYPE_CHECKING:
    from .instruments import Instrument, Scale

__all__ = [
    "NanPolicy",
    "ReliabilityResult",
    "ScoreMethod",
    "reliability",
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
    codes = values.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
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
) -> np.ndarray:
    """Return the (n, k) float64 matrix of reverse-keyed codes; NaN = unanswered."""
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
        codes = _column_codes(col, column=item, minimum=minimum, maximum=maximum)
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


@dataclass(frozen=True, slots=True)
class ReliabilityResult:
    """Internal consistency of a set of items (Cronbach's alpha with a Feldt interval).

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
    item_total : pandas.DataFrame
        One row per item (excluded from equality and hashing), with columns:

        - ``item`` (str): the item column;
        - ``r_drop`` (float): corrected item-total correlation, the item against the
          sum of the other (reverse-keyed) items;
        - ``alpha_if_dropped`` (float): raw alpha of the other items (NaN for two items).
    method : str
        The method in words, including the deletion rule.
    """

    estimate: float
    ci_low: float
    ci_high: float
    confidence: float
    n_obs: int
    k_items: int
    std_alpha: float
    item_total: pd.DataFrame = field(hash=False, compare=False, repr=False)
    method: str

    def to_frame(self) -> pd.DataFrame:
        """Return the result as one tidy row (without the per-item table).

        Returns
        -------
        pandas.DataFrame
            Columns ``estimate``, ``ci_low``, ``ci_high``, ``confidence``, ``n_obs``,
            ``k_items``, ``std_alpha``, ``method``.
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
                "method": [self.method],
            }
        )


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
    return float(k * r_bar / (1.0 + (k - 1) * r_bar))


def _item_total(cov: np.ndarray, items: Sequence[str]) -> pd.DataFrame:
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
    return pd.DataFrame(
        {
            "item": pd.array(list(items), dtype="str"),
            "r_drop": r_drop,
            "alpha_if_dropped": alpha_drop,
        }
    )


def _feldt_ci(alpha: float, *, n_obs: int, k_items: int, confidence: float) -> tuple[float, float]:
    """Feldt, Woodruff & Salih (1987) interval: ``1 − (1 − α)·F`` quantiles."""
    df1 = n_obs - 1
    df2 = df1 * (k_items - 1)
    tail = (1.0 - confidence) / 2.0
    from scipy import stats  # imported here: scipy.stats costs seconds at CLI start-up

    low = 1.0 - (1.0 - alpha) * stats.f.ppf(1.0 - tail, df1, df2)
    high = 1.0 - (1.0 - alpha) * stats.f.ppf(tail, df1, df2)
    return float(low), float(high)


def _pingouin_alpha(frame: pd.DataFrame, nan_policy: NanPolicy) -> float:
    """Cronbach's alpha from ``pingouin.cronbach_alpha`` (which returns a tuple)."""
    import pingouin  # imported lazily: it takes seconds to import

    alpha, _ci_rounded = pingouin.cronbach_alpha(data=frame, nan_policy=nan_policy)
    return float(alpha)


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
    """Estimate the internal consistency of a set of items (Cronbach's alpha).

    Use it to check that a scale's items measure one thing before reporting its score:
    alpha with a Feldt confidence interval, standardized alpha, and per item the
    corrected item-total correlation and the alpha if the item were dropped.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent, one column per item (integer codes or NA). Not modified.
    items : sequence of str
        The item columns (at least two).
    reverse : sequence of str, optional
        Items (among ``items``) recoded as ``minimum + maximum − x`` before the analysis.
    minimum, maximum : int
        Smallest and largest answer code.
    confidence : float, optional
        Level of the Feldt interval, strictly between 0 and 1 (default 0.95).
    nan_policy : {"listwise", "pairwise"}, optional
        ``"listwise"`` (default): use only respondents who answered every item.
        ``"pairwise"``: each covariance uses every respondent who answered both items.

    Returns
    -------
    ReliabilityResult
        ``estimate`` (raw alpha), ``ci_low``, ``ci_high``, ``confidence``, ``n_obs``,
        ``k_items``, ``std_alpha``, ``item_total`` (``item``, ``r_drop``,
        ``alpha_if_dropped``) and ``method``.

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
    Alpha is ``k/(k−1)·(1 − Σ var(item) / var(total))`` from the item covariance matrix
    (computed by ``pingouin.cronbach_alpha``); it assumes essentially tau-equivalent items
    with uncorrelated errors and underestimates reliability otherwise. Standardized alpha
    uses the correlations derived from the same covariance matrix (R's ``cov2cor``), the
    corrected item-total correlation ``r_drop`` and ``alpha_if_dropped`` come from the
    same matrix too, so all numbers match ``psych::alpha``. The interval is Feldt's
    F-based interval with ``n_obs − 1`` and ``(n_obs − 1)(k − 1)`` degrees of freedom.

    Missing data: listwise deletion drops every respondent with an unanswered item.
    Pairwise deletion drops only respondents who answered no item; its ``n_obs`` (the
    Feldt ``n``) counts respondents with at least one answer, which overstates the
    information when many answers are missing. ``psych::alpha`` counts all rows instead;
    the two agree when no respondent left every item unanswered.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16(3), 297–334.
    Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for
    coefficient alpha. *Applied Psychological Measurement*, 11(1), 93–103.

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
    """
    _check_choice(nan_policy, NanPolicy, name="nan_policy")
    if (
        isinstance(confidence, bool)
        or not isinstance(confidence, (int, float))
        or not 0.0 < confidence < 1.0
    ):
        raise ConfigError(
            f"confidence must be a number strictly between 0 and 1; got {confidence!r}"
        )
    _check_bounds(minimum, maximum)
    items_t, reverse_t = _check_items(items, reverse)
    if len(items_t) < 2:
        raise ConfigError(f"reliability needs at least two items; got {len(items_t)}")
    codes = _item_matrix(data, items_t, reverse_t, minimum=minimum, maximum=maximum)
    missing = np.isnan(codes)
    keep = ~missing.any(axis=1) if nan_policy == "listwise" else ~missing.all(axis=1)
    codes = codes[keep]
    n_obs, k_items = codes.shape
    if n_obs < 2:
        rule = "answered every item" if nan_policy == "listwise" else "answered any item"
        raise InputError(
            f"only {n_obs} respondent(s) {rule}; reliability needs at least two",
            fix="use more respondents"
            + (", or nan_policy='pairwise'" if nan_policy == "listwise" else ""),
        )
    frame = pd.DataFrame(codes, columns=list(items_t))
    cov = frame.cov().to_numpy()  # pairwise-complete; identical to listwise without NaN
    if np.isnan(cov).any():
        i, j = np.argwhere(np.isnan(cov))[0]
        raise InputError(
            f"items {items_t[i]!r} and {items_t[j]!r} were answered together by fewer than "
            "two respondents, so their covariance is undefined",
            column=items_t[i],
            fix="use nan_policy='listwise' or drop one of the items",
        )
    if cov.sum() <= 0:
        raise InputError(
            "the total score of these items has no variance, so alpha is undefined",
            fix="check that the right item columns and reverse keys were given",
        )
    estimate = _pingouin_alpha(frame, nan_policy)
    ci_low, ci_high = _feldt_ci(estimate, n_obs=n_obs, k_items=k_items, confidence=confidence)
    cor = _cov_to_cor(cov)
    item_total = _item_total(cov, items_t)
    flat = [items_t[i] for i in range(k_items) if cov[i, i] <= 0]
    if flat:
        logger.warning(
            "item(s) %s have no variance; standardized alpha and their r_drop are undefined",
            ", ".join(flat),
        )
    negative = item_total.loc[item_total["r_drop"] < 0, "item"].tolist()
    if negative:
        logger.warning(
            "item(s) %s correlate negatively with the other items; check the reverse keys",
            ", ".join(negative),
        )
    deletion = "listwise deletion" if nan_policy == "listwise" else "pairwise deletion"
    return ReliabilityResult(
        estimate=estimate,
        ci_low=ci_low,
        ci_high=ci_high,
        confidence=float(confidence),
        n_obs=int(n_obs),
        k_items=int(k_items),
        std_alpha=_std_alpha(cor),
        item_total=item_total,
        method=f"Cronbach's alpha with Feldt CI, {deletion} (pingouin.cronbach_alpha)",
    )


def scale_reliability(
    data: pd.DataFrame,
    instrument: Instrument,
    *,
    scale: str,
    confidence: float = 0.95,
    nan_policy: NanPolicy = "listwise",
) -> ReliabilityResult:
    """Estimate the reliability of one scale an instrument declares.

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
