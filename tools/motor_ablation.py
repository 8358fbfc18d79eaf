#!/usr/bin/env python3
"""How the motor diagnosis was reached: the same protocol as crates/recon-cli/tests/motor.rs for
several monitors, through the release binary (stdlib only), one table for BENCHMARKS.md.

Training: three 120 s normal runs (seeds 1–3). Signatures: one 60 s labelled run per fault
(seed 10) for load step, speed-sensor drift and current-sensor bias. Judged on seeds 100 and 101:
false-alarm rate on a normal run (persistence 5/10), the share of alarmed faulty rows after the
onset named right across the three faults, and, with each fault left out of the library, the
share of its alarmed rows called "unknown".

    cargo build --release && python3 tools/motor_ablation.py
"""
import json, os, subprocess, sys, tempfile

RECON = os.path.join(os.path.dirname(__file__), "..", "target", "release", "recon")
KNOWN = [("load", "0.05"), ("speed-drift", "0.01"), ("current-bias", "0.5")]
ONSET = 3000
VARIANTS = [
    ("autoencoder 16 → 3, 5-sample window", ["--model", "ae", "--window", "5", "--hidden", "16,3"], []),
    ("PCA 3 comp., lags 0…64, analytical limits", ["--model", "pca", "--lags", "0,1,2,4,8,16,32,64", "--components", "3"], []),
    ("PCA 9 comp., lags 0…64, analytical limits", ["--model", "pca", "--lags", "0,1,2,4,8,16,32,64", "--components", "9"], []),
    ("PCA 5 comp., moving averages, empirical limits, whitened",
     ["--model", "pca", "--ema", "5,20,50,200", "--components", "5", "--limits", "empirical"], ["--whiten"]),
    ("autoencoder 24 → 5, moving averages, whitened", ["--model", "ae", "--ema", "5,20,50,200", "--hidden", "24,5"], ["--whiten"]),
]


def run(*args):
    p = subprocess.run([RECON, *args], capture_output=True, text=True)
    if p.returncode:
        sys.exit(f"{args}: {p.stderr}")
    return json.loads(p.stdout) if p.stdout.strip() else None


def concat(out, parts):
    with open(out, "w") as f:
        for k, p in enumerate(parts):
            t = open(p).read()
            f.write(t if k == 0 else t.split("\n", 1)[1])
    return out


def main():
    with tempfile.TemporaryDirectory() as tmp:
        def sim(name, seed, fault=None, dur="60"):
            path = os.path.join(tmp, name + ".csv")
            if not os.path.exists(path):
                a = ["simulate", "motor", "--seed", str(seed), "--duration", dur, "--out", path]
                if fault:
                    a += ["--fault", fault[0], f"--fault-size={fault[1]}"]
                run(*a)
            return path

        train = concat(os.path.join(tmp, "train.csv"), [sim(f"n{s}", s, None, "120") for s in (1, 2, 3)])
        print("| monitor | false alarms s100 / s101 | named right s100 / s101 | left-out fault called unknown (mean) |")
        print("| --- | ---: | ---: | ---: |")
        for v, (label, fit, lib_args) in enumerate(VARIANTS):
            model = os.path.join(tmp, f"m{v}")
            run("fit", train, "--columns", "voltage,speed,current", "--seed", "0", "--out", model, *fit)

            def library(names, out):
                lab = concat(os.path.join(tmp, out + ".csv"), [sim("lab-" + f, 10, (f, s)) for f, s in KNOWN if f in names])
                sigs = os.path.join(tmp, out + ".json")
                run("diagnose", "fit", model, lab, "--label-col", "fault", "--out", sigs, *lib_args)
                return sigs

            def calls(sigs, path):
                d = run("diagnose", model, sigs, path, "--json", "--persistence", "5/10")
                return [p["fault"] for p in d["predictions"][ONSET:] if p["alarm"] == 1]

            full = library([f for f, _ in KNOWN], f"all{v}")
            far, acc = [], []
            for seed in (100, 101):
                s = run("score", model, sim(f"t-normal{seed}", seed), "--json", "--persistence", "5/10")
                far.append(100 * s["alarm_rate"])
                right = total = 0
                for f, size in KNOWN:
                    c = calls(full, sim(f"t-{f}{seed}", seed, (f, size)))
                    right += sum(x == f for x in c)
                    total += len(c)
                acc.append(100 * right / max(total, 1))
            unknown = []
            for f, _ in KNOWN:
                sigs = library([g for g, _ in KNOWN if g != f], f"lo{v}{f}")
                for seed in (100, 101):
                    c = calls(sigs, os.path.join(tmp, f"t-{f}{seed}.csv"))
                    unknown.append(100 * sum(x == "unknown" for x in c) / max(len(c), 1))
            print(f"| {label} | {far[0]:.2f}% / {far[1]:.2f}% | {acc[0]:.1f}% / {acc[1]:.1f}% | {sum(unknown) / len(unknown):.1f}% |",
                  flush=True)


if __name__ == "__main__":
    main()
