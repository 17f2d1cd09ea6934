#!/usr/bin/env bash
# The NaN guard: when the loss (or a gradient) stops being finite, training stops with one line
# naming the epoch and batch, exit code 1, and the last good checkpoint stays on disk untouched
# (a later --resume from it works).
# Usage: mnist_diverged.sh MNIST_BINARY SAMPLE_DATA_DIR
set -euo pipefail
mnist=$1
data=$2
source "$(dirname "$0")/common.sh"
common=(--data "$data" --limit 300 --val-size 100 --epochs 2 --batch-size 50 --seed 2 --threads 2)

# 4 batches per epoch: batch 6 of the run is batch 2 of epoch 2, after epoch 1's checkpoint.
set +e
"$mnist" train "${common[@]}" --out "$work/run" --poison-batch 6 >/dev/null 2>"$work/err"
code=$?
set -e
[[ $code -eq 1 ]] || fail "exit code $code, expected 1"
grep -q "mnist: training stopped at epoch 2, batch 2 of 4: the loss (nan) is not finite" "$work/err" ||
  fail "no clear message: $(cat "$work/err")"
grep -q "the last good checkpoint is kept: $work/run/checkpoint.safetensors" "$work/err" ||
  fail "the message does not name the checkpoint: $(cat "$work/err")"
[[ $(grep -vc '^$' "$work/err") -eq 1 ]] || fail "more than one line on stderr: $(cat "$work/err")"
cp "$work/run/checkpoint.safetensors" "$work/kept.safetensors"

# Poisoned in the first batch: nothing had been saved, and the message says so.
set +e
"$mnist" train "${common[@]}" --out "$work/first" --poison-batch 1 >/dev/null 2>"$work/err"
code=$?
set -e
[[ $code -eq 1 ]] || fail "first batch: exit code $code, expected 1"
grep -q "batch 1 of 4: the loss (nan) is not finite (try a lower --lr); no checkpoint had been written yet" \
  "$work/err" || fail "first batch: $(cat "$work/err")"
[[ ! -e $work/first/checkpoint.safetensors ]] || fail "first batch: a checkpoint was written"

# The kept checkpoint is epoch 1's, and training resumes from it to the end.
"$mnist" train "${common[@]}" --out "$work/run" --resume >/dev/null 2>"$work/err" ||
  fail "--resume from the kept checkpoint failed: $(cat "$work/err")"
grep -q "at epoch 2, batch 0" "$work/err" || fail "did not resume at epoch 2: $(cat "$work/err")"
echo "$((5 - failures)) passed, $failures failed"
[[ $failures -eq 0 ]]
