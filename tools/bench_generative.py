#!/usr/bin/env python3
"""Epoch time of Recon's VAE-GAN and CycleGAN training next to PyTorch CPU with the same
architecture, batch size and thread count, on the digits (one run; for BENCHMARKS.md).

Recon's epoch time is measured through the release binary as the difference between a run of
E2 and a run of E1 epochs divided by E2 - E1 (so loading, the feature network and the
measurement cancel). PyTorch runs the same MLPs (VAE-GAN: encoder 64-128-16, decoder 8-128-64
with a sigmoid, discriminator 64-128-1, least-squares adversarial loss, two Adam optimisers per
batch; CycleGAN: generators 64-128-128-64 with a sigmoid, discriminators 64-128-1, LS losses,
L1 cycle x 10), batch 64, on torch.set_num_threads(T) with T = the cores Recon uses.

    python3 -m venv venv && venv/bin/pip install numpy torch
    cargo build --release && venv/bin/python tools/bench_generative.py
"""
import os, subprocess, sys, tempfile, time

import numpy as np
import torch
from torch import nn

ROOT = os.path.join(os.path.dirname(__file__), "..")
RECON = os.environ.get("RECON", os.path.join(ROOT, "target", "release", "recon"))
DIGITS = os.path.join(ROOT, "data", "digits.csv")
THREADS = int(os.environ.get("THREADS", os.cpu_count() or 1))
E1, E2 = 5, 45


def timed(args):
    t = time.perf_counter()
    subprocess.run([RECON, *args], check=True, capture_output=True)
    return time.perf_counter() - t


def recon_epoch(make_args):
    return (timed(make_args(E2)) - timed(make_args(E1))) / (E2 - E1)


def mlp(*sizes, out=None):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    if out:
        layers.append(out)
    return nn.Sequential(*layers)


def torch_vaegan_epoch(x, epochs=10):
    enc, dec, disc = mlp(64, 128, 16), mlp(8, 128, 64, out=nn.Sigmoid()), mlp(64, 128, 1)
    og = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), 1e-3)
    od = torch.optim.Adam(disc.parameters(), 1e-3)
    n_train = int(0.8 * len(x))
    t = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(n_train)
        for i in range(0, n_train, 64):
            b = x[perm[i:i + 64]]
            h = enc(b)
            m, lv = h[:, :8], h[:, 8:].clamp(-15, 15)
            xh = dec(m + torch.exp(0.5 * lv) * torch.randn_like(m))
            od.zero_grad()
            ld = 0.5 * ((disc(b) - 1) ** 2).mean() + 0.5 * (disc(xh.detach()) ** 2).mean()
            ld.backward()
            od.step()
            og.zero_grad()
            kl = (-0.5 * (1 + lv - m ** 2 - lv.exp()).sum(1)).mean()
            lg = ((xh - b) ** 2).sum(1).mean() + 0.1 * kl + 0.5 * ((disc(xh) - 1) ** 2).mean()
            lg.backward()
            og.step()
        with torch.no_grad():
            enc(x[n_train:])
    return (time.perf_counter() - t) / epochs


def torch_cycle_epoch(x, y, epochs=10):
    g, f = mlp(64, 128, 128, 64, out=nn.Sigmoid()), mlp(64, 128, 128, 64, out=nn.Sigmoid())
    dx, dy = mlp(64, 128, 1), mlp(64, 128, 1)
    og = torch.optim.Adam(list(g.parameters()) + list(f.parameters()), 1e-3)
    od = torch.optim.Adam(list(dx.parameters()) + list(dy.parameters()), 1e-3)
    n_train = int(0.8 * len(x))
    t = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(n_train)
        for i in range(0, n_train, 64):
            bx = x[perm[i:i + 64]]
            by = y[torch.randint(0, len(y), (len(bx),))]
            og.zero_grad()
            fy, fx = g(bx), f(by)
            adv = 0.5 * ((dy(fy) - 1) ** 2).mean() + 0.5 * ((dx(fx) - 1) ** 2).mean()
            cyc = (f(fy) - bx).abs().mean() + (g(fx) - by).abs().mean()
            (adv + 10 * cyc).backward()
            og.step()
            od.zero_grad()
            ld = (0.5 * ((dy(by) - 1) ** 2).mean() + 0.5 * (dy(fy.detach()) ** 2).mean()
                  + 0.5 * ((dx(bx) - 1) ** 2).mean() + 0.5 * (dx(fx.detach()) ** 2).mean())
            ld.backward()
            od.step()
        with torch.no_grad():
            f(g(x[n_train:]))
    return (time.perf_counter() - t) / epochs


def main():
    torch.set_num_threads(THREADS)
    torch.manual_seed(0)
    a = np.loadtxt(DIGITS, delimiter=",", skiprows=1)[:, :64] / 16.0
    x_all = torch.tensor(a, dtype=torch.float32)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([RECON, "simulate", "domains", DIGITS, "--label-col", "label", "--transform", "invert",
                        "--out", os.path.join(tmp, "dom")], check=True, capture_output=True)
        dx = np.loadtxt(os.path.join(tmp, "dom", "x.csv"), delimiter=",", skiprows=1)
        dy = np.loadtxt(os.path.join(tmp, "dom", "y.csv"), delimiter=",", skiprows=1)
        rv = recon_epoch(lambda e: ["generate", "vaegan", DIGITS, "--label-col", "label", "--lambdas", "1", "--epochs", str(e)])
        rc = recon_epoch(lambda e: ["generate", "cycle", "--x", os.path.join(tmp, "dom", "x.csv"),
                                    "--y", os.path.join(tmp, "dom", "y.csv"), "--epochs", str(e)])
    tv = torch_vaegan_epoch(x_all[torch.randperm(len(x_all))[: int(0.8 * len(x_all))]])
    tc = torch_cycle_epoch(torch.tensor(dx, dtype=torch.float32), torch.tensor(dy, dtype=torch.float32))
    print(f"torch {torch.__version__}, {THREADS} threads")
    print("| model | rows per epoch | Recon epoch (ms) | PyTorch epoch (ms) | PyTorch / Recon |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print(f"| VAE-GAN (λ = 1) | {int(0.8 * 0.8 * len(a))} | {1e3 * rv:.1f} | {1e3 * tv:.1f} | {tv / rv:.2f} |")
    print(f"| CycleGAN | {int(0.8 * len(dx))} | {1e3 * rc:.1f} | {1e3 * tc:.1f} | {tc / rc:.2f} |")


if __name__ == "__main__":
    main()
