"""Deliberate mess in a small fraction of rows, with exact bookkeeping of what ingest must do.

Two kinds of mess are injected into the rendered (all-text) cells of a wave file:

*Rows that validation must quarantine* (exactly one problem per row):

``missing_required``
    A required answer is blank (e.g. ``nip``, ``opd``, ``sex``, ``survey_date``,
    ``dlg_attended``, ``group``, ``service_unit``, ``channel``).
``out_of_range``
    An ordinal item holds the code one above the scale maximum (7 on a 1–6 item,
    6 on a 1–5 item, 5 on an SKM 1–4 item).
``duplicate``
    The same submission twice (same NIP in an ASN wave; same ``_uuid`` in a Kobo
    export). The first occurrence is kept, so a duplicated pair counts as one
    quarantined row; neither copy carries any other mess.
``damaged_nip``
    An NIP mangled by Excel: scientific notation (``1.98503E+17``; in XLSX a number
    whose last three digits are zero) or a lost digit (17 digits).
``required_when``
    A conditional answer is blank although its condition holds
    (``dlg_attended = 1`` without ``dlg_sessions``; ``group = trained`` without
    ``training_topic``).

*Mess that must be accepted*: ``label_instead_of_code`` (Indonesian or English label,
any case), ``missing_optional`` (a blank optional answer), ``extra_whitespace``
around an answer, ``mixed_case_label``.

Examples
--------
>>> import numpy as np
>>> from asn_research.instruments import load_instrument
>>> from asn_research.simulate.mess import inject_mess
>>> skm = load_instrument("skm")
>>> cells = {f: np.array(["3"] * 100, dtype=object) for f in skm.field_names}
>>> cells["service_unit"][:] = "bapenda_pbb"; cells["channel"][:] = "walk_in"
>>> cells["survey_date"][:] = "2024-01-05"
>>> res = inject_mess(cells, skm, np.random.default_rng(1), 0.05, duplicates=False)
>>> res.expected_quarantined == sum(res.quarantine.values())
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..instruments import Instrument

__all__ = ["ACCEPTED_KINDS", "QUARANTINE_KINDS", "MessResult", "inject_mess"]

QUARANTINE_KINDS = ("missing_required", "out_of_range", "duplicate", "damaged_nip",
                    "required_when")
ACCEPTED_KINDS = ("label_instead_of_code", "missing_optional", "extra_whitespace",
                  "mixed_case_label")


@dataclass(frozen=True, slots=True)
class MessResult:
    """Messed cells and the bookkeeping of one chunk of a wave file.

    Attributes
    ----------
    cells : dict of str to numpy.ndarray
        Field → text cells, in output row order (duplicates inserted).
    order : numpy.ndarray
        For each output row, the index of its source row.
    numeric_nip_rows : numpy.ndarray
        Output rows whose NIP must be written as a number in XLSX (Excel damage).
    quarantine, accepted : dict of str to int
        Rows per mess kind.
    details : list of dict
        One entry per messy row: ``row`` (0-based output row), ``kind``, ``column``.
    """

    cells: dict[str, np.ndarray]
    order: np.ndarray
    numeric_nip_rows: np.ndarray
    quarantine: dict[str, int] = field(default_factory=dict)
    accepted: dict[str, int] = field(default_factory=dict)
    details: list[dict] = field(default_factory=list)

    @property
    def expected_quarantined(self) -> int:
        """Rows ingest must quarantine (a duplicated pair counts once)."""
        return int(sum(self.quarantine.values()))


def _stochastic_round(rng: np.random.Generator, x: float) -> int:
    return int(np.floor(x + rng.random()))


def _case_variant(rng: np.random.Generator, text: str) -> str:
    k = int(rng.integers(0, 3))
    return text.upper() if k == 0 else text.lower() if k == 1 else text.title()


def inject_mess(
    cells: dict[str, np.ndarray],
    instrument: Instrument,
    rng: np.random.Generator,
    fraction: float,
    *,
    duplicates: bool,
    xlsx: bool = False,
    labels: bool = False,
) -> MessResult:
    """Inject mess into ``fraction`` of the rows (and as much accepted mess twice over).

    Parameters
    ----------
    cells : dict of str to numpy.ndarray
        Field → text cells (object arrays; ``""`` = blank), as rendered for the file.
    instrument : Instrument
        Defines required, conditional, ordinal and identifier fields.
    rng : numpy.random.Generator
        The mess stream of this file and chunk.
    fraction : float
        Expected share of rows to be quarantined (0 turns all mess off).
    duplicates : bool
        Whether duplicated submissions can be detected in this file (ASN instruments
        via the NIP, SKM only in Kobo exports via ``_uuid``).
    xlsx : bool, optional
        The file is an XLSX: a scientific-notation NIP becomes a number cell.
    labels : bool, optional
        Answers are already labels (then ``label_instead_of_code`` does not apply).

    Returns
    -------
    MessResult
    """
    n = len(next(iter(cells.values())))
    cells = {k: v.copy() for k, v in cells.items()}
    quarantine: dict[str, int] = {}
    accepted: dict[str, int] = {}
    details: list[dict] = []
    numeric_nip: list[int] = []
    if fraction <= 0 or n == 0:
        return MessResult(cells, np.arange(n), np.empty(0, np.int64))

    f_by = {f.name: f for f in instrument.fields}
    nip_field = next((f.name for f in instrument.fields if f.type == "nip"), None)
    ordinal_items = [
        f.name for f in instrument.fields
        if f.type == "select_one" and instrument.choices_of(f.name).ordinal
        and instrument.choices_of(f.name).min_value >= 1
    ]
    selects = [f.name for f in instrument.fields if f.type == "select_one"]
    required = list(instrument.required_fields)
    conditional = [f for f in instrument.fields if f.required_when]
    optional = [
        f.name for f in instrument.fields
        if not f.required and not f.required_when and f.type != "select_multiple"
    ]

    kinds = ["missing_required", "out_of_range"]
    if duplicates:
        kinds.append("duplicate")
    if nip_field is not None:
        kinds.append("damaged_nip")
    if conditional:
        kinds.append("required_when")

    used = np.zeros(n, bool)
    k_q = min(_stochastic_round(rng, n * fraction), n // 3)
    # Every applicable kind once (in random order) before any kind repeats.
    perm = [kinds[int(j)] for j in rng.permutation(len(kinds))]
    extra = [kinds[int(j)] for j in rng.integers(0, len(kinds), max(k_q - len(kinds), 0))]
    plan = (perm + extra)[:k_q]
    # Rows whose condition holds, per conditional field (computed before any change).
    cond_mask = {}
    for f in conditional:
        trig, vals = f.required_when["field"], f.required_when["in"]
        ok = {str(v) for v in vals}
        if f_by[trig].list_name:
            ok |= {c.label(lang) for c in instrument.choices_of(trig).choices
                   if c.value in vals for lang in ("id", "en")}
        cond_mask[f.name] = np.isin(cells[trig], sorted(ok)) & (cells[f.name] != "")
    dup_pairs: list[tuple[int, int]] = []  # (source row, insert position)

    def pick(mask: np.ndarray) -> int | None:
        pool = np.flatnonzero(mask & ~used)
        if pool.size == 0:
            return None
        r = int(pool[rng.integers(0, pool.size)])
        used[r] = True
        return r

    def label_of(fname: str, value: str) -> str | None:
        cl = instrument.choices_of(fname)
        for c in cl.choices:
            if str(c.value) == value:
                return c.label("id" if rng.random() < 0.7 else "en")
        return None

    for kind in plan:
        if kind == "missing_required":
            col = required[int(rng.integers(0, len(required)))]
            r = pick(cells[col] != "")
            if r is None:
                continue
            cells[col][r] = ""
        elif kind == "out_of_range":
            has = np.zeros(n, bool)
            for it in ordinal_items:
                has |= cells[it] != ""
            r = pick(has)
            if r is None:
                continue
            cand = [it for it in ordinal_items if cells[it][r] != ""]
            col = cand[int(rng.integers(0, len(cand)))]
            cells[col][r] = str(instrument.choices_of(col).max_value + 1)
        elif kind == "duplicate":
            col = nip_field or "_uuid"
            r = pick(np.ones(n, bool) if nip_field is None else cells[nip_field] != "")
            if r is None:
                continue
            dup_pairs.append((r, int(rng.integers(r + 1, n + 1))))
            continue  # recorded once the output order is known
        elif kind == "damaged_nip":
            col = nip_field
            r = pick(cells[col] != "")
            if r is None:
                continue
            nip = cells[col][r]
            if rng.random() < 0.6:
                if xlsx:
                    cells[col][r] = nip[:15] + "000"
                    numeric_nip.append(r)
                else:
                    cells[col][r] = f"{int(nip) / 1e17:.5f}E+17"
            else:
                pos = int(rng.integers(0, len(nip)))
                cells[col][r] = nip[:pos] + nip[pos + 1:]
        else:  # required_when
            f = conditional[int(rng.integers(0, len(conditional)))]
            r = pick(cond_mask[f.name])
            if r is None:
                continue
            col = f.name
            cells[col][r] = ""
        quarantine[kind] = quarantine.get(kind, 0) + 1
        details.append({"source_row": r, "kind": kind, "column": col})

    # ------------------------------------------------------------------ accepted mess
    k_a = _stochastic_round(rng, 2 * n * fraction)
    acc_kinds = [k for k in ACCEPTED_KINDS if not (labels and k == "label_instead_of_code")]
    for i in range(k_a):
        kind = acc_kinds[i % len(acc_kinds)]
        r = pick(np.ones(n, bool))
        if r is None:
            break
        if kind == "missing_optional":
            cand = [c for c in optional if cells[c][r] != ""]
            if not cand:
                continue
            col = cand[int(rng.integers(0, len(cand)))]
            cells[col][r] = ""
        else:
            cand = [c for c in selects if cells[c][r] != ""]
            if not cand:
                continue
            col = cand[int(rng.integers(0, len(cand)))]
            v = cells[col][r]
            if kind == "extra_whitespace":
                cells[col][r] = " " * int(rng.integers(1, 3)) + v + " " * int(rng.integers(0, 3))
            else:
                lab = label_of(col, v) if not labels else v
                if lab is None:
                    continue
                cells[col][r] = _case_variant(rng, lab) if kind == "mixed_case_label" else lab
        accepted[kind] = accepted.get(kind, 0) + 1
        details.append({"source_row": r, "kind": kind, "column": col})

    # ------------------------------------------------------------------ output order
    inserts: dict[int, list[int]] = {}
    for src, pos in dup_pairs:
        inserts.setdefault(pos, []).append(src)
    order_list: list[int] = []
    out_pos_of_src = np.empty(n, np.int64)
    dup_out_rows: list[tuple[int, int]] = []
    for pos in range(n + 1):
        for src in inserts.get(pos, []):
            dup_out_rows.append((len(order_list), src))
            order_list.append(src)
        if pos < n:
            out_pos_of_src[pos] = len(order_list)
            order_list.append(pos)
    order = np.asarray(order_list, np.int64)
    cells = {k: v[order] for k, v in cells.items()}
    for d in details:
        d["row"] = int(out_pos_of_src[d.pop("source_row")])
    for out_row, _src in dup_out_rows:
        details.append({"row": out_row, "kind": "duplicate", "column": nip_field or "_uuid"})
    if dup_out_rows:
        quarantine["duplicate"] = len(dup_out_rows)
    details.sort(key=lambda d: (d["row"], d["kind"]))
    return MessResult(
        cells,
        order,
        np.asarray(sorted(int(out_pos_of_src[r]) for r in numeric_nip), np.int64),
        dict(sorted(quarantine.items())),
        dict(sorted(accepted.items())),
        details,
    )
