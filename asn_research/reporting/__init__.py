"""Report rendering: parameterized notebooks → self-contained HTML, the evidence register,
provenance and an index; the notebook-side context; the policy brief; JupyterLab.

* :func:`render_reports` — execute every notebook of an edition (``asn-research report``);
* :func:`open_report` / :class:`ReportContext` — what a notebook works with: loading the
  store up to the edition, showing suppressed and escaped tables and figures, recording
  findings;
* :func:`headline_findings`, :func:`write_brief_docx` — the policy brief;
* :func:`discover_notebooks`, :func:`notebook_parameters`, :func:`check_parameters` — the
  parameter contract;
* :func:`export_html`, :func:`lab_command`.

Analysis modules never import this package; it imports them.
"""

from .brief import headline_findings, write_brief_docx
from .context import ReportContext, opd_estimand, open_report, pemda_name, resolve_edition
from .html import export_html
from .lab import lab_command, notebook_workdir
from .params import (
    COMMON_PARAMETERS,
    NotebookParameter,
    check_parameters,
    notebook_parameters,
    notebooks_dir,
)
from .render import NotebookSpec, RenderResult, ReportOutcome, discover_notebooks, render_reports

__all__ = [
    "COMMON_PARAMETERS",
    "NotebookParameter",
    "NotebookSpec",
    "RenderResult",
    "ReportContext",
    "ReportOutcome",
    "check_parameters",
    "discover_notebooks",
    "export_html",
    "headline_findings",
    "lab_command",
    "notebook_parameters",
    "notebook_workdir",
    "notebooks_dir",
    "opd_estimand",
    "open_report",
    "pemda_name",
    "render_reports",
    "resolve_edition",
    "write_brief_docx",
]
