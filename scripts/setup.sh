#!/usr/bin/env bash
# Set up errata from a fresh clone and run the tests; safe to run again.
#   creates .venv (pip; torch/torchvision pinned with timm and open_clip), installs errata[all,dev,ssh],
#   provisions WordNet 3.0 for NLTK, then runs the fast tests (extra args go to pytest; CI runs the
#   slow ones after it: .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
log=.venv/setup.log
start=$SECONDS

if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating .venv with $($python --version)"
  "$python" -m venv .venv
fi
echo "[setup] installing errata[all,dev,ssh] and its pinned dependencies (first run: a few minutes)"
if ! .venv/bin/python -m pip install --disable-pip-version-check -q -e '.[all,dev,ssh]' >"$log" 2>&1; then
  grep -v 'is ignored: it is neither a file nor a directory' "$log" | tail -40
  echo "[setup] pip install failed; full log in $log" >&2
  exit 1
fi
echo "[setup] provisioning WordNet 3.0"
.venv/bin/python -m errata.provision_wordnet
.venv/bin/dvc config core.analytics false >/dev/null 2>&1 || true
echo "[setup] done in $((SECONDS - start)) s; running the fast tests"
exec .venv/bin/python -m pytest -q -m "not slow" "$@"
