"""Report machinery: rendering on the demo store, the evidence register, safety, robustness,
the parameter contract, the notebooks' house rules and JupyterLab."""

from __future__ import annotations

import ast
import json
import re
import socket
import subprocess
import time
import urllib.request
import zipfile
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from click.testing import CliRunner

from asn_research import evidence, reporting
from asn_research.cli import main
from asn_research.errors import ConfigError, SyntheticDataWarning
from asn_research.privacy import suppress_small_cells
from asn_research.results import Estimate
from asn_research.waves import load_waves

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
FIXTURES = Path(__file__).parent / "notebooks"


# --------------------------------------------------------------------------- rendering


def test_every_output_exists(rendered):
    out = rendered.out_dir
    assert rendered.ok, [(o.name, o.error) for o in rendered.failed]
    assert rendered.edition == "2026-1" and rendered.synthetic
    for name in ("index.html", "evidence.json", "evidence.csv", "evidence.xlsx",
                 "provenance.json", "policy_brief.id.docx"):
        assert (out / name).is_file(), name
    for spec in reporting.discover_notebooks():
        assert (out / f"{spec.name}.id.html").is_file(), spec.name
        assert (out / "notebooks" / f"{spec.name}.ipynb").is_file(), spec.name
    # the page export trusts papermill's validation of the executed notebook
    for nb in (out / "notebooks").glob("*.ipynb"):
        nbformat.validate(nbformat.read(nb, as_version=nbformat.NO_CONVERT))
    index = (out / "index.html").read_text(encoding="utf-8")
    for spec in reporting.discover_notebooks():
        assert f'href="{spec.name}.id.html"' in index
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["edition"] == "2026-1" and prov["synthetic"] is True
    assert {s["instrument"] for s in prov["sources"]} == {"training", "merit", "skm"}
    assert all(len(s["table_sha256"]) == 64 for s in prov["sources"])
    assert prov["versions"]["pandas"] and prov["package_version"]
    assert all(r["seconds"] >= 0 for r in prov["reports"])


def test_no_page_loads_a_network_asset(rendered):
    pattern = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?"""
                         r"""(?:https?:)?//|<script[^>]*\bsrc=|@import""", re.I)
    pages = list(rendered.out_dir.rglob("*.html"))
    assert pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not pattern.search(text), (page.name, pattern.search(text).group(0))
        assert "<script" not in text.lower() or "require" not in text.lower()


def test_the_code_is_hidden_and_every_page_is_marked_synthetic(rendered):
    for page in rendered.out_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "DATA SINTETIS" in text, page.name
        assert "open_report(" not in text, page.name  # no code cell in a report page
    doc = zipfile.ZipFile(rendered.out_dir / "policy_brief.id.docx")
    header = doc.read("word/header1.xml").decode()
    assert "DATA SINTETIS" in header
    reg = json.loads((rendered.out_dir / "evidence.json").read_text())
    assert reg["synthetic"] is True and "SYNTHETIC" in reg["notice"]
    csv_text = (rendered.out_dir / "evidence.csv").read_text(encoding="utf-8-sig")
    assert csv_text.splitlines()[0].split(",")[-1] == "synthetic"
    assert all(line.endswith("True") for line in csv_text.splitlines()[1:] if line)


def test_warnings_stay_in_the_notebook_not_on_the_page(tmp_path):
    from asn_research.reporting.html import export_html

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("stream", name="stderr", text="reliability: Heywood case\n"),
        nbformat.v4.new_output("display_data", data={"text/html": "<p>the table</p>"})])])
    nbformat.write(nb, tmp_path / "n.ipynb")
    page = export_html(tmp_path / "n.ipynb", tmp_path / "n.html", lang="id", synthetic=False,
                       title="t").read_text(encoding="utf-8")
    assert "<p>the table</p>" in page and "Heywood" not in page
    assert "Heywood" in (tmp_path / "n.ipynb").read_text()  # the analyst still has it


