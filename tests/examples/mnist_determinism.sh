#!/usr/bin/env bash
# Same seed and thread count, same bits: two training runs (with augmentation and dropout)
# give byte-identical model files, final checkpoint tensors, histories (but the timing column),
# predictions and metrics.
# Usage: mnist_determinism.sh MNIST_BINARY SAMPLE_DATA_DIR
set -euo pipefail
mnist=$1
data=$2
source "$(dirname "$0")/common.sh"
common=(--data "$data" --limit 300 --val-size 60 --epochs 2 --batch-size 50 --seed 11 --augment)

# metrics.json names the model file, which lives in each run's own folder.
stable_metrics() { grep -v '"model": ' "$1"; }

for run in a b; do "$mnist" train "${common[@]}" --threads 2 --out "$work/$run" >/dev/null; done

cmp -s "$work/a/model.safetensors" "$work/b/model.safetensors" || fail "model.safetensors differs between two runs"
cmp -s <(data_section "$work/a/checkpoint.safetensors") <(data_section "$work/b/checkpoint.safetensors") ||
  fail "the checkpoint's tensors differ between two runs"
diff -q <(cut -d, -f1-6 "$work/a/history.csv") <(cut -d, -f1-6 "$work/b/history.csv") >/dev/null ||
  fail "history.csv differs between two runs"
cmp -s "$work/a/predictions.csv" "$work/b/predictions.csv" || fail "predictions.csv differs between two runs"
diff -q <(stable_metrics "$work/a/report/metrics.json") <(stable_metrics "$work/b/report/metrics.json") >/dev/null ||
  fail "metrics.json differs between two runs"
echo "$((5 - failures)) passed, $failures failed"
[[ $failures -eq 0 ]]
