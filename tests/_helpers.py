"""Helpers shared by tests (import as `from _helpers import ...`). Identifiers are synthetic."""

from __future__ import annotations

import csv
from pathlib import Path


def synthetic_nip(i: int, *, sex: int = 1, status: str = "pns") -> str:
    """A valid synthetic NIP: born 1970–1984, appointed at age 25, serial from i."""
    by, bm, bd = 1970 + i % 15, 1 + i % 12, 1 + i % 28
    if status == "pns":
        return f"{by}{bm:02d}{bd:02d}{by + 25}{bm:02d}{sex}{1 + i % 999:03d}"
    # PPPK exist since PP 49/2018: appointment years 2019-2023
    return f"{by}{bm:02d}{bd:02d}{2019 + i % 5}2{1 + i % 9}{sex}{1 + i % 999:03d}"


MERIT_ITEMS = (
    [f"rtc_rs_{k}" for k in range(1, 6)]
    + [f"rtc_er_{k}" for k in range(1, 5)]
    + [f"rtc_sf_{k}" for k in range(1, 5)]
    + [f"rtc_cr_{k}" for k in range(1, 5)]
    + [f"pat_{k}" for k in range(1, 6)]
    + [f"sup_{k}" for k in range(1, 6)]
)


def merit_row(i: int, **over) -> dict[str, str]:
    sex = 1 + i % 2
    row = {
        "nip": synthetic_nip(i, sex=sex),
        "name": f"Peserta Sintetis {i}",
        "opd": ["bkpsdm", "dpmptsp", "dinkes", "kec_setu"][i % 4],
        "status": "pns",
        "golongan": "iii_a",
        "jabatan_type": "pelaksana",
        "sex": str(sex),
        "birth_year": str(1970 + i % 15),
        "tenure_years": "10",
        "education": "s1",
        "survey_date": "2025-03-10",
        **{
            item: str(1 + (i + k) % 6 if item.startswith("rtc") else 1 + (i + k) % 5)
            for k, item in enumerate(MERIT_ITEMS)
        },
        "dlg_attended": "1" if i % 3 else "0",
        "dlg_sessions": str(1 + i % 4) if i % 3 else "",
        "dlg_first_date": "2024-11-05" if i % 3 else "",
        "dlg_formats": "sosialisasi daring" if i % 3 else "",
    }
    row.update(over)
    return row


def write_csv(
    path: Path, rows: list[dict[str, str]], *, delimiter: str = ",", encoding: str = "utf-8"
) -> Path:
    fields = list(rows[0].keys())
    with open(path, "w", newline="", encoding=encoding) as fh:
        w = csv.DictWriter(fh, fieldnames=fields, delimiter=delimiter)
        w.writeheader()
        w.writerows(rows)
    return path


def all_text_under(folder: Path, *, exclude: str | None = None) -> str:
    """Every file under folder (minus one subfolder) as text: Parquet tables are decoded
    (their bytes are compressed, so a plain byte search could miss a leak), other files are
    decoded leniently."""
    import pandas as pd

    out = []
    for p in sorted(folder.rglob("*")):
        if not p.is_file() or (exclude and exclude in p.relative_to(folder).parts):
            continue
        if p.suffix == ".parquet":
            out.append(pd.read_parquet(p).to_csv())
        else:
            out.append(p.read_bytes().decode("latin-1"))
    return "\n".join(out)
