#!/usr/bin/env python3
"""Benchmark rows for issue 15 (discover, molecules): the SMILES VAE's training speed against a
PyTorch model of the same shape on CPU, and sampling with validity checking. One run, side by
side, on this machine.

Shape (both): one-hot tokens (the table's tokens plus begin and end), a GRU encoder of width H
over the tokens and the end token (PyTorch: a packed sequence), a linear map to the latent mean
and log-variance (K each), the reparameterised code, `h0 = Linear(z)`, a GRU decoder of width H
reading the previous token concatenated with z (teacher forcing), a linear map to the logits;
loss = summed next-token cross-entropy per molecule + β·KL (β = 0.5, no warm-up in PyTorch), Adam (lr 2e-3), batch
128, the 20,000 QM9 SMILES of data/molecules with 5% held out.

- Recon: `cargo run --release -p recon --example smiles_vae_rate -- data/molecules/qm9_smiles_20k.csv H K 2 10000`
  (seconds of each epoch: training steps plus the held-out pass; then 10,000 prior samples decoded
  token by token and checked by `recon_chem::smiles::check`).
- PyTorch: the same model in `torch.nn.GRU` / `nn.Linear`, two epochs at its best thread count
  (1 and 2 tried), then 10,000 prior samples decoded and checked by `rdkit.Chem.MolFromSmiles`.

    python3 -m venv venv && venv/bin/pip install torch rdkit==2026.9.1
    venv/bin/python tools/bench_smiles_vae.py [H K]
"""

import csv
import json
import os
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from rdkit import Chem, RDLogger

RDLogger.DisableLog("rdApp.*")
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DATA = os.path.join(ROOT, "data", "molecules", "qm9_smiles_20k.csv")
H = int(sys.argv[1]) if len(sys.argv) > 1 else 128
K = int(sys.argv[2]) if len(sys.argv) > 2 else 32
ORGANIC = ["Cl", "Br", "B", "C", "N", "O", "P", "S", "F", "I", "b", "c", "n", "o", "p", "s"]


def tokenize(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == "[":
            j = s.index("]", i) + 1
        elif s[i] == "%":
            j = i + 3
        else:
            t = next((t for t in ORGANIC if s.startswith(t, i)), None)
            j = i + (len(t) if t else 1)
        out.append(s[i:j])
        i = j
    return out


with open(DATA) as f:
    smiles = [r["smiles"] for r in csv.DictReader(f)]
toks = [tokenize(s) for s in smiles]
vocab = sorted({t for ts in toks for t in ts})
END, BEGIN = 0, 1
V = len(vocab) + 2
index = {t: i + 2 for i, t in enumerate(vocab)}
seqs = [[index[t] for t in ts] for ts in toks]
g = torch.Generator().manual_seed(0)
order = torch.randperm(len(seqs), generator=g).tolist()
n_val = round(0.05 * len(seqs))
val, train = order[:n_val], order[n_val:]


class Vae(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.GRU(V, H, batch_first=True)
        self.q = nn.Linear(H, 2 * K)
        self.init = nn.Linear(K, H)
        self.dec = nn.GRU(V + K, H, batch_first=True)
        self.out = nn.Linear(H, V)

    def loss(self, batch):
        b = len(batch)
        T = max(len(s) for s in batch) + 1
        enc = torch.zeros(b, T, V)
        dec = torch.zeros(b, T, V)
        target = torch.full((b, T), -100, dtype=torch.long)
        for i, s in enumerate(batch):
            full = s + [END]
            enc[i, torch.arange(len(full)), torch.tensor(full)] = 1.0
            prev = [BEGIN] + s
            dec[i, torch.arange(len(prev)), torch.tensor(prev)] = 1.0
            target[i, : len(full)] = torch.tensor(full)
        lengths = torch.tensor([len(s) + 1 for s in batch])
        packed = nn.utils.rnn.pack_padded_sequence(enc, lengths, batch_first=True, enforce_sorted=False)
        _, h = self.enc(packed)
        mu, lv = self.q(h[-1]).chunk(2, -1)
        lv = lv.clamp(-15, 15)
        z = mu + torch.randn_like(mu) * (0.5 * lv).exp()
        x = torch.cat([dec, z.unsqueeze(1).expand(-1, T, -1)], -1)
        out, _ = self.dec(x, self.init(z).unsqueeze(0))
        ce = F.cross_entropy(self.out(out).reshape(-1, V), target.reshape(-1), reduction="sum", ignore_index=-100)
        kl = -0.5 * (1 + lv - mu.pow(2) - lv.exp()).sum()
        return (ce + 0.5 * kl) / b

    @torch.no_grad()
    def sample(self, n):
        z = torch.randn(n, K)
        h = self.init(z).unsqueeze(0)
        prev = torch.full((n,), BEGIN)
        done = torch.zeros(n, dtype=torch.bool)
        out = [[] for _ in range(n)]
        for _ in range(max(len(s) for s in seqs) + 1):
            x = torch.cat([F.one_hot(prev, V).float(), z], -1).unsqueeze(1)
            o, h = self.dec(x, h)
            nxt = torch.multinomial(F.softmax(self.out(o[:, 0]), -1), 1)[:, 0]
            for i in torch.nonzero(~done)[:, 0].tolist():
                t = nxt[i].item()
                if t < 2:
                    done[i] = True
                else:
                    out[i].append(vocab[t - 2])
            prev = nxt
            if done.all():
                break
        return ["".join(s) for s in out]


def torch_run(threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = Vae()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    times = []
    for _ in range(2):
        start = time.perf_counter()
        perm = torch.randperm(len(train)).tolist()
        model.train()
        for k in range(0, len(train), 128):
            batch = [seqs[train[i]] for i in perm[k : k + 128]]
            loss = model.loss(batch)
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            model.loss([seqs[i] for i in val])
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    drawn = model.sample(10000)
    valid = sum(Chem.MolFromSmiles(s) is not None and s != "" for s in drawn)
    secs = time.perf_counter() - start
    return {"threads": threads, "epoch_seconds": times, "samples_per_s": 10000 / secs, "validity": valid / 10000}


torch_rows = [torch_run(t) for t in (1, 2)]
out = subprocess.run(
    ["cargo", "run", "--release", "-q", "-p", "recon", "--example", "smiles_vae_rate", "--", DATA, str(H), str(K), "2", "10000"],
    cwd=ROOT, check=True, capture_output=True, text=True,
).stdout
rs = json.loads(out)
best = min(torch_rows, key=lambda r: r["epoch_seconds"][-1])
result = {
    "hidden": H,
    "latent": K,
    "recon": rs,
    "pytorch": torch_rows,
    "pytorch_version": torch.__version__,
    "recon_epochs_per_s": 1 / rs["epoch_seconds"][-1],
    "pytorch_epochs_per_s": 1 / best["epoch_seconds"][-1],
    "ratio_recon_over_pytorch": best["epoch_seconds"][-1] / rs["epoch_seconds"][-1],
}
path = os.path.join(ROOT, "tools", f"bench_smiles_vae_h{H}.json")
with open(path, "w") as f:
    json.dump(result, f, indent=2)
print(json.dumps(result, indent=2))
