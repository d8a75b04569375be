"""Regenerate the malformed-file corpus used by tests/test_readers.py.

Every identifier here is SYNTHETIC: NIPs follow the 18-digit structure (birth date
YYYYMMDD + appointment YYYYMM + sex digit + 3-digit serial) but belong to nobody, and names
are made up. Column names come from the real instruments (surveys/instruments/*.yaml).

Run from the project folder (writes next to this script unless a folder is given):

    python tests/data/malformed/make_corpus.py [OUT_DIR]

The output is deterministic (Excel files get fixed timestamps), so a regenerated corpus
can be compared byte for byte with the committed one. README.md lists each file and the
outcome tests/test_readers.py expects.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import sys
import zipfile
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent

#: Synthetic NIPs (born 1985-03-12 etc., appointed 25 years later, sex digit 1/2).
NIPS = (
    "198503122010031002",
    "197907212004071001",
    "199001052015012003",
    "198811302013112004",
    "197402142000011005",
)
NAMES = ("Siti Nurhaliza", "José Santoso", "Renée Putri", "Agus Wibowo", "Dewi Lestari")
OPD = ("dinkes", "bkpsdm", "dpmptsp", "disdukcapil", "bapenda")

MERIT_FIELDS = (
    ["nip", "name", "opd", "status", "golongan", "jabatan_type", "sex", "birth_year",
     "tenure_years", "education", "survey_date"]
    + [f"rtc_rs_{k}" for k in range(1, 6)] + [f"rtc_er_{k}" for k in range(1, 5)]
    + [f"rtc_sf_{k}" for k in range(1, 5)] + [f"rtc_cr_{k}" for k in range(1, 5)]
    + [f"pat_{k}" for k in range(1, 6)] + [f"sup_{k}" for k in range(1, 6)]
    + ["dlg_attended", "dlg_sessions", "dlg_first_date", "dlg_formats"]
)
#: A short but valid merit column set (all required fields plus a few items).
MERIT_SHORT = ["nip", "name", "opd", "status", "sex", "survey_date", "rtc_rs_1", "rtc_rs_2",
               "dlg_attended"]


def merit_row(i: int, **over: str) -> dict[str, str]:
    """A complete, valid merit answer row for respondent ``i`` (0-4)."""
    nip = NIPS[i]
    row = {
        "nip": nip,
        "name": NAMES[i],
        "opd": OPD[i],
        "status": "pns",
        "golongan": "iii_a",
        "jabatan_type": "pelaksana",
        "sex": nip[14],
        "birth_year": nip[:4],
        "tenure_years": "10",
        "education": "s1",
        "survey_date": "2025-03-10",
        "dlg_attended": "1" if i % 2 == 0 else "0",
        "dlg_sessions": "2" if i % 2 == 0 else "",
        "dlg_first_date": "2024-11-05" if i % 2 == 0 else "",
        "dlg_formats": "sosialisasi daring" if i % 2 == 0 else "",
    }
    for k, f in enumerate(MERIT_FIELDS):
        if f.startswith("rtc_"):
            row[f] = str(1 + (i + k) % 6)
        elif f.startswith(("pat_", "sup_")):
            row[f] = str(1 + (i + k) % 5)
    row.update(over)
    return {f: row[f] for f in MERIT_FIELDS}


def lines(rows: list[list[str]], sep: str = ",", eol: str = "\n") -> str:
    return "".join(sep.join(r) + eol for r in rows)


def short(i: int, **over: str) -> list[str]:
    r = merit_row(i, **over)
    return [r[f] for f in MERIT_SHORT]


# --------------------------------------------------------------------------- xlsx helpers

_FIXED = dt.datetime(2025, 1, 1)


def save_workbook(wb: openpyxl.Workbook, path: Path) -> None:
    """Save with fixed timestamps so the bytes do not change between runs."""
    wb.properties.creator = "asn-research test corpus"
    wb.properties.created = _FIXED
    buf = io.BytesIO()
    wb.save(buf)
    stamp = _FIXED.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp.encode(), data)
            out = zipfile.ZipInfo(info.filename, date_time=(2025, 1, 1, 0, 0, 0))
            out.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(out, data)


# --------------------------------------------------------------------------- the corpus


def build(out: Path) -> list[Path]:
    """Write every corpus file into ``out``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def text(name: str, content: str, encoding: str = "utf-8") -> None:
        p = out / name
        p.write_bytes(content.encode(encoding))
        written.append(p)

    def binary(name: str, content: bytes) -> None:
        p = out / name
        p.write_bytes(content)
        written.append(p)

    hdr = MERIT_SHORT

    # ---- files that cannot be read
    binary("empty.csv", b"")
    binary("whitespace_only.csv", b"   \n\n \t \r\n")
    text("merit_header_only.csv", lines([hdr]))
    rnd = random.Random(20250310)
    garbage = bytes(rnd.randrange(256) for _ in range(512))
    binary("binary_garbage.csv", b"\x00\x01" + garbage)
    binary("pdf_renamed.csv",
           b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
    binary("legacy_doc_renamed.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(120))
    binary("legacy.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(120))
    text("not_a_workbook.xlsx", lines([hdr, short(0)]))
    text("merit_pipe_delimited.csv", lines([hdr, short(0), short(1)], sep="|"))
    text("merit_duplicate_header.csv",
         lines([["NIP", *hdr[1:], "nip"], [*short(0), NIPS[0]], [*short(1), NIPS[1]]]))
    text("merit_no_header.csv", lines([short(0), short(1), short(2)]))

    # ---- files that read (validation judges the contents)
    text("merit_cp1252_names.csv", lines([hdr, short(0), short(1), short(2)], eol="\r\n"),
         encoding="cp1252")
    text("merit_utf8_bom.csv", "\ufeff" + lines([hdr, short(0), short(1)]))
    t_hdr = ["nip", "name", "opd", "status", "sex", "survey_date", "group", "training_topic",
             "l2_pre_pct", "l2_post_pct"]
    text("training_semicolon_decimal_comma.csv", lines([
        t_hdr,
        [NIPS[0], NAMES[0], "dinkes", "pns", "1", "10/03/2025", "treatment", "pelayanan_publik",
         "72,5", "88,75"],
        [NIPS[1], NAMES[3], "bkpsdm", "pns", "1", "10/03/2025", "comparison", "pelayanan_publik",
         "65", "70,5"],
    ], sep=";"))
    text("merit_duplicate_respondent.csv",
         lines([MERIT_FIELDS, list(merit_row(0).values()), list(merit_row(1).values()),
                list(merit_row(0, rtc_rs_1="6").values())]))
    text("merit_out_of_range_code.csv", lines([hdr, short(0), short(1, rtc_rs_1="9")]))
    text("merit_unknown_label.csv", lines([hdr, short(0, rtc_rs_2="Lumayan setuju"), short(1)]))
    no_opd = [f for f in hdr if f != "opd"]
    text("merit_missing_required_column.csv", lines([
        no_opd, *[[merit_row(i)[f] for f in no_opd] for i in range(2)]]))
    text("merit_nip_scientific.csv", lines([
        hdr, short(0, nip="1,98503E+17"), short(1, nip="1.97907E+17"), short(2)], sep=";"))
    full = [list(merit_row(i).values()) for i in range(4)]
    text("merit_truncated_last_line.csv",
         lines([MERIT_FIELDS, *full[:3]]) + ",".join(full[3][:12]))
    text("merit_too_many_fields.csv",
         lines([hdr, short(0), short(1, name="Dewi Lestari, S.Pd"), short(2)]))
    text("merit_blank_lines.csv",
         lines([hdr, short(0)]) + "\n" + lines([short(1)]) + "   \n" + lines([short(2)])
         + "," * (len(hdr) - 1) + "\n" + lines([short(3)]) + "\n\n")
    s_hdr = ["service_unit", "service_type", "channel", "survey_date", "sex", "age",
             "persyaratan", "prosedur", "waktu"]
    text("skm_quoted_newline.csv", (
        ",".join(s_hdr) + "\n"
        + 'dpmptsp,Izin usaha,online,2025-03-10,1,34,4,3,3\n'
        + 'dpmptsp,"Izin usaha\n(perpanjangan, ""SIUP"")",walk_in,2025-03-10,2,41,3,3,2\n'
        + 'disdukcapil,KTP-el,walk_in,2025-03-11,2,27,4,4,4\n'
        + "\n"
        + 'disdukcapil,"Akta kelahiran",online,2025-03-11,1,30,3,4,3\n'))
    text("merit_excel_trailing_separators.csv", (
        "DATA SURVEI SISTEM MERIT 2025,,,,,,,\n"
        ",,,,,,,\n"
        + ",".join(["nip", "opd", "status", "sex", "survey_date", "dlg_attended", "", ""]) + "\n"
        + ",".join([NIPS[0], "dinkes", "pns", "1", "2025-03-10", "1", "", ""]) + "\n"
        + ",,,,,,,\n"
        + ",".join([NIPS[1], "bkpsdm", "pns", "1", "2025-03-10", "0", "", "pindah OPD"]) + "\n"
        + ",,,,,,,\n,,,,,,,\n"))
    g_hdr = ["Timestamp", "Unit layanan", "Cara memperoleh layanan", "Tanggal survei",
             "Jenis kelamin", "Umur (tahun)",
             "Bagaimana pendapat Saudara tentang kesesuaian persyaratan pelayanan dengan "
             "jenis pelayanannya?",
             "Bagaimana pendapat Saudara tentang kewajaran biaya/tarif dalam pelayanan?"]
    text("skm_google_forms.csv", "".join(
        ",".join(f'"{c}"' for c in r) + "\r\n" for r in [
            g_hdr,
            ["2025/03/10 9:15:02 AM GMT+7", "DPMPTSP", "Daring (online)", "10/03/2025",
             "Perempuan", "34", "Sangat sesuai", "Gratis"],
            ["2025/03/10 10:01:44 AM GMT+7", "Disdukcapil", "Datang langsung", "10/03/2025",
             "Laki-laki", "51", "Sesuai", "Murah"],
        ]))
    u_rows = [hdr, short(0, name=NAMES[1]), short(1)]
    binary("merit_utf16_tab.txt",
           b"\xff\xfe" + lines(u_rows, sep="\t", eol="\r\n").encode("utf-16-le"))

    # ---- KoboToolbox CSV export: ';', quoted, group paths, select_multiple option columns
    groups = {"nip": "profile", "name": "profile", "opd": "profile", "status": "profile",
              "sex": "profile", "survey_date": "profile", "rtc_rs_1": "rtc",
              "dlg_attended": "dialogue", "dlg_formats": "dialogue"}
    options = ["sosialisasi", "dialog_terbuka", "forum_opd", "daring", "konsultasi"]
    k_hdr = (["start", "end"] + [f"{groups[f]}/{f}" for f in groups]
             + [f"dialogue/dlg_formats/{o}" for o in options]
             + ["meta/instanceID", "_id", "_uuid", "_submission_time", "_validation_status",
                "_notes", "_status", "_submitted_by", "__version__", "_tags", "_index"])
    k_rows = []
    for i in range(3):
        r = merit_row(i)
        chosen = r["dlg_formats"].split()
        uuid = f"00000000-0000-4000-8000-{i + 1:012d}"
        k_rows.append(
            ["2025-03-10T08:00:00.000+07:00", "2025-03-10T08:12:00.000+07:00"]
            + [r[f] for f in groups]
            + [("1" if o in chosen else "0") if chosen else "" for o in options]
            + [f"uuid:{uuid}", str(1000 + i), uuid, f"2025-03-10T01:1{i}:00", "", "",
               "submitted_via_web", "", "vAbCdEf", "", str(i + 1)])
    text("merit_kobo_export.csv",
         "".join(";".join(f'"{c}"' for c in row) + "\n" for row in [k_hdr, *k_rows]))

    # ---- Excel: title rows above the header, a blank row in the middle
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws["A1"] = "DATA SURVEI PEGAWAI DINAS KESEHATAN — 2025"
    ws.append([])
    ws.append(["NIP", "Nama lengkap", "OPD", "Status", "Jenis kelamin", "Tanggal pengisian",
               "birth_year", "tenure_years", "rtc_rs_1"])
    for i in (0, 1):
        r = merit_row(i)
        ws.append([r["nip"], r["name"], r["opd"], "PNS", int(r["sex"]),
                   dt.datetime(2025, 3, 10), int(r["birth_year"]), 10.0, int(r["rtc_rs_1"])])
    ws.append([])
    r = merit_row(2)
    ws.append([r["nip"], "  " + r["name"] + " ", r["opd"], "PNS", int(r["sex"]),
               dt.datetime(2025, 3, 11, 14, 30), int(r["birth_year"]), 7.5, None])
    ws2 = wb.create_sheet("Catatan")
    ws2["A1"] = "catatan admin"
    save_workbook(wb, out / "merit_title_row.xlsx")
    written.append(out / "merit_title_row.xlsx")

    # ---- Excel: an NIP typed into a General-format cell became a float
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["nip", "name", "opd", "status", "sex", "survey_date", "dlg_attended"])
    ws.append([float(NIPS[0]), NAMES[0], "dinkes", "pns", 1, dt.date(2025, 3, 10), True])
    ws.append([NIPS[1], NAMES[3], "bkpsdm", "pns", 1, dt.date(2025, 3, 10), False])
    save_workbook(wb, out / "merit_nip_as_number.xlsx")
    written.append(out / "merit_nip_as_number.xlsx")

    # ---- KoboToolbox XLSX export with label headers (Indonesian)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Survei Sistem Merit"
    ws.append(["start", "end", "NIP (18 digit)", "Nama lengkap", "Perangkat daerah (OPD)",
               "Status kepegawaian", "Jenis kelamin", "Tanggal pengisian",
               "Apakah Anda pernah mengikuti sosialisasi atau dialog terbuka tentang sistem "
               "merit?",
               "Bentuk kegiatan yang pernah Anda ikuti",
               "Bentuk kegiatan yang pernah Anda ikuti/Sosialisasi/paparan",
               "Bentuk kegiatan yang pernah Anda ikuti/Webinar/daring",
               "_id", "_uuid", "_submission_time", "_index"])
    for i in range(2):
        r = merit_row(i)
        att = r["dlg_attended"] == "1"
        ws.append([dt.datetime(2025, 3, 10, 8, 0), dt.datetime(2025, 3, 10, 8, 12), r["nip"],
                   r["name"], "Dinas Kesehatan" if i == 0 else "BKPSDM", "PNS", "Laki-laki",
                   dt.datetime(2025, 3, 10), "Ya" if att else "Tidak",
                   "Sosialisasi/paparan Webinar/daring" if att else None,
                   1 if att else None, 1 if att else None, 2000 + i,
                   f"00000000-0000-4000-9000-{i + 1:012d}", dt.datetime(2025, 3, 10, 1, 15),
                   i + 1])
    save_workbook(wb, out / "merit_kobo_labels.xlsx")
    written.append(out / "merit_kobo_labels.xlsx")
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    for path in build(target):
        print(path.relative_to(target))
