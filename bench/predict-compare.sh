#!/usr/bin/env bash
# Churn models on a generated world against scikit-learn on the same training set: Strata
# trains (`strata predict train --label churned`, 12 monthly snapshots, time-based holdout)
# and exports the very rows, features, labels and split it used; bench/predict_reference.py
# fits scikit-learn's HistGradientBoostingClassifier and LogisticRegression on them. Prints
# the holdout ROC AUC of both sides (target: within 0.01), the whole `predict train` time
# (features of every snapshot in the database, fit, report) and the fit times of both sides.
# Usage: bench/predict-compare.sh [ACCOUNTS]   (default 20000; installs Debian's python3-sklearn if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
bench/ensure-sklearn.sh
accounts=${1:-20000}
dir=bench/out/predict-$accounts
npm run build --silent
if [[ ! -f $dir/.strata/strata.duckdb ]]; then
  node bin/strata.js generate --accounts "$accounts" --seed 2026 --out "$dir/data" --json > /dev/null
  node --input-type=module -e "
    import { saasWorkspaceYaml } from './dist/workspace/template.js';
    import { writeFileSync } from 'node:fs';
    const files = { accounts: 'data/accounts.parquet', users: 'data/users.parquet', events: 'data/events/*.parquet',
      subscriptions: 'data/subscriptions.parquet', tickets: 'data/tickets.parquet', surveys: 'data/surveys.parquet',
      trait_history: 'data/trait_history.parquet' };
    writeFileSync('$dir/strata.yaml', saasWorkspaceYaml(files));"
  node bin/strata.js import -w "$dir" --json > /dev/null
fi
printf 'algorithm\tstrata_auc\tsklearn_auc\tdifference\tstrata_train_s\tstrata_fit_s\tsklearn_fit_s\trows\tfeatures\n'
for algorithm in boosted_trees logistic; do
  started=$(date +%s.%N)
  node bin/strata.js predict train "bench_$algorithm" -w "$dir" --label churned --snapshots 12 --features +billing \
    --algorithm "$algorithm" --export-training "$dir/training-$algorithm.csv" --json > "$dir/strata-$algorithm.json"
  ended=$(date +%s.%N)
  /usr/bin/python3 bench/predict_reference.py "$dir/training-$algorithm.csv" "$algorithm" > "$dir/sklearn-$algorithm.json"
  node --input-type=module -e "
    import { readFileSync } from 'node:fs';
    const trained = JSON.parse(readFileSync('$dir/strata-$algorithm.json', 'utf8'));
    const strata = trained.report;
    const model = JSON.parse(readFileSync(trained.file, 'utf8'));
    const sk = JSON.parse(readFileSync('$dir/sklearn-$algorithm.json', 'utf8'));
    console.log(['$algorithm', strata.rocAuc.toFixed(4), sk.rocAuc.toFixed(4), (strata.rocAuc - sk.rocAuc).toFixed(4),
      ($ended - $started).toFixed(1), model.training.fitSeconds.toFixed(2), sk.seconds.toFixed(2), sk.rows, sk.features].join('\t'));"
done
