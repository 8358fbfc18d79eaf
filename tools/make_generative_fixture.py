#!/usr/bin/env python3
"""Fixture for the generative rulers and losses: values computed independently with PyTorch,
scipy and numpy on fixed small inputs.

- Adversarial losses from logits (torch.nn.BCEWithLogitsLoss; LSGAN as 0.5 * MSELoss),
  the L1 cycle loss (torch.nn.L1Loss), the Gaussian KL per row.
- The Frechet distance with scipy.linalg.sqrtm (the pytorch-fid formula:
  ||mu1 - mu2||^2 + tr(S1 + S2 - 2 sqrtm(S1 S2)), np.cov with n - 1).
- The sliced Wasserstein-2 distance along given unit directions, by sorting (numpy).

    python3 -m venv venv && venv/bin/pip install numpy scipy torch
    venv/bin/python tools/make_generative_fixture.py
"""
import json, os

import numpy as np
import scipy
import scipy.linalg
import torch

rng = np.random.default_rng(11)
real = rng.normal(1.0, 2.0, size=(7, 1)).astype(np.float32)
fake = rng.normal(-0.5, 3.0, size=(7, 1)).astype(np.float32)
fake[0, 0] = 40.0  # a large logit: a stable loss must not overflow
x = rng.normal(size=(5, 6)).astype(np.float32)
xh = (x + rng.normal(scale=0.3, size=(5, 6))).astype(np.float32)
mu = rng.normal(size=(4, 3)).astype(np.float32)
lv = rng.normal(scale=0.5, size=(4, 3)).astype(np.float32)

t = lambda a: torch.tensor(a)
bce = torch.nn.BCEWithLogitsLoss()
mse = torch.nn.MSELoss()
ones, zeros = torch.ones(7, 1), torch.zeros(7, 1)
losses = {
    "ns_discriminator": float(bce(t(real), ones) + bce(t(fake), zeros)),
    "ns_generator": float(bce(t(fake), ones)),
    "ls_discriminator": float(0.5 * mse(t(real), ones) + 0.5 * mse(t(fake), zeros)),
    "ls_generator": float(0.5 * mse(t(fake), ones)),
    "l1": float(torch.nn.L1Loss()(t(x), t(xh))),
    "kl_rows": (-0.5 * torch.sum(1 + t(lv) - t(mu) ** 2 - torch.exp(t(lv)), dim=1)).tolist(),
}


def frechet(a, b):
    m1, m2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    covmean = covmean.real
    return float(((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def sliced(a, b, dirs):
    pa, pb = np.sort(a @ dirs, axis=0), np.sort(b @ dirs, axis=0)
    return float(np.sqrt(np.mean((pa - pb) ** 2)))


fa = rng.normal(size=(60, 5))
fb = rng.normal(size=(60, 5)) @ rng.normal(size=(5, 5)) * 0.7 + 0.4
dirs = rng.normal(size=(5, 9))
dirs /= np.linalg.norm(dirs, axis=0)
out = {
    "torch": torch.__version__, "scipy": scipy.__version__, "numpy": np.__version__,
    "real": real[:, 0].tolist(), "fake": fake[:, 0].tolist(), "x": x.tolist(), "x_hat": xh.tolist(),
    "mu": mu.tolist(), "log_var": lv.tolist(), "losses": losses,
    "features_a": fa.tolist(), "features_b": fb.tolist(), "directions": dirs.tolist(),
    "frechet": frechet(fa, fb), "frechet_self": frechet(fa, fa), "sliced": sliced(fa, fb, dirs),
}
path = os.path.join(os.path.dirname(__file__), "..", "crates", "recon-neural", "tests", "fixtures", "generative.json")
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", path, losses, out["frechet"], out["sliced"])
