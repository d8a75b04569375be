"""Column headers of report tables in Indonesian and English.

:meth:`~asn_research.reporting.ReportContext.show` shows a result table's columns under
these headers (a column not listed keeps its name; a notebook may pass its own labels).
"""

from __future__ import annotations

import re

__all__ = ["COLUMN_LABELS", "column_label", "reason_label"]

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


# Quarantine reasons by kind (:func:`asn_research.overview.reason_kind`: the checks' English
# text without row numbers, codes and quoted answers), and why a table row was not
# estimated → Indonesian; a text not listed is shown as the package wrote it. Groups of the
# pattern are put into the text.
_REASONS_ID: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), text) for pattern, text in (
        (r"^code is not one of the allowed codes$", "kode di luar kode yang diizinkan"),
        (r"^answer is not an allowed answer$", "jawaban bukan pilihan yang diizinkan"),
        (r"^contains an answer that is not allowed:?$",
         "berisi jawaban yang bukan pilihan yang diizinkan"),
        (r"^required answer is missing$", "jawaban wajib kosong"),
        (r"^answer is missing but required because (?P<f>\S+) is\b",
         "jawaban kosong, padahal wajib karena jawaban {f}"),
        (r"^answered although (?P<f>\S+) is\b",
         "terisi, padahal jawaban {f} tidak memintanya"),
        (r"^duplicate submission: same _uuid as row$",
         "kiriman ganda: _uuid sama dengan baris lain"),
        (r"^duplicate respondent: same (?P<k>.+) as row$",
         "responden ganda: {k} sama dengan baris lain"),
        (r"^not a number$", "bukan angka"),
        (r"^not a whole number$", "bukan bilangan bulat"),
        (r"^a thousands separator makes this number ambiguous$",
         "pemisah ribuan membuat angka ini ambigu"),
        (r"^the number is too large$", "angka terlalu besar"),
        (r"^not a date$", "bukan tanggal"),
        (r"^date is in the future$", "tanggal di masa depan"),
        (r"^below the minimum$", "di bawah batas minimum"),
        (r"^above the maximum$", "di atas batas maksimum"),
        (r"^the (?P<id>NIP|NIK) was turned into a number by Excel and its last digits are lost$",
         "{id} diubah Excel menjadi angka, dan digit terakhirnya hilang"),
        (r"^the serial number of the (?P<id>NIP|NIK) \(digits (?P<d>[\d–-]+)\) is 0+, which is "
         r"never issued$",
         "nomor urut {id} (digit {d}) bernilai nol, nomor yang tidak pernah diterbitkan"),
        (r"^an? (?P<id>NIP|NIK) ending in (?P<z>0+) usually means Excel turned it into a number "
         r"and replaced its last digits with zeros$",
         "{id} yang berakhir dengan {z} biasanya tanda Excel mengubahnya menjadi angka dan "
         "mengganti digit terakhirnya dengan nol"),
        (r"^the (?P<id>NIP|NIK) has (?P<n>\d+) digits?, one fewer than (?P<m>\d+)",
         "{id} hanya {n} digit, kurang satu dari {m}: Excel membuang nol di depan, atau satu "
         "digit tidak diketik"),
        (r"^row has (?P<n>\d+) of (?P<m>\d+) fields",
         "baris hanya berisi {n} dari {m} kolom (file terpotong, atau pemisah hilang?)"),
        (r"^row has (?P<n>\d+) fields but the header has (?P<m>\d+)",
         "baris berisi {n} kolom, padahal judul kolom {m} (pemisah di dalam nilai tanpa tanda "
         "kutip?)"),
        # why a reliability row has no estimate (asn_research.scales)
        (r"^fewer than (?P<n>\d+) respondents answered every item, too few for an estimate$",
         "kurang dari {n} responden menjawab semua butir, terlalu sedikit untuk diestimasi"),
        (r"^fewer than (?P<n>\d+) respondents answered any item, too few for an estimate$",
         "kurang dari {n} responden menjawab butir mana pun, terlalu sedikit untuk diestimasi"),
        (r"^the total score of these items has no variance, so alpha is undefined$",
         "skor total butir-butir ini tidak bervariasi, sehingga α tidak terdefinisi"),
        (r"^reliability needs at least two items$", "reliabilitas memerlukan sedikitnya dua butir"),
    ))


def reason_label(kind: str, lang: str) -> str:
    """A quarantine reason's kind, or why an estimate was not computed, in ``lang``:
    Indonesian where it is listed, else (and in English) as the package wrote it.

    Examples
    --------
    >>> reason_label("required answer is missing", "id")
    'jawaban wajib kosong'
    >>> reason_label("duplicate respondent: same nip as row", "id")
    'responden ganda: nip sama dengan baris lain'
    >>> reason_label("required answer is missing", "en")
    'required answer is missing'
    """
    if lang != "id":
        return kind
    for pattern, text in _REASONS_ID:
        m = pattern.search(kind)
        if m:
            return text.format(**m.groupdict())
    return kind