def test_every_finding_has_every_field(rendered):
    reg = evidence.read_register(rendered.out_dir)
    assert len(reg) == rendered.n_findings > 50
    assert list(reg.columns) == list(evidence.REGISTER_FIELDS)
    assert (reg["id"] == reg["estimand"] + "@" + reg["edition"]).all()
    assert reg["id"].is_unique and (reg["edition"] == "2026-1").all()
    for col in ("statement_id", "statement_en", "method", "citation", "report", "design"):
        assert reg[col].astype(str).str.len().gt(0).all(), col
    assert reg["citation"].str.contains("2026-1").all()
    assert reg["citation"].str.contains("SYNTHETIC").all()
    published = reg[~reg["suppressed"]]
    assert published["estimate"].notna().all()
    hidden = reg[reg["suppressed"]]
    assert hidden["estimate"].isna().all()
    ids = set(reg["estimand"])
    assert "data.responses.merit.2026-1" in ids and "data.alpha.merit.resistance.2024-1" in ids


def test_two_renders_and_two_demos_give_the_same_register(rendered, demo_twin, tmp_path):
    again = reporting.render_reports(store=demo_twin.store, out=tmp_path, lang="id",
                                     force=True)
    assert again.ok
    assert (again.out_dir / "evidence.json").read_bytes() == \
        (rendered.out_dir / "evidence.json").read_bytes()
    assert (again.out_dir / "evidence.csv").read_bytes() == \
        (rendered.out_dir / "evidence.csv").read_bytes()


def test_unchanged_reports_are_not_rendered_again(rendered, demo_store, tmp_path):
    import shutil

    out = tmp_path / "reports"
    shutil.copytree(rendered.out_dir, out / rendered.edition)
    res = reporting.render_reports(store=demo_store.store, out=out, lang="id")
    assert {o.status for o in res.outcomes} == {"cached"}
    assert res.seconds < 10
    assert (res.out_dir / "evidence.json").read_bytes() == \
        (rendered.out_dir / "evidence.json").read_bytes()
    # a changed parameter (or notebook, data or package code) renders it again
    fixture = dict(store=demo_store.store, out=tmp_path / "fx", notebooks=FIXTURES,
                   only=["ok_report"], jobs=1)
    first = reporting.render_reports(**fixture)
    assert [o.status for o in reporting.render_reports(**fixture).outcomes] == ["cached"]
    changed = reporting.render_reports(**fixture, params={"threshold": 4})
    assert [o.status for o in changed.outcomes] == ["rendered"] and first.ok


