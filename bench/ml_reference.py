"""scikit-learn reference for bench/ml-compare.ts: reads the CSVs it wrote and prints JSON
with the logistic regression's coefficients, AUC and time, and k-means' inertia and time.
Debian's python3-sklearn; run with /usr/bin/python3."""
import json
import sys
import time

import numpy as np
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

classification, clustering, k, l2 = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
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
print(json.dumps({
    "logistic": {"weights": model.coef_[0].tolist(), "intercept": float(model.intercept_[0]), "auc": auc, "seconds": logistic_seconds},
    "kmeans": {"inertia": float(kmeans.inertia_), "seconds": kmeans_seconds},
}))
