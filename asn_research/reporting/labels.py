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
    # the analyses' tables (training, dialogue, service) where they share a column name
    "group": ("Kelompok", "Group"),
    "variable": ("Variabel", "Variable"),
    "training_topic": ("Topik pelatihan", "Training topic"),
    **{f"share_{k}": (f"Porsi {k}", f"Share {k}") for k in range(1, 8)},
    "n_incomplete": ("Tidak lengkap", "Incomplete"),
    "pre_mean": ("Rata-rata awal", "Pre mean"),
    "post_mean": ("Rata-rata akhir", "Post mean"),
    "t": ("t", "t"),
    "df": ("db", "df"),
    "n_clusters": ("Klaster", "Clusters"),
    "n_comparison": ("n pembanding", "n comparison"),
    "n_completers": ("n bertahan", "n completers"),
    "n_dropouts": ("n keluar", "n drop-outs"),
    "share_retained": ("Porsi bertahan", "Share retained"),
    "mean_completers": ("Rata-rata bertahan", "Mean, completers"),
    "mean_dropouts": ("Rata-rata keluar", "Mean, drop-outs"),
    "smd": ("SMD", "SMD"),
    "level_label": ("Subkelompok", "Subgroup"),
    "diff_vs_rest": ("Selisih dengan lainnya", "Difference from the rest"),
    "tested": ("Diuji", "Tested"),
    "adjustment": ("Koreksi", "Correction"),
    "comparison": ("Pembanding", "Comparison"),
    "cohort_wave": ("Angkatan (gelombang)", "Cohort (wave)"),
    "time": ("Waktu", "Time"),
    "score": ("Nilai", "Score"),
    "n_reached": ("n mencapai", "n reached"),
    "analysis": ("Analisis", "Analysis"),
    "target": ("Sasaran", "Target"),
    "reverse": ("Dibalik", "Reversed"),
    "group_1": ("Kelompok 1", "Group 1"),
    "group_2": ("Kelompok 2", "Group 2"),
    "n_1": ("n 1", "n 1"),
    "n_2": ("n 2", "n 2"),
    "mean_1": ("Rata-rata 1", "Mean 1"),
    "mean_2": ("Rata-rata 2", "Mean 2"),
    "design": ("Desain", "Design"),
    "headline": ("Utama", "Headline"),
    "id": ("Kode temuan", "Finding id"),
    "trainees": ("Peserta", "Trainees"),
}


def column_label(name: str, lang: str) -> str:
    """The header of a column in ``lang`` (its name when not listed)."""
    pair = COLUMN_LABELS.get(name)
    return name if pair is None else pair[0 if lang == "id" else 1]
