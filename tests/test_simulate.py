"""Tests of asn_research.simulate: reproducibility, manifest, truth catalogue, planted effects.

All data here are synthetic (the simulator's own output). The files are read back with
a small reader written for these tests (pandas/openpyxl/csv), independent of the
package's ingest; the ingest round trip is checked on the session's demo store.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from asn_research.errors import ConfigError, InputError
from asn_research.instruments import load_instrument
from asn_research.simulate import SIZES, read_truth, simulate, simulate_frames
from asn_research.simulate.mess import inject_mess
from asn_research.simulate.population import load_service_units
from asn_research.simulate.world import MERIT_WAVES, SKM_MONTHS, TRAINING_WAVES

SEED = 20241
TODAY = dt.date(2026, 11, 27)
# Tolerance for "agrees with the truth": 4 standard errors (false alarm ≈ 6e-5 per check).
N_SE = 4.0
QUARANTINE_KINDS = {"missing_required", "out_of_range", "duplicate", "damaged_nip",
                    "required_when"}


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def sim(tmp_path_factory):
    return simulate(tmp_path_factory.mktemp("sim") / "a", seed=SEED, size="small")


@pytest.fixture(scope="session")
def root(sim) -> Path:
    return sim.out_dir


@pytest.fixture(scope="session")
def manifest(root) -> dict:
    return json.loads((root / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def truth(root) -> dict:
    return json.loads((root / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def mess(root) -> dict:
    return json.loads((root / "mess.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def raw(root, manifest) -> dict[str, pd.DataFrame]:
    """Every file as text cells under instrument field names (plus Kobo ``_uuid``)."""
    return {e["file"]: read_raw(root, e) for e in manifest["files"]}


@pytest.fixture(scope="session")
def clean(raw, manifest, mess) -> dict[str, pd.DataFrame]:
    """Every file decoded to codes, with the rows mess.json lists as quarantined dropped."""
    out = {}
    for e in manifest["files"]:
        bad = {d["row"] for d in mess["files"][e["file"]] if d["kind"] in QUARANTINE_KINDS}
        frame = raw[e["file"]]
        keep = ~np.isin(np.arange(1, len(frame) + 1), sorted(bad))
        out[e["file"]] = decode(frame[keep].reset_index(drop=True),
                                load_instrument(e["instrument"]))
    return out


def stacked(clean, manifest, instrument: str) -> pd.DataFrame:
    parts = [clean[e["file"]].assign(wave=e["wave"]) for e in manifest["files"]
             if e["instrument"] == instrument]
    return pd.concat(parts, ignore_index=True)


# ----------------------------------------------------------------------------- reader
def read_raw(root: Path, entry: dict) -> pd.DataFrame:
    path = root / entry["file"]
    if entry["format"].endswith("xlsx"):
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True)
        rows = list(wb.active.iter_rows(values_only=True))
        wb.close()
        rows = rows[entry["header_row"] - 1:]

        def txt(v):
            if v is None:
                return ""
            if isinstance(v, float) and v.is_integer():
                return str(int(v))
            return str(v)

        header = [txt(h) for h in rows[0]]
        width = len(header)  # write-only sheets have no <dimension>: rows may be ragged
        data = [[txt(v) for v in r][:width] + [""] * (width - len(r)) for r in rows[1:]]
    else:
        text = path.read_bytes().decode(entry["encoding"])
        text = text.removeprefix("\ufeff")
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=entry["delimiter"]))
        header, data = rows[0], rows[1:]
    frame = pd.DataFrame(data, columns=header, dtype=object)
    if entry["format"].startswith("kobo"):
        keep = {h: h.split("/")[1] for h in header if h.count("/") == 1}
        frame = frame[[*keep, "_uuid"]].rename(columns=keep)
    return frame


def decode(frame: pd.DataFrame, inst) -> pd.DataFrame:
    """Text cells → codes: labels (id/en, any case), aliases, decimal commas, DMY dates."""
    out = pd.DataFrame(index=frame.index)
    for f in inst.fields:
        s = frame[f.name].astype(object).map(
            lambda x: (x.strip() or None) if isinstance(x, str) else None)
        if f.type == "select_one":
            cl = inst.choices_of(f.name)
            m = {}
            for c in cl.choices:
                for t in (str(c.value), c.label_id, c.label_en, *c.aliases):
                    m.setdefault(t.casefold(), c.value)
            s = s.map(lambda x, m=m: None if pd.isna(x) else m[str(x).casefold()])
            if cl.ordinal:
                s = pd.to_numeric(s)
        elif f.type in ("integer", "decimal"):
            s = pd.to_numeric(s.map(lambda x: None if pd.isna(x) else x.replace(",", ".")))
        elif f.type == "date":
            s = s.map(lambda x: None if pd.isna(x) else (
                dt.date.fromisoformat(x) if "-" in x else
                dt.datetime.strptime(x, "%d/%m/%Y").date()))
        out[f.name] = s
    return out


# ----------------------------------------------------------------------------- NIP rule
def nip_problem(nip: str, *, birth_year, sex, status, survey: dt.date) -> str | None:
    """Independent check of the NIP rule of the brief (None if valid)."""
    if not (isinstance(nip, str) and len(nip) == 18 and nip.isdigit()):
        return "not 18 digits"
    try:
        birth = dt.date(int(nip[:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        return "bad birth date"
    if nip[12] == "2":  # PPPK: YYYY + 2 + round + sex + serial
        kind, tmt = "pppk", dt.date(int(nip[8:12]), 1, 1)
        if nip[13] not in "123456789":
            return "bad round"
        sexd, serial, max_tmt_age, max_age = nip[14], nip[15:], 60, 60
    else:
        kind = "pns"
        if not 1 <= int(nip[12:14]) <= 12:
            return "bad TMT month"
        tmt = dt.date(int(nip[8:12]), int(nip[12:14]), 1)
        sexd, serial, max_tmt_age, max_age = nip[14], nip[15:], 46, 58

    def age(on: dt.date) -> int:
        return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))

    if kind != status:
        return "status"
    if sexd not in "12" or int(sexd) != int(sex):
        return "sex"
    if not 1 <= int(serial) <= 999:
        return "serial"
    if birth.year != int(birth_year):
        return "birth year"
    if kind == "pppk":
        if not 18 <= tmt.year - birth.year <= max_tmt_age + 1:
            return "age at TMT"
    elif not 18 <= age(tmt) <= max_tmt_age:
        return "age at TMT"
    if tmt > survey or tmt > TODAY:
        return "TMT in the future"
    if not 18 <= age(survey) <= max_age:
        return "age at survey"
    return None


# ----------------------------------------------------------------------------- oracle
def expected_quarantine(frame: pd.DataFrame, inst, kobo: bool) -> int:
    """Rows a validator following the brief's rules must quarantine (first duplicate kept)."""
    bad = np.zeros(len(frame), bool)
    labels = {}
    for f in inst.fields:
        if f.list_name:
            cl = inst.choices_of(f.name)
            labels[f.name] = {t.casefold() for c in cl.choices
                              for t in (str(c.value), c.label_id, c.label_en, *c.aliases)}
    val = frame.apply(lambda col: col.map(lambda x: x.strip() if isinstance(x, str) else x))
    for f in inst.fields:
        col = val[f.name]
        blank = (col == "").to_numpy()
        if f.required:
            bad |= blank
        if f.required_when:
            trig = inst.field(f.required_when["field"])
            ok = {str(v).casefold() for v in f.required_when["in"]}
            cl = inst.choices_of(trig.name)
            ok |= {c.label(lang).casefold() for c in cl.choices
                   if c.value in f.required_when["in"] for lang in ("id", "en")}
            cond = val[trig.name].map(lambda x: x.casefold()).isin(ok).to_numpy()
            bad |= cond & blank
        if f.type == "select_one":
            bad |= ~blank & ~col.map(lambda x, s=labels[f.name]: x.casefold() in s).to_numpy()
        if f.type == "nip":
            bad |= ~blank & ~col.map(lambda x: len(x) == 18 and x.isdigit()
                                     and 1 <= int(x[-3:]) <= 999).to_numpy()
    key = inst.respondent_id if inst.respondent_id else ("_uuid" if kobo else None)
    if key is not None:
        k = val[key]
        dup = k.duplicated(keep="first").to_numpy() & (k != "").to_numpy()
        bad |= dup & ~bad  # a duplicate of an already-bad row is counted once anyway
    return int(bad.sum())


