#!/usr/bin/env bash
# Foundation benchmark: `strata generate` at the given scales, and `strata import` of the
# first scale's world against the bare DuckDB load (bench/reference-load.ts) of the same
# files, and DuckDB alone writing as many event rows (bench/reference-write.ts).
# Wall time and peak RSS come from GNU time. Results go to bench/out/foundation.tsv.
# Usage: bench/foundation.sh M L      (from the repository root, after npm ci)
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out
mkdir -p "$out"
npm run build --silent
measure() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$out/time.txt" "$@" > "$out/$label.log"
  read -r seconds kib < "$out/time.txt"
  printf '%s\t%s\t%s\n' "$label" "$seconds" "$((kib / 1024))" | tee -a "$out/foundation.tsv"
}
printf 'step\tseconds\tpeak_rss_mib\n' > "$out/foundation.tsv"
for scale in "$@"; do
  rm -rf "$out/ws-$scale"
  measure "generate-$scale" node bin/strata.js generate --scale "$scale" --seed 42 --out "$out/ws-$scale/data" --json
  du -sh "$out/ws-$scale/data" | tee -a "$out/foundation.tsv"
done
first=$1
# `demo` finds the world already generated with this scale and seed, so it only imports.
measure "import-$first" node bin/strata.js demo -w "$out/ws-$first" --scale "$first" --seed 42 --json
rm -f "$out/reference-$first.duckdb"
measure "reference-load-$first" node --import tsx bench/reference-load.ts "$out/ws-$first/data" "$out/reference-$first.duckdb"
for scale in "$@"; do
  measure "reference-write-$scale" node --import tsx bench/reference-write.ts "$out/ws-$scale/data" "$out/reference-$scale.parquet"
  rm -f "$out/reference-$scale.parquet"
done
