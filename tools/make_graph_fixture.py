#!/usr/bin/env python3
"""Fixture for recon-signal's graph bottleneck: the three pooling operators re-implemented with
numpy from their published definitions, on two small weighted graphs drawn here.

- topk: keep the ceil(n/2) nodes of largest |x| (ties: lower index), scatter back with zeros;
  the next graph is A + A^2 among the kept nodes (diagonal dropped).
- kron: keep {i : s * u_max(i) >= 0} (u_max: eigenvector of the largest Laplacian eigenvalue,
  numpy.linalg.eigh; s makes its largest-magnitude entry positive); reduced Laplacian = Schur
  complement L11 - L12 L22^-1 L21 (numpy.linalg.solve); up = harmonic extension
  x2 = -L22^-1 L21 x1.
- heavy-edge: nodes by increasing weighted degree (ties: index); each unmatched node paired with
  the unmatched neighbour of largest w (1/d_u + 1/d_v) (ties: lower index); mean down, copy up;
  the next graph sums the weights between clusters.

Per operator and level 1..3: ||x - up(down(x))||^2 / ||x||^2, the bottleneck's node and edge
counts, and the share of each quarter of the graph spectrum's energy lost (graph Fourier basis of
the input Laplacian); for kron also the level-1 reduced Laplacian.

    python3 -m venv venv && venv/bin/pip install numpy
    venv/bin/python tools/make_graph_fixture.py
"""
import json, os

import numpy as np


def laplacian(w):
    return np.diag(w.sum(1)) - w


def topk(w, x):
    n = len(x)
    order = sorted(range(n), key=lambda i: (-abs(x[i]), i))
    keep = sorted(order[: (n + 1) // 2])
    b = w + w @ w
    nxt = b[np.ix_(keep, keep)].copy()
    np.fill_diagonal(nxt, 0.0)

    def up(y):
        out = np.zeros(n)
        out[keep] = y
        return out

    return nxt, x[keep], up, None


def kron(w, x):
    n = len(x)
    l = laplacian(w)
    lam, u = np.linalg.eigh(l)
    v = u[:, -1]
    v = v * (1 if v[np.argmax(np.abs(v))] > 0 else -1)
    keep = [i for i in range(n) if v[i] >= 0]
    rest = [i for i in range(n) if v[i] < 0]
    l11, l12 = l[np.ix_(keep, keep)], l[np.ix_(keep, rest)]
    l21, l22 = l[np.ix_(rest, keep)], l[np.ix_(rest, rest)]
    interp = -np.linalg.solve(l22, l21)
    red = l11 + l12 @ interp
    scale = np.abs(np.diag(red)).max()
    nxt = np.where(-red > 1e-12 * scale, -red, 0.0)
    np.fill_diagonal(nxt, 0.0)

    def up(y):
        out = np.zeros(n)
        out[keep] = y
        out[rest] = interp @ y
        return out

    return nxt, x[keep], up, red


def heavy_edge(w, x):
    n = len(x)
    deg = w.sum(1)
    order = sorted(range(n), key=lambda i: (deg[i], i))
    cluster = [-1] * n
    members = []
    for u in order:
        if cluster[u] >= 0:
            continue
        cands = [(w[u, v] * (1 / deg[u] + 1 / deg[v]), -v) for v in range(n) if w[u, v] > 0 and cluster[v] < 0 and v != u]
        c = len(members)
        cluster[u] = c
        m = [u]
        if cands:
            v = -max(cands)[1]
            cluster[v] = c
            m.append(v)
        members.append(m)
    k = len(members)
    p = np.zeros((n, k))
    for i, c in enumerate(cluster):
        p[i, c] = 1.0
    nxt = p.T @ w @ p
    np.fill_diagonal(nxt, 0.0)
    down = np.array([x[m].mean() for m in members])
    return nxt, down, (lambda y: p @ y), None


def cycle(w, x, op, levels):
    lam, u = np.linalg.eigh(laplacian(w))
    n = len(x)
    q = [i * n // 4 for i in range(5)]
    band = lambda v: np.array([np.sum((u[:, q[b]:q[b + 1]].T @ v) ** 2) for b in range(4)])
    spec = band(x)
    ups, cur_w, cur_x, out, red1 = [], w, x, [], None
    for level in range(1, levels + 1):
        cur_w, cur_x, up, red = {"topk": topk, "kron": kron, "heavy-edge": heavy_edge}[op](cur_w, cur_x)
        if level == 1:
            red1 = red
        ups.append(up)
        back = cur_x
        for f in reversed(ups):
            back = f(back)
        r = x - back
        out.append({
            "level": level,
            "nodes": int(cur_w.shape[0]),
            "edges": int(np.count_nonzero(np.triu(cur_w, 1))),
            "relative_error": float(r @ r / (x @ x)),
            "band_loss": (band(r) / spec).tolist(),
        })
    return out, red1


def graph(seed, n):
    rng = np.random.default_rng(seed)
    pts = rng.uniform(size=(n, 2))
    d2 = ((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1)
    r = 0.4
    w = np.where((d2 <= r * r) & (d2 > 0), np.exp(-d2 / (2 * (r / 2) ** 2)), 0.0)
    # Join every node to its nearest neighbour so the graph has no isolated node.
    for i in range(n):
        j = int(np.argsort(d2[i])[1])
        if w[i, j] == 0:
            w[i, j] = w[j, i] = np.exp(-d2[i, j] / (2 * (r / 2) ** 2))
    x = np.sin(3 * pts[:, 0]) + 0.3 * rng.normal(size=n)
    return w, x


cases = []
for seed, n in [(1, 24), (7, 41)]:
    w, x = graph(seed, n)
    lam, u = np.linalg.eigh(laplacian(w))
    assert np.all(lam[1:] > 1e-9), "connected"
    edges = [[int(i), int(j), float(w[i, j])] for i in range(n) for j in range(i + 1, n) if w[i, j] > 0]
    case = {"seed": seed, "nodes": n, "edges": edges, "signal": x.tolist(), "ops": {}}
    for op in ["topk", "kron", "heavy-edge"]:
        levels, red = cycle(w, x, op, 3)
        case["ops"][op] = {"levels": levels}
        if red is not None:
            case["ops"][op]["reduced_laplacian"] = red.tolist()
    cases.append(case)

out = os.path.join(os.path.dirname(__file__), "..", "crates", "recon-signal", "tests", "fixtures", "graphs.json")
with open(out, "w") as f:
    json.dump({"numpy": np.__version__, "cases": cases}, f)
print("wrote", out)
