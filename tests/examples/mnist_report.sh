#!/usr/bin/env bash
# The report `mnist evaluate` writes: every file is there, the page holds every part, the
# numbers agree with what evaluate printed, metrics.json is identical across two runs, and a
# model without a history still gets a report (without curves).
# Usage: mnist_report.sh MNIST_BINARY SAMPLE_DATA_DIR MODEL_FILE
set -uo pipefail
mnist=$1
data=$2
model=$3
source "$(dirname "$0")/common.sh"

"$mnist" evaluate --data "$data" --model "$model" --out "$work/a" >"$work/a.txt" 2>&1 || fail "evaluate: $(cat "$work/a.txt")"
"$mnist" evaluate --data "$data" --model "$model" --out "$work/b" >"$work/b.txt" 2>&1 || fail "evaluate: $(cat "$work/b.txt")"
cat "$work/a.txt"
report=$work/a/report
grep -q "^report: $report/report.html$" "$work/a.txt" || fail "evaluate did not print the report path"
for f in report.html metrics.json loss.svg accuracy.svg confusion_matrix.svg roc.svg roc_zoom.svg samples.png \
  confident_mistakes.png; do
  [[ -s $report/$f ]] || fail "missing or empty: report/$f"
done
cmp -s "$report/metrics.json" "$work/b/report/metrics.json" || fail "metrics.json differs between two evaluations"

# metrics.json says what evaluate printed: "accuracy 93.40% (934/1000)".
correct=$(sed -n 's/.*accuracy [0-9.]*% (\([0-9]*\)\/\([0-9]*\)).*/\1 \2/p' "$work/a.txt")
grep -q "\"correct\": ${correct% *}," "$report/metrics.json" || fail "metrics.json: no \"correct\": ${correct% *}"
grep -q "\"test_images\": ${correct#* }," "$report/metrics.json" || fail "metrics.json: no \"test_images\": ${correct#* }"
[[ $(grep -c '"support":' "$report/metrics.json") -eq 10 ]] || fail "metrics.json: expected 10 per-class entries"

# The page: sections, charts, embedded images, the tables' key rows, the training command.
html=$report/report.html
expect_count() {  # expect_count N PATTERN: PATTERN occurs N times in the page
  local got
  got=$(grep -o -- "$2" "$html" | wc -l)
  [[ $got -eq $1 ]] || fail "report.html: '$2' occurs $got times, expected $1"
}
expect_count 7 '<section>'
expect_count 5 '<svg '
expect_count 2 'src="data:image/png;base64,'
for text in 'Loss per epoch' 'Accuracy per epoch' 'Confusion matrix (test set)' 'digit 9 (AUC 0.' \
  'micro average (AUC' 'macro avg' 'weighted avg' 'mnist train --model reference --epochs 3' 'p(predicted)'; do
  grep -qF -- "$text" "$html" || fail "report.html does not contain '$text'"
done
grep -q 'src="\(file:\|/\|\.\)' "$html" && fail "report.html refers to outside files"

# A model file alone (no history.csv next to it): a report without curves, and no stale curves.
mkdir -p "$work/lonely"
cp "$model" "$work/lonely/model.safetensors"
cp "$work/a/report/loss.svg" "$work/lonely/"  # not in report/: must survive
mkdir -p "$work/lonely/report" && echo stale >"$work/lonely/report/loss.svg"
"$mnist" evaluate --data "$data" --model "$work/lonely/model.safetensors" --out "$work/lonely" >"$work/c.txt" 2>&1 ||
  fail "evaluate without history: $(cat "$work/c.txt")"
grep -q "No history.csv" "$work/lonely/report/report.html" || fail "report without history does not say so"
[[ -e $work/lonely/report/loss.svg ]] && fail "a stale loss.svg stayed in the report folder"

echo "$failures failed"
[[ $failures -eq 0 ]]
