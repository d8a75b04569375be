"""Service-quality (SKM) answers per service unit and month, with a planted online-permit launch.

The world: every service unit of ``surveys/lookups/tangsel_service_units.yaml`` runs
the SKM every month from 2023-01 to 2026-06. A citizen's answer to element *j* is an
ordered-probit draw (answers 1–4) around

``mu = base_unit + element_offset_j + weak_unit_j + trend_unit·t + season(month)
+ post·(level_unit + slope_unit·(t − L_unit)) + gap·online``,

plus a respondent effect (halo) and answer noise. Each unit has one or two weak
elements; some units that may offer online permits (``online_permits: true``) launch
them at a known month *L*, after which a growing share of respondents use the online
channel. Sample sizes per unit-month are either 15–40 (``small``) or the
Krejcie–Morgan sample size of the unit's monthly number of users.

Examples
--------
>>> from asn_research.simulate.service import krejcie_morgan
>>> [krejcie_morgan(n) for n in (50, 100, 1000, 1_000_000)]
[44, 80, 278, 384]
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr

from ..instruments import load_instrument
from ._latent import ordinal_answers, random_dates
from .population import _names, load_service_units
from .world import SKM_MONTHS, component_rng

__all__ = ["SERVICE_EFFECTS", "krejcie_morgan", "service_world", "simulate_skm"]

logger = logging.getLogger(__name__)

#: Planted parameters (latent units; one latent unit ≈ 20–25 IKM points). See the docs.
SERVICE_EFFECTS = {
    "element_offset": {
        "persyaratan": 0.0, "prosedur": -0.05, "waktu": -0.25, "biaya": 0.9, "produk": 0.05,
        "kompetensi": 0.15, "perilaku": 0.2, "pengaduan": -0.2, "sarana": -0.1,
    },
    "weak_element_shift": -0.55,
    "trend_mean": 0.004,  # per month
    "trend_sd": 0.004,
    "launch_level": 0.25,
    "launch_slope": 0.012,  # per month after the launch
    "online_gap": 0.2,
    "respondent_sd": 0.45,
    "answer_sd": 0.85,
    "n_launch_units": 3,
    "launch_months": ("2024-03", "2025-06"),  # launches fall in this range
}
_CUTS4 = np.array([-1.5, -0.5, 0.85])
_SIGMA = float(np.hypot(SERVICE_EFFECTS["respondent_sd"], SERVICE_EFFECTS["answer_sd"]))
_LEBARAN = {"2023-04", "2024-04", "2025-03", "2026-03"}
# Rough monthly number of service users per unit (for Krejcie–Morgan sample sizes).
_VOLUME = {
    "dpmptsp_perizinan": 700, "dpmptsp_nonperizinan": 450, "disdukcapil_ktp_kk": 5000,
    "disdukcapil_akta": 1800, "bapenda_pbb": 2500, "dishub_pengujian": 1500,
    "rsud_rawat_jalan": 9000,
}
_SERVICE_TYPES = {
    "dpmptsp_perizinan": ["Persetujuan Bangunan Gedung (PBG)", "Izin reklame",
                          "Izin usaha (OSS-RBA)"],
    "dpmptsp_nonperizinan": ["Konsultasi perizinan", "Rekomendasi teknis"],
    "disdukcapil_ktp_kk": ["KTP-el", "Kartu Keluarga", "Kartu Identitas Anak"],
    "disdukcapil_akta": ["Akta kelahiran", "Akta kematian", "Akta perkawinan"],
    "bapenda_pbb": ["Pembayaran PBB", "BPHTB", "Keberatan PBB"],
    "dishub_pengujian": ["Uji KIR kendaraan"],
    "rsud_rawat_jalan": ["Poliklinik umum", "Poliklinik spesialis"],
}
_EDU_P = np.array([0.08, 0.12, 0.38, 0.12, 0.25, 0.04, 0.01])
_OCC_P = np.array([0.08, 0.02, 0.35, 0.28, 0.1, 0.17])


def krejcie_morgan(population: int) -> int:
    """Krejcie & Morgan (1970) sample size for a population of ``population`` users.

    ``S = χ²·N·P(1−P) / (d²·(N−1) + χ²·P(1−P))`` with χ² = 3.841, P = 0.5, d = 0.05,
    rounded to the nearest integer (docs/skm.md).

    Examples
    --------
    >>> krejcie_morgan(200)
    132
    """
    n = float(population)
    s = 3.841 * n * 0.25 / (0.05**2 * (n - 1) + 3.841 * 0.25)
    return int(np.floor(s + 0.5))


def _season(month: str) -> float:
    mo = int(month[5:7])
    return (0.06 * np.sin(2 * np.pi * (mo - 1) / 12) - 0.08 * (mo == 12)
            - 0.06 * (month in _LEBARAN))


def service_world(seed: int) -> dict[str, Any]:
    """Unit-level draws: base quality, trend, weak elements and online-permit launches.

    Parameters
    ----------
    seed : int
        The simulation seed.

    Returns
    -------
    dict
        ``units`` (codes), and per unit (dicts keyed by code): ``base``, ``trend``,
        ``weak_elements`` (list), ``launch_month`` (``"YYYY-MM"`` or None).
    """
    rng = component_rng(seed, "service.world")
    units = load_service_units()
    codes = units["unit"].tolist()
    inst = load_instrument("skm")
    elements = list(inst.scale("skm_mean").items)
    k = len(codes)
    base = rng.uniform(0.2, 0.8, k)
    trend = rng.normal(SERVICE_EFFECTS["trend_mean"], SERVICE_EFFECTS["trend_sd"], k)
    weak: dict[str, list[str]] = {}
    for c in codes:
        cand = [e for e in elements if e != "biaya"]
        weak[c] = sorted(rng.choice(cand, size=int(rng.integers(1, 3)), replace=False).tolist())
    eligible = [c for c, ok in zip(codes, units["online_permits"], strict=True) if ok]
    n_launch = min(SERVICE_EFFECTS["n_launch_units"], len(eligible))
    launching = set(rng.choice(eligible, size=n_launch, replace=False).tolist())
    lo = SKM_MONTHS.index(SERVICE_EFFECTS["launch_months"][0])
    hi = SKM_MONTHS.index(SERVICE_EFFECTS["launch_months"][1])
    launch = {c: (SKM_MONTHS[int(rng.integers(lo, hi + 1))] if c in launching else None)
              for c in codes}
    return {
        "units": codes,
        "elements": elements,
        "base": dict(zip(codes, base.tolist(), strict=True)),
        "trend": dict(zip(codes, trend.tolist(), strict=True)),
        "weak_elements": weak,
        "launch_month": launch,
    }


def _mu(world: dict[str, Any], unit: str, t: int, *, online: bool, seasonal: bool
        ) -> np.ndarray:
    """Latent means of the nine elements for a unit, month index and channel."""
    eo = SERVICE_EFFECTS["element_offset"]
    mu = np.array([
        world["base"][unit] + eo[e]
        + (SERVICE_EFFECTS["weak_element_shift"] if e in world["weak_elements"][unit] else 0.0)
        for e in world["elements"]
    ])
    mu = mu + world["trend"][unit] * t
    if seasonal:
        mu = mu + _season(SKM_MONTHS[t])
    lm = world["launch_month"][unit]
    if lm is not None:
        L = SKM_MONTHS.index(lm)
        if t >= L:
            mu = mu + SERVICE_EFFECTS["launch_level"] + SERVICE_EFFECTS["launch_slope"] * (t - L)
    if online:
        mu = mu + SERVICE_EFFECTS["online_gap"]
    return mu


def _expected(mu: np.ndarray) -> np.ndarray:
    out = np.ones_like(mu)
    for c in _CUTS4:
        out = out + ndtr((mu - c) / _SIGMA)
    return out


def _online_share(world: dict[str, Any], unit: str, t: int) -> float:
    lm = world["launch_month"][unit]
    if lm is None or t < SKM_MONTHS.index(lm):
        return 0.0
    return 0.25 + 0.35 * (1 - np.exp(-(t - SKM_MONTHS.index(lm)) / 6))


def _ols(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(x, y, rcond=None)[0]


def simulate_skm(
    *, seed: int, sample: str, world: dict[str, Any]
) -> tuple[dict[str, pd.DataFrame], dict[str, tuple[float, int, dict[str, str]]]]:
    """Simulate all SKM months.

    Parameters
    ----------
    seed : int
        The simulation seed.
    sample : {"uniform", "krejcie_morgan"}
        Respondents per unit-month: 15–40 at random, or Krejcie–Morgan of the unit's
        monthly users (``_VOLUME``, 300 for a kecamatan office) with ±10 % noise.
    world : dict
        From :func:`service_world`.

    Returns
    -------
    frames : dict of str to pandas.DataFrame
        Month ``"YYYY-MM"`` → clean frame, one column per ``skm`` field.
    truth : dict
        ``service.*`` estimand id → (value, n, definition fill-ins).
    """
    inst = load_instrument("skm")
    units = world["units"]
    elements = world["elements"]
    fields = inst.field_names
    edu_codes = [c.value for c in inst.choices_of("education").choices]
    occ_codes = [c.value for c in inst.choices_of("occupation").choices]
    truth: dict[str, tuple[float, int, dict[str, str]]] = {}
    nrr_sum = {u: np.zeros(len(elements)) for u in units}
    nrr_n = dict.fromkeys(units, 0)
    gap_sum, gap_n = 0.0, 0
    frames: dict[str, pd.DataFrame] = {}
    unit_arr = np.asarray(units, dtype=object)
    type_lists = [_SERVICE_TYPES.get(u, ["Pelayanan administrasi terpadu kecamatan (PATEN)"])
                  for u in units]
    for t, month in enumerate(SKM_MONTHS):
        rng = component_rng(seed, "skm.month", t)
        if sample == "uniform":
            sizes = rng.integers(15, 41, len(units))
        else:
            vol = np.array([_VOLUME.get(u, 300) for u in units]) * (
                1 + 0.1 * np.sin(2 * np.pi * t / 12))
            km = np.array([krejcie_morgan(int(v)) for v in vol])
            sizes = np.maximum(10, np.round(km * rng.uniform(0.9, 1.1, len(units)))).astype(int)
        ui = np.repeat(np.arange(len(units)), sizes)
        n = ui.size
        pi = np.array([_online_share(world, u, t) for u in units])
        online = rng.random(n) < pi[ui]
        mu_w = np.stack([_mu(world, u, t, online=False, seasonal=True) for u in units])
        mu_o = np.stack([_mu(world, u, t, online=True, seasonal=True) for u in units])
        mu = np.where(online[:, None], mu_o[ui], mu_w[ui])
        eta = rng.normal(0, SERVICE_EFFECTS["respondent_sd"], n)
        eps = rng.normal(0, SERVICE_EFFECTS["answer_sd"], (n, len(elements)))
        ans = ordinal_answers(mu + eta[:, None] + eps, _CUTS4)
        e_w, e_o = _expected(mu_w), _expected(mu_o)  # units × elements
        n_on = np.bincount(ui, weights=online, minlength=len(units))
        exp_mean = ((sizes - n_on)[:, None] * e_w + n_on[:, None] * e_o) / sizes[:, None]
        for k, u in enumerate(units):
            truth[f"service.ikm.{u}.{month}"] = (
                float(25 * exp_mean[k].mean()), int(sizes[k]), {"unit": u, "month": month})
            nrr_sum[u] += sizes[k] * exp_mean[k]
            nrr_n[u] += int(sizes[k])
        gap_sum += float((n_on * 25 * (e_o - e_w).mean(axis=1)).sum())
        gap_n += int(n_on.sum())
        first = np.datetime64(month + "-01")
        last = (np.datetime64(month, "M") + np.timedelta64(1, "M")).astype(
            "datetime64[D]") - np.timedelta64(1, "D")
        pick = rng.random(n)
        stype = np.empty(n, dtype=object)
        for k, types in enumerate(type_lists):
            m = ui == k
            stype[m] = np.asarray(types, dtype=object)[
                np.minimum((pick[m] * len(types)).astype(int), len(types) - 1)]
        named = rng.random(n) < 0.55
        female = rng.random(n) < 0.5
        names = _names(rng, female)
        part = {
            "service_unit": unit_arr[ui],
            "service_type": stype,
            "channel": np.where(online, "online", "walk_in").astype(object),
            "survey_date": random_dates(rng, first, last, n).astype("datetime64[s]"),
            "respondent_name": np.where(named, names, None),
            "sex": np.where(female, 2, 1),
            "age": np.clip(np.round(18 + rng.gamma(3.0, 7.0, n)), 17, 85).astype(np.int64),
            "education": np.asarray(edu_codes, dtype=object)[rng.choice(7, n, p=_EDU_P)],
            "occupation": np.asarray(occ_codes, dtype=object)[rng.choice(6, n, p=_OCC_P)],
        }
        for j, e in enumerate(elements):
            part[e] = ans[:, j].astype(np.int64)
        frame = pd.DataFrame(part)
        order = np.lexsort((rng.random(n), frame["survey_date"].to_numpy()))
        frame = frame.iloc[order].reset_index(drop=True)
        for c in ("service_unit", "service_type", "channel", "respondent_name", "education",
                  "occupation"):
            frame[c] = frame[c].astype("str")
        frame = frame[list(fields)]
        frame.attrs["synthetic"] = True
        frames[month] = frame

    for u in units:
        for j, e in enumerate(elements):
            truth[f"service.nrr.{u}.{e}"] = (
                float(nrr_sum[u][j] / nrr_n[u]), nrr_n[u], {"unit": u, "element": e})
    truth["service.channel_gap"] = (gap_sum / gap_n if gap_n else 0.0, gap_n, {})

    # Population-level, seasonally adjusted IKM series → trend and segmented regression.
    tt = np.arange(len(SKM_MONTHS), dtype=float)
    levels, slopes = [], []
    for u in units:
        y = np.array([
            25 * float(((1 - _online_share(world, u, t)) * _expected(
                _mu(world, u, t, online=False, seasonal=False))
                + _online_share(world, u, t) * _expected(
                _mu(world, u, t, online=True, seasonal=False))).mean())
            for t in range(len(SKM_MONTHS))
        ])
        lm = world["launch_month"][u]
        if lm is None:
            b = _ols(y, np.column_stack([np.ones_like(tt), tt]))
            truth[f"service.trend.{u}"] = (float(b[1]), len(tt), {"unit": u})
        else:
            L = SKM_MONTHS.index(lm)
            post = (tt >= L).astype(float)
            b = _ols(y, np.column_stack([np.ones_like(tt), tt, post, (tt - L) * post]))
            truth[f"service.trend.{u}"] = (float(b[1]), len(tt), {"unit": u})
            truth[f"service.online_permit.level_change.{u}"] = (float(b[2]), len(tt), {"unit": u})
            truth[f"service.online_permit.slope_change.{u}"] = (float(b[3]), len(tt), {"unit": u})
            levels.append(float(b[2]))
            slopes.append(float(b[3]))
    if levels:
        truth["service.online_permit.level_change"] = (
            float(np.mean(levels)), len(levels), {"unit": "each launching unit"})
        truth["service.online_permit.slope_change"] = (
            float(np.mean(slopes)), len(slopes), {"unit": "each launching unit"})
    logger.debug("skm: %d months, %d rows", len(frames), sum(len(f) for f in frames.values()))
    return frames, truth
