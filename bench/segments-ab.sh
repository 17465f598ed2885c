#!/usr/bin/env bash
# Before and after on a busy machine: `strata run` of an earlier build, of this build, and the
# reference (bench/segments.sh compiles it into bench/out/reference-segments.mjs), interleaved
# N times (default 5) on the M world bench/segments.sh made, so that all three see the same
# load. Prints each step's wall time, CPU time (user + system, which contention disturbs less),
# the time it reports for its own work and the load average, then the medians.
# An earlier build: check out its commit, `npm run build`, copy dist/bundle, bin/strata.js and
# package.json into a folder (its dist/bundle two levels below package.json), pass it as BEFORE.
# Usage: BEFORE=bench/out/before N=5 bench/segments-ab.sh   (after bench/segments.sh M)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=bench/out/seg-M
db=$dir/.strata/strata.duckdb
as_of=2026-10-31T23:59:59Z
rows=$(mktemp)
for i in $(seq 1 "${N:-5}"); do
  for step in before after reference; do
    case $step in
      before) cmd=(node "${BEFORE:?an earlier build, see above}/bin/strata.js" run -w "$dir" --as-of "$as_of" --json) ;;
      after) cmd=(node bin/strata.js run -w "$dir" --as-of "$as_of" --json) ;;
      reference) cmd=(node bench/out/reference-segments.mjs "$db" "$dir/reference.duckdb") ;;
    esac
    /usr/bin/time -f "%e %U %S" -o "$rows.time" "${cmd[@]}" > "$rows.out"
    read -r wall user system < "$rows.time"
    own=$(node -e 'const t = require("fs").readFileSync(process.argv[1], "utf8").trim();
      try { console.log(JSON.parse(t.slice(t.lastIndexOf("\n{") + 1)).seconds.toFixed(2)); } catch { console.log("-"); }' "$rows.out")
    printf '%s\t%s\t%s\t%.2f\t%s\t%s\n' "$i" "$step" "$wall" "$(awk -v u="$user" -v s="$system" 'BEGIN { print u + s }')" \
      "$own" "$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$rows"
  done
done
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
printf 'median\twall\tcpu\town\n'
for step in before after reference; do
  printf '%s' "$step"
  for column in 3 4 5; do printf '\t%s' "$(awk -F'\t' -v s="$step" -v c="$column" '$2 == s { print $c }' "$rows" | median)"; done
  printf '\n'
done
rm -f "$rows" "$rows.time" "$rows.out"
