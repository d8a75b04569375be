"""Report pages: an executed notebook as one self-contained HTML file, and the edition index.

The page has no network asset of any kind (the JupyterLab template's require.js, MathJax
and mermaid blocks are left out; figures are embedded as PNG; CSS is inline), the code is
hidden, only the narration of the report language is kept (markdown cells tagged
``lang-id`` or ``lang-en``), and a synthetic-data banner stands at the top and bottom of
every page — also when printed — whenever any input is synthetic. Warnings and log lines
(a cell's standard error) are for the analyst: they stay in the executed notebook, not on
the page a drafter reads.
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["export_html", "write_index"]

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates"
_LANG_TAGS = {"id": "lang-id", "en": "lang-en"}
_DROP_TAGS = {"parameters", "injected-parameters", "remove", "papermill-error-cell-tag"}

BANNER = {"id": "DATA SINTETIS — dibuat dari data simulasi, bukan dari responden sungguhan",
          "en": "SYNTHETIC DATA — built from simulated data, not from real respondents"}


def _keep(cell: Mapping[str, Any], lang: str) -> bool:
    tags = set(cell.get("metadata", {}).get("tags", []))
    if tags & _DROP_TAGS:
        return False
    other = {t for code, t in _LANG_TAGS.items() if code != lang}
    return not (tags & other)


def export_html(notebook: str | Path, out: str | Path, *, lang: str, synthetic: bool,
                title: str, subtitle: str = "", footer: str = "") -> Path:
    """Write an executed notebook as a self-contained report page.

    Parameters
    ----------
    notebook : path
        The executed notebook.
    out : path
        The ``.html`` file to write.
    lang : {"id", "en"}
        Keeps the markdown cells of this language (tag ``lang-id``/``lang-en``) and those
        without a language tag.
    synthetic : bool
        Show the synthetic-data banner.
    title, subtitle, footer : str
        Page header and footer text (escaped).

    Returns
    -------
    pathlib.Path
    """
    import json

    import nbformat
    from nbformat.v4.nbjson import JSONReader

    text = Path(notebook).read_text(encoding="utf-8")
    doc = json.loads(text)
    # papermill validated the notebook as it wrote it; validating it again on reading cost
    # a third of the export (nbformat's v4 reader without the validation)
    nb = (JSONReader().to_notebook(doc) if doc.get("nbformat") == 4
          else nbformat.reads(text, as_version=4))
    nb.cells = [c for c in nb.cells if _keep(c, lang)]
    for c in nb.cells:
        if c.get("outputs"):
            c.outputs = [o for o in c.outputs
                         if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    nb.metadata["title"] = title
    resources = {"asn": {"synthetic": synthetic, "banner": BANNER[lang], "title": title,
                         "subtitle": subtitle, "footer": footer,
                         "figure_alt": FIGURE_ALT[lang]},
                 "language_code": lang}
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(body, encoding="utf-8")
    return out


FIGURE_ALT = {"id": "Gambar laporan (keterangan di bawahnya)",
              "en": "Report figure (caption below)"}
_LOCAL = threading.local()


def _exporter():
    """This thread's exporter: the templates are compiled once, not once per page."""
    exporter = getattr(_LOCAL, "exporter", None)
    if exporter is None:
        exporter = _LOCAL.exporter = _report_exporter_class()(
            template_name="asn_report", extra_template_basedirs=[str(TEMPLATES)])
        exporter.exclude_input = True
        exporter.exclude_input_prompt = True
        exporter.exclude_output_prompt = True
    return exporter


