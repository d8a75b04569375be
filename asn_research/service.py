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
* the store's log of dated service changes (:func:`read_interventions`) and which units
  an interrupted time series can use (:func:`its_plan`);
* the tables the service report shows and registers: the IKM per semester or year
  (:func:`period_ikm`), every unit's trend (:func:`trend_summary`) and the interrupted
  time series with the report's intervals beside the defaults (:func:`its_summary`,
  :data:`REPORT_SE`, :func:`interval_coverage`);
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

import dataclasses
import functools
import logging
import math
import os
import re
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
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
    "ELEMENT_LABELS",
    "GRADE_BANDS",
    "INTERVENTIONS_FILE",
    "PERFORMANCE_LABELS",
    "REPORT_SE",
    "SERVICE_USERS_FILE",
    "CiMethod",
    "Holiday",
    "PeriodKind",
    "SeMethod",
    "add_labels",
    "channel_gap",
    "channel_summary",
    "classify_ikm",
    "column_labels",
    "compare_units",
    "controlled_its",
    "element_scores",
    "holiday_calendar",
    "ikm",
    "interrupted_time_series",
    "interval_coverage",
    "its_plan",
    "its_summary",
    "krejcie_morgan",
    "month_calendar",
    "ols_trend",
    "period_ikm",
    "plot_element_heatmap",
    "plot_ikm_ranking",
    "plot_its",
    "plot_seasonality",
    "population_map",
    "read_interventions",
    "read_service_users",
    "round_half_up",
    "seasonality",
    "to_estimates",
    "trend_summary",
    "trend_test",
    "unit_labels",
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

SeMethod = Literal["hac", "classical", "max"]
"""Standard errors of the time-series regressions: HAC (Newey–West for one series,
Driscoll–Kraay pooled; the default), classical OLS, or the larger of the two per
coefficient (see ``docs/skm.md`` §8 for their coverage)."""

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
    return _holiday_table().copy()


@functools.cache
def _holiday_table() -> pd.DataFrame:
    cal = pd.DataFrame(_HOLIDAY_ROWS, columns=["hijri_year", "ramadan_start", "idul_fitri"])
    cal["ramadan_start"] = pd.to_datetime(cal["ramadan_start"])
    cal["idul_fitri"] = pd.to_datetime(cal["idul_fitri"])
    cal["lebaran_month"] = cal["idul_fitri"].dt.strftime("%Y-%m")
    return cal


def _check_calendar(calendar: pd.DataFrame | None) -> pd.DataFrame:
    if calendar is None:
        return _holiday_table()          # read only: never modified in place
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
    import calendar as _cal
    import datetime as _dt

    cal = _check_calendar(calendar)
    ser = pd.Series(list(months) if not isinstance(months, pd.Series) else months.tolist())
    codes = _month_codes(ser, name="months")
    years = set(cal["idul_fitri"].dt.year.tolist())
    lebaran = set(cal["idul_fitri"].dt.strftime("%Y-%m").tolist())
    spans = [(rs.date(), idf.date() - _dt.timedelta(days=1))
             for rs, idf in zip(cal["ramadan_start"], cal["idul_fitri"], strict=True)]
    seen: dict[int, dict[str, Any]] = {}
    rows = []
    for m, code in zip(ser.tolist(), codes.tolist(), strict=True):
        if code not in seen:
            y, mo = int(code) // 12, int(code) % 12 + 1
            if y not in years:
                raise InputError(f"the holiday calendar has no Idul Fitri in {y}",
                                 column="calendar",
                                 fix="append that year's ramadan_start and idul_fitri to "
                                 "service.holiday_calendar() and pass it as calendar=")
            n_days = _cal.monthrange(y, mo)[1]
            first, last = _dt.date(y, mo, 1), _dt.date(y, mo, n_days)
            days = sum(max(0, (min(last, b) - max(first, a)).days + 1) for a, b in spans)
            seen[code] = {"period": int(code), "month_of_year": mo,
                          "lebaran": int(f"{y}-{mo:02d}" in lebaran),
                          "ramadan_share": days / n_days}
        rows.append({"month": m, **seen[code]})
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
def _check_rank(x: np.ndarray, key: Sequence[Any], column: str) -> None:
    """Refuse a design whose columns are not separately identified (e.g. seasonal terms in
    two years of months, where the trend is a combination of the month dummies)."""
    r = np.abs(np.diag(np.linalg.qr(x, mode="r")))
    norms = np.linalg.norm(x, axis=0)
    if x.shape[0] < x.shape[1] or np.any(r <= 1e-10 * np.where(norms > 0, norms, 1.0)):
        raise InputError(f"the series {'.'.join(map(str, key)) or '(all rows)'}: the terms of "
                         "the model cannot be told apart with these periods (the design is "
                         "rank-deficient)", column=column,
                         fix="use seasonal=False, or a series of at least three years")


def _combine_cov(classical: np.ndarray, hac: np.ndarray, se: str) -> np.ndarray:
    """The covariance the intervals use: HAC, classical, or (``"max"``) a diagonal matrix of
    the larger of the two standard errors per coefficient."""
    if se == "hac":
        return hac
    if se == "classical":
        return classical
    return np.diag(np.maximum(np.diag(classical), np.diag(hac)))


def _ols_hac(y: np.ndarray, x: np.ndarray, lags: int, small_sample: bool = False,
             se: str = "hac") -> tuple[np.ndarray, np.ndarray, int, float]:
    """OLS with Newey–West covariance (Bartlett, ``lags``; n/(n−k) factor if small_sample),
    classical covariance, or the larger of the two SEs (``se``).

    Returns the coefficients, their covariance, the residual df and the lag-1
    autocorrelation of the residuals (a diagnostic of whether HAC SEs are needed).
    """
    from statsmodels.regression.linear_model import OLS

    fit = OLS(y, x).fit(method="qr")
    hac = fit.get_robustcov_results(cov_type="HAC", maxlags=lags,
                                    use_correction=bool(small_sample))
    r = np.asarray(fit.resid)
    acf1 = float(np.sum(r[1:] * r[:-1]) / np.sum(r * r)) if r.size > 2 and np.any(r) \
        else math.nan
    cov = _combine_cov(np.asarray(fit.cov_params()), np.asarray(hac.cov_params()), se)
    return np.asarray(fit.params), cov, int(round(fit.df_resid)), acf1


def _ols_dk(y: np.ndarray, x: np.ndarray, time_codes: np.ndarray, lags: int,
            small_sample: bool = False, se: str = "hac") -> tuple[np.ndarray, np.ndarray]:
    """OLS with Driscoll–Kraay covariance (time codes 0..T−1, Bartlett; n/(n−k) if asked),
    classical covariance, or the larger of the two SEs (``se``)."""
    from statsmodels.regression.linear_model import OLS

    fit = OLS(y, x).fit(method="qr")
    dk = fit.get_robustcov_results(cov_type="hac-groupsum", time=time_codes, maxlags=lags,
                                   use_correction="hac" if small_sample else False,
                                   df_correction=False)
    return np.asarray(fit.params), _combine_cov(np.asarray(fit.cov_params()),
                                                np.asarray(dk.cov_params()), se)


def _check_lags(hac_lags: Any) -> int:
    return _check_int(hac_lags, name="hac_lags", minimum=0)


def _check_bool(value: Any, *, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ConfigError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def _se_text(kind: str, lags: int, small_sample: bool, df_txt: str, se: str = "hac") -> str:
    factor = "n/(n-k) small-sample factor" if small_sample else "no small-sample factor"
    hac = f"{kind} SE (Bartlett, lag {lags}, no prewhitening, {factor})"
    if se == "classical":
        return f"classical OLS SE (independent, equal-variance errors), {df_txt}"
    if se == "max":
        return (f"SE = the larger of the classical OLS SE and the {hac} per coefficient "
                f"(Angrist & Pischke 2009, sec. 8.1), {df_txt}")
    return f"{hac}, {df_txt}"


def _check_se(se: Any) -> str:
    return check_choice(se, SeMethod, name="se")


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
    se: SeMethod = "hac",
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
    se : {"hac", "classical", "max"}, optional
        Standard errors: Newey–West (default), classical OLS, or the larger of the two
        per coefficient (see Notes).

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
    order: a missing period is treated as adjacent, as in R. ``se="classical"`` uses
    s²(X'X)⁻¹ (R: ``vcov(lm(...))``); ``se="max"`` the larger of the classical and the
    Newey–West SE of each coefficient (as configured by ``hac_lags`` and
    ``small_sample``), the hedge of Angrist & Pischke (2009, §8.1) against the downward
    bias of HAC SEs in short series — the report's choice (``docs/skm.md`` §8).

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
    se = _check_se(se)
    seasonal = _check_bool(seasonal, name="seasonal")
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
        _check_rank(x, key, value)
        params, cov, dfr, acf1 = _ols_hac(y, x, lags, small_sample, se)
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
                     + _se_text("Newey-West", lags, small_sample, "t(n-k)", se))
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
        Without month ids, with months outside the holiday calendar, with fewer than
        two years of data, or when the terms cannot be told apart (e.g. two years whose
        Lebaran falls in the same calendar month, as April 2023 and 2024).

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
    _check_rank(x, (), value)
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
    se: SeMethod = "hac",
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
    se : {"hac", "classical", "max"}, optional
        Standard errors: HAC (default: Newey–West per unit, Driscoll–Kraay pooled),
        classical OLS, or the larger of the two per coefficient (see Notes).

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
    see ``docs/skm.md`` §8 for the figures. ``se="max"`` takes, per coefficient, the
    larger of the classical OLS SE and the HAC SE (as configured by ``hac_lags`` and
    ``small_sample``) — the hedge of Angrist & Pischke (2009, §8.1); with
    ``seasonal=True`` and ``small_sample=True`` its intervals covered 94–95 % there, and
    it is what the service report registers. Under strongly autocorrelated monthly
    shocks no interval from 42 months reaches 95 % (§8).

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
    Angrist, J. D., & Pischke, J.-S. (2009). *Mostly Harmless Econometrics*. Princeton
    University Press (§8.1: the larger of conventional and robust standard errors).

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
    se = _check_se(se)
    seasonal = _check_bool(seasonal, name="seasonal")
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
            _check_rank(x, key, value)
            params, cov, dfr, acf1 = _ols_hac(y, x, lags, small_sample, se)
            for r in _coef_rows(names, params, cov, dfr, confidence)[:4]:
                row = dict(zip(by_t, key, strict=True))
                row.update(r)
                row.update({"estimand_id": _its_ids(name, r["term"], key), "n_obs": int(y.size),
                            "n_pre": int((t < s0).sum()), "n_post": int((t >= s0).sum()),
                            "n_units": 1, "start": _label_period(s0, monthly),
                            "resid_acf1": acf1, **common})
                rows.append(row)
        method = (f"segmented OLS value ~ time + post + time_since_start{seas} per unit; "
                  + _se_text("Newey-West", lags, small_sample, "t(n-k)", se))
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
        _check_rank(x, (), value)
        params, cov = _ols_dk(y_all, x, tcodes, lags, small_sample, se)
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
                  + _se_text("Driscoll-Kraay", lags, small_sample, "t(T-1)", se)
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
    se: SeMethod = "hac",
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
    hac_lags, small_sample, seasonal, holiday, calendar, confidence, name, se
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
        calendar=calendar, confidence=confidence, name=name, se=se)
    res["n_controls"] = len(ctrl)
    res["method"] = ("controlled ITS: segmented OLS of (unit - mean of comparison units) ~ time + "
                     "post + time_since_start" + (f" + month-of-year + {holiday}" if seasonal
                                                  else "")
                     + "; " + _se_text("Newey-West", lags, bool(small_sample), "t(n-k)",
                                       str(se)))
    cols = [c for c in res.columns if c != "method"] + ["method"]
    return res[cols]


