#!/usr/bin/env bash
# Resume reproduces an uninterrupted run: train 2 epochs straight; train again with a
# simulated Ctrl-C in the middle of epoch 1 (and one at the end of a later run), then
# --resume; the saved models must be byte-identical and the histories equal (but timing).
# Usage: mnist_resume.sh MNIST_BINARY SAMPLE_DATA_DIR
set -euo pipefail
mnist=$1
data=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
common=(--data "$data" --limit 600 --val-size 100 --epochs 2 --batch-size 50 --seed 3 --threads 2 --augment)

"$mnist" train "${common[@]}" --out "$work/straight" >/dev/null

set +e
"$mnist" train "${common[@]}" --out "$work/resumed" --interrupt-after 7 >/dev/null 2>"$work/err"
code=$?
set -e
if [[ $code -ne 130 ]] || ! grep -q "checkpoint saved" "$work/err"; then
  echo "FAIL: the interrupted run exited $code:"; cat "$work/err"; exit 1
fi
"$mnist" train "${common[@]}" --out "$work/resumed" --resume >/dev/null 2>"$work/err"

cmp "$work/straight/model.safetensors" "$work/resumed/model.safetensors"
# history.csv minus the seconds column
diff <(cut -d, -f1-6 "$work/straight/history.csv") <(cut -d, -f1-6 "$work/resumed/history.csv")
echo "resumed run matches the uninterrupted run"

# Ctrl-C after the last batch (before the test pass) stops with 130 too, the model saved.
quick=(--data "$data" --limit 120 --val-size 20 --epochs 1 --batch-size 50 --seed 3 --threads 2)
set +e
"$mnist" train "${quick[@]}" --out "$work/late" --interrupt-after 2 >/dev/null 2>"$work/err"
code=$?
set -e
if [[ $code -ne 130 ]] || ! grep -q "interrupted after the last epoch" "$work/err" || [[ ! -s "$work/late/model.safetensors" ]]; then
  echo "FAIL: Ctrl-C before the test pass exited $code:"; cat "$work/err"; exit 1
fi
echo "Ctrl-C before the test pass exits 130 with the model saved"
echo "2 passed, 0 failed"