# ============================================================================= tests
def test_sizes_and_argument_validation(tmp_path):
    assert SIZES == ("small", "city", "national")
    with pytest.raises(ConfigError, match="size must be one of"):
        simulate(tmp_path / "x", seed=1, size="huge")
    with pytest.raises(ConfigError, match="messy_fraction"):
        simulate(tmp_path / "x", seed=1, messy_fraction=0.5)
    with pytest.raises(ConfigError, match="seed"):
        simulate(tmp_path / "x", seed=-3)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(InputError, match="not empty") as err:
        simulate(foreign, seed=1)
    assert err.value.fix and "foreign" in str(err.value)
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "keep me"
    with pytest.raises(ConfigError, match="national"):
        simulate_frames(seed=1, size="national")


def test_same_seed_gives_identical_bytes_and_another_seed_different_files(sim, tmp_path):
    again = simulate(tmp_path / "b", seed=SEED, size="small")

    def listing(root: Path) -> list[Path]:
        return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())

    files = listing(sim.out_dir)
    assert files == listing(again.out_dir)
    assert any(str(p).endswith(".xlsx") for p in files)
    for rel in files:
        assert (sim.out_dir / rel).read_bytes() == (again.out_dir / rel).read_bytes(), rel
    # Another seed, written over the earlier output (which is replaced cleanly).
    other = simulate(again.out_dir, seed=SEED + 1, size="small")
    assert listing(other.out_dir) == files
    a = {f.file: f.sha256 for f in sim.files}
    b = {f.file: f.sha256 for f in other.files}
    assert a.keys() == b.keys()
    assert all(a[k] != b[k] for k in a)
    ta = json.loads(sim.truth_path.read_text(encoding="utf-8"))["estimands"]
    tb = json.loads(other.truth_path.read_text(encoding="utf-8"))["estimands"]
    assert ta["training.l2.gain_mean"]["value"] != tb["training.l2.gain_mean"]["value"]