# ============================================================================ service log
#: File name of a store's log of dated service changes (``<store>/interventions.yaml``).
INTERVENTIONS_FILE = "interventions.yaml"
_INTERVENTION_KEYS = ("id", "unit", "start", "label", "note")
_INTERVENTION_COLUMNS = ["intervention", "unit", "start", "label_id", "label_en", "note"]
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_LOG_FIX = ("write the file as 'interventions:' followed by one line per change, e.g. "
            "\"  - {id: online_permit, unit: bapenda_pbb, start: '2024-11'}\" (see docs/skm.md, "
            "'The log of service changes')")


def _yaml_lines(text: str) -> list[int | None]:
    """Line numbers (1-based) of the entries of the ``interventions`` list, if findable."""
    import yaml

    try:
        node = yaml.compose(text)
    except yaml.YAMLError:  # pragma: no cover - safe_load has already succeeded
        return []
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if getattr(key, "value", None) == "interventions" and isinstance(value,
                                                                         yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def read_interventions(store: str | os.PathLike[str]) -> pd.DataFrame:
    """The dated service changes a pemda logged in its store (``interventions.yaml``).

    A unit knows when it changed its service — the month online permit applications
    opened, a new queue system started — and writes it by hand into the store's log,
    ``<store>/interventions.yaml``. The service report reads it to date the interrupted
    time series (:func:`its_plan`); it never guesses a date from the data. The format is
    in ``docs/skm.md`` (*The log of service changes*)::

        interventions:
          - {id: online_permit, unit: bapenda_pbb, start: '2024-11',
             label: {id: 'Layanan izin daring', en: 'Online permit applications'}}

    Parameters
    ----------
    store : path
        The store folder (the file ``interventions.yaml`` in it is read), or the path of
        a log file itself (ending in ``.yaml`` or ``.yml``).

    Returns
    -------
    pandas.DataFrame
        One row per logged change, sorted by ``intervention``, ``start`` and ``unit``:
        ``intervention`` (the change's id, e.g. ``"online_permit"``), ``unit`` (the
        service-unit code), ``start`` (the first month the change applied, ``"YYYY-MM"``),
        ``label_id`` and ``label_en`` (its name in words; the id when not given), ``note``
        (free text, or NA). Empty, with these columns, when the file does not exist or
        lists no change.

    Raises
    ------
    InputError
        If the file cannot be read, is not valid YAML, or an entry lacks ``id``,
        ``unit`` or ``start``, has an unknown key, a start that is not a month
        ``'YYYY-MM'``, or repeats a change of the same unit; the message names the file,
        the line of the entry and the fix.

    Notes
    -----
    ``start`` is the first month in which the change applied to the unit's users: for a
    launch on 20 September, most of September's respondents were served the old way, so
    a pemda would write ``'2024-10'``. Dates are refused rather than rounded, since
    which month counts as the first is the pemda's judgement. Write the month in quotes
    (``'2024-09'``): YAML reads some unquoted values as numbers or dates.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from asn_research import service
    >>> store = pathlib.Path(tempfile.mkdtemp())
    >>> service.read_interventions(store).empty      # no log: no dated changes
    True
    >>> _ = (store / "interventions.yaml").write_text(
    ...     "interventions:\\n  - {id: online_permit, unit: bapenda_pbb, start: '2024-11'}\\n")
    >>> service.read_interventions(store)[["intervention", "unit", "start"]]
        intervention         unit    start
    0  online_permit  bapenda_pbb  2024-11
    """
    import yaml

    p = Path(store)
    path = p if p.suffix.lower() in (".yaml", ".yml") else p / INTERVENTIONS_FILE
    empty = pd.DataFrame({c: pd.Series(dtype="object") for c in _INTERVENTION_COLUMNS})
    if not path.is_file():
        logger.debug("no log of service changes at %s", path)
        return empty
    fname = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the log of service changes ({type(exc).__name__})",
                         file=fname, fix="save the file as UTF-8 text") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError("the log of service changes is not valid YAML", file=fname,
                         row=None if mark is None else mark.line + 1, fix=_LOG_FIX) from None
    if doc is None:
        return empty
    if not isinstance(doc, Mapping) or set(doc) != {"interventions"}:
        raise InputError("the log of service changes must have exactly one key, "
                         "'interventions'", file=fname, fix=_LOG_FIX)
    items = doc["interventions"]
    if items is None:
        return empty
    if not isinstance(items, list):
        raise InputError("'interventions' must be a list of changes", file=fname, fix=_LOG_FIX)
    lines = _yaml_lines(text)
    rows, seen = [], {}
    for i, item in enumerate(items):
        line = lines[i] if i < len(lines) else None
        where = dict(file=fname, row=line)
        if not isinstance(item, Mapping):
            raise InputError(f"entry {i + 1} is not a mapping of id, unit and start",
                             fix=_LOG_FIX, **where)
        unknown = sorted(set(map(str, item)) - set(_INTERVENTION_KEYS))
        if unknown:
            raise InputError(f"entry {i + 1} has an unknown key {unknown[0]!r}",
                             fix="use only the keys " + ", ".join(_INTERVENTION_KEYS), **where)
        missing = [k for k in ("id", "unit", "start") if item.get(k) in (None, "")]
        if missing:
            raise InputError(f"entry {i + 1} has no {missing[0]!r}", fix=_LOG_FIX, **where)
        iid, unit, start = item["id"], item["unit"], item["start"]
        if not isinstance(iid, str) or not _ID_RE.match(iid):
            raise InputError(f"entry {i + 1}: the id {iid!r} is not a lowercase identifier",
                             fix="use letters, digits and _ starting with a letter, e.g. "
                             "online_permit", **where)
        if not isinstance(unit, str) or not unit.strip():
            raise InputError(f"entry {i + 1}: the unit must be a service-unit code",
                             fix="write the unit's code as in the SKM data, e.g. bapenda_pbb",
                             **where)
        if not isinstance(start, str) or not _MONTH_RE.match(start.strip()):
            got = (f"the date {start}" if hasattr(start, "year") else repr(start))
            raise InputError(f"entry {i + 1}: start must be a month 'YYYY-MM'; got {got}",
                             fix="write the first month in which the change applied, in "
                             "quotes, e.g. start: '2024-09'", **where)
        label = item.get("label")
        if label is None:
            lab_id = lab_en = iid
        elif isinstance(label, str):
            lab_id = lab_en = label
        elif isinstance(label, Mapping) and set(label) <= {"id", "en"} and all(
                isinstance(v, str) for v in label.values()):
            lab_id = label.get("id") or label.get("en") or iid
            lab_en = label.get("en") or label.get("id") or iid
        else:
            raise InputError(f"entry {i + 1}: label must be text or {{id: …, en: …}}",
                             fix="write label: {id: 'Layanan izin daring', en: 'Online "
                             "permit applications'}", **where)
        note = item.get("note")
        if note is not None and not isinstance(note, str):
            raise InputError(f"entry {i + 1}: note must be text", fix="quote the note",
                             **where)
        key = (iid, unit.strip())
        if key in seen:
            raise InputError(f"entry {i + 1} repeats the change {iid!r} of unit "
                             f"{unit.strip()!r} (first in entry {seen[key]})",
                             fix="keep one entry per change and unit; for a relaunch use "
                             "another id", **where)
        seen[key] = i + 1
        rows.append({"intervention": iid, "unit": unit.strip(), "start": start.strip(),
                     "label_id": lab_id, "label_en": lab_en, "note": note})
    if not rows:
        return empty
    out = pd.DataFrame(rows, columns=_INTERVENTION_COLUMNS)
    out = out.sort_values(["intervention", "start", "unit"], kind="stable")
    return out.reset_index(drop=True)


_PLAN_COLUMNS = ["role", "intervention", "start", "n_pre", "n_post", "reason", "label_id",
                 "label_en"]


