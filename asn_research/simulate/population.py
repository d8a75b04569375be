"""Synthetic ASN population: agencies, status, grade, position, sex, age, tenure, NIPs, names.

All columns are generated with vectorized numpy per chunk (no per-row Python objects),
so a national-size population of a million employees is produced in seconds.

NIP rules (docs/domain.md §1): PNS ``YYYYMMDD`` birth + ``YYYYMM`` TMT + sex digit
(1 male, 2 female) + serial 001–999; PPPK ``YYYYMMDD`` birth + ``YYYY`` TMT year + ``2``
+ appointment round 1–9 + sex digit + serial. Age at TMT is 18–46 (PNS) or 18–60
(PPPK); every TMT lies before :data:`~asn_research.simulate.world.POPULATION_REFERENCE_DATE`
and every employee is at most 57 (PNS) or 59 (PPPK) years old on the last survey day.

Examples
--------
>>> from asn_research.simulate.population import generate_population
>>> from asn_research.simulate.world import component_rng
>>> pop = generate_population(component_rng(7, "population", 0), 200)
>>> len(pop), pop["nip"].str.len().unique().tolist()
(200, [18])
>>> bool(pop["nip"].is_unique)
True
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..instruments import instruments_dir
from .world import LAST_SURVEY_DATE, POPULATION_REFERENCE_DATE

__all__ = [
    "OPD_SIZE_WEIGHT",
    "generate_population",
    "load_opds",
    "load_service_units",
    "make_nips",
    "tenure_years",
]

logger = logging.getLogger(__name__)

#: Relative headcount of an OPD by its size class in ``tangsel_opd.yaml``.
OPD_SIZE_WEIGHT = {"s": 1.0, "m": 2.5, "l": 6.0, "xl": 30.0}

_DAYS_PER_YEAR = 365.2425
_REF = np.datetime64(POPULATION_REFERENCE_DATE, "D")
_LAST = np.datetime64(LAST_SURVEY_DATE, "D")
_SERIAL_BLOCK = 30  # serials of chunk k start at 1 + 30·k (unique across chunks)
_MAX_RANK = 20


# ----------------------------------------------------------------------------- lookups
def _lookups_dir() -> Path:
    return instruments_dir().parent / "lookups"


@cache
def _read_lookup(name: str) -> tuple[dict, ...]:
    doc = yaml.safe_load((_lookups_dir() / name).read_text(encoding="utf-8"))
    return tuple(doc["choices"])


def load_opds() -> pd.DataFrame:
    """Return the OPD lookup (``surveys/lookups/tangsel_opd.yaml``) as a frame.

    Returns
    -------
    pandas.DataFrame
        Columns ``opd`` (code), ``label_id``, ``size`` (s/m/l/xl) and ``weight``
        (relative headcount, :data:`OPD_SIZE_WEIGHT`).
    """
    rows = _read_lookup("tangsel_opd.yaml")
    return pd.DataFrame(
        {
            "opd": [r["value"] for r in rows],
            "label_id": [r["id"] for r in rows],
            "size": [r.get("size", "s") for r in rows],
            "weight": [OPD_SIZE_WEIGHT[r.get("size", "s")] for r in rows],
        }
    )


def load_service_units() -> pd.DataFrame:
    """Return the SKM service-unit lookup as a frame.

    Returns
    -------
    pandas.DataFrame
        Columns ``unit`` (code), ``label_id``, ``opd`` and ``online_permits`` (bool).
    """
    rows = _read_lookup("tangsel_service_units.yaml")
    return pd.DataFrame(
        {
            "unit": [r["value"] for r in rows],
            "label_id": [r["id"] for r in rows],
            "opd": [r.get("opd", "") for r in rows],
            "online_permits": [bool(r.get("online_permits", False)) for r in rows],
        }
    )


def _kecamatan_codes() -> list[str]:
    return [str(r["value"]) for r in _read_lookup("tangsel_kecamatan.yaml")]


# ----------------------------------------------------------------------------- names
# Small built-in lists of common Indonesian names by tradition. Synthetic people only.
_GIVEN = {
    "javanese": (
        ["Budi", "Agus", "Bambang", "Joko", "Slamet", "Hendro", "Wahyu", "Eko", "Dwi", "Teguh",
         "Sigit", "Bayu", "Priyo", "Aris", "Yudi"],
        ["Sri", "Endang", "Wulan", "Retno", "Dewi", "Tri", "Sulastri", "Ayu", "Rini", "Puji",
         "Lestari", "Ningsih", "Yuni", "Kartika", "Wahyuni"],
    ),
    "sundanese": (
        ["Asep", "Dede", "Ujang", "Cecep", "Dadang", "Ade", "Yayan", "Iwan", "Ayi", "Engkus",
         "Jajang", "Deden"],
        ["Euis", "Neneng", "Imas", "Enok", "Cucu", "Titin", "Yanti", "Lilis", "Nining", "Teti",
         "Rina", "Nenden"],
    ),
    "betawi": (
        ["Muhammad", "Ahmad", "Rizki", "Fajar", "Ridwan", "Syamsul", "Sofyan", "Irfan",
         "Mahmud", "Jaelani"],
        ["Siti", "Nur", "Aisyah", "Fatimah", "Zahra", "Maryam", "Nurul", "Aminah", "Rohmah",
         "Hasanah"],
    ),
    "batak": (
        ["Jonathan", "Daniel", "Rudi", "Hotman", "Binsar", "Parulian", "Togar", "Sahat",
         "Mangasi", "Robert"],
        ["Rosmawati", "Lamria", "Debora", "Maria", "Tiurma", "Rotua", "Sondang", "Ruth",
         "Hotnida", "Erna"],
    ),
    "minang": (
        ["Rahmat", "Fauzi", "Hendra", "Zulkifli", "Andi", "Yusuf", "Syafrizal", "Irwan",
         "Efendi", "Arif"],
        ["Yenni", "Rahmi", "Fitri", "Yusnidar", "Mardiah", "Novita", "Elfi", "Desi", "Rosni",
         "Mega"],
    ),
}
_SECOND = {
    "javanese": ["Santoso", "Wibowo", "Susanto", "Prasetyo", "Nugroho", "Setiawan", "Purnomo",
                 "Hartono", "Wijaya", "Kurniawati", "Handayani", "Rahayu", "Suryani",
                 "Pratiwi", "Utami"],
    "sundanese": ["Saepudin", "Hidayat", "Sutisna", "Permana", "Kurniawan", "Suryana",
                  "Rahmawati", "Nurhayati", "Komariah", "Sumarni", "Gunawan", "Supriatna"],
    "betawi": ["Hidayatullah", "Ramadhan", "Fadillah", "Maulana", "Nurhaliza", "Aini",
               "Kamaludin", "Mubarok", "Safitri", "Rohman"],
    "batak": ["Siregar", "Nasution", "Simanjuntak", "Lubis", "Harahap", "Sitompul",
              "Panjaitan", "Hutapea", "Sinaga", "Manurung", "Situmorang", "Pardede"],
    "minang": ["Putra", "Syahputra", "Chaniago", "Koto", "Piliang", "Tanjung", "Sikumbang",
               "Putri", "Yanti", "Rahman"],
}
_ETHNICITIES = ("javanese", "sundanese", "betawi", "batak", "minang")
_ETHNIC_SHARE = np.array([0.34, 0.28, 0.2, 0.1, 0.08])


def _names(rng: np.random.Generator, female: np.ndarray) -> np.ndarray:
    """Vectorized Indonesian full names (given + second name, some single names)."""
    n = female.size
    eth = rng.choice(len(_ETHNICITIES), size=n, p=_ETHNIC_SHARE)
    given = np.empty(n, dtype=object)
    second = np.empty(n, dtype=object)
    for k, e in enumerate(_ETHNICITIES):
        male_names, female_names = _GIVEN[e]
        for is_f, pool in ((False, male_names), (True, female_names)):
            m = (eth == k) & (female == is_f)
            given[m] = np.asarray(pool, dtype=object)[rng.integers(0, len(pool), m.sum())]
        pool2 = _SECOND[e]
        m = eth == k
        second[m] = np.asarray(pool2, dtype=object)[rng.integers(0, len(pool2), m.sum())]
    single = (rng.random(n) < 0.08) & (eth == 0)  # Javanese mononyms
    full = np.strings.add(np.strings.add(given.astype("U"), " "), second.astype("U"))
    return np.where(single, second.astype("U"), full)


# ----------------------------------------------------------------------------- NIPs
def _ymd(days: np.ndarray) -> np.ndarray:
    return np.strings.replace(np.datetime_as_string(days.astype("datetime64[D]")), "-", "")


def make_nips(
    birth: np.ndarray,
    tmt: np.ndarray,
    sex: np.ndarray,
    serial: np.ndarray,
    *,
    pppk: np.ndarray,
    round_: np.ndarray,
) -> np.ndarray:
    """Assemble 18-digit NIPs from their parts, vectorized.

    Parameters
    ----------
    birth, tmt : numpy.ndarray of datetime64[D]
        Birth date and TMT (start of appointment).
    sex : numpy.ndarray of int
        1 male, 2 female.
    serial : numpy.ndarray of int
        1–999.
    pppk : numpy.ndarray of bool
        True for PPPK (format ``YYYYMMDD YYYY 2 F G NNN``), False for PNS
        (``YYYYMMDD YYYYMM G NNN``).
    round_ : numpy.ndarray of int
        PPPK appointment round 1–9 (ignored for PNS).

    Returns
    -------
    numpy.ndarray of str
        The NIPs.

    Examples
    --------
    >>> import numpy as np
    >>> from asn_research.simulate.population import make_nips
    >>> make_nips(np.array(["1965-02-22"], "datetime64[D]"), np.array(["2007-01-01"],
    ...           "datetime64[D]"), np.array([1]), np.array([5]), pppk=np.array([False]),
    ...           round_=np.array([0])).tolist()
    ['196502222007011005']
    """
    b = _ymd(birth)
    t = _ymd(tmt)
    pns_mid = np.strings.slice(t, 0, 6)
    pppk_mid = np.strings.add(
        np.strings.add(np.strings.slice(t, 0, 4), "2"), np.asarray(round_).astype("U1")
    )
    mid = np.where(pppk, pppk_mid, pns_mid)
    tail = np.strings.add(
        np.asarray(sex).astype("U1"), np.strings.zfill(np.asarray(serial).astype("U3"), 3)
    )
    return np.strings.add(np.strings.add(b, mid), tail)


def _serials(key: np.ndarray, chunk_index: int) -> tuple[np.ndarray, np.ndarray]:
    """Serial numbers unique within each NIP prefix (and across chunks)."""
    s = pd.Series(key)
    rank = s.groupby(s, sort=False).cumcount().to_numpy()
    offset = (pd.util.hash_array(key.astype(object)) % 10).astype(np.int64)
    serial = 1 + _SERIAL_BLOCK * chunk_index + offset + rank
    return serial, rank


def tenure_years(tmt: np.ndarray, date: np.ndarray) -> np.ndarray:
    """Whole years of service from TMT to ``date`` (both datetime64[D]), never negative."""
    days = (np.asarray(date, "datetime64[D]") - np.asarray(tmt, "datetime64[D]")).astype(
        np.int64
    )
    return np.maximum(np.floor(days / _DAYS_PER_YEAR), 0).astype(np.int64)


# ----------------------------------------------------------------------------- population
_EDU = np.array(["sma", "diploma", "s1", "s2", "s3"])
_EDU_P_PNS = np.array([0.12, 0.15, 0.55, 0.16, 0.02])
_EDU_P_PPPK = np.array([0.2, 0.2, 0.55, 0.05, 0.0])
# Golongan index in golongan.yaml order (0 = I/a … 16 = IV/e) at entry and cap, by education.
_GOL_ENTRY = np.array([4, 6, 8, 9, 10])
_GOL_CAP = np.array([11, 11, 13, 14, 15])
_GOL_CODES = np.array(
    ["i_a", "i_b", "i_c", "i_d", "ii_a", "ii_b", "ii_c", "ii_d", "iii_a", "iii_b", "iii_c",
     "iii_d", "iv_a", "iv_b", "iv_c", "iv_d", "iv_e"]
)
_PPPK_GRADE = np.array([5, 7, 9, 10, 11])
_BIG_SERVICE_OPDS = ("dindikbud", "dinkes", "rsud_tangsel", "rsud_serpong_utara")
# Rough population shares of the 7 kecamatan (Serpong … Setu, Kemendagri order).
_KEC_SHARE = np.array([0.13, 0.11, 0.24, 0.15, 0.14, 0.17, 0.06])


def _truncnorm(rng: np.random.Generator, mean: float, sd: float, lo: float, hi: float,
               n: int) -> np.ndarray:
    x = rng.normal(mean, sd, n)
    bad = (x < lo) | (x > hi)
    while bad.any():
        x[bad] = rng.normal(mean, sd, bad.sum())
        bad = (x < lo) | (x > hi)
    return x


def generate_population(
    rng: np.random.Generator,
    n: int,
    *,
    pns_share: float = 0.45,
    chunk_index: int = 0,
    first_person_id: int = 0,
    opd_weights: np.ndarray | None = None,
) -> pd.DataFrame:
    """Generate ``n`` synthetic ASN of Kota Tangerang Selatan.

    Parameters
    ----------
    rng : numpy.random.Generator
        The population component's generator (see
        :func:`~asn_research.simulate.world.component_rng`).
    n : int
        Number of employees.
    pns_share : float, optional
        Share of PNS; the rest are PPPK.
    chunk_index : int, optional
        Chunk number; keeps NIP serials unique across chunks (at most 33 chunks).
    first_person_id : int, optional
        ``person_id`` of the first row (ids are consecutive).
    opd_weights : numpy.ndarray, optional
        Relative headcount per OPD, in lookup order (default: by size class).

    Returns
    -------
    pandas.DataFrame
        One row per employee: ``person_id``, ``nip``, ``name``, ``opd``, ``kecamatan``
        (work location), ``status`` (``pns``/``pppk``), ``sex`` (1/2), ``birth_date``,
        ``tmt_date`` (datetime64[D]), ``pppk_round``, ``education``, ``golongan``,
        ``jabatan_type``. ``attrs["synthetic"]`` is True.

    Notes
    -----
    PNS ages on 2024-01-01 follow a normal(41, 9.5) truncated to 21–55.4 years, age at
    TMT a normal(26.5, 4) truncated to 18.25–46.7 years (TMT = first of that month);
    PPPK ages a normal(37, 8) truncated to 21–57.4 with TMT year 2019–2023. Grades rise
    one step per four years of service from an entry grade set by education.
    """
    opds = load_opds()
    w = opds["weight"].to_numpy() if opd_weights is None else np.asarray(opd_weights, float)
    opd_idx = rng.choice(len(opds), size=n, p=w / w.sum())
    opd = opds["opd"].to_numpy()[opd_idx]
    big_service = np.isin(opd, _BIG_SERVICE_OPDS)

    pppk = rng.random(n) >= pns_share
    female = rng.random(n) < np.where(big_service, 0.68, np.where(pppk, 0.6, 0.53))
    sex = np.where(female, 2, 1)

    # Ages (years on the reference date) and birth dates.
    age = np.where(
        pppk,
        _truncnorm(rng, 37, 8, 21, 57.4, n),
        _truncnorm(rng, 41, 9.5, 21, 55.4, n),
    )
    birth = _REF - np.round(age * _DAYS_PER_YEAR).astype("timedelta64[D]")
    oldest = np.where(
        pppk,
        _LAST - np.timedelta64(int(59.9 * _DAYS_PER_YEAR), "D"),
        _LAST - np.timedelta64(int(57.9 * _DAYS_PER_YEAR), "D"),
    )
    birth = np.maximum(birth, oldest)

    # TMT: PNS by age at appointment (month start); PPPK by appointment year.
    tmt_age = np.minimum(_truncnorm(rng, 26.5, 4, 18.25, 46.7, n), age - 0.3)
    tmt_pns = birth + np.round(tmt_age * _DAYS_PER_YEAR).astype("timedelta64[D]")
    tmt_pns = tmt_pns.astype("datetime64[M]").astype("datetime64[D]")
    year = rng.choice(np.arange(2019, 2024), size=n, p=[0.05, 0.05, 0.25, 0.3, 0.35])
    month = rng.integers(1, 13, n)
    tmt_pppk = (
        (year - 1970) * 12 + (month - 1)
    ).astype("datetime64[M]").astype("datetime64[D]")
    earliest = (birth + np.timedelta64(int(18.3 * _DAYS_PER_YEAR), "D")).astype(
        "datetime64[M]"
    ) + np.timedelta64(1, "M")
    tmt_pppk = np.maximum(tmt_pppk, earliest.astype("datetime64[D]"))
    tmt = np.where(pppk, tmt_pppk, tmt_pns)
    tmt_year = tmt.astype("datetime64[Y]").astype(np.int64) + 1970
    pppk_round = np.where(
        pppk, 1 + (tmt_year >= 2022) + (tmt_year >= 2023) + (rng.random(n) < 0.2), 0
    )

    # Education, position, grade.
    edu_idx = np.where(
        pppk,
        rng.choice(5, size=n, p=_EDU_P_PPPK),
        rng.choice(5, size=n, p=_EDU_P_PNS),
    )
    tenure_ref = tenure_years(tmt, np.full(n, _REF))
    u = rng.random(n)
    jab = np.where(
        pppk,
        np.where(u < np.where(big_service, 0.85, 0.55), "functional", "pelaksana"),
        np.where(
            (u < 0.12) & (tenure_ref >= 8),
            "structural",
            np.where(u < 0.12 + 0.5 + 0.2 * big_service, "functional", "pelaksana"),
        ),
    )
    steps = np.floor(tenure_ref / 4 + rng.normal(0, 0.6, n)).astype(np.int64)
    gol_idx = np.clip(
        _GOL_ENTRY[edu_idx] + np.maximum(steps, 0) + (jab == "structural"),
        0,
        _GOL_CAP[edu_idx],
    )
    grade = np.clip(_PPPK_GRADE[edu_idx] + rng.integers(0, 2, n), 1, 17)
    golongan = np.where(
        pppk, np.strings.add("pppk_", np.strings.zfill(grade.astype("U2"), 2)),
        _GOL_CODES[gol_idx],
    )

    # Work location: district offices in their kecamatan, schools/health spread out,
    # the rest at city hall (Ciputat).
    kec = np.array(_kecamatan_codes())
    kec_of_opd = {f"kec_{k}": i for i, k in enumerate(
        ["serpong", "serpong_utara", "pondok_aren", "ciputat", "ciputat_timur", "pamulang",
         "setu"]
    )}
    spread = rng.choice(len(kec), size=n, p=_KEC_SHARE)
    kidx = np.full(n, 3)
    kidx = np.where(big_service, spread, kidx)
    for code, i in kec_of_opd.items():
        kidx = np.where(opd == code, i, kidx)
    kecamatan = kec[kidx]

    # NIPs: serial = rank within (birth, TMT, sex) prefix, unique across chunks.
    prefix_birth = birth.copy()
    for _ in range(50):
        nip_wo_serial = make_nips(
            prefix_birth, tmt, sex, np.zeros(n, np.int64), pppk=pppk, round_=pppk_round
        )
        key = np.strings.slice(nip_wo_serial, 0, 15)
        serial, rank = _serials(key, chunk_index)
        crowded = rank >= _MAX_RANK
        if not crowded.any():
            break
        # Move the few crowded rows by a day or two (stays within the age bounds).
        prefix_birth[crowded] = prefix_birth[crowded] + rng.integers(
            1, 3, crowded.sum()
        ).astype("timedelta64[D]")
    birth = prefix_birth
    nip = make_nips(birth, tmt, sex, serial, pppk=pppk, round_=pppk_round)

    name = _names(rng, female)
    frame = pd.DataFrame(
        {
            "person_id": np.arange(first_person_id, first_person_id + n, dtype=np.int64),
            "nip": pd.array(nip, dtype="str"),
            "name": pd.array(name, dtype="str"),
            "opd": pd.array(opd, dtype="str"),
            "kecamatan": pd.array(kecamatan, dtype="str"),
            "status": pd.array(np.where(pppk, "pppk", "pns"), dtype="str"),
            "sex": sex.astype(np.int64),
            "birth_date": birth.astype("datetime64[s]"),
            "tmt_date": tmt.astype("datetime64[s]"),
            "pppk_round": pppk_round.astype(np.int64),
            "education": pd.array(_EDU[edu_idx], dtype="str"),
            "golongan": pd.array(golongan, dtype="str"),
            "jabatan_type": pd.array(jab, dtype="str"),
        }
    )
    frame.attrs["synthetic"] = True
    logger.debug("generated %d employees (chunk %d)", n, chunk_index)
    return frame
