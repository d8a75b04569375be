"""The state of the data: who answered, what was rejected and why, how well the scales hold.

The wave overview report is built from these functions: responses per agency (OPD) or
service unit and wave (against headcount where the lookups give one), the quarantine of
every wave summarised by the kind of problem, and per wave the reliability of every scale
(:func:`asn_research.scales.reliability_table` and friends).

Examples
--------
>>> import pandas as pd
>>> from asn_research.overview import response_counts
>>> df = pd.DataFrame({"wave": ["2025-1", "2025-1", "2025-2"], "opd": ["a", "b", "a"]})
>>> response_counts(df, by=["opd", "wave"])
  opd    wave  n_obs
0   a  2025-1      1
1   a  2025-2      1
2   b  2025-1      1
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pandas as pd

from ._validation import as_tuple, check_columns, check_frame

__all__ = ["quarantine_summary", "reason_kind", "response_counts", "rows_per_wave",
           "wave_counts"]

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"\d+([.,]\d+)?")
_ROW = re.compile(r"\brows? \d+(?:[–-]\d+)?")
# Numbers the sentence needs and that name no answer: the checks of a NIP or NIK (which never
# echo the identifier) give digit positions, digit counts and age limits; a damaged row's
# reason gives its number of fields.
_KEEP_NUMBERS = re.compile(r"\b(?:NIP|NIK)\b|^row has \d+ (?:of \d+ )?fields")


def response_counts(data: pd.DataFrame, *, by: str | Sequence[str] = ("opd", "wave"),
                    headcount: Mapping[str, int] | None = None,
                    headcount_key: str | None = None) -> pd.DataFrame:
    """Responses per group (e.g. OPD × wave), with the share of the headcount if known.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per response (a :class:`~asn_research.WaveData` frame).
    by : str or sequence of str, optional
        The grouping columns (default OPD and wave). Missing values form their own group.
    headcount : mapping, optional
        Staff (or service users) per value of ``headcount_key``; adds ``headcount`` and
        ``response_rate`` (responses ÷ headcount).
    headcount_key : str, optional
        The column the headcount refers to (default the first of ``by``).

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, ``n_obs`` (and ``headcount``, ``response_rate``), sorted.
    """
    check_frame(data)
    keys = list(as_tuple(by, name="by"))
    check_columns(data, keys, role="grouping column")
    out = (data.groupby(keys, dropna=False, sort=True).size().rename("n_obs").reset_index())
    if headcount:
        key = headcount_key or keys[0]
        out["headcount"] = out[key].map(dict(headcount)).astype("Int64")
        out["response_rate"] = out["n_obs"] / out["headcount"].astype("Float64")
    return out


def wave_counts(sources: pd.DataFrame) -> pd.DataFrame:
    """Rows read, stored and quarantined per wave (from :attr:`WaveData.sources`), with the
    share quarantined."""
    cols = ["wave", "rows_read", "rows_stored", "rows_quarantined"]
    check_columns(sources, cols, role="column")
    out = sources[cols].copy()
    out["share_quarantined"] = out["rows_quarantined"] / out["rows_read"].where(
        out["rows_read"] > 0)
    return out


def rows_per_wave(frame: pd.DataFrame, quarantine: Mapping[str, pd.DataFrame], *,
                  waves: Sequence[str], wave: str = "wave") -> pd.DataFrame:
    """Rows stored and quarantined per wave for a part of the city (e.g. one OPD), in the
    columns of :func:`wave_counts`.

    :func:`wave_counts` reads the whole files' counts; a part of the city has its stored
    rows (``frame``) and its quarantined rows (``quarantine``, wave → table) instead, and
    ``rows_read`` is their sum.

    Parameters
    ----------
    frame : pandas.DataFrame
        The stored rows, with a ``wave`` column.
    quarantine : mapping of str to pandas.DataFrame
        Wave id → the quarantined rows of that part (tables may be empty or absent).
    waves : sequence of str
        The waves to count, in order (a wave without rows counts 0).
    wave : str, optional
        The wave column of ``frame`` (default ``"wave"``).

    Returns
    -------
    pandas.DataFrame
        ``wave``, ``rows_read``, ``rows_stored``, ``rows_quarantined`` (int) and
        ``share_quarantined`` (float, NaN without rows).

    Examples
    --------
    >>> import pandas as pd
    >>> from asn_research import overview
    >>> stored = pd.DataFrame({"wave": ["2024-1", "2024-1", "2024-2"]})
    >>> overview.rows_per_wave(stored, {"2024-2": pd.DataFrame({"opd": ["dinkes"]})},
    ...                        waves=["2024-1", "2024-2", "2025-1"])
         wave  rows_read  rows_stored  rows_quarantined  share_quarantined
    0  2024-1          2            2                 0                0.0
    1  2024-2          2            1                 1                0.5
    2  2025-1          0            0                 0                NaN
    """
    check_columns(frame, [wave], role="wave column")
    stored = frame[wave].astype("string").value_counts()
    out = pd.DataFrame({"wave": pd.array(list(waves), dtype="str")})
    out["rows_stored"] = [int(stored.get(w, 0)) for w in waves]
    out["rows_quarantined"] = [0 if quarantine.get(w) is None else len(quarantine[w])
                               for w in waves]
    out.insert(1, "rows_read", out["rows_stored"] + out["rows_quarantined"])
    return wave_counts(out)  # the same columns and share as for whole files


def reason_kind(reason: str) -> str:
    """A quarantine reason without its row-specific parts (quoted answers, row numbers,
    codes and other numbers), so that reasons of the same kind can be counted together. The
    numbers of a NIP or NIK check (digit positions, counts and age limits) and a damaged
    row's number of fields are kept: they name no answer, and the sentence needs them.

    Examples
    --------
    >>> reason_kind("code '9' is not one of the allowed codes 1–6")
    'code is not one of the allowed codes'
    >>> reason_kind("duplicate respondent: same nip as row 14")
    'duplicate respondent: same nip as row'
    >>> reason_kind("the serial number of the NIP (digits 16–18) is 000, which is never issued")
    'the serial number of the NIP (digits 16–18) is 000, which is never issued'
    """
    text = _QUOTED.sub("", str(reason))
    text = _ROW.sub(lambda m: m.group(0).split(" ")[0], text)
    if not _KEEP_NUMBERS.search(text):
        text = _NUMBER.sub("", text)
    text = re.sub(r"[–-]\s*(?=$|[;,)])", "", text)
    return " ".join(text.replace(" ,", ",").split()).strip(" –-")


def quarantine_summary(quarantine: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """What was quarantined and why: rows per wave, column and kind of reason.

    Parameters
    ----------
    quarantine : mapping of str to pandas.DataFrame
        Wave id → its quarantine table (:func:`asn_research.waves.read_quarantine`).

    Returns
    -------
    pandas.DataFrame
        ``wave``, ``column``, ``reason`` (its kind, see :func:`reason_kind`), ``n_obs`` (rows
        with that problem; a row with several problems counts under each), sorted by wave
        and then the most frequent first.
    """
    parts = []
    kinds: dict[str, str] = {}  # reason → its kind (the same reasons recur in every wave)

    def text(v: object) -> str:
        return "" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)

    for wave, q in quarantine.items():
        if q is None or q.empty:
            continue
        for c_text, r_text in zip(q["columns"].tolist(), q["reasons"].tolist(), strict=True):
            c_list = text(c_text).split("; ")
            for j, r in enumerate(text(r_text).split("; ")):
                column = c_list[j] if j < len(c_list) else c_list[-1]
                if r not in kinds:
                    kinds[r] = reason_kind(r)
                parts.append({"wave": wave, "column": column or "(row)", "reason": kinds[r]})
    if not parts:
        return pd.DataFrame(columns=["wave", "column", "reason", "n_obs"])
    frame = pd.DataFrame(parts)
    out = frame.groupby(["wave", "column", "reason"], sort=False).size().rename("n_obs")
    out = out.reset_index()
    order = {w: i for i, w in enumerate(quarantine)}
    out["_w"] = out["wave"].map(order)
    return (out.sort_values(["_w", "n_obs", "column"], ascending=[True, False, True])
            .drop(columns="_w").reset_index(drop=True))