def its_plan(
    data: pd.DataFrame,
    interventions: pd.DataFrame,
    *,
    intervention: str = "online_permit",
    unit: str = "service_unit",
    time: str = "wave",
    min_periods: int = 3,
) -> pd.DataFrame:
    """Which units an interrupted time series can use, and how: treated, comparison, or not.

    Reads the log of service changes (:func:`read_interventions`) against the months the
    data hold, so that a report never fits a launch it cannot estimate and never uses a
    changed unit as a comparison.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per unit and month (e.g. :func:`ikm`), ``time`` holding month ids.
    interventions : pandas.DataFrame
        The log, as :func:`read_interventions` returns it (may be empty).
    intervention : str, optional
        The change to analyse (default ``"online_permit"``).
    unit, time : str, optional
        The unit and month columns (defaults ``"service_unit"``, ``"wave"``).
    min_periods : int, optional
        Months needed on each side of the start (default 3, as
        :func:`interrupted_time_series` requires).

    Returns
    -------
    pandas.DataFrame
        One row per unit in the data or in the log, treated units first: the ``unit``
        column; ``role``: ``"treated"`` (the change started with at least
        ``min_periods`` months on each side), ``"comparison"`` (no logged change in the
        months of the data) or ``"excluded"``; ``intervention`` and ``start``: the
        logged change that decides the role (NA for comparison units); ``n_pre``,
        ``n_post``: months observed before and from the start; ``reason``: why a unit is
        excluded, or why a unit with a later start is a comparison (NA otherwise);
        ``label_id``, ``label_en``: the change's name.

    Raises
    ------
    InputError
        If ``time`` does not hold month ids or the log lacks its columns.

    Notes
    -----
    A unit whose change starts after the last month of the data is still unchanged in
    every month observed, so it is a comparison unit (the reason says so). A unit with
    *another* logged change inside the data's months is excluded from the comparison
    group (that change would be attributed to the analysed one); a treated unit with
    another change keeps its role, and the reason names the other change.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import service
    >>> months = [f"2024-{m:02d}" for m in range(1, 13)]
    >>> tab = pd.DataFrame({"service_unit": ["a"] * 12 + ["b"] * 12, "wave": months * 2})
    >>> log = pd.DataFrame({"intervention": ["online_permit"], "unit": ["a"],
    ...                     "start": ["2024-07"], "label_id": ["Izin daring"],
    ...                     "label_en": ["Online permits"], "note": [None]})
    >>> service.its_plan(tab, log)[["service_unit", "role", "start", "n_pre", "n_post"]]
      service_unit        role    start  n_pre  n_post
    0            a     treated  2024-07      6       6
    1            b  comparison      NaN      0       0
    """
    check_frame(data)
    check_frame(interventions, name="interventions")
    check_columns(data, (unit, time))
    check_columns(interventions, ("intervention", "unit", "start"), role="log column")
    min_periods = _check_int(min_periods, name="min_periods", minimum=1)
    if not isinstance(intervention, str) or not _ID_RE.match(intervention):
        raise ConfigError(f"intervention must be a lowercase identifier such as "
                          f"'online_permit'; got {intervention!r}")
    codes = _month_codes(data[time], name=time)
    units = data[unit].astype("object").to_numpy()
    months_of: dict[Any, np.ndarray] = {}
    for u in pd.unique(units):
        months_of[u] = np.unique(codes[units == u])
    last = max((m.max() for m in months_of.values() if m.size), default=None)
    first = min((m.min() for m in months_of.values() if m.size), default=None)
    log = interventions
    rows = []
    for u in sorted(set(months_of) | set(log["unit"].astype(str)), key=str):
        mine = log[log["unit"].astype(str) == str(u)]
        this = mine[mine["intervention"] == intervention]
        other = mine[mine["intervention"] != intervention]
        m = months_of.get(u, np.array([], dtype=np.int64))
        other_in = [(r.intervention, r.start) for r in other.itertuples()
                    if last is not None and first < _start_code(r.start, True) <= last]
        other_txt = "; ".join(f"another change is logged: {i} from {s}" for i, s in other_in)
        row = {unit: u, "intervention": None, "start": None, "n_pre": 0, "n_post": 0,
               "reason": None, "label_id": None, "label_en": None}
        if not m.size:
            row.update(role="excluded", reason="no SKM results for this unit")
            if len(this):
                r0 = this.iloc[0]
                row.update(intervention=intervention, start=r0["start"],
                           label_id=r0.get("label_id"), label_en=r0.get("label_en"))
        elif len(this):
            r0 = this.iloc[0]
            s0 = _start_code(r0["start"], True)
            n_pre, n_post = int((m < s0).sum()), int((m >= s0).sum())
            row.update(intervention=intervention, start=r0["start"], n_pre=n_pre,
                       n_post=n_post, label_id=r0.get("label_id"), label_en=r0.get("label_en"))
            if n_post == 0 and not other_in:
                row.update(role="comparison", reason=f"starts {r0['start']}, after the last "
                           "month of the data: unchanged in every month observed")
            elif n_pre >= min_periods and n_post >= min_periods:
                row.update(role="treated", reason=other_txt or None)
            elif n_post == 0:
                row.update(role="excluded", reason=other_txt)
            else:
                short = ("before" if n_pre < min_periods else "from")
                k = n_pre if n_pre < min_periods else n_post
                row.update(role="excluded", reason=f"only {k} months observed {short} the "
                           f"start (at least {min_periods} needed)")
        elif other_in:
            i0, s0 = min(other_in, key=lambda x: x[1])
            c0 = _start_code(s0, True)
            row.update(role="excluded", intervention=i0, start=s0,
                       n_pre=int((m < c0).sum()), n_post=int((m >= c0).sum()),
                       reason=other_txt + " (not a clean comparison unit)")
            lab = other[other["intervention"] == i0].iloc[0]
            row.update(label_id=lab.get("label_id"), label_en=lab.get("label_en"))
        else:
            row.update(role="comparison")
        rows.append(row)
    out = pd.DataFrame(rows, columns=[unit, *_PLAN_COLUMNS])
    order = {"treated": 0, "comparison": 1, "excluded": 2}
    out = out.sort_values(by=[unit], kind="stable")
    out = out.iloc[np.argsort(out["role"].map(order).to_numpy(), kind="stable")]
    out["n_pre"] = out["n_pre"].astype(int)
    out["n_post"] = out["n_post"].astype(int)
    logger.debug("its_plan: months %s..%s", first, last)
    return out.reset_index(drop=True)


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


# ============================================================================ report tables
#: How the service report computes the intervals it registers for trends and the
#: interrupted time series (``docs/skm.md`` §8): seasonal terms when the series covers
#: three years (36 months), and the larger of the classical and the Newey–West / Driscoll–Kraay SE
#: (lag 3, n/(n−k) factor) per coefficient.
REPORT_SE: dict[str, Any] = {"se": "max", "hac_lags": 3, "small_sample": True}
_MIN_SEASONAL_MONTHS = 36
_ITS_ASSUMPTIONS = ("without the change, the unit's seasonally adjusted IKM would have "
                    "continued its pre-change line; nothing else changed at the start month")
_CITS_ASSUMPTIONS = ("without the change, the gap between the unit and the mean of the "
                     "comparison units would have continued its pre-change line; the "
                     "comparison units did not change at the same time")
_TREND_ASSUMPTIONS = "a linear trend plus season describes the unit's IKM over the months used"


def _seasonal_ok(months: Sequence[str], calendar: pd.DataFrame | None) -> bool:
    """Seasonal terms are used when the series spans three years inside the holiday table."""
    if len(set(months)) < _MIN_SEASONAL_MONTHS:
        return False
    years = set(_check_calendar(calendar)["idul_fitri"].dt.year.tolist())
    return all(int(str(m)[:4]) in years for m in months)


