#!/usr/bin/env python3
"""Ballista row of BENCHMARKS.md: the same SQL plans on a local DataFusion engine and on a
Ballista cluster of one scheduler and two executors, all on this machine.

Run from the repository root after `cargo build --release`, in the venv of bench_scale.py:
    /tmp/venv/bin/python tools/bench_ballista.py [--rows 10000000]
Writes tools/bench_ballista.json. The data are bench_scale.py's (same seed): ROWS x 10 float64
as a folder of 8 Parquet files, and a PCA monitor fitted on the first 100,000 rows. Each query
is one whole `recon sql` process under GNU time, run twice, the faster kept:
- local: `--partitions 2` (the best on 2 cores, see the Parquet table above);
- Ballista: `--ballista df://127.0.0.1:PORT` with `recon scheduler` and two `recon executor
  --tasks 1` processes started once before the runs (their start-up is not timed).
"""
import json
import os
import socket
import subprocess
import sys
import time

import bench_scale as bs


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, limit=60):
    start = time.time()
    while time.time() - start < limit:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port}")


def best_of_two(cmd):
    runs = [bs.timed(cmd) for _ in range(2)]
    return min(runs, key=lambda r: r[0])


def main():
    bs.write_tables()
    bs.timed([bs.RECON, "fit", "train.csv", "--model", "pca", "--limits", "analytical", "--out", "m"])
    sched = subprocess.Popen([bs.RECON, "scheduler", "--bind", "127.0.0.1:0"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, cwd=bs.TMP)
    url = sched.stdout.readline().strip().removeprefix("scheduler listening on ")
    execs = []
    for k in range(2):
        flight, grpc = free_port(), free_port()
        execs.append(subprocess.Popen(
            [bs.RECON, "executor", "--scheduler", url, "--bind", f"127.0.0.1:{flight}", "--grpc-port", str(grpc),
             "--tasks", "1", "--work-dir", os.path.join(bs.TMP, f"work{k}")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=bs.TMP))
        wait_port(flight)
    time.sleep(1)
    args = ", ".join(bs.COLS)
    queries = {
        "sql_score": f"SELECT sum(recon_score('{bs.TMP}/m', {args})) AS s FROM t",
        "pca_stats": f"SELECT recon_pca_stats({args}) AS s FROM t",
    }
    res = {"rows": bs.ROWS, "local_partitions": 2, "executors": 2, "tasks_per_executor": 1}
    try:
        for name, q in queries.items():
            base = [bs.RECON, "sql", q, "--table", f"t={bs.TMP}/parts", "--json"]
            lw, lm, lout = best_of_two(base + ["--partitions", "2"])
            bw, bm, bout = best_of_two(base + ["--ballista", url])
            res[name] = {"local": {"seconds": lw, "peak_mib": lm}, "ballista": {"seconds": bw, "client_peak_mib": bm},
                         "ratio": bw / lw}
            if name == "sql_score":
                a, b = json.loads(lout)[0]["s"], json.loads(bout)[0]["s"]
                res[name]["sum_difference"] = abs(a - b) / abs(a)
    finally:
        for p in execs + [sched]:
            p.kill()
    json.dump(res, open(os.path.join(bs.ROOT, "tools/bench_ballista.json"), "w"), indent=1)
    print("| query | local, 2 partitions (s) | Ballista, 2 executors (s) | Ballista / local |")
    print("| --- | ---: | ---: | ---: |")
    for name in queries:
        r = res[name]
        print(f"| {name} | {r['local']['seconds']:.1f} | {r['ballista']['seconds']:.1f} | {r['ratio']:.2f}× |")
    print(f"score sums agree to {res['sql_score']['sum_difference']:.1e} relative")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
