#!/usr/bin/env bash
# Time and peak memory of each analysis command on the template workspace's database
# (bench/out/seg-X, built by bench/segments.sh), REPEAT times each (default 3), under GNU
# time. No reference scripts here (RFM has its own, bench/rfm.sh): figures for scale.
# Results: bench/out/analyses.tsv. Usage: bench/analyses.sh M L
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out
tsv=$out/analyses.tsv
as_of=2026-10-31T23:59:59Z
npm run build --silent
printf 'scale\tanalysis\trun\tseconds\tpeak_rss_mib\n' > "$tsv"
for scale in "$@"; do
  dir=$out/seg-$scale
  [[ -f $dir/.strata/strata.duckdb ]] || { echo "run bench/segments.sh $scale first" >&2; exit 1; }
  # A fresh A/B test each time: a test name cannot be reused.
  test_name=$(node -e 'console.log("bench_ab_" + Date.now())')
  node bin/strata.js ab create "$test_name" --segment paying -w "$dir" --json > /dev/null
  while IFS='|' read -r name args; do
    for run in $(seq 1 "${REPEAT:-3}"); do
      # shellcheck disable=SC2086
      /usr/bin/time -f "%e %M" -o "$out/analyses-time.txt" node bin/strata.js $args -w "$dir" --json > /dev/null
      read -r seconds kib < "$out/analyses-time.txt"
      printf '%s\t%s\t%s\t%s\t%s\n' "$scale" "$name" "$run" "$seconds" "$((kib / 1024))" | tee -a "$tsv"
    done
  done <<LIST
cohorts|analyze cohorts --as-of $as_of
funnel|analyze funnel --steps signup,trial_started,trial_completed,subscription_paid --by scheme:cs_tiers --as-of $as_of
icp|analyze icp --as-of $as_of
quality|analyze quality --as-of $as_of
performance|analyze performance
validate all|validate
validate one|validate at_risk
ab report (event)|ab report $test_name --event session_start --within 30d --as-of $as_of
ab report (metric)|ab report $test_name --metric mrr --as-of $as_of
LIST
done
