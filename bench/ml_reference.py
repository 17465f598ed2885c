"""scikit-learn reference for bench/ml-compare.ts: reads the CSVs it wrote, fits scikit-learn's
model on the same rows and prints JSON with the fit, its time and its quality. One fit per
call for the large data, so that the benchmark can alternate the two sides (other work on
the machine then slows both alike). Debian's python3-sklearn; run with /usr/bin/python3.
Usage: ml_reference.py small CLASSIFICATION.csv CLUSTERING.csv K L2
       ml_reference.py boosting BOOSTING.csv
       ml_reference.py logistic BOOSTING.csv L2
       ml_reference.py kmeans BLOBS.npy K"""
import json
import os
import sys
import time

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info


def small(classification, clustering, k, l2):
    """Logistic regression (newton-cg, tight tolerance) and k-means, each timed once."""
    data = np.loadtxt(classification, delimiter=",", skiprows=1)
    x, y = data[:, :-1], data[:, -1]
    started = time.perf_counter()
    z = StandardScaler().fit_transform(x)
    model = LogisticRegression(C=1 / l2, solver="newton-cg", tol=1e-10, max_iter=1000).fit(z, y)
    logistic_seconds = time.perf_counter() - started
    auc = roc_auc_score(y, model.predict_proba(z)[:, 1])
    points = np.loadtxt(clustering, delimiter=",", skiprows=1)
    started = time.perf_counter()
    scaled = StandardScaler().fit_transform(points)
    kmeans = KMeans(n_clusters=k, n_init=10, random_state=42).fit(scaled)
    kmeans_seconds = time.perf_counter() - started
    return {
        "logistic": {"weights": model.coef_[0].tolist(), "intercept": float(model.intercept_[0]), "auc": auc, "seconds": logistic_seconds},
        "kmeans": {"inertia": float(kmeans.inertia_), "seconds": kmeans_seconds},
    }


def large(path):
    """The train and test rows of the large CSV, split by its split column. Read exactly
    (round_trip) once, then from a .npz beside it."""
    cache = path + ".npz"
    if not os.path.exists(cache) or os.path.getmtime(cache) < os.path.getmtime(path):
        frame = pd.read_csv(path, float_precision="round_trip")
        features = [c for c in frame.columns if c.startswith("x")]
        train, test = frame[frame.split == "train"], frame[frame.split == "test"]
        np.savez(cache, x_train=train[features].to_numpy(), y_train=train.y.to_numpy(),
                 x_test=test[features].to_numpy(), y_test=test.y.to_numpy())
    data = np.load(cache)
    return data["x_train"], data["y_train"], data["x_test"], data["y_test"]


def timed(fit):
    started = time.perf_counter()
    model = fit()
    return time.perf_counter() - started, model


def boosting(path):
    """HistGradientBoostingClassifier with Strata's settings, early stopping off."""
    x_train, y_train, x_test, y_test = large(path)
    seconds, model = timed(lambda: HistGradientBoostingClassifier(
        learning_rate=0.1, max_iter=100, max_leaf_nodes=31, min_samples_leaf=20,
        l2_regularization=0.0, max_bins=255, early_stopping=False, random_state=0,
    ).fit(x_train, y_train))
    return {
        "auc": roc_auc_score(y_test, model.predict_proba(x_test)[:, 1]),
        "seconds": seconds,
        "iterations": int(model.n_iter_),
        "threads": [{"api": pool["internal_api"], "threads": pool["num_threads"]} for pool in threadpool_info()],
    }


def logistic(path, l2):
    """Mean imputation, standardisation and L2 logistic regression (C = 1 / l2): newton-cg and
    lbfgs to a tight tolerance, and lbfgs with its defaults."""
    x_train, y_train, x_test, y_test = large(path)

    def pipeline(**solver):
        return make_pipeline(SimpleImputer(strategy="mean"), StandardScaler(), LogisticRegression(C=1 / l2, **solver))

    newton_seconds, newton = timed(lambda: pipeline(solver="newton-cg", tol=1e-10, max_iter=1000).fit(x_train, y_train))
    lbfgs_seconds, _ = timed(lambda: pipeline(solver="lbfgs", tol=1e-10, max_iter=10_000).fit(x_train, y_train))
    default_seconds, default = timed(lambda: pipeline().fit(x_train, y_train))
    weights = newton[-1].coef_[0]
    return {
        "weights": weights.tolist(),
        "intercept": float(newton[-1].intercept_[0]),
        "auc": roc_auc_score(y_test, newton.predict_proba(x_test)[:, 1]),
        "newtonCgSeconds": newton_seconds,
        "lbfgsSeconds": lbfgs_seconds,
        "lbfgsDefaultSeconds": default_seconds,
        "lbfgsDefaultWeightGap": float(np.max(np.abs(default[-1].coef_[0] - weights))),
    }


def kmeans(path, k):
    """KMeans on the standardised points as written (greedy k-means++, 10 starts, tol 1e-4)."""
    points = np.load(path)
    seconds, model = timed(lambda: KMeans(n_clusters=k, n_init=10, random_state=42).fit(points))
    return {
        "inertia": float(model.inertia_),
        "seconds": seconds,
        "iterations": int(model.n_iter_),
        "threads": [{"api": pool["internal_api"], "threads": pool["num_threads"]} for pool in threadpool_info()],
    }


mode, args = sys.argv[1], sys.argv[2:]
if mode == "small":
    result = small(args[0], args[1], int(args[2]), float(args[3]))
elif mode == "boosting":
    result = boosting(args[0])
elif mode == "kmeans":
    result = kmeans(args[0], int(args[1]))
else:
    result = logistic(args[0], float(args[1]))
print(json.dumps(result))