def test_no_identifier_in_any_rendered_file(rendered):
    from asn_research.simulate import simulate_frames

    world = simulate_frames(seed=2026, size="small")
    names = {n.casefold() for n in world.population["name"]} | {
        n.casefold() for n in world.skm["respondent_name"].dropna()}
    nips = set(world.population["nip"])
    texts = []
    for p in rendered.out_dir.rglob("*"):
        if not p.is_file():
            continue
        if p.suffix in (".xlsx", ".docx"):
            with zipfile.ZipFile(p) as z:
                texts += [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
        elif p.suffix != ".png":
            texts.append(p.read_bytes().decode("utf-8", "replace"))
    text = "\n".join(texts)
    assert not re.search(r"(?<![0-9a-fA-F])(19|20)\d{16}(?![0-9a-fA-F])", text)
    assert not [n for n in nips if n in text]
    words = re.findall(r"[^\W\d_]+", text.casefold())
    grams = {" ".join(words[i:i + k]) for k in (2, 3) for i in range(len(words) - k + 1)}
    leaked = sorted(n for n in names if " " in n and n in grams)
    assert not leaked, leaked[:5]


def test_per_opd_reports_on_the_same_kernels(demo_store, tmp_path):
    res = reporting.render_reports(store=demo_store.store, out=tmp_path, lang="en", by="opd",
                                   opds=["dinkes", "bkpsdm"], only=["wave_overview"], jobs=1)
    assert res.ok, [o.error for o in res.failed]
    assert {(o.name, o.opd) for o in res.outcomes} == {
        ("wave_overview", ""), ("wave_overview", "dinkes"), ("wave_overview", "bkpsdm")}
    for opd in ("dinkes", "bkpsdm"):
        page = res.out_dir / "opd" / opd / f"wave_overview.{opd}.en.html"
        assert page.is_file() and "SYNTHETIC DATA" in page.read_text(encoding="utf-8")
        assert (res.out_dir / "opd" / opd / "evidence.json").is_file()
    assert 'href="opd/dinkes/index.html"' in (res.out_dir / "index.html").read_text()
    # an OPD's findings are the OPD's: their own ids, its own counts, small ones suppressed
    city = evidence.read_register(res.out_dir)
    merit = demo_store_frame(demo_store, "merit")
    for opd in ("dinkes", "bkpsdm"):
        reg = evidence.read_register(res.out_dir / "opd" / opd)
        assert not set(reg["id"]) & set(city["id"])
        assert reg["estimand"].str.contains(rf"^data\.[a-z]+\.opd-{opd}\.").all()
        stored = reg[reg["estimand"].str.startswith(f"data.responses.opd-{opd}.merit.")]
        for row in stored.itertuples():
            wave = row.estimand.rsplit(".", 1)[1]
            n = int((merit.loc[merit["wave"] == wave, "opd"] == opd).sum())
            if 0 < n < 10:
                assert row.suppressed and pd.isna(row.estimate) and pd.isna(row.n), row.id
            else:
                assert not row.suppressed and row.estimate == n == row.n, row.id
        assert reg.loc[reg["suppressed"], ["estimate", "ci_low", "n"]].isna().all().all()


def demo_store_frame(demo, instrument):
    with pytest.warns(SyntheticDataWarning):
        return load_waves(instrument, store=demo.store).frame


def test_opd_estimand_ids_and_the_opd_quarantine(demo_store):
    assert reporting.opd_estimand("service.ikm.bapenda_pbb.2024-03", "bapenda") == (
        "service.ikm.opd-bapenda.bapenda_pbb.2024-03")
    with pytest.raises(ConfigError, match="not in the estimand catalogue"):
        reporting.opd_estimand("data.nothing.x", "dinkes")
    city = reporting.open_report("wave_overview", store=str(demo_store.store))
    one = reporting.open_report("wave_overview", store=str(demo_store.store), opd="dinkes")
    for inst in ("merit", "skm"):
        whole, part = city.load_quarantine(inst), one.load_quarantine(inst)
        assert list(whole) == list(part)
        column = "opd" if inst == "merit" else "service_unit"
        for w in whole:
            assert len(part[w]) <= len(whole[w])
            if inst == "merit":
                assert (part[w]["opd"].astype(str).str.strip() == "dinkes").all()
        assert sum(len(t) for t in part.values()) < sum(len(t) for t in whole.values())
        assert column in next(iter(part.values())).columns
    # an OPD without a service unit has no SKM part: its report leaves SKM out
    assert city.has("skm") and one.has("merit") and not one.has("skm")
    assert reporting.open_report("x", store=str(demo_store.store), opd="bapenda").has("skm")


# --------------------------------------------------------------------------- robustness


def test_a_failing_notebook_leaves_the_others_rendered(demo_store, tmp_path):
    # one kernel: the failure must not touch the report rendered after it on that kernel
    res = reporting.render_reports(store=demo_store.store, out=tmp_path, notebooks=FIXTURES,
                                   jobs=1)
    status = {o.name: o for o in res.outcomes}
    assert status["ok_report"].status == "rendered"
    assert status["broken_report"].status == "failed" and not res.ok
    assert "ValueError: a deliberate failure (threshold 3)" in status["broken_report"].error
    assert (res.out_dir / "notebooks" / "broken_report.ipynb").is_file()  # kept
    assert (res.out_dir / "ok_report.id.html").is_file()
    index = (res.out_dir / "index.html").read_text(encoding="utf-8")
    assert "GAGAL" in index and "deliberate failure" in index
    reg = evidence.read_register(res.out_dir)
    assert reg["report"].tolist() == ["ok_report"]
    # the command line says so in one line and exits non-zero
    r = CliRunner().invoke(main, ["report", "--store", str(demo_store.store), "--out",
                                  str(tmp_path / "cli"), "--notebooks", str(FIXTURES),
                                  "--only", "broken_report"])
    assert r.exit_code == 7
    assert "FAILED broken_report: cell" in r.output and "Traceback" not in r.output


def test_unknown_and_mistyped_parameters_are_refused(demo_store, tmp_path):
    with pytest.raises(ConfigError, match="no selected report notebook has a parameter"):
        reporting.render_reports(store=demo_store.store, out=tmp_path, notebooks=FIXTURES,
                                 params={"treshold": 2})
    with pytest.raises(ConfigError, match="threshold must be int"):
        reporting.render_reports(store=demo_store.store, out=tmp_path, notebooks=FIXTURES,
                                 params={"threshold": "three"})
    with pytest.raises(ConfigError, match="set by the renderer"):
        reporting.render_reports(store=demo_store.store, out=tmp_path, notebooks=FIXTURES,
                                 params={"lang": "en"})
    with pytest.raises(ConfigError, match="no report notebook named"):
        reporting.render_reports(store=demo_store.store, out=tmp_path, only=["nope"])
    r = CliRunner().invoke(main, ["report", "--store", str(demo_store.store), "--out",
                                  str(tmp_path), "--notebooks", str(FIXTURES), "-p",
                                  "threshold=x"])
    assert r.exit_code == 2 and "threshold must be int" in r.output
    assert not list(tmp_path.glob("*/index.html"))  # nothing rendered


def test_report_help_lists_every_notebooks_parameters():
    r = CliRunner().invoke(main, ["report", "--help"])
    assert r.exit_code == 0
    for spec in reporting.discover_notebooks():
        assert spec.name in r.output
    assert "min_cell: int = 10" in r.output


def test_a_hand_run_notebook_is_checked_like_a_rendered_one(demo_store):
    with pytest.raises(ConfigError, match="lang must be one of"):
        reporting.open_report("x", store=str(demo_store.store), lang="ind")
    with pytest.raises(ConfigError, match="min_cell"):
        reporting.open_report("x", store=str(demo_store.store), min_cell=0)
    with pytest.raises(ConfigError, match="add --by opd"):
        reporting.render_reports(store=demo_store.store, opds=["dinkes"])
    with pytest.raises(ConfigError, match="opd must be one of"):
        reporting.open_report("x", store=str(demo_store.store), opd="dinas_x")
    with pytest.raises(ConfigError, match="calendar"):
        reporting.open_report("x", store=str(demo_store.store), edition="2026-13")
    ctx = reporting.open_report("x", store=str(demo_store.store))
    assert ctx.edition == "2026-1"  # the newest wave (a semester before its last month)


def test_findings_are_written_once_a_cell_has_run(demo_store, tmp_path):
    """In IPython the findings file is written after the cell that recorded them (once,
    however many findings); in plain Python when the next report opens."""
    from IPython.core.interactiveshell import InteractiveShell

    from asn_research.reporting import context

    shell = InteractiveShell.instance()
    try:
        shell.user_ns.update(store=str(demo_store.store), out=str(tmp_path / "ipy"))
        writes = []
        real = context.ReportContext._save
        context.ReportContext._save = lambda self: (writes.append(1), real(self))[1]
        try:
            ok = shell.run_cell(
                "from asn_research import reporting\n"
                "ctx = reporting.open_report('x', store=store, evidence_dir=out)\n"
                "for k in range(200):\n"
                "    ctx.record('data.responses.merit.2025-1' if k % 2 else\n"
                "               'data.responses.merit.2026-1',\n"
                "               {'estimate': k, 'n_obs': 50, 'ci_low': None, 'ci_high': None,\n"
                "                'method': 'count'}, show=False)\n")
        finally:
            context.ReportContext._save = real
        assert ok.success, ok.error_in_exec
        assert len(writes) == 1  # not 200
        doc = json.loads((tmp_path / "ipy" / "x.findings.json").read_text())
        assert [r["estimate"] for r in doc["records"]] == [199.0, 198.0]  # the last of each
    finally:
        InteractiveShell.clear_instance()
        context._ACTIVE.clear()
    plain = reporting.open_report("y", store=str(demo_store.store),
                                  evidence_dir=str(tmp_path / "py"))
    plain.record("data.responses.merit.2026-1",
                 {"estimate": 5, "ci_low": None, "ci_high": None, "n_obs": 50, "method": "c"},
                 show=False)
    assert not (tmp_path / "py" / "y.findings.json").exists()  # pending until the cell ends
    reporting.open_report("z", store=str(demo_store.store))
    assert (tmp_path / "py" / "y.findings.json").is_file()
    context._ACTIVE.clear()


def test_a_kernel_reads_the_same_waves_once_while_the_store_is_unchanged(demo_store, tmp_path,
                                                                          monkeypatch):
    import shutil

    import asn_research.waves as waves_api

    store = tmp_path / "store"
    shutil.copytree(demo_store.store, store)
    reads = []
    real = waves_api.load_waves
    monkeypatch.setattr(waves_api, "load_waves",
                        lambda *a, **k: (reads.append(a), real(*a, **k))[1])
    first = reporting.open_report("x", store=str(store), edition="2025-1")
    a = first.load("merit")
    a.frame.loc[0, "resistance"] = -99.0  # a notebook changing its copy
    b = reporting.open_report("y", store=str(store), edition="2025-1", opd="dinkes").load("merit")
    c = reporting.open_report("z", store=str(store), edition="2025-1").load("merit")
    assert len(reads) == 1 and c.frame["resistance"].min() > 0
    assert set(b.frame["opd"]) == {"dinkes"}
    assert a.waves == c.waves == ["2024-1", "2024-2", "2025-1"]
    assert list(first.load_quarantine("merit")) == ["2024-1", "2024-2", "2025-1"]
    q = first.load_quarantine("merit")["2024-1"]
    reason = q.loc[0, "reasons"]
    q.loc[0, "reasons"] = "changed by a notebook"
    a.sources.loc[0, "rows_stored"] = -1
    assert first.load_quarantine("merit")["2024-1"].loc[0, "reasons"] == reason
    assert (first.load("merit").sources["rows_stored"] > 0).all()
    waves_api.remove_wave("merit", "2024-1", store=store)  # the store changed: read again
    d = reporting.open_report("w", store=str(store), edition="2025-1").load("merit")
    assert len(reads) == 2 and d.waves == ["2024-2", "2025-1"]
    again = reporting.open_report("v", store=str(store), edition="2025-1")
    assert list(again.load_quarantine("merit")) == ["2024-2", "2025-1"]


# --------------------------------------------------------------------------- safety


def test_small_cells_are_hidden_also_through_margins():
    t = pd.DataFrame({"opd": list("aabbcc"), "wave": ["1", "2"] * 3,
                      "n_obs": [3, 40, 25, 30, 12, 50], "mean": [4.0, 3.1, 3.2, 3.3, 3.4, 3.5]})
    out = suppress_small_cells(t, count="n_obs", lines=[["wave"], ["opd"]])
    assert out.loc[0, "suppressed"] and pd.isna(out.loc[0, "mean"])
    for line in ("wave", "opd"):
        per_line = out.groupby(line)["suppressed"].sum()
        assert (per_line != 1).all(), per_line  # no line with exactly one hidden cell


@pytest.mark.parametrize("seed", range(25))
def test_complementary_suppression_property(seed):
    import numpy as np

    rng = np.random.default_rng(seed)
    n_r, n_c = rng.integers(2, 6, size=2)
    t = pd.DataFrame([(f"r{r}", f"c{c}", int(rng.choice([0, 1, 3, 8, 12, 40, 90])))
                      for r in range(n_r) for c in range(n_c)], columns=["r", "c", "n_obs"])
    out = suppress_small_cells(t, count="n_obs", min_cell=10, lines=["r", "c"])
    assert out.loc[(t["n_obs"] > 0) & (t["n_obs"] < 10), "suppressed"].all()
    published = out.loc[~out["suppressed"], "n_obs"]
    assert ((published == 0) | (published >= 10)).all()
    for line in ("r", "c"):
        hidden = out.groupby(line)["suppressed"].sum()
        nonzero = t.assign(nz=t["n_obs"] > 0).groupby(line)["nz"].sum()
        assert ((hidden != 1) | (nonzero <= 1)).all()


def test_tables_are_suppressed_escaped_and_in_the_report_language(demo_store):
    ctx = reporting.open_report("x", store=str(demo_store.store), lang="id")
    table = pd.DataFrame({"unit": ["<script>alert(1)</script>", "b & c"], "n_obs": [4, 1234],
                          "estimate": [3.14159, 2.5]})
    shown = ctx.suppress(table)
    html = ctx.table_html(shown)
    assert "<script>" not in html and "&lt;script&gt;" in html and "b &amp; c" in html
    assert "3,14" not in html and "1.234" in html and "2,50" in html  # id number format
    assert "†" in html and "kurang dari 10 responden" in html
    # codes the drafter does not know are shown by name: scales by their label
    scales = pd.DataFrame({"scale": ["appraisal_threat", "no_such_scale"], "n_obs": [50, 60]})
    html = ctx.table_html(ctx.suppress(scales))
    assert "Persepsi ancaman penilaian kinerja" in html and "no_such_scale" in html
    assert "appraisal_threat" not in html


def test_csv_and_xlsx_never_carry_a_formula(tmp_path):
    est = Estimate(estimate=1.0, se=0.1, ci_low=0.8, ci_high=1.2, p_value=0.01, n_obs=50,
                   method="=HYPERLINK(\"http://x\",\"click\")")
    rec = evidence.make_record("service.channel_gap", est, edition="2026-1", report="r")
    paths = evidence.write_register([rec], tmp_path, edition="2026-1", synthetic=False)
    assert "'=HYPERLINK" in paths["csv"].read_text(encoding="utf-8-sig")
    import openpyxl

    ws = openpyxl.load_workbook(paths["xlsx"]).active
    values = [c.value for row in ws.iter_rows() for c in row]
    assert "'=HYPERLINK(\"http://x\",\"click\")" in values
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)


