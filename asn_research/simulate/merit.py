"""Merit-system attitude waves (instrument ``merit``) with a staggered dialogue rollout.

The world: a panel of employees answers the merit survey at five waves (2024-1 …
2026-1, about six months apart). Item answers come from latent traits through
ordered-probit thresholds, so reliability is realistic and reverse-keyed items
(``rtc_rs_2``, ``rtc_cr_4``, ``pat_5``, ``sup_5``) run the other way.

Open dialogues on the merit system are rolled out to OPDs in a staggered way: some OPDs
start before wave 2024-2, others before 2025-1 or 2025-2, the rest not at all. The
rollout is not random — large OPDs and OPDs with high baseline resistance go first — so
a naive comparison of exposed and unexposed staff is biased. Inside an adopting OPD,
staff attend (first exposure) with some delay, and resistant staff are more likely to be
sent; attending lowers resistance by an amount that grows with time since first exposure
and with the number of sessions.

Examples
--------
>>> from asn_research.simulate.merit import merit_world
>>> world = merit_world(5)
>>> sorted(set(world["adoption_wave"].values()) - {None})
['2024-2', '2025-1', '2025-2']
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from ..instruments import load_instrument
from ._latent import ordinal_answers, random_dates, score_scale, sigmoid
from .population import load_opds
from .training import _masked_int, _profile
from .truth import TruthAccumulator
from .world import MERIT_WAVES, component_rng

__all__ = ["DIALOGUE_EFFECTS", "merit_world", "simulate_merit"]

logger = logging.getLogger(__name__)

#: Planted parameters (latent units; the resistance latent has SD ≈ 1.1). See the docs.
DIALOGUE_EFFECTS = {
    # reduction of the resistance latent by waves since first exposure e = 0, 1, 2, 3+
    "dynamic": (0.15, 0.3, 0.4, 0.45),
    "per_session": 0.04,  # further reduction per session beyond the first
    "heterogeneity": 0.2,  # effect × clip(1 + 0.2·standardized trait, 0.4, 1.6)
    "threat_loading": 0.6,  # appraisal-threat latent = 0.6·resistance latent + own trait
    "support_loading": -0.5,  # merit-support latent = −0.5·resistance latent + own trait
    "opd_effect_sd": 0.5,
    "wave_shift": (0.0, 0.04, 0.07, 0.05, 0.09),
    "uptake_first_wave": 0.55,  # P(attend in the OPD's first dialogue period)
    "uptake_later": 0.35,  # P(first attend in a later period | not yet)
    "uptake_selection": 0.5,  # + 0.5·standardized trait on the logit: resistant staff are sent
}

_CUTS6 = np.array([-1.5, -0.75, -0.1, 0.55, 1.3])
_CUTS5 = np.array([-1.4, -0.5, 0.3, 1.2])
_FORMAT_P = np.array([0.75, 0.5, 0.4, 0.3, 0.1])


def merit_world(seed: int) -> dict[str, Any]:
    """OPD-level draws shared by all chunks: OPD effects and the dialogue rollout.

    Parameters
    ----------
    seed : int
        The simulation seed.

    Returns
    -------
    dict
        ``opd`` (codes), ``opd_effect`` (dict code → latent shift),
        ``adoption_wave`` (dict code → wave id of the first dialogue period, or None),
        ``adoption_index`` (numpy array, wave index or −1).

    Notes
    -----
    Adoption score = 0.6·z(log size weight) + 1.8·z(OPD effect) + N(0, 0.3²); OPDs are
    ranked by it: the top 25 % adopt before wave 2024-2, the next 25 % before 2025-1, the
    next 20 % before 2025-2, the rest never (within the simulated period).
    """
    rng = component_rng(seed, "merit.world")
    opds = load_opds()
    k = len(opds)
    u = rng.normal(0, DIALOGUE_EFFECTS["opd_effect_sd"], k)
    logw = np.log(opds["weight"].to_numpy())

    def z(x: np.ndarray) -> np.ndarray:
        return (x - x.mean()) / x.std()

    score = 0.6 * z(logw) + 1.8 * z(u) + rng.normal(0, 0.3, k)
    rank = np.argsort(np.argsort(-score))
    cut = np.cumsum(np.round(np.array([0.25, 0.25, 0.2]) * k)).astype(int)
    adopt = np.select([rank < cut[0], rank < cut[1], rank < cut[2]], [1, 2, 3], -1)
    codes = opds["opd"].tolist()
    return {
        "opd": codes,
        "opd_effect": {c: float(v) for c, v in zip(codes, u, strict=True)},
        "adoption_wave": {
            c: (MERIT_WAVES[a].id if a >= 0 else None) for c, a in zip(codes, adopt, strict=True)
        },
        "adoption_index": adopt,
    }


def simulate_merit(
    pop: pd.DataFrame,
    *,
    seed: int,
    chunk: int,
    panel_frac: float,
    world: dict[str, Any],
    acc: TruthAccumulator,
) -> dict[str, pd.DataFrame]:
    """Simulate the merit-attitude waves for one population chunk.

    Parameters
    ----------
    pop : pandas.DataFrame
        Employees from :func:`~asn_research.simulate.population.generate_population`.
    seed, chunk : int
        Simulation seed and chunk number.
    panel_frac : float
        Share of ``pop`` in the survey panel.
    world : dict
        From :func:`merit_world` (the same for every chunk).
    acc : TruthAccumulator
        Receives the sums behind the ``dialogue.*`` estimands (updated in place).

    Returns
    -------
    dict of str to pandas.DataFrame
        Wave id → clean wave frame (instrument fields plus ``person_id``).
    """
    inst = load_instrument("merit")
    rng = component_rng(seed, "merit.latent", chunk)
    n = len(pop)
    n_w = len(MERIT_WAVES)
    opd_codes = world["opd"]
    opd_idx = pd.Index(opd_codes).get_indexer(pop["opd"].to_numpy())
    u = np.array([world["opd_effect"][c] for c in opd_codes])[opd_idx]
    adopt = np.asarray(world["adoption_index"])[opd_idx]

    age = ((np.datetime64("2024-01-01") - pop["birth_date"].to_numpy().astype("datetime64[D]"))
           .astype(np.int64) / 365.2425)
    jab = pop["jabatan_type"].to_numpy()
    trait = (0.9 * rng.normal(0, 1, n) + 0.15 * (age - 40) / 10 + 0.15 * (jab == "pelaksana")
             - 0.1 * (jab == "structural"))
    trait_z = trait / 0.92  # ≈ standardized (SD of the trait ≈ 0.92)
    sub_traits = rng.normal(0, 0.5, (n, 4))
    threat_own = rng.normal(0, 1, n)
    support_own = rng.normal(0, 1, n)
    engagement = rng.gamma(2.0, 0.5, n)
    hetero = np.clip(1 + DIALOGUE_EFFECTS["heterogeneity"] * trait_z, 0.4, 1.6)

    # ------------------------------------------------------------------ panel and response
    sel = component_rng(seed, "merit.panel", chunk)
    member = sel.random(n) < panel_frac
    resp = member[None, :] & (sel.random((n_w, n)) < sigmoid(1.7 - 0.15 * trait)[None, :])
    survey = np.stack([
        random_dates(sel, np.datetime64(w.start), np.datetime64(w.end), n) for w in MERIT_WAVES
    ])

    # ------------------------------------------------------------------ dialogue exposure
    ex = component_rng(seed, "merit.exposure", chunk)
    first = np.full(n, -1)
    p_first = sigmoid(
        np.log(DIALOGUE_EFFECTS["uptake_first_wave"] / (1 - DIALOGUE_EFFECTS["uptake_first_wave"]))
        + DIALOGUE_EFFECTS["uptake_selection"] * trait_z
    )
    for t in range(1, n_w):
        can = (first < 0) & (adopt >= 1) & (adopt <= t)
        p = np.where(adopt == t, p_first, DIALOGUE_EFFECTS["uptake_later"])
        first = np.where(can & (ex.random(n) < p), t, first)
    sessions = np.zeros((n_w, n), np.int64)
    for t in range(1, n_w):
        started = (first >= 0) & (first <= t)
        add = np.where(first == t, 1 + ex.poisson(0.8 * engagement), ex.poisson(engagement))
        sessions[t] = np.where(started, np.minimum(sessions[t - 1] + add, 60), 0)
    first_date = np.full(n, np.datetime64("NaT"), "datetime64[D]")
    for t in range(1, n_w):
        m = first == t
        lo = np.datetime64(MERIT_WAVES[t - 1].end) + np.timedelta64(7, "D")
        first_date[m] = random_dates(ex, lo, survey[t, m] - np.timedelta64(3, "D"), int(m.sum()))
    formats = ex.random((n, len(_FORMAT_P))) < _FORMAT_P
    formats[~formats.any(axis=1), 0] = True
    fmt_codes = [c.value for c in inst.choices_of("dlg_formats").choices]

    # ------------------------------------------------------------------ items
    items_rng = component_rng(seed, "merit.items")
    rtc_scale = inst.scale("resistance")
    rtc_items = rtc_scale.items
    sub_of = np.array([
        next(k for k, s in enumerate(rtc_scale.subscales) if it in inst.scale(s).items)
        for it in rtc_items
    ])
    rtc_sign = np.array([-1.0 if it in rtc_scale.reverse else 1.0 for it in rtc_items])
    rtc_lambda = items_rng.uniform(0.7, 1.0, len(rtc_items))
    rtc_shift = items_rng.uniform(-0.25, 0.25, len(rtc_items))
    pat = inst.scale("appraisal_threat")
    pat_sign = np.array([-1.0 if it in pat.reverse else 1.0 for it in pat.items])
    pat_lambda = items_rng.uniform(0.7, 1.0, len(pat.items))
    sup = inst.scale("merit_support")
    sup_sign = np.array([-1.0 if it in sup.reverse else 1.0 for it in sup.items])
    sup_lambda = items_rng.uniform(0.7, 1.0, len(sup.items))
    dyn = np.asarray(DIALOGUE_EFFECTS["dynamic"])
    per_s = DIALOGUE_EFFECTS["per_session"]

    out: dict[str, pd.DataFrame] = {}
    for t, wv in enumerate(MERIT_WAVES):
        rows = np.flatnonzero(resp[t])
        m = rows.size
        nz = component_rng(seed, "merit.noise", chunk, t)
        base = trait[rows] + u[rows] + DIALOGUE_EFFECTS["wave_shift"][t] + nz.normal(0, 0.35, m)
        exposed = (first[rows] >= 0) & (first[rows] <= t)
        e = np.where(first[rows] >= 0, t - first[rows], -99)
        s = sessions[t, rows]
        tau = np.where(
            exposed, -hetero[rows] * (dyn[np.clip(e, 0, 3)] + per_s * (s - 1)), 0.0)
        tau_plus = np.where(exposed, tau - hetero[rows] * per_s, 0.0)
        eps_rtc = nz.normal(0, 1, (m, len(rtc_items)))
        eps_pat = nz.normal(0, 1, (m, len(pat.items)))
        eps_sup = nz.normal(0, 1, (m, len(sup.items)))
        n_pat = nz.normal(0, 0.35, m)
        n_sup = nz.normal(0, 0.35, m)

        def answers(shift: np.ndarray, rows=rows, base=base, eps_rtc=eps_rtc, eps_pat=eps_pat,
                    eps_sup=eps_sup, n_pat=n_pat, n_sup=n_sup):
            lat = base + shift
            lr = lat[:, None] + sub_traits[rows][:, sub_of]
            a_rtc = ordinal_answers(rtc_sign * (rtc_lambda * lr + rtc_shift) + eps_rtc, _CUTS6)
            tl = DIALOGUE_EFFECTS["threat_loading"] * lat + 0.8 * threat_own[rows] + n_pat
            a_pat = ordinal_answers(pat_sign * (pat_lambda * tl[:, None]) + 0.9 * eps_pat, _CUTS5)
            sl = DIALOGUE_EFFECTS["support_loading"] * lat + 0.85 * support_own[rows] + n_sup
            a_sup = ordinal_answers(sup_sign * (sup_lambda * sl[:, None]) + 0.9 * eps_sup, _CUTS5)
            return a_rtc, a_pat, a_sup

        r1, p1, s1 = answers(tau)
        r0, p0, s0 = answers(np.zeros(m))
        rp, _, _ = answers(tau_plus)
        gap_r = score_scale(r1, rtc_sign, 1, 6) - score_scale(r0, rtc_sign, 1, 6)
        acc.add("dialogue.att.resistance", gap_r[exposed])
        acc.add("dialogue.att.appraisal_threat",
                (score_scale(p1, pat_sign, 1, 5) - score_scale(p0, pat_sign, 1, 5))[exposed])
        acc.add("dialogue.att.merit_support",
                (score_scale(s1, sup_sign, 1, 5) - score_scale(s0, sup_sign, 1, 5))[exposed])
        acc.add("dialogue.dose.resistance_per_session",
                (score_scale(rp, rtc_sign, 1, 6) - score_scale(r1, rtc_sign, 1, 6))[exposed])
        for k in np.unique(e[e > -99]):
            acc.add(f"dialogue.dynamic.resistance.e{int(k)}", gap_r[e == k])

        frame = _profile(pop, rows, survey[t, rows])
        for j, it in enumerate(rtc_items):
            frame[it] = r1[:, j].astype(np.int64)
        for j, it in enumerate(pat.items):
            frame[it] = p1[:, j].astype(np.int64)
        for j, it in enumerate(sup.items):
            frame[it] = s1[:, j].astype(np.int64)
        frame["dlg_attended"] = exposed.astype(np.int64)
        frame["dlg_sessions"] = _masked_int(s, exposed)
        frame["dlg_first_date"] = np.where(exposed, first_date[rows],
                                           np.datetime64("NaT")).astype("datetime64[s]")
        fm = formats[rows]
        txt = np.full(m, "", dtype=object)
        for j, c in enumerate(fmt_codes):
            txt = np.where(fm[:, j], np.where(txt == "", c, txt + " " + c), txt)
        frame["dlg_formats"] = pd.array(np.where(exposed, txt, None), dtype="str")
        order = np.lexsort((nz.random(m), frame["survey_date"].to_numpy()))
        frame = frame.iloc[order].reset_index(drop=True)
        frame = frame[["person_id", *inst.field_names]]
        frame.attrs["synthetic"] = True
        out[wv.id] = frame
    logger.debug("merit chunk %d: %s rows", chunk, {k: len(v) for k, v in out.items()})
    return out
