#!/usr/bin/env python3
"""NB-VAE epoch time: Recon (burn flex) next to a PyTorch NB-VAE of the same shape and, where it
installs, scvi-tools' SCVI — CPU, same data, layers, batch size, in one run.

Data: `recon simulate counts --samples 2000 --genes 500 --seed 1` (written by this script with the
release binary). Model: log1p input → 128 (ReLU) → latent 10 (mean, log-variance) → 128 (ReLU)
→ softmax gene shares × library size; NB with one dispersion per gene; Adam 1e-3; batch 64; 80% of
the samples train, 20% held out (evaluated once per epoch, as Recon does for early stopping).
Epoch time = (wall time of 11 epochs − wall time of 1 epoch) / 10, which removes start-up.

    venv/bin/pip install numpy torch [scvi-tools] && cargo build --release
    venv/bin/python tools/bench_vae_torch.py
"""
import json, os, subprocess, sys, tempfile, time

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(__file__), "..")
RECON = os.path.join(ROOT, "target", "release", "recon")


def load(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
    genes = [h for h in header if h.startswith("gene")]
    x = np.loadtxt(path, delimiter=",", skiprows=1, usecols=range(len(genes)))
    return x.astype(np.float32), genes


class NbVae(torch.nn.Module):
    def __init__(self, d, h=128, k=10):
        super().__init__()
        self.enc = torch.nn.Sequential(torch.nn.Linear(d, h), torch.nn.ReLU(), torch.nn.Linear(h, 2 * k))
        self.dec = torch.nn.Sequential(torch.nn.Linear(k, h), torch.nn.ReLU(), torch.nn.Linear(h, d))
        self.log_theta = torch.nn.Parameter(torch.zeros(d))
        self.k = k

    def loss(self, x):
        lib = x.sum(1, keepdim=True)
        h = self.enc(torch.log1p(x))
        m, lv = h[:, :self.k], h[:, self.k:].clamp(-15, 15)
        z = m + torch.exp(0.5 * lv) * torch.randn_like(m)
        mu = torch.softmax(self.dec(z), 1) * lib + 1e-8
        theta = torch.exp(self.log_theta)
        ltm = torch.log(theta + mu)
        ll = theta * (torch.log(theta) - ltm) + x * (torch.log(mu) - ltm) + torch.lgamma(x + theta) - torch.lgamma(theta) - torch.lgamma(x + 1)
        kl = -0.5 * (1 + lv - m ** 2 - torch.exp(lv)).sum(1)
        return (-ll.sum(1) + kl).mean()


def torch_epochs(x, epochs, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    n = x.shape[0]
    perm = np.random.default_rng(0).permutation(n)
    tr, va = torch.tensor(x[perm[: int(0.8 * n)]]), torch.tensor(x[perm[int(0.8 * n):]])
    net = NbVae(x.shape[1])
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    t0 = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(tr.shape[0])
        for s in range(0, tr.shape[0], 64):
            b = tr[order[s:s + 64]]
            opt.zero_grad()
            loss = net.loss(b)
            loss.backward()
            opt.step()
        with torch.no_grad():
            net.loss(va)
    return time.perf_counter() - t0


def recon_epochs(path, genes, epochs, tmp):
    t0 = time.perf_counter()
    subprocess.run([RECON, "fit", path, "--model", "vae", "--likelihood", "nb", "--label-col", "sample_id",
                    "--group-col", "condition", "--hidden", "128", "--latent", "10", "--epochs", str(epochs),
                    "--patience", "1000", "--seed", "0", "--out", os.path.join(tmp, f"m{epochs}")],
                   check=True, capture_output=True)
    return time.perf_counter() - t0


def scvi_epochs(x, epochs):
    import anndata, scvi
    scvi.settings.seed = 0
    ad = anndata.AnnData(x)
    scvi.model.SCVI.setup_anndata(ad)
    m = scvi.model.SCVI(ad, n_hidden=128, n_latent=10, n_layers=1, gene_likelihood="nb")
    t0 = time.perf_counter()
    m.train(max_epochs=epochs, batch_size=64, train_size=0.8, early_stopping=False, accelerator="cpu",
            enable_progress_bar=False)
    return time.perf_counter() - t0


def per_epoch(f):
    return (f(11) - f(1)) / 10


def main():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "counts.csv")
        subprocess.run([RECON, "simulate", "counts", "--samples", "2000", "--genes", "500", "--seed", "1",
                        "--out", path], check=True, capture_output=True)
        x, genes = load(path)
        rows = [("Recon (burn flex)", per_epoch(lambda e: recon_epochs(path, genes, e, tmp)))]
        for t in (1, 2):
            rows.append((f"PyTorch {torch.__version__}, {t} thread(s)", per_epoch(lambda e: torch_epochs(x, e, t))))
        try:
            rows.append(("scvi-tools SCVI", per_epoch(lambda e: scvi_epochs(x, e))))
        except Exception as e:
            print(f"(scvi-tools skipped: {type(e).__name__}: {str(e).splitlines()[0][:100]})", file=sys.stderr)
    print("| implementation | seconds per epoch (1,600 training samples × 500 genes, batch 64) |")
    print("| --- | ---: |")
    for name, s in rows:
        print(f"| {name} | {s:.3f} |")


if __name__ == "__main__":
    main()
