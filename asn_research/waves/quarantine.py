"""The quarantine table of rejected rows, and what of an answer may be shown.

An answer that is not a valid code is shown in messages and in the quarantine only when it
cannot be personal: long numbers (a misplaced NIP, NIK or phone number) and text that could
be a name are withheld.
"""

from __future__ import annotations

import logging
import re

import pandas as pd

from .columns import SUBMISSION_ID, SUBMITTED_AT

log = logging.getLogger(__name__)


#: Digit runs long enough to be an identifier (NIP 18, NIK 16, phone numbers), also
#: spaced or in scientific notation; never echoed in a message or a stored text.
ID_IN_TEXT = r"\d[\d .\-]{9,}\d|\d[.,]\d+[eE]\+?1[0-9]"


_ID_IN_TEXT_RE = re.compile(ID_IN_TEXT)


WITHHELD = "[number withheld]"


def shown_answer(value: object) -> str:
    """An answer as a message may show it: one line, at most 40 characters, and any long
    number (a misplaced NIP, NIK or phone number) withheld."""
    text = " ".join(str(value).split())
    text = _ID_IN_TEXT_RE.sub(WITHHELD, text)
    return text if len(text) <= 40 else text[:39] + "…"


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
        q[c] = cells.str.replace(ID_IN_TEXT, WITHHELD, regex=True).to_numpy()
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