def test_the_xlsx_register_holds_the_json_register(tmp_path):
    import openpyxl

    est = Estimate(estimate=-0.25, se=0.05, ci_low=-0.35, ci_high=-0.15, p_value=1e-5,
                   n_obs=400, method="m")
    small = Estimate(estimate=0.8, se=None, ci_low=None, ci_high=None, p_value=None, n_obs=4,
                     method="alpha")
    recs = [evidence.make_record("dialogue.att.resistance", est, edition="2026-1",
                                 report="d", headline=True),
            evidence.make_record("data.alpha.merit.appraisal_threat.2024-1", small,
                                 edition="2026-1", report="w")]
    paths = evidence.write_register(recs, tmp_path, edition="2026-1", synthetic=True)
    rows = list(openpyxl.load_workbook(paths["xlsx"]).active.iter_rows(values_only=True))
    assert "SYNTHETIC" in rows[0][0]
    assert list(rows[1]) == list(evidence.REGISTER_FIELDS)
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))["records"]
    assert [dict(zip(rows[1], r, strict=True)) for r in rows[2:]] == doc
    again = evidence.write_register(recs, tmp_path / "again", edition="2026-1", synthetic=True)
    assert again["xlsx"].read_bytes() == paths["xlsx"].read_bytes()  # no clock inside


