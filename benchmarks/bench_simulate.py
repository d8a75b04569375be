"""Benchmark ``asn_research.simulate.simulate``: wall time and peak memory per size.

Each size runs in a fresh Python process, so the peak resident set size (RSS) of one run
is not mixed with another's; the figures come from ``os.wait4`` (Linux/macOS).

Usage::

    python benchmarks/bench_simulate.py                       # small and city
    python benchmarks/bench_simulate.py --sizes national      # ~1M employees (minutes)
    python benchmarks/bench_simulate.py --sizes small city national --json bench.json

Targets from issue 3: ``small`` in seconds; ``national`` under 10 minutes with peak
memory under 4 GB on a 2-core, 24 GB machine. This is a benchmark, not a test: it
prints a table (and optionally writes JSON) and exits 0 even when a target is missed;
``--check`` makes a missed target exit 1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {  # size -> (max seconds, max peak RSS in MB)
    "small": (30.0, 1024.0),
    "city": (120.0, 2048.0),
    "national": (600.0, 4096.0),
}

_CHILD = """
import json, sys, time
from asn_research.simulate import simulate
t0 = time.perf_counter()
res = simulate(sys.argv[1], seed=int(sys.argv[2]), size=sys.argv[3])
print(json.dumps({"seconds": time.perf_counter() - t0, "rows": res.n_rows,
                  "files": len(res.files), "estimands": res.n_estimands,
                  "expected_quarantined": res.n_expected_quarantined}))
"""


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def run_one(size: str, seed: int, out: Path) -> dict:
    """Simulate one size in a child process; return timings, peak RSS and output size."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(out), str(seed), size],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stdout = proc.stdout.read().decode() if proc.stdout else ""
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"simulate --size {size} failed:\n{stderr[-2000:]}")
    child = json.loads(stdout.strip().splitlines()[-1])
    # ru_maxrss is in kilobytes on Linux and in bytes on macOS.
    peak_mb = usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)
    return {
        "size": size,
        "seed": seed,
        "wall_seconds": round(wall, 2),
        "simulate_seconds": round(child["seconds"], 2),
        "peak_rss_mb": round(peak_mb, 1),
        "output_mb": round(_dir_size(out) / 2**20, 1),
        "files": child["files"],
        "rows": child["rows"],
        "estimands": child["estimands"],
        "expected_quarantined": child["expected_quarantined"],
        "cpu_count": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["small", "city"],
                    choices=sorted(TARGETS), help="sizes to run (default: small city)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None,
                    help="keep the output under this folder (default: a temporary folder)")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    ap.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = ap.parse_args(argv)

    results, missed = [], []
    with tempfile.TemporaryDirectory(prefix="bench-simulate-") as tmp:
        base = args.out or Path(tmp)
        for size in args.sizes:
            r = run_one(size, args.seed, base / size)
            max_s, max_mb = TARGETS[size]
            r["target_seconds"], r["target_peak_rss_mb"] = max_s, max_mb
            r["met"] = r["wall_seconds"] <= max_s and r["peak_rss_mb"] <= max_mb
            if not r["met"]:
                missed.append(size)
            results.append(r)
            print(f"{size:>9}: {r['wall_seconds']:8.1f} s  peak {r['peak_rss_mb']:8.1f} MB  "
                  f"output {r['output_mb']:8.1f} MB  rows {sum(r['rows'].values()):>10,}  "
                  f"{'ok' if r['met'] else 'MISSED'} (target {max_s:.0f} s, {max_mb:.0f} MB)",
                  flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 1 if (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