def _report_exporter_class():
    from jinja2 import pass_context as _pass_context
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportExporter(HTMLExporter):
        """nbconvert's HTML exporter without its last pass, which parses the whole page
        with BeautifulSoup to add alt texts and tab stops (half the export time of a
        table-heavy report): the ``asn_report`` template writes the alt text itself, and
        a page without code cells has no input to tab to."""

        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            self.register_filter("highlight_code", self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
            resources = self._init_resources(resources)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

        @_pass_context
        def markdown2html(self, context, source):
            # the narration is the same on every OPD's page: converted once per exporter
            if context.get("cell", {}).get("attachments"):
                return HTMLExporter.markdown2html(self, context, source)
            key = (source, context.get("resources", {}).get("metadata", {}).get("path", ""))
            done = self.__dict__.setdefault("_asn_markdown", {})
            if key not in done:
                if len(done) > 1000:
                    done.clear()
                done[key] = HTMLExporter.markdown2html(self, context, source)
            return done[key]

        def _preprocess(self, nb, resources):
            # nbconvert deep-copies the notebook and validates it after each of its twelve
            # preprocessors, the disabled ones too (40 % of a page's export). The notebook
            # here is the export's own, read from the file papermill validated on writing
            # (tests validate every rendered notebook), so the enabled ones run on it as is.
            for preprocessor in self._preprocessors:
                if getattr(preprocessor, "enabled", True):
                    nb, resources = preprocessor(nb, resources)
            return nb, resources

    return ReportExporter


def write_index(path: str | Path, *, edition: str, lang: str, synthetic: bool,
                title: str, rows: Sequence[Mapping[str, Any]],
                files: Sequence[tuple[str, str]], notes: Sequence[str] = ()) -> Path:
    """Write the edition's ``index.html``: every report (or why it failed) and every file.

    ``rows`` hold ``name``, ``title``, ``html`` (relative link or None), ``notebook``,
    ``status`` and ``error``; ``files`` are ``(label, relative link)`` pairs.
    """
    esc = html.escape
    t = {"id": {"report": "Laporan", "status": "Status", "files": "Berkas", "nb": "notebook",
                "failed": "GAGAL", "rendered": "dibuat", "cached": "tidak berubah (dari cache)",
                "kept": "tetap (tidak dibuat ulang)",
                "edition": "Edisi"},
         "en": {"report": "Report", "status": "Status", "files": "Files", "nb": "notebook",
                "failed": "FAILED", "rendered": "rendered", "cached": "unchanged (cached)",
                "kept": "kept (not rendered again)",
                "edition": "Edition"}}[lang]
    body = []
    for r in rows:
        name = esc(str(r.get("title") or r["name"]))
        link = f'<a href="{esc(r["html"])}">{name}</a>' if r.get("html") else name
        nb = (f' · <a href="{esc(r["notebook"])}">{t["nb"]}</a>' if r.get("notebook") else "")
        status = t.get(r["status"], r["status"])
        err = f'<br><span class="err">{esc(r["error"])}</span>' if r.get("error") else ""
        body.append(f"<tr><td>{link}{nb}</td><td>{esc(status)}{err}</td></tr>")
    flist = "".join(f'<li><a href="{esc(href)}">{esc(label)}</a></li>' for label, href in files)
    banner = f'<div class="asn-banner" role="alert">{esc(BANNER[lang])}</div>' if synthetic else ""
    note_html = "".join(f"<p>{esc(n)}</p>" for n in notes)
    page = f"""<!DOCTYPE html>
<html lang="{esc(lang)}"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>
body {{ font-family: sans-serif; max-width: 1000px; margin: 0 auto; padding: 0 1em; }}
.asn-banner {{ background: #b00020; color: #fff; font-weight: bold; padding: 0.5em 1em;
  position: sticky; top: 0; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: 0.3em 0.6em; }}
.err {{ color: #b00020; }}
@media print {{ .asn-banner {{ position: fixed; top: 0; left: 0; right: 0; }} }}
</style></head><body>
{banner}
<h1>{esc(title)}</h1>
<p>{esc(t['edition'])} {esc(edition)}</p>
{note_html}
<table><tr><th>{esc(t['report'])}</th><th>{esc(t['status'])}</th></tr>
{''.join(body)}
</table>
<h2>{esc(t['files'])}</h2>
<ul>{flist}</ul>
{banner}
</body></html>
"""
    p = Path(path)
    p.write_text(page, encoding="utf-8")
    return p
