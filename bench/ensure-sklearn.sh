#!/usr/bin/env bash
# Installs Debian's scikit-learn and pandas for the reference scripts (bench/*.py, run with
# /usr/bin/python3) when they are missing. Called by predict-compare.sh and ml-compare.ts.
set -euo pipefail
if /usr/bin/python3 -c 'import sklearn, pandas, threadpoolctl' 2>/dev/null; then exit 0; fi
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
echo 'installing python3-sklearn and python3-pandas (Debian) for the reference scripts' >&2
as_root env DEBIAN_FRONTEND=noninteractive apt-get update >&2
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
  python3-sklearn python3-pandas python3-threadpoolctl >&2
