#!/usr/bin/env bash
# Training that converges by itself: for the NB VAE on simulated counts of several sizes and on
# the real count tables in data/rnaseq, and for the autoencoder on the tables the tests use, the
# default fit (`recon fit` with no training options) next to a long run (Adam 1e-3 fixed, 5000
# epochs, patience 200): epochs, whether it converged, best held-out loss, seconds.
# Usage: tools/convergence.sh   (prints a markdown table; needs python3)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp target/release/recon "$tmp/recon"; R=$tmp/recon
for spec in "200 500 31" "500 200 32" "1000 100 33" "100 300 34"; do
  set -- $spec
  "$R" simulate counts --samples "$1" --genes "$2" --seed "$3" --out "$tmp/sim-$1x$2.csv" >/dev/null 2>&1
done
row() { # name, file, then fit options
  local name=$1 file=$2; shift 2
  for run in default long; do
    local extra=()
    [ "$run" = long ] && extra=(--epochs 5000 --patience 200 --learning-rate 1e-3 --lr-decay 1)
    local t0=$(date +%s.%N)
    "$R" fit "$file" "$@" "${extra[@]}" --out "$tmp/m" >"$tmp/fit.json" 2>/dev/null
    local t1=$(date +%s.%N)
    rm -rf "$tmp/m"
    python3 - "$tmp/fit.json" "$name" "$run" "$(echo "$t1 - $t0" | bc)" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
loss = d.get("validation_neg_elbo", d.get("validation_loss"))
print(f"| {sys.argv[2]} | {sys.argv[3]} | {d['epochs_run']} | {d['best_epoch']} | {'yes' if d['converged'] else 'no'} | {loss:.4f} | {float(sys.argv[4]):.1f} |")
PY
  done
}
printf '| data, model | run | epochs | best epoch | converged | best held-out loss | seconds |\n| --- | --- | ---: | ---: | --- | ---: | ---: |\n'
for size in 200x500 500x200 1000x100 100x300; do
  row "simulated $size, NB VAE" "$tmp/sim-$size.csv" --model vae --likelihood nb --label-col sample_id --group-col condition
done
for t in kremer gtex_skin; do
  row "$t, NB VAE" "data/rnaseq/outrider_${t}_small_counts.csv" --model vae --likelihood nb --label-col sample_id
done
row "Tennessee Eastman d00_train, autoencoder" data/tennessee_eastman/d00_train.csv --model ae
row "wine, autoencoder" data/wine.csv --model ae --label-col cultivar
row "digits, autoencoder" data/digits.csv --model ae --label-col label
