"""The policy brief: the headline findings of an edition, with the change since the last one.

:func:`headline_findings` gathers the findings the other reports of the edition marked as
headlines, beside the same estimands in the previous edition; :func:`write_brief_docx`
writes them as a one-page Word document a drafter can paste from (a synthetic-data notice
in the header of every page when the data are simulated).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ..evidence import REGISTER_FIELDS, compare_registers, format_number, read_register

__all__ = ["headline_findings", "write_brief_docx"]


def headline_findings(findings_dir: str | Path, *, previous_evidence: str | Path = "",
                      exclude: Sequence[str] = ("policy_brief",)) -> pd.DataFrame:
    """The headline findings recorded by the edition's reports, with the previous edition's.

    Parameters
    ----------
    findings_dir : path
        The folder where the edition's reports wrote their findings (the renderer's
        ``evidence_dir``).
    previous_evidence : path, optional
        The previous edition's ``evidence.json`` (``""``: none).
    exclude : sequence of str, optional
        Reports whose findings are not gathered (the brief itself).

    Returns
    -------
    pandas.DataFrame
        The register fields plus ``previous_estimate``, ``previous_edition`` and ``change``,
        one row per headline finding, ordered by report and id.
    """
    rows = []
    for f in sorted(Path(findings_dir).glob("*.findings.json")):
        doc = json.loads(f.read_text(encoding="utf-8"))
        if doc.get("report") in exclude or doc.get("opd"):
            continue
        rows += [r for r in doc.get("records", []) if r.get("headline")]
    current = pd.DataFrame(rows, columns=list(REGISTER_FIELDS))
    previous = None
    if previous_evidence and Path(previous_evidence).is_file():
        previous = read_register(previous_evidence)
    out = compare_registers(current, previous)
    return out.sort_values(["report", "id"], kind="stable").reset_index(drop=True)


def _change_text(row: pd.Series, lang: str) -> str:
    if pd.isna(row.get("previous_estimate")) or row.get("suppressed"):
        return ("belum ada edisi sebelumnya untuk dibandingkan" if lang == "id"
                else "no earlier edition to compare with")
    d = 2
    prev = format_number(float(row["previous_estimate"]), d, lang)
    change = float(row["change"])
    if lang == "id":
        word = "naik" if change > 0 else "turun" if change < 0 else "tetap"
        return f"{word} dari {prev} (edisi {row['previous_edition']})"
    word = "up" if change > 0 else "down" if change < 0 else "unchanged"
    return f"{word} from {prev} (edition {row['previous_edition']})"


def brief_lines(table: pd.DataFrame, lang: str) -> list[tuple[str, str]]:
    """(statement, change since the previous edition) for each headline finding."""
    col = "statement_id" if lang == "id" else "statement_en"
    return [(str(r[col]), _change_text(r, lang)) for _, r in table.iterrows()]


def write_brief_docx(table: pd.DataFrame, path: str | Path, *, lang: str, edition: str,
                     title: str, organisation: str, synthetic: bool) -> Path:
    """Write the brief as a Word document (``.docx``) a drafter can paste from.

    Each headline finding is one paragraph: its statement (generated from the numbers),
    then its change since the previous edition and its citation id. A synthetic-data
    notice heads every page when ``synthetic``.

    Returns
    -------
    pathlib.Path
    """
    import datetime as dt

    from docx import Document
    from docx.shared import Pt, RGBColor

    doc = Document()
    section = doc.sections[0]
    if synthetic:
        banner = ("DATA SINTETIS — dibuat dari data simulasi, bukan dari responden sungguhan"
                  if lang == "id" else
                  "SYNTHETIC DATA — built from simulated data, not from real respondents")
        for part in (section.header, section.footer):
            run = part.paragraphs[0].add_run(banner)
            run.bold = True
            run.font.color.rgb = RGBColor(0xB0, 0x00, 0x20)
    doc.add_heading(title, level=1)
    sub = doc.add_paragraph(f"{organisation} · " + ("edisi " if lang == "id" else "edition ")
                            + edition)
    sub.runs[0].font.size = Pt(10)
    if table.empty:
        doc.add_paragraph("Belum ada temuan utama." if lang == "id"
                          else "No headline findings yet.")
    for (statement, change), (_, row) in zip(brief_lines(table, lang), table.iterrows(),
                                             strict=True):
        p = doc.add_paragraph(style="List Bullet")
        p.add_run(statement)
        note = p.add_run(f" ({change}; {'kutip' if lang == 'id' else 'cite'} {row['id']})")
        note.font.size = Pt(9)
        note.italic = True
    props = doc.core_properties
    props.author = "asn-research"
    props.title = title
    props.created = props.modified = dt.datetime(2000, 1, 1)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(out))
    return out