# --------------------------------------------------------------------------- the register


def test_small_counts_are_suppressed_like_small_estimates():
    def count(n, estimate):
        est = Estimate(estimate=estimate, se=None, ci_low=None, ci_high=None, p_value=None,
                       n_obs=n, method="count")
        return evidence.make_record("data.responses.merit.2024-1", est, edition="2026-1",
                                    report="r")

    small = count(4, 4)
    assert small.suppressed and small.estimate is None and small.n is None
    assert "4" not in small.statement_id + small.statement_en
    for n in (0, 10, 250):  # a zero discloses nobody
        rec = count(n, n)
        assert not rec.suppressed and rec.estimate == n and rec.n == n
    alpha = evidence.make_record(
        "data.alpha.merit.appraisal_threat.2024-1",
        Estimate(estimate=0.8, se=None, ci_low=0.7, ci_high=0.9, p_value=None, n_obs=7,
                 method="alpha"), edition="2026-1", report="r")
    assert alpha.suppressed and alpha.n is None and alpha.ci_low is None


def test_statements_follow_the_design_strength():
    est = Estimate(estimate=-0.25, se=0.05, ci_low=-0.35, ci_high=-0.15, p_value=1e-5,
                   n_obs=900, method="CS")
    causal = evidence.make_record("dialogue.att.resistance", est, edition="2026-1", report="d",
                                  assumption_en="parallel trends", assumption_id="tren paralel")
    assert causal.statement_en.startswith("The socialization dialogues reduced resistance")
    assert "assuming parallel trends" in causal.statement_en
    assert "menurunkan" in causal.statement_id and "tren paralel" in causal.statement_id
    weaker = evidence.make_record("dialogue.att.resistance", est, edition="2026-1",
                                  report="d", design="associational")
    assert "is associated with" in weaker.statement_en
    assert "does not show cause" in weaker.statement_en
    with pytest.raises(ConfigError, match="stronger than it supports"):
        evidence.make_record("service.channel_gap", est, edition="2026-1", report="s",
                             design="causal")
    null = Estimate(estimate=-0.02, se=0.05, ci_low=-0.12, ci_high=0.08, p_value=0.7,
                    n_obs=900, method="CS")
    rec = evidence.make_record("dialogue.att.resistance", null, edition="2026-1", report="d",
                               assumption_en="parallel trends", assumption_id="tren paralel")
    assert rec.statement_en.startswith("No clear effect") and "consistent with no" in \
        rec.statement_en
    assert "assuming parallel trends" in rec.statement_en  # a null keeps its assumption too
    assert "dengan asumsi tren paralel" in rec.statement_id


