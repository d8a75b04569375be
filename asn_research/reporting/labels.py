"""Column headers of report tables in Indonesian and English.

:meth:`~asn_research.reporting.ReportContext.show` shows a result table's columns under
these headers (a column not listed keeps its name; a notebook may pass its own labels).
"""

from __future__ import annotations

__all__ = ["COLUMN_LABELS", "column_label"]

#: column name → (Indonesian, English)
COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "wave": ("Gelombang", "Wave"),
    "year": ("Tahun", "Year"),
    "opd": ("OPD", "OPD"),
    "service_unit": ("Unit layanan", "Service unit"),
    "unit": ("Unit", "Unit"),
    "instrument": ("Instrumen", "Instrument"),
    "scale": ("Skala", "Scale"),
    "item": ("Butir", "Item"),
    "code": ("Kode", "Code"),
    "label_id": ("Jawaban", "Answer"),
    "label_en": ("Jawaban", "Answer"),
    "column": ("Kolom", "Column"),
    "reason": ("Alasan", "Reason"),
    "rows_read": ("Baris dibaca", "Rows read"),
    "rows_stored": ("Tersimpan", "Stored"),
    "rows_quarantined": ("Dikarantina", "Quarantined"),
    "share_quarantined": ("Porsi dikarantina", "Share quarantined"),
    "n_obs": ("n", "n"),
    "n": ("Jumlah", "Count"),
    "k_items": ("Butir (k)", "Items (k)"),
    "share": ("Porsi", "Share"),
    "estimate": ("Perkiraan", "Estimate"),
    "se": ("Galat baku", "Std. error"),
    "ci_low": ("IK 95% bawah", "95% CI low"),
    "ci_high": ("IK 95% atas", "95% CI high"),
    "p_value": ("p", "p"),
    "p_adjusted": ("p (koreksi)", "p (adjusted)"),
    "omega": ("ω", "ω"),
    "std_alpha": ("α baku", "Standardized α"),
    "mean": ("Rata-rata", "Mean"),
    "sd": ("SB", "SD"),
    "r_drop": ("r butir–sisa", "Item–rest r"),
    "alpha_if_dropped": ("α jika dihapus", "α if dropped"),
    "loading": ("Muatan", "Loading"),
    "refused": ("Tidak dihitung karena", "Not computed because"),
    "method": ("Metode", "Method"),
    "headcount": ("Jumlah pegawai", "Headcount"),
    "response_rate": ("Tingkat respons", "Response rate"),
}


def column_label(name: str, lang: str) -> str:
    """The header of a column in ``lang`` (its name when not listed)."""
    pair = COLUMN_LABELS.get(name)
    return name if pair is None else pair[0 if lang == "id" else 1]
