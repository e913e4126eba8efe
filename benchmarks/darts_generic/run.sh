#!/bin/bash
# darts' generic model tests (global and probabilistic, darts tag 0.46.1) on TiDEModel and
# ProgressiveFusionForecaster side by side, with darts' assertions and thresholds.
#
# usage: benchmarks/darts_generic/run.sh DARTS_GIT WORK
#   DARTS_GIT  a clone (or bare mirror) of unit8co/darts holding the tag 0.46.1
#   WORK       a scratch folder (created): darts' files, their edited copies, a private HOME with darts' datasets
# The log is WORK/pytest.log; `python benchmarks/darts_generic/summarize_log.py WORK/pytest.log` pairs the cases.
set -euo pipefail
DARTS_GIT=$1
WORK=$(mkdir -p "$2" && cd "$2" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
TAG=0.46.1
show() { git -C "$DARTS_GIT" show "$TAG:$1"; }
mkdir -p "$WORK/orig" "$WORK/home/.darts/datasets"
for f in test_global_forecasting_models.py test_probabilistic_models.py; do
  show "darts/tests/models/forecasting/$f" > "$WORK/orig/$f"
done
show darts/tests/conftest.py > "$WORK/orig/conftest.py"
# the datasets these tests load, from the same tag (no download at run time)
show datasets/AirPassengers.csv > "$WORK/home/.darts/datasets/air_passengers.csv"  # darts caches it under this name
show datasets/ice_cream_heater.csv > "$WORK/home/.darts/datasets/ice_cream_heater.csv"
"$PY" "$HERE/patch_global.py" "$WORK"
"$PY" "$HERE/patch_prob.py" "$WORK"
{ cat "$WORK/orig/conftest.py"; printf '\n\nimport torch as _torch  # one thread on a small shared CPU\n\n_torch.set_num_threads(1)\n'; } \
  > "$WORK/conftest.py"
printf '[pytest]\naddopts = --strict-markers\nmarkers =\n    slow: marks tests as slow\n' > "$WORK/pytest.ini"
cd "$WORK"
set +e
PYTHONPATH="$ROOT" HOME="$WORK/home" OMP_NUM_THREADS=1 "$PY" -m pytest test_global_forecasting_models.py \
  test_probabilistic_models.py -q -p no:cacheprovider -rA -W ignore::DeprecationWarning > pytest.log 2>&1
echo "pytest exit $? (failures are expected: see the summary)"
"$PY" "$HERE/summarize_log.py" pytest.log
