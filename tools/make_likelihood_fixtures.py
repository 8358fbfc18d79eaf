#!/usr/bin/env python3
"""Reference log-probabilities, count p-values and BH adjustments from scipy, for
crates/recon-neural/tests/likelihood.rs (fixture: crates/recon-neural/tests/fixtures/likelihood.json).

Parametrisations (as scVI and OUTRIDER use them):
- Gaussian N(x; mean, exp(log_var));
- Bernoulli with a logit l: x·log σ(l) + (1 − x)·log(1 − σ(l)) (x in [0, 1]);
- Poisson(k; μ);
- negative binomial NB(k; μ, θ) = scipy nbinom(n = θ, p = θ/(θ + μ)) (mean μ, variance μ + μ²/θ);
- zero-inflated NB with dropout logit l: π = σ(l), p(0) = π + (1 − π)·NB(0), p(k>0) = (1 − π)·NB(k).
Two-sided count p-value (OUTRIDER): min(1, 2·min(P(X ≤ k), P(X ≥ k))); for ZINB,
P(X ≤ k) = π + (1 − π)·F(k) and P(X ≥ k) = (1 − π)·S(k − 1) for k > 0.
Benjamini–Hochberg: scipy.stats.false_discovery_control(p, method="bh").

    venv/bin/pip install numpy scipy && venv/bin/python tools/make_likelihood_fixtures.py
"""
import json, os

import numpy as np
from scipy import special, stats

OUT = os.path.join(os.path.dirname(__file__), "..", "crates", "recon-neural", "tests", "fixtures", "likelihood.json")


def main():
    rows = {"gaussian": [], "bernoulli": [], "poisson": [], "nb": [], "zinb": [], "nb_p": [], "poisson_p": [], "zinb_p": []}
    for x in [-3.0, 0.0, 0.4, 2.5, 40.0]:
        for mean in [-1.0, 0.0, 0.5, 30.0]:
            for log_var in [-6.0, -1.0, 0.0, 2.0, 5.0]:
                v = stats.norm.logpdf(x, loc=mean, scale=np.sqrt(np.exp(log_var)))
                rows["gaussian"].append([x, mean, log_var, float(v)])
    for x in [0.0, 1.0, 0.3]:
        for logit in [-30.0, -4.0, -0.5, 0.0, 1.5, 8.0, 30.0]:
            v = x * special.log_expit(logit) + (1 - x) * special.log_expit(-logit)
            rows["bernoulli"].append([x, logit, float(v)])
    ks = [0, 1, 2, 5, 17, 100, 1000, 25000]
    for k in ks:
        for mu in [0.05, 1.0, 7.5, 100.0, 2000.0, 30000.0]:
            rows["poisson"].append([k, mu, float(stats.poisson.logpmf(k, mu))])
            cdf, below = stats.poisson.cdf(k, mu), stats.poisson.cdf(k - 1, mu)
            rows["poisson_p"].append([k, mu, float(min(1.0, 2 * min(cdf, 1 - below)))])
            for theta in [0.05, 0.5, 2.0, 30.0, 1000.0]:
                p = theta / (theta + mu)
                nb = stats.nbinom.logpmf(k, theta, p)
                rows["nb"].append([k, mu, theta, float(nb)])
                cdf, below = stats.nbinom.cdf(k, theta, p), stats.nbinom.cdf(k - 1, theta, p)
                rows["nb_p"].append([k, mu, theta, float(min(1.0, 2 * min(cdf, 1 - below)))])
                for logit in [-3.0, 0.0, 2.0]:
                    pi = special.expit(logit)
                    if k == 0:
                        v = np.logaddexp(np.log(pi), np.log1p(-pi) + nb)
                    else:
                        v = np.log1p(-pi) + nb
                    rows["zinb"].append([k, mu, theta, logit, float(v)])
                    # Zero-inflated tails: P(X ≤ k) = π + (1 − π) F(k); P(X ≥ k) = (1 − π) S(k − 1), k > 0.
                    lo = pi + (1 - pi) * cdf
                    hi = 1.0 if k == 0 else (1 - pi) * stats.nbinom.sf(k - 1, theta, p)
                    rows["zinb_p"].append([k, mu, theta, logit, float(min(1.0, 2 * min(lo, hi)))])
    rng = np.random.default_rng(0)
    p = np.concatenate([rng.uniform(size=40), rng.uniform(0, 1e-3, size=10), [1.0, 0.0, 0.5, 0.5]])
    rows["bh"] = {"p": p.tolist(), "adjusted": stats.false_discovery_control(p, method="bh").tolist()}
    with open(OUT, "w") as f:
        json.dump(rows, f)
    print(f"wrote {OUT}: " + ", ".join(f"{k} {len(v) if isinstance(v, list) else len(v['p'])}" for k, v in rows.items()))


if __name__ == "__main__":
    main()
