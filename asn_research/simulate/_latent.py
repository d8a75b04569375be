"""Ordered-probit answers from latent scores, their expectations, and scale scoring.

Private helpers shared by the training, merit and service generators.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from ..instruments import Instrument


def ordinal_answers(ystar: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Answer codes 1..len(cuts)+1 from latent responses ``ystar`` (any shape)."""
    return (1 + np.searchsorted(np.asarray(cuts, float), ystar, side="left")).astype(np.int8)


def expected_answer(mu: np.ndarray, cuts: np.ndarray, sd: float) -> np.ndarray:
    """E[answer] when answer = cut(mu + sd·N(0, 1)): 1 + Σ_k Φ((mu − c_k) / sd)."""
    mu = np.asarray(mu, float)
    out = np.ones_like(mu)
    for c in np.asarray(cuts, float):
        out += ndtr((mu - c) / sd)
    return out


def item_signs(instrument: Instrument, scale: str) -> tuple[tuple[str, ...], np.ndarray]:
    """Items of a scale and +1/−1 for normally/reverse-keyed items."""
    sc = instrument.scale(scale)
    signs = np.array([-1.0 if i in sc.reverse else 1.0 for i in sc.items])
    return sc.items, signs


def score_scale(answers: np.ndarray, signs: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Scale score = row mean of the item answers after reverse-keying (lo + hi − x).

    ``answers`` has one column per item (complete answers, as simulated).
    """
    a = np.asarray(answers, float)
    keyed = np.where(signs < 0, lo + hi - a, a)
    return keyed.mean(axis=1)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x, float)))


def gumbel_top_k(rng: np.random.Generator, log_weight: np.ndarray, k: int,
                 eligible: np.ndarray) -> np.ndarray:
    """Indices of a weighted sample of ``k`` without replacement among ``eligible`` rows."""
    key = np.where(eligible, log_weight + rng.gumbel(size=log_weight.size), -np.inf)
    k = int(min(k, eligible.sum()))
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    idx = np.argpartition(-key, k - 1)[:k]
    return np.sort(idx)


def random_dates(rng: np.random.Generator, start: np.ndarray | np.datetime64,
                 end: np.ndarray | np.datetime64, n: int) -> np.ndarray:
    """Uniform dates between ``start`` and ``end`` (inclusive), datetime64[D]."""
    s = np.asarray(start, "datetime64[D]")
    e = np.asarray(end, "datetime64[D]")
    span = (e - s).astype(np.int64) + 1
    off = np.floor(rng.random(n) * span).astype(np.int64)
    return s + off.astype("timedelta64[D]")
