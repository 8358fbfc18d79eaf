#!/usr/bin/env python3
"""Scale-out rows of BENCHMARKS.md: Parquet against CSV, and the DataFusion plans by partitions.

Run from the repository root after `cargo build --release`, with a venv holding numpy and
pyarrow (the table writer):
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy pyarrow
    /tmp/venv/bin/python tools/bench_scale.py [--rows 10000000]
Prints markdown rows and writes tools/bench_scale.json. Every run is a whole `recon` process
under GNU time (wall seconds, peak RSS), one run each, on this machine.

Data (seeded): ROWS x 10 float64 columns c0..c9 from 3 latent factors plus noise, written once
as CSV, once as one Parquet file (zstd) and once as a folder of 8 Parquet files. A PCA monitor
(`--limits analytical`) is fitted on the first 100,000 rows.
- `recon score` of every row, CSV in and CSV out against Parquet in and Parquet out;
- `recon sql "SELECT sum(recon_score(...))"` over the 8-file folder, --partitions 1, 2, 4, 8;
- `recon sql "SELECT recon_pca_stats(c0, ..., c9)"` over the same folder, --partitions 1, 2, 4, 8.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECON = os.path.join(ROOT, "target/release/recon")
TMP = tempfile.mkdtemp(prefix="recon-scale-")
ROWS = int(sys.argv[sys.argv.index("--rows") + 1]) if "--rows" in sys.argv else 10_000_000
COLS = [f"c{j}" for j in range(10)]


def timed(cmd):
    p = subprocess.run(["/usr/bin/time", "-f", "TIME %e %M"] + cmd, capture_output=True, text=True, cwd=TMP)
    if p.returncode != 0:
        raise SystemExit(f"{cmd} failed: {p.stderr}")
    wall, kib = [l for l in p.stderr.splitlines() if l.startswith("TIME")][-1].split()[1:]
    return float(wall), int(kib) / 1024.0, p.stdout


def write_tables():
    rng = np.random.default_rng(16)
    mix = rng.standard_normal((3, 10))
    parts = os.path.join(TMP, "parts")
    os.makedirs(parts)
    csv_writer, pq_writer = None, None
    block = ROWS // 8
    for b in range(8):
        n = block if b < 7 else ROWS - 7 * block
        x = rng.standard_normal((n, 3)) @ mix + 0.3 * rng.standard_normal((n, 10))
        t = pa.table({c: x[:, j] for j, c in enumerate(COLS)})
        pq.write_table(t, os.path.join(parts, f"part{b}.parquet"), compression="zstd")
        if pq_writer is None:
            pq_writer = pq.ParquetWriter(os.path.join(TMP, "big.parquet"), t.schema, compression="zstd")
            csv_writer = pacsv.CSVWriter(os.path.join(TMP, "big.csv"), t.schema)
        pq_writer.write_table(t)
        csv_writer.write_table(t)
        if b == 0:
            pacsv.write_csv(t.slice(0, 100_000), os.path.join(TMP, "train.csv"))
    pq_writer.close()
    csv_writer.close()


def main():
    if not os.path.exists(RECON):
        raise SystemExit("build first: cargo build --release")
    write_tables()
    size = {f: os.path.getsize(os.path.join(TMP, f)) / 2**20 for f in ("big.csv", "big.parquet")}
    timed([RECON, "fit", "train.csv", "--model", "pca", "--limits", "analytical", "--out", "m"])
    res = {"rows": ROWS, "cols": len(COLS), "size_mib": size, "score": {}, "sql_score": {}, "pca_stats": {}}
    for fmt, out in (("csv", "s.csv"), ("parquet", "s.parquet")):
        w, m, _ = timed([RECON, "score", "m", f"big.{fmt}", "--out", out])
        res["score"][fmt] = {"seconds": w, "rows_per_s": ROWS / w, "peak_mib": m}
        os.remove(os.path.join(TMP, out))
    args = ", ".join(COLS)
    for p in (1, 2, 4, 8):
        q = f"SELECT sum(recon_score('m', {args})) AS s FROM t"
        w, m, out = timed([RECON, "sql", q, "--table", "t=parts", "--partitions", str(p), "--json"])
        res["sql_score"][p] = {"seconds": w, "rows_per_s": ROWS / w, "peak_mib": m, "sum": json.loads(out)[0]["s"]}
        q = f"SELECT recon_pca_stats({args}) AS s FROM t"
        w, m, _ = timed([RECON, "sql", q, "--table", "t=parts", "--partitions", str(p), "--json"])
        res["pca_stats"][p] = {"seconds": w, "rows_per_s": ROWS / w, "peak_mib": m}
    json.dump(res, open(os.path.join(ROOT, "tools/bench_scale.json"), "w"), indent=1)
    print(f"{ROWS:,} rows x 10: CSV {size['big.csv']:.0f} MiB, Parquet {size['big.parquet']:.0f} MiB")
    print("| run | seconds | rows/s | peak MiB |")
    print("| --- | ---: | ---: | ---: |")
    for fmt, r in res["score"].items():
        print(f"| recon score, {fmt} in and out | {r['seconds']:.1f} | {r['rows_per_s']:,.0f} | {r['peak_mib']:.0f} |")
    for p, r in res["sql_score"].items():
        print(f"| SQL recon_score, 8 files, {p} partition(s) | {r['seconds']:.1f} | {r['rows_per_s']:,.0f} | {r['peak_mib']:.0f} |")
    for p, r in res["pca_stats"].items():
        print(f"| SQL recon_pca_stats, 8 files, {p} partition(s) | {r['seconds']:.1f} | {r['rows_per_s']:,.0f} | {r['peak_mib']:.0f} |")
    sums = [r["sum"] for r in res["sql_score"].values()]
    print(f"score sums agree across partitions to {max(sums) - min(sums):.3e} (of {sums[0]:.6e})")


if __name__ == "__main__":
    main()
