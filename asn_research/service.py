"""Service quality (SKM/IKM): the official index, its uncertainty, trends and service changes.

The *Survei Kepuasan Masyarakat* (SKM) asks the users of a public-service unit nine
questions (the *unsur* of PermenPANRB No. 14 Tahun 2017), each answered 1 (worst) to 4
(best). This module turns the stored answers into the evidence a report needs:

* the official index per unit and period (:func:`ikm`): the element averages (NRR), the
  weighted index with the exact weight 1/J, the IKM on the 25–100 scale rounded half-up to
  two decimals, the quality grade A–D and the performance category with the regulation's
  bands, and whether the sample meets the Krejcie–Morgan size for the unit's population;
* the uncertainty the regulation leaves out: a confidence interval for every IKM
  (linearized ratio-of-means or respondent bootstrap), pairwise unit comparisons
  (:func:`compare_units`) and a ranking chart with intervals (:func:`plot_ikm_ranking`);
* element scores and the weakest elements per unit (:func:`element_scores`,
  :func:`weakest_elements`);
* trends (:func:`trend_test`: Mann–Kendall and Sen; :func:`ols_trend`: OLS with Newey–West
  SEs) and seasonality (:func:`seasonality`: month of year and Lebaran/Ramadan, with the
  Idul Fitri dates as data in :func:`holiday_calendar`);
* interrupted time series for a dated service change such as the launch of online permits
  (:func:`interrupted_time_series`, :func:`controlled_its`, :func:`plot_its`);
* the online-versus-walk-in gap within unit-months (:func:`channel_gap`);
* findings under the estimand ids of the catalogue (every frame carries ``estimand_id``;
  :func:`to_estimates` turns rows into :class:`~asn_research.results.Estimate` objects).

The SKM rules the code relies on are written out in ``docs/skm.md``. Numbers happen in
small private functions (``_ikm_groups``, ``_mann_kendall``, ``_ols_hac`` …); the public
functions validate their arguments at the boundary and orchestrate.

Examples
--------
>>> import pandas as pd
>>> from asn_research import service
>>> answers = {e: [4, 3, 3, 4] for e in service.ELEMENTS}
>>> df = pd.DataFrame({"service_unit": "u1", "wave": "2024-01", **answers})
>>> service.ikm(df)[["service_unit", "wave", "n_obs", "ikm", "grade", "performance"]]
  service_unit     wave  n_obs   ikm grade performance
0           u1  2024-01      4  87.5     B        baik
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from scipy import stats

from ._validation import as_tuple, check_choice, check_columns, check_confidence, check_frame
from .errors import ConfigError, InputError
from .results import Estimate

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "ELEMENTS",
    "GRADE_BANDS",
    "PERFORMANCE_LABELS",
    "CiMethod",
    "Holiday",
    "channel_gap",
    "classify_ikm",
    "compare_units",
    "controlled_its",
    "element_scores",
    "holiday_calendar",
    "ikm",
    "interrupted_time_series",
    "krejcie_morgan",
    "month_calendar",
    "ols_trend",
    "plot_ikm_ranking",
    "plot_its",
    "round_half_up",
    "seasonality",
    "to_estimates",
    "trend_test",
    "weakest_elements",
]

logger = logging.getLogger(__name__)

#: The nine SKM elements (unsur) of PermenPANRB 14/2017, by their stable field names.
ELEMENTS: tuple[str, ...] = (
    "persyaratan", "prosedur", "waktu", "biaya", "produk", "kompetensi", "perilaku",
    "pengaduan", "sarana",
)

#: Lower bounds of the IKM bands (25–100 scale, compared with the value rounded to two
#: decimals): (lower bound, quality grade, performance category code).
GRADE_BANDS: tuple[tuple[float, str, str], ...] = (
    (88.31, "A", "sangat_baik"),
    (76.61, "B", "baik"),
    (65.00, "C", "kurang_baik"),
    (25.00, "D", "tidak_baik"),
)

#: Labels of the performance categories (the regulation's Indonesian terms, and English).
PERFORMANCE_LABELS: dict[str, dict[str, str]] = {
    "sangat_baik": {"id": "Sangat Baik", "en": "Very good"},
    "baik": {"id": "Baik", "en": "Good"},
    "kurang_baik": {"id": "Kurang Baik", "en": "Less than good"},
    "tidak_baik": {"id": "Tidak Baik", "en": "Not good"},
}

CiMethod = Literal["linearization", "bootstrap"]
"""How :func:`ikm` computes its interval: linearized SE, or a respondent bootstrap."""

Holiday = Literal["lebaran", "ramadan"]
"""Holiday regressor: 1 in the Idul Fitri month, or the share of the month's days in Ramadan."""

Adjust = Literal["holm", "bonferroni", "none"]

# Idul Fitri (1 Syawal) and the first day of Ramadan as set by the Indonesian government
# (Kementerian Agama, sidang isbat). See docs/skm.md for the sources and Muhammadiyah's dates.
_HOLIDAY_ROWS: tuple[tuple[int, str, str], ...] = (
    (1444, "2023-03-23", "2023-04-22"),
    (1445, "2024-03-12", "2024-04-10"),
    (1446, "2025-03-01", "2025-03-31"),
    (1447, "2026-02-19", "2026-03-21"),
)

_MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_KM_CHI2, _KM_P, _KM_D = 3.841, 0.5, 0.05


# ============================================================================ small rules
def round_half_up(value: float, decimals: int = 2) -> float:
    """Round a number half-up (away from zero at .5) as the SKM reports do.

    Python's built-in ``round`` rounds half to even (``round(88.305, 2)`` may give 88.3);
    SKM reports round half-up on the decimal value, which this function does with
    :mod:`decimal` on the number's shortest decimal representation.

    Parameters
    ----------
    value : float
        The number (NaN stays NaN).
    decimals : int, optional
        Decimal places (default 2).

    Returns
    -------
    float

    Examples
    --------
    >>> from asn_research.service import round_half_up
    >>> round_half_up(0.125), round(0.125, 2), round_half_up(2.675), round(2.675, 2)
    (0.13, 0.12, 2.68, 2.67)
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    q = Decimal(1).scaleb(-int(decimals))
    return float(Decimal(repr(float(value))).quantize(q, rounding=ROUND_HALF_UP))


def _round_fraction(value: Fraction, decimals: int = 2) -> float:
    """Exact half-up rounding of a non-negative rational number."""
    scale = 10**decimals
    return float(Fraction(math.floor(value * scale + Fraction(1, 2)), scale))


def _grade_of(rounded: float) -> tuple[str | None, str | None]:
    if rounded is None or math.isnan(rounded):
        return None, None
    for lower, grade, perf in GRADE_BANDS:
        if rounded >= lower:
            return grade, perf
    return "D", "tidak_baik"


def classify_ikm(values: Any) -> pd.DataFrame:
    """Grade IKM values (25–100) with the bands of PermenPANRB 14/2017.

    Use it for values computed elsewhere (e.g. a published report); :func:`ikm` already
    grades its results. Each value is rounded half-up to two decimals, then classified by
    the lower bounds 88.31 (A, *Sangat Baik*), 76.61 (B, *Baik*), 65.00 (C, *Kurang
    Baik*), else D (*Tidak Baik*), which closes the small gaps of the published intervals.
    An element score (NRR, 1–4) is graded as ``classify_ikm(25 * nrr)``.

    Parameters
    ----------
    values : float or array-like of float
        IKM values on the 25–100 scale.

    Returns
    -------
    pandas.DataFrame
        ``value`` (as given), ``ikm`` (rounded half-up to 2 decimals), ``grade``
        ("A"–"D"), ``performance`` (``"sangat_baik"``, ``"baik"``, ``"kurang_baik"``,
        ``"tidak_baik"``; labels in :data:`PERFORMANCE_LABELS`).

    Raises
    ------
    InputError
        If a value lies outside 25–100.

    References
    ----------
    Peraturan Menteri PANRB No. 14 Tahun 2017 tentang Pedoman Penyusunan Survei Kepuasan
    Masyarakat Unit Penyelenggara Pelayanan Publik (conversion table).

    Examples
    --------
    >>> from asn_research.service import classify_ikm
    >>> classify_ikm([88.305, 88.2194, 76.6, 64.999])[["ikm", "grade"]]
         ikm grade
    0  88.31     A
    1  88.22     B
    2  76.60     C
    3  65.00     C
    """
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    finite = arr[~np.isnan(arr)]
    if finite.size and ((finite < 25 - 1e-9).any() or (finite > 100 + 1e-9).any()):
        raise InputError("IKM values must lie between 25 and 100",
                         fix="pass values on the 25-100 scale (multiply a 1-4 score by 25)")
    rounded = [round_half_up(float(v)) for v in arr]
    graded = [_grade_of(r) for r in rounded]
    return pd.DataFrame({
        "value": arr,
        "ikm": rounded,
        "grade": [g for g, _ in graded],
        "performance": [p for _, p in graded],
    })


def krejcie_morgan(population: int) -> int:
    """Minimum SKM sample for a unit with ``population`` service users in the period.

    The Krejcie & Morgan (1970) formula ``S = χ²·N·P(1−P) / (d²·(N−1) + χ²·P(1−P))``
    with χ² = 3.841, P = 0.5 and d = 0.05, rounded to the nearest integer as in their
    published table (N = 50 → 44.34 → 44; some applications round up instead).

    Parameters
    ----------
    population : int
        Number of service users in the survey period (N ≥ 1).

    Returns
    -------
    int

    Raises
    ------
    InputError
        If ``population`` is not a positive whole number.

    References
    ----------
    Krejcie, R. V., & Morgan, D. W. (1970). Determining sample size for research
    activities. *Educational and Psychological Measurement*, 30(3), 607–610.

    Examples
    --------
    >>> from asn_research.service import krejcie_morgan
    >>> [krejcie_morgan(n) for n in (10, 50, 100, 1000, 1_000_000)]
    [10, 44, 80, 278, 384]
    """
    if isinstance(population, bool) or not isinstance(population, (int, np.integer, float)) \
            or not float(population).is_integer() or population < 1:
        raise InputError(f"a population size must be a positive whole number; got {population!r}",
                         fix="give the number of service users in the survey period")
    n = Fraction(int(population))
    chi2, p, d = Fraction(str(_KM_CHI2)), Fraction(str(_KM_P)), Fraction(str(_KM_D))
    s = chi2 * n * p * (1 - p) / (d * d * (n - 1) + chi2 * p * (1 - p))
    return int(math.floor(s + Fraction(1, 2)))


# ============================================================================ validation
def _check_elements(elements: Any) -> tuple[str, ...]:
    if elements is None:
        return ELEMENTS
    els = as_tuple(elements, name="elements")
    if not els:
        raise ConfigError("elements must name at least one element column")
    if len(set(els)) != len(els):
        raise ConfigError(f"elements must not repeat a column; got {list(els)!r}")
    return els


def _check_int(value: Any, *, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(f"{name} must be a whole number >= {minimum}; got {value!r}")
    return int(value)


def _check_min_cell(min_cell: Any) -> int:
    return _check_int(min_cell, name="min_cell", minimum=0)


def _answer_matrix(data: pd.DataFrame, elements: Sequence[str]) -> np.ndarray:
    """Element answers as a float matrix (NaN = unanswered); codes must be 1–4."""
    out = np.empty((len(data), len(elements)), dtype=float)
    for j, e in enumerate(elements):
        s = data[e]
        if is_bool_dtype(s) or not is_numeric_dtype(s):
            raise InputError(f"the element {e!r} does not hold numeric answer codes",
                             column=e, fix="load the SKM wave from the store (answers as codes "
                             "1-4), or convert labels to codes before calling")
        v = s.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isnan(v) & ~np.isin(v, (1.0, 2.0, 3.0, 4.0))
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise InputError(f"{int(bad.sum())} answers are not codes 1-4 (first at row "
                             f"position {first} of the frame)", column=e,
                             fix="SKM answers are 1 (worst) to 4 (best); set unanswered ones "
                             "to NA")
        out[:, j] = v
    return out


def _group_codes(data: pd.DataFrame, by: Sequence[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer group codes (sorted by the key values) and the key frame, one row per group."""
    if not by:
        return np.zeros(len(data), dtype=np.int64), pd.DataFrame(index=range(1))
    for c in by:
        n_na = int(data[c].isna().sum())
        if n_na:
            raise InputError(f"{n_na} rows have no value in the grouping column", column=c,
                             fix="filter those rows out or fill the column before calling")
    codes, uniq = pd.MultiIndex.from_frame(data.loc[:, list(by)]).factorize(sort=True)
    keys = uniq.to_frame(index=False)
    keys.columns = list(by)
    return np.asarray(codes, dtype=np.int64), keys


def _key_tuples(keys: pd.DataFrame, by: Sequence[str]) -> list[tuple[Any, ...]]:
    """The key values of each group as plain Python tuples (fast, no per-row iloc)."""
    if not by:
        return [()] * len(keys)
    return list(zip(*[keys[c].tolist() for c in by], strict=True))


def _key_id(prefix: str, values: Sequence[Any]) -> str:
    return ".".join([prefix, *[str(v) for v in values]])


def _t_ci(est: np.ndarray, se: np.ndarray, df: np.ndarray, confidence: float
          ) -> tuple[np.ndarray, np.ndarray]:
    est, se, df = (np.asarray(a, dtype=float) for a in (est, se, df))
    with np.errstate(invalid="ignore"):
        q = stats.t.ppf(0.5 + confidence / 2, np.where(df > 0, df, np.nan))
    return est - q * se, est + q * se


