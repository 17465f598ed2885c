"""scikit-learn on the training set Strata exported (`strata predict train --export-training`):
the same rows, features, labels and time-based split. Fits HistGradientBoostingClassifier
(Strata's boosted_trees settings) and LogisticRegression (C = 1 on standardised features, a
missing value at the training mean, as Strata does) and prints holdout ROC AUC and fit time
as JSON. Usage: /usr/bin/python3 bench/predict_reference.py FILE.csv [boosted_trees|logistic]
(Debian's python3-sklearn and python3-pandas)."""
import json
import sys
import time

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

frame = pd.read_csv(sys.argv[1])
algorithm = sys.argv[2] if len(sys.argv) > 2 else "boosted_trees"
features = [c for c in frame.columns if c not in ("label", "split")]
train = frame[frame.split == "train"]
holdout = frame[frame.split == "holdout"]
x_train, y_train = train[features].to_numpy(float), train.label.to_numpy(int)
x_test, y_test = holdout[features].to_numpy(float), holdout.label.to_numpy(int)

started = time.perf_counter()
if algorithm == "logistic":
    means = np.nanmean(x_train, axis=0)
    means = np.where(np.isnan(means), 0, means)
    fill = lambda x: np.where(np.isnan(x), means, x)  # noqa: E731
    x_train, x_test = fill(x_train), fill(x_test)
    scale = x_train.std(axis=0)
    scale[scale == 0] = 1
    x_train, x_test = (x_train - means) / scale, (x_test - means) / scale
    model = LogisticRegression(C=1.0, max_iter=1000, tol=1e-10).fit(x_train, y_train)
else:
    model = HistGradientBoostingClassifier(
        learning_rate=0.1, max_iter=100, max_leaf_nodes=31, min_samples_leaf=20,
        l2_regularization=0.0, max_bins=255, early_stopping="auto", random_state=42,
    ).fit(x_train, y_train)
seconds = time.perf_counter() - started
scores = model.predict_proba(x_test)[:, 1]
print(json.dumps({
    "algorithm": algorithm,
    "rows": len(train), "holdout": len(holdout), "features": len(features),
    "rocAuc": roc_auc_score(y_test, scores), "seconds": seconds,
}))