def test_a_label_can_differ_by_statement_language():
    est = Estimate(estimate=0.3, se=0.05, ci_low=0.2, ci_high=0.4, p_value=1e-4, n_obs=300,
                   method="DiD")
    rec = evidence.make_record("training.l3.att_behaviour.respondents", est, edition="2026-1",
                               report="t", label={"id": "komunikasi", "en": "communication"})
    assert "(komunikasi)" in rec.statement_id and "(communication)" in rec.statement_en
    assert "communication" not in rec.statement_id
    with pytest.raises(ConfigError, match="label must be"):
        evidence.make_record("training.l3.att_behaviour.respondents", est, edition="2026-1",
                             report="t", label={"fr": "x"})


def test_a_finding_from_few_respondents_is_suppressed():
    est = Estimate(estimate=81.2, se=1.0, ci_low=79.0, ci_high=83.4, p_value=None, n_obs=7,
                   method="IKM")
    rec = evidence.make_record("service.ikm.bapenda_pbb.2024-03", est, edition="2026-1",
                               report="s", min_cell=10)
    assert rec.suppressed and rec.estimate is None and rec.ci_low is None
    assert "fewer than 10 respondents" in rec.statement_en
    assert "81" not in rec.statement_en + rec.statement_id


def test_the_register_is_sorted_without_a_clock_and_refuses_duplicates(tmp_path):
    est = Estimate(estimate=1.0, se=0.1, ci_low=0.8, ci_high=1.2, p_value=0.01, n_obs=50,
                   method="m")
    recs = [evidence.make_record(e, est, edition="2026-1", report="r")
            for e in ("service.channel_gap", "dialogue.att.resistance")]
    evidence.write_register(recs, tmp_path / "a", edition="2026-1", synthetic=False)
    evidence.write_register(recs[::-1], tmp_path / "b", edition="2026-1", synthetic=False)
    for name in ("evidence.json", "evidence.csv", "evidence.xlsx"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    ids = [r["id"] for r in json.loads((tmp_path / "a" / "evidence.json").read_text())[
        "records"]]
    assert ids == sorted(ids)
    with pytest.raises(ConfigError, match="recorded twice"):
        evidence.write_register(recs + recs[:1], tmp_path / "c", edition="2026-1",
                                synthetic=False)


def test_an_estimand_outside_the_catalogue_is_refused():
    est = Estimate(1.0, 0.1, 0.8, 1.2, 0.01, 50, "m")
    with pytest.raises(ConfigError, match="did you mean dialogue.att.resistance"):
        evidence.make_record("dialogue.att.resistence", est, edition="2026-1", report="r")


def test_changes_since_the_previous_edition():
    cur = pd.DataFrame({"estimand": ["a", "b"], "estimate": [2.0, None], "edition": ["2", "2"]})
    prev = pd.DataFrame({"estimand": ["a", "b"], "estimate": [1.5, 1.0], "edition": ["1", "1"]})
    out = evidence.compare_registers(cur, prev)
    assert out["change"].iloc[0] == 0.5 and pd.isna(out["change"].iloc[1])


# --------------------------------------------------------------------------- notebooks


def _nb(path):
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebooks_follow_the_house_rules(path):
    nb = _nb(path)
    cells = nb["cells"]
    params = [c for c in cells if "parameters" in c["metadata"].get("tags", [])]
    assert len(params) == 1
    names = [p.name for p in reporting.notebook_parameters(path)]
    assert set(reporting.COMMON_PARAMETERS) <= set(names)
    meta = nb["metadata"]["asn_research"]
    assert meta["title_id"] and meta["title_en"]
    for c in cells:
        src = "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        if c["cell_type"] == "code":
            assert not c.get("outputs") and c.get("execution_count") is None, "outputs"
            tree = ast.parse(src)
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                    assert node.end_lineno - node.lineno + 1 <= 3, f"long def in {path.name}"
                if isinstance(node, ast.Import):
                    assert all(a.name.split(".")[0] in ("asn_research", "IPython")
                               for a in node.names), src
                if isinstance(node, ast.ImportFrom):
                    assert (node.module or "").split(".")[0] in ("asn_research", "IPython"), src
            assert "np.random" not in src and "pd.read_" not in src and "open(" not in src
            assert not re.search(r"""["'](/|[A-Za-z]:\\\\|\.\./|~/)""", src), "a file path"
        else:
            tags = set(c["metadata"].get("tags", []))
            assert tags & {"lang-id", "lang-en"}, f"markdown without a language tag: {src[:40]}"
    md_id = sum("lang-id" in c["metadata"].get("tags", []) for c in cells)
    md_en = sum("lang-en" in c["metadata"].get("tags", []) for c in cells)
    assert md_id == md_en, "every narration in both languages"


def test_parameters_cells_are_parsed_and_malformed_ones_refused():
    ok = reporting.params.parse_parameters_source('a: int = 3  # help\nb: bool = True')
    assert [(p.name, p.type, p.default, p.help) for p in ok] == [
        ("a", "int", 3, "help"), ("b", "bool", True, "")]
    for bad in ("a = 3", "a: list = []", "a: int = 'x'", "a: int = f()"):
        with pytest.raises(ConfigError):
            reporting.params.parse_parameters_source(bad)


# --------------------------------------------------------------------------- JupyterLab


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_lab_starts_answers_and_stops(demo_store, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    import os

    port = _free_port()
    cmd, env = reporting.lab_command(store=demo_store.store, edition="2025-2", port=port,
                                     browser=False, notebook_dir=NOTEBOOKS, token="t0ken")
    assert env["ASN_RESEARCH_STORE"] == str(demo_store.store.resolve())
    assert env["ASN_RESEARCH_EDITION"] == "2025-2"
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 90
        status = None
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api?token=t0ken",
                                            timeout=2) as r:
                    status = r.status
                    body = json.loads(r.read())
                break
            except OSError:
                time.sleep(0.5)
        assert status == 200 and "version" in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents?token=t0ken",
                                    timeout=5) as r:
            listing = json.loads(r.read())
        assert "wave_overview.ipynb" in {c["name"] for c in listing["content"]}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert proc.returncode is not None


