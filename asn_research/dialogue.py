"""Socialization dialogues and resistance to the merit system: measurement and effects.

The merit survey (instrument ``merit``) is a panel: the same civil servants answer at
several waves, and open dialogues on the merit system reach OPDs in a staggered, non-random
way. This module turns such a long panel (one row per respondent and wave) into evidence:

* **measurement** — item statistics and reliability per wave, per-wave one-factor loadings
  with their congruence across waves, configural and metric invariance by multi-group CFA
  (:func:`item_statistics`, :func:`reliability_by_wave`, :func:`loadings_by_wave`,
  :func:`measurement_invariance`, :func:`measurement_table`), descriptives by OPD and wave
  (:func:`descriptives`);
* **the main estimate** — a heterogeneity-robust (Callaway–Sant'Anna) event study with the
  average effect on the exposed and small-sample (CR2, Satterthwaite df, HTZ) inference
  for few, unequal clusters (:func:`event_study`), beside the plain two-way fixed
  effects regression (:func:`did`) and its few-cluster inference (CR2 Bell–McCaffrey with
  Satterthwaite df, wild cluster bootstrap: :func:`twfe_cr2`,
  :func:`wild_cluster_bootstrap`, :func:`few_cluster_inference`), a false-timing placebo
  (:func:`placebo`), the dose–response per session (:func:`dose_response`), subgroups
  (:func:`heterogeneity`) and a mixed model (:func:`mixed_model`);
* **selection** — the naive exposed-minus-unexposed difference (:func:`naive_difference`),
  covariate balance (:func:`balance_table`), inverse-probability and doubly robust
  weighting (:func:`ipw_att`) and ANCOVA on the baseline outcome (:func:`ancova`), on a
  follow-up frame (:func:`followup_frame`);
* **reporting helpers** — the analysis panel (:func:`prepare_panel`,
  :func:`selection_frame`), every estimate side by side (:func:`robustness_table`,
  :func:`att_table`), figures (:func:`plot_event_study`, :func:`plot_estimates`), column
  headers (:func:`column_labels`) and findings under the estimand catalogue's ids with
  wording that matches the design's strength (:func:`findings`).

Every public function takes a DataFrame and column names (keyword-only), never modifies the
data, and returns a tidy DataFrame, an :class:`~asn_research.results.Estimate` or an
:class:`EventStudyResult`. Time must be a numeric period (consecutive integers, e.g. from
``asn_research.waves.wave_index``), never a wave string. Unit, cluster and group columns may
hold any labels.

Examples
--------
>>> import pandas as pd
>>> from asn_research import dialogue
>>> panel = pd.DataFrame({"id": [1, 1, 2, 2], "period": [0, 1, 0, 1],
...                       "attended": [0, 1, 0, 0]})
>>> dialogue.exposure_timing(panel, unit="id", time="period", treatment="attended")
   id  period  attended  first_period  event_time
0   1       0         0             1          -1
1   1       1         1             1           0
2   2       0         0          <NA>        <NA>
3   2       1         0          <NA>        <NA>
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import math
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from ._validation import as_tuple, check_choice, check_columns, check_confidence, check_frame
from .errors import ConfigError, InputError
from .results import Estimate

if TYPE_CHECKING:
    from .instruments import Instrument

__all__ = [
    "BasePeriod",
    "BootstrapWeights",
    "ControlGroup",
    "EventStudyResult",
    "VcovType",
    "WeightingMethod",
    "ancova",
    "att_table",
    "balance_table",
    "column_labels",
    "descriptives",
    "did",
    "dose_response",
    "event_study",
    "exposure_timing",
    "few_cluster_inference",
    "findings",
    "followup_frame",
    "heterogeneity",
    "ipw_att",
    "item_statistics",
    "loadings_by_wave",
    "measurement_invariance",
    "measurement_table",
    "mixed_model",
    "naive_difference",
    "placebo",
    "plot_estimates",
    "plot_event_study",
    "prepare_panel",
    "reliability_by_wave",
    "robustness_table",
    "selection_frame",
    "twfe_cr2",
    "wild_cluster_bootstrap",
]

logger = logging.getLogger(__name__)

ControlGroup = Literal["never_treated", "not_yet_treated"]
"""Comparison units of the Callaway–Sant'Anna estimator."""

BasePeriod = Literal["varying", "universal"]
"""Base period of pre-exposure cells: the previous period, or the last one before exposure."""

BootstrapWeights = Literal["rademacher", "webb"]
"""Auxiliary weights of the wild cluster bootstrap."""

VcovType = Literal["CR2", "CR1"]
"""Cluster-robust variance of the event study: CR2 with Satterthwaite df, or CR1."""

WeightingMethod = Literal["ipw", "dr"]
"""Inverse-probability weighting, or its doubly robust (weighted regression) variant."""

# Eigenvalues of I - H_gg at or below this are treated as 0 (a pseudo-inverse square
# root), exactly as clubSandwich's matrix_power(x, -1/2) does (tol = 10^-12).
_CR2_EIGEN_TOL = 1e-12

_PT_ASSUMPTION = (
    "parallel trends: without dialogues, the mean outcome of exposed and comparison "
    "respondents would have changed alike; no anticipation before first exposure; "
    "exposure is absorbing"
)
_TWFE_ASSUMPTION = (
    _PT_ASSUMPTION + "; in addition a constant effect across cohorts and event times "
    "(otherwise the TWFE weights can be negative and the estimate is biased)"
)
_PT_ID = ("tren paralel antara peserta dialog dan pegawai pembanding tanpa dialog, dan "
          "tidak ada antisipasi sebelum dialog pertama")
_PT_EN = ("parallel trends between attendees and comparison staff without dialogues, and "
          "no anticipation before the first dialogue")
_SOO_ASSUMPTION = (
    "selection on observables: given the covariates, exposure is unrelated to the "
    "outcome without dialogues; overlap (every exposed respondent has comparable "
    "unexposed ones)"
)


# ============================================================================ helpers


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence third-party warnings and prints (csdid/differences print and warn)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.redirect_stdout(io.StringIO()):
            yield


@functools.cache
def _blas_threads() -> Any:
    """A threadpoolctl controller of the loaded BLAS libraries (numpy's and scipy's)."""
    try:
        import scipy.linalg  # noqa: F401  (load scipy's OpenBLAS before taking stock)
        import scipy.optimize  # noqa: F401
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl comes with the scientific stack
        return None
    return ThreadpoolController()


