"""The estimand catalogue: every quantity the reports estimate, with one id each.

One source of estimand ids for the analyses, the evidence register and the simulator's
``truth.json``: a finding is recorded under ``<estimand>@<edition>``, where the estimand is
a dotted id that starts with its domain (``training.``, ``dialogue.``, ``service.``,
``data.``) and names its unit where it has one (``service.ikm.<unit>.<YYYY-MM>``). Each
family carries its definition, its unit and the words generated statements use. The
catalogue of the simulated world is documented in ``docs/simulated_world.md`` §7.

Examples
--------
>>> from asn_research.estimands import family, family_of
>>> family_of("service.ikm.bapenda_pbb.2024-03")
'service.ikm'
>>> family("dialogue.att.resistance").better
'lower'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .errors import ConfigError

__all__ = ["FAMILIES", "EstimandFamily", "check_estimand", "family", "family_of"]


@dataclass(frozen=True, slots=True)
class EstimandFamily:
    """A family of estimands sharing one definition template.

    Attributes
    ----------
    family : str
        The id prefix (``"service.ikm"``); the id is the family plus the suffix.
    suffix : str
        How the rest of the id is built (``".<unit>.<YYYY-MM>"``, or ``""``).
    instrument : str
        The instrument whose data estimate it.
    unit : str
        Unit of the value.
    population : str
        ``"sample"`` (conditional on who was drawn) or ``"superpopulation"``.
    definition : str
        Definition template; ``{unit}``, ``{month}``, ``{topic}``, ``{element}``,
        ``{e}`` are filled in per estimand.
    label_id, label_en : str
        What is estimated, in words, for generated statements.
    unit_id, unit_en : str
        The unit in words.
    kind : str
        How statements describe a value: ``"level"`` (a mean or share), ``"change"``
        (before/after within the same people), ``"effect"`` (a contrast with a comparison),
        ``"difference"`` (between groups), ``"trend"`` (per period), ``"ikm"`` (with the
        regulation's grade), ``"hake"`` (with Hake's bands), ``"count"``, ``"reliability"``.
    better : {"higher", "lower"} or None
        Which direction is an improvement.
    design : str
        The strength of the design by default: ``"causal"`` (the design identifies an
        effect under named assumptions; statements may say "reduced"), ``"associational"``
        ("is associated with") or ``"descriptive"``. A notebook may record a weaker one.
    cause_id, cause_en : str
        The exposure, for statements about effects ("the training").
    decimals : int
        Decimals shown in statements.
    simulated : bool
        Whether ``asn-research simulate`` writes a true value for it into ``truth.json``.
    """

    family: str
    suffix: str
    instrument: str
    unit: str
    population: str
    definition: str
    label_id: str = ""
    label_en: str = ""
    unit_id: str = ""
    unit_en: str = ""
    kind: str = "level"
    better: str | None = None
    design: str = "descriptive"
    cause_id: str = ""
    cause_en: str = ""
    decimals: int = 2
    simulated: bool = True

    @property
    def pattern(self) -> str:
        """The id pattern, e.g. ``service.ikm.<unit>.<YYYY-MM>``."""
        return self.family + self.suffix

    def label(self, lang: str) -> str:
        """What is estimated, in words (``lang`` "id" or "en")."""
        return self.label_id if lang == "id" else self.label_en

    def unit_label(self, lang: str) -> str:
        """The unit of the value, in words."""
        return self.unit_id if lang == "id" else self.unit_en


_TOPIC_TXT = "trainees of both topics"
FAMILIES: tuple[EstimandFamily, ...] = (
    # ------------------------------------------------------------------ training
    EstimandFamily(
        "training.l1.satisfaction_mean", "[.<topic>]", "training", "scale points (1-5)",
        "sample",
        "Kirkpatrick L1: mean reaction-scale score (mean of rx_1..rx_5, 1-5) over {topic} of "
        "cohorts 2024 and 2025, computed from the noise-free answers: each trainee's expected "
        "item answers given their latent satisfaction (ordered probit), averaged.",
        label_id='kepuasan peserta terhadap pelatihan (L1)',
        label_en="trainees' satisfaction with the training (L1)",
        unit_id='poin skala 1–5',
        unit_en='points on the 1–5 scale',
        kind='level',
        better='higher',
    ),
    EstimandFamily(
        "training.l2.pre_mean", "[.<topic>]", "training", "percent correct",
        "sample",
        "Expected pre-test score (% correct) averaged over {topic} of cohorts 2024 and 2025: "
        "100 x the probability of a correct answer given the trainee's ability.",
        label_id='nilai tes awal',
        label_en='pre-test score',
        unit_id='% benar',
        unit_en='% correct',
        kind='level',
        better='higher',
        decimals=1,
    ),
    EstimandFamily(
        "training.l2.post_mean", "[.<topic>]", "training", "percent correct",
        "sample",
        "Expected post-test score (% correct) averaged over {topic} of cohorts 2024 and 2025.",
        label_id='nilai tes akhir',
        label_en='post-test score',
        unit_id='% benar',
        unit_en='% correct',
        kind='level',
        better='higher',
        decimals=1,
    ),
    EstimandFamily(
        "training.l2.gain_mean", "[.<topic>]", "training", "percentage points",
        "sample",
        "Kirkpatrick L2: mean learning gain, post-test minus pre-test % correct, over {topic} "
        "of cohorts 2024 and 2025 (baseline rows of waves 2024-1 and 2025-1); the expected "
        "gain of each trainee (noise-free: 100 x (p_post - p_pre)) averaged over trainees.",
        label_id='kenaikan nilai tes dari sebelum ke sesudah pelatihan (L2)',
        label_en='gain in test score from before to after the training (L2)',
        unit_id='poin persentase',
        unit_en='percentage points',
        kind='change',
        better='higher',
        decimals=1,
    ),
    EstimandFamily(
        "training.l2.normalized_gain", "[.<topic>]", "training", "ratio (0-1)",
        "sample",
        "Hake (1998) class-average normalized gain <g> = (mean post - mean pre) / "
        "(100 - mean pre), computed from the expected pre- and post-test means over {topic} "
        "of cohorts 2024 and 2025 (the class-average variant, not the mean of individual g).",
        label_id='gain ternormalisasi Hake (L2)',
        label_en="Hake's normalized gain (L2)",
        unit_id='',
        unit_en='',
        kind='hake',
        better='higher',
    ),
    EstimandFamily(
        "training.l3.att_behaviour", "[.<topic>]", "training", "scale points (1-5)",
        "sample",
        "Kirkpatrick L3: average effect of training on the behaviour scale score (mean of the "
        "six bh_ items after reverse-keying, 1-5) at the first follow-up (one year after "
        "training: cohort 2024 at wave 2025-1, cohort 2025 at wave 2026-1) among {topic}, "
        "including trainees lost to follow-up; from both potential outcomes simulated with "
        "the same noise and scored with the instrument's rule.",
        label_id='skor perilaku kerja semua peserta setahun setelah pelatihan (L3)',
        label_en='the on-the-job behaviour score of all trainees one year after the training '
                 '(L3)',
        unit_id='poin skala 1–5',
        unit_en='points on the 1–5 scale',
        kind='effect',
        better='higher',
        design='causal',
        cause_id='pelatihan',
        cause_en='the training',
    ),
    EstimandFamily(
        "training.l3.att_behaviour.respondents", "", "training", "scale points (1-5)",
        "sample",
        "As training.l3.att_behaviour, but only over trainees who answered the first "
        "follow-up (attrition depends on the pre-test score, so this differs slightly).",
        label_id='skor perilaku kerja peserta yang mengisi tindak lanjut, setahun setelah '
                 'pelatihan (L3)',
        label_en='the on-the-job behaviour score of the trainees who answered the follow-up, '
                 'one year after the training (L3)',
        unit_id='poin skala 1–5',
        unit_en='points on the 1–5 scale',
        kind='effect',
        better='higher',
        design='causal',
        cause_id='pelatihan',
        cause_en='the training',
    ),
    EstimandFamily(
        "training.l3.att_behaviour.followup2", "", "training", "scale points (1-5)",
        "sample",
        "Average effect of training on the behaviour scale score two years after training "
        "(cohort 2024 at wave 2026-1), over all cohort-2024 trainees; from both potential "
        "outcomes with the same noise.",
        label_id='skor perilaku kerja semua peserta angkatan pertama dua tahun setelah '
                 'pelatihan (L3)',
        label_en='the on-the-job behaviour score of all first-cohort trainees two years after '
                 'the training (L3)',
        unit_id='poin skala 1–5',
        unit_en='points on the 1–5 scale',
        kind='effect',
        better='higher',
        design='causal',
        cause_id='pelatihan',
        cause_en='the training',
    ),
    # ------------------------------------------------------------------ dialogue
    EstimandFamily(
        "dialogue.att.resistance", "", "merit", "scale points (1-6)",
        "sample",
        "Average effect of attending merit-system dialogues on the resistance scale score "
        "(mean of the 17 rtc_ items after reverse-keying, 1-6) over all exposed respondent-"
        "waves in the merit files (dlg_attended = 1); from both potential outcomes simulated "
        "with the same noise. Negative = dialogues reduce resistance.",
        label_id='resistensi terhadap perubahan (sistem merit)',
        label_en='resistance to change (merit system)',
        unit_id='poin skala 1–6',
        unit_en='points on the 1–6 scale',
        kind='effect',
        better='lower',
        design='causal',
        cause_id='dialog sosialisasi',
        cause_en='the socialization dialogues',
    ),
    EstimandFamily(
        "dialogue.att.appraisal_threat", "", "merit", "scale points (1-5)",
        "sample",
        "Average effect of dialogue exposure on the appraisal_threat scale score (pat_1..5, "
        "pat_5 reversed) over all exposed respondent-waves; from both potential outcomes.",
        label_id='rasa terancam oleh penilaian kinerja',
        label_en='perceived threat of performance appraisal',
        unit_id='poin skala 1–5',
        unit_en='points on the 1–5 scale',
        kind='effect',
        better='lower',
        design='causal',
        cause_id='dialog sosialisasi',
        cause_en='the socialization dialogues',
    ),
    EstimandFamily(
        "dialogue.att.merit_support", "", "merit", "scale points (1-5)",
        "sample",
        "Average effect of dialogue exposure on the merit_support scale score (sup_1..5, "
        "sup_5 reversed) over all exposed respondent-waves; from both potential outcomes.",
        label_id='dukungan terhadap sistem merit',
        label_en='support for the merit system',
        unit_id='poin skala 1–5',
        unit_en='points on the 1–5 scale',
        kind='effect',
        better='higher',
        design='causal',
        cause_id='dialog sosialisasi',
        cause_en='the socialization dialogues',
    ),
    EstimandFamily(
        "dialogue.dynamic.resistance", ".e<k>", "merit", "scale points (1-6)",
        "sample",
        "Dynamic effect on the resistance scale score {e} wave(s) after the respondent's "
        "first dialogue (e = wave index minus the wave of first exposure; one wave is about "
        "six months), averaged over respondent-waves at that event time of ever-exposed "
        "respondents. Leads (e < 0) are zero by construction: no anticipation.",
        label_id='resistensi terhadap perubahan, menurut waktu sejak dialog pertama',
        label_en='resistance to change, by time since the first dialogue',
        unit_id='poin skala 1–6',
        unit_en='points on the 1–6 scale',
        kind='effect',
        better='lower',
        design='causal',
        cause_id='dialog sosialisasi',
        cause_en='the socialization dialogues',
    ),
    EstimandFamily(
        "dialogue.dose.resistance_per_session", "", "merit", "scale points (1-6) per session",
        "sample",
        "Dose-response: average over exposed respondent-waves of the change in the "
        "resistance scale score had the respondent attended one more session (same wave, "
        "same event time, same noise).",
        label_id='resistensi terhadap perubahan',
        label_en='resistance to change',
        unit_id='poin skala 1–6 per sesi',
        unit_en='points on the 1–6 scale per session',
        kind='effect',
        better='lower',
        design='associational',
        cause_id='satu sesi dialog tambahan',
        cause_en='one more dialogue session',
    ),
    # ------------------------------------------------------------------ service
    EstimandFamily(
        "service.ikm", ".<unit>.<YYYY-MM>", "skm", "IKM points (25-100)",
        "sample",
        "Noise-free IKM of unit {unit} in month {month} (PermenPANRB 14/2017): 25 x the mean "
        "over the nine elements of the element's mean expected answer over the month's "
        "respondents, where a respondent's expected answer is 1 + sum_k Phi((mu - c_k)/sigma) "
        "given the unit, month, element and the respondent's channel, integrating out the "
        "respondent effect and answer noise. Sample-specific only through the realised "
        "online/walk-in mix.",
        label_id='Indeks Kepuasan Masyarakat (IKM)',
        label_en='citizen satisfaction index (IKM)',
        unit_id='poin (25–100)',
        unit_en='points (25–100)',
        kind='ikm',
        better='higher',
    ),
    EstimandFamily(
        "service.nrr", ".<unit>.<element>", "skm", "answer scale (1-4)",
        "sample",
        "Noise-free NRR of element {element} in unit {unit}: the expected answer (1-4) "
        "averaged over all of the unit's respondents, 2023-01 to 2026-06.",
        label_id='nilai rata-rata unsur (NRR)',
        label_en='element average (NRR)',
        unit_id='skala 1–4',
        unit_en='on the 1–4 scale',
        kind='level',
        better='higher',
    ),
    EstimandFamily(
        "service.trend", ".<unit>", "skm", "IKM points per month",
        "superpopulation",
        "Trend of unit {unit}: slope per month of an OLS line through the unit's noise-free, "
        "seasonally adjusted population IKM series 2023-01..2026-06 (expected channel mix); "
        "for units that launch online permits, the pre-launch slope b of the segmented "
        "regression IKM = a + b t + c post + d (t - L) post.",
        label_id='tren IKM per bulan',
        label_en='monthly trend of the IKM',
        unit_id='poin IKM per bulan',
        unit_en='IKM points per month',
        kind='trend',
        better='higher',
        decimals=3,
    ),
    EstimandFamily(
        "service.online_permit.level_change", "[.<unit>]", "skm", "IKM points",
        "superpopulation",
        "Level change c at the online-permit launch month L of unit {unit} from the segmented "
        "OLS regression IKM = a + b t + c post + d (t - L) post fitted to the unit's "
        "noise-free, seasonally adjusted population IKM series (including the growing "
        "online share). Without a unit suffix: the mean over launching units.",
        label_id='tingkat IKM dibanding garis sebelum peluncuran',
        label_en='the IKM level relative to its pre-launch line',
        unit_id='poin IKM',
        unit_en='IKM points',
        kind='effect',
        better='higher',
        design='associational',
        cause_id='peluncuran izin daring',
        cause_en='the online-permit launch',
    ),
    EstimandFamily(
        "service.online_permit.slope_change", "[.<unit>]", "skm", "IKM points per month",
        "superpopulation",
        "Slope change d after the online-permit launch of unit {unit} in the segmented "
        "regression of service.online_permit.level_change. Without a unit suffix: the mean "
        "over launching units.",
        label_id='tren IKM per bulan dibanding tren sebelum peluncuran',
        label_en='the monthly IKM trend relative to the pre-launch trend',
        unit_id='poin IKM per bulan',
        unit_en='IKM points per month',
        kind='effect',
        better='higher',
        design='associational',
        cause_id='peluncuran izin daring',
        cause_en='the online-permit launch',
        decimals=3,
    ),
    EstimandFamily(
        "service.channel_gap", "", "skm", "IKM points",
        "sample",
        "Online minus walk-in IKM within the same unit-month: average over the online "
        "respondents in the SKM files of 25 x (mean over elements of the expected answer "
        "online - expected answer walk-in) at their unit and month.",
        label_id='selisih IKM layanan daring dibanding datang langsung',
        label_en='IKM gap between online and walk-in service',
        unit_id='poin IKM',
        unit_en='IKM points',
        kind='difference',
        better='higher',
        design='associational',
    ),

    # ------------------------------------------------------------------ data (not simulated)
    EstimandFamily(
        "data.responses", ".<instrument>.<wave>", "", "respondents", "sample",
        "Number of responses stored for the instrument and wave (after quarantine).",
        label_id="jumlah jawaban yang tersimpan", label_en="responses stored",
        unit_id="responden", unit_en="respondents", kind="count", decimals=0, simulated=False,
    ),
    EstimandFamily(
        "data.quarantined", ".<instrument>.<wave>", "", "rows", "sample",
        "Number of rows of the wave's file that were quarantined (not stored) with a reason.",
        label_id="baris yang dikarantina", label_en="rows quarantined",
        unit_id="baris", unit_en="rows", kind="count", better="lower", decimals=0,
        simulated=False,
    ),
    EstimandFamily(
        "data.alpha", ".<instrument>.<scale>.<wave>", "", "coefficient", "sample",
        "Cronbach's alpha of the scale in the wave (Feldt confidence interval).",
        label_id="reliabilitas (alfa Cronbach)", label_en="reliability (Cronbach's alpha)",
        unit_id="", unit_en="", kind="reliability",
        better="higher", simulated=False,
    ),
    EstimandFamily(
        "data.omega", ".<instrument>.<scale>.<wave>", "", "coefficient", "sample",
        "McDonald's omega total of the scale in the wave (one-factor minres fit).",
        label_id="reliabilitas (omega McDonald)", label_en="reliability (McDonald's omega)",
        unit_id="", unit_en="", kind="reliability",
        better="higher", simulated=False,
    ),
)


_FAMILY_BY_ID = {f.family: f for f in FAMILIES}
_ID = re.compile(r"[a-z][a-z0-9_]*(\.[A-Za-z0-9_-]+)+")


def family_of(estimand_id: str) -> str:
    """Return the family of an estimand id (its longest registered prefix).

    Raises
    ------
    KeyError
        If no family matches.
    """
    best = _family_of(estimand_id)
    if not best:
        raise KeyError(estimand_id)
    return best


@lru_cache(maxsize=8192)  # a report records hundreds of ids of a few families
def _family_of(estimand_id: str) -> str:
    best = ""
    for fam in _FAMILY_BY_ID:
        if (estimand_id == fam or estimand_id.startswith(fam + ".")) and len(fam) > len(best):
            best = fam
    return best


def family(estimand_id: str) -> EstimandFamily:
    """The catalogue entry of an estimand id (see :func:`family_of`)."""
    return _FAMILY_BY_ID[family_of(estimand_id)]


def check_estimand(estimand_id: str) -> EstimandFamily:
    """Return the family of ``estimand_id``, or raise ConfigError naming the nearest ones.

    Examples
    --------
    >>> check_estimand("training.l2.gain_mean.communication").family
    'training.l2.gain_mean'
    """
    import difflib

    if not isinstance(estimand_id, str) or not _ID.fullmatch(estimand_id):
        raise ConfigError(f"an estimand id is dotted and lower-case, starting with its domain "
                          f"(e.g. dialogue.att.resistance); got {estimand_id!r}")
    try:
        return family(estimand_id)
    except KeyError:
        near = difflib.get_close_matches(estimand_id, list(_FAMILY_BY_ID), n=3, cutoff=0.5)
        raise ConfigError(
            f"{estimand_id!r} is not in the estimand catalogue (asn_research/estimands.py)"
            + (f"; did you mean {', '.join(near)}?" if near else "")) from None
