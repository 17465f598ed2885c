#!/usr/bin/env bash
# Segment benchmark: `strata run` of the template workspace (the strata.yaml `strata demo`
# writes) as of the world's end, against bench/reference-segments.sql (the same memberships
# written by hand in plain DuckDB SQL, run by bench/reference-segments.ts on the same
# database file), then bench/compare-segments.ts checks both give the same memberships.
# Per scale: the world is generated into bench/out/seg-X/data unless it is there already
# (a world left in bench/out/ws-X/data by bench/foundation.sh is reused through a symlink),
# the workspace is created and imported with `strata demo` unless its database exists
# (SEG_REIMPORT=1 redoes it), then strata and the reference run alternately REPEAT times
# (default 5), each under GNU time. One step at a time: strata holds a
# lock on the database file. Both run the same way: compiled JavaScript under plain node
# (the reference is compiled with esbuild into bench/out first, as npm run build compiles
# Strata), so neither pays for TypeScript at start-up.
# Results go to bench/out/segments.tsv: one row per measured step (the whole process's
# time and peak RSS, the time each reports for its own work, without starting Node and
# opening the database, and the whole process's CPU time, user + system, which a busy
# machine disturbs less than the wall clock), then per scale the medians and the ratios
# strata/reference of the medians (whole process, peak RSS, own work, CPU).
# Usage: bench/segments.sh M L      (from the repository root, after npm ci)
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out
tsv=$out/segments.tsv
as_of=2026-10-31T23:59:59Z
mkdir -p "$out"
npm run build --silent
reference=$out/reference-segments.mjs
npx esbuild bench/reference-segments.ts --platform=node --format=esm --outfile="$reference" --log-level=warning

measure() { # scale, step, run, command...
  local scale=$1 step=$2 run=$3; shift 3
  local log=$out/seg-$scale/$step-$run.log
  /usr/bin/time -f "%e %M %U %S" -o "$out/seg-time.txt" "$@" > "$log"
  read -r seconds kib user system < "$out/seg-time.txt"
  cpu=$(awk -v u="$user" -v s="$system" 'BEGIN { printf "%.2f", u + s }')
  # The time it reports for its own work: the last JSON object's "seconds" (strata run's
  # report, the reference's {seconds, rows}); '-' for a step that reports none.
  own=$(node -e 'const t = require("fs").readFileSync(process.argv[1], "utf8").trim();
    try { const s = JSON.parse(t.slice(t.lastIndexOf("\n{") + 1)).seconds; console.log(typeof s === "number" ? s.toFixed(2) : "-"); }
    catch { console.log("-"); }' "$log")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scale" "$step" "$run" "$seconds" "$((kib / 1024))" "$own" "$cpu" | tee -a "$tsv"
}
median() { # scale, step, column (4 seconds, 5 peak RSS, 6 own seconds, 7 CPU seconds)
  awk -F'\t' -v s="$1" -v st="$2" -v c="$3" '$1 == s && $2 == st && $3 ~ /^[0-9]+$/ { print $c }' "$tsv" |
    sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
world_is() { # manifest, scale: a seed-42 world of that scale?
  [[ -f $1 ]] && node -e 'const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    process.exit(m.scale === process.argv[2] && m.seed === 42 ? 0 : 1)' "$1" "$2"
}

printf 'scale\tstep\trun\tseconds\tpeak_rss_mib\town_seconds\tcpu_seconds\n' > "$tsv"
status=0
for scale in "$@"; do
  dir=$out/seg-$scale
  db=$dir/.strata/strata.duckdb
  mkdir -p "$dir"
  if ! world_is "$dir/data/manifest.json" "$scale"; then
    if world_is "$out/ws-$scale/data/manifest.json" "$scale"; then
      rm -rf "$dir/data"
      ln -s "../ws-$scale/data" "$dir/data"
    else
      rm -rf "$dir/data"
      measure "$scale" generate 1 node bin/strata.js generate --scale "$scale" --seed 42 --out "$dir/data" --json
    fi
  fi
  if [[ ! -f $db || ${SEG_REIMPORT:-0} == 1 ]]; then
    rm -rf "$dir/.strata" "$dir/strata.yaml"
    # Imports every table, runs the workspace (a month before the end, then at the end) and
    # saves the dashboard's examples (a clustering, a churn model, an A/B test).
    measure "$scale" demo 1 node bin/strata.js demo -w "$dir" --scale "$scale" --seed 42 --json
  fi
  for run in $(seq 1 "${REPEAT:-5}"); do
    measure "$scale" strata-run "$run" node bin/strata.js run -w "$dir" --as-of "$as_of" --json
    measure "$scale" reference "$run" node "$reference" "$db" "$dir/reference.duckdb"
  done
  for step in strata-run reference; do
    printf '%s\t%s\tmedian\t%s\t%s\t%s\t%s\n' "$scale" "$step" "$(median "$scale" $step 4)" "$(median "$scale" $step 5)" \
      "$(median "$scale" $step 6)" "$(median "$scale" $step 7)" | tee -a "$tsv"
  done
  ratio() { awk -v a="$(median "$scale" strata-run "$1")" -v b="$(median "$scale" reference "$1")" 'BEGIN { printf "%.2f", a / b }'; }
  printf '%s\tratio strata/reference\tmedian\t%s\t%s\t%s\t%s\n' "$scale" "$(ratio 4)" "$(ratio 5)" "$(ratio 6)" "$(ratio 7)" | tee -a "$tsv"
  # Memberships of the latest strata run against the latest reference run.
  if node --import tsx bench/compare-segments.ts "$db" "$dir/reference.duckdb" | tee "$dir/compare.txt"; then
    printf '%s\tmemberships\t-\tidentical\t-\n' "$scale" >> "$tsv"
  else
    printf '%s\tmemberships\t-\tDIFFER\t-\n' "$scale" >> "$tsv"
    status=1
  fi
done
rm -f "$out/seg-time.txt"
exit $status