def _one_blas_thread(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``fn``'s small dense linear algebra on one BLAS thread.

    The matrices here are small (a cluster's rows, a dozen covariates); OpenBLAS's threads
    only add synchronisation, and on a busy two-core machine they made the robustness
    table 8× slower (measured: 16 s vs 2 s warm). One thread changes no result.
    """
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        controller = _blas_threads()
        if controller is None:  # pragma: no cover
            return fn(*args, **kwargs)
        with controller.limit(limits=1, user_api="blas"):
            return fn(*args, **kwargs)

    return wrapper


def _codes(values: pd.Series) -> tuple[np.ndarray, int]:
    """Integer codes 0..k-1 of any labels (sorted), and k."""
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.int64), len(uniques)


def _t_inference(estimate: float, se: float, df: float | None,
                 confidence: float) -> tuple[float, float, float, float]:
    """(statistic, p, ci_low, ci_high) from a t (df) or normal (df None) reference."""
    from scipy import stats

    if not (np.isfinite(se) and se > 0):
        return math.nan, math.nan, math.nan, math.nan
    stat = estimate / se
    if df is None or not np.isfinite(df):
        p = 2.0 * stats.norm.sf(abs(stat))
        q = stats.norm.ppf(0.5 + confidence / 2.0)
    else:
        p = 2.0 * stats.t.sf(abs(stat), df)
        q = stats.t.ppf(0.5 + confidence / 2.0, df)
    return float(stat), float(p), float(estimate - q * se), float(estimate + q * se)


def _numeric(data: pd.DataFrame, column: str, *, role: str) -> np.ndarray:
    """A numeric column as float (NA → NaN), or InputError naming it."""
    s = data[column]
    if pd.api.types.is_bool_dtype(s):
        s = s.astype("Int64")
    if not pd.api.types.is_numeric_dtype(s):
        raise InputError(f"the {role} column must be numeric; it holds {s.dtype}",
                         column=column, fix="pass a numeric column (codes, scores, periods)")
    return s.astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def _binary(data: pd.DataFrame, column: str, *, role: str = "treatment") -> np.ndarray:
    """A 0/1 column as float (NaN for NA), or InputError."""
    x = _numeric(data, column, role=role)
    bad = ~np.isnan(x) & (x != 0) & (x != 1)
    if bad.any():
        raise InputError(f"the {role} column must hold only 0 and 1 (or NA)", column=column,
                         fix="code exposure as 1 = attended, 0 = not attended")
    return x


def _check_min_clusters(n_clusters: int, column: str | None, needed: int = 2) -> None:
    if n_clusters < needed:
        raise InputError(f"only {n_clusters} cluster(s) remain; a cluster-robust standard "
                         f"error needs at least {needed}", column=column,
                         fix="use more clusters (OPDs) or a different cluster column")


# ------------------------------------------------------------------ two-way projections


class _TwoWay:
    """Exact residual-maker of unit + time fixed effects on an unbalanced panel.

    ``M_Z v = M_U v − T̃ (T̃'T̃)⁺ T̃' M_U v`` with ``M_U`` the within-unit demeaning and
    ``T̃ = M_U T`` the unit-demeaned time dummies (Frisch–Waugh–Lovell); no iteration.
    """

    def __init__(self, unit: np.ndarray, time: np.ndarray) -> None:
        self.unit = unit
        self.n_units = int(unit.max()) + 1
        self.count = np.bincount(unit, minlength=self.n_units).astype(float)
        n_t = int(time.max()) + 1
        dummies = np.zeros((unit.size, n_t))
        dummies[np.arange(unit.size), time] = 1.0
        self.tt = self._demean_unit(dummies)
        self.tt_pinv = np.linalg.pinv(self.tt.T @ self.tt)

    def _demean_unit(self, v: np.ndarray) -> np.ndarray:
        if v.ndim == 1:
            means = np.bincount(self.unit, weights=v, minlength=self.n_units) / self.count
            return v - means[self.unit]
        sums = np.zeros((self.n_units, v.shape[1]))
        np.add.at(sums, self.unit, v)
        return v - (sums / self.count[:, None])[self.unit]

    def resid(self, v: np.ndarray) -> np.ndarray:
        a = self._demean_unit(v)
        return a - self.tt @ (self.tt_pinv @ (self.tt.T @ a))

    def hat_block(self, rows: np.ndarray) -> np.ndarray:
        """Rows × rows block of the fixed-effects hat matrix."""
        u = self.unit[rows]
        same = (u[:, None] == u[None, :]) / self.count[u][None, :]
        tr = self.tt[rows]
        return same + tr @ self.tt_pinv @ tr.T


@dataclass(frozen=True)
class _Twfe:
    """A TWFE fit of y on one regressor d with unit and time effects (FWL quantities)."""

    proj: _TwoWay
    y: np.ndarray
    d_tilde: np.ndarray
    ssd: float
    beta: float
    resid: np.ndarray
    cluster: np.ndarray
    n_clusters: int
    n_time: int


def _twfe(y: np.ndarray, d: np.ndarray, unit: np.ndarray, time: np.ndarray,
          cluster: np.ndarray) -> _Twfe:
    proj = _TwoWay(unit, time)
    d_t = proj.resid(d)
    ssd = float(d_t @ d_t)
    if ssd <= 1e-12 * max(1.0, float(d @ d)):
        raise InputError("the treatment does not vary within units over time, so the "
                         "two-way fixed-effects coefficient is not identified",
                         fix="check that some units change exposure status between periods")
    beta = float(d_t @ y) / ssd
    e = proj.resid(y) - d_t * beta
    return _Twfe(proj, y, d_t, ssd, beta, e, cluster, int(cluster.max()) + 1,
                 int(time.max()) + 1)


def _feols_cr1(fe: pd.DataFrame, regressors: Sequence[str]) -> tuple[float, float]:
    """First coefficient and its CR1 SE of ``y ~ regressors | u + t``, clustered by ``c``.

    With every unit inside one cluster (the usual panel) this is computed exactly by
    Frisch–Waugh–Lovell on the unbalanced panel with fixest's default small-sample
    factor ``G/(G − 1)·(n − 1)/(n − K)``, K = regressors + time effects (unit effects
    nested in clusters are not counted) — identical to ``pyfixest.feols(...,
    vcov={"CRV1": "c"})`` (tested), without its seconds of first-call compilation.
    Otherwise ``pyfixest.feols`` is called.
    """
    nested = bool((fe.groupby("u")["c"].nunique() == 1).all())
    if not nested:
        import pyfixest as pf

        with _quiet():
            fit = pf.feols(f"y ~ {' + '.join(regressors)} | u + t", data=fe,
                           vcov={"CRV1": "c"}, fixef_tol=1e-14)
        return float(fit.coef()[regressors[0]]), float(fit.se()[regressors[0]])
    u, _ = _codes(fe["u"])
    t, n_t = _codes(fe["t"])
    c, g = _codes(fe["c"])
    proj = _TwoWay(u, t)
    xt = proj.resid(fe[list(regressors)].to_numpy(dtype=float))
    yt = proj.resid(fe["y"].to_numpy(dtype=float))
    xtx_inv = np.linalg.inv(xt.T @ xt)
    beta = xtx_inv @ (xt.T @ yt)
    e = yt - xt @ beta
    scores = _cluster_sums(xt * e[:, None], c, g)
    n, k = len(fe), len(regressors) + n_t
    v = xtx_inv @ (scores.T @ scores) @ xtx_inv * g / (g - 1) * (n - 1) / (n - k)
    return float(beta[0]), float(math.sqrt(v[0, 0]))


def _cluster_sums(values: np.ndarray, cluster: np.ndarray, n_clusters: int) -> np.ndarray:
    if values.ndim == 1:
        return np.bincount(cluster, weights=values, minlength=n_clusters)
    out = np.zeros((n_clusters, values.shape[1]))
    np.add.at(out, cluster, values)
    return out


def _inv_sqrt_psd(m: np.ndarray) -> np.ndarray:
    """Symmetric (pseudo-)inverse square root, as clubSandwich's matrix_power(m, -1/2)."""
    vals, vecs = np.linalg.eigh(m)
    inv = np.where(vals > _CR2_EIGEN_TOL, 1.0 / np.sqrt(np.clip(vals, _CR2_EIGEN_TOL, None)),
                   0.0)
    return (vecs * inv) @ vecs.T


@_one_blas_thread
def _cr2(fit: _Twfe) -> tuple[float, float]:
    """CR2 (Bell–McCaffrey) SE of the TWFE coefficient and its Satterthwaite df.

    ``V = Σ_g (d̃_g' A_g e_g)² / SSD²`` with ``A_g = (I − H_gg)^(−1/2)`` and ``H`` the hat
    matrix of the full design (treatment + unit and time dummies); df from
    Pustejovsky & Tipton (2018): ``(Σ_g ‖w_g‖²)² / Σ_gh (w_g'w_h)²`` with
    ``w_g = (I − H) u_g`` and ``u_g`` the cluster's ``A_g d̃_g / SSD`` padded with zeros.
    """
    n = fit.y.size
    num = 0.0
    u_mat = np.zeros((n, fit.n_clusters))
    for g in range(fit.n_clusters):
        rows = np.flatnonzero(fit.cluster == g)
        dg = fit.d_tilde[rows]
        h = fit.proj.hat_block(rows) + np.outer(dg, dg) / fit.ssd
        a = _inv_sqrt_psd(np.eye(rows.size) - h)
        num += float(dg @ a @ fit.resid[rows]) ** 2
        u_mat[rows, g] = a @ dg / fit.ssd
    se = math.sqrt(num) / fit.ssd
    w = fit.proj.resid(u_mat) - np.outer(fit.d_tilde, fit.d_tilde @ u_mat) / fit.ssd
    gram = w.T @ w
    df = float(np.trace(gram) ** 2 / np.sum(gram**2))
    return se, df


@_one_blas_thread
def _cr2_extended(y: np.ndarray, x: np.ndarray, unit: np.ndarray, time: np.ndarray,
                  cluster: np.ndarray) -> tuple[float, float, float]:
    """CR2 SE and Satterthwaite df of the first column of ``x`` in ``y ~ x | unit + time``.

    As :func:`_cr2` with further regressors: by Frisch–Waugh–Lovell the other columns
    ``W`` (after the fixed effects) enter the hat matrix as ``W̃(W̃'W̃)⁻¹W̃'`` and the
    coefficient is that of ``d̃ = M_W̃ M_FE x₀``. Returns (β, se, df).
    """
    proj = _TwoWay(unit, time)
    xt = proj.resid(x)
    w = xt[:, 1:]
    wtw = np.linalg.pinv(w.T @ w)

    def m_w(v: np.ndarray) -> np.ndarray:
        return v - w @ (wtw @ (w.T @ v))

    d = m_w(xt[:, 0])
    ssd = float(d @ d)
    yt = m_w(proj.resid(y))
    beta = float(d @ yt) / ssd
    e = yt - d * beta
    codes, g_n = _codes(pd.Series(cluster))
    u_mat = np.zeros((y.size, g_n))
    num = 0.0
    for g in range(g_n):
        rows = np.flatnonzero(codes == g)
        dg, wg = d[rows], w[rows]
        h = proj.hat_block(rows) + wg @ wtw @ wg.T + np.outer(dg, dg) / ssd
        a = _inv_sqrt_psd(np.eye(rows.size) - h)
        num += float(dg @ a @ e[rows]) ** 2
        u_mat[rows, g] = a @ dg / ssd
    r = m_w(proj.resid(u_mat)) - np.outer(d, d @ u_mat) / ssd
    gram = r.T @ r
    return beta, math.sqrt(num) / ssd, float(np.trace(gram) ** 2 / np.sum(gram**2))


def _wcr_tstats(fit: _Twfe, v: np.ndarray) -> np.ndarray:
    """Bootstrap t statistics of the restricted wild cluster bootstrap (H0: β = 0).

    ``v`` is (B, G). The restricted residuals ``ũ = M_Z y``; a draw is ``y* = ŷ_r + v_g ũ``.
    Linear in ``v``: ``β* = a'v / SSD`` and cluster scores ``s* = C v − β* d`` (Roodman et
    al. 2019), so no draw is refitted. The CR1 factor cancels in the p-value.
    """
    u_r = fit.proj.resid(fit.y)
    g = fit.n_clusters
    a = _cluster_sums(fit.d_tilde * u_r, fit.cluster, g)
    spread = np.zeros((u_r.size, g))
    spread[np.arange(u_r.size), fit.cluster] = u_r
    c = _cluster_sums(fit.d_tilde[:, None] * fit.proj.resid(spread), fit.cluster, g)
    dsq = _cluster_sums(fit.d_tilde**2, fit.cluster, g)
    beta = v @ a / fit.ssd
    scores = v @ c.T - beta[:, None] * dsq[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        return beta * fit.ssd / np.sqrt(np.sum(scores**2, axis=1))


def _t_unrestricted(fit: _Twfe) -> float:
    scores = _cluster_sums(fit.d_tilde * fit.resid, fit.cluster, fit.n_clusters)
    return fit.beta * fit.ssd / math.sqrt(float(scores @ scores))


# ------------------------------------------------------------------ panel preparation


@dataclass(frozen=True)
class _Panel:
    """A validated long panel: codes, numeric time, outcome, exposure, cohort."""

    frame: pd.DataFrame  # columns _u, _t, _y, _d, _g (float, NaN never), _c, plus extras
    n_dropped: int
    n_clusters: int


def _first_periods(unit: np.ndarray, time: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Per row: the first period with d == 1 of its unit (NaN if never)."""
    t_treated = np.where(d == 1, time, np.inf)
    first = pd.Series(t_treated).groupby(unit).transform("min").to_numpy()
    return np.where(np.isfinite(first), first, np.nan)


def _check_absorbing(unit: np.ndarray, time: np.ndarray, d: np.ndarray, column: str) -> None:
    first = _first_periods(unit, time, d)
    relapse = (time > first) & (d == 0)
    if relapse.any():
        raise InputError("exposure must be absorbing (once attended, always counted as "
                         f"exposed); {int(relapse.sum())} row(s) have 0 after an earlier 1",
                         column=column, fix="code the treatment as 'ever attended by this "
                         "wave' (dlg_attended is already absorbing)")


def _panel(data: pd.DataFrame, *, outcome: str, unit: str, time: str, treatment: str,
           cluster: str | None, first_period: str | None = None,
           extra: Sequence[str] = (), drop_always_treated: bool = True) -> _Panel:
    check_frame(data)
    cols = [outcome, unit, time, treatment, cluster, first_period, *extra]
    check_columns(data, cols)
    keep = data[[c for c in dict.fromkeys(c for c in cols if c is not None)]]
    y = _numeric(keep, outcome, role="outcome")
    t = _numeric(keep, time, role="time")
    d = _binary(keep, treatment)
    ok = ~np.isnan(y) & ~np.isnan(t) & ~np.isnan(d) & keep[unit].notna().to_numpy()
    if cluster is not None:
        ok &= keep[cluster].notna().to_numpy()
    if np.any((t[ok] % 1) != 0):
        raise InputError("the time column must hold whole-number periods", column=time,
                         fix="convert wave ids with asn_research.waves.wave_index first")
    sub = keep.loc[ok]
    n_dropped = int((~ok).sum())
    if len(sub) == 0:
        raise InputError("no complete rows remain (outcome, time, treatment, unit and "
                         "cluster all present)", column=outcome, fix="check the columns")
    frame = pd.DataFrame(index=sub.index)
    frame["_u"], _ = _codes(sub[unit])
    frame["_t"] = t[ok].astype(np.int64)
    frame["_y"] = y[ok]
    frame["_d"] = d[ok]
    if frame.duplicated(["_u", "_t"]).any():
        raise InputError("a unit appears twice in the same period", column=unit,
                         fix="keep one row per respondent and wave")
    u, tt, dd = frame["_u"].to_numpy(), frame["_t"].to_numpy(), frame["_d"].to_numpy()
    _check_absorbing(u, tt, dd, treatment)
    if first_period is not None:
        fp = _numeric(sub, first_period, role="first-period")
        per_unit = pd.Series(fp).groupby(u).agg(["min", "max"])
        if ((per_unit["min"] != per_unit["max"]) & per_unit["min"].notna()).any():
            raise InputError("the first-period column varies within a unit",
                             column=first_period, fix="give each unit one first period")
        g = pd.Series(fp).groupby(u).transform("min").to_numpy()
        obs = _first_periods(u, tt, dd)
        if np.any(~np.isnan(obs) & (np.isnan(g) | (g > obs))):
            raise InputError("the first period lies after a period in which the unit is "
                             "already exposed", column=first_period,
                             fix="derive it with dialogue.exposure_timing")
        if np.any(~np.isnan(g) & (tt >= g) & (dd == 0)):
            raise InputError("a unit is marked unexposed at or after its first period",
                             column=first_period, fix="derive it with "
                             "dialogue.exposure_timing, or fix the treatment column")
    else:
        g = _first_periods(u, tt, dd)
    frame["_g"] = g
    if drop_always_treated:
        t_min = tt.min()
        always = ~np.isnan(g) & (g <= t_min)
        if always.any():
            logger.debug("dropping %d rows of units exposed from the first period", always.sum())
            frame = frame.loc[~always]
            n_dropped += int(always.sum())
    if cluster is not None:
        frame["_c"], _ = _codes(sub.loc[frame.index, cluster])
    else:
        frame["_c"] = frame["_u"].to_numpy()
    for col in extra:
        frame[col] = sub.loc[frame.index, col]
    frame["_u"], _ = _codes(frame["_u"])
    return _Panel(frame=frame, n_dropped=n_dropped, n_clusters=int(frame["_c"].nunique()))


# ============================================================================ timing


def exposure_timing(data: pd.DataFrame, *, unit: str, time: str, treatment: str,
                    first_date: str | None = None, date: str | None = None) -> pd.DataFrame:
    """Add each unit's first period of exposure and the event time of every row.

    Use it before an event study to see who is exposed when. Without dates the first
    period is the first period in which the unit is observed exposed; with ``first_date``
    and ``date`` it is the period in which the first dialogue *happened*, which differs
    when a respondent skipped the wave of their first dialogue.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel, one row per unit and period. Not modified.
    unit, time, treatment : str
        Unit labels (any type), numeric period, absorbing 0/1 exposure.
    first_date : str, optional
        Date of the first exposure (e.g. ``dlg_first_date``), NA where unexposed.
    date : str, optional
        Survey date of each row; required with ``first_date``. A period ends on the latest
        survey date among its rows; a first exposure after the end of period *p − 1* and no
        later than the end of period *p* gives first period *p*.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with two ``Int64`` columns: ``first_period`` (NA for units never
        exposed) and ``event_time`` (period minus first period; NA for never-exposed units).

    Raises
    ------
    InputError
        For missing or non-numeric columns, a non-0/1 or non-absorbing treatment.
    ConfigError
        If only one of ``first_date`` and ``date`` is given.

    Notes
    -----
    Rows with a missing unit, period or exposure get NA. A first date that points to a
    period *after* the first observed exposure (inconsistent data) is ignored in favour of
    the observed exposure.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import dialogue
    >>> df = pd.DataFrame({"id": ["a", "a", "b"], "period": [0, 2, 1],
    ...                    "attended": [0, 1, 0]})
    >>> dialogue.exposure_timing(df, unit="id", time="period",
    ...                          treatment="attended")["event_time"].tolist()
    [-2, 0, <NA>]
    """
    check_frame(data)
    if (first_date is None) != (date is None):
        raise ConfigError("first_date and date must be given together (or neither)")
    check_columns(data, [unit, time, treatment, first_date, date])
    t = _numeric(data, time, role="time")
    d = _binary(data, treatment)
    ok = ~np.isnan(t) & ~np.isnan(d) & data[unit].notna().to_numpy()
    u = np.full(len(data), -1, np.int64)
    u[ok], _ = _codes(data.loc[ok, unit])
    _check_absorbing(u[ok], t[ok], d[ok], treatment)
    first = np.full(len(data), np.nan)
    first[ok] = _first_periods(u[ok], t[ok], d[ok])
    if first_date is not None:
        dates = pd.to_datetime(data[date])
        fdates = pd.to_datetime(data[first_date])
        ends = pd.Series(dates[ok].to_numpy()).groupby(t[ok]).max().sort_index()
        unit_fd = pd.Series(fdates[ok].to_numpy()).groupby(u[ok]).min()
        pos = np.searchsorted(ends.to_numpy(), unit_fd.to_numpy(), side="left")
        periods = ends.index.to_numpy()
        by_date = np.where(unit_fd.notna().to_numpy() & (pos < len(periods)),
                           periods[np.minimum(pos, len(periods) - 1)], np.nan)
        row_date = np.full(len(data), np.nan)
        row_date[ok] = pd.Series(by_date, index=unit_fd.index).reindex(u[ok]).to_numpy()
        use = ~np.isnan(row_date) & (np.isnan(first) | (row_date < first))
        first = np.where(use, row_date, first)
    out = data.copy()
    out["first_period"] = pd.array(np.where(np.isnan(first), None, first), dtype="Int64")
    ev = np.where(np.isnan(first), np.nan, t - first)
    out["event_time"] = pd.array(np.where(np.isnan(ev), None, ev), dtype="Int64")
    return out


# ============================================================================ TWFE


def _twfe_inputs(data: pd.DataFrame, outcome: str, unit: str, time: str, treatment: str,
                 cluster: str) -> tuple[_Panel, np.ndarray]:
    if cluster is None:
        raise ConfigError("cluster must name a column (e.g. 'opd'); a TWFE standard error "
                          "here is always cluster-robust")
    panel = _panel(data, outcome=outcome, unit=unit, time=time, treatment=treatment,
                   cluster=cluster, drop_always_treated=False)
    f = panel.frame
    f["_t0"], _ = _codes(f["_t"])
    _check_min_clusters(panel.n_clusters, cluster)
    return panel, f["_t0"].to_numpy()


def did(data: pd.DataFrame, *, outcome: str, unit: str, time: str, treatment: str,
        cluster: str, confidence: float = 0.95) -> Estimate:
    """Estimate the plain two-way fixed-effects difference in differences.

    Use it as the textbook benchmark beside :func:`event_study`: with staggered adoption
    and effects that grow over time it is biased (it compares late with early adopters),
    so it is not the headline estimate.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel, one row per unit and period. Not modified.
    outcome : str
        Numeric outcome (e.g. the ``resistance`` score).
    unit, time, treatment, cluster : str
        Unit labels (any type; unit fixed effects), numeric period (time fixed effects;
        any labels work too), absorbing 0/1 exposure, cluster labels (e.g. ``opd``).
    confidence : float, optional
        Level of the interval (default 0.95).

    Returns
    -------
    Estimate
        ``estimate`` (coefficient of the treatment), ``se`` (CR1), ``ci_low``,
        ``ci_high``, ``p_value`` and ``statistic`` from t(G − 1), ``df`` = G − 1,
        ``n_obs``, ``n_clusters``, ``method``, ``assumptions``, ``term`` = treatment.

    Raises
    ------
    InputError
        Missing/non-numeric columns, a non-absorbing or non-0/1 treatment, a treatment
        without within-unit variation, fewer than two clusters.
    ConfigError
        For a bad ``confidence`` or no ``cluster``.

    Notes
    -----
    ``y_it = α_i + λ_t + β·d_it + ε_it``, the fixed effects absorbed exactly
    (Frisch–Waugh–Lovell; ``pyfixest.feols`` when units move between clusters), equal to
    ``fixest::feols(y ~ d | unit + t, cluster = ~cl)`` (tested). The standard error is
    CR1 with fixest's default small-sample factor ``G/(G − 1) · (n − 1)/(n − K)``, where
    ``K`` counts the treatment and the time effects but not unit effects nested in the
    clusters; inference uses t(G − 1), the p-value from ``scipy.stats.t.sf`` (exact also
    for tiny p). Rows with a missing value in any role are dropped.
    Identification: parallel trends, no anticipation **and** a homogeneous effect; with
    heterogeneous or dynamic effects under staggered adoption the coefficient is a
    weighted average of cohort effects with possibly negative weights
    (Goodman-Bacon 2021; de Chaisemartin & D'Haultfœuille 2020).

    References
    ----------
    Bertrand, M., Duflo, E., & Mullainathan, S. (2004). How much should we trust
    differences-in-differences estimates? *QJE*, 119(1), 249–275.
    Goodman-Bacon, A. (2021). Difference-in-differences with variation in treatment
    timing. *Journal of Econometrics*, 225(2), 254–277.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import dialogue
    >>> df = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4, 4], "t": [0, 1] * 4,
    ...                    "d": [0, 1, 0, 0, 0, 1, 0, 0], "opd": list("aabbccdd"),
    ...                    "y": [3.0, 2.0, 3.5, 3.6, 2.8, 2.1, 3.1, 3.0]})
    >>> # In R: fixest::feols(y ~ d | id + t, df, cluster = ~opd)
    >>> round(dialogue.did(df, outcome="y", unit="id", time="t", treatment="d",
    ...                    cluster="opd").estimate, 4)
    -0.85
    """
    confidence = check_confidence(confidence)
    panel, t0 = _twfe_inputs(data, outcome, unit, time, treatment, cluster)
    f = panel.frame
    fe = pd.DataFrame({"y": f["_y"].to_numpy(), "d": f["_d"].to_numpy(),
                       "u": f["_u"].to_numpy(), "t": t0, "c": f["_c"].to_numpy()})
    dsd = fe.groupby("u")["d"].transform(lambda s: s - s.mean())
    if float((dsd**2).sum()) <= 1e-12:
        raise InputError("the treatment does not vary within units over time, so the "
                         "two-way fixed-effects coefficient is not identified",
                         column=treatment, fix="check that some units change exposure")
    est, se = _feols_cr1(fe, ["d"])
    g = panel.n_clusters
    stat, p, lo, hi = _t_inference(est, se, g - 1, confidence)
    return Estimate(
        estimate=est, se=se, ci_low=lo, ci_high=hi, p_value=p, n_obs=len(fe),
        method="two-way fixed effects (unit and period), fixed effects absorbed; CR1 "
               "cluster-robust SE with fixest's small-sample factor, t(G - 1)",
        assumptions=_TWFE_ASSUMPTION, confidence=confidence, df=float(g - 1),
        statistic=stat, n_clusters=g, term=treatment,
        details={"n_units": int(f["_u"].nunique()), "n_periods": int(fe["t"].nunique()),
                 "n_dropped_rows": panel.n_dropped})


def twfe_cr2(data: pd.DataFrame, *, outcome: str, unit: str, time: str, treatment: str,
             cluster: str, confidence: float = 0.95) -> Estimate:
    """Two-way fixed effects with a CR2 (Bell–McCaffrey) SE and Satterthwaite df.

    Use it beside :func:`did` when there are few or unequal clusters (a city has a few
    dozen OPDs, a couple of them very large): CR1 then understates the uncertainty.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel. Not modified.
    outcome, unit, time, treatment, cluster : str
        As in :func:`did`.
    confidence : float, optional
        Level of the interval (default 0.95).

    Returns
    -------
    Estimate
        The TWFE coefficient (identical to :func:`did`), ``se`` (CR2), ``df``
        (Satterthwaite), ``statistic``, ``p_value``, ``ci_low``, ``ci_high`` from t(df).

    Raises
    ------
    InputError, ConfigError
        As :func:`did`.

    Notes
    -----
    ``V = (X'X)⁻¹ Σ_g X_g' A_g e_g e_g' A_g X_g (X'X)⁻¹`` with
    ``A_g = (I − H_gg)^(−1/2)``, ``H`` the hat matrix of the full design (treatment plus
    unit and time dummies). Unit effects nested in clusters make ``I − H_gg`` singular;
    as in clubSandwich, a symmetric pseudo-inverse square root is used (eigenvalues
    ≤ 1e-12 set to 0). The Satterthwaite df follow Bell & McCaffrey (2002) and
    Pustejovsky & Tipton (2018) under a working model of independent, homoskedastic
    errors. Computed exactly without dummies (Frisch–Waugh–Lovell on the unbalanced
    panel); matches ``clubSandwich::coef_test(lm(y ~ d + factor(unit) + factor(time)),
    vcov = "CR2", cluster = cl, test = "Satterthwaite")``.

    References
    ----------
    Bell, R. M., & McCaffrey, D. F. (2002). Bias reduction in standard errors for linear
    regression with multi-stage samples. *Survey Methodology*, 28(2), 169–181.
    Pustejovsky, J. E., & Tipton, E. (2018). Small-sample methods for cluster-robust
    variance estimation and hypothesis testing in fixed effects models. *JBES*, 36(4).

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import dialogue
    >>> df = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6], "t": [0, 1] * 6,
    ...                    "d": [0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0],
    ...                    "opd": list("aabbccddeeff"),
    ...                    "y": [3.0, 2.0, 3.5, 3.6, 2.8, 2.1, 3.1, 3.0, 3.3, 3.0, 2.9, 3.2]})
    >>> # In R: clubSandwich::coef_test(lm(y ~ d + factor(id) + factor(t), df),
    >>> #           vcov = "CR2", cluster = df$opd)["d", ]
    >>> res = dialogue.twfe_cr2(df, outcome="y", unit="id", time="t", treatment="d",
    ...                         cluster="opd")
    >>> round(res.estimate, 4), round(res.df, 2)
    (-0.7667, 4.0)
    """
    confidence = check_confidence(confidence)
    panel, t0 = _twfe_inputs(data, outcome, unit, time, treatment, cluster)
    f = panel.frame
    fit = _twfe(f["_y"].to_numpy(), f["_d"].to_numpy(), f["_u"].to_numpy(), t0,
                f["_c"].to_numpy())
    se, df = _cr2(fit)
    stat, p, lo, hi = _t_inference(fit.beta, se, df, confidence)
    return Estimate(
        estimate=fit.beta, se=se, ci_low=lo, ci_high=hi, p_value=p, n_obs=len(f),
        method="two-way fixed effects; CR2 (Bell-McCaffrey) cluster-robust SE with "
               "Satterthwaite degrees of freedom",
        assumptions=_TWFE_ASSUMPTION, confidence=confidence, df=df, statistic=stat,
        n_clusters=panel.n_clusters, term=treatment)


def wild_cluster_bootstrap(data: pd.DataFrame, *, outcome: str, unit: str, time: str,
                           treatment: str, cluster: str, reps: int = 9999,
                           weights: BootstrapWeights = "rademacher",
                           seed: int | None = None) -> Estimate:
    """Wild cluster restricted bootstrap p-value of the TWFE coefficient (H0: no effect).

    Use it when clusters are few or unequal: the bootstrap t test keeps its size where
    CR1 t tests over-reject (Cameron, Gelbach & Miller 2008).

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel. Not modified.
    outcome, unit, time, treatment, cluster : str
        As in :func:`did`.
    reps : int, optional
        Bootstrap draws B (default 9999). With Rademacher weights and ``2**G <= reps``
        every one of the 2^G sign vectors is used once instead (exact, deterministic).
    weights : {"rademacher", "webb"}, optional
        Auxiliary weights per cluster: ±1 with equal probability, or Webb's six-point
        distribution (better with fewer than about 12 clusters).
    seed : int, optional
        Seed of ``numpy.random.default_rng``; the same seed gives the same p-value.

    Returns
    -------
    Estimate
        ``estimate`` (TWFE coefficient), ``statistic`` None, ``p_value`` (share
        of bootstrap |t*| at least |t|, as ``(1 + #)/(B + 1)`` for random draws), ``se``,
        ``ci_low`` and ``ci_high`` NaN (no interval is inverted), ``n_clusters``;
        ``details`` holds ``reps`` (draws used), ``weights``, ``enumerated``.

    Raises
    ------
    InputError
        As :func:`did`; also with fewer than 4 clusters.
    ConfigError
        For a bad ``reps``, ``weights`` or ``seed``.

    Notes
    -----
    Wild cluster *restricted* (WCR) bootstrap with the null imposed: the model without
    the treatment (unit and time effects only) gives fitted values and residuals ũ; each
    draw multiplies the residuals of cluster g by v_g and refits. The bootstrap statistic
    is the CR1 t (the small-sample factor cancels). Computed in closed form, linear in
    the draws (Roodman, MacKinnon, Nielsen & Webb 2019), so 9,999 draws take
    milliseconds.

    References
    ----------
    Cameron, A. C., Gelbach, J. B., & Miller, D. L. (2008). Bootstrap-based improvements
    for inference with clustered errors. *REStat*, 90(3), 414–427.
    Webb, M. D. (2023). Reworking wild bootstrap-based inference for clustered errors.
    *Canadian Journal of Economics*, 56(3), 839–858.
    Roodman, D., MacKinnon, J. G., Nielsen, M. Ø., & Webb, M. D. (2019). Fast and wild:
    Bootstrap inference in Stata using boottest. *Stata Journal*, 19(1), 4–60.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import dialogue
    >>> df = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6], "t": [0, 1] * 6,
    ...                    "d": [0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0],
    ...                    "opd": list("aabbccddeeff"),
    ...                    "y": [3.0, 2.0, 3.5, 3.6, 2.8, 2.1, 3.1, 3.0, 3.3, 3.0, 2.9, 3.2]})
    >>> res = dialogue.wild_cluster_bootstrap(df, outcome="y", unit="id", time="t",
    ...                                       treatment="d", cluster="opd", seed=1)
    >>> res.details["enumerated"], res.details["reps"], round(res.p_value, 4)
    (True, 64, 0.0312)
    """
    check_choice(weights, BootstrapWeights, name="weights")
    if isinstance(reps, bool) or not isinstance(reps, (int, np.integer)) or reps < 99:
        raise ConfigError(f"reps must be an integer of at least 99; got {reps!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise ConfigError(f"seed must be an integer or None; got {seed!r}")
    panel, t0 = _twfe_inputs(data, outcome, unit, time, treatment, cluster)
    _check_min_clusters(panel.n_clusters, cluster, needed=4)
    f = panel.frame
    fit = _twfe(f["_y"].to_numpy(), f["_d"].to_numpy(), f["_u"].to_numpy(), t0,
                f["_c"].to_numpy())
    g = fit.n_clusters
    enumerated = weights == "rademacher" and 2**g <= reps
    if enumerated:
        grid = ((np.arange(2**g)[:, None] >> np.arange(g)[None, :]) & 1).astype(float)
        v = 2.0 * grid - 1.0
    else:
        rng = np.random.default_rng(seed)
        if weights == "rademacher":
            v = rng.choice(np.array([-1.0, 1.0]), size=(int(reps), g))
        else:
            webb = np.sqrt(np.array([1.5, 1.0, 0.5])) * np.array([[-1.0], [1.0]])
            v = rng.choice(webb.ravel(), size=(int(reps), g))
    t_obs = _t_unrestricted(fit)
    t_star = _wcr_tstats(fit, v)
    hits = int(np.sum(np.abs(t_star) >= abs(t_obs) * (1 - 1e-12)))
    b = v.shape[0]
    p = hits / b if enumerated else (1 + hits) / (b + 1)
    return Estimate(
        estimate=fit.beta, se=math.nan, ci_low=math.nan, ci_high=math.nan, p_value=float(p),
        n_obs=len(f),
        method=f"two-way fixed effects; wild cluster restricted bootstrap (WCR, H0: "
               f"effect = 0), {weights} weights, "
               + (f"all {b} sign vectors" if enumerated else f"B = {b} draws")
               + ", bootstrap CR1 t",
        assumptions=_TWFE_ASSUMPTION, confidence=0.95, df=None, statistic=None,
        n_clusters=g, term=treatment,
        details={"reps": b, "weights": weights, "enumerated": enumerated, "seed": seed})


def few_cluster_inference(data: pd.DataFrame, *, outcome: str, unit: str, time: str,
                          treatment: str, cluster: str, confidence: float = 0.95,
                          reps: int = 9999, weights: BootstrapWeights = "rademacher",
                          seed: int | None = None) -> pd.DataFrame:
    """Compare CR1, CR2 and wild-bootstrap inference for the TWFE coefficient.

    Use it to show readers whether the conclusion depends on the few-cluster correction.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel. Not modified.
    outcome, unit, time, treatment, cluster : str
        As in :func:`did`.
    confidence : float, optional
        Level of the intervals (default 0.95).
    reps, weights, seed
        As in :func:`wild_cluster_bootstrap`.

    Returns
    -------
    pandas.DataFrame
        Three rows (``inference`` = ``"CR1"``, ``"CR2"``, ``"wild bootstrap"``) with
        ``estimate``, ``se``, ``df``, ``statistic``, ``ci_low``, ``ci_high``, ``p_value``,
        ``n_obs``, ``n_clusters``, ``method``.

    Raises
    ------
    InputError, ConfigError
        As the three functions it calls.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import dialogue
    >>> df = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6], "t": [0, 1] * 6,
    ...                    "d": [0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0],
    ...                    "opd": list("aabbccddeeff"),
    ...                    "y": [3.0, 2.0, 3.5, 3.6, 2.8, 2.1, 3.1, 3.0, 3.3, 3.0, 2.9, 3.2]})
    >>> dialogue.few_cluster_inference(df, outcome="y", unit="id", time="t", treatment="d",
    ...                                cluster="opd", seed=1)["inference"].tolist()
    ['CR1', 'CR2', 'wild bootstrap']
    """
    kw = dict(outcome=outcome, unit=unit, time=time, treatment=treatment, cluster=cluster)
    ests = {"CR1": did(data, confidence=confidence, **kw),
            "CR2": twfe_cr2(data, confidence=confidence, **kw),
            "wild bootstrap": wild_cluster_bootstrap(data, reps=reps, weights=weights,
                                                     seed=seed, **kw)}
    cols = ["estimate", "se", "df", "statistic", "ci_low", "ci_high", "p_value", "n_obs",
            "n_clusters", "method"]
    rows = [{"inference": k, **{c: getattr(e, c) for c in cols}} for k, e in ests.items()]
    return pd.DataFrame(rows).astype({"df": float, "n_clusters": "Int64"})


# ============================================================================ event study


@dataclass(frozen=True, slots=True)
class EventStudyResult:
    """A heterogeneity-robust (Callaway–Sant'Anna) event study with its aggregates.

    Attributes
    ----------
    events : pandas.DataFrame
        One row per event time (periods since first exposure; negative = leads) with
        ``event_time`` (int), ``estimate``, ``se``, ``ci_low``, ``ci_high``,
        ``p_value``, ``df`` (Satterthwaite degrees of freedom of the t reference; G − 1
        with CR1), ``n_obs`` (respondent-waves of ever-exposed units at that event time;
        the aggregation weights), ``n_cells`` (cohort-period cells pooled) and
        ``reference`` (True for the universal base period's fixed 0).
    cells : pandas.DataFrame
        One row per cohort and period: ``cohort`` (first period), ``period``,
        ``base_period``, ``event_time``, ``estimate`` (ATT(g, t)), ``se``, ``df``,
        ``ci_low``, ``ci_high``, ``p_value``, ``n_obs`` (the cohort's respondent-waves in that
        period), ``n_pairs`` (units observed in both ``period`` and ``base_period``, exposed
        and comparison, that the 2×2 comparison uses).
    att : Estimate
        Average effect over the exposed respondent-waves (the post-exposure cells
        weighted by their ``n_obs``), with CI and p from t(``df``); ``details`` holds
        ``n_exposed_obs``, ``n_cells``, ``n_units``, ``n_dropped_rows``, ``vcov`` and, for
        comparison, ``se_cr1`` and ``df_cr1`` (the CR1 standard error and G − 1).
    pretrend_statistic : float
        Joint Wald test that all leads are 0: with CR2 the HTZ statistic of Pustejovsky &
        Tipton (2018), with CR1 F = W / q.
    pretrend_df : tuple of float
        (q, df2): numerator and denominator degrees of freedom of that F (HTZ: ν − q + 1;
        CR1: G − 1).
    pretrend_p_value : float
        Its p-value (NaN without leads).
    n_obs : int
        Rows of the analysis frame (respondent-waves) after dropping incomplete rows and
        units exposed from the first period on.
    n_units, n_clusters : int
        Units and clusters in the analysis frame.
    method, assumptions : str
        The estimator and its identifying assumptions, in words.
    confidence : float
        Level of all intervals.
    """

    events: pd.DataFrame = field(repr=False)
    cells: pd.DataFrame = field(repr=False)
    att: Estimate
    pretrend_statistic: float
    pretrend_df: tuple[float, float]
    pretrend_p_value: float
    n_obs: int
    n_units: int
    n_clusters: int
    method: str
    assumptions: str
    confidence: float

    def to_frame(self) -> pd.DataFrame:
        """Return the event-time table (a copy of ``events``).

        Returns
        -------
        pandas.DataFrame
            As the ``events`` attribute.
        """
        return self.events.copy()


@dataclass(frozen=True)
class _CsFit:
    """ATT(g, t) cells and the stacked 2×2 comparisons behind them.

    Every estimable, non-reference cell is a difference of two group means of the change
    Δy (cohort g minus the comparison units, on the units observed in both periods): a
    regression of Δy on two group indicators. A *block* is one (cell, group) pair with
    coefficient ``l_b`` (+1/n_b for the cohort, −1/n_b for the comparison units) and size
    ``n_b``; per cluster g and block b the count ``m[g, b]`` and the residual sum
    ``e[g, b]`` (Δy minus the block mean). Every cluster-robust variance below is a
    function of these alone.
    """

    cells: pd.DataFrame  # cohort, period, base_period, event_time, att, n_obs, n_pairs, ref
    block_cell: np.ndarray  # (B,) row of `cells` of each block
    block_coef: np.ndarray  # (B,) l_b
    block_n: np.ndarray  # (B,) n_b
    m: np.ndarray  # (G, B) rows of cluster g in block b
    e: np.ndarray  # (G, B) residual sums
    n_entities: int
    n_clusters: int


def _cell_list(cohorts: np.ndarray, times: np.ndarray,
               base_period: str) -> list[tuple[int, int, int]]:
    """(cohort, base, period) triples, as ``differences`` (and R ``did``) enumerate them."""
    out = []
    for g in cohorts:
        pre = times[times < g]
        if base_period == "universal":
            if pre.size:
                out += [(int(g), int(pre[-1]), int(t)) for t in times]
            continue
        for k in range(times.size - 1):
            t = times[k + 1]
            if t >= g:
                if not pre.size:
                    break
                out.append((int(g), int(pre[-1]), int(t)))
            else:
                out.append((int(g), int(times[k]), int(t)))
    return out


def _cs_fit(frame: pd.DataFrame, *, control_group: str, base_period: str) -> _CsFit:
    """Group-time ATTs (Callaway & Sant'Anna 2021, no covariates) and their 2×2 blocks.

    Panel estimator on an unbalanced panel: each 2×2 comparison uses the units observed
    in both of its periods; comparison units are the never-exposed (and, for
    ``not_yet_treated``, the units first exposed after both periods), cells enumerated as
    in ``differences.ATTgt`` / R ``did`` (which the tests check to 1e-10).
    """
    # A unit whose first exposure comes after its last observed period is never seen
    # exposed; differences and did would silently use it as never exposed (a comparison
    # unit). It is left out instead (it can only inform pre-exposure cells).
    last = frame.groupby("_u")["_t"].transform("max")
    late = frame["_g"].notna() & (frame["_g"] > last)
    if late.any():
        logger.debug("leaving out %d rows of units first exposed after their last "
                     "observation", int(late.sum()))
        frame = frame.loc[~late]
    if frame["_g"].notna().all() and control_group == "never_treated":
        raise InputError("no unit stays unexposed, so there is no never-exposed comparison "
                         "group", fix="use control_group='not_yet_treated'")
    if frame["_g"].isna().all():
        raise InputError("no unit becomes exposed after the first period, so no effect can "
                         "be estimated", fix="check the treatment column")
    ucode, n_units = _codes(frame["_u"])
    times = np.sort(frame["_t"].unique())
    tpos = np.searchsorted(times, frame["_t"].to_numpy())
    y = np.full((n_units, times.size), np.nan)
    y[ucode, tpos] = frame["_y"].to_numpy()
    per_unit = frame.groupby(ucode).agg(g=("_g", "first"), c=("_c", "first"))
    coh = per_unit["g"].to_numpy(dtype=float)
    clus, n_cl = _codes(per_unit["c"])
    never = np.isnan(coh)
    counts = frame.groupby(["_g", "_t"]).size()
    cohorts = np.sort(np.unique(coh[~never]))
    rows: list[dict[str, Any]] = []
    b_cell, b_coef, b_n, m_cols, e_cols = [], [], [], [], []
    for g, b, t in _cell_list(cohorts, times, base_period):
        row = {"cohort": g, "period": t, "base_period": b, "event_time": t - g,
               "att": math.nan, "n_obs": int(counts.get((float(g), t), 0)), "n_pairs": 0,
               "reference": bool(t == b)}
        rows.append(row)
        if row["reference"]:
            row["att"] = 0.0
            continue
        dy = y[:, np.searchsorted(times, t)] - y[:, np.searchsorted(times, b)]
        ok = ~np.isnan(dy)
        treated = ok & (coh == g)
        control = ok & never
        if control_group == "not_yet_treated":
            control = control | (ok & (coh > max(t, b)) & (coh != g))
        nt, nc = int(treated.sum()), int(control.sum())
        row["n_pairs"] = nt + nc
        if nt == 0 or nc == 0:
            logger.debug("cell g=%d t=%d not estimable (%d exposed, %d comparison units)",
                         g, t, nt, nc)
            continue
        mt, mc = float(dy[treated].mean()), float(dy[control].mean())
        row["att"] = mt - mc
        for grp, mean, sign, n in ((treated, mt, 1.0, nt), (control, mc, -1.0, nc)):
            b_cell.append(len(rows) - 1)
            b_coef.append(sign / n)
            b_n.append(float(n))
            m_cols.append(np.bincount(clus[grp], minlength=n_cl).astype(float))
            e_cols.append(np.bincount(clus[grp], weights=dy[grp] - mean, minlength=n_cl))
    if not rows or not b_cell:
        raise InputError("no cohort-period comparison can be estimated (no cohort has "
                         "comparison units observed in the same two periods)",
                         fix="check the treatment and time columns")
    return _CsFit(cells=pd.DataFrame(rows), block_cell=np.asarray(b_cell, np.int64),
                  block_coef=np.asarray(b_coef), block_n=np.asarray(b_n),
                  m=np.column_stack(m_cols), e=np.column_stack(e_cols),
                  n_entities=n_units, n_clusters=n_cl)


def _cr2_factors(fit: _CsFit) -> np.ndarray:
    """(G, B) CR2 factors ``(1 − m_gb/n_b)^(−1/2)`` (0 where a block lies in one cluster).

    ``H_gg`` of the stacked regression is block diagonal with blocks ``J/n_b`` (group
    means), and every contrast is constant within a block, so ``A_g = (I − H_gg)^(−1/2)``
    acts on it as this scalar; a zero eigenvalue gets 0, as clubSandwich's pseudo-inverse.
    """
    lam = 1.0 - fit.m / fit.block_n[None, :]
    return np.where(lam > _CR2_EIGEN_TOL,
                    1.0 / np.sqrt(np.clip(lam, _CR2_EIGEN_TOL, None)), 0.0)


def _p_terms(fit: _CsFit, a: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pustejovsky–Tipton's P array of contrasts ``a`` (B, q), in low-rank form.

    ``P[s, t]`` (G × G, working model I) has entries ``w_gs' w_ht`` with
    ``w_gs = (I − H) u_gs`` and ``u_gs`` the CR2-adjusted contrast s on cluster g's rows. In
    blocks it is ``diag(D[:, s, t]) − X_s N X_t'`` with ``v = f·a``, ``X_s = v_s·m`` (G × B),
    ``N = diag(1/n_b)`` and ``D[g, s, t] = Σ_b v_gbs v_gbt m_gb``; (D, X) are returned so
    that no G × G matrix is formed (clustering by person gives hundreds of clusters).
    """
    v = f[:, :, None] * a[None, :, :]  # (G, B, q)
    x = v * fit.m[:, :, None]
    return np.einsum("gbs,gbt->gst", v, x), x


def _tr_lowrank(d1: np.ndarray, x1: np.ndarray, y1: np.ndarray, d2: np.ndarray,
                x2: np.ndarray, y2: np.ndarray, inv_n: np.ndarray) -> float:
    """``tr(M1 M2)`` for ``M = diag(d) − x N y'`` (x, y: G × B; N = diag(inv_n))."""
    return float(d1 @ d2 - d1 @ np.einsum("gb,gb,b->g", x2, y2, inv_n)
                 - d2 @ np.einsum("gb,gb,b->g", x1, y1, inv_n)
                 + np.sum((inv_n[:, None] * (y1.T @ x2)) * (inv_n[:, None] * (y2.T @ x1)).T))


def _cs_vcov(fit: _CsFit, weights: np.ndarray, vcov: str) -> tuple[np.ndarray, np.ndarray]:
    """Covariance (q, q) of the cell combinations ``weights`` (K, q) and their df (q,).

    CR1: cluster sums of the influence functions (``l_b·e_gb``) times G/(G − 1), df
    G − 1. CR2: the same sums after the Bell–McCaffrey adjustment, no factor, with
    Satterthwaite df ``(Σ_g P_gg)² / Σ_gh P_gh²`` (Bell & McCaffrey 2002; Pustejovsky &
    Tipton 2018), the df of ``clubSandwich::linear_contrast(test = "Satterthwaite")``.
    """
    w = np.nan_to_num(weights)
    a = w[fit.block_cell, :] * fit.block_coef[:, None]  # (B, q)
    g = fit.n_clusters
    if vcov == "CR1":
        s = fit.e @ a
        return g / (g - 1) * (s.T @ s), np.full(a.shape[1], float(g - 1))
    f = _cr2_factors(fit)
    s = (fit.e * f) @ a
    d, x = _p_terms(fit, a, f)
    inv_n = 1.0 / fit.block_n
    df = np.full(a.shape[1], np.nan)
    for j in range(a.shape[1]):
        dj, xj = d[:, j, j], x[:, :, j]
        tr = float(dj.sum() - np.einsum("gb,gb,b->", xj, xj, inv_n))
        ss = _tr_lowrank(dj, xj, xj, dj, xj, xj, inv_n)
        if ss > 1e-300:
            df[j] = tr**2 / ss
    return s.T @ s, df


def _htz(fit: _CsFit, weights: np.ndarray, theta: np.ndarray,
         cov: np.ndarray) -> tuple[float, float, float, float]:
    """Pustejovsky–Tipton's HTZ Wald test of ``theta = 0``: (F, q, df2, p).

    Q = θ'V⁻¹θ; ν = q(q + 1) / Σ_st Var_st from the P array (clubSandwich's
    ``total_variance_mat``); F = (ν − q + 1)/(ν q)·Q on F(q, ν − q + 1).
    """
    from scipy import stats

    q = theta.size
    a = np.nan_to_num(weights)[fit.block_cell, :] * fit.block_coef[:, None]
    f = _cr2_factors(fit)
    inv_n = 1.0 / fit.block_n
    d, x = _p_terms(fit, a, f)
    omega = d.sum(axis=0) - np.einsum("gbs,gbt,b->st", x, x, inv_n)
    # B = Ω^(-1/2) P Ω^(-1/2) is the P array of the transformed contrasts a·Ω^(-1/2)
    d, x = _p_terms(fit, a @ _inv_sqrt_psd(omega), f)
    var = 0.0
    for i in range(q):
        for j in range(q):
            # Σ_gh B[s,t,g,h]·B[t,s,g,h] = tr(B_st B_st) and Σ_gh B[s,s,g,h]·B[t,t,g,h] =
            # tr(B_ss B_tt): clubSandwich's total_variance_mat
            var += _tr_lowrank(d[:, i, j], x[:, :, i], x[:, :, j], d[:, i, j], x[:, :, i],
                               x[:, :, j], inv_n)
            var += _tr_lowrank(d[:, i, i], x[:, :, i], x[:, :, i], d[:, j, j], x[:, :, j],
                               x[:, :, j], inv_n)
    if not (np.isfinite(var) and var > 1e-300):
        return math.nan, float(q), math.nan, math.nan  # no variation in the leads
    nu = q * (q + 1) / float(var)
    qstat = float(theta @ np.linalg.pinv(cov) @ theta)
    df2 = nu - q + 1
    f_stat = max(df2 / nu, 0.0) * qstat / q
    p_val = float(stats.f.sf(f_stat, q, df2)) if df2 > 0 else math.nan
    return f_stat, float(q), float(df2), p_val


def _cell_weights(fit: _CsFit, mask: np.ndarray) -> np.ndarray:
    """Weights ∝ n_obs over the finite cells in ``mask`` (zeros if none)."""
    cells = fit.cells
    ok = mask & np.isfinite(cells["att"].to_numpy()) & (cells["n_obs"].to_numpy() > 0)
    w = np.where(ok, cells["n_obs"].to_numpy(), 0.0).astype(float)
    return w / w.sum() if w.sum() > 0 else w


_VCOV_TEXT = {
    "CR2": "CR2 (Bell-McCaffrey) cluster-robust SE of the stacked 2x2 comparisons with "
           "Satterthwaite degrees of freedom (Pustejovsky-Tipton), pre-trend test HTZ",
    "CR1": "cluster-robust SE from the influence functions with factor G/(G - 1), t(G - 1)",
}


@_one_blas_thread
def _cs_result(panel: _Panel, fit: _CsFit, *, confidence: float, control_group: str,
               base_period: str, label: str, vcov: str = "CR2") -> EventStudyResult:
    from scipy import stats

    g_df = float(fit.n_clusters - 1)
    cells = fit.cells.copy()
    ref = cells["reference"].to_numpy()
    att = cells["att"].to_numpy()
    k = len(cells)
    events = sorted(cells["event_time"].unique())
    masks = [(cells["event_time"] == e).to_numpy() & ~ref for e in events]
    post = (cells["period"] >= cells["cohort"]).to_numpy()
    wmat = np.column_stack([np.eye(k)] + [_cell_weights(fit, m)[:, None] for m in masks]
                           + [_cell_weights(fit, post)[:, None]])
    cov, df = _cs_vcov(fit, wmat, vcov)
    se_all = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    cov1, _ = _cs_vcov(fit, wmat[:, -1:], "CR1")

    def infer(est: float, se: float, d: float) -> tuple[float, float, float, float]:
        return _t_inference(est, se, d if np.isfinite(d) else math.nan, confidence)

    cells["se"] = np.where(ref | ~np.isfinite(att), np.nan, se_all[:k])
    cells["df"] = np.where(ref | ~np.isfinite(att), np.nan, df[:k])
    inf = [infer(a, s, d) for a, s, d in zip(att, cells["se"], cells["df"], strict=True)]
    cells["ci_low"] = [r[2] for r in inf]
    cells["ci_high"] = [r[3] for r in inf]
    cells["p_value"] = [r[1] for r in inf]
    cells = cells.rename(columns={"att": "estimate"})
    ev_rows, leads = [], []
    for j, e in enumerate(events):
        all_e = (fit.cells["event_time"] == e).to_numpy()
        w = wmat[:, k + j]
        if ref[all_e].all():
            est, se, d = 0.0, math.nan, math.nan
            n, kc = int(fit.cells.loc[all_e, "n_obs"].sum()), int(all_e.sum())
            is_ref = True
        else:
            ok = w > 0
            est = float(np.sum(w[ok] * att[ok])) if ok.any() else math.nan
            se = float(se_all[k + j]) if ok.any() else math.nan
            d = float(df[k + j]) if ok.any() else math.nan
            n, kc = int(fit.cells.loc[ok, "n_obs"].sum()), int(ok.sum())
            is_ref = False
        _, p, lo, hi = infer(est, se, d)
        if is_ref:
            p = lo = hi = math.nan
        ev_rows.append({"event_time": int(e), "estimate": est, "se": se, "ci_low": lo,
                        "ci_high": hi, "p_value": p, "df": d, "n_obs": n, "n_cells": kc,
                        "reference": is_ref})
        if e < 0 and not is_ref and np.isfinite(est):
            leads.append(k + j)
    events_df = pd.DataFrame(ev_rows)
    if leads:
        wl = wmat[:, leads]
        theta = np.array([float(np.sum(wl[:, i] * np.nan_to_num(att)))
                          for i in range(len(leads))])
        v = cov[np.ix_(leads, leads)]
        if vcov == "CR2":
            f_stat, q, df2, p_pre = _htz(fit, wl, theta, v)
        else:
            q = float(np.linalg.matrix_rank(v))
            f_stat = float(theta @ np.linalg.pinv(v) @ theta) / q if q else math.nan
            df2 = g_df
            p_pre = float(stats.f.sf(f_stat, q, df2)) if q else math.nan
    else:
        q, f_stat, df2, p_pre = 0.0, math.nan, g_df, math.nan
    w_post = wmat[:, -1]
    ok = w_post > 0
    est = float(np.sum(w_post[ok] * att[ok])) if ok.any() else math.nan
    se, d = (float(se_all[-1]), float(df[-1])) if ok.any() else (math.nan, math.nan)
    stat, p, lo, hi = infer(est, se, d)
    n_exp, kc = int(fit.cells.loc[ok, "n_obs"].sum()), int(ok.sum())
    n_obs = len(panel.frame)
    method = (f"Callaway-Sant'Anna group-time ATT ({label} comparison units, "
              f"{base_period} base period; difference of mean changes without covariates, "
              "each 2x2 comparison on the units observed in both periods); aggregated over "
              "exposed respondent-waves; " + _VCOV_TEXT[vcov])
    se1 = float(np.sqrt(cov1[0, 0])) if ok.any() else math.nan
    att_est = Estimate(
        estimate=est, se=se, ci_low=lo, ci_high=hi, p_value=p, n_obs=n_obs, method=method,
        assumptions=_PT_ASSUMPTION, confidence=confidence, df=d, statistic=stat,
        n_clusters=fit.n_clusters, term="ATT",
        details={"n_exposed_obs": n_exp, "n_cells": kc, "n_units": fit.n_entities,
                 "n_dropped_rows": panel.n_dropped, "vcov": vcov, "se_cr1": se1,
                 "df_cr1": g_df})
    cells = cells[["cohort", "period", "base_period", "event_time", "estimate", "se", "df",
                   "ci_low", "ci_high", "p_value", "n_obs", "n_pairs", "reference"]]
    return EventStudyResult(
        events=events_df, cells=cells, att=att_est, pretrend_statistic=f_stat,
        pretrend_df=(float(q), float(df2)), pretrend_p_value=p_pre, n_obs=n_obs,
        n_units=fit.n_entities, n_clusters=fit.n_clusters, method=method,
        assumptions=_PT_ASSUMPTION, confidence=confidence)


def event_study(data: pd.DataFrame, *, outcome: str, unit: str, time: str, treatment: str,
                cluster: str, first_period: str | None = None,
                control_group: ControlGroup = "never_treated",
                base_period: BasePeriod = "varying", vcov: VcovType = "CR2",
                confidence: float = 0.95) -> EventStudyResult:
    """Estimate the effect of exposure by periods since first exposure (staggered DiD).

    The headline estimator for a staggered rollout: leads test for anticipation and
    pre-trends, lags give the dynamic effect, and the aggregate is the average effect on
    the exposed respondent-waves. Unlike a TWFE regression on leads and lags it never
    compares newly exposed units with units exposed earlier.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel, one row per unit and period; may be unbalanced. Not modified.
    outcome : str
        Numeric outcome (e.g. ``resistance``).
    unit, time, treatment, cluster : str
        Unit labels (any type), numeric period (consecutive integers), absorbing 0/1
        exposure, cluster labels (e.g. ``opd``; must be constant within a unit).
    first_period : str, optional
        Column with each unit's first period of exposure (from :func:`exposure_timing`
        with dates); default: the first period observed exposed.
    control_group : {"never_treated", "not_yet_treated"}, optional
        Comparison units: never exposed (default), or also those not yet exposed.
    base_period : {"varying", "universal"}, optional
        ``"varying"`` (default): each lead compares a period with the one before;
        ``"universal"``: every cell compares with the last period before exposure (event
        time −1 is then a reference fixed at 0).
    vcov : {"CR2", "CR1"}, optional
        Small-sample inference (default ``"CR2"``): the Bell–McCaffrey (CR2) cluster-robust
        variance with Satterthwaite degrees of freedom and the HTZ pre-trend test; or CR1
        (influence functions summed by cluster × G/(G − 1), t(G − 1)), which is too narrow
        when a few clusters hold most exposed units (see Notes).
    confidence : float, optional
        Level of the intervals (default 0.95).

    Returns
    -------
    EventStudyResult
        ``events`` (per event time: ``event_time``, ``estimate``, ``se``, ``ci_low``,
        ``ci_high``, ``p_value``, ``df``, ``n_obs``, ``n_cells``, ``reference``), ``cells``
        (ATT(g, t)), ``att`` (aggregate :class:`~asn_research.results.Estimate`),
        ``pretrend_statistic``, ``pretrend_df``, ``pretrend_p_value`` and counts.

    Raises
    ------
    InputError
        Missing or non-numeric columns, non-0/1 or non-absorbing exposure, a cluster that
        varies within a unit, fewer than two clusters, no comparison units.
    ConfigError
        For a bad option.

    Notes
    -----
    Callaway & Sant'Anna (2021): for cohort g (first exposed in period g) and period t,
    ATT(g, t) is the mean change of cohort g from the base period to t minus the mean
    change of the comparison units (the panel estimator without covariates; cells
    enumerated as ``differences.ATTgt`` and R ``did`` do, and equal to both, tested). On an
    unbalanced panel each 2×2 comparison uses the units observed in both of its periods;
    units first observed after their exposure, and units exposed from the first period
    on, cannot contribute and are left out; so are units whose first exposure
    (``first_period``) comes after their last observed period (``differences`` and
    ``did`` would silently use them as never-exposed comparison units). Cells are
    aggregated with weights proportional to the cohort's respondent-waves in the period
    (``n_obs``), so the aggregate is the average effect over the exposed respondent-waves
    and event time e averages the respondent-waves e periods after first exposure; the
    weights are treated as fixed (the estimand is defined on the observed exposure).

    Inference. Every ATT(g, t) is the regression of Δy on a cohort and a comparison-group
    indicator; stacking all cells gives one linear model whose contrasts are the cells,
    the event times and the aggregate, clustered by ``cluster`` (a unit's rows in all cells
    fall in its cluster). CR1 sums the influence functions by cluster, times G/(G − 1),
    with t(G − 1) — the variance R ``did`` estimates with ``clustervars`` (its multiplier
    bootstrap reproduces it without the factor and uses normal critical values). When a
    cohort's exposed units sit in a few clusters (two large OPDs adopting early), each
    cluster's centred sum is shrunk towards 0 and CR1 is too small. The default CR2
    divides each cluster's residual sum in a (cell, group) block by √(1 − m/n), m/n being
    the cluster's share of that group — the Bell–McCaffrey adjustment (I − H_gg)^(−1/2),
    exact here because the hat matrix is block-diagonal with group means — and takes the
    t degrees of freedom from the Satterthwaite approximation under a working model of
    independent, homoskedastic errors (Bell & McCaffrey 2002; Imbens & Kolesár 2016;
    Pustejovsky & Tipton 2018); they fall far below G − 1 when few clusters carry a
    contrast. The pre-trend test is then the HTZ test (an approximate Hotelling T² with
    estimated df). Both match ``clubSandwich::linear_contrast(test = "Satterthwaite")``
    and ``Wald_test(test = "HTZ")`` on the stacked ``lm`` (tests). Identification:
    parallel trends of the comparison and exposed units without exposure, no
    anticipation, absorbing exposure; no homogeneity assumption.

    References
    ----------
    Callaway, B., & Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple
    time periods. *Journal of Econometrics*, 225(2), 200–230.
    Sun, L., & Abraham, S. (2021). Estimating dynamic treatment effects in event studies
    with heterogeneous treatment effects. *Journal of Econometrics*, 225(2), 175–199.
    Bell, R. M., & McCaffrey, D. F. (2002). Bias reduction in standard errors for linear
    regression with multi-stage samples. *Survey Methodology*, 28(2), 169–181.
    Imbens, G. W., & Kolesár, M. (2016). Robust standard errors in small samples: some
    practical advice. *Review of Economics and Statistics*, 98(4), 701–712.
    Pustejovsky, J. E., & Tipton, E. (2018). Small-sample methods for cluster-robust
    variance estimation and hypothesis testing in fixed effects models. *JBES*, 36(4).

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import dialogue
    >>> rows = [(i, t, int(i < 4 and t >= 1 + i % 2), f"o{i % 5}", 3.0 + 0.1 * i + 0.05 * t
    ...          - 0.4 * (i < 4 and t >= 1 + i % 2)) for i in range(10) for t in range(3)]
    >>> df = pd.DataFrame(rows, columns=["id", "t", "d", "opd", "y"])
    >>> es = dialogue.event_study(df, outcome="y", unit="id", time="t", treatment="d",
    ...                           cluster="opd")
    >>> round(es.att.estimate, 6), es.events["event_time"].tolist()
    (-0.4, [-1, 0, 1])
    """
    confidence = check_confidence(confidence)
    check_choice(control_group, ControlGroup, name="control_group")
    check_choice(base_period, BasePeriod, name="base_period")
    check_choice(vcov, VcovType, name="vcov")
    if cluster is None:
        raise ConfigError("cluster must name a column (e.g. 'opd')")
    panel = _panel(data, outcome=outcome, unit=unit, time=time, treatment=treatment,
                   cluster=cluster, first_period=first_period)
    f = panel.frame
    if (f.groupby("_u")["_c"].nunique() > 1).any():
        raise InputError("a unit belongs to more than one cluster", column=cluster,
                         fix="use a cluster that is constant within a unit (e.g. the OPD "
                         "at the first wave)")
    _check_min_clusters(panel.n_clusters, cluster)
    fit = _cs_fit(f, control_group=control_group, base_period=base_period)
    label = "never-exposed" if control_group == "never_treated" else "not-yet-exposed"
    return _cs_result(panel, fit, confidence=confidence, control_group=control_group,
                      base_period=base_period, label=label, vcov=vcov)


# ============================================================================ dose, placebo


def dose_response(data: pd.DataFrame, *, outcome: str, unit: str, time: str, treatment: str,
                  sessions: str, cluster: str, first_period: str | None = None,
                  vcov: VcovType = "CR2", confidence: float = 0.95) -> Estimate:
    """Estimate the change in the outcome per extra dialogue session among the exposed.

    Use it for the dose–response question ("does attending more sessions help more?")
    once the average effect is known.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel. Not modified.
    outcome, unit, time, treatment, cluster : str
        As in :func:`event_study`.
    sessions : str
        Number of sessions attended so far (cumulative; NA or 0 where unexposed).
    first_period : str, optional
        As in :func:`event_study`.
    vcov : {"CR2", "CR1"}, optional
        ``"CR2"`` (default): Bell–McCaffrey SE with Satterthwaite df (as
        :func:`twfe_cr2`); ``"CR1"``: fixest's CR1 with t(G − 1).
    confidence : float, optional
        Level of the interval (default 0.95).

    Returns
    -------
    Estimate
        ``estimate`` (outcome points per extra session), ``se``, ``df``, ``ci_low``,
        ``ci_high``, ``p_value`` from t(``df``), ``n_obs``, ``n_clusters``; ``details``
        holds ``n_exposed_obs``, ``mean_sessions`` and the CR1 ``se_cr1``.

    Raises
    ------
    InputError
        As :func:`event_study`; also if exposed rows lack a session count or sessions do
        not vary among the exposed.

    Notes
    -----
    Extended two-way fixed effects (Wooldridge 2021): ``y_it = α_i + λ_t + Σ_(g,s)
    τ_gs·1[G_i = g, t = s] + β·(sessions_it − 1)·d_it + ε_it`` with one dummy per exposed
    cohort-period cell, fixed effects absorbed as in :func:`did`; CR2 with Satterthwaite df
    by default (as :func:`twfe_cr2`, the cell dummies in the hat matrix), or CR1 as in
    :func:`did`. The cell dummies absorb the average effect of every cohort and event time,
    so β compares exposed respondents of the same cohort and period who attended more or
    fewer sessions, net of their own pre-exposure level. It is the effect of a session only
    if the number of sessions is unrelated to how the outcome would have changed otherwise
    (e.g. engagement is not driven by resistance trends); report it as an association
    otherwise.

    References
    ----------
    Wooldridge, J. M. (2021). Two-way fixed effects, the two-way Mundlak regression, and
    difference-in-differences estimators. SSRN 3906345.
    Callaway, B., Goodman-Bacon, A., & Sant'Anna, P. H. C. (2024). Difference-in-
    differences with a continuous treatment. NBER WP 32117.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import dialogue
    >>> rows = [(i, t, int(i < 6 and t >= 1), (1 + i % 3) * (i < 6 and t >= 1), f"o{i % 4}")
    ...         for i in range(10) for t in range(3)]
    >>> df = pd.DataFrame(rows, columns=["id", "t", "d", "s", "opd"])
    >>> df["y"] = 3 + 0.1 * df["id"] - 0.2 * df["d"] - 0.05 * (df["s"] - 1) * df["d"]
    >>> round(dialogue.dose_response(df, outcome="y", unit="id", time="t", treatment="d",
    ...                              sessions="s", cluster="opd").estimate, 6)
    -0.05
    """
    confidence = check_confidence(confidence)
    if cluster is None:
        raise ConfigError("cluster must name a column (e.g. 'opd')")
    panel = _panel(data, outcome=outcome, unit=unit, time=time, treatment=treatment,
                   cluster=cluster, first_period=first_period, extra=(sessions,))
    f = panel.frame
    _check_min_clusters(panel.n_clusters, cluster)
    s = _numeric(f, sessions, role="sessions")
    exposed = f["_d"].to_numpy() == 1
    if np.isnan(s[exposed]).any():
        raise InputError("some exposed rows have no session count", column=sessions,
                         fix="fill the number of sessions attended (at least 1)")
    dose = np.where(exposed, s - 1.0, 0.0)
    if np.nanstd(dose[exposed]) == 0:
        raise InputError("the number of sessions does not vary among the exposed",
                         column=sessions, fix="a dose-response needs differing doses")
    fe = pd.DataFrame({"y": f["_y"].to_numpy(), "dose": dose, "u": f["_u"].to_numpy(),
                       "t": f["_t"].to_numpy(), "c": f["_c"].to_numpy()})
    cell = np.where(exposed, f["_g"].fillna(-1).astype(int).astype(str) + "_"
                    + f["_t"].astype(str), "")
    names = []
    for k, lab in enumerate(sorted(set(cell) - {""})):
        fe[f"cell{k}"] = (cell == lab).astype(float)
        names.append(f"cell{k}")
    check_choice(vcov, VcovType, name="vcov")
    est, se1 = _feols_cr1(fe, ["dose", *names])
    g = panel.n_clusters
    if vcov == "CR2":
        ut, _ = _codes(fe["u"])
        tt, _ = _codes(fe["t"])
        _, se, df = _cr2_extended(fe["y"].to_numpy(float), fe[["dose", *names]].to_numpy(
            float), ut, tt, fe["c"].to_numpy())
        label = "CR2 (Bell-McCaffrey) cluster-robust SE, Satterthwaite df"
    else:
        se, df, label = se1, float(g - 1), "CR1 cluster-robust SE, t(G - 1)"
    stat, p, lo, hi = _t_inference(est, se, df, confidence)
    return Estimate(
        estimate=est, se=se, ci_low=lo, ci_high=hi, p_value=p, n_obs=len(fe),
        method="extended TWFE (unit and period effects plus one dummy per exposed "
               "cohort-period cell) with (sessions - 1) among the exposed; " + label,
        assumptions="as the event study, plus: the number of sessions is unrelated to "
                    "the outcome's path without extra sessions (no selection into dose)",
        confidence=confidence, df=df, statistic=stat, n_clusters=g,
        term="per_session",
        details={"n_exposed_obs": int(exposed.sum()),
                 "mean_sessions": float(np.mean(s[exposed])), "se_cr1": se1})


def placebo(data: pd.DataFrame, *, outcome: str, unit: str, time: str, treatment: str,
            cluster: str, first_period: str | None = None, shift: int = 1,
            control_group: ControlGroup = "never_treated", vcov: VcovType = "CR2",
            confidence: float = 0.95) -> Estimate:
    """Placebo test with false timing: pretend exposure came ``shift`` periods earlier.

    Use it as a falsification check: on the rows before the true exposure, an "effect"
    of the false start should be zero; a clear non-zero estimate signals diverging
    trends or anticipation.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel. Not modified.
    outcome, unit, time, treatment, cluster, first_period, control_group, vcov
        As in :func:`event_study`.
    shift : int, optional
        How many periods earlier the false exposure starts (default 1).
    confidence : float, optional
        Level of the interval (default 0.95).

    Returns
    -------
    Estimate
        The Callaway–Sant'Anna ATT of the false exposure over the false-exposed rows
        (which are all truly unexposed), with CI and p as in :func:`event_study`.

    Raises
    ------
    InputError
        As :func:`event_study`; also when no false-exposed rows remain.
    ConfigError
        For a bad ``shift``.

    Notes
    -----
    Every row at or after a unit's true first exposure is dropped; the false first
    period is the true one minus ``shift``. The estimand is 0 under parallel trends and
    no anticipation.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import dialogue
    >>> rows = [(i, t, int(i < 4 and t >= 2), f"o{i % 5}", 3.0 + 0.1 * i + 0.05 * t)
    ...         for i in range(10) for t in range(4)]
    >>> df = pd.DataFrame(rows, columns=["id", "t", "d", "opd", "y"])
    >>> abs(round(dialogue.placebo(df, outcome="y", unit="id", time="t", treatment="d",
    ...                            cluster="opd").estimate, 6))
    0.0
    """
    if isinstance(shift, bool) or not isinstance(shift, (int, np.integer)) or shift < 1:
        raise ConfigError(f"shift must be a positive integer; got {shift!r}")
    confidence = check_confidence(confidence)
    panel = _panel(data, outcome=outcome, unit=unit, time=time, treatment=treatment,
                   cluster=cluster, first_period=first_period)
    f = panel.frame
    pre = f["_g"].isna() | (f["_t"] < f["_g"])
    f = f.loc[pre].copy()
    f["_g"] = f["_g"] - shift
    f["_d"] = np.where(f["_g"].notna() & (f["_t"] >= f["_g"]), 1.0, 0.0)
    f = f.loc[~(f["_g"].notna() & (f["_g"] <= f["_t"].min()))]
    if f["_d"].sum() == 0:
        raise InputError(f"no rows are falsely exposed with shift = {shift}",
                         column=treatment, fix="use a smaller shift or more pre-exposure "
                         "periods")
    fake = _Panel(frame=f, n_dropped=panel.n_dropped, n_clusters=int(f["_c"].nunique()))
    _check_min_clusters(fake.n_clusters, cluster)
    check_choice(vcov, VcovType, name="vcov")
    fit = _cs_fit(f, control_group=control_group, base_period="varying")
    res = _cs_result(fake, fit, confidence=confidence, control_group=control_group,
                     base_period="varying", label="never-exposed" if control_group ==
                     "never_treated" else "not-yet-exposed", vcov=vcov)
    a = res.att
    return Estimate(
        estimate=a.estimate, se=a.se, ci_low=a.ci_low, ci_high=a.ci_high,
        p_value=a.p_value, n_obs=a.n_obs,
        method=f"placebo: exposure moved {shift} period(s) earlier, rows from the true "
               "exposure on dropped; " + a.method,
        assumptions="the estimand is 0 under " + _PT_ASSUMPTION, confidence=confidence,
        df=a.df, statistic=a.statistic, n_clusters=a.n_clusters, term="placebo",
        details=dict(a.details))


# ============================================================================ selection


def _design(data: pd.DataFrame, covariates: Sequence[str]) -> pd.DataFrame:
    """Numeric design columns: numbers as they are, strings/categories as dummies.

    A string or categorical covariate becomes one 0/1 column per level except the first
    in sorted order (the reference), as R's ``factor`` with default contrasts.
    """
    cols: dict[str, np.ndarray] = {}
    for c in covariates:
        s = data[c]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            cols[c] = s.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        else:
            lv = sorted(s.dropna().astype(str).unique())
            vals = s.astype("object").where(s.notna(), None)
            for level in lv[1:]:
                x = np.where(vals.isna(), np.nan, (vals.astype(str) == level).astype(float))
                cols[f"{c}[{level}]"] = x
    return pd.DataFrame(cols, index=data.index)


@dataclass(frozen=True)
class _Cross:
    y: np.ndarray
    d: np.ndarray
    x: pd.DataFrame
    cluster: np.ndarray | None
    n_clusters: int | None
    index: pd.Index


def _cross(data: pd.DataFrame, *, outcome: str, treatment: str, covariates: Sequence[str],
           cluster: str | None) -> _Cross:
    check_frame(data)
    covariates = as_tuple(covariates, name="covariates")
    check_columns(data, [outcome, treatment, cluster, *covariates])
    y = _numeric(data, outcome, role="outcome")
    d = _binary(data, treatment)
    x = _design(data, covariates)
    ok = ~np.isnan(y) & ~np.isnan(d) & ~x.isna().any(axis=1).to_numpy()
    if cluster is not None:
        ok &= data[cluster].notna().to_numpy()
    if ok.sum() < 3:
        raise InputError("fewer than three complete rows remain", column=outcome,
                         fix="check for missing values in the outcome, treatment and "
                         "covariates")
    dd = d[ok]
    if dd.min() == dd.max():
        raise InputError("every remaining row has the same treatment value; a comparison "
                         "needs exposed and unexposed rows", column=treatment,
                         fix="check the treatment column and the rows kept")
    xx = x.loc[ok]
    xx = xx.loc[:, xx.std(ddof=0) > 0]
    cl, g = None, None
    if cluster is not None:
        cl, g = _codes(data.loc[ok, cluster])
        _check_min_clusters(g, cluster)
    return _Cross(y[ok], dd, xx, cl, g, data.index[ok])


@_one_blas_thread
def _ols(y: np.ndarray, x: np.ndarray, *, weights: np.ndarray | None, cross: _Cross,
         term: int, confidence: float) -> tuple[float, float, float | None, float, float,
                                                 float, float]:
    """(est, se, df, stat, p, lo, hi) of column ``term``: HC1, or CR1 with t(G − 1)."""
    import statsmodels.api as sm

    x = _full_rank(x, weights, keep=term)
    model = sm.WLS(y, x, weights=weights) if weights is not None else sm.OLS(y, x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if cross.cluster is None:
            res = model.fit(cov_type="HC1", use_t=True)
            df: float | None = float(res.df_resid)
        else:
            res = model.fit(cov_type="cluster", cov_kwds={"groups": cross.cluster},
                            use_t=True)
            df = float(cross.n_clusters - 1)
    est = float(res.params[term])
    se = float(np.sqrt(res.cov_params()[term, term]))
    stat, p, lo, hi = _t_inference(est, se, df, confidence)
    return est, se, df, stat, p, lo, hi


def _full_rank(x: np.ndarray, weights: np.ndarray | None, *, keep: int) -> np.ndarray:
    """Drop design columns that are linear combinations of earlier ones (pivoted QR).

    Columns up to ``keep`` (intercept, exposure) are never dropped; like R's ``lm``, an
    aliased covariate column is left out instead of making the fit fail.
    """
    from scipy.linalg import qr

    xw = x if weights is None else x * np.sqrt(weights)[:, None]
    order = list(range(keep + 1)) + list(range(keep + 1, x.shape[1]))
    kept: list[int] = []
    for j in order:
        trial = kept + [j]
        r = qr(xw[:, trial], mode="r")[0]
        diag = np.abs(np.diag(r))
        if diag[-1] > 1e-9 * max(1.0, diag.max()) or j <= keep:
            kept = trial
    return x[:, kept]


def _se_label(cross: _Cross) -> str:
    return ("HC1 robust SE, t(n - k)" if cross.cluster is None
            else "CR1 cluster-robust SE (G/(G-1)·(n-1)/(n-k)), t(G - 1)")


def naive_difference(data: pd.DataFrame, *, outcome: str, treatment: str,
                     cluster: str | None = None, confidence: float = 0.95) -> Estimate:
    """Exposed-minus-unexposed difference in mean outcome, with no adjustment at all.

    Use it to show how much selection distorts a raw comparison; it is never an effect
    estimate when exposure is not random.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent (or respondent-wave). Not modified.
    outcome, treatment : str
        Numeric outcome; 0/1 exposure.
    cluster : str, optional
        Cluster labels for a CR1 SE (default: HC1).
    confidence : float, optional
        Level of the interval (default 0.95).

    Returns
    -------
    Estimate
        Difference of means with its SE, CI and p.

    Raises
    ------
    InputError
        Missing/non-numeric columns, a non-0/1 treatment, no variation in it.

    Notes
    -----
    OLS of the outcome on the exposure indicator (``statsmodels``); HC1 standard error,
    or CR1 by ``cluster``. Rows with missing values are dropped.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import dialogue
    >>> df = pd.DataFrame({"d": [0, 0, 1, 1], "y": [3.0, 3.2, 3.9, 4.1]})
    >>> # In R: lm(y ~ d, df); sandwich::vcovHC(fit, type = "HC1")
    >>> round(dialogue.naive_difference(df, outcome="y", treatment="d").estimate, 4)
    0.9
    """
    confidence = check_confidence(confidence)
    cr = _cross(data, outcome=outcome, treatment=treatment, covariates=(), cluster=cluster)
    x = np.column_stack([np.ones_like(cr.d), cr.d])
    est, se, df, stat, p, lo, hi = _ols(cr.y, x, weights=None, cross=cr, term=1,
                                        confidence=confidence)
    return Estimate(estimate=est, se=se, ci_low=lo, ci_high=hi, p_value=p,
                    n_obs=len(cr.y), method="difference in means (OLS on exposure); "
                    + _se_label(cr),
                    assumptions="exposure as good as random (no selection) - implausible "
                    "here; shown only to gauge selection", confidence=confidence, df=df,
                    statistic=stat, n_clusters=cr.n_clusters, term=treatment)


def ancova(data: pd.DataFrame, *, outcome: str, baseline: str, treatment: str,
           covariates: Sequence[str] = (), cluster: str | None = None,
           confidence: float = 0.95) -> Estimate:
    """Compare follow-up outcomes of exposed and unexposed, adjusting for the baseline.

    Use it for a baseline/follow-up design when exposure depends on the baseline level.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent at follow-up (see :func:`followup_frame`). Not modified.
    outcome : str
        Follow-up outcome.
    baseline : str
        The same outcome at baseline (before anyone was exposed).
    treatment : str
        0/1 exposure by the follow-up.
    covariates : sequence of str, optional
        Further adjustment variables; strings are categorical (first level in sorted order
        as reference).
    cluster : str, optional
        Cluster labels for a CR1 SE (default: HC1).
    confidence : float, optional
        Level of the interval (default 0.95).

    Returns
    -------
    Estimate
        The exposure coefficient with SE, CI and p (t(n − k), or t(G − 1) with
        ``cluster``).

    Raises
    ------
    InputError
        Missing/non-numeric columns, a non-0/1 treatment, no variation in it.

    Notes
    -----
    OLS ``y ~ d + y_baseline + covariates`` (``statsmodels``). Identifies the effect if
    exposure is unrelated to the follow-up outcome without exposure given the baseline
    outcome and covariates. If exposure was selected on a stable trait that the baseline
    measures with error, ANCOVA is biased towards the naive difference (and a change-score
    or DiD comparison is preferable; Lord's paradox); with effects that differ between
    groups the coefficient is a regression-weighted, not exposure-weighted, average.

    References
    ----------
    Van Breukelen, G. J. P. (2006). ANCOVA versus change from baseline: more power in
    randomized studies, more bias in nonrandomized studies. *J Clin Epidemiol*, 59(9).

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import dialogue
    >>> df = pd.DataFrame({"y0": [3.0, 3.5, 4.0, 4.5, 3.2, 4.1],
    ...                    "d": [0, 0, 1, 1, 0, 1]})
    >>> df["y1"] = df["y0"] - 0.3 * df["d"] + [0.05, -0.05, 0.02, -0.02, 0.0, 0.01]
    >>> # In R: lm(y1 ~ d + y0, df); lmtest::coeftest(fit, sandwich::vcovHC(fit, "HC1"))
    >>> round(dialogue.ancova(df, outcome="y1", baseline="y0", treatment="d").estimate, 3)
    -0.166
    """
    confidence = check_confidence(confidence)
    covariates = as_tuple(covariates, name="covariates")
    cr = _cross(data, outcome=outcome, treatment=treatment, covariates=(baseline, *covariates),
                cluster=cluster)
    x = np.column_stack([np.ones_like(cr.d), cr.d, cr.x.to_numpy()])
    est, se, df, stat, p, lo, hi = _ols(cr.y, x, weights=None, cross=cr, term=1,
                                        confidence=confidence)
    return Estimate(estimate=est, se=se, ci_low=lo, ci_high=hi, p_value=p, n_obs=len(cr.y),
                    method="ANCOVA: OLS of the follow-up outcome on exposure, the baseline "
                    "outcome" + (" and covariates" if covariates else "") + "; "
                    + _se_label(cr),
                    assumptions=_SOO_ASSUMPTION + " (the baseline outcome among the "
                    "covariates)", confidence=confidence, df=df, statistic=stat,
                    n_clusters=cr.n_clusters, term=treatment)


@_one_blas_thread
def _propensity(cr: _Cross) -> np.ndarray:
    """Logistic propensity scores P(d = 1 | x): statsmodels GLM (binomial, IRLS), as R glm.

    Quasi-separation (e.g. an OPD where nobody is exposed) is allowed: those rows get
    scores near 0 and hence weights near 0, as with R's ``glm``.
    """
    import statsmodels.api as sm

    x = np.column_stack([np.ones_like(cr.d), cr.x.to_numpy()])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.GLM(cr.d, x, family=sm.families.Binomial()).fit(maxiter=100, tol=1e-10)
    if not res.converged:
        raise InputError("the propensity model did not converge", fix="use fewer or "
                         "coarser covariates")
    return np.asarray(res.fittedvalues, dtype=float)


def _att_weights(d: np.ndarray, ps: np.ndarray) -> np.ndarray:
    return np.where(d == 1, 1.0, ps / (1.0 - ps))


def ipw_att(data: pd.DataFrame, *, outcome: str, treatment: str, covariates: Sequence[str],
            cluster: str | None = None, method: WeightingMethod = "ipw",
            confidence: float = 0.95) -> Estimate:
    """Average effect on the exposed by inverse-probability (odds) weighting.

    Use it when exposure was selected on measured characteristics (baseline outcome,
    OPD, profile): unexposed respondents are reweighted to look like the exposed.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent (or respondent-wave). Not modified.
    outcome, treatment : str
        Numeric outcome; 0/1 exposure.
    covariates : sequence of str
        Baseline covariates of the propensity model (and, for ``"dr"``, of the outcome
        model); strings are categorical with the first level in sorted order as reference.
    cluster : str, optional
        Cluster labels for a CR1 SE (default: HC1).
    method : {"ipw", "dr"}, optional
        ``"ipw"`` (default): weighted difference in means. ``"dr"``: doubly robust —
        the weighted regression also adjusts for the covariates (with exposure
        interactions centred at the exposed mean), consistent if either the propensity
        or the outcome model is right.
    confidence : float, optional
        Level of the interval (default 0.95).

    Returns
    -------
    Estimate
        ATT with SE, CI, p; ``details`` holds ``max_weight`` (largest control weight as a
        share of the control total) and ``ps_range``.

    Raises
    ------
    InputError
        Missing/non-numeric columns, no variation in exposure, a propensity model that
        does not converge.
    ConfigError
        For a bad ``method``.

    Notes
    -----
    Propensity ``e(x)`` from a logistic regression (``statsmodels`` GLM, IRLS) on an
    intercept and the covariates. Weights: 1 for exposed, ``e/(1 − e)`` for unexposed
    (ATT odds weights). ``"ipw"``: WLS of y on exposure (a Hájek weighted difference).
    ``"dr"``: WLS of y on exposure, covariates and exposure × (covariates − mean among the
    exposed) (weighted regression adjustment, ``teffects ipwra``-style), whose exposure
    coefficient is the ATT. SE: HC1 (or CR1) sandwich of the WLS with the weights taken as
    fixed — it ignores the estimation of the propensity model (usually slightly
    conservative for IPW; can be either way for the ATT). Matches R
    ``lm(y ~ d, weights = w)`` with ``sandwich::vcovHC(type = "HC1")`` /
    ``vcovCL(cluster = ~cl)``.

    References
    ----------
    Hirano, K., Imbens, G. W., & Ridder, G. (2003). Efficient estimation of average
    treatment effects using the estimated propensity score. *Econometrica*, 71(4).
    Kang, J. D. Y., & Schafer, J. L. (2007). Demystifying double robustness.
    *Statistical Science*, 22(4), 523–539.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import dialogue
    >>> df = pd.DataFrame({"x": [0, 0, 0, 1, 1, 1, 0, 1], "d": [0, 0, 1, 1, 1, 0, 0, 1]})
    >>> df["y"] = 1.0 + df["x"] - 0.5 * df["d"]
    >>> round(dialogue.ipw_att(df, outcome="y", treatment="d", covariates=["x"]).estimate, 6)
    -0.5
    """
    confidence = check_confidence(confidence)
    check_choice(method, WeightingMethod, name="method")
    covariates = as_tuple(covariates, name="covariates")
    if not covariates:
        raise ConfigError("ipw_att needs at least one covariate; use naive_difference "
                          "for an unadjusted comparison")
    cr = _cross(data, outcome=outcome, treatment=treatment, covariates=covariates,
                cluster=cluster)
    ps = _propensity(cr)
    w = _att_weights(cr.d, ps)
    if method == "ipw":
        x = np.column_stack([np.ones_like(cr.d), cr.d])
        label = "IPW (ATT odds weights from a logistic propensity model), weighted " \
                "difference in means"
    else:
        xc = cr.x.to_numpy()
        centred = xc - xc[cr.d == 1].mean(axis=0)
        x = np.column_stack([np.ones_like(cr.d), cr.d, xc, cr.d[:, None] * centred])
        label = "doubly robust: ATT-odds-weighted regression on exposure, covariates and " \
                "exposure x centred covariates"
    est, se, df, stat, p, lo, hi = _ols(cr.y, x, weights=w, cross=cr, term=1,
                                        confidence=confidence)
    wc = w[cr.d == 0]
    return Estimate(estimate=est, se=se, ci_low=lo, ci_high=hi, p_value=p, n_obs=len(cr.y),
                    method=label + "; " + _se_label(cr) + " with the weights as fixed",
                    assumptions=_SOO_ASSUMPTION + ("" if method == "ipw" else
                                                   "; either the propensity or the "
                                                   "outcome model correctly specified"),
                    confidence=confidence, df=df, statistic=stat, n_clusters=cr.n_clusters,
                    term=treatment,
                    details={"max_weight": float(wc.max() / wc.sum()),
                             "ps_range": (float(ps.min()), float(ps.max()))})


def balance_table(data: pd.DataFrame, *, treatment: str,
                  covariates: Sequence[str]) -> pd.DataFrame:
    """Covariate balance of exposed and unexposed, before and after ATT weighting.

    Use it beside :func:`ipw_att`: after weighting, every standardized mean difference
    should be small (|SMD| < 0.1 is the usual benchmark).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent. Not modified.
    treatment : str
        0/1 exposure.
    covariates : sequence of str
        As in :func:`ipw_att`; categorical covariates give one row per non-reference level.

    Returns
    -------
    pandas.DataFrame
        One row per design column: ``covariate``, ``mean_exposed``, ``mean_unexposed``,
        ``mean_unexposed_weighted``, ``smd_unweighted``, ``smd_weighted``,
        ``n_exposed``, ``n_unexposed``, ``n_obs``.

    Raises
    ------
    InputError, ConfigError
        As :func:`ipw_att`.

    Notes
    -----
    SMD = (mean exposed − mean unexposed) / sqrt((var exposed + var unexposed)/2), with
    the *unweighted* variances in the denominator before and after weighting, so the two
    columns are comparable (Austin & Stuart 2015). Weights as in :func:`ipw_att`.

    References
    ----------
    Austin, P. C., & Stuart, E. A. (2015). Moving towards best practice when using
    inverse probability of treatment weighting. *Statistics in Medicine*, 34(28).

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import dialogue
    >>> df = pd.DataFrame({"x": [0, 0, 0, 1, 1, 1, 0, 1], "d": [0, 0, 1, 1, 1, 0, 0, 1],
    ...                    "y": 1.0})
    >>> bal = dialogue.balance_table(df, treatment="d", covariates=["x"])
    >>> bal[["covariate", "smd_unweighted"]].round(3).to_dict("records")
    [{'covariate': 'x', 'smd_unweighted': 1.0}]
    """
    covariates = as_tuple(covariates, name="covariates")
    if not covariates:
        raise ConfigError("balance_table needs at least one covariate")
    tmp = data.assign(_one=1.0)
    cr = _cross(tmp, outcome="_one", treatment=treatment, covariates=covariates,
                cluster=None)
    ps = _propensity(cr)
    w = _att_weights(cr.d, ps)
    rows = []
    t, c = cr.d == 1, cr.d == 0
    for name in cr.x.columns:
        x = cr.x[name].to_numpy()
        mt, mc = x[t].mean(), x[c].mean()
        mcw = float(np.average(x[c], weights=w[c]))
        sd = math.sqrt((x[t].var(ddof=1) + x[c].var(ddof=1)) / 2)
        rows.append({"covariate": name, "mean_exposed": mt, "mean_unexposed": mc,
                     "mean_unexposed_weighted": mcw,
                     "smd_unweighted": (mt - mc) / sd if sd > 0 else math.nan,
                     "smd_weighted": (mt - mcw) / sd if sd > 0 else math.nan,
                     "n_exposed": int(t.sum()), "n_unexposed": int(c.sum()),
                     "n_obs": int(len(x))})
    return pd.DataFrame(rows)


def followup_frame(data: pd.DataFrame, *, outcome: str, unit: str, time: str,
                   baseline_period: float | None = None) -> pd.DataFrame:
    """Rows after the baseline period, with each unit's baseline outcome beside them.

    Use it to turn the panel into the baseline/follow-up layout that :func:`ancova`,
    :func:`ipw_att` and :func:`naive_difference` need.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel. Not modified.
    outcome, unit, time : str
        Outcome, unit labels, numeric period.
    baseline_period : float, optional
        The baseline period (default: the earliest period, when nobody is exposed yet).

    Returns
    -------
    pandas.DataFrame
        The rows with ``time`` after the baseline of units observed at baseline with an
        outcome, with a new column ``<outcome>_baseline``; index as in ``data``.

    Raises
    ------
    InputError
        Missing/non-numeric columns, a unit twice at baseline, no baseline rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import dialogue
    >>> df = pd.DataFrame({"id": [1, 1, 2, 2, 3], "t": [0, 1, 0, 1, 1],
    ...                    "y": [3.0, 2.5, 4.0, 4.2, 3.3]})
    >>> dialogue.followup_frame(df, outcome="y", unit="id", time="t")
       id  t    y  y_baseline
    1   1  1  2.5         3.0
    3   2  1  4.2         4.0
    """
    check_frame(data)
    check_columns(data, [outcome, unit, time])
    t = _numeric(data, time, role="time")
    y = _numeric(data, outcome, role="outcome")
    b = np.nanmin(t) if baseline_period is None else float(baseline_period)
    at = (t == b) & ~np.isnan(y) & data[unit].notna().to_numpy()
    if not at.any():
        raise InputError(f"no rows with an outcome in the baseline period {b:g}",
                         column=time, fix="pass baseline_period")
    base = data.loc[at, [unit]].assign(_yb=y[at])
    if base[unit].duplicated().any():
        raise InputError("a unit appears twice in the baseline period", column=unit,
                         fix="keep one row per respondent and wave")
    later = data.loc[t > b]
    mapped = later[unit].map(base.set_index(unit)["_yb"])
    out = later.loc[mapped.notna().to_numpy()].copy()
    out[f"{outcome}_baseline"] = mapped[mapped.notna()].astype(float).to_numpy()
    return out


# ============================================================================ robustness


def mixed_model(data: pd.DataFrame, *, outcome: str, unit: str, time: str, treatment: str,
                cluster: str, confidence: float = 0.95) -> Estimate:
    """Linear mixed model with cluster (OPD) and unit (person) random intercepts.

    Use it as a robustness check beside the fixed-effects estimators: it pools between-
    and within-person information, so under selection on levels it is biased unless the
    random intercepts are unrelated to exposure.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel. Not modified.
    outcome, unit, time, treatment, cluster : str
        Outcome, unit labels (random intercept, nested in cluster), period (fixed effects),
        0/1 exposure, cluster labels (random intercept).
    confidence : float, optional
        Level of the Wald interval (default 0.95).

    Returns
    -------
    Estimate
        The exposure coefficient with its model-based SE, normal (Wald) CI and p;
        ``details`` holds the variance components ``var_cluster``, ``var_unit``,
        ``var_residual``.

    Raises
    ------
    InputError
        Missing/non-numeric columns, a non-0/1 exposure, fewer than two clusters.

    Notes
    -----
    ``y_ij t = β·d + λ_t + u_j + v_i + ε`` fitted by REML; equals
    ``lme4::lmer(y ~ d + factor(t) + (1 | cluster) + (1 | unit), REML = TRUE)`` (tested).
    When every unit stays in one cluster (nested effects, the usual case) the REML
    criterion is evaluated in closed form from per-unit sums (Woodbury identity per
    cluster) and minimised over the two variance ratios, milliseconds on a city's panel;
    otherwise ``statsmodels.MixedLM`` (``groups`` = cluster, a variance component for
    units) is used, seconds to tens of seconds.
    The SE is model-based, ``(X'V⁻¹X)⁻¹`` at the REML variance components as in ``lme4``
    (it assumes the random-effects structure is right); p and CI
    use the normal distribution, as ``lme4`` reports no df. It is a *correlational*
    estimate: random intercepts assume exposure is unrelated to the person and OPD
    levels, which the non-random rollout violates.

    References
    ----------
    Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015). Fitting linear mixed-effects
    models using lme4. *Journal of Statistical Software*, 67(1).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from asn_research import dialogue
    >>> rng = np.random.default_rng(3)
    >>> df = pd.DataFrame({"id": np.repeat(np.arange(40), 3), "t": np.tile([0, 1, 2], 40)})
    >>> df["opd"] = df["id"] % 8
    >>> df["d"] = ((df["id"] < 20) & (df["t"] >= 1)).astype(int)
    >>> df["y"] = (3 - 0.3 * df["d"] + rng.normal(0, 0.3, 40)[df["id"]]
    ...            + rng.normal(0, 0.2, 120))
    >>> round(dialogue.mixed_model(df, outcome="y", unit="id", time="t", treatment="d",
    ...                            cluster="opd").estimate, 2)
    -0.31
    """
    confidence = check_confidence(confidence)
    panel = _panel(data, outcome=outcome, unit=unit, time=time, treatment=treatment,
                   cluster=cluster, drop_always_treated=False)
    f = panel.frame
    _check_min_clusters(panel.n_clusters, cluster)
    df = pd.DataFrame({"y": f["_y"].to_numpy(), "d": f["_d"].to_numpy(),
                       "t": f["_t"].to_numpy(), "c": f["_c"].to_numpy(),
                       "u": f["_u"].to_numpy()})
    nested = bool((df.groupby("u")["c"].nunique() == 1).all())
    if nested:
        tvals = np.sort(df["t"].unique())
        xmat = np.column_stack([np.ones(len(df)), df["d"].to_numpy()]
                               + [(df["t"].to_numpy() == t).astype(float) for t in tvals[1:]])
        beta, cov, var_c, var_u, var_e, converged = _nested_reml(
            df["y"].to_numpy(), xmat, df["u"].to_numpy(), df["c"].to_numpy())
        est, se = float(beta[1]), float(np.sqrt(cov[1, 1]))
        engine = "closed-form REML for units nested in clusters (Woodbury per cluster)"
    else:
        est, se, var_c, var_u, var_e, converged = _mixedlm(df)
        engine = "statsmodels MixedLM"
    stat, p, lo, hi = _t_inference(est, se, None, confidence)
    return Estimate(
        estimate=est, se=se, ci_low=lo, ci_high=hi, p_value=p, n_obs=len(df),
        method=f"linear mixed model (REML, {engine}): period fixed effects, cluster and "
               "unit random intercepts; model-based SE, normal CI",
        assumptions="exposure unrelated to the person and cluster random intercepts "
                    "(no selection on levels) and the random-effects model holds",
        confidence=confidence, df=None, statistic=stat, n_clusters=panel.n_clusters,
        term=treatment,
        details={"var_cluster": var_c, "var_unit": var_u, "var_residual": var_e,
                 "converged": converged, "nested": nested})


def _mixedlm(df: pd.DataFrame) -> tuple[float, float, float, float, float, bool]:
    """The same model by statsmodels MixedLM (units not nested in clusters)."""
    import statsmodels.formula.api as smf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = smf.mixedlm("y ~ d + C(t)", df, groups=df["c"], re_formula="1",
                            vc_formula={"u": "0 + C(u)"})
        res = model.fit(reml=True, method="bfgs", gtol=1e-10)
    var_c = float(np.asarray(res.cov_re)[0, 0])
    var_u = float(np.asarray(res.vcomp)[0])
    var_e = float(res.scale)
    # lme4's vcov of the fixed effects, (X' V^-1 X)^-1 at the REML variance components
    # (statsmodels' bse come from the joint Hessian and differ by a few per cent)
    xmat = np.asarray(model.exog)
    names = list(model.exog_names)
    info = np.zeros((xmat.shape[1], xmat.shape[1]))
    for c in np.unique(df["c"]):
        rows = np.flatnonzero(df["c"].to_numpy() == c)
        uu = df["u"].to_numpy()[rows]
        v = var_e * np.eye(rows.size) + var_c + var_u * (uu[:, None] == uu[None, :])
        xg = xmat[rows]
        info += xg.T @ np.linalg.solve(v, xg)
    cov = np.linalg.inv(info)
    j = names.index("d")
    return (float(res.fe_params["d"]), float(np.sqrt(cov[j, j])), var_c, var_u, var_e,
            bool(res.converged))


@_one_blas_thread
def _nested_reml(y: np.ndarray, x: np.ndarray, unit: np.ndarray, cluster: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, float, float, float, bool]:
    """REML fit of ``y = Xβ + u_cluster + v_unit + e`` with units nested in clusters.

    Closed form per cluster (Woodbury): with ``W = σ²I + σ_u² blockdiag(J)``, ``V = W +
    σ_c² 11'``, every ``a'V⁻¹b`` needs only per-unit sums, so one evaluation costs O(n p²).
    The profiled REML criterion (σ² concentrated out) is minimised over the log variance
    ratios; returns (β, cov(β), σ_c², σ_u², σ², converged).
    """
    from scipy.optimize import minimize

    n, p = x.shape
    z = np.column_stack([x, y])
    uc, u_idx = np.unique(unit, return_inverse=True)
    n_u = np.bincount(u_idx).astype(float)
    s_u = np.zeros((uc.size, p + 1))
    np.add.at(s_u, u_idx, z)
    u_cl = np.zeros(uc.size, np.int64)
    u_cl[u_idx] = cluster
    zz = z.T @ z

    def crit(theta: np.ndarray) -> tuple[float, np.ndarray, float, float]:
        ru, rc = np.exp(theta)  # σ_u²/σ², σ_c²/σ²
        den = 1.0 + n_u * ru  # (σ² + n_j σ_u²)/σ²
        gam = ru / den
        m = zz - (s_u * gam[:, None]).T @ s_u
        tau = np.bincount(u_cl, weights=n_u / den)
        agg = np.zeros((tau.size, p + 1))
        np.add.at(agg, u_cl, s_u / den[:, None])
        k = rc / (1.0 + rc * tau)
        m -= (agg * k[:, None]).T @ agg  # Z'H⁻¹Z with H = V/σ²
        logdet_h = float(np.sum(np.log(den)) + np.sum(np.log1p(rc * tau)))
        xhx, xhy, yhy = m[:p, :p], m[:p, p], m[p, p]
        try:
            chol = np.linalg.cholesky(xhx)
        except np.linalg.LinAlgError:
            return 1e300, np.zeros(p), math.nan, math.nan
        beta = np.linalg.solve(xhx, xhy)
        rss = float(yhy - xhy @ beta)
        if rss <= 0:
            return 1e300, beta, math.nan, math.nan
        sigma2 = rss / (n - p)
        val = (n - p) * math.log(sigma2) + logdet_h + 2.0 * float(np.sum(np.log(np.diag(chol))))
        return val, beta, sigma2, 0.0

    best = None
    for start in ((0.0, 0.0), (-2.0, -2.0), (1.0, -1.0)):
        res = minimize(lambda t: crit(t)[0], np.array(start), method="Nelder-Mead",
                       options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 4000})
        if best is None or res.fun < best.fun:
            best = res
    res = minimize(lambda t: crit(t)[0], best.x, method="BFGS", options={"gtol": 1e-9})
    theta = res.x if res.fun <= best.fun else best.x
    _, beta, sigma2, _ = crit(theta)
    ru, rc = np.exp(theta)
    # covariance of β: σ²(X'H⁻¹X)⁻¹ at the REML variance components (lme4's vcov)
    den = 1.0 + n_u * ru
    m = zz - (s_u * (ru / den)[:, None]).T @ s_u
    tau = np.bincount(u_cl, weights=n_u / den)
    agg = np.zeros((tau.size, p + 1))
    np.add.at(agg, u_cl, s_u / den[:, None])
    m -= (agg * (rc / (1.0 + rc * tau))[:, None]).T @ agg
    cov = sigma2 * np.linalg.inv(m[:p, :p])
    return beta, cov, rc * sigma2, ru * sigma2, sigma2, bool(best.success or res.success)


def heterogeneity(data: pd.DataFrame, *, outcome: str, unit: str, time: str, treatment: str,
                  cluster: str, by: str, first_period: str | None = None,
                  control_group: ControlGroup = "never_treated", vcov: VcovType = "CR2",
                  min_cell: int = 10, confidence: float = 0.95) -> pd.DataFrame:
    """Average effect on the exposed within subgroups (e.g. golongan, tenure, jabatan).

    Use it to ask whether dialogues work better for some staff; each subgroup gets its
    own Callaway–Sant'Anna estimate with its own comparison units.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel. Not modified.
    outcome, unit, time, treatment, cluster, first_period, control_group, vcov
        As in :func:`event_study`.
    by : str
        Subgroup column (categorical; bin continuous variables such as tenure first). A
        unit's subgroup is its value in its earliest period, so it cannot change with
        exposure.
    min_cell : int, optional
        Subgroups with fewer exposed or fewer comparison units are estimated but left out
        of the Holm correction and marked (default 10).
    confidence : float, optional
        Level of the intervals (default 0.95).

    Returns
    -------
    pandas.DataFrame
        One row per subgroup (sorted): ``group``, ``estimate``, ``se``, ``df``,
        ``ci_low``, ``ci_high``, ``p_value``, ``p_holm`` (Holm-adjusted over the subgroups in the
        correction), ``in_correction``, ``n_obs`` (respondent-waves), ``n_exposed_units``,
        ``n_comparison_units``, ``n_min_group`` (the smaller of the two: the count to
        suppress a subgroup by), ``n_clusters``, ``refused`` (why no estimate, else empty),
        ``method``.

    Raises
    ------
    InputError, ConfigError
        As :func:`event_study`; ConfigError for a bad ``min_cell``.

    Notes
    -----
    Subgroup estimates are descriptive of effect heterogeneity: subgroups differ in other
    ways too. Standard errors as in :func:`event_study`; a subgroup with fewer than two
    clusters or no comparison units is refused (``refused`` says why).

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import dialogue
    >>> rows = [(i, t, int(i % 2 == 0 and t >= 1), f"o{i % 6}", "ab"[i // 12],
    ...          3.0 + 0.05 * t - (0.2 + 0.2 * (i >= 12)) * (i % 2 == 0 and t >= 1))
    ...         for i in range(24) for t in range(3)]
    >>> df = pd.DataFrame(rows, columns=["id", "t", "d", "opd", "grp", "y"])
    >>> het = dialogue.heterogeneity(df, outcome="y", unit="id", time="t", treatment="d",
    ...                              cluster="opd", by="grp", min_cell=3)
    >>> het[["group", "estimate"]].round(3).to_dict("records")
    [{'group': 'a', 'estimate': -0.2}, {'group': 'b', 'estimate': -0.4}]
    """
    if isinstance(min_cell, bool) or not isinstance(min_cell, (int, np.integer)) \
            or min_cell < 1:
        raise ConfigError(f"min_cell must be a positive integer; got {min_cell!r}")
    confidence = check_confidence(confidence)
    check_choice(vcov, VcovType, name="vcov")
    check_choice(control_group, ControlGroup, name="control_group")
    check_frame(data)
    check_columns(data, [by, unit, time])
    t = _numeric(data, time, role="time")
    order = np.argsort(t, kind="stable")
    first_val = data.iloc[order].groupby(unit, sort=False)[by].first()
    grp = data[unit].map(first_val)
    rows = []
    for level in sorted(grp.dropna().unique(), key=str):
        sub = data.loc[(grp == level).to_numpy()]
        row: dict[str, Any] = {"group": level, "refused": ""}
        try:
            panel = _panel(sub, outcome=outcome, unit=unit, time=time, treatment=treatment,
                           cluster=cluster, first_period=first_period)
            f = panel.frame
            g_unit = f.groupby("_u")["_g"].first()
            row.update(n_obs=len(f), n_exposed_units=int(g_unit.notna().sum()),
                       n_comparison_units=int(g_unit.isna().sum()),
                       n_clusters=panel.n_clusters)
            _check_min_clusters(panel.n_clusters, cluster)
            fit = _cs_fit(f, control_group=control_group, base_period="varying")
            res = _cs_result(panel, fit, confidence=confidence, control_group=control_group,
                             base_period="varying", label=control_group, vcov=vcov)
            a = res.att
            if not np.isfinite(a.estimate):
                raise InputError("no estimable cohort-period cell")
            row.update(estimate=a.estimate, se=a.se, df=a.df, ci_low=a.ci_low,
                       ci_high=a.ci_high, p_value=a.p_value, method=a.method)
        except InputError as exc:
            row["refused"] = exc.message
        rows.append(row)
    out = pd.DataFrame(rows)
    for c in ("estimate", "se", "df", "ci_low", "ci_high", "p_value"):
        if c not in out:
            out[c] = math.nan
    for c in ("n_obs", "n_exposed_units", "n_comparison_units", "n_clusters"):
        out[c] = out[c].astype("Int64") if c in out else pd.array([pd.NA] * len(out), "Int64")
    if "method" not in out:
        out["method"] = ""
    out["method"] = out["method"].fillna("")
    big = (out["n_exposed_units"].fillna(0) >= min_cell) \
        & (out["n_comparison_units"].fillna(0) >= min_cell) & out["p_value"].notna()
    out["in_correction"] = big.astype(bool)
    out["p_holm"] = math.nan
    if big.any():
        from statsmodels.stats.multitest import multipletests

        out.loc[big, "p_holm"] = multipletests(out.loc[big, "p_value"], method="holm")[1]
    out["n_min_group"] = pd.concat([out["n_exposed_units"], out["n_comparison_units"]],
                                   axis=1).min(axis=1).astype("Int64")
    return out[["group", "estimate", "se", "df", "ci_low", "ci_high", "p_value", "p_holm",
                "in_correction", "n_obs", "n_exposed_units", "n_comparison_units",
                "n_min_group", "n_clusters", "refused", "method"]].astype({"df": float})


@_one_blas_thread
def robustness_table(data: pd.DataFrame, *, outcome: str, unit: str, time: str,
                     treatment: str, cluster: str, first_period: str | None = None,
                     covariates: Sequence[str] = (), sessions: str | None = None,
                     reps: int = 9999, seed: int | None = None, mixed: bool = True,
                     confidence: float = 0.95) -> pd.DataFrame:
    """Every estimate of the dialogue effect side by side, headline first.

    One call for the report's robustness section: the heterogeneity-robust event study
    (headline, CR2 inference), the same with CR1 inference, its not-yet-exposed variant,
    the plain TWFE with CR1, CR2 and wild bootstrap inference, a mixed model, the
    false-timing placebo, the selection-on-observables estimators on the
    baseline/follow-up layout (naive difference, ANCOVA, IPW, doubly robust) and, with
    ``sessions``, the dose per session.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel. Not modified.
    outcome, unit, time, treatment, cluster, first_period
        As in :func:`event_study`.
    covariates : sequence of str, optional
        Baseline covariates for ANCOVA, IPW and DR (the baseline outcome and the period
        are always included).
    sessions : str, optional
        Cumulative sessions attended; adds the dose–response row.
    reps, seed : optional
        Wild bootstrap draws and seed (see :func:`wild_cluster_bootstrap`).
    mixed : bool, optional
        Include the mixed model (default True; under a second when units are nested in
        clusters, seconds to minutes through statsmodels otherwise).
    confidence : float, optional
        Level of all intervals (default 0.95).

    Returns
    -------
    pandas.DataFrame
        One row per estimator: ``estimator``, ``section`` (``"headline"``,
        ``"inference"``, ``"design"``, ``"selection"``, ``"check"``, ``"dose"``),
        ``estimand`` (``"ATT"``, ``"placebo (0)"``, ``"TWFE coefficient"``, ``"per
        session"`` …), ``headline`` (bool), ``estimate``, ``se``, ``ci_low``, ``ci_high``,
        ``p_value``, ``df``, ``n_obs``, ``n_clusters``, ``method``, ``assumptions``.

    Raises
    ------
    InputError, ConfigError
        As the functions it calls.

    Notes
    -----
    The selection-on-observables rows use :func:`followup_frame` (rows after the first
    period of units observed then) and pool the follow-up periods with the period as a
    categorical covariate; their target is the effect on the exposed respondent-waves of
    that subset. They rest on a stronger assumption than the event study (no selection on
    unmeasured stable traits) and are shown to gauge selection, not as alternatives of
    equal standing.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import dialogue
    >>> rows = [(i, t, int(i % 2 == 0 and t >= 1 + i % 3 % 2), f"o{i % 8}", 3.0 + 0.1 * i
    ...          + 0.05 * t + 0.01 * (t * i % 5)
    ...          - 0.3 * (i % 2 == 0 and t >= 1 + i % 3 % 2)) for i in range(40)
    ...         for t in range(3)]
    >>> df = pd.DataFrame(rows, columns=["id", "t", "d", "opd", "y"])
    >>> tab = dialogue.robustness_table(df, outcome="y", unit="id", time="t", treatment="d",
    ...                                 cluster="opd", seed=1, reps=999, mixed=False)
    >>> tab["estimator"].iloc[0], bool(tab["headline"].iloc[0])
    ("Callaway-Sant'Anna event study", True)
    """
    covariates = as_tuple(covariates, name="covariates")
    kw = dict(outcome=outcome, unit=unit, time=time, treatment=treatment, cluster=cluster)
    rows: list[tuple[str, str, str, Estimate]] = []
    cs = event_study(data, first_period=first_period, confidence=confidence, **kw)
    rows.append(("Callaway-Sant'Anna event study", "headline", "ATT", cs.att))
    rows.append(("Callaway-Sant'Anna, CR1 t(G - 1)", "inference", "ATT",
                 event_study(data, first_period=first_period, confidence=confidence,
                             vcov="CR1", **kw).att))
    try:
        nyt = event_study(data, first_period=first_period, confidence=confidence,
                          control_group="not_yet_treated", **kw)
        rows.append(("Callaway-Sant'Anna, not-yet-exposed comparison", "design", "ATT",
                     nyt.att))
    except InputError as exc:
        logger.debug("not-yet-treated variant refused: %s", exc)
    rows.append(("TWFE, CR1", "inference", "TWFE coefficient",
                 did(data, confidence=confidence, **kw)))
    rows.append(("TWFE, CR2 + Satterthwaite", "inference", "TWFE coefficient",
                 twfe_cr2(data, confidence=confidence, **kw)))
    if cs.n_clusters >= 4:
        rows.append(("TWFE, wild cluster bootstrap", "inference", "TWFE coefficient",
                     wild_cluster_bootstrap(data, reps=reps, seed=seed, **kw)))
    if mixed:
        rows.append(("mixed model (OPD and person intercepts)", "design",
                     "exposure coefficient", mixed_model(data, confidence=confidence, **kw)))
    try:
        rows.append(("placebo: false timing (1 period earlier)", "check", "placebo (0)",
                     placebo(data, first_period=first_period, confidence=confidence, **kw)))
    except InputError as exc:
        logger.debug("placebo refused: %s", exc)
    fu = followup_frame(data, outcome=outcome, unit=unit, time=time)
    fu = fu.assign(_period=fu[time].astype(str))
    base = f"{outcome}_baseline"
    adj = (base, "_period", *covariates)
    skw = dict(outcome=outcome, treatment=treatment, cluster=cluster, confidence=confidence)
    rows.append(("naive exposed minus unexposed (follow-up rows)", "selection",
                 "ATT (biased)", naive_difference(fu, **skw)))
    rows.append(("ANCOVA on the baseline outcome", "selection", "ATT",
                 ancova(fu, baseline=base, covariates=("_period", *covariates), **skw)))
    rows.append(("IPW (ATT odds weights)", "selection", "ATT",
                 ipw_att(fu, covariates=adj, method="ipw", **skw)))
    rows.append(("doubly robust (weighted regression)", "selection", "ATT",
                 ipw_att(fu, covariates=adj, method="dr", **skw)))
    if sessions is not None:
        rows.append(("dose-response (extended TWFE)", "dose", "per session",
                     dose_response(data, sessions=sessions, first_period=first_period,
                                   confidence=confidence, **kw)))
    out = pd.DataFrame([{
        "estimator": name, "section": section, "estimand": estimand, "headline": i == 0,
        "estimate": e.estimate, "se": e.se, "ci_low": e.ci_low, "ci_high": e.ci_high,
        "p_value": e.p_value, "df": e.df, "n_obs": e.n_obs, "n_clusters": e.n_clusters,
        "method": e.method, "assumptions": e.assumptions}
        for i, (name, section, estimand, e) in enumerate(rows)])
    return out.astype({"p_value": float, "df": float, "n_clusters": "Int64"})


# ============================================================================ measurement


def _waves(data: pd.DataFrame, wave: str) -> list[Any]:
    check_columns(data, [wave])
    return sorted(data[wave].dropna().unique(), key=lambda v: (str(type(v)), v))


def item_statistics(data: pd.DataFrame, *, items: Sequence[str], wave: str,
                    reverse: Sequence[str] = (), minimum: int,
                    maximum: int) -> pd.DataFrame:
    """Per wave and item: answers, mean, SD and corrected item-total correlation.

    Use it as the first check that a scale means the same at every wave: an item whose
    mean, spread or item-total correlation shifts at one wave is a warning sign
    (changed wording, translation, an instruction misread).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent and wave, items as integer codes (NA = unanswered). Not
        modified.
    items : sequence of str
        The scale's items (at least two).
    wave : str
        Wave column (any labels, sorted for output).
    reverse : sequence of str, optional
        Reverse-keyed items, recoded ``minimum + maximum − x`` first.
    minimum, maximum : int
        Smallest and largest answer code.

    Returns
    -------
    pandas.DataFrame
        One row per wave × item: ``wave``, ``item``, ``n_obs`` (answers), ``n_missing``,
        ``mean``, ``sd`` (after reverse keying), ``r_drop`` (item against the sum of the
        other items, pairwise covariances), ``alpha_if_dropped``, ``alpha`` (the wave's
        raw alpha of all items).

    Raises
    ------
    InputError, ConfigError
        As :func:`asn_research.scales.reliability`.

    Notes
    -----
    ``r_drop``, ``alpha_if_dropped`` and ``alpha`` come from
    :func:`asn_research.scales.reliability` (``nan_policy="pairwise"``) run on each wave.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import dialogue
    >>> df = pd.DataFrame({"q1": [1, 2, 3, 4, 2, 3, 4, 5], "q2": [2, 2, 4, 4, 1, 3, 5, 5]},
    ...                   dtype="Int64").assign(w=["a"] * 4 + ["b"] * 4)
    >>> st = dialogue.item_statistics(df, items=["q1", "q2"], wave="w", minimum=1, maximum=5)
    >>> st[["wave", "item", "n_obs", "mean"]]
      wave item  n_obs  mean
    0    a   q1      4   2.5
    1    a   q2      4   3.0
    2    b   q1      4   3.5
    3    b   q2      4   3.5
    """
    from . import scales

    items = as_tuple(items, name="items")
    reverse = as_tuple(reverse, name="reverse")
    check_columns(data, items, role="item")
    rows = []
    for w in _waves(data, wave):
        sub = data.loc[data[wave] == w, list(items)]
        rel = scales.reliability(sub, items=items, reverse=reverse, minimum=minimum,
                                 maximum=maximum, nan_policy="pairwise")
        it = rel.item_total.set_index("item")
        for c in items:
            x = sub[c].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
            if c in reverse:
                x = minimum + maximum - x
            ans = x[~np.isnan(x)]
            rows.append({"wave": w, "item": c, "n_obs": int(ans.size),
                         "n_missing": int(np.isnan(x).sum()),
                         "mean": float(ans.mean()) if ans.size else math.nan,
                         "sd": float(ans.std(ddof=1)) if ans.size > 1 else math.nan,
                         "r_drop": float(it.loc[c, "r_drop"]),
                         "alpha_if_dropped": float(it.loc[c, "alpha_if_dropped"]),
                         "alpha": rel.estimate})
    return pd.DataFrame(rows)


def reliability_by_wave(data: pd.DataFrame, instrument: Instrument, *,
                        scales: Sequence[str], wave: str, confidence: float = 0.95,
                        ) -> pd.DataFrame:
    """Cronbach's alpha (Feldt CI) of each scale at each wave.

    Use it to report the reliability of the resistance scale and its four subscales per
    wave, and to see whether it holds up over time.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent and wave with the scales' item columns. Not modified.
    instrument : Instrument
        The questionnaire definition (items, reverse keys, codes).
    scales : sequence of str
        Scale names, e.g. ``["resistance", "resistance_routine_seeking", …]``.
    wave : str
        Wave column.
    confidence : float, optional
        Level of the Feldt interval (default 0.95).

    Returns
    -------
    pandas.DataFrame
        One row per wave × scale: ``wave``, ``scale``, ``estimate`` (raw alpha),
        ``ci_low``, ``ci_high``, ``std_alpha``, ``omega`` (McDonald's omega from
        :mod:`asn_research.scales`, NaN where it is not available), ``n_obs``,
        ``k_items``, ``method``.

    Raises
    ------
    InputError, ConfigError
        As :func:`asn_research.scales.scale_reliability`.

    Notes
    -----
    Calls :func:`asn_research.scales.scale_reliability` (listwise deletion) per wave.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import dialogue, instruments
    >>> merit = instruments.load_instrument("merit")
    >>> df = pd.DataFrame({"rtc_cr_1": [2, 5, 3, 6, 1, 4], "rtc_cr_2": [1, 5, 3, 6, 2, 4],
    ...                    "rtc_cr_3": [2, 6, 4, 5, 1, 3], "rtc_cr_4": [6, 2, 4, 1, 5, 3]},
    ...                   dtype="Int64").assign(wave=["a", "a", "a", "b", "b", "b"])
    >>> rel = dialogue.reliability_by_wave(df, merit, wave="wave",
    ...                                    scales=["resistance_cognitive_rigidity"])
    >>> rel[["wave", "k_items"]].to_dict("records")
    [{'wave': 'a', 'k_items': 4}, {'wave': 'b', 'k_items': 4}]
    """
    from . import scales as _scales

    names = as_tuple(scales, name="scales")
    rows = []
    for w in _waves(data, wave):
        sub = data.loc[data[wave] == w]
        for sc in names:
            r = _scales.scale_reliability(sub, instrument, scale=sc, confidence=confidence)
            rows.append({"wave": w, "scale": sc, "estimate": r.estimate, "ci_low": r.ci_low,
                         "ci_high": r.ci_high, "std_alpha": r.std_alpha,
                         "omega": float(getattr(r, "omega", math.nan)), "n_obs": r.n_obs,
                         "k_items": r.k_items, "method": r.method})
    return pd.DataFrame(rows)


def loadings_by_wave(data: pd.DataFrame, *, items: Sequence[str], wave: str,
                     reverse: Sequence[str] = (), minimum: int,
                     maximum: int) -> pd.DataFrame:
    """One-factor loadings of a (sub)scale per wave, with their congruence across waves.

    Use it as evidence that a subscale measures the same thing at every wave (a weak,
    exploratory form of metric invariance): loadings that agree across waves, and a
    Tucker congruence coefficient ≥ 0.95 between a wave's loadings and the pooled ones.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent and wave. Not modified.
    items : sequence of str
        Items of one unidimensional (sub)scale (at least three).
    wave : str
        Wave column.
    reverse : sequence of str, optional
        Reverse-keyed items (recoded first).
    minimum, maximum : int
        Smallest and largest answer code.

    Returns
    -------
    pandas.DataFrame
        One row per wave × item, plus the pooled rows (``wave`` = ``"all"``): ``wave``,
        ``item``, ``loading`` (standardized), ``loading_pooled``, ``difference``,
        ``congruence`` (Tucker's φ of the wave's loadings with the pooled ones),
        ``n_obs`` (complete rows of the wave).

    Raises
    ------
    InputError
        If fewer than 10 complete rows remain in a wave, an item is constant, or an item
        column is missing or not numeric.
    ConfigError
        For fewer than three items.

    Notes
    -----
    Maximum-likelihood factor analysis with one factor
    (``sklearn.decomposition.FactorAnalysis``) on the standardized items of the complete
    rows of each wave; the loading signs are fixed so that they sum to a positive value.
    This is not a multi-group CFA: it tests no constraint and gives no fit index; it
    shows whether the loading pattern is stable.

    References
    ----------
    Lorenzo-Seva, U., & ten Berge, J. M. F. (2006). Tucker's congruence coefficient as a
    meaningful index of factor similarity. *Methodology*, 2(2), 57–64.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from asn_research import dialogue
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=200)
    >>> df = pd.DataFrame({f"q{j}": np.clip(np.round(3 + f + rng.normal(0, 0.7, 200)), 1, 5)
    ...                    for j in range(3)}).astype("Int64").assign(w=np.repeat(["a", "b"], 100))
    >>> ld = dialogue.loadings_by_wave(df, items=["q0", "q1", "q2"], wave="w",
    ...                                minimum=1, maximum=5)
    >>> bool((ld["congruence"] > 0.99).all())
    True
    """
    items = as_tuple(items, name="items")
    reverse = as_tuple(reverse, name="reverse")
    if len(items) < 3:
        raise ConfigError(f"a one-factor model needs at least three items; got {len(items)}")
    check_columns(data, items, role="item")

    def load(frame: pd.DataFrame, label: Any) -> tuple[np.ndarray, int]:
        x = np.column_stack([_numeric(frame, c, role="item") for c in items])
        for j, c in enumerate(items):
            if c in reverse:
                x[:, j] = minimum + maximum - x[:, j]
        x = x[~np.isnan(x).any(axis=1)]
        if x.shape[0] < 10:
            raise InputError(f"wave {label!r} has only {x.shape[0]} complete rows; a factor "
                             "model needs at least 10", column=wave, fix="pool waves")
        sd = x.std(axis=0, ddof=0)
        if np.any(sd == 0):
            raise InputError(f"an item is constant in wave {label!r}",
                             column=items[int(np.argmin(sd))], fix="drop the item")
        from sklearn.decomposition import FactorAnalysis

        z = (x - x.mean(axis=0)) / sd
        fa = FactorAnalysis(n_components=1, random_state=0).fit(z)
        lam = fa.components_[0]
        return (lam if lam.sum() >= 0 else -lam), x.shape[0]

    pooled, n_all = load(data, "all")
    rows = []
    for w, lab in [*[(w, w) for w in _waves(data, wave)], (None, "all")]:
        lam, n = (pooled, n_all) if w is None else load(data.loc[data[wave] == w], w)
        phi = float(lam @ pooled / math.sqrt((lam @ lam) * (pooled @ pooled)))
        for j, c in enumerate(items):
            rows.append({"wave": lab, "item": c, "loading": float(lam[j]),
                         "loading_pooled": float(pooled[j]),
                         "difference": float(lam[j] - pooled[j]), "congruence": phi,
                         "n_obs": int(n)})
    return pd.DataFrame(rows)


@_one_blas_thread
def _mg_cfa(covs: list[np.ndarray], ns: list[int], *, equal_loadings: bool
            ) -> tuple[float, int, np.ndarray]:
    """ML fit of a one-factor model in K groups: (T = Σ n_g F_g, df, loadings K × p).

    Configural: every group has its own loadings and uniquenesses (factor variance 1).
    Metric: one set of loadings, factor variance 1 in the first group and free in the
    others, uniquenesses free. F_g = log|Σ_g| + tr(S_g Σ_g⁻¹) − log|S_g| − p with S_g the
    covariance with divisor n_g (lavaan's default normal likelihood).
    """
    from scipy.optimize import minimize

    k, p = len(covs), covs[0].shape[0]
    n = np.asarray(ns, dtype=float)
    logdet_s = [np.linalg.slogdet(s)[1] for s in covs]

    def start(s: np.ndarray) -> np.ndarray:
        vals, vecs = np.linalg.eigh(s)
        lam = vecs[:, -1] * math.sqrt(vals[-1])
        return lam if lam.sum() >= 0 else -lam

    lam0 = [start(s) for s in covs]
    psi0 = [np.clip(np.diag(s) - lam**2, 0.05 * np.diag(s), None)
            for s, lam in zip(covs, lam0, strict=True)]
    if equal_loadings:
        x0 = np.concatenate([lam0[0], np.ones(k - 1), *psi0])
    else:
        x0 = np.concatenate([*lam0, *psi0])

    def unpack(x: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, list[np.ndarray]]:
        if equal_loadings:
            lam = [x[:p]] * k
            phi = np.concatenate([[1.0], x[p:p + k - 1]])
            rest = x[p + k - 1:]
        else:
            lam = [x[i * p:(i + 1) * p] for i in range(k)]
            phi = np.ones(k)
            rest = x[k * p:]
        return lam, phi, [rest[i * p:(i + 1) * p] for i in range(k)]

    s_arr = np.stack(covs)
    eye = np.eye(p, dtype=bool)

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        lam, phi, psi = unpack(x)
        lam, psi = np.stack(lam), np.stack(psi)  # (K, p)
        sig = phi[:, None, None] * lam[:, :, None] * lam[:, None, :]
        sig[:, eye] += psi
        sign, logdet = np.linalg.slogdet(sig)
        if np.any(sign <= 0):
            return 1e10, np.zeros_like(x)
        inv = np.linalg.inv(sig)
        val = float(n @ (logdet + np.einsum("kij,kji->k", s_arr, inv)
                         - np.asarray(logdet_s) - p))
        grad = n[:, None, None] * (inv - inv @ s_arr @ inv)  # dF/dΣ per group
        g_lam = 2.0 * phi[:, None] * np.einsum("kij,kj->ki", grad, lam)
        g_phi = np.einsum("ki,kij,kj->k", lam, grad, lam)
        g_psi = grad[:, eye]
        if equal_loadings:
            g = np.concatenate([g_lam.sum(axis=0), g_phi[1:], g_psi.ravel()])
        else:
            g = np.concatenate([g_lam.ravel(), g_psi.ravel()])
        return val, g

    n_lam = p + k - 1 if equal_loadings else k * p
    bounds = [(None, None)] * n_lam + [(1e-8, None)] * (k * p)
    if equal_loadings:
        bounds[p:p + k - 1] = [(1e-8, None)] * (k - 1)
    res = minimize(fun, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"maxiter": 5000, "ftol": 1e-13, "gtol": 1e-7, "maxcor": 30})
    lam, phi, _ = unpack(res.x)
    n_par = len(x0)
    df = k * p * (p + 1) // 2 - n_par
    std = np.vstack([lam[i] * math.sqrt(phi[i]) for i in range(k)])
    return float(res.fun), int(df), std


def measurement_invariance(data: pd.DataFrame, *, items: Sequence[str], group: str,
                           reverse: Sequence[str] = (), minimum: int,
                           maximum: int) -> pd.DataFrame:
    """Configural and metric invariance of a one-factor (sub)scale across waves.

    Use it to check that a subscale measures the same thing at every wave before
    comparing its scores over time: the configural model lets every wave have its own
    loadings, the metric (weak invariance) model holds the loadings equal; a small loss
    of fit (likelihood-ratio test, ΔCFI > −0.01) supports comparing changes over waves.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent and wave, items as integer codes. Not modified.
    items : sequence of str
        Items of one unidimensional (sub)scale (at least three).
    group : str
        The grouping column, e.g. ``wave``.
    reverse : sequence of str, optional
        Reverse-keyed items (recoded ``minimum + maximum − x``; only their sign changes).
    minimum, maximum : int
        Smallest and largest answer code.

    Returns
    -------
    pandas.DataFrame
        Two rows, ``model`` = ``"configural"`` and ``"metric"``: ``chisq``, ``df``,
        ``p_value``, ``cfi``, ``rmsea``, and on the metric row the comparison with the
        configural model ``delta_chisq``, ``delta_df``, ``delta_p_value``, ``delta_cfi``;
        ``n_obs`` (complete rows), ``n_groups``, ``method``.

    Raises
    ------
    InputError
        Missing or non-numeric item columns, a group with fewer than ``5·len(items)``
        complete rows or a constant item.
    ConfigError
        Fewer than three items.

    Notes
    -----
    Multi-group confirmatory factor analysis with one factor per (sub)scale, fitted by
    normal-theory maximum likelihood on each group's covariance matrix (complete rows,
    listwise; divisor n), as ``lavaan::cfa(model, group = "wave")`` and
    ``group.equal = "loadings"`` (the chi-square statistics match lavaan; tests). The
    answers are six-point codes treated as continuous, the usual approximation; an
    ordinal (WLSMV/threshold) analysis is stricter and not available in a maintained
    Python package. Fit indices as lavaan: CFI against the independence model, RMSEA ×
    √K for K groups. Criteria: Chen (2007) — ΔCFI ≥ −0.01 (and ΔRMSEA ≤ 0.015) for
    metric invariance; with large samples the χ² difference test rejects trivial
    differences. Only the covariance structure is tested (no scalar/intercept
    invariance), so mean *changes* are comparable but absolute levels only if the
    intercepts are invariant too.

    References
    ----------
    Meredith, W. (1993). Measurement invariance, factor analysis and factorial
    invariance. *Psychometrika*, 58(4), 525–543.
    Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of measurement
    invariance. *Structural Equation Modeling*, 14(3), 464–504.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from asn_research import dialogue
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=400)
    >>> df = pd.DataFrame({f"q{j}": np.clip(np.round(3 + f + rng.normal(0, 0.8, 400)), 1, 5)
    ...                    for j in range(4)}).astype("Int64").assign(w=np.repeat(["a", "b"], 200))
    >>> mi = dialogue.measurement_invariance(df, items=["q0", "q1", "q2", "q3"], group="w",
    ...                                      minimum=1, maximum=5)
    >>> mi["model"].tolist(), mi["df"].tolist()
    (['configural', 'metric'], [4, 7])
    """
    from scipy import stats

    items = as_tuple(items, name="items")
    reverse = as_tuple(reverse, name="reverse")
    if len(items) < 3:
        raise ConfigError(f"a one-factor model needs at least three items; got {len(items)}")
    check_frame(data)
    check_columns(data, [*items, group], role="item")
    x = np.column_stack([_numeric(data, c, role="item") for c in items])
    for j, c in enumerate(items):
        if c in reverse:
            x[:, j] = minimum + maximum - x[:, j]
    ok = ~np.isnan(x).any(axis=1) & data[group].notna().to_numpy()
    covs, ns, labels = [], [], []
    for w in _waves(data.loc[ok], group):
        xs = x[ok & (data[group] == w).to_numpy()]
        if xs.shape[0] < 5 * len(items):
            raise InputError(f"group {w!r} has only {xs.shape[0]} complete rows; a factor "
                             f"model of {len(items)} items needs at least {5 * len(items)}",
                             column=group, fix="pool groups or drop the small one")
        if np.any(xs.std(axis=0) == 0):
            raise InputError(f"an item is constant in group {w!r}", column=group,
                             fix="drop the item")
        covs.append(np.cov(xs, rowvar=False, ddof=0))
        ns.append(xs.shape[0])
        labels.append(w)
    k, p = len(covs), len(items)
    if k < 2:
        raise InputError("invariance needs at least two groups", column=group,
                         fix="use a column with several waves")
    n_tot = float(sum(ns))
    base = sum(n * (np.sum(np.log(np.diag(s))) - np.linalg.slogdet(s)[1])
               for s, n in zip(covs, ns, strict=True))
    base_df = k * p * (p - 1) // 2
    rows = []
    for model, eq in (("configural", False), ("metric", True)):
        chisq, df, _ = _mg_cfa(covs, ns, equal_loadings=eq)
        chisq = max(chisq, 0.0)
        d = max(chisq - df, 0.0)
        cfi = 1.0 - d / max(base - base_df, d, 1e-12)
        rmsea = math.sqrt(max(chisq / n_tot / df - 1.0 / n_tot, 0.0)) * math.sqrt(k) \
            if df > 0 else math.nan
        rows.append({"model": model, "chisq": chisq, "df": df,
                     "p_value": float(stats.chi2.sf(chisq, df)) if df > 0 else math.nan,
                     "cfi": cfi, "rmsea": rmsea})
    conf, met = rows
    met["delta_chisq"] = met["chisq"] - conf["chisq"]
    met["delta_df"] = met["df"] - conf["df"]
    met["delta_p_value"] = float(stats.chi2.sf(max(met["delta_chisq"], 0.0), met["delta_df"]))
    met["delta_cfi"] = met["cfi"] - conf["cfi"]
    out = pd.DataFrame(rows)
    out["n_obs"] = int(n_tot)
    out["n_groups"] = k
    out["method"] = ("multi-group one-factor CFA, normal-theory ML on the covariance "
                     "matrices (listwise), configural vs equal loadings (metric)")
    return out.astype({"df": "Int64", "delta_df": "Int64"})


def descriptives(data: pd.DataFrame, *, outcomes: Sequence[str], group: str, wave: str,
                 min_cell: int = 10, confidence: float = 0.95) -> pd.DataFrame:
    """Mean outcomes by group (e.g. OPD) and wave, with small cells suppressed.

    Use it for the descriptive tables of the report; cells with fewer than ``min_cell``
    respondents are blanked before anything is shown.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent and wave. Not modified.
    outcomes : sequence of str
        Numeric outcome columns (scale scores).
    group, wave : str
        Grouping columns (any labels).
    min_cell : int, optional
        Rows with 0 < ``n_obs`` < ``min_cell`` are suppressed (default 10).
    confidence : float, optional
        Level of the t interval of each mean (default 0.95).

    Returns
    -------
    pandas.DataFrame
        One row per group × wave × outcome: ``group``, ``wave``, ``outcome``, ``n_obs``,
        ``mean``, ``sd``, ``se``, ``ci_low``, ``ci_high`` and ``suppressed`` (True where
        the count and values are blanked).

    Raises
    ------
    InputError, ConfigError
        For missing or non-numeric columns, a bad ``min_cell`` or ``confidence``.

    Notes
    -----
    Means of the non-missing values; interval mean ± t(n − 1)·sd/√n. Suppression by
    :func:`asn_research.privacy.suppress_small_cells` (primary suppression only).

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import dialogue
    >>> df = pd.DataFrame({"opd": ["a"] * 12 + ["b"] * 3, "wave": "2024-1",
    ...                    "resistance": [3.0, 3.5] * 6 + [4.0, 4.5, 5.0]})
    >>> t = dialogue.descriptives(df, outcomes=["resistance"], group="opd", wave="wave")
    >>> t[["group", "mean", "suppressed"]]
      group  mean  suppressed
    0     a  3.25       False
    1     b   NaN        True
    """
    from scipy import stats

    from .privacy import suppress_small_cells

    confidence = check_confidence(confidence)
    outcomes = as_tuple(outcomes, name="outcomes")
    check_frame(data)
    check_columns(data, [group, wave, *outcomes])
    rows = []
    for oc in outcomes:
        y = pd.Series(_numeric(data, oc, role="outcome"), index=data.index)
        ok = y.notna() & data[group].notna() & data[wave].notna()
        g = pd.DataFrame({"group": data.loc[ok, group], "wave": data.loc[ok, wave],
                          "y": y[ok]}).groupby(["group", "wave"], sort=True)["y"]
        for (gv, wv), s in g:
            n = int(s.size)
            sd = float(s.std(ddof=1)) if n > 1 else math.nan
            se = sd / math.sqrt(n) if n > 1 else math.nan
            q = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) if n > 1 else math.nan
            m = float(s.mean())
            rows.append({"group": gv, "wave": wv, "outcome": oc, "n_obs": n, "mean": m,
                         "sd": sd, "se": se, "ci_low": m - q * se, "ci_high": m + q * se})
    table = pd.DataFrame(rows, columns=["group", "wave", "outcome", "n_obs", "mean", "sd",
                                        "se", "ci_low", "ci_high"])
    return suppress_small_cells(table, count="n_obs", min_cell=min_cell,
                                value_columns=["mean", "sd", "se", "ci_low", "ci_high"])


# ============================================================================ report helpers

_SUBSCALES = ("resistance_routine_seeking", "resistance_emotional_reaction",
              "resistance_short_term_focus", "resistance_cognitive_rigidity")


def prepare_panel(data: pd.DataFrame, *, wave: str = "wave", unit: str = "respondent_key",
                  treatment: str = "dlg_attended", first_date: str | None = "dlg_first_date",
                  date: str | None = "survey_date", tenure: str | None = "tenure_years",
                  tenure_bands: Sequence[int] = (0, 10, 20),
                  birth_year: str | None = "birth_year",
                  golongan: str | None = "golongan") -> pd.DataFrame:
    """The merit waves as an analysis panel: periods, exposure timing and profile bands.

    Use it once at the start of an analysis of the stored merit waves (``load_waves``),
    so every estimator gets the same numeric periods and first-exposure periods.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent and wave (stored schema). Not modified.
    wave : str, optional
        Wave ids (semesters ``YYYY-1|2``); numbered with
        :func:`asn_research.waves.wave_index` (never by string order).
    unit, treatment : str, optional
        Respondent pseudonym and absorbing 0/1 exposure.
    first_date, date : str or None, optional
        First dialogue date and survey date (see :func:`exposure_timing`); None, or
        columns that are absent, give the first period observed exposed.
    tenure : str or None, optional
        Years of service, banded into ``tenure_band`` (skipped when None or absent).
    tenure_bands : sequence of int, optional
        Lower edges of the bands (default 0, 10, 20 → ``"0-9"``, ``"10-19"``, ``"20+"``).
    birth_year : str or None, optional
        Birth year; gives ``age`` (survey year minus birth year; skipped when absent).
    golongan : str or None, optional
        Civil-service grade codes (``iii_b``, ``pppk_07``); gives ``golongan_group``, the
        grade without its step (``II``, ``III``, ``IV``, ``PPPK``) for subgroups large enough
        to estimate (skipped when absent).

    Returns
    -------
    pandas.DataFrame
        A copy with ``period`` (Int64), ``first_period`` and ``event_time`` (Int64, NA for
        never exposed), and where possible ``tenure_band`` (str), ``age`` (Float64) and
        ``golongan_group`` (str).

    Raises
    ------
    InputError, ConfigError
        As :func:`exposure_timing` and :func:`asn_research.waves.wave_index`.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import dialogue
    >>> df = pd.DataFrame({"wave": ["2024-1", "2025-1", "2024-1"], "respondent_key": list("aab"),
    ...                    "dlg_attended": [0, 1, 0], "tenure_years": [3, 4, 25]})
    >>> p = dialogue.prepare_panel(df, first_date=None, birth_year=None, golongan=None)
    >>> (p["period"] - p["period"].min()).tolist(), p["tenure_band"].tolist()
    ([0, 2, 0], ['0-9', '0-9', '20+'])
    """
    from .waves import wave_index

    check_frame(data)
    check_columns(data, [wave, unit, treatment])
    out = data.copy()
    out["period"] = wave_index(out[wave])
    dated = first_date is not None and date is not None and {first_date, date} <= set(out)
    out = exposure_timing(out, unit=unit, time="period", treatment=treatment,
                          first_date=first_date if dated else None,
                          date=date if dated else None)
    if tenure is not None and tenure in out:
        edges = sorted(int(b) for b in tenure_bands)
        labels = [f"{lo}-{hi - 1}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
        labels.append(f"{edges[-1]}+")
        yrs = _numeric(out, tenure, role="tenure")
        pos = np.searchsorted(np.asarray(edges, float), yrs, side="right") - 1
        band = np.where(np.isnan(yrs) | (pos < 0), None,
                        np.asarray(labels, dtype=object)[np.clip(pos, 0, None)])
        out["tenure_band"] = pd.array(band, dtype="str")
    if birth_year is not None and birth_year in out and date is not None and date in out:
        year = pd.to_datetime(out[date]).dt.year.astype("Float64")
        out["age"] = year - out[birth_year].astype("Float64")
    if golongan is not None and golongan in out:
        grade = out[golongan].astype("str").str.split("_").str[0].str.upper()
        out["golongan_group"] = grade.where(out[golongan].notna())
    return out


def measurement_table(data: pd.DataFrame, instrument: Instrument, *, wave: str,
                      scales: Sequence[str] = _SUBSCALES) -> pd.DataFrame:
    """Does each (sub)scale measure the same thing at every wave? One table.

    Use it in the measurement section: per subscale the configural and metric
    invariance models (:func:`measurement_invariance`) and the smallest Tucker
    congruence of a wave's loadings with the pooled ones (:func:`loadings_by_wave`).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent and wave with the items. Not modified.
    instrument : Instrument
        The questionnaire (items, reverse keys, answer codes).
    wave : str
        Wave column.
    scales : sequence of str, optional
        Unidimensional (sub)scales (default the four resistance subscales).

    Returns
    -------
    pandas.DataFrame
        Two rows per scale (``model`` configural, metric): ``scale``, ``model``,
        ``chisq``, ``df``, ``p_value``, ``cfi``, ``rmsea``, ``delta_chisq``, ``delta_df``,
        ``delta_p_value``, ``delta_cfi``, ``min_congruence``, ``n_obs``, ``n_groups``,
        ``method``.

    Raises
    ------
    InputError, ConfigError
        As :func:`measurement_invariance` and :func:`loadings_by_wave`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from asn_research import dialogue, instruments
    >>> merit = instruments.load_instrument("merit")
    >>> rng = np.random.default_rng(2)
    >>> f = rng.normal(size=300)
    >>> items = merit.scale("resistance_cognitive_rigidity").items
    >>> df = pd.DataFrame({c: np.clip(np.round(3.5 + (-f if c == "rtc_cr_4" else f)
    ...                    + rng.normal(0, 0.8, 300)), 1, 6) for c in items}
    ...                   ).astype("Int64").assign(wave=np.repeat(["2024-1", "2024-2"], 150))
    >>> t = dialogue.measurement_table(df, merit, wave="wave",
    ...                                scales=["resistance_cognitive_rigidity"])
    >>> t["model"].tolist(), bool(t["min_congruence"].iloc[0] > 0.95)
    (['configural', 'metric'], True)
    """
    names = as_tuple(scales, name="scales")
    parts = []
    for sc in names:
        spec = instrument.scale(sc)
        lo, hi = _scale_codes(instrument, spec)
        kw = dict(items=spec.items, reverse=spec.reverse, minimum=lo, maximum=hi)
        mi = measurement_invariance(data, group=wave, **kw)
        ld = loadings_by_wave(data, wave=wave, **kw)
        mi.insert(0, "scale", sc)
        mi["min_congruence"] = float(ld.loc[ld["wave"] != "all", "congruence"].min())
        parts.append(mi)
    cols = ["scale", "model", "chisq", "df", "p_value", "cfi", "rmsea", "delta_chisq",
            "delta_df", "delta_p_value", "delta_cfi", "min_congruence", "n_obs",
            "n_groups", "method"]
    return pd.concat(parts, ignore_index=True)[cols]


def _scale_codes(instrument: Instrument, spec: Any) -> tuple[int, int]:
    """Smallest and largest answer code of a scale's items (from the instrument)."""
    choices = instrument.choices_of(spec.items[0])
    return int(choices.min_value), int(choices.max_value)


def plot_event_study(events: pd.DataFrame, *, ax: Any = None, label: str = "",
                     xlabel: str = "", ylabel: str = "") -> Any:
    """Event-study figure: estimate and 95% interval per event time, zero line.

    Parameters
    ----------
    events : pandas.DataFrame
        ``EventStudyResult.events`` (``event_time``, ``estimate``, ``ci_low``,
        ``ci_high``; rows with ``suppressed`` True are not drawn).
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure's axes).
    label, xlabel, ylabel : str, optional
        Legend entry and axis labels.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from asn_research import dialogue
    >>> ev = pd.DataFrame({"event_time": [-1, 0, 1], "estimate": [0.0, -0.2, -0.3],
    ...                    "ci_low": [-0.1, -0.3, -0.45], "ci_high": [0.1, -0.1, -0.15]})
    >>> len(dialogue.plot_event_study(ev).lines) >= 1
    True
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    ev = events if "suppressed" not in events else events.loc[~events["suppressed"]]
    ev = ev.loc[ev["estimate"].notna()]
    x = ev["event_time"].to_numpy(dtype=float)
    est = ev["estimate"].to_numpy(dtype=float)
    lo = ev["ci_low"].to_numpy(dtype=float)
    hi = ev["ci_high"].to_numpy(dtype=float)
    err = np.vstack([np.where(np.isfinite(lo), est - lo, 0.0),
                     np.where(np.isfinite(hi), hi - est, 0.0)])
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.axvline(-0.5, color="#bbbbbb", linestyle="--", linewidth=0.8)
    for part, color in ((x < 0, "#7a7a7a"), (x >= 0, "#1f5fa8")):
        if part.any():
            ax.errorbar(x[part], est[part], yerr=np.abs(err[:, part]), fmt="none",
                        ecolor=color, capsize=3)
    ax.scatter(x, est, c=np.where(x < 0, "#7a7a7a", "#1f5fa8").tolist(), zorder=3,
               label=label or None)
    ax.set_xticks(x)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if label:
        ax.legend(frameon=False)
    return ax


def plot_estimates(table: pd.DataFrame, *, ax: Any = None, label: str = "estimator",
                   xlabel: str = "") -> Any:
    """Forest plot of estimates with 95% intervals, one line per row (e.g. estimators).

    Parameters
    ----------
    table : pandas.DataFrame
        Rows with ``estimate``, ``ci_low``, ``ci_high`` and a label column; rows with
        ``suppressed`` True are not drawn; a ``headline`` column marks the headline row.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    label : str, optional
        The column naming each row (default ``estimator``).
    xlabel : str, optional
        Axis label.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from asn_research import dialogue
    >>> t = pd.DataFrame({"estimator": ["a", "b"], "estimate": [0.1, -0.3],
    ...                   "ci_low": [0.0, -0.4], "ci_high": [0.2, -0.2]})
    >>> [x.get_text() for x in dialogue.plot_estimates(t).get_yticklabels()]
    ['a', 'b']
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    t = table if "suppressed" not in table else table.loc[~table["suppressed"]]
    t = t.loc[t["estimate"].notna()].reset_index(drop=True)
    y = np.arange(len(t))[::-1]
    head = t["headline"].to_numpy(dtype=bool) if "headline" in t else np.zeros(len(t), bool)
    lo, hi = t["ci_low"].to_numpy(dtype=float), t["ci_high"].to_numpy(dtype=float)
    est = t["estimate"].to_numpy(dtype=float)
    has = np.isfinite(lo) & np.isfinite(hi)
    ax.hlines(y[has], lo[has], hi[has], color=np.where(head[has], "#1f5fa8", "#555555"))
    ax.scatter(est, y, color=np.where(head, "#1f5fa8", "#555555"), zorder=3)
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels([str(v) for v in t[label]])
    ax.set_xlabel(xlabel)
    return ax


def att_table(results: Mapping[str, EventStudyResult]) -> pd.DataFrame:
    """The average effects of several event studies, one row per outcome.

    Parameters
    ----------
    results : mapping of str to EventStudyResult
        Outcome name → :func:`event_study` result.

    Returns
    -------
    pandas.DataFrame
        ``outcome``, ``estimate``, ``se``, ``df``, ``ci_low``, ``ci_high``, ``p_value``,
        ``n_obs`` (exposed respondent-waves the average is over), ``n_clusters``,
        ``pretrend_statistic``, ``pretrend_df1``, ``pretrend_df2``, ``pretrend_p_value``,
        ``method``.

    Raises
    ------
    ConfigError
        If a value is not an event-study result.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import dialogue
    >>> rows = [(i, t, int(i < 4 and t >= 1 + i % 2), f"o{i % 5}", 3.0 + 0.1 * i + 0.05 * t
    ...          - 0.4 * (i < 4 and t >= 1 + i % 2)) for i in range(10) for t in range(3)]
    >>> df = pd.DataFrame(rows, columns=["id", "t", "d", "opd", "y"])
    >>> es = dialogue.event_study(df, outcome="y", unit="id", time="t", treatment="d",
    ...                           cluster="opd")
    >>> dialogue.att_table({"y": es})[["outcome", "n_obs"]].to_dict("records")
    [{'outcome': 'y', 'n_obs': 6}]
    """
    if not all(isinstance(v, EventStudyResult) for v in results.values()):
        raise ConfigError("results must map outcome names to event_study results")
    rows = []
    for name, res in results.items():
        a = res.att
        rows.append({"outcome": name, "estimate": a.estimate, "se": a.se, "df": a.df,
                     "ci_low": a.ci_low, "ci_high": a.ci_high, "p_value": a.p_value,
                     "n_obs": int(a.details.get("n_exposed_obs", a.n_obs)),
                     "n_clusters": a.n_clusters, "pretrend_statistic": res.pretrend_statistic,
                     "pretrend_df1": res.pretrend_df[0], "pretrend_df2": res.pretrend_df[1],
                     "pretrend_p_value": res.pretrend_p_value, "method": a.method})
    return pd.DataFrame(rows)


def selection_frame(data: pd.DataFrame, *, outcome: str, unit: str, time: str,
                    baseline_period: float | None = None,
                    label: str | None = "wave") -> pd.DataFrame:
    """:func:`followup_frame` plus ``period_label`` (the period as a category).

    Use it for the selection-on-observables estimators and the balance table, which
    adjust for the follow-up period as a categorical covariate.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel. Not modified.
    outcome, unit, time, baseline_period
        As in :func:`followup_frame`.
    label : str or None, optional
        A column naming the periods (default ``wave``: ``period_label`` is the wave id);
        when None or absent, the period number as text.

    Returns
    -------
    pandas.DataFrame
        The follow-up rows with ``<outcome>_baseline`` and ``period_label`` (str).

    Raises
    ------
    InputError
        As :func:`followup_frame`.

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import dialogue
    >>> df = pd.DataFrame({"id": [1, 1, 2, 2], "t": [0, 1, 0, 1], "y": [3.0, 2.5, 4.0, 4.2]})
    >>> dialogue.selection_frame(df, outcome="y", unit="id", time="t")["period_label"].tolist()
    ['1', '1']
    """
    fu = followup_frame(data, outcome=outcome, unit=unit, time=time,
                        baseline_period=baseline_period)
    names = fu[label] if label is not None and label in fu else fu[time].astype("Int64")
    return fu.assign(period_label=names.astype(str))


_COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "group": ("Kelompok", "Group"),
    "outcome": ("Hasil", "Outcome"),
    "estimator": ("Estimator", "Estimator"),
    "estimand": ("Yang diestimasi", "Estimand"),
    "event_time": ("Gelombang sejak dialog pertama", "Waves since the first dialogue"),
    "df": ("db", "df"),
    "n_missing": ("Kosong", "Missing"),
    "model": ("Model", "Model"),
    "chisq": ("χ²", "χ²"),
    "cfi": ("CFI", "CFI"),
    "rmsea": ("RMSEA", "RMSEA"),
    "delta_chisq": ("Δχ²", "Δχ²"),
    "delta_df": ("Δdb", "Δdf"),
    "delta_p_value": ("p (Δχ²)", "p (Δχ²)"),
    "delta_cfi": ("ΔCFI", "ΔCFI"),
    "min_congruence": ("Kongruensi terkecil", "Smallest congruence"),
    "pretrend_p_value": ("p uji tren awal", "p pre-trend test"),
    "covariate": ("Kovariat", "Covariate"),
    "mean_exposed": ("Rata-rata peserta", "Mean, attendees"),
    "mean_unexposed": ("Rata-rata bukan peserta", "Mean, non-attendees"),
    "mean_unexposed_weighted": ("… setelah pembobotan", "… after weighting"),
    "smd_unweighted": ("SMD sebelum", "SMD before"),
    "smd_weighted": ("SMD sesudah", "SMD after"),
    "n_exposed_units": ("Peserta", "Attendees"),
    "n_comparison_units": ("Pembanding", "Comparison staff"),
    "p_holm": ("p (Holm)", "p (Holm)"),
    "in_correction": ("Dalam koreksi", "In correction"),
}


def column_labels(lang: str = "id") -> dict[str, str]:
    """Column headers of this module's tables in the report language (id or en).

    Parameters
    ----------
    lang : {"id", "en"}, optional
        Report language.

    Returns
    -------
    dict of str to str
        Column name → header, for ``ReportContext.show(..., labels=...)``.

    Raises
    ------
    ConfigError
        For another language.

    Examples
    --------
    >>> from asn_research import dialogue
    >>> dialogue.column_labels("en")["smd_weighted"]
    'SMD after'
    """
    check_choice(lang, ("id", "en"), name="lang")
    return {k: v[0 if lang == "id" else 1] for k, v in _COLUMN_LABELS.items()}


# ============================================================================ findings

_LABELS = {"resistance": "resistance to change",
           "appraisal_threat": "perceived threat of performance appraisal",
           "merit_support": "support for the merit system"}


def _fmt_ci(e: float, lo: float, hi: float, conf: float) -> str:
    return f"{e:+.2f} points ({conf:.0%} CI {lo:+.2f} to {hi:+.2f})"


def findings(att: Mapping[str, EventStudyResult], *, dose: Estimate | None = None,
             dynamic_for: Sequence[str] = ("resistance",),
             pretrend_level: float = 0.05) -> pd.DataFrame:
    """Findings under the estimand catalogue's ids, worded to match the design's strength.

    Use it to fill the evidence register: one row per finding with the number, its
    uncertainty and a plain-language statement that says "reduced" only where the design
    identifies the effect (naming the assumption) and "is associated with" otherwise.

    Parameters
    ----------
    att : mapping of str to EventStudyResult
        Outcome name (e.g. ``"resistance"``, ``"appraisal_threat"``,
        ``"merit_support"``) → its :func:`event_study` result.
    dose : Estimate, optional
        The :func:`dose_response` estimate for resistance.
    dynamic_for : sequence of str, optional
        Outcomes whose event-time effects are reported (default ``("resistance",)``).
    pretrend_level : float, optional
        If the joint pre-trend test rejects at this level, causal wording is withheld
        (default 0.05).

    Returns
    -------
    pandas.DataFrame
        ``evidence_id`` (``dialogue.att.<outcome>``, ``dialogue.dynamic.<outcome>.e<k>``,
        ``dialogue.dose.resistance_per_session``), ``estimate``, ``se``, ``ci_low``,
        ``ci_high``, ``p_value``, ``n_obs``, ``causal`` (bool: causal wording used),
        ``design`` (``"causal"`` or ``"associational"``, for the evidence register),
        ``assumption_id``, ``assumption_en`` (the identifying assumption in words where
        causal), ``headline`` (True for the average effects), ``label`` (``"e = k"`` for
        event times), ``statement``, ``method``, ``assumptions``.

    Raises
    ------
    ConfigError
        If ``att`` is empty or holds something other than event-study results.

    Notes
    -----
    Wording rules: the Callaway–Sant'Anna ATT and lags are causal ("reduced",
    "increased") when the leads exist and the pre-trend test does not reject; then the
    assumption (parallel trends, no anticipation) is named. When the interval covers 0 the
    statement says no effect was detected. Leads are reported as checks of no
    anticipation. The dose–response is always an association (the number of sessions is
    not assigned at random).

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import dialogue
    >>> rows = [(i, t, int(i < 4 and t >= 1 + i % 2), f"o{i % 5}", 3.0 + 0.1 * i + 0.05 * t
    ...          + 0.01 * (i * t % 3) - 0.4 * (i < 4 and t >= 1 + i % 2))
    ...         for i in range(10) for t in range(3)]
    >>> df = pd.DataFrame(rows, columns=["id", "t", "d", "opd", "resistance"])
    >>> es = dialogue.event_study(df, outcome="resistance", unit="id", time="t",
    ...                           treatment="d", cluster="opd")
    >>> dialogue.findings({"resistance": es})["evidence_id"].tolist()[:2]
    ['dialogue.att.resistance', 'dialogue.dynamic.resistance.e-1']
    """
    if not att or not all(isinstance(v, EventStudyResult) for v in att.values()):
        raise ConfigError("att must map outcome names to event_study results")
    dynamic_for = as_tuple(dynamic_for, name="dynamic_for")
    rows = []

    def add(eid: str, e: float, se: float, lo: float, hi: float, p: float | None, n: int,
            causal: bool, text: str, method: str, assumptions: str, label: str = "",
            headline: bool = False) -> None:
        rows.append({"evidence_id": eid, "estimate": e, "se": se, "ci_low": lo,
                     "ci_high": hi, "p_value": p, "n_obs": n, "causal": causal,
                     "design": "causal" if causal else "associational",
                     "assumption_id": _PT_ID if causal else "",
                     "assumption_en": _PT_EN if causal else "",
                     "headline": headline, "label": label, "statement": text,
                     "method": method, "assumptions": assumptions})

    for outcome, res in att.items():
        label = _LABELS.get(outcome, outcome)
        conf = res.confidence
        checked = res.pretrend_df[0] > 0 and np.isfinite(res.pretrend_p_value)
        causal = bool(checked and res.pretrend_p_value >= pretrend_level)
        caveat = ("" if causal else
                  " (causal reading withheld: " + ("the pre-trend test rejects"
                                                  if checked else "no pre-period to test")
                  + ")")

        def sentence(e: float, lo: float, hi: float, when: str, label: str = label,
                     conf: float = conf, causal: bool = causal, caveat: str = caveat) -> str:
            num = _fmt_ci(e, lo, hi, conf)
            if not (np.isfinite(lo) and np.isfinite(hi)):
                return f"The effect on {label} {when} could not be estimated."
            if lo <= 0 <= hi:
                return (f"No effect of attending merit-system dialogues on {label} {when} "
                        f"was detected: {num}.")
            if causal:
                verb = "reduced" if e < 0 else "increased"
                return (f"Attending merit-system dialogues {verb} {label} {when} by "
                        f"{abs(e):.2f} points ({conf:.0%} CI {lo:+.2f} to {hi:+.2f}), "
                        "assuming parallel trends without dialogues and no anticipation.")
            return (f"Attending merit-system dialogues is associated with a change in "
                    f"{label} {when} of {num}{caveat}.")

        a = res.att
        add(f"dialogue.att.{outcome}", a.estimate, a.se, a.ci_low, a.ci_high, a.p_value,
            int(a.details.get("n_exposed_obs", a.n_obs)), causal,
            sentence(a.estimate, a.ci_low, a.ci_high, "(average over exposed "
                     "respondent-waves)"), a.method, a.assumptions, headline=True)
        if outcome not in dynamic_for:
            continue
        for ev in res.events.itertuples(index=False):
            k = int(ev.event_time)
            eid = f"dialogue.dynamic.{outcome}.e{k}"
            lab = f"e = {k}".replace("-", "\u2212")  # a minus sign, as numbers are shown
            if ev.reference:
                add(eid, 0.0, math.nan, math.nan, math.nan, None, int(ev.n_obs), False,
                    f"Event time {k} is the reference period (0 by construction).",
                    res.method, res.assumptions, label=lab)
                continue
            if k < 0:
                num = _fmt_ci(ev.estimate, ev.ci_low, ev.ci_high, conf)
                ok = ev.ci_low <= 0 <= ev.ci_high
                text = (f"{-k} wave(s) before their first dialogue, the {label} of later "
                        f"attendees and comparison staff changed alike ({num}): no sign of "
                        "anticipation or diverging trends." if ok else
                        f"{-k} wave(s) before their first dialogue, later attendees' "
                        f"{label} already changed differently ({num}): a warning against "
                        "the parallel-trends assumption.")
                add(eid, ev.estimate, ev.se, ev.ci_low, ev.ci_high, ev.p_value,
                    int(ev.n_obs), False, text, res.method, res.assumptions, label=lab)
            else:
                when = "in the wave of the first dialogue" if k == 0 else \
                    f"{k} wave(s) after the first dialogue"
                add(eid, ev.estimate, ev.se, ev.ci_low, ev.ci_high, ev.p_value,
                    int(ev.n_obs), causal, sentence(ev.estimate, ev.ci_low, ev.ci_high, when),
                    res.method, res.assumptions, label=lab)
    if dose is not None:
        num = _fmt_ci(dose.estimate, dose.ci_low, dose.ci_high, dose.confidence)
        add("dialogue.dose.resistance_per_session", dose.estimate, dose.se, dose.ci_low,
            dose.ci_high, dose.p_value, int(dose.details.get("n_exposed_obs", dose.n_obs)),
            False, "Among exposed staff of the same cohort and wave, each additional "
            f"dialogue session is associated with a change in resistance to change of {num} "
            "per session (not a causal estimate: the number of sessions is not assigned "
            "at random).", dose.method, dose.assumptions)
    return pd.DataFrame(rows).astype({"p_value": float})
