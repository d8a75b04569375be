"""The quarantine table of rejected rows, and what of an answer may be shown.

An answer that is not a valid code is shown in messages and in the quarantine only when it
cannot be personal: long numbers (a misplaced NIP, NIK or phone number) and text that could
be a name are withheld.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Sequence

import pandas as pd

from .columns import SUBMISSION_ID, SUBMITTED_AT

log = logging.getLogger(__name__)


#: Digit runs long enough to be an identifier (NIP 18, NIK 16, phone numbers), also
#: spaced or in scientific notation; never echoed in a message or a stored text.
ID_IN_TEXT = r"\d[\d .\-]{9,}\d|\d[.,]\d+[eE]\+?1[0-9]"


_ID_IN_TEXT_RE = re.compile(ID_IN_TEXT)


WITHHELD = "[number withheld]"


#: What replaces an answer that could be a name or other personal text.
TEXT_WITHHELD = "[text withheld: it could be personal]"
_WORD = re.compile(r"[^\W\d_]{2,}")


def could_be_personal(text: str, allowed: Sequence[str] = ()) -> bool:
    """Tell whether a (non-code) answer could be personal text, such as a name.

    Withheld: text of two or more words (``Siti Aminah`` typed into an answer column, a
    remark), and a single capitalised word (``Aminah``) — unless most of its words are words
    of the ``allowed`` answers (``Setuju sekali``) or it is a near-miss of one of them
    (``Sangat Setujuu``). Shown: codes and numbers (``7``,
    ``19x5``, ``3,5``), answers of at most three characters, and single words in lower or
    upper case (``zoom``, ``SS``).

    Examples
    --------
    >>> could_be_personal("Siti Aminah"), could_be_personal("Aminah"), could_be_personal("zoom")
    (True, True, False)
    >>> could_be_personal("Sangat Setujuu", ["Sangat setuju", "Setuju"])
    False
    """
    text = " ".join(str(text).split())
    words = _WORD.findall(text)
    if len(text) <= 3 or not words:
        return False
    name_like = len(words) >= 2 or (words[0][0].isupper() and words[0][1:].islower())
    if not name_like:
        return False
    if allowed:
        vocabulary = {w.casefold() for a in allowed for w in _WORD.findall(a)}
        if sum(w.casefold() in vocabulary for w in words) * 2 >= len(words):
            return False  # mostly the answers' own words: "Setuju sekali", "dinas tidak ada"
        near = difflib.get_close_matches(text.casefold(), [a.casefold() for a in allowed],
                                         n=1, cutoff=0.75)
        if near:
            return False
    return True


def shown_answer(value: object, allowed: Sequence[str] = ()) -> str:
    """An answer as a message may show it: one line, at most 40 characters, any long number
    (a misplaced NIP, NIK or phone number) withheld, and text that could be personal
    (:func:`could_be_personal`) withheld as a whole."""
    text = " ".join(str(value).split())
    text = _ID_IN_TEXT_RE.sub(WITHHELD, text)
    if could_be_personal(text.replace(WITHHELD, ""), allowed):
        return TEXT_WITHHELD
    return text if len(text) <= 40 else text[:39] + "…"


def _safe_cells(cells: pd.Series, allowed: Sequence[str], known: frozenset[str]) -> pd.Series:
    """Cells of an answer column as the quarantine may keep them: known answers as they are,
    long numbers withheld, and other text withheld when it could be personal."""
    codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    safe = []
    for u in uniques:
        text = str(u)
        if text in known or " ".join(text.split()).casefold() in known:
            safe.append(text)
        else:
            masked = _ID_IN_TEXT_RE.sub(WITHHELD, text)
            safe.append(TEXT_WITHHELD if could_be_personal(masked.replace(WITHHELD, ""), allowed)
                        else masked)
    out = pd.Series([safe[c] if c >= 0 else None for c in codes], index=cells.index,
                    dtype="str")
    return out


def quarantine_table(data, issues, bad_pos, source_rows, inst, cols, id_values, bad_rows):
    """One row per rejected row: source row, columns, reasons, fixes, the checked identifier
    values (replaced by pseudonyms in the next ingest step), then the other answers as text
    with long numbers withheld."""
    agg = issues.groupby("pos", sort=True).agg(
        columns=("column", lambda c: "; ".join(dict.fromkeys(c))),
        reasons=("reason", lambda r: "; ".join(r)),
        fixes=("fix", lambda f: "; ".join(dict.fromkeys(x for x in f if x))),
    )
    q = pd.DataFrame(
        {
            "source_row": pd.Series(source_rows[bad_pos], dtype="int64"),
            "columns": agg["columns"].to_numpy(),
            "reasons": agg["reasons"].to_numpy(),
            "fixes": agg["fixes"].to_numpy(),
        }
    )
    id_cols = {cols.fields[f] for f in inst.identifier_fields if f in cols.fields}
    for name, series in id_values.items():
        q[name] = (series.iloc[bad_pos] if len(bad_pos) else series.iloc[:0]).to_numpy()
    # a slice, not a take, when nothing is quarantined: taking from 1M-row columns is slow
    rows = data.iloc[bad_pos] if len(bad_pos) else data.iloc[:0]
    for c in data.columns:
        if c in id_cols or c in cols.ignored:
            continue  # identifiers go in only as pseudonyms; unknown columns may hold anything
        if c in cols.meta and c not in (SUBMISSION_ID, SUBMITTED_AT):
            continue  # device ids, GPS, enumerator names: not stored, as the notes say
        cells = rows[c].astype("str")
        field = cols.field_of(c)
        f = inst.field(field) if field in inst.field_names else None
        if f is not None and f.type == "text":  # free text is stored as such, numbers withheld
            q[c] = cells.str.replace(ID_IN_TEXT, WITHHELD, regex=True).to_numpy()
            continue
        allowed: list[str] = []
        if f is not None and f.list_name is not None:
            from .answers import choice_lookup

            allowed = list(choice_lookup(inst.choice_list(f.list_name)))
        known = frozenset(a.casefold() for a in allowed)
        q[c] = _safe_cells(cells, allowed, known).to_numpy()
    if len(bad_rows):
        extra = pd.DataFrame(
            {
                "source_row": bad_rows["source_row"].astype("int64").to_numpy(),
                "columns": "",
                "reasons": bad_rows["reason"].astype(str).to_numpy(),
                "fixes": bad_rows["fix"].astype(str).to_numpy(),
            }
        )
        q = pd.concat([q, extra], ignore_index=True)
    q = q.sort_values("source_row", kind="stable").reset_index(drop=True)
    return q.astype({c: "str" for c in q.columns if c != "source_row"})
