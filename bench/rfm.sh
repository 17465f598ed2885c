#!/usr/bin/env bash
# RFM benchmark: `strata analyze rfm` on the template workspace's database (bench/out/seg-X,
# built by bench/segments.sh) against bench/reference-rfm.sql (the same RFM by hand in DuckDB
# SQL), alternately REPEAT times (default 3) under GNU time; then checks that both give the
# same accounts per cell and per (R, FM), and that the reference's scores are pandas'
# (bench/rfm_pandas.py on its per-account values, with Debian's python3-pandas: /usr/bin/python3).
# Results: bench/out/rfm.tsv (one row per step, then medians and the ratio strata/reference).
# Usage: bench/rfm.sh M L      (from the repository root, after bench/segments.sh M L)
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out
tsv=$out/rfm.tsv
as_of=2026-10-31T23:59:59Z
npm run build --silent
printf 'scale\tstep\trun\tseconds\tpeak_rss_mib\n' > "$tsv"

measure() { # scale, step, run, output file, command...
  local scale=$1 step=$2 run=$3 log=$4; shift 4
  /usr/bin/time -f "%e %M" -o "$out/rfm-time.txt" "$@" > "$log"
  read -r seconds kib < "$out/rfm-time.txt"
  printf '%s\t%s\t%s\t%s\t%s\n' "$scale" "$step" "$run" "$seconds" "$((kib / 1024))" | tee -a "$tsv"
}
median() { # scale, step, column
  awk -F'\t' -v s="$1" -v st="$2" -v c="$3" '$1 == s && $2 == st && $3 ~ /^[0-9]+$/ { print $c }' "$tsv" |
    sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

for scale in "$@"; do
  dir=$out/seg-$scale
  db=$dir/.strata/strata.duckdb
  [[ -f $db ]] || { echo "run bench/segments.sh $scale first" >&2; exit 1; }
  for run in $(seq 1 "${REPEAT:-3}"); do
    measure "$scale" strata "$run" "$out/rfm-$scale-strata.json" node bin/strata.js analyze rfm -w "$dir" --as-of "$as_of" --json
    measure "$scale" reference "$run" "$out/rfm-$scale-reference.json" node --import tsx bench/reference-rfm.ts "$db"
  done
  for step in strata reference; do
    printf '%s\t%s\tmedian\t%s\t%s\n' "$scale" "$step" "$(median "$scale" "$step" 4)" "$(median "$scale" "$step" 5)" >> "$tsv"
  done
  awk -F'\t' -v s="$scale" '$1 == s && $3 == "median" { t[$2] = $4; m[$2] = $5 }
    END { printf "%s\tratio strata/reference\tmedian\t%.2f\t%.2f\n", s, t["strata"] / t["reference"], m["strata"] / m["reference"] }' "$tsv" >> "$tsv"
  # Same accounts per cell and per (R, FM) on both sides.
  node -e '
    const [strata, reference] = process.argv.slice(1).map((f) => JSON.parse(require("fs").readFileSync(f, "utf8")));
    const cells = (list) => Object.fromEntries(list.filter((c) => c.accounts > 0).map((c) => [c.cell, c.accounts]));
    const grid = (list) => Object.fromEntries(list.map((g) => [`${g.r},${g.fm}`, g.accounts]));
    const same = (a, b) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
    const ok = same(cells(strata.cells), cells(reference.cells)) && same(grid(strata.grid), grid(reference.grid));
    console.log(ok ? "cells and grid identical" : "DIFFERENT: " + JSON.stringify({ strata: cells(strata.cells), reference: cells(reference.cells) }));
    process.exit(ok ? 0 : 1);' "$out/rfm-$scale-strata.json" "$out/rfm-$scale-reference.json" | tee -a "$tsv"
  node --import tsx bench/reference-rfm.ts "$db" "$out/rfm-$scale-values.csv" > /dev/null
  printf '%s\tpandas qcut check\t-\t%s\n' "$scale" "$(/usr/bin/python3 bench/rfm_pandas.py "$out/rfm-$scale-values.csv")" | tee -a "$tsv"
done
column -t -s $'\t' "$tsv"