def test_manifest_lists_every_file_with_correct_sha256(root, manifest, raw, sim):
    assert manifest["generator"] == "asn-research simulate"
    assert manifest["synthetic"] is True and manifest["seed"] == SEED
    assert manifest["size"] == "small"
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    listed = {e["file"] for e in manifest["files"]}
    assert on_disk - listed == {"manifest.json", "truth.json", "mess.json"}
    assert listed <= on_disk
    formats = set()
    for e in manifest["files"]:
        data = (root / e["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == e["sha256"], e["file"]
        assert e["synthetic"] is True
        assert e["format"] in ("csv", "xlsx", "kobo-csv", "kobo-xlsx")
        assert "\\" not in e["file"]
        assert e["rows"] == len(raw[e["file"]]), e["file"]
        assert e["expected_quarantined"] == sum(e["mess"]["quarantine"].values())
        formats.add((e["format"], e.get("encoding"), e["answers"], e["header_row"]))
    truth_bytes = (root / "truth.json").read_bytes()
    assert manifest["truth"]["sha256"] == hashlib.sha256(truth_bytes).hexdigest()
    # The mix of formats the issue asks for.
    kinds = {f[0] for f in formats}
    assert kinds == {"csv", "xlsx", "kobo-csv", "kobo-xlsx"}
    assert {f[1] for f in formats if f[0] == "csv"} == {"utf-8", "utf-8-sig", "cp1252"}
    assert ("xlsx", None, "codes", 2) in formats  # XLSX with a title row
    assert any(f[2] == "labels" for f in formats)
    # Waves: baseline + follow-ups for ASN, ≥ 36 months of SKM, one file per wave.
    waves = {i: sorted(e["wave"] for e in manifest["files"] if e["instrument"] == i)
             for i in ("training", "merit", "skm")}
    assert waves["training"] == [w.id for w in TRAINING_WAVES]
    assert waves["merit"] == [w.id for w in MERIT_WAVES]
    assert waves["skm"] == list(SKM_MONTHS) and len(SKM_MONTHS) >= 36
    assert sim.n_rows == {i: sum(e["rows"] for e in manifest["files"] if e["instrument"] == i)
                          for i in ("merit", "skm", "training")}
    assert sim.to_frame().shape[0] == len(manifest["files"])


def test_cp1252_file_has_windows_conventions(root, manifest):
    e = next(e for e in manifest["files"] if e.get("encoding") == "cp1252"
             and e["instrument"] == "training")
    data = (root / e["file"]).read_bytes()
    assert b"\r\n" in data and not data.startswith(b"\xef\xbb\xbf")
    text = data.decode("cp1252")
    # the instrument fields plus the _synthetic marker column
    assert text.splitlines()[0].count(";") == len(load_instrument("training").fields)
    assert text.splitlines()[0].endswith(";_synthetic")
    assert any("," in line.split(";")[21] for line in text.splitlines()[1:] if
               len(line.split(";")) > 21 and line.split(";")[21])  # l2_pre_pct "72,5"
    assert any(e2.get("encoding") == "utf-8-sig" and
               (root / e2["file"]).read_bytes().startswith(b"\xef\xbb\xbf")
               for e2 in manifest["files"])


def test_xlsx_nips_are_text_and_properties_are_fixed(root, manifest, mess):
    from openpyxl import load_workbook

    e = next(e for e in manifest["files"] if e["format"] == "xlsx"
             and e["instrument"] == "merit")
    wb = load_workbook(root / e["file"])
    ws = wb.active
    damaged = {d["row"] for d in mess["files"][e["file"]] if d["kind"] == "damaged_nip"}
    col = [c.value for c in ws["A"]][e["header_row"]:]
    kinds = {type(v).__name__ for i, v in enumerate(col, 1) if i not in damaged and v}
    assert kinds == {"str"}
    assert ws.cell(row=e["header_row"] + 1, column=1).number_format == "@"
    assert wb.properties.created == wb.properties.modified
    assert wb.properties.created.year == 2026 and wb.properties.created.month == 7


def test_truth_has_every_estimand_family_with_definitions(truth, root):
    est, defs = truth["estimands"], truth["definitions"]
    assert truth["synthetic"] is True and truth["seed"] == SEED
    assert set(defs) == set(est)
    units = load_service_units()["unit"].tolist()
    required = [
        "training.l1.satisfaction_mean", "training.l2.gain_mean",
        "training.l2.gain_mean.communication", "training.l2.gain_mean.digital_services",
        "training.l2.normalized_gain", "training.l3.att_behaviour",
        "dialogue.att.resistance", "dialogue.att.appraisal_threat",
        "dialogue.dynamic.resistance.e-2", "dialogue.dynamic.resistance.e-1",
        "dialogue.dynamic.resistance.e0", "dialogue.dynamic.resistance.e1",
        "dialogue.dynamic.resistance.e2", "dialogue.dose.resistance_per_session",
        "service.channel_gap", "service.online_permit.level_change",
        "service.online_permit.slope_change",
        *[f"service.ikm.{u}.{m}" for u in units for m in SKM_MONTHS],
        *[f"service.trend.{u}" for u in units],
    ]
    missing = [r for r in required if r not in est]
    assert not missing
    launch = truth["parameters"]["service"]["launch_month"]
    assert any(launch.values())
    for u, m in launch.items():
        assert (f"service.online_permit.level_change.{u}" in est) == (m is not None)
    for eid, e in est.items():
        assert eid == eid.lower() and " " not in eid
        assert eid.split(".")[0] in ("training", "dialogue", "service")
        assert math.isfinite(e["value"])
        assert e["population"] in ("sample", "superpopulation")
        assert len(e["definition"]) > 40 and "{" not in e["definition"]
        assert e["definition"] == defs[eid]
    # Leads are zero by construction; lagged effects grow (resistance falls).
    assert est["dialogue.dynamic.resistance.e-1"]["value"] == 0.0
    assert est["dialogue.dynamic.resistance.e-2"]["value"] == 0.0
    e0, e1, e2 = (est[f"dialogue.dynamic.resistance.e{k}"]["value"] for k in (0, 1, 2))
    assert e0 < 0 and e1 < e0 and e2 < e1
    assert est["dialogue.dose.resistance_per_session"]["value"] < 0
    assert est["dialogue.att.appraisal_threat"]["value"] < 0
    assert 0.3 <= est["training.l2.normalized_gain"]["value"] <= 0.7
    tidy = read_truth(root)
    assert len(tidy) == len(est) and tidy.attrs["synthetic"]
    assert tidy["estimand"].is_unique


def test_l2_gain_agrees_with_truth_within_sampling_error(clean, manifest, truth):
    tr = stacked(clean, manifest, "training")
    base = tr[(tr["group"] == "trained") & tr["l2_pre_pct"].notna() & tr["l2_post_pct"].notna()]
    assert len(base) > 150
    for sfx, rows in [("", base), *[(f".{t}", base[base["training_topic"] == t])
                                    for t in ("communication", "digital_services")]]:
        gain = rows["l2_post_pct"] - rows["l2_pre_pct"]
        se = gain.std(ddof=1) / math.sqrt(len(gain))
        true = truth["estimands"][f"training.l2.gain_mean{sfx}"]["value"]
        assert abs(gain.mean() - true) < N_SE * se, (sfx, gain.mean(), true, se)
    # Ceiling effects: a share of trainees near 100 % after training, and smaller gains for
    # those who started high.
    assert (base["l2_post_pct"] >= 95).mean() > 0.03
    gain = base["l2_post_pct"] - base["l2_pre_pct"]
    assert gain[base["l2_pre_pct"] >= 70].mean() < gain[base["l2_pre_pct"] < 40].mean() - 5
    assert (base["l2_post_pct"] % 2.5 == 0).all()  # 40 questions


def test_l1_and_l3_agree_with_truth(clean, manifest, truth):
    inst = load_instrument("training")
    tr = stacked(clean, manifest, "training")
    rx = tr[list(inst.scale("reaction").items)]
    score = rx[rx.notna().sum(axis=1) >= 4].mean(axis=1)
    se = score.std(ddof=1) / math.sqrt(len(score))
    true = truth["estimands"]["training.l1.satisfaction_mean"]["value"]
    assert abs(score.mean() - true) < N_SE * se

    # L3: difference in differences of the behaviour score (first follow-up − baseline),
    # trainees vs comparison group, matched on NIP; targets the ATT among respondents.
    sc = inst.scale("behaviour")
    keyed = tr[list(sc.items)].copy()
    for it in sc.reverse:
        keyed[it] = 6 - keyed[it]
    tr = tr.assign(bh=keyed.mean(axis=1))
    by = {w: tr[tr["wave"] == w].drop_duplicates("nip").set_index("nip") for w in
          ("2024-1", "2025-1", "2026-1")}
    diffs_t, diffs_c = [], []
    for w0, w1 in (("2024-1", "2025-1"), ("2025-1", "2026-1")):
        a, b = by[w0], by[w1]
        common = a.index.intersection(b.index)
        ch = b.loc[common, "bh"] - a.loc[common, "bh"]
        new_trainee = (a.loc[common, "group"] == "trained") & (
            pd.to_datetime(a.loc[common, "training_end"]).dt.year == int(w0[:4]))
        diffs_t.append(ch[new_trainee])
        diffs_c.append(ch[a.loc[common, "group"] == "comparison"])
    dt_, dc_ = pd.concat(diffs_t).dropna(), pd.concat(diffs_c).dropna()
    did = dt_.mean() - dc_.mean()
    se = math.sqrt(dt_.var() / len(dt_) + dc_.var() / len(dc_))
    true = truth["estimands"]["training.l3.att_behaviour.respondents"]["value"]
    assert true > 0.1
    assert abs(did - true) < N_SE * se, (did, true, se)


def test_attrition_at_follow_up_depends_on_baseline_l2(clean, manifest):
    tr = stacked(clean, manifest, "training")
    base = tr[(tr["wave"] == "2024-1") & (tr["group"] == "trained")].dropna(
        subset=["l2_pre_pct"])
    followed = set(tr.loc[tr["wave"] == "2025-1", "nip"])
    present = base["nip"].isin(followed)
    assert 0.2 < 1 - present.mean() < 0.6  # some, but not most, are lost
    lost, kept = base.loc[~present, "l2_pre_pct"], base.loc[present, "l2_pre_pct"]
    assert lost.mean() < kept.mean() - 5
    welch_t = (kept.mean() - lost.mean()) / math.sqrt(kept.var() / len(kept)
                                                      + lost.var() / len(lost))
    assert welch_t > 2.6  # one-sided p < 0.005


def test_naive_dialogue_comparison_is_biased_by_the_rollout(clean, manifest, truth):
    inst = load_instrument("merit")
    sc = inst.scale("resistance")
    mr = stacked(clean, manifest, "merit")
    mr = mr[mr["wave"] != "2024-1"].dropna(subset=list(sc.items))
    keyed = mr[list(sc.items)].copy()
    for it in sc.reverse:
        keyed[it] = 7 - keyed[it]
    res = keyed.mean(axis=1)
    ex, un = res[mr["dlg_attended"] == 1], res[mr["dlg_attended"] == 0]
    naive = ex.mean() - un.mean()
    se = math.sqrt(ex.var() / len(ex) + un.var() / len(un))
    true = truth["estimands"]["dialogue.att.resistance"]["value"]
    assert true < -0.15
    # Large / resistant OPDs went first and resistant staff were sent: the naive
    # difference is pulled up, well away from the (negative) true effect.
    assert naive - true > max(3 * se, 0.15), (naive, true, se)
    adopt = truth["parameters"]["dialogue"]["adoption_wave"]
    effect = truth["parameters"]["dialogue"]["opd_effect"]
    early = [effect[o] for o, w in adopt.items() if w in ("2024-2", "2025-1")]
    never = [effect[o] for o, w in adopt.items() if w is None]
    assert np.mean(early) > np.mean(never)


def test_merit_items_are_reliable_and_reverse_keyed_items_run_backwards(clean, manifest):
    inst = load_instrument("merit")
    mr = stacked(clean, manifest, "merit")
    for name, hi in (("resistance", 6), ("appraisal_threat", 5), ("merit_support", 5)):
        sc = inst.scale(name)
        x = mr[list(sc.items)].dropna().astype(float)
        keyed = x.copy()
        for it in sc.reverse:
            keyed[it] = 1 + hi - keyed[it]
        k = keyed.shape[1]
        alpha = k / (k - 1) * (1 - keyed.var().sum() / keyed.sum(axis=1).var())
        assert 0.7 < alpha < 0.97, (name, alpha)
        for it in sc.reverse:
            rest = keyed.drop(columns=it).mean(axis=1)
            assert np.corrcoef(x[it], rest)[0, 1] < -0.2, (name, it)
    # Perceived appraisal threat correlates with resistance.
    both = mr.dropna(subset=[*inst.scale("resistance").items,
                             *inst.scale("appraisal_threat").items])
    r = both[list(inst.scale("resistance").items)].assign(
        rtc_rs_2=7 - both["rtc_rs_2"], rtc_cr_4=7 - both["rtc_cr_4"]).mean(axis=1)
    t = both[list(inst.scale("appraisal_threat").items)].assign(
        pat_5=6 - both["pat_5"]).mean(axis=1)
    assert np.corrcoef(r, t)[0, 1] > 0.2


def test_ikm_from_answers_is_close_to_the_noise_free_truth(clean, manifest, truth):
    inst = load_instrument("skm")
    elements = list(inst.scale("skm_mean").items)
    skm = stacked(clean, manifest, "skm")
    est = truth["estimands"]
    errors = []
    for (unit, month), g in skm.groupby(["service_unit", "wave"]):
        ikm = 25 * g[elements].mean().mean()  # per-element NRR, mean over elements, × 25
        errors.append(ikm - est[f"service.ikm.{unit}.{month}"]["value"])
    errors = np.asarray(errors)
    assert len(errors) == len(load_service_units()) * len(SKM_MONTHS)
    assert abs(errors.mean()) < 0.5 and np.median(np.abs(errors)) < 4
    for unit, g in skm.groupby("service_unit"):
        per_resp = 25 * g[elements].mean(axis=1)
        months = g.groupby("wave").size()
        true = sum(n * est[f"service.ikm.{unit}.{m}"]["value"] for m, n in months.items()) \
            / months.sum()
        se = per_resp.std() / math.sqrt(len(per_resp))
        assert abs(25 * g[elements].mean().mean() - true) < N_SE * se + 0.3, unit
    # Channel gap: online minus walk-in in the same unit-month.
    online = skm[skm["channel"] == "online"]
    assert len(online) > 100
    resid = 25 * skm[elements].mean(axis=1) - skm.groupby(["service_unit", "wave"])[
        elements].transform("mean").mean(axis=1) * 25
    gap_hat = resid[skm["channel"] == "online"].mean() - resid[
        (skm["channel"] == "walk_in") & skm["service_unit"].isin(online["service_unit"])
        & skm["wave"].isin(online["wave"])].mean()
    assert est["service.channel_gap"]["value"] > 0 and gap_hat > 0


def test_trend_of_units_without_launch_matches_truth(clean, manifest, truth):
    elements = list(load_instrument("skm").scale("skm_mean").items)
    skm = stacked(clean, manifest, "skm")
    launch = truth["parameters"]["service"]["launch_month"]
    slopes, trues, ses = [], [], []
    t_of = {m: i for i, m in enumerate(SKM_MONTHS)}
    for unit, g in skm.groupby("service_unit"):
        if launch[unit] is not None:
            continue
        y = g.groupby("wave")[elements].mean().mean(axis=1) * 25
        t = np.array([t_of[m] for m in y.index], float)
        X = np.column_stack([np.ones_like(t), t])
        b, res, *_ = np.linalg.lstsq(X, y.to_numpy(), rcond=None)
        sigma2 = res[0] / (len(t) - 2)
        slopes.append(b[1])
        ses.append(math.sqrt(sigma2 / ((t - t.mean()) ** 2).sum()))
        trues.append(truth["estimands"][f"service.trend.{unit}"]["value"])
    pooled_se = math.sqrt(np.sum(np.square(ses))) / len(ses)
    assert abs(np.mean(slopes) - np.mean(trues)) < N_SE * pooled_se + 0.01


def test_nips_are_valid_unique_and_consistent(clean, manifest):
    for inst_id in ("training", "merit"):
        for e in manifest["files"]:
            if e["instrument"] != inst_id:
                continue
            f = clean[e["file"]]
            assert f["nip"].is_unique, e["file"]
            problems = [
                nip_problem(r.nip, birth_year=r.birth_year, sex=r.sex, status=r.status,
                            survey=r.survey_date)
                for r in f.dropna(subset=["birth_year"]).itertuples()
            ]
            bad = [p for p in problems if p]
            assert not bad, (e["file"], bad[:5])


def test_nips_pass_the_identifiers_module(clean, raw, manifest, mess):
    from asn_research import identifiers as ident

    for e in manifest["files"]:
        if e["instrument"] == "skm":
            continue
        f = clean[e["file"]]
        res = ident.check_nip(f["nip"].astype("str"), status=f["status"], sex=f["sex"],
                              reference_date=max(f["survey_date"]))
        assert res["ok"].all(), (e["file"], res.loc[~res["ok"], "reason"].unique()[:3])
        damaged = [d["row"] for d in mess["files"][e["file"]] if d["kind"] == "damaged_nip"]
        if damaged:
            bad = raw[e["file"]]["nip"].iloc[[r - 1 for r in damaged]].astype("str")
            assert not ident.check_nip(bad.reset_index(drop=True))["ok"].any(), e["file"]


def test_vectorized_nips_agree_with_identifiers_make_nip():
    from asn_research import identifiers as ident

    world = simulate_frames(seed=SEED, size="small").population.head(300)
    for r in world.itertuples():
        expect = ident.make_nip(r.birth_date.date(), r.tmt_date.date(), int(r.sex),
                                int(r.nip[-3:]), status=r.status,
                                round_=int(r.pppk_round) or 1)
        assert expect == r.nip


def test_every_instrument_field_appears_with_answers(clean, manifest):
    for inst_id in ("training", "merit", "skm"):
        inst = load_instrument(inst_id)
        data = stacked(clean, manifest, inst_id)
        assert list(data.columns[:-1]) == list(inst.field_names)
        empty = [f for f in inst.field_names if data[f].isna().all()]
        assert not empty, (inst_id, empty)
        for f in inst.fields:
            if f.type == "select_one":
                codes = set(data[f.name].dropna())
                assert codes <= set(inst.choices_of(f.name).values), f.name


def test_no_date_is_in_the_future_and_waves_are_in_order(clean, manifest):
    for e in manifest["files"]:
        inst = load_instrument(e["instrument"])
        f = clean[e["file"]]
        for fld in inst.fields:
            if fld.type == "date":
                d = f[fld.name].dropna()
                assert (d <= TODAY).all() and (d >= dt.date(2020, 1, 1)).all()
        if e["instrument"] == "skm":
            assert {d.strftime("%Y-%m") for d in f["survey_date"]} == {e["wave"]}
    mr = stacked(clean, manifest, "merit")
    ex = mr[mr["dlg_attended"] == 1].dropna(subset=["dlg_first_date"])
    assert (ex["dlg_first_date"] <= ex["survey_date"]).all()


def test_mess_accounting_matches_an_independent_validator(raw, manifest):
    seen_q, seen_a = set(), set()
    for e in manifest["files"]:
        inst = load_instrument(e["instrument"])
        n_bad = expected_quarantine(raw[e["file"]], inst, e["format"].startswith("kobo"))
        assert n_bad == e["expected_quarantined"], e["file"]
        seen_q |= set(e["mess"]["quarantine"])
        seen_a |= set(e["mess"]["accepted"])
    assert seen_q == QUARANTINE_KINDS
    assert seen_a == {"label_instead_of_code", "missing_optional", "extra_whitespace",
                      "mixed_case_label"}
    total = sum(e["rows"] for e in manifest["files"])
    quarantined = sum(e["expected_quarantined"] for e in manifest["files"])
    assert 0.005 < quarantined / total < 0.03


def test_mess_fraction_zero_turns_mess_off():
    skm = load_instrument("skm")
    cells = {f: np.array(["3"] * 50, dtype=object) for f in skm.field_names}
    res = inject_mess(cells, skm, np.random.default_rng(0), 0.0, duplicates=True)
    assert res.expected_quarantined == 0 and not res.accepted and not res.details
    assert all((res.cells[f] == cells[f]).all() for f in cells)
    res = inject_mess(cells, skm, np.random.default_rng(0), 0.1, duplicates=True)
    assert res.expected_quarantined > 0 and len(res.order) == 50 + res.quarantine.get(
        "duplicate", 0)


def test_simulate_frames_agrees_with_the_written_truth(truth):
    world = simulate_frames(seed=SEED, size="small")
    assert world.truth["estimands"] == truth["estimands"]
    assert world.population.attrs["synthetic"] and world.merit.attrs["synthetic"]
    assert world.population["nip"].is_unique
    assert set(world.population["kecamatan"]) <= {f"36.74.0{i}" for i in range(1, 8)}


def test_ingest_accepts_every_file_and_quarantines_only_the_messy_rows(demo_store):
    """The session's demo store ingested every simulated file (seed 2026): each file's rows
    are all read, and exactly the rows the simulator made messy are quarantined."""
    from asn_research.waves import read_manifest

    sim = json.loads((demo_store.waves_dir / "manifest.json").read_text(encoding="utf-8"))
    stored = {(e["instrument"], e["wave"]): e for e in read_manifest(demo_store.store)["ingests"]
              if e["current"]}
    assert len(stored) == len(sim["files"])
    for e in sim["files"]:
        got = stored[(e["instrument"], e["wave"])]
        assert got["synthetic"] is True, e["file"]
        assert got["rows_read"] == e["rows"], e["file"]
        assert got["rows_quarantined"] == e["expected_quarantined"], e["file"]
        assert got["rows_stored"] + got["rows_quarantined"] == got["rows_read"], e["file"]
