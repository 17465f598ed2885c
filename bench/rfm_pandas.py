"""pandas check of the RFM scoring rule: reads account_id, recency, frequency, monetary and
the reference's r, f, m (bench/reference-rfm.ts writes them), scores with
pd.qcut(x.rank(method='first'), 5) on rows in account order (recency: never active is the
least recent, and 5 is the most recent), and prints JSON: rows, and how many scores differ.
Usage: python3 bench/rfm_pandas.py values.csv"""
import json
import sys

import pandas as pd

frame = pd.read_csv(sys.argv[1]).sort_values("account_id", kind="stable").reset_index(drop=True)
quintile = lambda x: pd.qcut(x.rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(int)
recency = frame["recency"].fillna(float("inf"))
scores = pd.DataFrame(
    {
        "r": 6 - quintile(recency),
        "f": quintile(frame["frequency"]),
        "m": quintile(frame["monetary"]),
    }
)
differ = {c: int((scores[c] != frame[c]).sum()) for c in ["r", "f", "m"]}
print(json.dumps({"rows": len(frame), "differ": differ}))