def _t_p(stat: np.ndarray, df: np.ndarray) -> np.ndarray:
    stat, df = np.asarray(stat, dtype=float), np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        return 2.0 * stats.t.sf(np.abs(stat), np.where(df > 0, df, np.nan))


def _adjust_p(p: np.ndarray, method: str) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    if method == "none":
        out[ok] = p[ok]
    elif method == "bonferroni":
        out[ok] = np.minimum(1.0, p[ok] * m)
    else:  # Holm (1979) step-down
        idx = np.flatnonzero(ok)
        order = np.argsort(p[idx], kind="stable")
        adj = np.minimum(1.0, np.maximum.accumulate(p[idx][order] * (m - np.arange(m))))
        res = np.empty(m)
        res[order] = adj
        out[idx] = res
    return out


# ============================================================================ IKM core
class _Groups:
    """Per-group sums behind the NRR, the IKM and their linearization (pure numbers)."""

    def __init__(self, x: np.ndarray, codes: np.ndarray, n_groups: int) -> None:
        self.x = x
        self.codes = codes
        self.n_groups = n_groups
        answered = ~np.isnan(x)
        self.answered = answered
        xf = np.where(answered, x, 0.0)
        k = x.shape[1]
        self.sums = np.stack([np.bincount(codes, xf[:, j], n_groups) for j in range(k)], 1)
        self.counts = np.stack([np.bincount(codes, answered[:, j], n_groups)
                                for j in range(k)], 1).astype(np.int64)
        self.n_obs = np.bincount(codes, minlength=n_groups).astype(np.int64)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.nrr = self.sums / self.counts
        self.used = self.counts > 0
        self.k_used = self.used.sum(axis=1)
        # e_ij = r_ij (x_ij - NRR_gj) / n_gj: respondent i's contribution to NRR_j's error.
        cnt = self.counts[codes]
        with np.errstate(invalid="ignore", divide="ignore"):
            self.e = np.where(answered, (x - self.nrr[codes]) / cnt, 0.0)

    def var_of(self, z: np.ndarray) -> np.ndarray:
        """n/(n-1)·Σ(z - z̄)² per group and column (as survey's with-replacement design)."""
        z2 = z if z.ndim == 2 else z[:, None]
        g = self.n_groups
        tot = np.stack([np.bincount(self.codes, z2[:, j], g) for j in range(z2.shape[1])], 1)
        sq = np.stack([np.bincount(self.codes, z2[:, j] ** 2, g)
                       for j in range(z2.shape[1])], 1)
        n = self.n_obs[:, None].astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            ss = np.maximum(sq - tot**2 / n, 0.0)
            v = np.where(n > 1, n / (n - 1) * ss, np.nan)
        return v if z.ndim == 2 else v[:, 0]


def _weights(groups: _Groups, legacy_weight: float | None) -> np.ndarray:
    if legacy_weight is not None:
        return np.where(groups.k_used > 0, legacy_weight, np.nan)
    with np.errstate(divide="ignore"):
        return np.where(groups.k_used > 0, 1.0 / groups.k_used, np.nan)


def _exact_ikm(sums: np.ndarray, counts: np.ndarray, legacy_weight: float | None
               ) -> Fraction | None:
    """The IKM of one group as an exact rational number (answers are integers)."""
    nrr = [Fraction(int(round(s)), int(c)) for s, c in zip(sums, counts, strict=True) if c > 0]
    if not nrr:
        return None
    w = Fraction(Decimal(repr(legacy_weight))) if legacy_weight is not None \
        else Fraction(1, len(nrr))
    return 25 * w * sum(nrr, Fraction(0))


def _bootstrap_ikm(x: np.ndarray, legacy_weight: float | None, n_boot: int,
                   rng: np.random.Generator) -> np.ndarray:
    """IKM of ``n_boot`` respondent resamples of one group (rows kept whole)."""
    n = x.shape[0]
    answered = ~np.isnan(x)
    xf = np.where(answered, x, 0.0)
    idx = rng.integers(0, n, size=(n_boot, n))
    s = xf[idx].sum(axis=1)
    c = answered[idx].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        nrr = s / c
    used = c > 0
    if legacy_weight is not None:
        return 25 * legacy_weight * np.nansum(nrr, axis=1)
    return 25 * np.nansum(nrr, axis=1) / used.sum(axis=1)


def _population_of(population: Any, data: pd.DataFrame, codes: np.ndarray,
                   keys: pd.DataFrame, by: Sequence[str]) -> list[float]:
    g = len(keys)
    if population is None:
        return [math.nan] * g
    if isinstance(population, str):
        check_columns(data, [population], role="population column")
        col = pd.to_numeric(data[population], errors="coerce").to_numpy(dtype=float)
        out = []
        for k in range(g):
            vals = np.unique(col[codes == k])
            vals = vals[~np.isnan(vals)]
            if vals.size > 1:
                raise InputError("the population size varies within a unit and period",
                                 column=population,
                                 fix="give one number of service users per group")
            out.append(float(vals[0]) if vals.size else math.nan)
        return out
    if isinstance(population, Mapping):
        out = []
        for row in _key_tuples(keys, by):
            v = None
            if row and row in population:
                v = population[row]
            elif row and row[0] in population:
                v = population[row[0]]
            out.append(math.nan if v is None else float(v))
        return out
    raise ConfigError("population must be None, a column name, or a mapping from the first "
                      f"'by' value (or the tuple of 'by' values) to a number; got "
                      f"{type(population).__name__}")


def ikm(
    data: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = ("service_unit", "wave"),
    elements: Sequence[str] | None = None,
    population: str | Mapping[Any, int] | None = None,
    confidence: float = 0.95,
    ci: CiMethod = "linearization",
    n_boot: int = 999,
    seed: int | None = None,
    legacy_weight: float | None = None,
) -> pd.DataFrame:
    """The official SKM index (IKM) per unit and period, with a confidence interval.

    Use it for the table every SKM report has (one row per service unit and month,
    quarter or year, as the ``by`` columns define), and for rankings that show which
    differences between units are real. The IKM follows PermenPANRB 14/2017 exactly:
    per-element averages (NRR) over the respondents who answered that element, the
    weighted index Σ NRR_j / J with the exact weight 1/J (J = elements in use), × 25,
    rounded half-up to two decimals, then graded.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per SKM respondent, the element columns holding answer codes 1–4 (NA =
        unanswered), e.g. the stored ``skm`` waves.
    by : str or sequence of str, optional
        Grouping columns (default ``("service_unit", "wave")``); ``None`` or ``()`` for
        one index over all rows.
    elements : sequence of str, optional
        The element columns (default :data:`ELEMENTS`, all nine). Pass fewer when a
        unit's survey does not use an element (e.g. no fee). An element that nobody in a
        group answered is left out of that group's index, and J shrinks accordingly.
    population : str or mapping, optional
        Number of service users in the period, to check the Krejcie–Morgan sample size: a
        column (constant within each group), or a mapping from the first ``by`` value
        (e.g. the unit) or the tuple of ``by`` values to the number. Unknown → NA.
    confidence : float, optional
        Level of the interval (default 0.95).
    ci : {"linearization", "bootstrap"}, optional
        Interval method (default linearization, see Notes).
    n_boot : int, optional
        Bootstrap replicates per group when ``ci="bootstrap"`` (default 999).
    seed : int, optional
        Seed of the bootstrap (``numpy.random.default_rng(seed)``).
    legacy_weight : float, optional
        **Only to reproduce published reports**: the rounded weight they print (0.111 or
        0.11) instead of the exact 1/J. It lowers every IKM by ~0.1 % and can flip a
        grade at a band boundary. The method column says so.

    Returns
    -------
    pandas.DataFrame
        One row per group, sorted by the ``by`` columns:

        - the ``by`` columns;
        - ``estimand_id``: ``service.ikm.<by values joined by '.'>`` (with the default
          ``by``: ``service.ikm.<unit>.<YYYY-MM>``);
        - ``n_obs``: respondents with at least one element answered; ``k_elements``: J;
        - ``nrr_<element>``: the element averages (NaN for an element not in use);
        - ``weight``: the weight of each NRR (1/J, or ``legacy_weight``);
        - ``index_1_4``: the weighted index Σ weight·NRR_j (1–4 scale);
        - ``estimate``: the IKM, 25 × ``index_1_4``, unrounded (what the CI is about);
        - ``ikm``: the official value, rounded half-up to two decimals;
        - ``grade`` ("A"–"D") and ``performance`` (category code, labels in
          :data:`PERFORMANCE_LABELS`), from ``ikm``;
        - ``se``, ``ci_low``, ``ci_high``, ``df``, ``confidence``: the interval of
          ``estimate`` (``se`` is the bootstrap SD with ``ci="bootstrap"``);
        - ``grade_ci_low``, ``grade_ci_high``: grades of the interval's ends (equal when
          the data pin the grade down);
        - ``population``, ``required_n`` (Krejcie–Morgan), ``meets_sample_size``
          (``n_obs >= required_n``; NA when the population is unknown);
        - ``method``.

    Raises
    ------
    InputError
        If an element column holds anything but codes 1–4 or NA, or a grouping column
        has missing values.
    ConfigError
        For an unknown ``ci`` method, a bad ``confidence``, ``n_boot`` or
        ``legacy_weight``.

    Notes
    -----
    *Estimator.* The IKM of a group is a smooth function of ratio means,
    25·w·Σ_j (Σ_i x_ij / n_j). Its linearized (influence) value for respondent *i* is
    z_i = 25·w·Σ_j r_ij (x_ij − NRR_j) / n_j (r_ij = 1 if *i* answered *j*), so one
    respondent's nine answers enter together and their correlation (a satisfied citizen
    rates everything high) is respected. The variance is n/(n − 1)·Σ_i z_i², the
    with-replacement design variance of R's ``survey`` package for
    ``svydesign(ids = ~1)`` and a ratio/contrast of totals; with complete answers it is
    the familiar s²/n of the respondents' mean scores.

    *Quantile.* The interval uses Student's t with n − 1 degrees of freedom (the
    ``survey`` design df), not the normal quantile: unit-month samples are small (often
    15–40), and with complete answers the interval is then exactly the classical t
    interval for the mean respondent score. It is not clipped to 25–100.

    *Bootstrap.* ``ci="bootstrap"`` resamples respondents (whole rows) within each group
    and reports percentile bounds.

    *What the interval is about.* Sampling error only: it treats the month's
    respondents as a random sample of the unit's users. Who answers an SKM is rarely
    random (often the satisfied, or whoever the desk hands a form to); no interval can
    correct that.

    *Missing data.* Each element's NRR uses the respondents who answered it (the
    regulation's per-element denominators); respondents who answered none are dropped.

    References
    ----------
    Peraturan Menteri PANRB No. 14 Tahun 2017 tentang Pedoman Penyusunan Survei Kepuasan
    Masyarakat Unit Penyelenggara Pelayanan Publik.
    Krejcie, R. V., & Morgan, D. W. (1970). Determining sample size for research
    activities. *Educational and Psychological Measurement*, 30(3), 607–610.
    Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley (ratio
    estimation and linearization).

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import service
    >>> answers = {e: [4, 3, 4, 4, 3] for e in service.ELEMENTS}
    >>> df = pd.DataFrame({"service_unit": "u1", "wave": "2024-01", **answers})
    >>> out = service.ikm(df, population={"u1": 5})  # In R: svycontrast(svytotal(...))
    >>> out[["ikm", "grade", "ci_low", "ci_high", "required_n", "meets_sample_size"]].round(2)
        ikm grade  ci_low  ci_high  required_n  meets_sample_size
    0  90.0     A    73.0    107.0           5               True
    """
    check_frame(data)
    by_t = as_tuple(by, name="by")
    els = _check_elements(elements)
    check_columns(data, (*by_t, *els))
    confidence = check_confidence(confidence)
    check_choice(ci, CiMethod, name="ci")
    n_boot = _check_int(n_boot, name="n_boot", minimum=50)
    if legacy_weight is not None and (isinstance(legacy_weight, bool)
                                      or not isinstance(legacy_weight, (int, float))
                                      or not 0 < float(legacy_weight) <= 1):
        raise ConfigError("legacy_weight must be None (the exact 1/J) or a number in (0, 1], "
                          f"e.g. 0.111; got {legacy_weight!r}")
    legacy = None if legacy_weight is None else float(legacy_weight)

    x_all = _answer_matrix(data, els)
    keep = ~np.isnan(x_all).all(axis=1)
    sub = data.loc[keep] if not keep.all() else data
    x = x_all[keep]
    codes, keys = _group_codes(sub, by_t)
    if len(x) == 0:
        raise InputError("no respondent answered any of the elements",
                         column=els[0], fix="check that the element columns hold the answers")
    g = _Groups(x, codes, len(keys))
    w = _weights(g, legacy)
    index = w * np.nansum(np.where(g.used, g.nrr, 0.0), axis=1)
    estimate = 25.0 * index
    z = 25.0 * w[codes] * g.e.sum(axis=1)
    df = (g.n_obs - 1).astype(float)
    if ci == "linearization":
        se = np.sqrt(g.var_of(z))
        lo, hi = _t_ci(estimate, se, df, confidence)
    else:
        rng = np.random.default_rng(seed)
        se, lo, hi = (np.full(len(keys), np.nan) for _ in range(3))
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(keys) + 1))
        a = (1 - confidence) / 2
        for k in range(len(keys)):
            rows = order[bounds[k]:bounds[k + 1]]
            if rows.size < 2:
                continue
            reps = _bootstrap_ikm(x[rows], legacy, n_boot, rng)
            se[k] = float(np.std(reps, ddof=1))
            lo[k], hi[k] = np.quantile(reps, [a, 1 - a])

    pops = _population_of(population, sub, codes, keys, by_t)
    key_rows = _key_tuples(keys, by_t)
    rows_out = []
    for k in range(len(keys)):
        exact = _exact_ikm(g.sums[k], g.counts[k], legacy)
        rounded = math.nan if exact is None else _round_fraction(exact)
        grade, perf = _grade_of(rounded)
        glo = _grade_of(round_half_up(float(np.clip(lo[k], 25, 100))))[0] \
            if np.isfinite(lo[k]) else None
        ghi = _grade_of(round_half_up(float(np.clip(hi[k], 25, 100))))[0] \
            if np.isfinite(hi[k]) else None
        pop = pops[k]
        req = krejcie_morgan(int(pop)) if np.isfinite(pop) and pop >= 1 else None
        row: dict[str, Any] = dict(zip(by_t, key_rows[k], strict=True))
        row["estimand_id"] = _key_id("service.ikm", key_rows[k])
        row["n_obs"] = int(g.n_obs[k])
        row["k_elements"] = int(g.k_used[k])
        for j, e in enumerate(els):
            row[f"nrr_{e}"] = float(g.nrr[k, j]) if g.used[k, j] else math.nan
        row.update({
            "weight": float(w[k]), "index_1_4": float(index[k]), "estimate": float(estimate[k]),
            "ikm": rounded, "grade": grade, "performance": perf,
            "se": float(se[k]), "ci_low": float(lo[k]), "ci_high": float(hi[k]),
            "df": float(df[k]), "confidence": confidence,
            "grade_ci_low": glo, "grade_ci_high": ghi,
            "population": pop, "required_n": req,
            "meets_sample_size": (None if req is None else bool(g.n_obs[k] >= req)),
        })
        rows_out.append(row)
    out = pd.DataFrame(rows_out)
    out["required_n"] = out["required_n"].astype("Int64")
    out["meets_sample_size"] = out["meets_sample_size"].astype("boolean")
    weight_txt = (f"LEGACY weight {legacy:g} per element (reproduces published reports only; "
                  "the regulation's weight is exactly 1/J)" if legacy is not None
                  else "weight exactly 1/J")
    ci_txt = ("linearized ratio-of-means SE (respondent influence values, as "
              "survey::svycontrast on svytotal), t(n-1) interval"
              if ci == "linearization" else
              f"respondent bootstrap ({n_boot} resamples, percentile interval, seed {seed})")
    out["method"] = (f"IKM per PermenPANRB 14/2017: per-element NRR over respondents answering "
                     f"it, {weight_txt}, x25, rounded half-up to 2 decimals; CI: {ci_txt}")
    logger.debug("ikm: %d groups from %d respondents", len(out), int(g.n_obs.sum()))
    return out


