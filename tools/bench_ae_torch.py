#!/usr/bin/env python3
"""Autoencoder throughput, Recon (burn flex + faer) next to PyTorch on CPU, in one run.

Same architecture as crates/recon-neural/benches/autoencoder.rs (15 → 16 → 3 → 16 → 15, tanh
after every layer but the last), same data (the bench's deterministic sine table, standardised),
same batch size (64), Adam at 1e-3, MSE loss, 80% of 20,000 rows per epoch (16,000). Scoring =
the forward pass and the per-row mean squared error on 10,000 and 100,000 rows. PyTorch runs with
torch.set_num_threads(T) for T = 1 and 2; Recon's numbers come from its criterion bench, run by
this script (`cargo bench -p recon-neural --bench autoencoder`), on the same machine, right after.

    venv/bin/pip install numpy torch && venv/bin/python tools/bench_ae_torch.py
"""
import os, re, subprocess, sys, time

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(__file__), "..")


def data(n):
    i = np.arange(n, dtype=np.float64)[:, None]
    j = np.arange(15)[None, :]
    return np.sin(i * 0.001 + j) + 0.01 * ((i.astype(np.int64) * 31 + j * 7) % 13)


def model():
    sizes = [15, 16, 3, 16, 15]
    layers = []
    for k in range(4):
        layers.append(torch.nn.Linear(sizes[k], sizes[k + 1]))
        if k < 3:
            layers.append(torch.nn.Tanh())
    return torch.nn.Sequential(*layers)


def best_of(f, reps):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return min(ts)


def torch_rows(threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x = data(20_000)
    x = (x - x.mean(0)) / x.std(0)
    xt = torch.tensor(x[:16_000], dtype=torch.float32)
    net = model()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)

    def epoch():
        perm = torch.randperm(xt.shape[0])
        for s in range(0, xt.shape[0], 64):
            b = xt[perm[s:s + 64]]
            opt.zero_grad()
            loss = ((net(b) - b) ** 2).mean()
            loss.backward()
            opt.step()

    epoch()  # warm-up
    out = {"train": 16_000 / best_of(epoch, 5)}
    for n in (10_000, 100_000):
        z = data(n)
        zt = torch.tensor((z - z.mean(0)) / z.std(0), dtype=torch.float32)

        def score():
            with torch.no_grad():
                ((net(zt) - zt) ** 2).mean(1)

        score()
        out[n] = n / best_of(score, 10)
    return out


def recon_rows():
    p = subprocess.run(["cargo", "bench", "-p", "recon-neural", "--bench", "autoencoder"], cwd=ROOT,
                       capture_output=True, text=True, check=True)
    out = {}
    for name, key in [("ae_score/10000", 10_000), ("ae_score/100000", 100_000), ("ae_train_epoch/20000x15_batch64", "train")]:
        m = re.search(re.escape(name) + r".*?thrpt:\s+\[[^\]]*?([\d.]+) ([KM]?)elem/s\s+([\d.]+) ([KM]?)elem/s", p.stdout, re.S)
        if not m:
            sys.exit(f"could not read {name} from the criterion output:\n{p.stdout[-2000:]}")
        v, unit = float(m.group(3)), m.group(4)
        out[key] = v * {"": 1, "K": 1e3, "M": 1e6}[unit]
    return out


def main():
    rows = {f"PyTorch {torch.__version__}, {t} thread(s)": torch_rows(t) for t in (1, 2)}
    rows["Recon (criterion median)"] = recon_rows()
    print("| implementation | train epoch (rows/s) | score 10,000 rows (rows/s) | score 100,000 rows (rows/s) |")
    print("| --- | ---: | ---: | ---: |")
    for name, r in rows.items():
        print(f"| {name} | {r['train'] / 1e3:.0f} k | {r[10_000] / 1e3:.0f} k | {r[100_000] / 1e3:.0f} k |")


if __name__ == "__main__":
    main()
