"""The training_outcomes report rendered on the demo store (the session's ``rendered``).

Recovery: every catalogue estimand the report records must have its true value
(``truth.json``) inside the registered 95 % interval — all 20 are required, none excepted
(L2 with the measurement-error interval, L3 respondents with CR1 by OPD, the
retention-weighted findings with CR2 by OPD; see the report's method text and
benchmarks/results/coverage_training.json for their coverage in 400 worlds). Then the
design and wording of the statements, the headlines, and small-cell suppression in the page.
"""

from __future__ import annotations

import html
import re

import pytest

from asn_research.evidence import read_register

REPORT = "training_outcomes"
MIN_CELL = 10  # the renderer's default (--min-cell)
TOPICS = ("communication", "digital_services")
L1_L2 = {f"training.{f}{s}" for f in ("l1.satisfaction_mean", "l2.gain_mean", "l2.pre_mean",
                                      "l2.post_mean", "l2.normalized_gain")
         for s in ("", *(f".{t}" for t in TOPICS))}
L3 = {"training.l3.att_behaviour", *(f"training.l3.att_behaviour.{t}" for t in TOPICS),
      "training.l3.att_behaviour.respondents", "training.l3.att_behaviour.followup2"}
HEADLINES = {"training.l1.satisfaction_mean", "training.l2.gain_mean",
             "training.l3.att_behaviour.respondents"}


@pytest.fixture(scope="module")
def outcome(rendered):
    return next(o for o in rendered.outcomes if o.name == REPORT and not o.opd)


@pytest.fixture(scope="module")
def register(rendered):
    reg = read_register(rendered.out_dir)
    return reg[reg["report"] == REPORT].set_index("estimand")


@pytest.fixture(scope="module")
def page(rendered, outcome):
    text = (rendered.out_dir / outcome.html).read_text(encoding="utf-8")
    return re.sub(r'src="data:image/png;base64,[^"]*"', 'src=""', text)  # figures out


def test_report_rendered(outcome):
    assert outcome.status == "rendered", outcome.error
    assert outcome.html.endswith(f"{REPORT}.id.html")


def test_every_recorded_finding_covers_the_truth(register, demo_store):
    truth = demo_store.truth["estimands"]
    assert set(register.index) == L1_L2 | L3
    assert register["edition"].eq("2026-1").all() and register["synthetic"].all()
    for eid, row in register.iterrows():
        assert not row["suppressed"], eid
        assert row["confidence"] == 0.95
        assert row["ci_low"] <= truth[eid]["value"] <= row["ci_high"], (
            eid, row["ci_low"], truth[eid]["value"], row["ci_high"])
        assert row["method"] and row["assumptions"], eid


def test_designs_and_headlines(register):
    assert set(register.index[register["headline"]]) == HEADLINES
    assert register.loc[sorted(L1_L2), "design"].eq("descriptive").all()
    assert register.loc[sorted(L3), "design"].eq("causal").all()
    for eid in L1_L2 - {f"training.l1.satisfaction_mean{s}" for s in ("", ".communication",
                                                                        ".digital_services")}:
        assert "Lord 1965" in register.loc[eid, "method"], eid  # the measurement interval


def test_statements_match_the_design(register):
    for eid in L1_L2:  # a before-after change or a level: never an effect
        st_id, st_en = register.loc[eid, ["statement_id", "statement_en"]]
        assert not re.search(r"pengaruh|menaikkan|menurunkan", st_id), st_id
        assert not re.search(r"effect|raised|reduced|caused", st_en), st_en
    gain = register.loc["training.l2.gain_mean"]
    assert "rata-rata naik" in gain["statement_id"] and "rose by" in gain["statement_en"]
    for eid in L3:  # a causal claim names the identifying assumption
        row = register.loc[eid]
        st_id, st_en = row["statement_id"], row["statement_en"]
        if row["ci_low"] <= 0 <= row["ci_high"]:  # no claim: "no clear effect"
            assert st_en.startswith("No clear effect of the training"), st_en
            assert st_id.startswith("Tidak ada pengaruh yang jelas"), st_id
            continue
        assert st_en.startswith("The training raised") and "a worsening" not in st_en
        assert "tren paralel" in st_id and "parallel trends" in st_en, eid
        if eid != "training.l3.att_behaviour.respondents":  # retention-weighted
            assert "data awal yang terukur" in st_id and "measured baseline" in st_en, eid
        else:
            assert "measured baseline" not in st_en
    resp = register.loc["training.l3.att_behaviour.respondents"]
    assert resp["statement_en"].startswith("The training raised the on-the-job behaviour "
                                           "score of the trainees who answered the follow-up")
    assert "CR1" in resp["method"] and "opd" in resp["method"]
    for eid in L3 - {"training.l3.att_behaviour.respondents"}:
        assert "CR2" in register.loc[eid, "method"] or "Bell" in register.loc[eid, "method"]


def test_the_page_explains_both_intervals_and_the_correction(page):
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    assert "measurement_ci_low" in text and "99,3%" in text and "96,3%" in text
    assert "tren paralel" in text and "Holm" in text
    assert "DATA SINTETIS" in text
    assert "NaN" not in text and "<NA>" not in text  # no raw DataFrame display
    assert 'class="dataframe"' not in page


def test_small_cells_are_suppressed_in_every_table(page):
    """Every shown respondent count is 0 or at least MIN_CELL; blanked rows carry †."""
    tables = re.findall(r'<table class="asn-table">(.*?)</table>', page, re.S)
    assert len(tables) >= 15
    checked = 0
    for t in tables:
        heads = [html.unescape(h) for h in re.findall(r"<th>(.*?)</th>", t)]
        counts = [i for i, h in enumerate(heads) if h in ("n", "Jumlah")]
        for row in re.findall(r"<tr>(.*?)</tr>", t.split("</thead>", 1)[-1], re.S):
            cells = [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row)]
            for i in counts:
                value = cells[i]
                if value in ("†", "–"):
                    continue
                n = int(value.replace(".", ""))
                assert n == 0 or n >= MIN_CELL, (heads, cells)
                checked += 1
    assert checked > 100
    assert "†" in page  # the OPD and grade subgroups have small cells
