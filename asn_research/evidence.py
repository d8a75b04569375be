"""The evidence register: every finding of a report edition, citable by a stable id.

A finding is one estimate of one estimand of the catalogue
(:mod:`asn_research.estimands`), recorded by a report notebook with one call
(:meth:`asn_research.reporting.ReportContext.record`). Its id is
``<estimand>@<edition>``; it carries the estimate, its confidence interval, p-value and
``n``, the method and assumptions, whether it was suppressed (too few respondents), two
statements generated from the numbers (Indonesian and English: direction, size in words,
uncertainty, worded after the design's strength), the figure it belongs to and a
ready-to-paste citation.

The register of an edition is written as ``evidence.json`` (the reference), ``evidence.csv``
and ``evidence.xlsx``, sorted by id and without any timestamp: the same data and
parameters give byte-identical files.

Examples
--------
>>> from asn_research.evidence import make_record
>>> from asn_research.results import Estimate
>>> est = Estimate(estimate=-0.21, se=0.05, ci_low=-0.31, ci_high=-0.11, p_value=0.0004,
...                n_obs=1200, method="Callaway-Sant'Anna ATT")
>>> rec = make_record("dialogue.att.resistance", est, edition="2026-1",
...                   report="dialogue_resistance", min_cell=10)
>>> rec.id, rec.suppressed
('dialogue.att.resistance@2026-1', False)
>>> print(rec.statement_en)  # doctest: +ELLIPSIS
The socialization dialogues reduced resistance to change (merit system) by 0.21 points ...
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import ConfigError, InputError
from .estimands import EstimandFamily, check_estimand
from .results import Estimate

__all__ = [
    "REGISTER_FIELDS",
    "EvidenceRecord",
    "compare_registers",
    "format_number",
    "make_record",
    "read_register",
    "write_register",
]

REGISTER_FORMAT = "asn-research-evidence"
#: Fields of every record, in the order of the CSV and XLSX columns (a contract).
REGISTER_FIELDS = (
    "estimand", "id", "edition", "report", "estimate", "se", "ci_low", "ci_high",
    "confidence", "p_value", "n", "unit", "method", "assumptions", "design", "suppressed",
    "headline", "statement_id", "statement_en", "figure", "citation", "data_sha256",
    "synthetic",
)
_DESIGNS = ("causal", "associational", "descriptive")
_SIGNIFICANT = 10  # digits kept in the register: the same data give the same bytes


@dataclass(frozen=True, slots=True)
class EvidenceRecord:
    """One finding of a report edition (see the module docstring for the fields)."""

    estimand: str
    id: str
    edition: str
    report: str
    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: float
    p_value: float | None
    n: int | None
    unit: str
    method: str
    assumptions: str
    design: str
    suppressed: bool
    headline: bool
    statement_id: str
    statement_en: str
    figure: str | None
    citation: str
    data_sha256: str
    synthetic: bool

    def to_dict(self) -> dict[str, Any]:
        """The record as a plain dict, in :data:`REGISTER_FIELDS` order."""
        return {k: getattr(self, k) for k in REGISTER_FIELDS}  # every field is a scalar


# --------------------------------------------------------------------------- numbers in words


def _clean(x: Any) -> float | None:
    """A finite float rounded to 10 significant digits, or None."""
    if x is None or x is pd.NA:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(v):
        return None
    return float(f"{v:.{_SIGNIFICANT}g}")


def format_number(x: float | None, decimals: int = 2, lang: str = "id") -> str:
    """A number as a report writes it: ``3,14`` in Indonesian, ``3.14`` in English.

    Examples
    --------
    >>> format_number(1234.567, 1, "id"), format_number(1234.567, 1, "en")
    ('1.234,6', '1,234.6')
    >>> format_number(None)
    '–'
    """
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    text = f"{x:,.{decimals}f}"
    if lang == "id":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text.replace("-", "−")


def _p(p: float | None, lang: str) -> str:
    if p is None:
        return ""
    if p < 0.001:
        return "p < " + format_number(0.001, 3, lang)
    return "p = " + format_number(p, 3, lang)


def _ci(lo: float | None, hi: float | None, conf: float, d: int, lang: str) -> str:
    pct = f"{round(conf * 100):d}%"
    if lang == "id":
        return f"IK {pct} {format_number(lo, d, lang)} s.d. {format_number(hi, d, lang)}"
    return f"{pct} CI {format_number(lo, d, lang)} to {format_number(hi, d, lang)}"


def _paren(*parts: str) -> str:
    return "(" + "; ".join(p for p in parts if p) + ")"


def _n(n: int | None, lang: str) -> str:
    return "" if n is None else f"n = {format_number(n, 0, lang)}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _size(std: float | None, lang: str) -> str:
    """Size of a standardized effect in words (Cohen's conventions; say they are that)."""
    if std is None:
        return ""
    a = abs(std)
    words = {"id": ("sangat kecil", "kecil", "sedang", "besar"),
             "en": ("negligible", "small", "moderate", "large")}[lang]
    w = words[0] if a < 0.1 else words[1] if a < 0.3 else words[2] if a < 0.5 else words[3]
    d = format_number(std, 2, lang)
    return (f"besarnya {w} (d = {d})" if lang == "id" else f"a {w} effect (d = {d})")


def _hake_band(g: float | None, lang: str) -> str:
    if g is None:
        return ""
    if lang == "id":
        return "rendah" if g < 0.3 else "sedang" if g <= 0.7 else "tinggi"
    return "low" if g < 0.3 else "medium" if g <= 0.7 else "high"


def _statement(fam: EstimandFamily, lang: str, *, estimate, lo, hi, conf, p, n, design,
               assumption: str, details: Mapping[str, Any], suffix_label: str) -> str:
    d = fam.decimals
    label = fam.label(lang) + (f" ({suffix_label})" if suffix_label else "")
    unit = fam.unit_label(lang)
    num = format_number
    ci = _ci(lo, hi, conf, d, lang)
    excludes_zero = lo is not None and hi is not None and (lo > 0 or hi < 0)
    kind = fam.kind
    if kind in ("level", "ikm", "hake", "reliability"):
        extra = ""
        if kind == "ikm" and details.get("grade"):
            cat = details.get(f"category_{lang}") or ""
            grade = details["grade"]
            extra = f", mutu {grade}" if lang == "id" else f", grade {grade}"
            extra += f" ({cat})" if cat else ""
        if kind == "hake":
            band = _hake_band(estimate, lang)
            extra = (f", tergolong {band} menurut Hake (1998)" if lang == "id"
                     else f", {band} by Hake's (1998) bands")
        if kind == "reliability" and estimate is not None:
            ok = estimate >= 0.7
            low = {"id": ", di bawah 0,70: hati-hati menafsirkan skor",
                   "en": ", below 0.70: interpret scores with care"}
            extra = ((", memadai (≥ 0,70)" if lang == "id" else ", acceptable (≥ 0.70)") if ok
                     else low[lang])
        value = num(estimate, d, lang) + (f" {unit}" if unit else "")
        return f"{_cap(label)}: {value}{extra} {_paren(ci, _n(n, lang))}."
    if kind == "count":
        return f"{_cap(label)}: {num(estimate, 0, lang)} {unit}."
    sign = "" if estimate is None else ("up" if estimate > 0 else "down")
    size = _size(details.get("standardized"), lang)
    stats = _paren(ci, _p(p, lang), _n(n, lang), size)
    if kind == "change":
        if not excludes_zero:
            return (f"{_cap(label)}: tidak ada perubahan yang jelas, {num(estimate, d, lang)} "
                    f"{unit} {stats}." if lang == "id" else
                    f"{_cap(label)}: no clear change, {num(estimate, d, lang)} {unit} {stats}.")
        verb = {"id": {"up": "naik", "down": "turun"}, "en": {"up": "rose", "down": "fell"}}
        return (f"{_cap(label)}: rata-rata {verb[lang][sign]} {num(abs(estimate), d, lang)} "
                f"{unit} {stats}." if lang == "id" else
                f"{_cap(label)}: on average it {verb[lang][sign]} by "
                f"{num(abs(estimate), d, lang)} {unit} {stats}.")
    if kind in ("trend", "difference"):
        clear = {"id": ("jelas berbeda dari nol", "tidak jelas berbeda dari nol"),
                 "en": ("clearly different from zero", "not clearly different from zero")}
        word = clear[lang][0 if excludes_zero else 1]
        return f"{_cap(label)}: {num(estimate, d, lang)} {unit}, {word} {stats}."
    # effects
    cause = fam.cause_id if lang == "id" else fam.cause_en
    better = None
    if fam.better and estimate is not None and excludes_zero:
        better = (estimate > 0) == (fam.better == "higher")
    judgement = ""
    if better is not None:
        judgement = ((" — sebuah perbaikan" if better else " — sebuah kemunduran") if lang == "id"
                     else (" — an improvement" if better else " — a worsening"))
    if design == "causal":
        assume = ""
        if assumption:
            assume = (f", dengan asumsi {assumption}" if lang == "id" else
                      f", assuming {assumption}")
        if not excludes_zero:
            return (f"Tidak ada pengaruh yang jelas dari {cause} terhadap {label}: perkiraannya "
                    f"{num(estimate, d, lang)} {unit} {stats}, sejalan juga dengan tidak adanya "
                    f"pengaruh{assume}." if lang == "id" else
                    f"No clear effect of {cause} on {label}: the estimate is "
                    f"{num(estimate, d, lang)} {unit} {stats}, consistent with no effect"
                    f"{assume}.")
        verb = {"id": {"up": "menaikkan", "down": "menurunkan"},
                "en": {"up": "raised", "down": "reduced"}}[lang][sign]
        return (f"{_cap(cause)} {verb} {label} sebesar {num(abs(estimate), d, lang)} {unit} "
                f"{stats}{judgement}{assume}." if lang == "id" else
                f"{_cap(cause)} {verb} {label} by {num(abs(estimate), d, lang)} {unit} "
                f"{stats}{judgement}{assume}.")
    if not excludes_zero:
        return (f"Tidak ada hubungan yang jelas antara {cause} dan {label}: "
                f"{num(estimate, d, lang)} {unit} {stats}." if lang == "id" else
                f"No clear association between {cause} and {label}: "
                f"{num(estimate, d, lang)} {unit} {stats}.")
    more = {"id": {"up": "lebih tinggi", "down": "lebih rendah"},
            "en": {"up": "higher", "down": "lower"}}[lang][sign]
    return (f"{_cap(cause)} berhubungan dengan {label} yang {more} "
            f"{num(abs(estimate), d, lang)} {unit} {stats}{judgement}. Desain ini tidak "
            "membuktikan sebab-akibat." if lang == "id" else
            f"{_cap(cause)} is associated with {label} {more} by "
            f"{num(abs(estimate), d, lang)} {unit} {stats}{judgement}. The design does not "
            "show cause and effect.")


# --------------------------------------------------------------------------- records


def _labels(label: str | Mapping[str, str] | None) -> dict[str, str]:
    """One label per statement language, from one text or an ``{"id", "en"}`` mapping."""
    if label is None or isinstance(label, str):
        return {"id": label or "", "en": label or ""}
    if isinstance(label, Mapping) and set(label) <= {"id", "en"}:
        return {"id": str(label.get("id") or label.get("en") or ""),
                "en": str(label.get("en") or label.get("id") or "")}
    raise ConfigError(f"label must be a text or a mapping with keys 'id' and 'en'; got "
                      f"{label!r}")


def _as_estimate(result: Any) -> Estimate:
    if isinstance(result, Estimate):
        return result
    if isinstance(result, pd.DataFrame):
        if len(result) != 1:
            raise InputError(f"record one finding at a time: the table has {len(result)} rows",
                             fix="select the row of the finding, e.g. table.iloc[0] or "
                             "table.loc[table['group'] == 'x'].iloc[0]")
        result = result.iloc[0]
    if isinstance(result, (pd.Series, Mapping)):
        return Estimate.from_row(result)
    raise ConfigError("a finding is an Estimate, one row of a result table (a Series or a "
                      f"mapping with estimate, ci_low, ci_high and n_obs); got "
                      f"{type(result).__name__}")


def make_record(
    estimand: str,
    result: Estimate | pd.Series | Mapping[str, Any] | pd.DataFrame,
    *,
    edition: str,
    report: str,
    min_cell: int = 10,
    design: str | None = None,
    assumption_id: str = "",
    assumption_en: str = "",
    figure: str | None = None,
    headline: bool = False,
    synthetic: bool = False,
    data_sha256: str = "",
    citation_prefix: str = "",
    label: str | Mapping[str, str] = "",
) -> EvidenceRecord:
    """Build one evidence record from an analysis result.

    Parameters
    ----------
    estimand : str
        An id of the estimand catalogue (:func:`asn_research.estimands.check_estimand`).
    result : Estimate, or one row of a tidy result table
        The numbers: ``estimate``, ``ci_low``, ``ci_high``, ``n_obs`` (and ``se``,
        ``p_value``, ``confidence``, ``method``, ``assumptions``, ``details`` when present).
    edition : str
        The report edition (the newest wave it includes).
    report : str
        The report (notebook) name.
    min_cell : int, optional
        A finding from fewer respondents is suppressed: its numbers and its ``n`` are left
        out and its statements say why. A count (kind ``"count"``, e.g. responses per wave) is
        suppressed when ``0 < n < min_cell``: a zero discloses nobody, and a count without
        ``n`` is not about respondents.
    design : {"causal", "associational", "descriptive"}, optional
        The strength of the design; default the catalogue's. "causal" statements say
        "reduced"/"raised" and name the assumption; "associational" ones say "is associated
        with". A design stronger than the catalogue's is refused.
    assumption_id, assumption_en : str, optional
        The identifying assumption in words, for causal statements.
    figure : str, optional
        The id of the figure the finding belongs to.
    headline : bool, optional
        Put the finding in the policy brief.
    synthetic : bool, optional
        The data are synthetic; the citation says so.
    data_sha256 : str, optional
        A digest of the data the finding rests on (for the citation).
    citation_prefix : str, optional
        The reference before the finding id, e.g. "Pemerintah Kota X (2026). Laporan Y".
    label : str or mapping, optional
        Words that name the estimand's unit in statements (e.g. a topic or service unit):
        one text for both languages, or ``{"id": …, "en": …}``.

    Returns
    -------
    EvidenceRecord

    Raises
    ------
    ConfigError
        For an estimand outside the catalogue, a bad design, or a result of the wrong kind.
    """
    fam = check_estimand(estimand)
    design = design or fam.design
    if design not in _DESIGNS:
        raise ConfigError(f"design must be one of: {', '.join(map(repr, _DESIGNS))}; "
                          f"got {design!r}")
    if _DESIGNS.index(design) < _DESIGNS.index(fam.design):
        raise ConfigError(f"{estimand}: the design of this estimand is {fam.design!r}; a "
                          f"{design!r} claim is stronger than it supports")
    est = _as_estimate(result)
    n = None if est.n_obs is None else int(est.n_obs)
    if fam.kind == "count":  # e.g. 4 respondents of one OPD in a wave: a small cell too
        suppressed = n is not None and 0 < n < int(min_cell)
    else:
        suppressed = n is None or n < int(min_cell)
    values = dict(estimate=_clean(est.estimate), se=_clean(est.se), ci_low=_clean(est.ci_low),
                  ci_high=_clean(est.ci_high), p_value=_clean(est.p_value))
    if suppressed:  # the numbers and the count itself, as a suppressed table cell
        values = dict.fromkeys(values)
        n = None
        st_id = f"{_cap(fam.label_id)}: tidak ditampilkan (kurang dari {min_cell} responden)."
        st_en = f"{_cap(fam.label_en)}: not shown (fewer than {min_cell} respondents)."
    else:
        common = dict(estimate=values["estimate"], lo=values["ci_low"], hi=values["ci_high"],
                      conf=float(est.confidence), p=values["p_value"], n=n, design=design,
                      details=dict(est.details or {}))
        labels = _labels(label)
        st_id = _statement(fam, "id", assumption=assumption_id, suffix_label=labels["id"],
                           **common)
        st_en = _statement(fam, "en", assumption=assumption_en, suffix_label=labels["en"],
                           **common)
    rid = f"{estimand}@{edition}"
    citation = " ".join(x for x in (
        citation_prefix.rstrip(".") + "." if citation_prefix else "",
        f"Finding {rid}.",
        f"Data sha256 {data_sha256[:12]}." if data_sha256 else "",
        "[SYNTHETIC DATA]" if synthetic else "") if x)
    return EvidenceRecord(
        estimand=estimand, id=rid, edition=edition, report=report, **values,
        confidence=float(est.confidence), n=n, unit=fam.unit_en, method=est.method,
        assumptions=est.assumptions or assumption_en, design=design, suppressed=suppressed,
        headline=bool(headline), statement_id=st_id, statement_en=st_en, figure=figure,
        citation=citation, data_sha256=data_sha256, synthetic=bool(synthetic))


# --------------------------------------------------------------------------- the register files


def _safe_cell(value: Any) -> Any:
    """Keep spreadsheet programs from running text as a formula (CSV/XLSX injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_register(records: Iterable[EvidenceRecord], folder: str | Path, *, edition: str,
                   synthetic: bool) -> dict[str, Path]:
    """Write ``evidence.json``, ``evidence.csv`` and ``evidence.xlsx`` into ``folder``.

    Records are sorted by id; no timestamp is written, so the same records give the same
    bytes. Two records with the same id are refused.

    Returns
    -------
    dict of str to pathlib.Path
        ``{"json": …, "csv": …, "xlsx": …}``.

    Raises
    ------
    ConfigError
        If two records share an id (two reports recorded the same estimand).
    """
    recs = sorted(records, key=lambda r: r.id)
    ids = [r.id for r in recs]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ConfigError(f"findings recorded twice in edition {edition}: {', '.join(dup)}; "
                          "each estimand is recorded by one report")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows = [r.to_dict() for r in recs]
    doc = {"format": REGISTER_FORMAT, "format_version": 1, "edition": edition,
           "synthetic": bool(synthetic), "n_records": len(rows), "records": rows}
    if synthetic:
        doc["notice"] = ("SYNTHETIC DATA: these findings come from simulated survey waves, "
                         "not from real respondents.")
    out = {"json": folder / "evidence.json", "csv": folder / "evidence.csv",
           "xlsx": folder / "evidence.xlsx"}
    out["json"].write_text(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                           encoding="utf-8")
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(REGISTER_FIELDS)
    for r in rows:
        w.writerow([_safe_cell("" if r[k] is None else r[k]) for k in REGISTER_FIELDS])
    out["csv"].write_bytes(buf.getvalue().encode("utf-8-sig"))
    _write_xlsx(rows, out["xlsx"], edition=edition, synthetic=synthetic)
    return out


def _write_xlsx(rows: Sequence[Mapping[str, Any]], path: Path, *, edition: str,
                synthetic: bool) -> None:
    """The register as a workbook (XlsxWriter: twice as fast as openpyxl, which mattered for
    the 30 registers of ``--by opd``); every text is written as text, never a formula."""
    import datetime as dt

    import xlsxwriter

    options = {"strings_to_formulas": False, "strings_to_urls": False,
               "strings_to_numbers": False, "in_memory": True}  # no temporary files
    with xlsxwriter.Workbook(str(path), options) as wb:
        stamp = dt.datetime(2000, 1, 1)  # no clock in the register's files
        wb.set_properties({"title": f"Evidence register, edition {edition}",
                           "author": "asn-research", "created": stamp})
        ws = wb.add_worksheet("evidence")
        first = 0
        if synthetic:
            banner = wb.add_format({"bold": True, "font_color": "#FFFFFF",
                                    "bg_color": "#B00020"})
            ws.write_string(0, 0, "DATA SINTETIS / SYNTHETIC DATA — not real respondents",
                            banner)
            first = 1
        bold = wb.add_format({"bold": True})
        for j, name in enumerate(REGISTER_FIELDS):
            ws.write_string(first, j, name, bold)
        for i, r in enumerate(rows, start=first + 1):
            for j, name in enumerate(REGISTER_FIELDS):
                v = r[name]
                if v is None:
                    continue
                if isinstance(v, str):
                    ws.write_string(i, j, _safe_cell(v))
                elif isinstance(v, bool):
                    ws.write_boolean(i, j, v)
                else:
                    ws.write_number(i, j, v)
        ws.freeze_panes(first + 1, 0)


def read_register(path: str | Path) -> pd.DataFrame:
    """Read an ``evidence.json`` (or its folder) into a frame, one row per finding.

    Raises
    ------
    InputError
        If the file is missing or not an evidence register.
    """
    p = Path(path)
    if p.is_dir():
        p = p / "evidence.json"
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
        if doc.get("format") != REGISTER_FORMAT:
            raise ValueError
    except (OSError, ValueError, AttributeError):
        raise InputError("not an evidence register", file=str(p),
                         fix="give the evidence.json of a rendered report edition") from None
    frame = pd.DataFrame(doc["records"], columns=list(REGISTER_FIELDS))
    frame.attrs["synthetic"] = bool(doc.get("synthetic"))
    frame.attrs["edition"] = doc.get("edition")
    return frame


def compare_registers(current: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """The findings of an edition beside the same estimands in the previous edition.

    Returns
    -------
    pandas.DataFrame
        ``current`` with ``previous_estimate``, ``previous_edition`` and ``change``
        (current − previous, NA where either is missing or suppressed).
    """
    out = current.copy()
    if previous is None or previous.empty:
        out["previous_estimate"] = pd.NA
        out["previous_edition"] = pd.NA
        out["change"] = pd.NA
        return out
    prev = previous.set_index("estimand")
    out["previous_estimate"] = out["estimand"].map(prev["estimate"])
    out["previous_edition"] = out["estimand"].map(prev["edition"])
    cur = pd.to_numeric(out["estimate"], errors="coerce")
    out["change"] = cur - pd.to_numeric(out["previous_estimate"], errors="coerce")
    return out


def _field_names() -> tuple[str, ...]:  # kept in step with the dataclass (tested)
    return tuple(f.name for f in fields(EvidenceRecord))
