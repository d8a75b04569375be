"""The rendered dialogue report (notebooks/dialogue_resistance.ipynb) on the demo store.

Uses the session fixture ``rendered`` (every notebook rendered once on the synthetic demo
store, Indonesian) and ``demo_store.truth``; never renders again. All data are synthetic.
"""

from __future__ import annotations

import html
import re

import pytest

from asn_research.evidence import read_register

REPORT = "dialogue_resistance"
# Every catalogue estimand the report records, and whose true value must lie inside its
# 95% interval on the demo store: the three average effects, the dose per session and
# the event-time effects e-3 ... e3 (leads are 0 by construction). None is excepted:
# with CR2 + Satterthwaite df the intervals reached 97% coverage in the Monte Carlo
# (benchmarks/results/coverage_dialogue.json), the dose 91% (a miss is possible on
# another seed, not on seed 2026, where it is checked here).
REQUIRED = (["dialogue.att.resistance", "dialogue.att.appraisal_threat",
             "dialogue.att.merit_support", "dialogue.dose.resistance_per_session"]
            + [f"dialogue.dynamic.resistance.e{k}" for k in range(-3, 4)])


@pytest.fixture(scope="module")
def report(rendered):
    outcome = next(o for o in rendered.outcomes if o.name == REPORT and not o.opd)
    assert outcome.status in ("rendered", "cached"), outcome.error
    reg = read_register(rendered.out_dir)
    mine = reg[reg["report"] == REPORT].set_index("estimand")
    page = (rendered.out_dir / outcome.html).read_text(encoding="utf-8")
    return outcome, mine, page


def test_every_recorded_estimand_covers_the_truth(report, demo_store):
    _, mine, _ = report
    truth = demo_store.truth["estimands"]
    assert set(REQUIRED) <= set(mine.index)
    assert set(mine.index) <= set(REQUIRED), "an estimand recorded but not checked here"
    for eid in REQUIRED:
        row = mine.loc[eid]
        assert not row["suppressed"], eid
        assert row["ci_low"] <= truth[eid]["value"] <= row["ci_high"], eid


def test_headlines_and_wording_follow_the_design(report):
    _, mine, _ = report
    heads = mine[mine["headline"]]
    assert set(heads.index) == {"dialogue.att.resistance", "dialogue.att.appraisal_threat",
                                "dialogue.att.merit_support"}
    res = mine.loc["dialogue.att.resistance"]
    assert res["design"] == "causal"
    assert res["statement_id"].startswith("Dialog sosialisasi menurunkan resistensi")
    assert "tren paralel" in res["statement_id"] and "tidak ada antisipasi" in \
        res["statement_id"]
    assert res["statement_en"].startswith("The socialization dialogues reduced resistance")
    assert "parallel trends" in res["statement_en"] and "no anticipation" in \
        res["statement_en"]
    assert "menaikkan dukungan" in mine.loc["dialogue.att.merit_support", "statement_id"]
    dose = mine.loc["dialogue.dose.resistance_per_session"]
    assert dose["design"] == "associational"
    # association wording either way ("is associated with ..." or, with the CR2 interval
    # covering 0 on the demo, "no clear association"), never "reduced"
    assert "hubungan" in dose["statement_id"] and "menurunkan" not in dose["statement_id"]
    assert "associat" in dose["statement_en"] and "reduced" not in dose["statement_en"]
    for k in (-3, -2, -1):  # leads are checks, never causal claims
        assert mine.loc[f"dialogue.dynamic.resistance.e{k}", "design"] == "associational"
    # the headline uses CR2 inference with Satterthwaite degrees of freedom
    assert "CR2" in res["method"] and "Satterthwaite" in res["method"]


def test_page_shows_every_section_and_suppresses_small_cells(report, merit_waves):
    _, _, page = report
    text = html.unescape(page)
    for heading in ("1. Pengukuran", "2. Rata-rata resistensi per OPD", "3. Estimasi utama",
                    "4. Seleksi", "5. Sedikit klaster", "6. Dosis", "7. Untuk siapa",
                    "8. Semua estimasi"):
        assert heading in text, heading
    assert "Every estimate side by side" not in text  # only the page's language
    assert "DATA SINTETIS" in text
    assert "disembunyikan: kurang dari 10 responden" in text  # small OPD cells blanked
    for estimator in ("naive exposed minus unexposed", "IPW (ATT odds weights)",
                      "TWFE, wild cluster bootstrap", "mixed model",
                      "placebo: false timing", "Callaway-Sant'Anna, CR1 t(G - 1)"):
        assert estimator in text, estimator
    assert text.count("<img") >= 3  # event study, selection, robustness
    keys = set(merit_waves.frame["respondent_key"].dropna().astype(str))
    cells = set(re.findall(r"<td>([^<]*)</td>", text))
    assert not keys & cells, "a respondent pseudonym in a table"


def _row(text: str, label: str) -> list[str]:
    m = re.search(r"<tr><td>" + re.escape(label) + r"</td>((?:<td>[^<]*</td>)+)</tr>", text)
    assert m, label
    return re.findall(r"<td>([^<]*)</td>", m.group(1))


def _num(cell: str) -> float:
    return float(cell.replace(".", "").replace(",", ".").replace("\u2212", "-"))


def test_selection_scenario_is_visible(report):
    """On the simulated data the naive difference has the wrong sign; the headline not."""
    _, mine, page = report
    text = html.unescape(page)
    naive = _num(_row(text, "naive exposed minus unexposed (follow-up rows)")[1])
    head = _num(_row(text, "Callaway-Sant'Anna event study")[1])
    assert naive > 0 > head
    assert abs(head - mine.loc["dialogue.att.resistance", "estimate"]) < 0.006
    for adjusted in ("ANCOVA on the baseline outcome", "IPW (ATT odds weights)",
                     "doubly robust (weighted regression)"):
        assert _num(_row(text, adjusted)[1]) < 0, adjusted
