#!/usr/bin/env python3
"""Fixture for recon-signal's bottleneck: down/up cycles computed independently with PyTorch
(avg_pool2d, max_pool2d + max_unpool2d, interpolate nearest / bilinear with align_corners=False,
strided slicing) and numpy (orthonormal Haar by hand, the 2-D FFT for the band losses).

A 48 x 40 image (a smooth pattern plus seeded noise); for every operator and levels 1..3: the
relative error ||x - up(down(x))||^2 / ||x||^2 and the share of each radial frequency band's energy
(edges 0, 1/16, 1/8, 1/4, 1/2 cycles per pixel, the last band to the corner) the residual holds.

    python3 -m venv venv && venv/bin/pip install numpy torch
    venv/bin/python tools/make_bottleneck_fixture.py
"""
import json, os

import numpy as np
import torch
import torch.nn.functional as F

EDGES = [0.0, 0.0625, 0.125, 0.25, 0.5]
rng = np.random.default_rng(7)
h, w = 48, 40
i, j = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
x = 100 + 40 * np.sin(i / 5.0) * np.cos(j / 7.0) + 20 * ((i // 8 + j // 8) % 2) + 5 * rng.normal(size=(h, w))


def bands(a):
    f = np.fft.fft2(a)
    fy = np.fft.fftfreq(a.shape[0])[:, None]
    fx = np.fft.fftfreq(a.shape[1])[None, :]
    r = np.sqrt(fy ** 2 + fx ** 2)
    idx = np.searchsorted(EDGES[1:], r, side="right")
    idx = np.minimum(idx, len(EDGES) - 2)
    return np.array([np.sum(np.abs(f[idx == b]) ** 2) for b in range(len(EDGES) - 1)])


def haar_cycle(a, levels, keep):
    dets = []
    for _ in range(levels):
        p, q, r, s = a[0::2, 0::2], a[0::2, 1::2], a[1::2, 0::2], a[1::2, 1::2]
        dets.append(((p - q + r - s) / 2, (p + q - r - s) / 2, (p - q - r + s) / 2))
        a = (p + q + r + s) / 2
    for hd, vd, dd in reversed(dets):
        if not keep:
            hd, vd, dd = 0 * hd, 0 * vd, 0 * dd
        out = np.zeros((2 * a.shape[0], 2 * a.shape[1]))
        out[0::2, 0::2] = (a + hd + vd + dd) / 2
        out[0::2, 1::2] = (a - hd + vd - dd) / 2
        out[1::2, 0::2] = (a + hd - vd - dd) / 2
        out[1::2, 1::2] = (a - hd - vd + dd) / 2
        a = out
    return a


def torch_cycle(a, op, up, levels):
    t = torch.tensor(a, dtype=torch.float64)[None, None]
    idx = []
    for _ in range(levels):
        if op == "avgpool":
            t = F.avg_pool2d(t, 2)
        elif op == "stride":
            t = t[:, :, ::2, ::2]
        else:
            t, k = F.max_pool2d(t, 2, return_indices=True)
            idx.append(k)
    for _ in range(levels):
        if op == "maxpool":
            t = F.max_unpool2d(t, idx.pop(), 2)
        else:
            t = F.interpolate(t, scale_factor=2, mode=up, **({} if up == "nearest" else {"align_corners": False}))
    return t[0, 0].numpy()


spectrum = bands(x)
cases = []
for op, up in [("avgpool", "nearest"), ("avgpool", "bilinear"), ("stride", "nearest"), ("stride", "bilinear"),
               ("maxpool", None), ("haar", None), ("haar-details", None)]:
    for levels in (1, 2, 3):
        if op.startswith("haar"):
            xh = haar_cycle(x, levels, op == "haar-details")
        else:
            xh = torch_cycle(x, op, up, levels)
        r = x - xh
        cases.append({"op": op, "up": up, "levels": levels, "relative_error": float((r ** 2).sum() / (x ** 2).sum()),
                      "band_loss": (bands(r) / spectrum).tolist()})
path = os.path.join(os.path.dirname(__file__), "..", "crates", "recon-signal", "tests", "fixtures", "bottleneck.json")
with open(path, "w") as fh:
    json.dump({"torch": torch.__version__, "numpy": np.__version__, "image": x.tolist(), "cases": cases}, fh)
print("wrote", path)
