#!/usr/bin/env bash
# A run without a validation set (--val-size 0, as PyTorch's example trains): the epoch lines
# and the history carry no validation figures (not zeros), the model of the last epoch is
# kept, the report has train curves only, and --resume after Ctrl-C still reproduces the
# uninterrupted run (the empty history fields survive the checkpoint).
# Usage: mnist_no_validation.sh MNIST_BINARY SAMPLE_DATA_DIR
set -uo pipefail
mnist=$1
data=$2
source "$(dirname "$0")/common.sh"
common=(--data "$data" --limit 400 --val-size 0 --epochs 2 --batch-size 50 --seed 5 --threads 2 --no-augment)

"$mnist" train "${common[@]}" --out "$work/straight" >"$work/straight.txt" 2>&1 ||
  fail "train: $(cat "$work/straight.txt")"
cat "$work/straight.txt"
out=$work/straight
[[ $(grep -c '^epoch [12]/2 ' "$work/straight.txt") -eq 2 ]] || fail "expected two epoch lines"
grep '^epoch ' "$work/straight.txt" | grep -q 'val' && fail "an epoch line shows validation figures"
grep -q '^no validation set: the model of the last epoch is kept' "$work/straight.txt" ||
  fail "train does not say that the last epoch's model is kept"
grep -q 'best validation accuracy' "$work/straight.txt" && fail "train reports a best validation accuracy"
# history.csv: val_loss and val_accuracy empty; history.json: null.
[[ $(grep -cE '^[12],[^,]+,[^,]+,[^,]+,,,[^,]+$' "$out/history.csv") -eq 2 ]] ||
  fail "history.csv: validation fields are not empty: $(cat "$out/history.csv")"
[[ $(grep -c '"val_loss": null, "val_accuracy": null' "$out/history.json") -eq 2 ]] ||
  fail "history.json: validation figures are not null: $(cat "$out/history.json")"
# The kept model is the last epoch's, and the report says so and draws no validation curve.
grep -q '"epoch":"2"' "$out/model.safetensors" || fail "model.safetensors is not the model of epoch 2"
html=$out/report/report.html
grep -qF 'no validation set, model of epoch 2' "$html" || fail "report.html does not say there was no validation set"
grep -qF '>validation<' "$out/report/loss.svg" "$out/report/accuracy.svg" && fail "a chart has a validation curve"
grep -qF '>train<' "$out/report/loss.svg" || fail "loss.svg has no train curve"

# Ctrl-C in epoch 2 (8 batches an epoch), so that the checkpoint holds epoch 1's empty
# validation fields, then --resume: the same model bytes and the same history.
"$mnist" train "${common[@]}" --out "$work/resumed" --interrupt-after 11 >/dev/null 2>"$work/err"
[[ $? -eq 130 ]] || fail "the interrupted run did not exit 130: $(cat "$work/err")"
grep -q '(epoch 2, batch 3)' "$work/err" || fail "the interruption was not in epoch 2: $(cat "$work/err")"
"$mnist" train "${common[@]}" --out "$work/resumed" --resume >/dev/null 2>"$work/err" ||
  fail "resume: $(cat "$work/err")"
cmp -s <(data_section "$out/model.safetensors") <(data_section "$work/resumed/model.safetensors") ||
  fail "the resumed model differs from the uninterrupted run's"
diff -q <(cut -d, -f1-6 "$out/history.csv") <(cut -d, -f1-6 "$work/resumed/history.csv") >/dev/null ||
  fail "the resumed history.csv differs from the uninterrupted run's"

echo "$failures failed"
[[ $failures -eq 0 ]]