# ============================================================================ elements
def element_scores(
    data: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = ("service_unit",),
    elements: Sequence[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Average score (NRR) of each SKM element per group, with a confidence interval.

    Use it to show a unit's profile over the nine elements (e.g. over all months of a
    year); :func:`weakest_elements` adds the test of which ones lie below the unit's
    average.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent, element answers 1–4 (NA = unanswered).
    by : str or sequence of str, optional
        Grouping columns (default ``("service_unit",)``: all periods pooled).
    elements : sequence of str, optional
        Element columns (default all nine).
    confidence : float, optional
        Interval level (default 0.95).

    Returns
    -------
    pandas.DataFrame
        One row per group and element: the ``by`` columns, ``element``,
        ``estimand_id`` (``service.nrr.<by values>.<element>``), ``n_obs`` (respondents
        who answered the element), ``estimate`` (NRR, 1–4), ``se``, ``ci_low``,
        ``ci_high``, ``df`` (respondents in the group − 1), ``confidence``, ``ikm_scale``
        (25 × NRR rounded half-up to 2 decimals), ``grade`` (its band, A–D), ``method``.

    Raises
    ------
    InputError
        If answers are not codes 1–4, or a grouping column has missing values.

    Notes
    -----
    The SE is the ratio-mean linearization of :func:`ikm` for one element (R:
    ``survey::svyratio`` with ``svydesign(ids = ~1)``); with complete answers it equals
    sd/√n. Elements nobody in a group answered are left out.

    References
    ----------
    Peraturan Menteri PANRB No. 14 Tahun 2017 (NRR per unsur and the conversion table).

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import service
    >>> df = pd.DataFrame({"service_unit": "u1", "waktu": [2, 3, 3, 4], "biaya": [4, 4, 4, 3]})
    >>> service.element_scores(df, elements=["waktu", "biaya"])[["element", "estimate", "grade"]]
      element  estimate grade
    0   waktu      3.00     C
    1   biaya      3.75     A
    """
    check_frame(data)
    by_t = as_tuple(by, name="by")
    els = _check_elements(elements)
    check_columns(data, (*by_t, *els))
    confidence = check_confidence(confidence)
    x_all = _answer_matrix(data, els)
    keep = ~np.isnan(x_all).all(axis=1)
    sub = data.loc[keep] if not keep.all() else data
    x = x_all[keep]
    codes, keys = _group_codes(sub, by_t)
    g = _Groups(x, codes, len(keys))
    se = np.sqrt(g.var_of(g.e))
    df = np.repeat((g.n_obs - 1).astype(float)[:, None], len(els), axis=1)
    lo, hi = _t_ci(g.nrr, se, df, confidence)
    key_rows = _key_tuples(keys, by_t)
    rows = []
    for k in range(len(keys)):
        kv = list(key_rows[k])
        for j, e in enumerate(els):
            if not g.used[k, j]:
                continue
            scaled = _round_fraction(25 * Fraction(int(round(g.sums[k, j])),
                                                   int(g.counts[k, j])))
            row = dict(zip(by_t, kv, strict=True))
            row.update({
                "element": e, "estimand_id": _key_id("service.nrr", [*kv, e]),
                "n_obs": int(g.counts[k, j]), "estimate": float(g.nrr[k, j]),
                "se": float(se[k, j]), "ci_low": float(lo[k, j]), "ci_high": float(hi[k, j]),
                "df": float(df[k, j]), "confidence": confidence, "ikm_scale": scaled,
                "grade": _grade_of(scaled)[0],
            })
            rows.append(row)
    out = pd.DataFrame(rows)
    out["method"] = ("element mean (NRR) over respondents answering it; linearized ratio-mean "
                     "SE (as survey::svyratio), t(n-1) interval")
    return out


def weakest_elements(
    data: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = ("service_unit",),
    elements: Sequence[str] | None = None,
    confidence: float = 0.95,
    adjust: Adjust = "holm",
    min_cell: int = 10,
) -> pd.DataFrame:
    """Which elements to fix first: each element's NRR against the unit's own average.

    Ranks the elements of every unit from the lowest NRR up and tests, for each, whether
    it lies below the unit's mean element score (the IKM on the 1–4 scale). The
    comparison is within the same respondents, so it is much sharper than comparing two
    separate intervals.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent, element answers 1–4.
    by : str or sequence of str, optional
        The unit (and optionally period) columns (default ``("service_unit",)``).
    elements : sequence of str, optional
        Element columns (default all nine).
    confidence : float, optional
        Interval level; ``1 − confidence`` is also the significance level of the flag.
    adjust : {"holm", "bonferroni", "none"}, optional
        Multiple-comparison correction over a unit's elements (default Holm).
    min_cell : int, optional
        Units with fewer respondents are left out of the correction and of the flag
        (``in_correction`` False), as they are too small to publish (default 10).

    Returns
    -------
    pandas.DataFrame
        One row per group and element, sorted by group and ``rank``: the ``by`` columns,
        ``element``, ``rank`` (1 = lowest NRR), ``n_obs`` (respondents answering it),
        ``nrr`` with ``nrr_ci_low``/``nrr_ci_high``, ``estimate`` (NRR − the unit's mean
        element score; negative = below average), ``se``, ``ci_low``, ``ci_high``,
        ``statistic`` (t), ``df``, ``p_value``, ``p_adjusted``, ``in_correction``,
        ``significantly_below`` (adjusted p below 1 − confidence and a negative
        estimate), ``confidence``, ``method``.

    Raises
    ------
    InputError
        If answers are not codes 1–4.
    ConfigError
        For an unknown ``adjust`` or a bad ``min_cell``.

    Notes
    -----
    The difference d_j = NRR_j − (1/J)·Σ_k NRR_k is linear in the element means; its
    respondent influence value is e_ij − (1/J)·Σ_k e_ik with e_ij = r_ij(x_ij −
    NRR_j)/n_j, and its variance n/(n − 1)·Σ_i(...)² (the linearization of :func:`ikm`;
    R: ``survey::svycontrast``). t with n − 1 df. The family for the correction is one
    unit's J elements.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    *Scandinavian Journal of Statistics*, 6(2), 65–70.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import service
    >>> df = pd.DataFrame({"service_unit": "u1", "waktu": [2, 2, 3, 2, 3, 2] * 3,
    ...                    "biaya": [4, 4, 3, 4, 4, 4] * 3, "sarana": [3, 3, 3, 4, 3, 3] * 3})
    >>> out = service.weakest_elements(df, elements=["waktu", "biaya", "sarana"])
    >>> out[["element", "rank", "significantly_below"]]
      element  rank  significantly_below
    0   waktu     1                 True
    1  sarana     2                False
    2   biaya     3                False
    """
    check_frame(data)
    by_t = as_tuple(by, name="by")
    els = _check_elements(elements)
    check_columns(data, (*by_t, *els))
    confidence = check_confidence(confidence)
    check_choice(adjust, Adjust, name="adjust")
    min_cell = _check_min_cell(min_cell)
    x_all = _answer_matrix(data, els)
    keep = ~np.isnan(x_all).all(axis=1)
    sub = data.loc[keep] if not keep.all() else data
    x = x_all[keep]
    codes, keys = _group_codes(sub, by_t)
    g = _Groups(x, codes, len(keys))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_e = g.e.sum(axis=1) / g.k_used[codes]
    infl = g.e - mean_e[:, None]
    se_d = np.sqrt(g.var_of(infl))
    se_nrr = np.sqrt(g.var_of(g.e))
    mean_nrr = np.nansum(np.where(g.used, g.nrr, 0.0), axis=1) / g.k_used
    d = g.nrr - mean_nrr[:, None]
    df = np.repeat((g.n_obs - 1).astype(float)[:, None], len(els), axis=1)
    lo, hi = _t_ci(d, se_d, df, confidence)
    nlo, nhi = _t_ci(g.nrr, se_nrr, df, confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        tstat = d / se_d
    p = _t_p(tstat, df)
    alpha = 1 - confidence
    key_rows = _key_tuples(keys, by_t)
    rows = []
    for k in range(len(keys)):
        kv = list(key_rows[k])
        used = np.flatnonzero(g.used[k])
        in_corr = bool(g.n_obs[k] >= min_cell)
        padj = _adjust_p(p[k, used], adjust) if in_corr else np.full(used.size, np.nan)
        order = used[np.lexsort((used, g.nrr[k, used]))]
        rank = {j: r + 1 for r, j in enumerate(order)}
        for pos, j in enumerate(used):
            row = dict(zip(by_t, kv, strict=True))
            row.update({
                "element": els[j], "rank": rank[j], "n_obs": int(g.counts[k, j]),
                "nrr": float(g.nrr[k, j]), "nrr_ci_low": float(nlo[k, j]),
                "nrr_ci_high": float(nhi[k, j]), "estimate": float(d[k, j]),
                "se": float(se_d[k, j]), "ci_low": float(lo[k, j]), "ci_high": float(hi[k, j]),
                "statistic": float(tstat[k, j]), "df": float(df[k, j]),
                "p_value": float(p[k, j]), "p_adjusted": float(padj[pos]),
                "in_correction": in_corr,
                "significantly_below": bool(in_corr and padj[pos] < alpha and d[k, j] < 0),
                "confidence": confidence,
            })
            rows.append(row)
    out = pd.DataFrame(rows).sort_values([*by_t, "rank"], kind="stable").reset_index(drop=True)
    out["method"] = (f"element NRR minus the unit's mean element score; linearized SE on the same "
                     f"respondents (as survey::svycontrast), t(n-1); {adjust} correction over the "
                     f"unit's elements; units with n < {min_cell} not flagged")
    return out


def compare_units(
    ikm_frame: pd.DataFrame,
    *,
    by: str = "service_unit",
    adjust: Adjust = "holm",
    min_cell: int = 10,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Pairwise IKM differences between units: which gaps in a ranking are real.

    Takes the output of :func:`ikm` for **one** period (or pooled over periods: one row
    per unit) and tests every pair of units.

    Parameters
    ----------
    ikm_frame : pandas.DataFrame
        A result of :func:`ikm` (needs ``estimate``, ``se``, ``df``, ``n_obs`` and the
        ``by`` column), one row per unit.
    by : str, optional
        The unit column (default ``"service_unit"``).
    adjust : {"holm", "bonferroni", "none"}, optional
        Correction over all pairs of publishable units (default Holm).
    min_cell : int, optional
        Units with fewer respondents are left out of the correction (default 10).
    confidence : float, optional
        Interval level (default 0.95).

    Returns
    -------
    pandas.DataFrame
        One row per pair (``unit_a`` has the higher IKM): ``unit_a``, ``unit_b``,
        ``estimate`` (IKM a − IKM b), ``se``, ``ci_low``, ``ci_high``, ``df``
        (Welch–Satterthwaite), ``p_value``, ``p_adjusted``, ``in_correction``,
        ``n_obs`` (respondents of both), ``confidence``, ``method``.

    Raises
    ------
    InputError
        If a unit appears in more than one row or a needed column is missing.

    Notes
    -----
    Units are independent samples, so se = √(se_a² + se_b²), with Welch–Satterthwaite
    degrees of freedom from the two design df.

    References
    ----------
    Welch, B. L. (1947). The generalization of "Student's" problem when several different
    population variances are involved. *Biometrika*, 34(1–2), 28–35.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import service
    >>> tab = pd.DataFrame({"service_unit": ["a", "b"], "estimate": [85.0, 80.0],
    ...                     "se": [1.0, 1.5], "df": [29.0, 24.0], "n_obs": [30, 25]})
    >>> service.compare_units(tab)[["unit_a", "unit_b", "estimate"]]
      unit_a unit_b  estimate
    0      a      b       5.0
    """
    check_frame(ikm_frame, name="ikm_frame")
    if not isinstance(by, str):
        raise ConfigError(f"by must be one column name; got {by!r}")
    check_columns(ikm_frame, [by, "estimate", "se", "df", "n_obs"])
    check_choice(adjust, Adjust, name="adjust")
    min_cell = _check_min_cell(min_cell)
    confidence = check_confidence(confidence)
    if ikm_frame[by].duplicated().any():
        raise InputError("a unit appears in more than one row", column=by,
                         fix="filter the ikm() result to one period (or compute it by unit "
                         "only) before comparing units")
    tab = ikm_frame.sort_values("estimate", ascending=False, kind="stable").reset_index(drop=True)
    rows = []
    for i in range(len(tab)):
        for j in range(i + 1, len(tab)):
            a, b = tab.iloc[i], tab.iloc[j]
            va, vb = float(a["se"]) ** 2, float(b["se"]) ** 2
            se = math.sqrt(va + vb)
            with np.errstate(invalid="ignore", divide="ignore"):
                dfw = (va + vb) ** 2 / (va**2 / float(a["df"]) + vb**2 / float(b["df"])) \
                    if va + vb > 0 else math.nan
            rows.append({
                "unit_a": a[by], "unit_b": b[by],
                "estimate": float(a["estimate"]) - float(b["estimate"]), "se": se, "df": dfw,
                "n_obs": int(a["n_obs"]) + int(b["n_obs"]),
                "in_correction": bool(a["n_obs"] >= min_cell and b["n_obs"] >= min_cell),
            })
    out = pd.DataFrame(rows, columns=["unit_a", "unit_b", "estimate", "se", "df", "n_obs",
                                      "in_correction"])
    if out.empty:
        return out.assign(ci_low=[], ci_high=[], p_value=[], p_adjusted=[], confidence=[],
                          method=[])
    lo, hi = _t_ci(out["estimate"], out["se"], out["df"], confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = _t_p(out["estimate"] / out["se"], out["df"])
    padj = np.full(len(out), np.nan)
    m = out["in_correction"].to_numpy()
    padj[m] = _adjust_p(p[m], adjust)
    out = out.assign(ci_low=lo, ci_high=hi, p_value=p, p_adjusted=padj, confidence=confidence)
    out["method"] = (f"difference of independent IKMs, Welch-Satterthwaite t; {adjust} correction "
                     f"over pairs of units with n >= {min_cell}")
    return out[["unit_a", "unit_b", "estimate", "se", "ci_low", "ci_high", "df", "p_value",
                "p_adjusted", "in_correction", "n_obs", "confidence", "method"]]


# ============================================================================ calendar
def holiday_calendar() -> pd.DataFrame:
    """The Idul Fitri (Lebaran) and Ramadan dates the seasonal analyses use.

    A documented table, not a computation: 1 Ramadan and 1 Syawal as set by the
    Indonesian government (Kementerian Agama, *sidang isbat*) for 1444–1447 H. To extend
    it (another year, or Muhammadiyah's dates), append rows to this frame and pass it as
    ``calendar=`` to :func:`month_calendar`, :func:`seasonality`, :func:`ols_trend` or
    :func:`interrupted_time_series`.

    Returns
    -------
    pandas.DataFrame
        ``hijri_year``, ``ramadan_start`` and ``idul_fitri`` (datetime64), and
        ``lebaran_month`` ("YYYY-MM").

    References
    ----------
    Kementerian Agama RI, sidang isbat decisions on 1 Ramadan and 1 Syawal 1444–1447 H
    (see ``docs/skm.md`` for the dates and their differences with Muhammadiyah's).

    Examples
    --------
    >>> from asn_research.service import holiday_calendar
    >>> holiday_calendar()[["hijri_year", "lebaran_month"]]
       hijri_year lebaran_month
    0        1444       2023-04
    1        1445       2024-04
    2        1446       2025-03
    3        1447       2026-03
    """
    cal = pd.DataFrame(_HOLIDAY_ROWS, columns=["hijri_year", "ramadan_start", "idul_fitri"])
    cal["ramadan_start"] = pd.to_datetime(cal["ramadan_start"])
    cal["idul_fitri"] = pd.to_datetime(cal["idul_fitri"])
    cal["lebaran_month"] = cal["idul_fitri"].dt.strftime("%Y-%m")
    return cal


def _check_calendar(calendar: pd.DataFrame | None) -> pd.DataFrame:
    if calendar is None:
        return holiday_calendar()
    check_frame(calendar, name="calendar")
    check_columns(calendar, ["ramadan_start", "idul_fitri"], role="calendar column")
    cal = calendar.copy()
    cal["ramadan_start"] = pd.to_datetime(cal["ramadan_start"])
    cal["idul_fitri"] = pd.to_datetime(cal["idul_fitri"])
    return cal


def month_calendar(months: Sequence[str] | pd.Series, *,
                   calendar: pd.DataFrame | None = None) -> pd.DataFrame:
    """Month of year, Lebaran month and Ramadan share for SKM months ("YYYY-MM").

    Parameters
    ----------
    months : sequence of str
        Month ids ``"YYYY-MM"``.
    calendar : pandas.DataFrame, optional
        Holiday table with ``ramadan_start`` and ``idul_fitri`` (default
        :func:`holiday_calendar`).

    Returns
    -------
    pandas.DataFrame
        One row per given month (same order): ``month``, ``period`` (consecutive month
        number, year × 12 + month − 1), ``month_of_year`` (1–12), ``lebaran`` (1 in the
        month of Idul Fitri, else 0), ``ramadan_share`` (share of the month's days in
        Ramadan, 0–1).

    Raises
    ------
    InputError
        If a month is not ``"YYYY-MM"``, or its year has no Idul Fitri in the calendar.

    Examples
    --------
    >>> from asn_research.service import month_calendar
    >>> month_calendar(["2025-02", "2025-03", "2026-02"])
         month  period  month_of_year  lebaran  ramadan_share
    0  2025-02   24301              2        0       0.000000
    1  2025-03   24302              3        1       0.967742
    2  2026-02   24313              2        0       0.357143
    """
    cal = _check_calendar(calendar)
    ser = pd.Series(list(months) if not isinstance(months, pd.Series) else months.tolist())
    codes = _month_codes(ser, name="months")
    years = set(cal["idul_fitri"].dt.year.tolist())
    lebaran = set(cal["idul_fitri"].dt.strftime("%Y-%m").tolist())
    rows = []
    for m, code in zip(ser.tolist(), codes.tolist(), strict=True):
        y, mo = int(m[:4]), int(m[5:7])
        if y not in years:
            raise InputError(f"the holiday calendar has no Idul Fitri in {y}", column="calendar",
                             fix="append that year's ramadan_start and idul_fitri to "
                             "service.holiday_calendar() and pass it as calendar=")
        first = pd.Timestamp(year=y, month=mo, day=1)
        last = first + pd.offsets.MonthEnd(0)
        days = 0
        for rs, idf in zip(cal["ramadan_start"], cal["idul_fitri"], strict=True):
            a, b = max(first, rs), min(last, idf - pd.Timedelta(days=1))
            days += max(0, (b - a).days + 1)
        rows.append({"month": m, "period": int(code), "month_of_year": mo,
                     "lebaran": int(m in lebaran), "ramadan_share": days / last.day})
    return pd.DataFrame(rows, columns=["month", "period", "month_of_year", "lebaran",
                                       "ramadan_share"])


def _month_codes(values: pd.Series, *, name: str) -> np.ndarray:
    out = np.empty(len(values), dtype=np.int64)
    for i, v in enumerate(values.tolist()):
        m = _MONTH_RE.match(str(v)) if v is not None else None
        if m is None:
            raise InputError(f"{v!r} is not a month id 'YYYY-MM'", column=name,
                             fix="pass SKM months such as '2024-03', or a numeric period "
                             "(e.g. from asn_research.waves.wave_index)")
        out[i] = int(m.group(1)) * 12 + int(m.group(2)) - 1
    return out


def _period_codes(values: pd.Series, *, name: str) -> tuple[np.ndarray, bool]:
    """Numeric period codes of a time column and whether it holds month ids."""
    if is_bool_dtype(values):
        raise InputError("the time column holds booleans", column=name,
                         fix="pass a numeric period or month ids 'YYYY-MM'")
    if is_numeric_dtype(values):
        v = values.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        if np.isnan(v).any():
            raise InputError("the time column has missing values", column=name,
                             fix="drop rows without a period")
        return v, False
    return _month_codes(values, name=name).astype(float), True


def _start_code(start: Any, monthly: bool, *, name: str = "start") -> float:
    if monthly:
        if not isinstance(start, str) or not _MONTH_RE.match(start):
            raise ConfigError(f"{name} must be a month id 'YYYY-MM' when time holds months; "
                              f"got {start!r}")
        return float(int(start[:4]) * 12 + int(start[5:7]) - 1)
    if isinstance(start, bool) or not isinstance(start, (int, float, np.integer, np.floating)):
        raise ConfigError(f"{name} must be a number (a period of the time column); got "
                          f"{start!r}")
    return float(start)


def _label_period(code: float, monthly: bool) -> Any:
    if monthly:
        c = int(code)
        return f"{c // 12}-{c % 12 + 1:02d}"
    return code


def _seasonal_design(codes: np.ndarray, holiday: str, calendar: pd.DataFrame | None
                     ) -> tuple[np.ndarray, list[str]]:
    """Centered month-of-year dummies (February … December) and the holiday regressor."""
    labels = [f"{int(c) // 12}-{int(c) % 12 + 1:02d}" for c in codes]
    cal = month_calendar(labels, calendar=calendar)
    moy = cal["month_of_year"].to_numpy()
    cols, names = [], []
    for m in range(2, 13):
        cols.append((moy == m).astype(float))
        names.append(f"month_{m:02d}")
    cols.append(cal["lebaran" if holiday == "lebaran" else "ramadan_share"].to_numpy(float))
    names.append(holiday)
    mat = np.column_stack(cols)
    return mat - mat.mean(axis=0), names


# ============================================================================ series
def _series(data: pd.DataFrame, *, value: str, time: str, by: tuple[str, ...]
            ) -> tuple[list[tuple[tuple[Any, ...], np.ndarray, np.ndarray, int]], bool]:
    """Split into per-group series sorted by time; NaN values dropped (and counted)."""
    check_frame(data)
    check_columns(data, (value, time, *by))
    y_s = data[value]
    if is_bool_dtype(y_s) or not is_numeric_dtype(y_s):
        raise InputError("the value column is not numeric", column=value,
                         fix="pass a numeric column, e.g. 'estimate' of service.ikm()")
    y = y_s.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    t, monthly = _period_codes(data[time], name=time)
    codes, keys = _group_codes(data, by)
    key_rows = _key_tuples(keys, by)
    out = []
    for k in range(len(keys)):
        m = codes == k
        tk, yk = t[m], y[m]
        order = np.argsort(tk, kind="stable")
        tk, yk = tk[order], yk[order]
        if np.any(np.diff(tk) == 0):
            key = key_rows[k]
            raise InputError(f"the series {'.'.join(map(str, key)) or '(all rows)'} has more "
                             "than one row for a period", column=time,
                             fix="aggregate to one value per period first, e.g. "
                             "service.ikm(data, by=(unit, period))")
        ok = ~np.isnan(yk)
        key = key_rows[k]
        out.append((key, tk[ok], yk[ok], int((~ok).sum())))
    return out, monthly


def _mann_kendall(t: np.ndarray, y: np.ndarray, confidence: float) -> dict[str, float]:
    """Mann–Kendall S, tie-corrected var(S), τ-b, continuity-corrected z, Sen's slope + CI."""
    n = y.size
    i, j = np.triu_indices(n, 1)
    dy = y[j] - y[i]
    s = float(np.sign(dy).sum())
    _, counts = np.unique(y, return_counts=True)
    ties = counts[counts > 1].astype(float)
    var_s = (n * (n - 1) * (2 * n + 5) - float(np.sum(ties * (ties - 1) * (2 * ties + 5)))) / 18
    n0 = n * (n - 1) / 2
    n1 = float(np.sum(ties * (ties - 1) / 2))
    tau = s / math.sqrt(n0 * (n0 - n1)) if n0 > n1 else math.nan
    if var_s > 0:
        z = (s - np.sign(s)) / math.sqrt(var_s)
        p = float(2 * stats.norm.sf(abs(z)))
    else:
        z, p = math.nan, math.nan
    slopes = np.sort(dy / (t[j] - t[i]))
    b = float(np.median(slopes))
    k = slopes.size
    c = stats.norm.ppf(0.5 + confidence / 2) * math.sqrt(max(var_s, 0.0))
    r_lo = int(np.round((k - c) / 2))       # R's round(): half to even, like numpy's
    r_up = int(np.round((k + c) / 2 + 1))
    lo = float(slopes[r_lo - 1]) if 1 <= r_lo <= k else math.nan
    hi = float(slopes[r_up - 1]) if 1 <= r_up <= k else math.nan
    return {"s": s, "var_s": float(var_s), "tau": tau, "z": float(z), "p_value": p,
            "estimate": b, "ci_low": lo, "ci_high": hi,
            "intercept": float(np.median(y - b * t)), "tied_share": n1 / n0 if n0 else math.nan}


def trend_test(
    data: pd.DataFrame,
    *,
    value: str,
    time: str,
    by: str | Sequence[str] | None = None,
    confidence: float = 0.95,
    min_obs: int = 10,
    max_tied_share: float = 0.5,
) -> pd.DataFrame:
    """Mann–Kendall trend test and Sen's slope per series, refusing series it cannot test.

    Use it for "is the unit's IKM going up or down?" without assuming a linear model or
    normal errors. A series too short or too tied to test gets a ``refused`` reason
    instead of a misleading "no trend".

    Parameters
    ----------
    data : pandas.DataFrame
        One row per period (and group), e.g. the output of :func:`ikm`.
    value : str
        The series' values (e.g. ``"estimate"``); missing values are dropped and counted.
    time : str
        The period: numeric (e.g. a month number from ``asn_research.waves.wave_index``)
        or month ids ``"YYYY-MM"``. One row per period and group.
    by : str or sequence of str, optional
        One series per group (e.g. ``"service_unit"``).
    confidence : float, optional
        Level of Sen's interval (default 0.95).
    min_obs : int, optional
        Fewer observed periods → refused (default 10: the normal approximation of S is
        poor below that).
    max_tied_share : float, optional
        More tied pairs than this share → refused (default 0.5; all values equal is
        always refused).

    Returns
    -------
    pandas.DataFrame
        One row per series: the ``by`` columns; ``estimand_id``
        (``service.trend.<group>``); ``n_obs``; ``n_missing``;
        ``s`` (Mann–Kendall S); ``var_s`` (its variance, tie-corrected); ``tau``
        (Kendall's τ-b of value against time, as R's ``Kendall::MannKendall`` and
        ``cor(method = "kendall")``); ``z`` ((S − sign S)/√var S, continuity-corrected);
        ``p_value`` (two-sided, 2·P(Z > |z|)); ``estimate`` (Sen's slope per unit of
        time); ``se`` (NaN: the interval is rank-based); ``ci_low``, ``ci_high`` (Sen's
        interval with the rank convention of R's ``trend::sens.slope``); ``intercept``
        (median of value − slope·time, time as coded); ``confidence``; ``refused``
        (reason, or NA); ``method``.

    Raises
    ------
    InputError
        If a group has two rows for one period, or ``value`` is not numeric.
    ConfigError
        For bad ``min_obs``, ``max_tied_share`` or ``confidence``.

    Notes
    -----
    S = Σ_{i<j} sign(y_j − y_i) over time-ordered values; var S = [n(n−1)(2n+5) −
    Σ t(t−1)(2t+5)]/18 with t the sizes of tied groups. Sen's slope is the median of the
    pairwise slopes (y_j − y_i)/(t_j − t_i); its interval takes the sorted slopes at
    ranks round((N − C)/2) and round((N + C)/2 + 1), C = z_{1−α/2}·√var S, N = number of
    slopes (as ``trend::sens.slope``, which uses positions; with consecutive periods
    they are the same). The test assumes independent observations: positively
    autocorrelated monthly series make it anti-conservative (a long run of above-average
    months looks like a trend). pymannkendall's ``original_test`` reports τ-a and
    computes p as 2·(1 − cdf); the values here are τ-b and ``norm.sf``.

    References
    ----------
    Mann, H. B. (1945). Nonparametric tests against trend. *Econometrica*, 13, 245–259.
    Kendall, M. G. (1975). *Rank Correlation Methods* (4th ed.). Griffin.
    Sen, P. K. (1968). Estimates of the regression coefficient based on Kendall's tau.
    *Journal of the American Statistical Association*, 63, 1379–1389.
    Gilbert, R. O. (1987). *Statistical Methods for Environmental Pollution Monitoring*.
    Van Nostrand Reinhold.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import service
    >>> s = pd.DataFrame({"t": range(12), "y": [80, 81, 80.5, 82, 83, 82.5, 84, 85, 84, 86,
    ...                                        87, 86.5]})
    >>> out = service.trend_test(s, value="y", time="t")  # In R: trend::sens.slope(s$y)
    >>> out[["n_obs", "s", "tau", "estimate", "ci_low", "ci_high"]].round(3)
       n_obs     s   tau  estimate  ci_low  ci_high
    0     12  57.0  0.87     0.667     0.5     0.75
    >>> service.trend_test(s.head(5), value="y", time="t")["refused"].iloc[0]
    'too short: 5 observed periods (at least 10 needed)'
    """
    by_t = as_tuple(by, name="by")
    confidence = check_confidence(confidence)
    min_obs = _check_int(min_obs, name="min_obs", minimum=3)
    if isinstance(max_tied_share, bool) or not isinstance(max_tied_share, (int, float)) \
            or not 0 <= max_tied_share < 1:
        raise ConfigError(f"max_tied_share must be a number in [0, 1); got {max_tied_share!r}")
    series, _monthly = _series(data, value=value, time=time, by=by_t)
    rows = []
    nan_cols = ("s", "var_s", "tau", "z", "p_value", "estimate", "ci_low", "ci_high",
                "intercept")
    for key, t, y, n_miss in series:
        row: dict[str, Any] = dict(zip(by_t, key, strict=True))
        row["estimand_id"] = _key_id("service.trend", key)
        row["n_obs"] = int(y.size)
        row["n_missing"] = n_miss
        refused = None
        if y.size < min_obs:
            refused = f"too short: {y.size} observed periods (at least {min_obs} needed)"
            res = dict.fromkeys(nan_cols, math.nan)
        else:
            res = _mann_kendall(t, y, confidence)
            if res["var_s"] <= 0 or np.unique(y).size == 1:
                refused = "too tied: every value is the same"
            elif res["tied_share"] > max_tied_share:
                refused = (f"too tied: {100 * res['tied_share']:.0f}% of the pairs of periods "
                           f"have equal values (at most {100 * max_tied_share:.0f}% allowed)")
            if refused:
                res = dict.fromkeys(nan_cols, math.nan) | {"s": res["s"], "var_s": res["var_s"]}
        for c in nan_cols:
            row[c] = res[c]
        row["se"] = math.nan
        row["confidence"] = confidence
        row["refused"] = refused
        rows.append(row)
    cols = [*by_t, "estimand_id", "n_obs", "n_missing", "s", "var_s", "tau", "z", "p_value",
            "estimate", "se", "ci_low", "ci_high", "intercept", "confidence", "refused"]
    out = pd.DataFrame(rows, columns=cols)
    out["method"] = ("Mann-Kendall test (tie-corrected variance, continuity-corrected z, normal "
                     "p), Kendall tau-b; Sen's slope with the rank interval of trend::sens.slope")
    return out


# ============================================================================ regressions
def _ols_hac(y: np.ndarray, x: np.ndarray, lags: int, small_sample: bool = False
             ) -> tuple[np.ndarray, np.ndarray, int, float]:
    """OLS with Newey–West covariance (Bartlett, ``lags``; n/(n−k) factor if small_sample).

    Returns the coefficients, their covariance, the residual df and the lag-1
    autocorrelation of the residuals (a diagnostic of whether HAC SEs are needed).
    """
    from statsmodels.regression.linear_model import OLS

    fit = OLS(y, x).fit(cov_type="HAC",
                        cov_kwds={"maxlags": lags, "use_correction": bool(small_sample)})
    r = np.asarray(fit.resid)
    acf1 = float(np.sum(r[1:] * r[:-1]) / np.sum(r * r)) if r.size > 2 and np.any(r) \
        else math.nan
    return np.asarray(fit.params), np.asarray(fit.cov_params()), int(round(fit.df_resid)), acf1


def _ols_dk(y: np.ndarray, x: np.ndarray, time_codes: np.ndarray, lags: int,
            small_sample: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """OLS with Driscoll–Kraay covariance (time codes 0..T−1, Bartlett; n/(n−k) if asked)."""
    from statsmodels.regression.linear_model import OLS

    fit = OLS(y, x).fit(cov_type="hac-groupsum",
                        cov_kwds={"time": time_codes, "maxlags": lags,
                                  "use_correction": "hac" if small_sample else False},
                        df_correction=False)
    return np.asarray(fit.params), np.asarray(fit.cov_params())


def _check_lags(hac_lags: Any) -> int:
    return _check_int(hac_lags, name="hac_lags", minimum=0)


def _check_bool(value: Any, *, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ConfigError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def _se_text(kind: str, lags: int, small_sample: bool, df_txt: str) -> str:
    factor = "n/(n-k) small-sample factor" if small_sample else "no small-sample factor"
    return f"{kind} SE (Bartlett, lag {lags}, no prewhitening, {factor}), {df_txt}"


def _coef_rows(names: Sequence[str], params: np.ndarray, cov: np.ndarray, df: float,
               confidence: float) -> list[dict[str, Any]]:
    se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = params / se
    lo, hi = _t_ci(params, se, np.full(len(params), df), confidence)
    p = _t_p(stat, np.full(len(params), df))
    return [{"term": n, "estimate": float(params[i]), "se": float(se[i]),
             "ci_low": float(lo[i]), "ci_high": float(hi[i]), "statistic": float(stat[i]),
             "p_value": float(p[i]), "df": float(df)} for i, n in enumerate(names)]


def ols_trend(
    data: pd.DataFrame,
    *,
    value: str,
    time: str,
    by: str | Sequence[str] | None = None,
    hac_lags: int = 3,
    small_sample: bool = False,
    seasonal: bool = False,
    holiday: Holiday = "lebaran",
    calendar: pd.DataFrame | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Linear trend per series by OLS with Newey–West (HAC) standard errors.

    The parametric companion of :func:`trend_test`: the slope of ``value`` on ``time``
    (per period), with SEs that allow for autocorrelated months. With
    ``seasonal=True`` the slope is net of month-of-year effects and the Lebaran month
    (or Ramadan share), which requires month ids.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per period (and group).
    value, time : str
        The series and its period (numeric, or month ids ``"YYYY-MM"``).
    by : str or sequence of str, optional
        One regression per group.
    hac_lags : int, optional
        Newey–West lag (default 3).
    small_sample : bool, optional
        Multiply the covariance by n/(n − k) (R: ``NeweyWest(..., adjust = TRUE)``;
        default False).
    seasonal : bool, optional
        Add month-of-year dummies and the holiday regressor (default False).
    holiday : {"lebaran", "ramadan"}, optional
        The holiday regressor when ``seasonal`` (default the Lebaran month).
    calendar : pandas.DataFrame, optional
        Holiday table (default :func:`holiday_calendar`).
    confidence : float, optional
        Interval level (default 0.95).

    Returns
    -------
    pandas.DataFrame
        One row per series: the ``by`` columns, ``estimand_id``
        (``service.trend.<group>``), ``term`` ("trend"), ``estimate`` (slope per
        period), ``se``, ``ci_low``, ``ci_high``, ``statistic`` (t), ``p_value``, ``df``
        (n − parameters), ``n_obs``, ``hac_lags``, ``resid_acf1`` (lag-1 autocorrelation
        of the residuals), ``confidence``, ``method``.

    Raises
    ------
    InputError
        If a group has two rows for one period, fewer observations than parameters + 2,
        or ``seasonal`` without month ids.
    ConfigError
        For bad options.

    Notes
    -----
    Newey–West with the Bartlett kernel, the given lag, no prewhitening and no
    small-sample factor (R: ``sandwich::NeweyWest(fit, lag = L, prewhite = FALSE,
    adjust = FALSE)``), t with n − k df as ``lmtest::coeftest``. Rows are taken in time
    order: a missing period is treated as adjacent, as in R.

    References
    ----------
    Newey, W. K., & West, K. D. (1987). A simple, positive semi-definite,
    heteroskedasticity and autocorrelation consistent covariance matrix. *Econometrica*,
    55(3), 703–708.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import service
    >>> s = pd.DataFrame({"t": range(12), "y": [80, 81, 80.5, 82, 83, 82.5, 84, 85, 84, 86,
    ...                                        87, 86.5]})
    >>> service.ols_trend(s, value="y", time="t")[["term", "estimate", "se"]].round(3)
        term  estimate     se
    0  trend     0.635  0.018
    """
    by_t = as_tuple(by, name="by")
    lags = _check_lags(hac_lags)
    small_sample = _check_bool(small_sample, name="small_sample")
    confidence = check_confidence(confidence)
    check_choice(holiday, Holiday, name="holiday")
    series, monthly = _series(data, value=value, time=time, by=by_t)
    if seasonal and not monthly:
        raise InputError("seasonal terms need month ids 'YYYY-MM' in the time column",
                         column=time, fix="pass the month column (e.g. 'wave') as time")
    rows = []
    for key, t, y, _ in series:
        cols = [np.ones_like(t), t - t.min()]
        names = ["intercept", "trend"]
        if seasonal:
            sd, sn = _seasonal_design(t, holiday, calendar)
            cols.extend(sd.T)
            names.extend(sn)
        x = np.column_stack(cols)
        if y.size < x.shape[1] + 2:
            raise InputError(f"the series {'.'.join(map(str, key)) or '(all rows)'} has "
                             f"{y.size} observed periods, too few for {x.shape[1]} parameters",
                             column=value, fix="use a longer series or seasonal=False")
        params, cov, dfr, acf1 = _ols_hac(y, x, lags, small_sample)
        coef = _coef_rows(names, params, cov, dfr, confidence)[1]
        row = dict(zip(by_t, key, strict=True))
        row["estimand_id"] = _key_id("service.trend", key)
        row.update(coef)
        row.update({"n_obs": int(y.size), "hac_lags": lags, "resid_acf1": acf1,
                    "confidence": confidence})
        rows.append(row)
    out = pd.DataFrame(rows)
    seas = (f" + month-of-year dummies + {holiday}" if seasonal else "")
    out["method"] = (f"OLS value ~ time{seas}; "
                     + _se_text("Newey-West", lags, small_sample, "t(n-k)"))
    return out


def seasonality(
    data: pd.DataFrame,
    *,
    value: str,
    time: str,
    by: str | Sequence[str] | None = None,
    hac_lags: int = 3,
    small_sample: bool = False,
    holiday: Holiday = "lebaran",
    calendar: pd.DataFrame | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Month-of-year and Lebaran (or Ramadan) effects in a monthly SKM series.

    Fits ``value ~ trend + month of year + holiday``; with ``by``, one pooled model with
    a level and a linear trend per group and common seasonal effects, with
    Driscoll–Kraay SEs (seasonal shocks hit all units in the same month).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per month (and group); ``time`` must hold month ids ``"YYYY-MM"``.
    value, time : str
        The series and its month.
    by : str or sequence of str, optional
        Groups pooled with their own level and trend.
    hac_lags : int, optional
        Newey–West / Driscoll–Kraay lag (default 3).
    small_sample : bool, optional
        Multiply the covariance by n/(n − k) (default False).
    holiday : {"lebaran", "ramadan"}, optional
        1 in the Idul Fitri month, or the share of the month's days in Ramadan.
    calendar : pandas.DataFrame, optional
        Holiday table (default :func:`holiday_calendar`).
    confidence : float, optional
        Interval level (default 0.95).

    Returns
    -------
    pandas.DataFrame
        Rows ``month_01`` … ``month_12`` (each month's deviation from the average month,
        summing to zero), the holiday row (``lebaran`` or ``ramadan``: effect of the
        Lebaran month, or of a month entirely in Ramadan), and ``month_of_year`` (joint
        Wald F test that all month effects are zero; ``estimate`` NaN). Columns
        ``term``, ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``statistic``,
        ``p_value``, ``df``, ``n_obs``, ``n_groups``, ``confidence``, ``method``.

    Raises
    ------
    InputError
        Without month ids, with months outside the holiday calendar, or with fewer than
        two years of data.

    Notes
    -----
    One series: Newey–West (Bartlett, lag L, no small-sample factor), t(n − k). Pooled:
    Driscoll–Kraay (R: ``sandwich::vcovPL(fit, cluster = ~unit, order.by = ~time,
    lag = L, adjust = FALSE)``) with t(T − 1), T the number of months. The month effects
    and the Lebaran month are separately identified because Lebaran moves by about 11
    days a year (April 2023–2024, March 2025–2026).

    References
    ----------
    Driscoll, J. C., & Kraay, A. C. (1998). Consistent covariance matrix estimation with
    spatially dependent panel data. *Review of Economics and Statistics*, 80(4), 549–560.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from asn_research import service
    >>> months = [f"{2023 + m // 12}-{m % 12 + 1:02d}" for m in range(36)]
    >>> y = 80 + 0.05 * np.arange(36) - 2.0 * np.isin(months, ["2023-04", "2024-04", "2025-03"])
    >>> y = y + np.tile(np.linspace(-1, 1, 12), 3) + np.tile([0.3, -0.3], 18)
    >>> out = service.seasonality(pd.DataFrame({"m": months, "y": y}), value="y", time="m")
    >>> round(float(out.set_index("term").loc["lebaran", "estimate"]), 2)
    -2.0
    """
    by_t = as_tuple(by, name="by")
    lags = _check_lags(hac_lags)
    small_sample = _check_bool(small_sample, name="small_sample")
    confidence = check_confidence(confidence)
    check_choice(holiday, Holiday, name="holiday")
    series, monthly = _series(data, value=value, time=time, by=by_t)
    if not monthly:
        raise InputError("seasonality needs month ids 'YYYY-MM' in the time column",
                         column=time, fix="pass the month column (e.g. 'wave') as time")
    t_all = np.concatenate([s[1] for s in series])
    y_all = np.concatenate([s[2] for s in series])
    if np.unique(t_all).size < 24:
        raise InputError("month-of-year effects need at least two years of months",
                         column=time, fix="use a longer series")
    g_idx = np.concatenate([np.full(s[1].size, k) for k, s in enumerate(series)])
    n_g = len(series)
    sd, sn = _seasonal_design(t_all, holiday, calendar)
    # Re-center over the pooled rows (the design helper centers per call).
    level = np.column_stack([(g_idx == k).astype(float) for k in range(n_g)])
    trend = level * (t_all - t_all.min())[:, None]
    x = np.column_stack([level, trend, sd])
    k_seas = sd.shape[1]
    if y_all.size < x.shape[1] + 2:
        raise InputError("too few observations for the seasonal model", column=value,
                         fix="use a longer series")
    if n_g == 1:
        params, cov, dfr, _ = _ols_hac(y_all, x, lags, small_sample)
        df = float(dfr)
        se_txt = _se_text("Newey-West", lags, small_sample, "t(n-k)")
    else:
        tcodes = pd.factorize(t_all, sort=True)[0].astype(np.int64)
        params, cov = _ols_dk(y_all, x, tcodes, lags, small_sample)
        df = float(np.unique(tcodes).size - 1)
        se_txt = _se_text("Driscoll-Kraay", lags, small_sample, "t(T-1)")
    b = params[-k_seas:]
    v = cov[-k_seas:, -k_seas:]
    # Month effects as deviations from the average month: delta = A @ beta (beta_Jan = 0).
    a = np.zeros((12, 11))
    a[1:, :] = np.eye(11)
    a -= a.mean(axis=0)
    bm, vm = b[:11], v[:11, :11]
    delta, vdelta = a @ bm, a @ vm @ a.T
    rows = _coef_rows([f"month_{m:02d}" for m in range(1, 13)], delta, vdelta, df, confidence)
    rows += _coef_rows([holiday], b[11:], v[11:, 11:], df, confidence)
    try:
        f_stat = float(bm @ np.linalg.solve(vm, bm)) / 11
        p_f = float(stats.f.sf(f_stat, 11, df))
    except np.linalg.LinAlgError:
        f_stat, p_f = math.nan, math.nan
    rows.append({"term": "month_of_year", "estimate": math.nan, "se": math.nan,
                 "ci_low": math.nan, "ci_high": math.nan, "statistic": f_stat, "p_value": p_f,
                 "df": df})
    out = pd.DataFrame(rows)
    out["n_obs"] = int(y_all.size)
    out["n_groups"] = n_g
    out["confidence"] = confidence
    out["method"] = (f"OLS value ~ level and trend per group + month of year + {holiday}; "
                     f"{se_txt}; month effects as deviations from the average month; "
                     "month_of_year row: Wald F test of all month effects")
    return out


def _its_design(tc: np.ndarray) -> np.ndarray:
    post = (tc >= 0).astype(float)
    return np.column_stack([np.ones_like(tc), tc, post, tc * post])


_ITS_TERMS = ("counterfactual_at_start", "trend", "level_change", "slope_change")


def _start_for(start: Any, key: tuple[Any, ...], monthly: bool) -> float | None:
    if isinstance(start, Mapping):
        v = start.get(key, start.get(key[0]) if len(key) == 1 else None) if key else None
        if v is None:
            return None
        return _start_code(v, monthly)
    return _start_code(start, monthly)


def _its_ids(name: str, term: str, key: tuple[Any, ...]) -> str | None:
    if term == "trend":
        return _key_id("service.trend", key)
    if term in ("level_change", "slope_change"):
        return _key_id(f"service.{name}.{term}", key)
    return None


def interrupted_time_series(
    data: pd.DataFrame,
    *,
    value: str,
    time: str,
    start: Any,
    by: str | Sequence[str] | None = None,
    hac_lags: int = 3,
    small_sample: bool = False,
    pooled: bool = False,
    unit_trends: bool = True,
    seasonal: bool = False,
    holiday: Holiday = "lebaran",
    calendar: pd.DataFrame | None = None,
    confidence: float = 0.95,
    name: str = "online_permit",
) -> pd.DataFrame:
    """Interrupted time series for a dated service change (e.g. the online-permit launch).

    Fits the segmented regression ``value ~ time + post + time_since_start`` per unit:
    ``post`` is 1 from the period ``start`` on and ``time_since_start`` is 0 in that
    period, so ``level_change`` is the jump at the start and ``slope_change`` the change
    of the monthly slope after it. With ``pooled=True``, one model over all units with
    unit fixed effects (and unit trends) and Driscoll–Kraay SEs; units without a start
    then serve as comparison units. :func:`controlled_its` subtracts the comparison
    units instead.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per period and unit, e.g. the output of :func:`ikm`.
    value, time : str
        The series (e.g. ``"estimate"``) and its period: numeric (a period index) or
        month ids ``"YYYY-MM"``.
    start : scalar or mapping
        The first period of the change, in the units of ``time`` (``"2024-09"`` for
        months); or a mapping from unit (the ``by`` value, or tuple of values) to its
        start, ``None`` or absent for units without the change. Units without a start are
        left out of per-unit results.
    by : str or sequence of str, optional
        The unit column(s).
    hac_lags : int, optional
        Newey–West / Driscoll–Kraay lag (default 3).
    small_sample : bool, optional
        Multiply the covariance by n/(n − k) (R: ``adjust = TRUE``; default False). See
        Notes on small-sample coverage.
    pooled : bool, optional
        One model over units (default False: one per unit).
    unit_trends : bool, optional
        In the pooled model, a linear trend per unit (default True) rather than one
        common trend.
    seasonal : bool, optional
        Add centered month-of-year dummies and the holiday regressor (month ids needed).
    holiday : {"lebaran", "ramadan"}, optional
        Holiday regressor when ``seasonal``.
    calendar : pandas.DataFrame, optional
        Holiday table (default :func:`holiday_calendar`).
    confidence : float, optional
        Interval level (default 0.95).
    name : str, optional
        The change's name in the estimand ids (default ``"online_permit"``).

    Returns
    -------
    pandas.DataFrame
        Per unit (or one block when pooled), one row per term: the ``by`` columns (NA
        when pooled), ``term`` (``counterfactual_at_start``: the pre-period line at the
        start; ``trend``: the pre-period slope per period; ``level_change``;
        ``slope_change``; the pooled model reports the last two), ``estimand_id``
        (``service.trend.<unit>``, ``service.<name>.level_change[.<unit>]``,
        ``service.<name>.slope_change[.<unit>]``), ``estimate``, ``se``, ``ci_low``,
        ``ci_high``, ``statistic`` (t), ``p_value``, ``df``, ``n_obs``, ``n_pre``,
        ``n_post``, ``n_units`` (treated units), ``start``, ``hac_lags``, ``resid_acf1``
        (lag-1 autocorrelation of the unit's residuals; NaN when pooled), ``confidence``,
        ``method``.

    Raises
    ------
    InputError
        If a unit has two rows for one period, fewer than 3 periods before or after its
        start, or no unit has a start.
    ConfigError
        For a ``start`` that does not match the kind of ``time``, or bad options.

    Notes
    -----
    *Per unit*: OLS with Newey–West SEs (Bartlett kernel, lag ``hac_lags``, no
    prewhitening, no small-sample factor; R: ``sandwich::NeweyWest(fit, lag = L,
    prewhite = FALSE, adjust = FALSE)``), t with n − k df as ``lmtest::coeftest``.
    *Pooled*: unit dummies (+ unit × time), ``post`` and ``time_since_start`` of each
    treated unit, common seasonal terms; Driscoll–Kraay SEs (statsmodels
    ``hac-groupsum`` with consecutive time codes; R: ``sandwich::vcovPL(fit, cluster =
    ~unit, order.by = ~time, lag = L, adjust = FALSE)``), robust to shocks shared by
    all units in a month; t with T − 1 df (T = periods), because the estimator's
    information grows with T, not with the number of rows. With staggered starts the
    pooled coefficients are a weighted average of the units' changes.

    *Small samples.* HAC standard errors are biased downwards in short series with trend
    and step regressors (the residuals are orthogonal to them, which shrinks the
    estimated long-run variance), and more so the larger the lag. In the Monte Carlo of
    ``benchmarks/coverage_service.py`` (42 months, independent monthly samples) the
    per-unit 95 % intervals with lag 3 covered the level change about 86 % of the time;
    see ``docs/skm.md`` §8 for the figures and the alternatives (a smaller lag,
    ``small_sample=True``) when the residuals show no autocorrelation (``resid_acf1``
    near 0, as with independent monthly samples).

    *Identification*: without the change, the unit's series would have continued its
    pre-period line (plus season, if modelled). Anything else that changed at the same
    time (a new head of office, a fee change, the season) is attributed to the change;
    :func:`controlled_its` removes shocks shared with units that did not change. The
    level change on the IKM scale includes what the change does to the mix of
    respondents (e.g. more online users).

    References
    ----------
    Wagner, A. K., Soumerai, S. B., Zhang, F., & Ross-Degnan, D. (2002). Segmented
    regression analysis of interrupted time series studies in medication use research.
    *Journal of Clinical Pharmacy and Therapeutics*, 27(4), 299–309.
    Bernal, J. L., Cummins, S., & Gasparrini, A. (2017). Interrupted time series
    regression for the evaluation of public health interventions: a tutorial.
    *International Journal of Epidemiology*, 46(1), 348–355.
    Newey, W. K., & West, K. D. (1987). *Econometrica*, 55(3), 703–708.
    Driscoll, J. C., & Kraay, A. C. (1998). *Review of Economics and Statistics*, 80(4),
    549–560.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from asn_research import service
    >>> t = np.arange(24)
    >>> y = 80 + 0.1 * t + 3.0 * (t >= 12) + 0.2 * (t - 12) * (t >= 12) + np.tile([0.4, -0.4], 12)
    >>> s = pd.DataFrame({"month": t, "ikm": y})
    >>> out = service.interrupted_time_series(s, value="ikm", time="month", start=12)
    >>> out[["term", "estimate"]].round(2)  # In R: coeftest(fit, NeweyWest(fit, lag = 3, ...))
                          term  estimate
    0  counterfactual_at_start     81.09
    1                    trend      0.08
    2             level_change      3.20
    3             slope_change      0.20
    """
    by_t = as_tuple(by, name="by")
    lags = _check_lags(hac_lags)
    small_sample = _check_bool(small_sample, name="small_sample")
    confidence = check_confidence(confidence)
    check_choice(holiday, Holiday, name="holiday")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ConfigError(f"name must be a lowercase identifier such as 'online_permit'; got "
                          f"{name!r}")
    if isinstance(start, Mapping) and not by_t:
        raise ConfigError("a mapping of starts needs the unit column as by=")
    if pooled and not by_t:
        raise ConfigError("pooled=True needs the unit column as by=")
    series, monthly = _series(data, value=value, time=time, by=by_t)
    if seasonal and not monthly:
        raise InputError("seasonal terms need month ids 'YYYY-MM' in the time column",
                         column=time, fix="pass the month column (e.g. 'wave') as time")
    starts = [_start_for(start, key, monthly) for key, *_ in series]
    if all(s is None for s in starts):
        raise InputError("no unit has a start period", column=by_t[0] if by_t else time,
                         fix="give start as a period or a mapping unit -> start period")
    for (key, t, _y, _), s0 in zip(series, starts, strict=True):
        if s0 is None:
            continue
        n_pre, n_post = int((t < s0).sum()), int((t >= s0).sum())
        if n_pre < 3 or n_post < 3:
            raise InputError(f"the series {'.'.join(map(str, key)) or '(all rows)'} has "
                             f"{n_pre} periods before and {n_post} from its start (at least 3 "
                             "each needed)", column=time,
                             fix="check the start period, or leave that unit out")
    seas = f" + centered month-of-year dummies + {holiday}" if seasonal else ""
    common = dict(hac_lags=lags, confidence=confidence)
    rows: list[dict[str, Any]] = []
    if not pooled:
        for (key, t, y, _), s0 in zip(series, starts, strict=True):
            if s0 is None:
                continue
            x = _its_design(t - s0)
            names = list(_ITS_TERMS)
            if seasonal:
                sd, sn = _seasonal_design(t, holiday, calendar)
                x = np.column_stack([x, sd])
                names += sn
            if y.size < x.shape[1] + 2:
                raise InputError(f"the series {'.'.join(map(str, key)) or '(all rows)'} has "
                                 f"too few periods for {x.shape[1]} parameters", column=value,
                                 fix="use a longer series or seasonal=False")
            params, cov, dfr, acf1 = _ols_hac(y, x, lags, small_sample)
            for r in _coef_rows(names, params, cov, dfr, confidence)[:4]:
                row = dict(zip(by_t, key, strict=True))
                row.update(r)
                row.update({"estimand_id": _its_ids(name, r["term"], key), "n_obs": int(y.size),
                            "n_pre": int((t < s0).sum()), "n_post": int((t >= s0).sum()),
                            "n_units": 1, "start": _label_period(s0, monthly),
                            "resid_acf1": acf1, **common})
                rows.append(row)
        method = (f"segmented OLS value ~ time + post + time_since_start{seas} per unit; "
                  + _se_text("Newey-West", lags, small_sample, "t(n-k)"))
    else:
        t_all = np.concatenate([s[1] for s in series])
        y_all = np.concatenate([s[2] for s in series])
        g_idx = np.concatenate([np.full(s[1].size, k) for k, s in enumerate(series)])
        post = np.zeros_like(t_all)
        tss = np.zeros_like(t_all)
        for k, s0 in enumerate(starts):
            if s0 is None:
                continue
            m = g_idx == k
            post[m] = (t_all[m] >= s0).astype(float)
            tss[m] = (t_all[m] - s0) * post[m]
        level = np.column_stack([(g_idx == k).astype(float) for k in range(len(series))])
        tt = (t_all - t_all.min())
        trend = level * tt[:, None] if unit_trends else tt[:, None]
        x = np.column_stack([level, trend, post, tss])
        if seasonal:
            sd, _ = _seasonal_design(t_all, holiday, calendar)
            x = np.column_stack([x, sd])
        tcodes = pd.factorize(t_all, sort=True)[0].astype(np.int64)
        params, cov = _ols_dk(y_all, x, tcodes, lags, small_sample)
        k0 = level.shape[1] + trend.shape[1]
        df = float(np.unique(tcodes).size - 1)
        coef = _coef_rows(["level_change", "slope_change"], params[k0:k0 + 2],
                          cov[k0:k0 + 2, k0:k0 + 2], df, confidence)
        n_treated = sum(s is not None for s in starts)
        for r in coef:
            row = dict.fromkeys(by_t)
            row.update(r)
            row.update({"estimand_id": _its_ids(name, r["term"], ()), "n_obs": int(y_all.size),
                        "n_pre": int(((post == 0) & np.isin(g_idx, [k for k, s in
                                      enumerate(starts) if s is not None])).sum()),
                        "n_post": int(post.sum()), "n_units": n_treated, "start": None,
                        "resid_acf1": math.nan, **common})
            rows.append(row)
        trends_txt = "unit trends" if unit_trends else "a common trend"
        method = (f"pooled segmented OLS with unit fixed effects and {trends_txt}, post and "
                  f"time_since_start of each treated unit{seas}; "
                  + _se_text("Driscoll-Kraay", lags, small_sample, "t(T-1)")
                  + "; units without a start are comparison units")
    out = pd.DataFrame(rows)
    out["method"] = method
    cols = [*by_t, "term", "estimand_id", "estimate", "se", "ci_low", "ci_high", "statistic",
            "p_value", "df", "n_obs", "n_pre", "n_post", "n_units", "start", "hac_lags",
            "resid_acf1", "confidence", "method"]
    return out[cols]


def controlled_its(
    data: pd.DataFrame,
    *,
    value: str,
    time: str,
    unit: str,
    start: Mapping[Any, Any],
    controls: Sequence[Any] | None = None,
    hac_lags: int = 3,
    small_sample: bool = False,
    seasonal: bool = False,
    holiday: Holiday = "lebaran",
    calendar: pd.DataFrame | None = None,
    confidence: float = 0.95,
    name: str = "online_permit",
) -> pd.DataFrame:
    """Interrupted time series of each changed unit against units without the change.

    For each unit with a start, the comparison series is its value minus the mean value
    of the comparison units in the same period; the segmented regression of
    :func:`interrupted_time_series` is fitted to that difference. Shocks that hit every
    unit in a month (season, Lebaran, a city-wide campaign, a new survey vendor) cancel.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per period and unit.
    value, time : str
        The series and its period (numeric or ``"YYYY-MM"``).
    unit : str
        The unit column.
    start : mapping
        Unit → first period of the change (``None`` for units without it).
    controls : sequence, optional
        The comparison units (default: every unit without a start).
    hac_lags, small_sample, seasonal, holiday, calendar, confidence, name
        As in :func:`interrupted_time_series`.

    Returns
    -------
    pandas.DataFrame
        As :func:`interrupted_time_series` per unit (``term``, ``estimand_id``,
        ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``statistic``, ``p_value``, ``df``,
        ``n_obs``, ``n_pre``, ``n_post``, ``n_units``, ``start``, ``hac_lags``,
        ``resid_acf1``, ``confidence``), plus ``n_controls``, and ``method``. ``trend`` and
        ``counterfactual_at_start`` refer to the difference series.

    Raises
    ------
    InputError
        Without comparison units, or with periods where no comparison unit was observed
        (they are dropped; an error only if fewer than 3 remain on a side).
    ConfigError
        If ``start`` is not a mapping.

    Notes
    -----
    A comparison (difference) series rather than a pooled model with a treated × post
    interaction: it keeps one estimate per changed unit, needs no assumption that units
    share a trend (the difference may have any linear trend), and the two are the same
    estimator when there is one changed unit. Identification: without the change, the
    gap between the unit and the comparison mean would have continued its pre-period
    line; the comparison units must not change at the same time. The SEs treat the
    comparison mean as data (it is an average of several units, so its own sampling
    noise is small but included in the residuals).

    References
    ----------
    Lopez Bernal, J., Cummins, S., & Gasparrini, A. (2018). The use of controls in
    interrupted time series studies of public health interventions. *International
    Journal of Epidemiology*, 47(6), 2082–2093.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from asn_research import service
    >>> t = np.arange(24)
    >>> shock = np.tile([1.0, -1.0, 0.5, -0.5], 6)
    >>> a = 80 + 0.1 * t + 3.0 * (t >= 12) + shock
    >>> b = 75 + 0.05 * t + shock
    >>> df = pd.DataFrame({"unit": ["a"] * 24 + ["b"] * 24, "t": np.r_[t, t], "y": np.r_[a, b]})
    >>> out = service.controlled_its(df, value="y", time="t", unit="unit", start={"a": 12})
    >>> round(float(out.set_index("term").loc["level_change", "estimate"]), 2)
    3.0
    """
    if not isinstance(start, Mapping):
        raise ConfigError("start must be a mapping unit -> start period for controlled_its")
    lags = _check_lags(hac_lags)
    confidence = check_confidence(confidence)
    series, monthly = _series(data, value=value, time=time, by=(unit,))
    by_unit = {key[0]: (t, y) for key, t, y, _ in series}
    treated = [u for u in by_unit if start.get(u) is not None]
    ctrl = list(controls) if controls is not None else [u for u in by_unit if u not in treated]
    missing = [c for c in ctrl if c not in by_unit]
    if missing:
        raise InputError(f"comparison unit {missing[0]!r} is not in the data", column=unit,
                         fix="pass units that appear in the data as controls")
    if not ctrl:
        raise InputError("there are no comparison units", column=unit,
                         fix="include units without the change, or pass controls=")
    if not treated:
        raise InputError("no unit has a start period", column=unit,
                         fix="give start as a mapping unit -> start period")
    ct = np.concatenate([by_unit[c][0] for c in ctrl])
    cy = np.concatenate([by_unit[c][1] for c in ctrl])
    cmean = pd.Series(cy).groupby(ct).mean()
    frames = []
    for u in treated:
        t, y = by_unit[u]
        common_t = np.isin(t, cmean.index.to_numpy())
        diff = y[common_t] - cmean.loc[t[common_t]].to_numpy()
        frames.append(pd.DataFrame({unit: u, "_t": t[common_t], "_d": diff}))
    stacked = pd.concat(frames, ignore_index=True)
    if monthly:
        stacked["_t"] = [_label_period(c, True) for c in stacked["_t"]]
    res = interrupted_time_series(
        stacked, value="_d", time="_t", start={u: start[u] for u in treated}, by=unit,
        hac_lags=lags, small_sample=small_sample, seasonal=seasonal, holiday=holiday,
        calendar=calendar, confidence=confidence, name=name)
    res["n_controls"] = len(ctrl)
    res["method"] = ("controlled ITS: segmented OLS of (unit - mean of comparison units) ~ time + "
                     "post + time_since_start" + (f" + month-of-year + {holiday}" if seasonal
                                                  else "")
                     + "; " + _se_text("Newey-West", lags, bool(small_sample), "t(n-k)"))
    cols = [c for c in res.columns if c != "method"] + ["method"]
    return res[cols]


# ============================================================================ channels
def channel_gap(
    data: pd.DataFrame,
    *,
    unit: str = "service_unit",
    period: str = "wave",
    channel: str = "channel",
    online: str = "online",
    walk_in: str = "walk_in",
    elements: Sequence[str] | None = None,
    confidence: float = 0.95,
) -> Estimate:
    """Online minus walk-in satisfaction within the same unit and month (IKM points).

    Compares the two channels where both were used in the same unit-month, so
    differences between units and months (some units are better; satisfaction moves
    over the year) do not masquerade as a channel effect.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent with element answers 1–4 and the channel.
    unit, period, channel : str, optional
        Column names (defaults ``service_unit``, ``wave``, ``channel``).
    online, walk_in : str, optional
        The channel codes (defaults ``"online"`` and ``"walk_in"``).
    elements : sequence of str, optional
        Element columns (default all nine).
    confidence : float, optional
        Interval level (default 0.95).

    Returns
    -------
    Estimate
        ``estimate`` (IKM points, online − walk-in), ``se``, ``ci_low``, ``ci_high``,
        ``p_value``, ``df``, ``statistic`` (t), ``n_obs`` (respondents in unit-months
        with both channels), ``n_clusters`` (such unit-months), ``method``,
        ``assumptions``; ``details``: ``n_online``, ``n_walk_in``, ``n_units``, and
        ``by_unit`` (a frame of per-unit gaps with their SEs).

    Raises
    ------
    InputError
        If the channel column has other values, or no unit-month has both channels.

    Notes
    -----
    Each respondent's score is 25 × the mean of the elements they answered. Within each
    unit-month *c* with both channels, d_c = mean(online) − mean(walk-in); the estimate
    averages d_c with weights n_online,c / Σ n_online, i.e. over the online respondents
    — a unit-month fixed-effects comparison (imputation form) whose weights match the
    catalogue's ``service.channel_gap``. An OLS with unit-month dummies would weight
    cells by n_on·n_off/n instead (a different average when the gap varies).
    Var = Σ_c w_c² (s²_on,c/n_on,c + s²_off,c/n_off,c), unit-months independent
    (clustered by unit-month: each month's respondents are a fresh sample); a channel
    cell with one respondent borrows the pooled within-cell variance of its channel.
    Clustering by unit would need many units with an online channel (there are often
    only a few). t with Σ(n_c − 2) df.

    *Interpretation*: a difference between the people who choose each channel as much
    as an effect of the channel (online users may be younger, more educated, and
    rate differently); it is descriptive, not causal.

    References
    ----------
    Peraturan Menteri PANRB No. 14 Tahun 2017 (the elements and the ×25 scale).

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import service
    >>> df = pd.DataFrame({"service_unit": "u", "wave": "2024-01",
    ...                    "channel": ["online", "online", "walk_in", "walk_in", "walk_in"],
    ...                    "waktu": [4, 3, 3, 2, 3], "sarana": [4, 4, 3, 3, 2]})
    >>> est = service.channel_gap(df, elements=["waktu", "sarana"])
    >>> round(est.estimate, 3), est.n_clusters
    (27.083, 1)
    """
    check_frame(data)
    els = _check_elements(elements)
    check_columns(data, (unit, period, channel, *els))
    confidence = check_confidence(confidence)
    ch = data[channel].astype("str")
    bad = ~ch.isin([online, walk_in]) | data[channel].isna()
    if bad.any():
        raise InputError(f"{int(bad.sum())} rows have a channel other than {online!r} or "
                         f"{walk_in!r}", column=channel,
                         fix="recode the channel column, or pass online=/walk_in=")
    x = _answer_matrix(data, els)
    keep = ~np.isnan(x).all(axis=1)
    with np.errstate(invalid="ignore"):
        score = 25.0 * np.nanmean(np.where(keep[:, None], x, 1.0), axis=1)
    frame = pd.DataFrame({"u": data[unit].to_numpy(), "p": data[period].to_numpy(),
                          "on": (ch == online).to_numpy(), "y": score})[keep]
    if frame["on"].all() or not frame["on"].any():
        raise InputError("no unit-month has respondents of both channels", column=channel,
                         fix="the gap can only be estimated where both channels were used")
    cell = frame.groupby(["u", "p", "on"], sort=True)["y"].agg(["size", "mean", "var"])
    cell = cell.unstack("on")
    both = cell[("size", True)].notna() & cell[("size", False)].notna()
    cell = cell[both]
    if cell.empty:
        raise InputError("no unit-month has respondents of both channels", column=channel,
                         fix="the gap can only be estimated where both channels were used")
    n_on = cell[("size", True)].to_numpy(float)
    n_off = cell[("size", False)].to_numpy(float)
    d = (cell[("mean", True)] - cell[("mean", False)]).to_numpy(float)
    v_on = cell[("var", True)].to_numpy(float)
    v_off = cell[("var", False)].to_numpy(float)

    def pooled(v: np.ndarray, n: np.ndarray) -> float:
        ok = n > 1
        return float(np.sum(v[ok] * (n[ok] - 1)) / np.sum(n[ok] - 1)) if ok.any() else math.nan

    v_on = np.where(n_on > 1, v_on, pooled(v_on, n_on))
    v_off = np.where(n_off > 1, v_off, pooled(v_off, n_off))
    w = n_on / n_on.sum()
    est = float(np.sum(w * d))
    se = float(math.sqrt(np.sum(w**2 * (v_on / n_on + v_off / n_off))))
    df = float(np.sum(n_on + n_off - 2))
    if df <= 0:
        df = math.nan
    lo_a, hi_a = _t_ci(np.array([est]), np.array([se]), np.array([df]), confidence)
    lo, hi = float(lo_a[0]), float(hi_a[0])
    stat = est / se if se > 0 else math.nan
    p = float(_t_p(np.array([stat]), np.array([df]))[0])
    units = cell.index.get_level_values(0)
    by_unit = []
    for u in pd.unique(units):
        m = np.asarray(units == u)
        wu = n_on[m] / n_on[m].sum()
        by_unit.append({unit: u, "estimate": float(np.sum(wu * d[m])),
                        "se": float(math.sqrt(np.sum(wu**2 * (v_on[m] / n_on[m]
                                                                + v_off[m] / n_off[m])))),
                        "n_obs": int(n_on[m].sum() + n_off[m].sum()),
                        "n_cells": int(m.sum())})
    return Estimate(
        estimate=est, se=se, ci_low=lo, ci_high=hi, p_value=p,
        n_obs=int(n_on.sum() + n_off.sum()),
        method=("online minus walk-in respondent score (25 x mean of answered elements) within "
                "unit-months with both channels, averaged over online respondents; SE with "
                "unit-months independent (cluster = unit-month), t(sum(n_c - 2))"),
        assumptions=("descriptive: compares the people using each channel in the same unit and "
                     "month; not the causal effect of moving a person online"),
        confidence=confidence, df=df, statistic=stat, n_clusters=int(len(d)),
        term="channel_gap",
        details={"n_online": int(n_on.sum()), "n_walk_in": int(n_off.sum()),
                 "n_units": int(len(by_unit)), "by_unit": pd.DataFrame(by_unit)},
    )


# ============================================================================ findings
def to_estimates(frame: pd.DataFrame, *, assumptions: str | None = None
                 ) -> dict[str, Estimate]:
    """Turn the rows of a result frame into findings keyed by their estimand ids.

    Every frame of this module carries ``estimand_id`` (the catalogue's ids such as
    ``service.ikm.<unit>.<YYYY-MM>``); this returns one
    :class:`~asn_research.results.Estimate` per row that has an id, an estimate and is
    not ``refused``, ready for the evidence register.

    Parameters
    ----------
    frame : pandas.DataFrame
        A result of :func:`ikm`, :func:`element_scores`, :func:`trend_test`,
        :func:`ols_trend`, :func:`interrupted_time_series` or :func:`controlled_its`.
    assumptions : str, optional
        Assumptions to attach to every estimate (else the row's, if any).

    Returns
    -------
    dict of str to Estimate
        Sorted by id.

    Raises
    ------
    InputError
        If the frame has no ``estimand_id`` column or an id appears twice.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import service
    >>> df = pd.DataFrame({"service_unit": "u1", "wave": "2024-01", "waktu": [3, 4, 3]})
    >>> list(service.to_estimates(service.ikm(df, elements=["waktu"])))
    ['service.ikm.u1.2024-01']
    """
    check_frame(frame, name="frame")
    check_columns(frame, ["estimand_id", "estimate", "ci_low", "ci_high", "n_obs"])
    sel = frame[frame["estimand_id"].notna() & frame["estimate"].notna()]
    if "refused" in sel.columns:
        sel = sel[sel["refused"].isna()]
    dup = sel["estimand_id"][sel["estimand_id"].duplicated()]
    if len(dup):
        raise InputError(f"the estimand id {dup.iloc[0]!r} appears in more than one row",
                         column="estimand_id", fix="pass one result per estimand")
    out = {}
    for _, row in sel.iterrows():
        out[str(row["estimand_id"])] = Estimate.from_row(row, assumptions=assumptions)
    return dict(sorted(out.items()))


# ============================================================================ plots
def plot_ikm_ranking(
    ikm_frame: pd.DataFrame,
    *,
    label: str = "service_unit",
    ax: Axes | None = None,
    bands: bool = True,
) -> Axes:
    """Ranking chart of units by IKM with their confidence intervals and the grade bands.

    Parameters
    ----------
    ikm_frame : pandas.DataFrame
        A result of :func:`ikm` for one period (one row per unit): ``estimate``,
        ``ci_low``, ``ci_high`` and the ``label`` column. Rows with ``suppressed ==
        True`` are not drawn.
    label : str, optional
        Column naming the units (default ``"service_unit"``).
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure's axes).
    bands : bool, optional
        Shade the grade bands and mark their lower bounds (default True).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    InputError
        If a needed column is missing.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from asn_research import service
    >>> tab = pd.DataFrame({"service_unit": ["a", "b"], "estimate": [85.0, 80.0],
    ...                     "ci_low": [83.0, 77.0], "ci_high": [87.0, 83.0]})
    >>> ax = service.plot_ikm_ranking(tab)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['b', 'a']
    """
    import matplotlib.pyplot as plt

    check_frame(ikm_frame, name="ikm_frame")
    check_columns(ikm_frame, [label, "estimate", "ci_low", "ci_high"])
    tab = ikm_frame
    if "suppressed" in tab.columns:
        tab = tab[~tab["suppressed"].fillna(False).astype(bool)]
    tab = tab.sort_values("estimate", kind="stable")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.4 * max(len(tab), 3) + 1))
    y = np.arange(len(tab))
    est = tab["estimate"].to_numpy(float)
    err = np.vstack([est - tab["ci_low"].to_numpy(float), tab["ci_high"].to_numpy(float) - est])
    if bands:
        lo_x = min(float(np.nanmin(tab["ci_low"])) if len(tab) else 65.0, 65.0) - 2
        edges = [25.0, 65.0, 76.61, 88.31, 100.0]
        for (a, b), shade in zip(zip(edges[:-1], edges[1:], strict=True),
                                 (0.96, 0.92, 0.88, 0.84), strict=True):
            ax.axvspan(max(a, lo_x), b, color=str(shade), zorder=0)
        for b, grade in ((65.0, "C"), (76.61, "B"), (88.31, "A")):
            ax.axvline(b, color="0.5", lw=0.8, ls=":", zorder=1)
            ax.text(b, len(tab) - 0.4, f" {grade}", va="bottom", ha="left", fontsize=8,
                    color="0.3")
        ax.set_xlim(lo_x, 100.5)
    ax.errorbar(est, y, xerr=err, fmt="o", color="C0", ecolor="C0", capsize=3, zorder=3)
    ax.set_yticks(y, [str(v) for v in tab[label]])
    ax.set_ylim(-0.6, len(tab) - 0.1)
    ax.set_xlabel("IKM (25-100)")
    return ax


def plot_its(
    data: pd.DataFrame,
    its_frame: pd.DataFrame,
    *,
    value: str,
    time: str,
    by: str | None = None,
    unit: Any = None,
    ax: Axes | None = None,
) -> Axes:
    """Observed series, fitted segments and the counterfactual line of an ITS fit.

    Parameters
    ----------
    data : pandas.DataFrame
        The series the model was fitted to.
    its_frame : pandas.DataFrame
        The per-unit result of :func:`interrupted_time_series` (not pooled).
    value, time : str
        As passed to the fit.
    by : str, optional
        The unit column (if the fit had one).
    unit : optional
        Which unit to draw (needed with ``by``).
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    InputError
        If the unit has no per-unit fit in ``its_frame``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np, pandas as pd
    >>> from asn_research import service
    >>> t = np.arange(24)
    >>> s = pd.DataFrame({"t": t, "y": 80 + 0.1 * t + 3.0 * (t >= 12) + np.tile([0.4, -0.4], 12)})
    >>> fit = service.interrupted_time_series(s, value="y", time="t", start=12)
    >>> ax = service.plot_its(s, fit, value="y", time="t")
    >>> len(ax.lines)  # observed, two fitted segments, counterfactual, start marker
    5
    """
    import matplotlib.pyplot as plt

    check_frame(its_frame, name="its_frame")
    check_columns(its_frame, ["term", "estimate", "start"])
    sel = its_frame
    rows = data
    if by is not None:
        check_columns(its_frame, [by])
        check_columns(data, [by])
        sel = its_frame[its_frame[by] == unit]
        rows = data[data[by] == unit]
    coef = sel.set_index("term")["estimate"]
    if not set(_ITS_TERMS) <= set(coef.index):
        raise InputError("no per-unit ITS fit for this unit in its_frame", column="term",
                         fix="pass the result of interrupted_time_series(pooled=False) and a "
                         "unit that has a start")
    t, monthly = _period_codes(rows[time], name=time)
    y = rows[value].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    s0 = _start_code(sel["start"].iloc[0], monthly)
    order = np.argsort(t)
    t, y = t[order], y[order]
    tc = t - s0
    a, b, c, d = (float(coef[k]) for k in _ITS_TERMS)
    fitted = a + b * tc + c * (tc >= 0) + d * tc * (tc >= 0)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot(t, y, "o", ms=3, color="0.35", label="observed")
    pre, post = tc < 0, tc >= 0
    ax.plot(t[pre], fitted[pre], "-", color="C0", label="fitted")
    ax.plot(t[post], fitted[post], "-", color="C0")
    ax.plot(t[post], (a + b * tc)[post], "--", color="C1", label="counterfactual (no change)")
    ax.axvline(s0 - 0.5, color="0.5", lw=0.8, ls=":")
    if monthly:
        ticks = t[::6]
        ax.set_xticks(ticks, [_label_period(v, True) for v in ticks], rotation=45, ha="right")
    ax.set_xlabel(time)
    ax.set_ylabel(value)
    ax.legend(fontsize=8, frameon=False)
    return ax
