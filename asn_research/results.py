"""The result type every analysis returns for one number with its uncertainty.

An analysis function returns either a tidy DataFrame (one row per group, unit, item …,
with at least ``estimate``, ``ci_low``, ``ci_high``, ``p_value`` and ``n_obs`` columns) or,
for one number, an :class:`Estimate`: the estimate, its standard error, confidence
interval, p-value, number of observations, the method and its assumptions in words. The
evidence register (:mod:`asn_research.evidence`) records either kind under an estimand id.

Examples
--------
>>> from asn_research.results import Estimate
>>> est = Estimate(estimate=-0.25, se=0.1, ci_low=-0.45, ci_high=-0.05, p_value=0.02,
...                n_obs=400, method="two-way fixed effects, CR1 SE",
...                assumptions="parallel trends")
>>> est.to_frame()[["estimate", "ci_low", "ci_high", "n_obs"]]
   estimate  ci_low  ci_high  n_obs
0     -0.25   -0.45    -0.05    400
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import pandas as pd

from .errors import InputError

__all__ = ["Estimate"]


@dataclass(frozen=True, slots=True)
class Estimate:
    """One estimate with its uncertainty, method and assumptions.

    Attributes
    ----------
    estimate : float
        The point estimate.
    se : float
        Its standard error (NaN when the method gives none, e.g. a bootstrap percentile CI).
    ci_low, ci_high : float
        The confidence interval at level ``confidence``.
    p_value : float or None
        Two-sided p-value of the null hypothesis that the estimand is 0; None where no
        test applies (e.g. a mean on a bounded scale).
    n_obs : int
        Observations (rows) the estimate uses.
    method : str
        The estimator in words, including how the uncertainty was computed.
    assumptions : str, optional
        What must hold for the estimate to mean what its name says (identification for
        causal estimates), in words.
    confidence : float, optional
        Level of the interval (default 0.95).
    df : float or None, optional
        Degrees of freedom of the reference distribution, when it is a t distribution.
    statistic : float or None, optional
        The test statistic (t or z).
    n_clusters : int or None, optional
        Clusters behind a cluster-robust standard error.
    term : str or None, optional
        The model term, when the estimate is one coefficient of a larger model.
    details : mapping, optional
        Further numbers a report may show (excluded from equality and hashing).
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float | None
    n_obs: int
    method: str
    assumptions: str = ""
    confidence: float = 0.95
    df: float | None = None
    statistic: float | None = None
    n_clusters: int | None = None
    term: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False,
                                       repr=False)

    def to_frame(self) -> pd.DataFrame:
        """Return the estimate as one tidy row (without ``details``).

        Returns
        -------
        pandas.DataFrame
            One row with a column per attribute except ``details``.
        """
        row = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "details"}
        return pd.DataFrame([row])

    @classmethod
    def from_row(cls, row: Mapping[str, Any] | pd.Series, *, method: str | None = None,
                 assumptions: str | None = None) -> Estimate:
        """Build an estimate from one row of a tidy result frame.

        Parameters
        ----------
        row : mapping or pandas.Series
            Must hold ``estimate``, ``ci_low``, ``ci_high`` and ``n_obs`` (missing values
            allowed: a count has no interval); ``se``,
            ``p_value``, ``confidence``, ``df``, ``method``, ``assumptions``, ``statistic``,
            ``n_clusters`` and ``term`` are used when present.
        method, assumptions : str, optional
            Override (or supply) the row's method and assumptions.

        Returns
        -------
        Estimate

        Raises
        ------
        InputError
            If a required column is missing.

        Examples
        --------
        >>> from asn_research.results import Estimate
        >>> Estimate.from_row({"estimate": 1.0, "ci_low": 0.5, "ci_high": 1.5, "n_obs": 30},
        ...                   method="mean, t CI").ci_high
        1.5
        """
        get = row.get
        missing = [c for c in ("estimate", "ci_low", "ci_high", "n_obs") if c not in row]
        if missing:
            raise InputError(f"the result row lacks {', '.join(missing)}",
                             column=missing[0],
                             fix="pass a row of a tidy result frame (estimate, ci_low, "
                             "ci_high, n_obs, …)")

        def num(name: str, default: float | None = None) -> float | None:
            v = get(name, default)
            if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
                return default
            return float(v)

        p = num("p_value")
        return cls(
            estimate=num("estimate", math.nan),
            se=num("se", math.nan),
            ci_low=num("ci_low", math.nan),
            ci_high=num("ci_high", math.nan),
            p_value=p,
            n_obs=int(row["n_obs"]),
            method=method if method is not None else str(get("method", "")),
            assumptions=assumptions if assumptions is not None else str(get("assumptions", "")),
            confidence=num("confidence", 0.95),
            df=num("df"),
            statistic=num("statistic"),
            n_clusters=None if num("n_clusters") is None else int(num("n_clusters")),
            term=None if get("term") is None else str(get("term")),
        )