def _respondents(data: pd.DataFrame, unit: str, units: Sequence[Any], time: str,
                 before: str | None = None) -> int | None:
    """Respondents behind the unit-months used (the ``n_obs`` of an :func:`ikm` table)."""
    if "n_obs" not in data.columns:
        return None
    keep = data[unit].isin(list(units)).to_numpy().copy()
    if before is not None:
        keep &= _month_codes(data[time], name=time) < _start_code(before, True)
    n = pd.to_numeric(data["n_obs"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return int(np.nansum(n[keep]))


def _check_plan(plan: pd.DataFrame, unit: str) -> pd.DataFrame:
    check_frame(plan, name="plan")
    check_columns(plan, (unit, "role", "start", "n_pre"), role="plan column")
    return plan


def trend_summary(
    data: pd.DataFrame,
    plan: pd.DataFrame,
    *,
    unit: str = "service_unit",
    time: str = "wave",
    value: str = "estimate",
    confidence: float = 0.95,
    calendar: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The trend of every unit's IKM, as the service report registers it, with its checks.

    One row per unit of the plan that has data: the registered slope per month
    (``service.trend.<unit>``) with the report's interval (:data:`REPORT_SE`), the same
    slope with the functions' default interval (Newey–West lag 3, no seasonal terms) for
    comparison, and the Mann–Kendall test with Sen's slope over the same months.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per unit and month, e.g. :func:`ikm` (its ``n_obs`` gives
        ``n_respondents``).
    plan : pandas.DataFrame
        :func:`its_plan` of the same data.
    unit, time, value : str, optional
        Columns (defaults ``"service_unit"``, ``"wave"``, ``"estimate"``).
    confidence : float, optional
        Interval level (default 0.95).
    calendar : pandas.DataFrame, optional
        Holiday table (default :func:`holiday_calendar`).

    Returns
    -------
    pandas.DataFrame
        The ``unit`` column; ``estimand_id``; ``role`` (from the plan); ``basis``
        (``"whole_series"``: OLS trend; ``"its_pre_trend"``: the pre-change slope of the
        unit's interrupted time series; ``"pre_change_months"``: OLS trend on the months
        before a logged change); ``seasonal`` (month-of-year and Lebaran terms used: when
        the unit's series spans three years, 36 months); ``n_obs`` (months), ``n_respondents``;
        ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``statistic``, ``p_value``,
        ``df``, ``resid_acf1``, ``confidence``, ``method``, ``assumptions``;
        ``default_estimate``, ``default_se``, ``default_ci_low``, ``default_ci_high``
        (:func:`ols_trend` / :func:`interrupted_time_series` with their defaults);
        ``sen_estimate``, ``sen_ci_low``, ``sen_ci_high``, ``mk_tau``, ``mk_p_value``
        and ``mk_refused`` (:func:`trend_test` over the same months); ``refused`` (why no
        trend could be fitted, else NA).

    Raises
    ------
    InputError
        If ``time`` does not hold month ids, or the plan lacks its columns.

    Notes
    -----
    For a unit whose online permits started (role ``treated``), the catalogue's trend is
    the pre-change slope *b* of the segmented regression, so the registered value comes
    from :func:`interrupted_time_series` with the report's settings; Mann–Kendall/Sen use
    the months before the start only. The intervals and their coverage are discussed in
    ``docs/skm.md`` §8.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from asn_research import service
    >>> months = [f"{2023 + m // 12}-{m % 12 + 1:02d}" for m in range(36)]
    >>> y = 80 + 0.1 * np.arange(36) + np.tile([0.5, -0.5], 18)   # a trend and a season
    >>> tab = pd.DataFrame({"service_unit": "a", "wave": months, "estimate": y})
    >>> plan = service.its_plan(tab, service.read_interventions("no-such-folder"))
    >>> out = service.trend_summary(tab, plan)
    >>> out[["service_unit", "basis", "seasonal", "estimate"]].round(3)
      service_unit         basis  seasonal  estimate
    0            a  whole_series      True       0.1
    """
    _check_plan(plan, unit)
    check_columns(data, (unit, time, value))
    confidence = check_confidence(confidence)
    rows = []
    for _, p in plan.iterrows():
        u = p[unit]
        sub = data[data[unit] == u]
        if sub.empty:
            continue
        months = sub[time].astype(str)
        role, start = p["role"], p["start"]
        row: dict[str, Any] = {unit: u, "estimand_id": _key_id("service.trend", [u]),
                               "role": role, "refused": None}
        if role == "treated":
            basis, used = "its_pre_trend", sub
        elif start is not None and not pd.isna(start) and role == "excluded":
            basis = "pre_change_months"
            used = sub[_month_codes(months, name=time) < _start_code(start, True)]
        else:
            basis, used = "whole_series", sub
        row["basis"] = basis
        seas = _seasonal_ok(used[time].astype(str).tolist() if basis != "its_pre_trend"
                            else months.tolist(), calendar)
        row["seasonal"] = seas
        row["n_obs"] = int(used[value].notna().sum()) if basis != "its_pre_trend" else \
            int(p["n_pre"])
        row["n_respondents"] = _respondents(
            data, unit, [u], time, before=start if basis != "whole_series" else None)
        pre = used if basis != "its_pre_trend" else \
            sub[_month_codes(months, name=time) < _start_code(start, True)]
        try:
            if basis == "its_pre_trend":
                reg = interrupted_time_series(sub, value=value, time=time, by=unit,
                                              start={u: start}, seasonal=seas,
                                              calendar=calendar, confidence=confidence,
                                              **REPORT_SE)
                dft = interrupted_time_series(sub, value=value, time=time, by=unit,
                                              start={u: start}, confidence=confidence)
                reg, dft = (f[f["term"] == "trend"].iloc[0] for f in (reg, dft))
            else:
                reg = ols_trend(used, value=value, time=time, by=unit, seasonal=seas,
                                calendar=calendar, confidence=confidence, **REPORT_SE).iloc[0]
                dft = ols_trend(used, value=value, time=time, by=unit,
                                confidence=confidence).iloc[0]
        except InputError as exc:
            row["refused"] = exc.message
            reg = dft = None
        for c in ("estimate", "se", "ci_low", "ci_high", "statistic", "p_value", "df",
                  "resid_acf1"):
            row[c] = math.nan if reg is None else float(reg[c])
        row["method"] = "" if reg is None else (
            reg["method"] + ("; the pre-change slope of the segmented regression"
                             if basis == "its_pre_trend" else "")
            + ("; months before the logged change only" if basis == "pre_change_months"
               else ""))
        row["assumptions"] = _ITS_ASSUMPTIONS if basis == "its_pre_trend" else \
            _TREND_ASSUMPTIONS
        for c in ("estimate", "se", "ci_low", "ci_high"):
            row[f"default_{c}"] = math.nan if dft is None else float(dft[c])
        mk = trend_test(pre, value=value, time=time, by=unit, confidence=confidence).iloc[0] \
            if len(pre) else None
        row["sen_estimate"] = math.nan if mk is None else mk["estimate"]
        row["sen_ci_low"] = math.nan if mk is None else mk["ci_low"]
        row["sen_ci_high"] = math.nan if mk is None else mk["ci_high"]
        row["mk_tau"] = math.nan if mk is None else mk["tau"]
        row["mk_p_value"] = math.nan if mk is None else mk["p_value"]
        row["mk_refused"] = "no months before the change" if mk is None else mk["refused"]
        row["confidence"] = confidence
        rows.append(row)
    cols = [unit, "estimand_id", "role", "basis", "seasonal", "n_obs", "n_respondents",
            "estimate", "se", "ci_low", "ci_high", "statistic", "p_value", "df", "resid_acf1",
            "confidence", "method", "assumptions", "default_estimate", "default_se",
            "default_ci_low", "default_ci_high", "sen_estimate", "sen_ci_low", "sen_ci_high",
            "mk_tau", "mk_p_value", "mk_refused", "refused"]
    out = pd.DataFrame(rows, columns=cols)
    out["n_respondents"] = out["n_respondents"].astype("Int64")
    return out


_ITS_COLUMNS = ["model", "term", "estimand_id", "estimate", "se", "ci_low", "ci_high",
                "statistic", "p_value", "df", "n_obs", "n_respondents", "n_pre", "n_post",
                "n_units", "n_controls", "start", "seasonal", "resid_acf1", "confidence",
                "method", "assumptions", "default_estimate", "default_se", "default_ci_low",
                "default_ci_high", "default_method"]


def its_summary(
    data: pd.DataFrame,
    plan: pd.DataFrame,
    *,
    unit: str = "service_unit",
    time: str = "wave",
    value: str = "estimate",
    confidence: float = 0.95,
    calendar: pd.DataFrame | None = None,
    name: str = "online_permit",
) -> pd.DataFrame:
    """The interrupted time series of a logged change: per unit, pooled and controlled.

    Fits the three analyses of a dated change for the units the plan marks ``treated``
    — each unit's own segmented regression, the pooled model over treated and comparison
    units, and each unit against the mean of the comparison units — each with the
    report's interval (:data:`REPORT_SE`, seasonal terms when the series spans two
    years) and, beside it, the functions' default interval (no seasonal terms,
    Newey–West / Driscoll–Kraay lag 3, no small-sample factor).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per unit and month, e.g. :func:`ikm`.
    plan : pandas.DataFrame
        :func:`its_plan` of the same data.
    unit, time, value : str, optional
        Columns (defaults ``"service_unit"``, ``"wave"``, ``"estimate"``).
    confidence : float, optional
        Interval level (default 0.95).
    calendar : pandas.DataFrame, optional
        Holiday table (default :func:`holiday_calendar`).
    name : str, optional
        The change's name in the estimand ids (default ``"online_permit"``).

    Returns
    -------
    pandas.DataFrame
        One row per model, unit and term: ``model`` (``"per_unit"``, ``"pooled"``,
        ``"controlled"``), the ``unit`` column (NA when pooled), ``term``
        (``counterfactual_at_start``, ``trend``, ``level_change``, ``slope_change``; the
        pooled model has the last two), ``estimand_id`` (the catalogue id for the
        level and slope changes of the per-unit and pooled models; NA for the other rows,
        which the report shows but does not register), ``estimate``, ``se``, ``ci_low``,
        ``ci_high``, ``statistic``, ``p_value``, ``df``, ``n_obs`` (unit-months),
        ``n_respondents``, ``n_pre``, ``n_post``, ``n_units`` (treated units),
        ``n_controls``, ``start``, ``seasonal``, ``resid_acf1``, ``confidence``,
        ``method``, ``assumptions``, and ``default_estimate``, ``default_se``,
        ``default_ci_low``, ``default_ci_high``, ``default_method`` (the same model with
        the functions' defaults). Empty, with these columns, when no unit is treated.

    Raises
    ------
    InputError
        If ``time`` does not hold month ids or the plan lacks its columns.

    Notes
    -----
    The controlled model has no seasonal terms: the comparison mean carries the season,
    which cancels in the difference. The pooled model's default (the issue's
    specification) is Driscoll–Kraay lag 3; the report's interval takes the larger of
    the classical and the Driscoll–Kraay SE (lag 3, n/(n−k)) with t(T − 1). Excluded
    units are left out of every model. The design is associational (``docs/skm.md``
    §6): the change is dated, not randomized.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from asn_research import service
    >>> months = [f"2024-{m:02d}" for m in range(1, 13)] + [f"2025-{m:02d}" for m in range(1, 13)]
    >>> t = np.arange(24)
    >>> shock = np.tile([0.6, -0.6, 0.3, -0.3], 6)
    >>> tab = pd.DataFrame({"service_unit": ["a"] * 24 + ["b"] * 24, "wave": months * 2,
    ...                     "estimate": np.r_[80 + 0.1 * t + 3 * (t >= 12) + shock,
    ...                                      75 + 0.05 * t + shock]})
    >>> log = pd.DataFrame({"intervention": ["online_permit"], "unit": ["a"],
    ...                     "start": ["2025-01"]})
    >>> out = service.its_summary(tab, service.its_plan(tab, log))
    >>> out.loc[out["term"] == "level_change", ["model", "estimate"]].round(2)  # shock cancels
            model  estimate
    2    per_unit      3.23
    4      pooled      3.23
    8  controlled      3.00
    """
    _check_plan(plan, unit)
    check_columns(data, (unit, time, value))
    confidence = check_confidence(confidence)
    treated = plan[plan["role"] == "treated"]
    comparison = [u for u in plan.loc[plan["role"] == "comparison", unit]
                  if (data[unit] == u).any()]
    if treated.empty:
        text = {"model", "term", "estimand_id", "start", "method", "assumptions",
                "default_method"}
        empty = {c: pd.Series(dtype="object" if c in text or c == unit else "float64")
                 for c in [unit, *_ITS_COLUMNS]}
        empty.update(n_respondents=pd.Series(dtype="Int64"), seasonal=pd.Series(dtype=bool))
        return pd.DataFrame(empty)
    starts = dict(zip(treated[unit], treated["start"], strict=True))
    used = data[data[unit].isin([*starts, *comparison])]
    tr = used[used[unit].isin(list(starts))]
    seas = _seasonal_ok(tr[time].astype(str).tolist(), calendar)
    common = dict(value=value, time=time, confidence=confidence, name=name)
    per = interrupted_time_series(tr, by=unit, start=starts, seasonal=seas, calendar=calendar,
                                  **REPORT_SE, **common)
    per_d = interrupted_time_series(tr, by=unit, start=starts, **common)
    blocks = [("per_unit", per, per_d, _ITS_ASSUMPTIONS)]
    pooled_seas = _seasonal_ok(used[time].astype(str).tolist(), calendar)
    pooled = interrupted_time_series(used, by=unit, start=starts, pooled=True,
                                     seasonal=pooled_seas, calendar=calendar, **REPORT_SE,
                                     **common)
    pooled_d = interrupted_time_series(used, by=unit, start=starts, pooled=True, **common)
    blocks.append(("pooled", pooled, pooled_d, _ITS_ASSUMPTIONS
                   + "; the comparison units' lines continued as fitted"))
    if comparison:
        cstart = {**starts, **dict.fromkeys(comparison)}
        ctl = controlled_its(used, unit=unit, start=cstart, controls=comparison,
                             **REPORT_SE, **common)
        ctl_d = controlled_its(used, unit=unit, start=cstart, controls=comparison, **common)
        blocks.append(("controlled", ctl, ctl_d, _CITS_ASSUMPTIONS))
    frames = []
    for model, reg, dft, assume in blocks:
        f = reg.copy()
        f.insert(0, "model", model)
        key = [unit, "term"] if model != "pooled" else ["term"]
        d = dft.set_index(key)
        idx = pd.MultiIndex.from_frame(f[key]) if len(key) > 1 else pd.Index(f["term"])
        for c in ("estimate", "se", "ci_low", "ci_high"):
            f[f"default_{c}"] = d.loc[idx, c].to_numpy()
        f["default_method"] = str(dft["method"].iloc[0])
        f["assumptions"] = assume
        f["seasonal"] = (pooled_seas if model == "pooled" else seas if model == "per_unit"
                         else False)
        if model != "controlled":
            f["n_controls"] = len(comparison) if model == "pooled" else 0
        if model == "controlled":
            f["estimand_id"] = None
        keep = f["term"].isin(["level_change", "slope_change"])
        f.loc[~keep, "estimand_id"] = None
        if model == "pooled":
            f["n_respondents"] = _respondents(data, unit, [*starts, *comparison], time)
        else:
            f["n_respondents"] = [_respondents(data, unit, [u], time) for u in f[unit]]
        frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    out["n_controls"] = out["n_controls"].astype(int)
    out["n_respondents"] = out["n_respondents"].astype("Int64")
    return out[[unit, *_ITS_COLUMNS]]


PeriodKind = Literal["semester", "quarter", "year"]
_PERIOD_MONTHS = {"semester": 6, "quarter": 3, "year": 12}


def _period_of(months: pd.Series, kind: str, name: str) -> pd.Series:
    codes = _month_codes(months, name=name)
    y, m = codes // 12, codes % 12 + 1
    if kind == "semester":
        lab = [f"{a}-{1 if b <= 6 else 2}" for a, b in zip(y, m, strict=True)]
    elif kind == "quarter":
        lab = [f"{a}-Q{(b - 1) // 3 + 1}" for a, b in zip(y, m, strict=True)]
    else:
        lab = [f"{a}" for a in y]
    return pd.Series(lab, index=months.index, dtype="object")


def period_ikm(
    data: pd.DataFrame,
    *,
    period: PeriodKind = "semester",
    unit: str = "service_unit",
    month: str = "wave",
    population: str | Mapping[Any, int] | None = None,
    elements: Sequence[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """The IKM per unit and semester, quarter or year, as units publish it.

    Many units publish their SKM per semester or year (PermenPANRB 14/2017 asks for at
    least one survey a year). The index of a period pools the period's respondents —
    it is not the average of the monthly indices — exactly as :func:`ikm` computes it for
    a month.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent, element answers 1–4 and a month column.
    period : {"semester", "quarter", "year"}, optional
        The reporting period (default ``"semester"``: January–June is ``YYYY-1``,
        July–December ``YYYY-2``, as the wave calendar).
    unit, month : str, optional
        The unit and month columns (defaults ``"service_unit"``, ``"wave"``).
    population : str or mapping, optional
        Service users per unit and period, for the Krejcie–Morgan check (see :func:`ikm`;
        a mapping may be keyed by ``(unit, period id)``).
    elements : sequence of str, optional
        Element columns (default all nine).
    confidence : float, optional
        Interval level (default 0.95).

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`ikm` with ``by = (unit, period)`` — the ``period`` column
        holds the period id (``"2025-1"``, ``"2025-Q3"``, ``"2025"``) — plus
        ``n_months`` (months with respondents), ``months_in_period`` and ``complete``
        (every month of the period has respondents). ``estimand_id`` is NA: the
        catalogue's IKM is monthly.

    Raises
    ------
    InputError
        If ``month`` does not hold month ids ``"YYYY-MM"`` (and as :func:`ikm`).
    ConfigError
        For an unknown ``period``.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import service
    >>> df = pd.DataFrame({"service_unit": "u", "wave": ["2025-01", "2025-02", "2025-07"],
    ...                    "waktu": [3, 4, 2], "biaya": [4, 4, 3]})
    >>> out = service.period_ikm(df, elements=["waktu", "biaya"])
    >>> out[["service_unit", "semester", "n_months", "complete", "n_obs", "ikm"]]
      service_unit semester  n_months  complete  n_obs    ikm
    0            u   2025-1         2     False      2  93.75
    1            u   2025-2         1     False      1  62.50
    """
    check_frame(data)
    check_choice(period, PeriodKind, name="period")
    check_columns(data, (unit, month))
    if period in data.columns:
        raise InputError(f"the data already have a column {period!r}", column=period,
                         fix="rename it before calling period_ikm")
    frame = data.assign(**{period: _period_of(data[month], period, month)})
    out = ikm(frame, by=(unit, period), elements=elements, population=population,
              confidence=confidence)
    counts = frame.groupby([unit, period], sort=True)[month].nunique()
    idx = pd.MultiIndex.from_frame(out[[unit, period]])
    out.insert(2, "n_months", counts.loc[idx].to_numpy().astype(int))
    out.insert(3, "months_in_period", _PERIOD_MONTHS[period])
    out.insert(4, "complete", out["n_months"] == _PERIOD_MONTHS[period])
    out["estimand_id"] = None
    return out


def unit_labels(lang: str = "id") -> dict[str, str]:
    """Names of the service units in the report language (the SKM instrument's list).

    Parameters
    ----------
    lang : {"id", "en"}, optional
        Language of the names (default Indonesian).

    Returns
    -------
    dict of str to str
        Unit code → name, e.g. ``"bapenda_pbb"`` → ``"Bapenda — Layanan PBB dan BPHTB"``.

    Raises
    ------
    ConfigError
        For a language other than "id" or "en".

    Examples
    --------
    >>> from asn_research import service
    >>> service.unit_labels("en")["bapenda_pbb"]
    'Bapenda — Property tax services'
    """
    check_choice(lang, ("id", "en"), name="lang")
    from .instruments import load_instrument

    choices = load_instrument("skm").choice_list("service_unit").choices
    return {str(c.value): (c.label_id if lang == "id" else c.label_en) for c in choices}


#: Coverage of the 95 % intervals in the Monte Carlo of ``benchmarks/coverage_service.py``
#: (kept equal to ``benchmarks/results/coverage_service.json`` by a test): quantity,
#: interval, registered by the report, the benchmark's key, intervals, intervals covering.
_COVERAGE: tuple[tuple[str, str, bool, str, int, int], ...] = (
    ("ikm", "linearized_t", True, "ikm.linearization", 168000, 159190),
    ("nrr", "linearized_t", True, "nrr", 36000, 34288),
    ("trend_comparison_units", "report", True, "trend.registered.comparison_units", 2800, 2681),
    ("trend_comparison_units", "default_hac", False, "trend.default.comparison_units", 2800, 2639),
    ("trend_launch_units", "report", True, "trend.registered.launch_units", 1200, 1134),
    ("trend_launch_units", "default_hac", False, "trend.default.launch_units", 1200, 1009),
    ("level_change", "report", True, "its.level_change.registered", 1200, 1133),
    ("level_change", "default_hac", False, "its.level_change.default", 1200, 1041),
    ("slope_change", "report", True, "its.slope_change.registered", 1200, 1135),
    ("slope_change", "default_hac", False, "its.slope_change.default", 1200, 994),
    ("level_change_pooled", "report", True, "its.level_change.registered.pooled", 400, 381),
    ("level_change_pooled", "default_hac", False, "its.level_change.default.pooled", 400, 371),
    ("slope_change_pooled", "report", True, "its.slope_change.registered.pooled", 400, 394),
    ("slope_change_pooled", "default_hac", False, "its.slope_change.default.pooled", 400, 337),
    ("level_change_controlled", "report_no_season", False,
     "its.level_change.registered.controlled", 1200, 1151),
    ("level_change_controlled", "default_hac", False,
     "its.level_change.default.controlled", 1200, 1019),
    ("slope_change_controlled", "report_no_season", False,
     "its.slope_change.registered.controlled", 1200, 1142),
    ("slope_change_controlled", "default_hac", False,
     "its.slope_change.default.controlled", 1200, 997),
    ("channel_gap", "cluster_unit_month", True, "channel_gap", 400, 381),
    ("level_change", "report_stress", False, "stress.its.level_change.registered", 600, 529),
    ("level_change", "default_hac_stress", False, "stress.its.level_change.default", 600, 493),
    ("slope_change", "report_stress", False, "stress.its.slope_change.registered", 600, 525),
    ("slope_change", "default_hac_stress", False, "stress.its.slope_change.default", 600, 458),
)


def interval_coverage() -> pd.DataFrame:
    """How often the module's 95 % intervals covered the truth in simulated SKM worlds.

    The figures of ``benchmarks/coverage_service.py`` (``docs/skm.md`` §8), as a table a
    report can show next to its intervals.

    Returns
    -------
    pandas.DataFrame
        One row per quantity and interval: ``quantity`` and ``interval`` (codes; names
        via :func:`add_labels`), ``registered`` (the interval the service report records
        in the register), ``source`` (the benchmark's key), ``n_intervals``,
        ``n_covered``, ``coverage``, ``coverage_ci_low``, ``coverage_ci_high`` (exact
        binomial 95 % interval of the coverage).

    Examples
    --------
    >>> from asn_research import service
    >>> tab = service.interval_coverage()
    >>> bool(tab["registered"].any()), bool((tab["coverage"] <= 1).all())
    (True, True)
    """
    rows = []
    for quantity, interval, registered, source, n, k in _COVERAGE:
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
        rows.append({"quantity": quantity, "interval": interval, "registered": registered,
                     "source": source, "n_intervals": n, "n_covered": k, "coverage": k / n,
                     "coverage_ci_low": float(ci.low), "coverage_ci_high": float(ci.high)})
    return pd.DataFrame(rows, columns=["quantity", "interval", "registered", "source",
                                       "n_intervals", "n_covered", "coverage",
                                       "coverage_ci_low", "coverage_ci_high"])


#: File name of a store's counts of service users (``<store>/service_users.yaml``).
SERVICE_USERS_FILE = "service_users.yaml"
_USERS_FIX = ("write the file as 'service_users:' followed by one line per unit and period, "
              "e.g. \"  - {unit: bapenda_pbb, period: '2025-1', users: 15000}\" (see "
              "docs/skm.md, 'Service users')")
_PERIOD_RE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]|[12]|Q[1-4]))?$")


def read_service_users(store: str | os.PathLike[str]) -> pd.DataFrame:
    """How many people each unit served per period (``service_users.yaml``), if recorded.

    The regulation sets the SKM sample size from the number of service users in the
    survey period (Krejcie & Morgan 1970, :func:`krejcie_morgan`). A unit knows that
    number from its service register; the store keeps it in
    ``<store>/service_users.yaml`` (format in ``docs/skm.md``, *Service users*)::

        service_users:
          - {unit: bapenda_pbb, period: '2025-1', users: 15000}
          - {unit: bapenda_pbb, period: '2025-06', users: 2600}

    Parameters
    ----------
    store : path
        The store folder, or the path of the file itself (``.yaml``/``.yml``).

    Returns
    -------
    pandas.DataFrame
        ``unit``, ``period`` (a month ``YYYY-MM``, semester ``YYYY-1``/``YYYY-2``,
        quarter ``YYYY-Qn`` or year ``YYYY``), ``users`` (int); sorted. Empty, with these
        columns, when the file does not exist.

    Raises
    ------
    InputError
        If the file is not valid YAML, or an entry lacks a key, has an unknown key, a
        period that is not a wave id of those kinds, a count that is not a positive whole
        number, or repeats a unit and period; the message names the file, line and fix.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from asn_research import service
    >>> store = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (store / "service_users.yaml").write_text(
    ...     "service_users:\\n  - {unit: u1, period: '2024-01', users: 300}\\n")
    >>> users = service.read_service_users(store)
    >>> service.population_map(users)
    {('u1', '2024-01'): 300}
    """
    import yaml

    p = Path(store)
    path = p if p.suffix.lower() in (".yaml", ".yml") else p / SERVICE_USERS_FILE
    empty = pd.DataFrame({"unit": pd.Series(dtype="object"),
                          "period": pd.Series(dtype="object"),
                          "users": pd.Series(dtype="int64")})
    if not path.is_file():
        return empty
    fname = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        doc = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the counts of service users ({type(exc).__name__})",
                         file=fname, fix="save the file as UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError("the counts of service users are not valid YAML", file=fname,
                         row=None if mark is None else mark.line + 1, fix=_USERS_FIX) from None
    if doc is None:
        return empty
    if not isinstance(doc, Mapping) or set(doc) != {"service_users"}:
        raise InputError("the file must have exactly one key, 'service_users'", file=fname,
                         fix=_USERS_FIX)
    items = doc["service_users"] or []
    if not isinstance(items, list):
        raise InputError("'service_users' must be a list", file=fname, fix=_USERS_FIX)
    lines = []
    node = yaml.compose(text)
    for key, value in getattr(node, "value", []):
        if getattr(key, "value", None) == "service_users" and isinstance(value,
                                                                          yaml.SequenceNode):
            lines = [item.start_mark.line + 1 for item in value.value]
    rows, seen = [], set()
    for i, item in enumerate(items):
        where = dict(file=fname, row=lines[i] if i < len(lines) else None)
        if not isinstance(item, Mapping):
            raise InputError(f"entry {i + 1} is not a mapping of unit, period and users",
                             fix=_USERS_FIX, **where)
        unknown = sorted(set(map(str, item)) - {"unit", "period", "users"})
        if unknown:
            raise InputError(f"entry {i + 1} has an unknown key {unknown[0]!r}",
                             fix="use only the keys unit, period, users", **where)
        missing = [k for k in ("unit", "period", "users") if item.get(k) in (None, "")]
        if missing:
            raise InputError(f"entry {i + 1} has no {missing[0]!r}", fix=_USERS_FIX, **where)
        unit, period, users = item["unit"], item["period"], item["users"]
        if not isinstance(unit, str) or not unit.strip():
            raise InputError(f"entry {i + 1}: the unit must be a service-unit code",
                             fix="write the unit's code as in the SKM data", **where)
        if isinstance(period, int) and not isinstance(period, bool):
            period = str(period)                       # a year written without quotes
        if not isinstance(period, str) or not _PERIOD_RE.match(period.strip()):
            raise InputError(f"entry {i + 1}: period must be a month 'YYYY-MM', a semester "
                             f"'YYYY-1' or 'YYYY-2', a quarter 'YYYY-Q1' or a year 'YYYY'; got "
                             f"{period!r}", fix="write the period in quotes, e.g. '2025-1'",
                             **where)
        if isinstance(users, bool) or not isinstance(users, int) or users < 1:
            raise InputError(f"entry {i + 1}: users must be a positive whole number; got "
                             f"{users!r}", fix="write the number of users without separators, "
                             "e.g. 15000", **where)
        key = (unit.strip(), period.strip())
        if key in seen:
            raise InputError(f"entry {i + 1} repeats unit {key[0]!r} and period {key[1]!r}",
                             fix="keep one count per unit and period", **where)
        seen.add(key)
        rows.append({"unit": key[0], "period": key[1], "users": int(users)})
    if not rows:
        return empty
    out = pd.DataFrame(rows).sort_values(["unit", "period"], kind="stable")
    return out.reset_index(drop=True)


def population_map(users: pd.DataFrame) -> dict[tuple[str, str], int]:
    """The counts of :func:`read_service_users` as ``population=`` for :func:`ikm`.

    Parameters
    ----------
    users : pandas.DataFrame
        ``unit``, ``period``, ``users`` (as :func:`read_service_users` returns them).

    Returns
    -------
    dict of (str, str) to int
        ``(unit, period) → users``: :func:`ikm` with ``by=(unit, month)`` finds the
        monthly counts, :func:`period_ikm` the semester or year counts.

    Raises
    ------
    InputError
        If a column is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import service
    >>> service.population_map(pd.DataFrame({"unit": ["u"], "period": ["2025"],
    ...                                      "users": [900]}))
    {('u', '2025'): 900}
    """
    check_frame(users, name="users")
    check_columns(users, ("unit", "period", "users"))
    return {(str(u), str(p)): int(n) for u, p, n in
            zip(users["unit"], users["period"], users["users"], strict=True)}


# ============================================================================ words for reports
#: The elements' names (the regulation's *unsur*) in Indonesian and English.
ELEMENT_LABELS: dict[str, dict[str, str]] = {
    "persyaratan": {"id": "Persyaratan", "en": "Requirements"},
    "prosedur": {"id": "Sistem, mekanisme, dan prosedur", "en": "Procedure"},
    "waktu": {"id": "Waktu penyelesaian", "en": "Completion time"},
    "biaya": {"id": "Biaya/tarif", "en": "Cost or fee"},
    "produk": {"id": "Produk spesifikasi jenis pelayanan", "en": "Product specification"},
    "kompetensi": {"id": "Kompetensi pelaksana", "en": "Staff competence"},
    "perilaku": {"id": "Perilaku pelaksana", "en": "Staff behaviour"},
    "pengaduan": {"id": "Penanganan pengaduan, saran dan masukan",
                  "en": "Complaint handling"},
    "sarana": {"id": "Sarana dan prasarana", "en": "Facilities"},
}

_ELEMENT_SHORT: dict[str, tuple[str, str]] = {
    "persyaratan": ("U1 Persyaratan", "U1 Requirements"), "prosedur": ("U2 Prosedur",
                                                                       "U2 Procedure"),
    "waktu": ("U3 Waktu", "U3 Time"), "biaya": ("U4 Biaya", "U4 Cost"),
    "produk": ("U5 Produk", "U5 Product"), "kompetensi": ("U6 Kompetensi", "U6 Competence"),
    "perilaku": ("U7 Perilaku", "U7 Behaviour"), "pengaduan": ("U8 Pengaduan", "U8 Complaints"),
    "sarana": ("U9 Sarana", "U9 Facilities"),
}

_CODE_LABELS: dict[str, dict[str, dict[str, str]]] = {
    "performance": {k: v for k, v in PERFORMANCE_LABELS.items()},
    "role": {"treated": {"id": "berubah (dianalisis)", "en": "changed (analysed)"},
             "comparison": {"id": "pembanding", "en": "comparison"},
             "excluded": {"id": "tidak dipakai", "en": "not used"}},
    "basis": {"whole_series": {"id": "seluruh bulan", "en": "all months"},
              "its_pre_trend": {"id": "sebelum perubahan (model ITS)",
                                "en": "before the change (ITS model)"},
              "pre_change_months": {"id": "bulan sebelum perubahan",
                                    "en": "months before the change"}},
    "model": {"per_unit": {"id": "per unit", "en": "per unit"},
              "pooled": {"id": "gabungan", "en": "pooled"},
              "controlled": {"id": "dengan unit pembanding", "en": "against comparison units"}},
    "term": {"level_change": {"id": "perubahan tingkat", "en": "level change"},
             "slope_change": {"id": "perubahan tren (per bulan)",
                              "en": "slope change (per month)"},
             "trend": {"id": "tren sebelum perubahan", "en": "pre-change trend"},
             "counterfactual_at_start": {"id": "garis tanpa perubahan saat mulai",
                                         "en": "no-change line at the start"}},
    "quantity": {"ikm": {"id": "IKM per unit-bulan", "en": "IKM per unit-month"},
                 "nrr": {"id": "NRR per unit dan unsur", "en": "NRR per unit and element"},
                 "trend_comparison_units": {"id": "tren, unit tanpa perubahan",
                                            "en": "trend, units without a change"},
                 "trend_launch_units": {"id": "tren sebelum izin daring",
                                        "en": "trend before online permits"},
                 "level_change": {"id": "perubahan tingkat per unit",
                                  "en": "level change per unit"},
                 "slope_change": {"id": "perubahan tren per unit",
                                  "en": "slope change per unit"},
                 "level_change_pooled": {"id": "perubahan tingkat, gabungan",
                                         "en": "level change, pooled"},
                 "slope_change_pooled": {"id": "perubahan tren, gabungan",
                                         "en": "slope change, pooled"},
                 "level_change_controlled": {"id": "perubahan tingkat, dengan pembanding",
                                             "en": "level change, with comparison units"},
                 "slope_change_controlled": {"id": "perubahan tren, dengan pembanding",
                                             "en": "slope change, with comparison units"},
                 "channel_gap": {"id": "selisih daring − datang langsung",
                                 "en": "online − walk-in gap"}},
    "interval": {"linearized_t": {"id": "linearisasi, t(n − 1)", "en": "linearized, t(n − 1)"},
                 "report": {"id": "laporan: musim + SE terbesar (klasik, HAC)",
                            "en": "report: season + larger SE (classical, HAC)"},
                 "report_no_season": {"id": "laporan: SE terbesar (klasik, HAC)",
                                      "en": "report: larger SE (classical, HAC)"},
                 "default_hac": {"id": "bawaan: HAC lag 3 tanpa musim",
                                 "en": "default: HAC lag 3, no season"},
                 "report_stress": {"id": "laporan, dengan guncangan AR(1)",
                                   "en": "report, with AR(1) shocks"},
                 "default_hac_stress": {"id": "bawaan, dengan guncangan AR(1)",
                                        "en": "default, with AR(1) shocks"},
                 "cluster_unit_month": {"id": "klaster unit-bulan, t",
                                        "en": "unit-month clusters, t"}},
}

_COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "service_unit": ("Kode unit", "Unit code"), "unit_label": ("Unit layanan", "Service unit"),
    "wave": ("Bulan", "Month"), "semester": ("Semester", "Semester"), "year": ("Tahun", "Year"),
    "quarter": ("Triwulan", "Quarter"), "n_obs": ("Responden", "Respondents"),
    "n_months": ("Bulan berisi data", "Months with data"),
    "complete": ("Periode lengkap", "Complete period"), "ikm": ("IKM", "IKM"),
    "grade": ("Mutu", "Grade"), "performance_label": ("Kinerja unit", "Unit performance"),
    "estimate": ("Perkiraan", "Estimate"), "se": ("Galat baku", "SE"),
    "ci_low": ("IK 95% bawah", "95% CI low"), "ci_high": ("IK 95% atas", "95% CI high"),
    "grade_ci_low": ("Mutu di batas bawah", "Grade at CI low"),
    "grade_ci_high": ("Mutu di batas atas", "Grade at CI high"),
    "p_value": ("p", "p"), "p_adjusted": ("p (Holm)", "p (Holm)"),
    "population": ("Pengguna layanan", "Service users"),
    "required_n": ("Sampel minimum", "Minimum sample"),
    "meets_sample_size": ("Sampel cukup", "Sample large enough"),
    "element": ("Unsur", "Element"), "element_label": ("Unsur", "Element"),
    "rank": ("Peringkat (1 = terendah)", "Rank (1 = lowest)"), "nrr": ("NRR", "NRR"),
    "nrr_ci_low": ("NRR IK bawah", "NRR CI low"), "nrr_ci_high": ("NRR IK atas", "NRR CI high"),
    "significantly_below": ("Jelas di bawah rata-rata unit", "Clearly below the unit's mean"),
    "ikm_scale": ("Skala 25–100", "On 25–100"),
    "basis": ("Periode yang dipakai", "Period used"),
    "basis_label": ("Periode yang dipakai", "Period used"),
    "seasonal": ("Dengan musim", "With season"),
    "default_estimate": ("Perkiraan (bawaan)", "Estimate (default)"),
    "default_ci_low": ("IK bawaan bawah", "Default CI low"),
    "default_ci_high": ("IK bawaan atas", "Default CI high"),
    "sen_estimate": ("Kemiringan Sen", "Sen's slope"),
    "sen_ci_low": ("Sen IK bawah", "Sen CI low"), "sen_ci_high": ("Sen IK atas", "Sen CI high"),
    "mk_p_value": ("p Mann–Kendall", "Mann–Kendall p"),
    "mk_refused": ("Mann–Kendall ditolak", "Mann–Kendall refused"),
    "refused": ("Tidak dihitung karena", "Not computed because"),
    "role": ("Peran", "Role"), "role_label": ("Peran", "Role"), "start": ("Mulai", "Start"),
    "n_pre": ("Bulan sebelum", "Months before"), "n_post": ("Bulan sesudah", "Months after"),
    "reason": ("Keterangan", "Note"), "model": ("Model", "Model"),
    "model_label": ("Model", "Model"), "term": ("Besaran", "Quantity"),
    "term_label": ("Besaran", "Quantity"), "n_respondents": ("Responden", "Respondents"),
    "resid_acf1": ("Autokorelasi residu (lag 1)", "Residual autocorrelation (lag 1)"),
    "unit_a": ("Unit lebih tinggi", "Higher unit"), "unit_b": ("Unit lebih rendah", "Lower unit"),
    "n_online": ("Responden daring", "Online respondents"),
    "n_walk_in": ("Responden datang langsung", "Walk-in respondents"),
    "n_cells": ("Unit-bulan dengan dua kanal", "Unit-months with both channels"),
    "quantity": ("Besaran", "Quantity"), "interval": ("Interval", "Interval"),
    "registered": ("Dipakai laporan", "Used by the report"),
    "n_intervals": ("Jumlah interval", "Intervals"),
    "coverage": ("Cakupan", "Coverage"), "coverage_ci_low": ("Cakupan IK bawah", "Coverage CI low"),
    "coverage_ci_high": ("Cakupan IK atas", "Coverage CI high"),
    "intervention": ("Perubahan", "Change"), "label": ("Nama", "Name"),
    "users": ("Pengguna layanan", "Service users"), "period": ("Periode", "Period"),
    "performance": ("Kinerja", "Performance"), "k_elements": ("Unsur dipakai", "Elements used"),
    "unit_a_label": ("Unit lebih tinggi", "Higher unit"),
    "unit_b_label": ("Unit lebih rendah", "Lower unit"),
    "gap_to_mean": ("Selisih dari rata-rata unit", "Difference from the unit's mean"),
    "quantity_label": ("Besaran", "Quantity"), "interval_label": ("Interval", "Interval"),
    "intervention_label": ("Perubahan", "Change"),
    "ikm_difference": ("Selisih IKM", "IKM difference"),
    "n_months_used": ("Jumlah bulan", "Number of months"),
    "element_short": ("Unsur", "Element"),
}


def add_labels(frame: pd.DataFrame, *, lang: str = "id",
               unit: str | Sequence[str] = ("service_unit", "unit_a", "unit_b")
               ) -> pd.DataFrame:
    """A copy of a result table with the names a reader needs next to the codes.

    Adds ``unit_label`` (the service unit's name, from :func:`unit_labels`; "semua unit"
    / "all units" where the unit is NA, as in a pooled row), ``unit_a_label`` and
    ``unit_b_label`` for :func:`compare_units`, ``element_label``
    (:data:`ELEMENT_LABELS`) and ``element_short`` (its number and short name, ``"U3
    Waktu"``), ``performance_label`` (:data:`PERFORMANCE_LABELS`), and
    ``role_label``, ``basis_label``, ``model_label``, ``term_label``,
    ``quantity_label``, ``interval_label`` for those code columns of :func:`its_plan`,
    :func:`trend_summary`, :func:`its_summary` and :func:`interval_coverage` — each only
    when the code column is present. Codes without a name are kept as they are.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any result table of this module.
    lang : {"id", "en"}, optional
        Language of the names (default Indonesian).
    unit : str or sequence of str, optional
        The unit columns to name (default ``service_unit``, ``unit_a``, ``unit_b``;
        ``service_unit`` gets ``unit_label``, any other ``<column>_label``).

    Returns
    -------
    pandas.DataFrame
        ``frame`` with the label columns added (``frame`` itself is not changed).

    Raises
    ------
    ConfigError
        For a language other than "id" or "en".

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import service
    >>> tab = pd.DataFrame({"service_unit": ["bapenda_pbb"], "performance": ["baik"]})
    >>> service.add_labels(tab, lang="en")[["unit_label", "performance_label"]]
                            unit_label performance_label
    0  Bapenda — Property tax services              Good
    """
    check_frame(frame, name="frame")
    check_choice(lang, ("id", "en"), name="lang")
    out = frame.copy()
    names = unit_labels(lang)
    every = "semua unit" if lang == "id" else "all units"
    for col in as_tuple(unit, name="unit"):
        if col in out.columns:
            target = "unit_label" if col == "service_unit" else f"{col}_label"
            out[target] = [names.get(u, u) if isinstance(u, str) else every
                           for u in out[col]]
    if "element" in out.columns:
        out["element_label"] = [ELEMENT_LABELS.get(e, {}).get(lang, e) for e in out["element"]]
        k = 0 if lang == "id" else 1
        out["element_short"] = [_ELEMENT_SHORT[e][k] if e in _ELEMENT_SHORT else e
                                for e in out["element"]]
    for col, table in _CODE_LABELS.items():
        if col in out.columns:
            out[f"{col}_label"] = [table[c][lang] if isinstance(c, str) and c in table else c
                                   for c in out[col]]
    return out


def column_labels(lang: str = "id") -> dict[str, str]:
    """Column headers for the tables of the service report, in the report language.

    Covers the columns of this module's result tables (and ``nrr_<element>`` as the
    element's number and short name, U1–U9 in the regulation's order); pass it as
    ``labels=`` when showing a table.

    Parameters
    ----------
    lang : {"id", "en"}, optional
        Language (default Indonesian).

    Returns
    -------
    dict of str to str

    Raises
    ------
    ConfigError
        For a language other than "id" or "en".

    Examples
    --------
    >>> from asn_research import service
    >>> service.column_labels("en")["nrr_waktu"], service.column_labels("id")["n_obs"]
    ('U3 Time', 'Responden')
    """
    check_choice(lang, ("id", "en"), name="lang")
    k = 0 if lang == "id" else 1
    out = {c: pair[k] for c, pair in _COLUMN_LABELS.items()}
    out.update({f"nrr_{e}": v[k] for e, v in _ELEMENT_SHORT.items()})
    return out


def channel_summary(
    data: pd.DataFrame,
    *,
    unit: str = "service_unit",
    period: str = "wave",
    channel: str = "channel",
    online: str = "online",
    walk_in: str = "walk_in",
    elements: Sequence[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """The online − walk-in gap of :func:`channel_gap` as a table, overall and per unit.

    Unlike :func:`channel_gap` it does not raise when no unit-month has both channels
    (before any online service started): it returns the overall row with a ``refused``
    reason, so a report can say so.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent with element answers 1–4 and the channel.
    unit, period, channel, online, walk_in, elements, confidence
        As in :func:`channel_gap`.

    Returns
    -------
    pandas.DataFrame
        First the overall row (``unit`` column NA, ``estimand_id``
        ``"service.channel_gap"``), then one row per unit with both channels
        (``estimand_id`` NA): ``estimate`` (IKM points, online − walk-in), ``se``,
        ``ci_low``, ``ci_high``, ``p_value``, ``df``, ``n_obs`` (respondents in
        unit-months with both channels), ``n_online``, ``n_walk_in``, ``n_cells``
        (unit-months with both), ``confidence``, ``refused`` (NA, or why nothing could be
        estimated), ``method``, ``assumptions``.

    Raises
    ------
    InputError
        If the channel column holds other values (as :func:`channel_gap`).

    Notes
    -----
    The per-unit rows use t with Σ(n_c − 2) df of the unit's cells. The gap is
    descriptive (``docs/skm.md`` §7).

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import service
    >>> df = pd.DataFrame({"service_unit": "u", "wave": "2024-01", "channel": "walk_in",
    ...                    "waktu": [4, 3, 3]})
    >>> service.channel_summary(df, elements=["waktu"])["refused"].iloc[0]
    'no unit-month has respondents of both channels yet'
    """
    check_frame(data)
    check_columns(data, (unit, period, channel))
    cols = [unit, "estimand_id", "estimate", "se", "ci_low", "ci_high", "p_value", "df",
            "n_obs", "n_online", "n_walk_in", "n_cells", "confidence", "refused", "method",
            "assumptions"]
    ch = data[channel].astype("str")
    bad = ~ch.isin([online, walk_in]) | data[channel].isna()
    if bad.any():
        raise InputError(f"{int(bad.sum())} rows have a channel other than {online!r} or "
                         f"{walk_in!r}", column=channel,
                         fix="recode the channel column, or pass online=/walk_in=")
    try:
        est = channel_gap(data, unit=unit, period=period, channel=channel, online=online,
                          walk_in=walk_in, elements=elements, confidence=confidence)
    except InputError as exc:
        if "both channels" not in exc.message:
            raise
        row = dict.fromkeys(cols)
        row.update(estimand_id="service.channel_gap", n_obs=0, n_online=0, n_walk_in=0,
                   n_cells=0, confidence=confidence,
                   refused="no unit-month has respondents of both channels yet")
        return pd.DataFrame([row], columns=cols)
    rows = [{unit: None, "estimand_id": "service.channel_gap", "estimate": est.estimate,
             "se": est.se, "ci_low": est.ci_low, "ci_high": est.ci_high,
             "p_value": est.p_value, "df": est.df, "n_obs": est.n_obs,
             "n_online": est.details["n_online"], "n_walk_in": est.details["n_walk_in"],
             "n_cells": est.n_clusters, "confidence": confidence, "refused": None,
             "method": est.method, "assumptions": est.assumptions}]
    for u in est.details["by_unit"][unit]:
        sub = data[data[unit] == u]
        part = channel_gap(sub, unit=unit, period=period, channel=channel, online=online,
                           walk_in=walk_in, elements=elements, confidence=confidence)
        rows.append({unit: u, "estimand_id": None, "estimate": part.estimate, "se": part.se,
                     "ci_low": part.ci_low, "ci_high": part.ci_high, "p_value": part.p_value,
                     "df": part.df, "n_obs": part.n_obs,
                     "n_online": part.details["n_online"],
                     "n_walk_in": part.details["n_walk_in"], "n_cells": part.n_clusters,
                     "confidence": confidence, "refused": None, "method": part.method,
                     "assumptions": part.assumptions})
    return pd.DataFrame(rows, columns=cols)


# ============================================================================ findings
def to_estimates(frame: pd.DataFrame, *, assumptions: str | None = None,
                 n_from: str | None = None) -> dict[str, Estimate]:
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
    n_from : str, optional
        A column to report as the estimate's ``n_obs`` instead of ``n_obs`` — e.g.
        ``"n_respondents"`` for a trend or interrupted time series, whose ``n_obs``
        counts months: the evidence register's ``n`` (and its small-cell rule) is about
        respondents.

    Returns
    -------
    dict of str to Estimate
        Sorted by id. Rows of :func:`ikm` carry their grade in ``details``
        (``grade``, ``performance``, ``category_id``, ``category_en``), which the evidence
        register's statements name.

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
    check_columns(frame, ["estimand_id", "estimate", "ci_low", "ci_high", "n_obs", n_from])
    sel = frame[frame["estimand_id"].notna() & frame["estimate"].notna()]
    if n_from is not None:
        sel = sel.assign(n_obs=sel[n_from])
    if "refused" in sel.columns:
        sel = sel[sel["refused"].isna()]
    dup = sel["estimand_id"][sel["estimand_id"].duplicated()]
    if len(dup):
        raise InputError(f"the estimand id {dup.iloc[0]!r} appears in more than one row",
                         column="estimand_id", fix="pass one result per estimand")
    out = {}
    for _, row in sel.iterrows():
        est = Estimate.from_row(row, assumptions=assumptions)
        perf = row.get("performance")
        if isinstance(perf, str) and perf in PERFORMANCE_LABELS:
            est = dataclasses.replace(est, details={
                "grade": row.get("grade"), "performance": perf,
                "category_id": PERFORMANCE_LABELS[perf]["id"],
                "category_en": PERFORMANCE_LABELS[perf]["en"]})
        out[str(row["estimand_id"])] = est
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
    intervals: bool = True,
    lang: str = "en",
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
    intervals : bool, optional
        Draw each observed value's interval when ``data`` has ``ci_low`` and ``ci_high``
        (default True; e.g. the monthly IKM intervals of :func:`ikm`).
    lang : {"id", "en"}, optional
        Language of the legend and axis labels (default English).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    InputError
        If the unit has no per-unit fit in ``its_frame``.

    Notes
    -----
    The fitted and counterfactual lines are the segmented regression's
    ``counterfactual_at_start + trend·(t − start)`` (+ the level and slope changes after
    the start); with seasonal terms in the fit they are the seasonally adjusted lines
    (the seasonal dummies are centred), so the observed months scatter around them with
    the season. Suppressed values (NaN) are not drawn.

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
    text = _PLOT_TEXT["id" if lang == "id" else "en"]
    sel = its_frame
    rows = data
    if by is not None:
        check_columns(its_frame, [by])
        check_columns(data, [by])
        sel = its_frame[its_frame[by] == unit]
        rows = data[data[by] == unit]
    if "model" in sel.columns:
        sel = sel[sel["model"] == "per_unit"]
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
    if intervals and {"ci_low", "ci_high"} <= set(rows.columns):
        lo = rows["ci_low"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)[order]
        hi = rows["ci_high"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)[order]
        ok = np.isfinite(lo) & np.isfinite(hi) & np.isfinite(y)
        ax.errorbar(t[ok], y[ok], yerr=np.vstack([y[ok] - lo[ok], hi[ok] - y[ok]]),
                    fmt="none", ecolor="0.75", elinewidth=0.8, zorder=1)
    ax.plot(t, y, "o", ms=3, color="0.35", label=text["observed"], zorder=2)
    pre, post = tc < 0, tc >= 0
    ax.plot(t[pre], fitted[pre], "-", color="C0", label=text["fitted"], zorder=3)
    ax.plot(t[post], fitted[post], "-", color="C0", zorder=3)
    ax.plot(t[post], (a + b * tc)[post], "--", color="C1", label=text["counterfactual"],
            zorder=3)
    ax.axvline(s0 - 0.5, color="0.5", lw=0.8, ls=":")
    if monthly:
        ticks = t[::6]
        ax.set_xticks(ticks, [_label_period(v, True) for v in ticks], rotation=45, ha="right")
    ax.set_xlabel(text["month"] if monthly else time)
    ax.set_ylabel(text["ikm"] if value == "estimate" else value)
    ax.legend(fontsize=8, frameon=False)
    return ax


_PLOT_TEXT = {
    "id": {"observed": "teramati (IK 95%)", "fitted": "garis model",
           "counterfactual": "kontrafaktual (tanpa perubahan)", "month": "bulan",
           "ikm": "IKM (25–100)", "month_effect": "selisih dari rata-rata bulan (poin IKM)",
           "months": ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt",
                      "Nov", "Des"], "nrr": "NRR (1–4)"},
    "en": {"observed": "observed (95% CI)", "fitted": "fitted line",
           "counterfactual": "counterfactual (no change)", "month": "month",
           "ikm": "IKM (25–100)", "month_effect": "difference from the average month (IKM points)",
           "months": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                      "Nov", "Dec"], "nrr": "NRR (1–4)"},
}


def plot_element_heatmap(
    scores: pd.DataFrame,
    *,
    label: str = "service_unit",
    element: str = "element",
    value: str = "estimate",
    ax: Axes | None = None,
    lang: str = "en",
) -> Axes:
    """Heat map of the element scores (NRR) of every unit: where each unit is weakest.

    Parameters
    ----------
    scores : pandas.DataFrame
        A result of :func:`element_scores` (one row per unit and element). Rows with
        ``suppressed == True`` are left blank.
    label, element, value : str, optional
        Columns naming the unit (rows of the map), the element (columns) and the value
        (defaults ``"service_unit"``, ``"element"``, ``"estimate"``).
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    lang : {"id", "en"}, optional
        Language of the colour-bar label (default English).

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
    >>> tab = pd.DataFrame({"service_unit": ["a", "a", "b", "b"],
    ...                     "element": ["waktu", "biaya"] * 2, "estimate": [2.9, 3.6, 3.1, 3.4]})
    >>> ax = service.plot_element_heatmap(tab)
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['waktu', 'biaya']
    """
    import matplotlib.pyplot as plt

    check_frame(scores, name="scores")
    check_columns(scores, [label, element, value])
    text = _PLOT_TEXT["id" if lang == "id" else "en"]
    tab = scores.copy()
    if "suppressed" in tab.columns:
        tab.loc[tab["suppressed"].fillna(False).astype(bool), value] = np.nan
    order = [e for e in ELEMENTS if e in set(tab[element])] + sorted(
        set(tab[element]) - set(ELEMENTS))
    units = list(dict.fromkeys(tab[label].tolist()))
    grid = (tab.pivot_table(index=label, columns=element, values=value, aggfunc="first",
                            dropna=False).reindex(index=units, columns=order))
    mat = grid.to_numpy(dtype=float)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.0 + 0.75 * len(order), 0.9 + 0.4 * len(units)))
    im = ax.imshow(mat, cmap="RdYlGn", vmin=2.5, vmax=3.8, aspect="auto")
    for i in range(mat.shape[0]):
        for j in range(mat.shape[1]):
            if np.isfinite(mat[i, j]):
                ax.text(j, i, f"{mat[i, j]:.2f}", ha="center", va="center", fontsize=7)
    ax.set_xticks(range(len(order)), order, rotation=45, ha="right")
    ax.set_yticks(range(len(units)), [str(u) for u in units])
    ax.figure.colorbar(im, ax=ax, label=text["nrr"], shrink=0.8)
    return ax


def plot_seasonality(
    season: pd.DataFrame,
    *,
    ax: Axes | None = None,
    lang: str = "en",
) -> Axes:
    """Month-of-year effects with their confidence intervals (from :func:`seasonality`).

    Parameters
    ----------
    season : pandas.DataFrame
        A result of :func:`seasonality`: rows ``month_01`` … ``month_12`` with
        ``estimate``, ``ci_low``, ``ci_high`` (other rows are ignored).
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    lang : {"id", "en"}, optional
        Language of month names and axis labels (default English).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    InputError
        If the month rows are missing.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from asn_research import service
    >>> tab = pd.DataFrame({"term": [f"month_{m:02d}" for m in range(1, 13)],
    ...                     "estimate": [0.0] * 12, "ci_low": [-1.0] * 12, "ci_high": [1.0] * 12})
    >>> len(service.plot_seasonality(tab).get_xticklabels())
    12
    """
    import matplotlib.pyplot as plt

    check_frame(season, name="season")
    check_columns(season, ["term", "estimate", "ci_low", "ci_high"])
    text = _PLOT_TEXT["id" if lang == "id" else "en"]
    rows = season.set_index("term").reindex([f"month_{m:02d}" for m in range(1, 13)])
    if rows["estimate"].isna().all():
        raise InputError("the table has no month_01 … month_12 rows", column="term",
                         fix="pass the result of service.seasonality()")
    est = rows["estimate"].to_numpy(float)
    err = np.vstack([est - rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float) - est])
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3))
    x = np.arange(12)
    ax.axhline(0, color="0.5", lw=0.8)
    ax.errorbar(x, est, yerr=err, fmt="o", color="C0", capsize=3)
    ax.set_xticks(x, text["months"])
    ax.set_ylabel(text["month_effect"])
    return ax
