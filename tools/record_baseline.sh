#!/usr/bin/env bash
# Records the `--json` output of every model-producing command on the data in data/, from the
# binary built at the current checkout, into crates/recon-cli/tests/fixtures/baseline/.
# Run from the repository root, once, before a refactoring that must not change the numbers:
#   cargo build --release && tools/record_baseline.sh
# crates/recon-cli/tests/cli/baseline.rs replays the same commands with the new binary and
# requires the same numbers (1e-12 relative) for every key the old output had.
# The commands themselves are listed in baseline_commands.txt beside the fixtures (one per line,
# `NAME<TAB>args…`; $TMP is a scratch folder shared by the lines, so a model written by one line
# is scored by a later one).
set -euo pipefail
cd "$(dirname "$0")/.."
R=${RECON:-target/release/recon}
fix=${FIXTURES:-crates/recon-cli/tests/fixtures/baseline}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
while IFS=$'\t' read -r name args; do
  [ -z "$name" ] && continue
  case $name in \#*) continue;; esac
  args=${args//\$TMP/$tmp}
  echo "== $name: recon $args" >&2
  # shellcheck disable=SC2086
  if [ "${name#_}" != "$name" ]; then "$R" $args >/dev/null; else "$R" $args >"$fix/${name#\~}.json"; fi
done <"$fix/baseline_commands.txt"
echo "recorded $(ls "$fix"/*.json | wc -l) outputs in $fix" >&2
