"""Training evaluation waves (instrument ``training``) with planted Kirkpatrick L1–L3 effects.

The world: two trainee cohorts per topic (communication, digital services), trained
during the 2024-1 and 2025-1 waves, and a comparison group recruited at 2024-1. Each
wave file holds one row per respondent:

* a trainee's *baseline* row (the wave they are trained in): L1 reaction items, the L2
  knowledge test before and after the training (% correct of 40 questions), and the L3
  behaviour rating for the months before the training;
* *follow-up* rows one and two years later: the L3 behaviour rating only;
* comparison-group rows at every wave: the L3 behaviour rating only.

Trainees are nominated, not drawn at random: staff with weaker baseline behaviour and
``pelaksana`` staff are more likely to be sent. Attrition at follow-up is not at random:
trainees with a low pre-test score are more likely to be missing.

Examples
--------
>>> from asn_research.simulate.population import generate_population
>>> from asn_research.simulate.training import simulate_training
>>> from asn_research.simulate.truth import TruthAccumulator
>>> from asn_research.simulate.world import component_rng
>>> pop = generate_population(component_rng(3, "population", 0), 400)
>>> acc = TruthAccumulator()
>>> waves = simulate_training(pop, seed=3, chunk=0, topic_frac=0.075,
...                           comparison_frac=0.15, acc=acc)
>>> sorted(waves), int((waves["2024-1"]["group"] == "trained").sum())
(['2024-1', '2025-1', '2026-1'], 60)
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ..instruments import load_instrument
from ._latent import (
    expected_answer,
    gumbel_top_k,
    item_signs,
    ordinal_answers,
    random_dates,
    score_scale,
    sigmoid,
)
from .population import tenure_years
from .truth import TruthAccumulator
from .world import TRAINING_WAVES, component_rng

__all__ = ["TRAINING_EFFECTS", "simulate_training"]

logger = logging.getLogger(__name__)

TOPICS = ("communication", "digital_services")
N_QUESTIONS = 40  # knowledge test length: scores move in steps of 2.5 %

#: Planted parameters (latent units unless stated). See docs/simulated_world.md.
TRAINING_EFFECTS = {
    # L2: pre-test logit = intercept + 1.2·ability; post adds gain·(1 − 0.2·ability) + N(0, .25)
    "l2_intercept": {"communication": 0.3, "digital_services": -0.2},
    "l2_logit_gain": {"communication": 1.2, "digital_services": 1.0},
    "l2_ability_loading": 1.2,
    # L3: shift of the behaviour latents at the first follow-up; ×0.8 at the second.
    "l3_effect_own_topic": 0.55,
    "l3_effect_other_topic": 0.12,
    "l3_fade_followup2": 0.8,
    "l3_heterogeneity": 0.25,  # effect × (1 − 0.25·clip(trait, −2, 2))
    "secular_shift": (0.0, 0.08, 0.15),  # common change of behaviour latents by wave
    "self_rating_bias": 0.35,
}

_CUTS5_AGREE = np.array([-1.9, -1.1, -0.3, 0.8])
_CUTS5_FREQ = np.array([-1.6, -0.7, 0.2, 1.2])
_RX_SD = 0.8
_BH_SD = 0.8
_CLASS_SIZE = 25


def _follow_effect(years: int) -> float:
    return 1.0 if years == 1 else TRAINING_EFFECTS["l3_fade_followup2"]


def simulate_training(
    pop: pd.DataFrame,
    *,
    seed: int,
    chunk: int,
    topic_frac: float,
    comparison_frac: float,
    acc: TruthAccumulator,
) -> dict[str, pd.DataFrame]:
    """Simulate the training-evaluation waves for one population chunk.

    Parameters
    ----------
    pop : pandas.DataFrame
        Employees from :func:`~asn_research.simulate.population.generate_population`.
    seed, chunk : int
        Simulation seed and chunk number (select the random streams).
    topic_frac, comparison_frac : float
        Per cohort and topic, the share of ``pop`` trained; the share in the
        comparison group.
    acc : TruthAccumulator
        Receives the sums behind the ``training.*`` estimands (updated in place).

    Returns
    -------
    dict of str to pandas.DataFrame
        Wave id → clean wave frame: one column per ``training`` instrument field (codes,
        ``NaN``/``NaT``/``<NA>`` where not asked) plus ``person_id``.
    """
    inst = load_instrument("training")
    rng = component_rng(seed, "training.latent", chunk)
    n = len(pop)
    age = (
        (np.datetime64("2024-01-01") - pop["birth_date"].to_numpy().astype("datetime64[D]"))
        .astype(np.int64) / 365.2425
    )
    edu = pop["education"].to_numpy()
    edu_score = np.select([edu == "sma", edu == "diploma", edu == "s2", edu == "s3"],
                          [-0.5, -0.25, 0.35, 0.5], 0.0)
    pelaksana = pop["jabatan_type"].to_numpy() == "pelaksana"

    trait = rng.normal(0, 1, n)  # general on-the-job behaviour
    b_com = 0.8 * trait + 0.6 * rng.normal(0, 1, n)
    b_dig = 0.8 * trait + 0.6 * rng.normal(0, 1, n) - 0.15 * (age - 40) / 10
    ability = 0.35 * trait + 0.6 * edu_score - 0.1 * (age - 40) / 10 + rng.normal(0, 0.85, n)
    rater = np.where(rng.random(n) < 0.6, "supervisor", "self")
    rater_bias = np.where(rater == "self", TRAINING_EFFECTS["self_rating_bias"], 0.0)
    hetero = 1 - TRAINING_EFFECTS["l3_heterogeneity"] * np.clip(trait, -2, 2)

    # ------------------------------------------------------------------ who is trained
    sel = component_rng(seed, "training.selection", chunk)
    taken = np.zeros(n, bool)
    k_topic = int(round(topic_frac * n))
    cohort = np.full(n, -1)  # wave index of training (0: 2024-1, 1: 2025-1)
    topic = np.full(n, "", dtype=object)
    nominate = -0.5 * trait + 0.3 * pelaksana
    for c in (0, 1):
        for t in TOPICS:
            idx = gumbel_top_k(sel, nominate, k_topic, ~taken)
            cohort[idx] = c
            topic[idx] = t
            taken[idx] = True
        if c == 0:
            comp = gumbel_top_k(sel, -0.2 * trait, int(round(comparison_frac * n)), ~taken)
            taken[comp] = True
    is_comp = np.zeros(n, bool)
    is_comp[comp] = True

    # ------------------------------------------------------------------ classes and dates
    cal = component_rng(seed, "training.calendar", chunk)
    t_start = np.full(n, np.datetime64("NaT"), "datetime64[D]")
    t_end = t_start.copy()
    hours = np.zeros(n, np.int64)
    class_eff = np.zeros(n)
    for c in (0, 1):
        wv = TRAINING_WAVES[c]
        for t in TOPICS:
            idx = np.flatnonzero((cohort == c) & (topic == t))
            idx = cal.permutation(idx)
            n_cls = max(1, -(-idx.size // _CLASS_SIZE))
            starts = random_dates(cal, np.datetime64(wv.start), np.datetime64(wv.end)
                                  - np.timedelta64(45, "D"), n_cls)
            dur = 3 if t == "communication" else 4
            jp = cal.choice([24, 27] if t == "communication" else [32, 36], n_cls)
            eff = cal.normal(0, 0.35, n_cls)
            cls = np.arange(idx.size) % n_cls
            t_start[idx] = starts[cls]
            t_end[idx] = starts[cls] + np.timedelta64(dur - 1, "D")
            hours[idx] = jp[cls]
            class_eff[idx] = eff[cls]
    trained = cohort >= 0

    # ------------------------------------------------------------------ L1 reaction
    items_rng = component_rng(seed, "training.items")  # item parameters: the same in every chunk
    rx_items = inst.scale("reaction").items
    rx_shift = items_rng.uniform(-0.2, 0.2, len(rx_items))
    satisfaction = (0.55 + 0.2 * (topic == "digital_services") + class_eff
                    + rng.normal(0, 0.7, n))
    rx_mu = satisfaction[:, None] + rx_shift[None, :]
    rx = ordinal_answers(rx_mu + _RX_SD * rng.normal(0, 1, rx_mu.shape), _CUTS5_AGREE)
    rx_expected = expected_answer(rx_mu, _CUTS5_AGREE, _RX_SD).mean(axis=1)

    # ------------------------------------------------------------------ L2 knowledge test
    a_topic = np.array([TRAINING_EFFECTS["l2_intercept"].get(t, 0.0) for t in topic])
    g_topic = np.array([TRAINING_EFFECTS["l2_logit_gain"].get(t, 0.0) for t in topic])
    pre_logit = a_topic + TRAINING_EFFECTS["l2_ability_loading"] * ability
    gain_logit = g_topic * (1 - 0.2 * ability) + rng.normal(0, 0.25, n)
    p_pre = sigmoid(pre_logit)
    p_post = sigmoid(pre_logit + gain_logit)
    pre_pct = rng.binomial(N_QUESTIONS, p_pre) * (100 / N_QUESTIONS)
    post_pct = rng.binomial(N_QUESTIONS, p_post) * (100 / N_QUESTIONS)

    # ------------------------------------------------------------------ L3 behaviour
    com_items, com_signs = item_signs(inst, "behaviour_communication")
    dig_items, dig_signs = item_signs(inst, "behaviour_digital")
    bh_items = com_items + dig_items
    bh_signs = np.concatenate([com_signs, dig_signs])
    bh_lambda = items_rng.uniform(0.75, 1.0, len(bh_items))
    bh_shift = items_rng.uniform(-0.2, 0.3, len(bh_items))

    def behaviour(w: int, shift_com: np.ndarray, shift_dig: np.ndarray,
                  noise: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
        sec = TRAINING_EFFECTS["secular_shift"][w]
        lat_c = b_com + sec + rater_bias + noise[0] + shift_com
        lat_d = b_dig + sec + rater_bias + noise[1] + shift_dig
        lat = np.concatenate([np.repeat(lat_c[:, None], 3, 1), np.repeat(lat_d[:, None], 3, 1)],
                             axis=1)
        ystar = bh_signs * (bh_lambda * lat + bh_shift) + _BH_SD * noise[2]
        return ordinal_answers(ystar, _CUTS5_FREQ)

    def noise_draw(w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r = component_rng(seed, "training.behaviour_noise", chunk, w)
        return r.normal(0, 0.35, n), r.normal(0, 0.35, n), r.normal(0, 1, (n, len(bh_items)))

    bh_by_wave = {}
    po_gap = {}
    own = TRAINING_EFFECTS["l3_effect_own_topic"]
    other = TRAINING_EFFECTS["l3_effect_other_topic"]
    eff_com = np.where(topic == "communication", own, other) * hetero
    eff_dig = np.where(topic == "digital_services", own, other) * hetero
    for w in range(len(TRAINING_WAVES)):
        years = np.where(trained & (w > cohort), w - cohort, 0)
        fade = np.select([years == 1, years == 2], [1.0, _follow_effect(2)], 0.0)
        noise = noise_draw(w)
        y0 = behaviour(w, np.zeros(n), np.zeros(n), noise)
        y1 = behaviour(w, eff_com * fade, eff_dig * fade, noise)
        bh_by_wave[w] = y1
        po_gap[w] = score_scale(y1, bh_signs, 1, 5) - score_scale(y0, bh_signs, 1, 5)

    # ------------------------------------------------------------------ attrition
    att = component_rng(seed, "training.attrition", chunk)
    z_pre = (pre_pct - 50) / 15
    resp = np.zeros((len(TRAINING_WAVES), n), bool)
    resp[0] = (cohort == 0) | is_comp
    for w in (1, 2):
        base = cohort == w
        prev = resp[w - 1]
        followed = (trained & (cohort < w)) | is_comp
        first_fu = trained & (cohort == w - 1)
        p = np.where(
            trained,
            np.where(first_fu, sigmoid(1.3 + 1.3 * z_pre), sigmoid(1.8 + 0.6 * z_pre)),
            sigmoid(1.2 + 0.2 * trait),
        )
        stay = att.random(n) < p
        resp[w] = base | (followed & stay & prev)

    # ------------------------------------------------------------------ truth
    for c in (0, 1):
        members = trained & (cohort == c)
        fu = c + 1
        for t in ("", *TOPICS):
            m = members & ((topic == t) if t else True)
            sfx = f".{t}" if t else ""
            acc.add(f"training.l1.satisfaction_mean{sfx}", rx_expected[m])
            acc.add(f"training.l2.gain_mean{sfx}", 100 * (p_post[m] - p_pre[m]))
            acc.add(f"training.l2.pre_mean{sfx}", 100 * p_pre[m])
            acc.add(f"training.l2.post_mean{sfx}", 100 * p_post[m])
            acc.add(f"training.l3.att_behaviour{sfx}", po_gap[fu][m])
            if not t:
                acc.add("training.l3.att_behaviour.respondents", po_gap[fu][m & resp[fu]])
        if c == 0:
            acc.add("training.l3.att_behaviour.followup2", po_gap[2][members])

    # ------------------------------------------------------------------ wave frames
    dates = component_rng(seed, "training.dates", chunk)
    out: dict[str, pd.DataFrame] = {}
    for w, wv in enumerate(TRAINING_WAVES):
        rows = np.flatnonzero(resp[w])
        baseline = trained[rows] & (cohort[rows] == w)
        survey = random_dates(dates, np.datetime64(wv.start), np.datetime64(wv.end), rows.size)
        survey = np.where(baseline, t_end[rows], survey)
        order = np.lexsort((dates.random(rows.size), survey))
        rows, baseline, survey = rows[order], baseline[order], survey[order]
        tr = trained[rows]
        frame = _profile(pop, rows, survey)
        frame["group"] = pd.array(np.where(tr, "trained", "comparison"), dtype="str")
        frame["training_topic"] = pd.array(np.where(tr, topic[rows], None), dtype="str")
        frame["training_start"] = np.where(tr, t_start[rows], np.datetime64("NaT")).astype(
            "datetime64[s]")
        frame["training_end"] = np.where(tr, t_end[rows], np.datetime64("NaT")).astype(
            "datetime64[s]")
        frame["training_hours"] = _masked_int(hours[rows], tr)
        for j, item in enumerate(rx_items):
            frame[item] = _masked_int(rx[rows, j], baseline)
        frame["l2_pre_pct"] = np.where(baseline, pre_pct[rows], np.nan)
        frame["l2_post_pct"] = np.where(baseline, post_pct[rows], np.nan)
        frame["bh_rater"] = pd.array(rater[rows], dtype="str")
        for j, item in enumerate(bh_items):
            frame[item] = pd.array(bh_by_wave[w][rows, j].astype(np.int64), dtype="Int64")
        frame = frame[["person_id", *inst.field_names]]
        frame.attrs["synthetic"] = True
        out[wv.id] = frame
    logger.debug("training chunk %d: %s rows", chunk, {k: len(v) for k, v in out.items()})
    return out


def _masked_int(values: np.ndarray, keep: np.ndarray) -> pd.arrays.IntegerArray:
    arr = pd.array(values.astype(np.int64), dtype="Int64")
    arr[~keep] = pd.NA
    return arr


def _profile(pop: pd.DataFrame, rows: np.ndarray, survey: np.ndarray) -> pd.DataFrame:
    """The profile section of an ASN instrument for ``rows`` of ``pop`` on ``survey`` dates."""
    sub = pop.iloc[rows]
    birth = sub["birth_date"].to_numpy().astype("datetime64[D]")
    tmt = sub["tmt_date"].to_numpy().astype("datetime64[D]")
    return pd.DataFrame(
        {
            "person_id": sub["person_id"].to_numpy(),
            "nip": sub["nip"].to_numpy(),
            "name": sub["name"].to_numpy(),
            "opd": sub["opd"].to_numpy(),
            "status": sub["status"].to_numpy(),
            "golongan": sub["golongan"].to_numpy(),
            "jabatan_type": sub["jabatan_type"].to_numpy(),
            "sex": sub["sex"].to_numpy(),
            "birth_year": birth.astype("datetime64[Y]").astype(np.int64) + 1970,
            "tenure_years": tenure_years(tmt, survey),
            "education": sub["education"].to_numpy(),
            "survey_date": survey.astype("datetime64[s]"),
        }
    )