def test_quarantine_reasons_are_grouped_and_stay_readable():
    from asn_research.overview import quarantine_summary, reason_kind

    q = {"2024-1": pd.DataFrame({
        "columns": ["sex", "sex; nip", "nip", "_uuid", "_uuid"],
        "reasons": ["code 7 is not one of the allowed codes 1–2",
                    "code 9 is not one of the allowed codes 1–2; the serial number of the NIP "
                    "(digits 16–18) is 000, which is never issued",
                    "the NIP has 17 digits, one fewer than 18: a digit is missing",
                    "duplicate submission: same _uuid as row 3",
                    "duplicate submission: same _uuid as row 12"]})}
    out = quarantine_summary(q)
    got = {(r.column, r.reason): r.n_obs for r in out.itertuples()}
    assert got == {("sex", "code is not one of the allowed codes"): 2,
                   ("_uuid", "duplicate submission: same _uuid as row"): 2,
                   ("nip", "the serial number of the NIP (digits 16–18) is 000, which is "
                           "never issued"): 1,
                   ("nip", "the NIP has 17 digits, one fewer than 18: a digit is missing"): 1}
    row = reason_kind("row has 5 of 40 fields (file cut off or a missing separator?)")
    assert row == "row has 5 of 40 fields (file cut off or a missing separator?)"
    assert reason_kind("above the maximum 100") == "above the maximum"


def test_quarantine_reasons_and_refusals_are_in_indonesian(demo_store):
    from asn_research.overview import reason_kind
    from asn_research.reporting.labels import reason_label
    from asn_research.waves import read_manifest, read_quarantine

    kinds = set()
    for e in read_manifest(demo_store.store)["ingests"]:
        q = read_quarantine(e["instrument"], e["wave"], store=demo_store.store)
        kinds |= {reason_kind(part) for r in q["reasons"].dropna() for part in r.split("; ")}
    assert len(kinds) >= 5
    untranslated = [k for k in kinds if reason_label(k, "id") == k]
    assert not untranslated, untranslated  # every kind the demo produces has its text
    assert all(reason_label(k, "en") == k for k in kinds)
    ctx = reporting.open_report("x", store=str(demo_store.store), lang="id")
    table = pd.DataFrame({"reason": ["required answer is missing", "something new"],
                          "refused": ["fewer than 10 respondents answered every item, too few "
                                      "for an estimate", pd.NA], "n_obs": [12, 15]})
    html = ctx.table_html(ctx.suppress(table))
    assert "jawaban wajib kosong" in html and "something new" in html
    assert "kurang dari 10 responden menjawab semua butir" in html
