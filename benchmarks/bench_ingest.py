"""Benchmark: validate + ingest a 1-million-row x 40-column CSV wave.

Targets (issue 7): on 2 cores validate <= 6 s, ingest <= 10 s, peak memory < 4 GB, with the
ratio to pyarrow's own CSV parse of the same file recorded beside them. Run on demand (not
in CI):

    .venv/bin/python benchmarks/bench_ingest.py [--rows 1000000] [--repeat 5] [--out DIR]

It writes a synthetic merit wave (valid NIPs, 40 columns), times
(1) ``pyarrow.csv.read_csv`` with default options (the baseline), (2)
``asn-research validate`` (read + all checks, no writes), (3) writing the validated table
to Parquet alone (the floor under ingest) and (4) ``asn-research ingest`` (read + checks +
pseudonymization + Parquet + manifest), each in a fresh subprocess so peak RSS
(``ru_maxrss``) is the step's own, best of ``--repeat`` runs, and records the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv


def _items() -> list[str]:
    """The 27 Likert items of the merit instrument (resistance, threat, support)."""
    from asn_research.instruments import load_instrument

    merit = load_instrument("merit")
    return [i for s in ("resistance", "appraisal_threat", "merit_support")
            for i in merit.scale(s).items]
OPD = ["setda", "bkpsdm", "dpmptsp", "disdukcapil", "dinkes", "dindikbud", "bapenda", "kec_setu"]


def make_wave(path: Path, rows: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    by = rng.integers(1968, 1999, rows)
    bm = rng.integers(1, 13, rows)
    bd = rng.integers(1, 29, rows)
    ty = np.minimum(
        by + rng.integers(22, 30, rows), 2024
    )  # appointed at 22-29, not later than 2024
    tm = rng.integers(1, 13, rows)
    sex = rng.integers(1, 3, rows)
    serial = np.arange(rows) % 999 + 1
    # make NIPs unique: vary birth day/month/year combos with the serial
    nip = np.char.add(
        np.char.add(
            np.char.add(by.astype(str), np.char.zfill(bm.astype(str), 2)),
            np.char.zfill(bd.astype(str), 2),
        ),
        np.char.add(
            np.char.add(ty.astype(str), np.char.zfill(tm.astype(str), 2)),
            np.char.add(sex.astype(str), np.char.zfill(serial.astype(str), 3)),
        ),
    )
    _, first = np.unique(nip, return_index=True)
    keep = np.zeros(rows, dtype=bool)
    keep[first] = True  # drop accidental duplicates so every row is valid
    attended = rng.integers(0, 2, rows)
    cols = {
        "nip": nip,
        "opd": np.array(OPD)[rng.integers(0, len(OPD), rows)],
        "status": np.full(rows, "pns"),
        "golongan": np.array(["ii_c", "iii_a", "iii_b", "iv_a"])[rng.integers(0, 4, rows)],
        "jabatan_type": np.array(["structural", "functional", "pelaksana"])[
            rng.integers(0, 3, rows)
        ],
        "sex": sex.astype(str),
        "birth_year": by.astype(str),
        "tenure_years": np.clip(2025 - ty, 0, 45).astype(str),
        "survey_date": np.full(rows, "2025-03-10"),
    }
    for it in _items():
        hi = 7 if it.startswith("rtc") else 6
        cols[it] = rng.integers(1, hi, rows).astype(str)
    cols["dlg_attended"] = attended.astype(str)
    cols["dlg_sessions"] = np.where(attended == 1, rng.integers(1, 6, rows).astype(str), "")
    cols["dlg_first_date"] = np.where(attended == 1, "2024-11-05", "")
    cols["dlg_formats"] = np.where(attended == 1, "sosialisasi daring", "")
    table = pa.table({k: v[keep] for k, v in cols.items()})
    assert table.num_columns == 40
    pacsv.write_csv(table, path)


def _timed(setup: str, code: str) -> dict:
    """Run ``setup`` (imports, untimed) then ``code`` (timed) in a fresh process.

    Returns wall seconds of ``code`` and the process's peak RSS in MB.
    """
    wrapper = (
        "import resource, time, json, sys\n" + setup + "\n"
        "t0 = time.perf_counter()\n" + code + "\n"
        "dt = time.perf_counter() - t0\n"
        "rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps({'seconds': dt, 'peak_rss_mb': rss}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", wrapper],
        capture_output=True,
        text=True,
        env={**os.environ, "ASN_RESEARCH_KEY": "b" * 64},
    )
    if out.returncode != 0:
        sys.exit(f"benchmark step failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--make", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.make:
        make_wave(args.make, args.rows)
        return
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "merit_bench.csv"
        # generate in a child so this process stays small: Linux carries a parent's peak RSS
        # (ru_maxrss) into the children it forks, which would inflate every measurement
        subprocess.run(
            [sys.executable, __file__, "--make", str(csv_path), "--rows", str(args.rows)],
            check=True,
        )
        size_mb = csv_path.stat().st_size / 1e6
        n = sum(1 for _ in open(csv_path, "rb")) - 1
        results = {"rows": n, "columns": 40, "file_mb": round(size_mb, 1)}
        steps = {
            "pyarrow_read_csv": (
                "import pyarrow.csv as c",
                f"c.read_csv({str(csv_path)!r})",
            ),
            "validate": (
                "from asn_research import instruments, waves\n"
                "i = instruments.load_instrument('merit')",
                f"r = waves.read_wave_file({str(csv_path)!r}, instrument=i)\n"
                "v = waves.validate_wave(r, i)\n"
                "assert v.rows_quarantined == 0, v.issues.head()\n",
            ),
            # the floor under ingest: pyarrow writing the validated table to Parquet
            # (single-threaded in pyarrow <= 26), measured alone
            "parquet_write_of_valid_table": (
                "import pyarrow as pa, pyarrow.parquet as pq\n"
                "from asn_research import instruments, privacy, waves\n"
                "from asn_research.waves.pseudonymize import pseudonymize_result\n"
                "i = instruments.load_instrument('merit')\n"
                f"r = waves.read_wave_file({str(csv_path)!r}, instrument=i)\n"
                "v = pseudonymize_result(waves.validate_wave(r, i), i, privacy.load_key())\n"
                "t = pa.Table.from_pandas(v.valid, preserve_index=False)",
                f"pq.write_table(t, {tmp + '/valid.parquet'!r}, compression='snappy')",
            ),
            "ingest": (
                "import shutil\nfrom asn_research import waves",
                f"shutil.rmtree({tmp + '/store'!r}, ignore_errors=True)\n"
                f"r = waves.ingest_file({str(csv_path)!r}, instrument='merit', wave='2025-1',"
                f" store={tmp + '/store'!r})\n"
                "assert r.rows_quarantined == 0\n",
            ),
        }
        for name, (setup, code) in steps.items():
            runs = [_timed(setup, code) for _ in range(args.repeat)]
            best = min(runs, key=lambda r: r["seconds"])
            results[name] = {
                "seconds_best": round(best["seconds"], 3),
                "seconds_all": [round(r["seconds"], 3) for r in runs],
                "peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs), 1),
                "mb_per_s": round(size_mb / best["seconds"], 1),
            }
        base = results["pyarrow_read_csv"]["mb_per_s"]
        for name in ("validate", "ingest"):
            results[name]["fraction_of_pyarrow"] = round(results[name]["mb_per_s"] / base, 3)
        results["parquet_write_of_valid_table"]["times_pyarrow_parse"] = round(
            results["parquet_write_of_valid_table"]["seconds_best"]
            / results["pyarrow_read_csv"]["seconds_best"], 2)
        results["machine"] = {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "pyarrow": pa.__version__,
            "date": time.strftime("%Y-%m-%d"),
        }
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "ingest.json").write_text(json.dumps(results, indent=2) + "\n")
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
