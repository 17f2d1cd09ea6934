#!/usr/bin/env bash
# `mnist export` end to end, for both variants trained on the MNIST sample: the ONNX file is
# written (next to the model by default), passes onnx's checker and gives ember's predictions in
# OpenCV's DNN on the sample's test images (scripts/onnx_agreement.py against `mnist evaluate
# --logits`; that part is skipped without python3-onnx / python3-opencv, and says so); bad input
# is one line and exit code 1 with no file written and an older file kept.
# Usage: mnist_export.sh MNIST_BINARY SAMPLE_DATA_DIR REFERENCE_MODEL BN_MODEL PYTHON
set -uo pipefail
mnist=$1
data=$2
reference=$3
bn=$4
python=$5
source "$(dirname "$0")/common.sh"
agreement="$(dirname "$0")/../../scripts/onnx_agreement.py"

# expect_failure CODE WHAT ARGS...: the command exits with CODE and prints one line on stderr.
expect_failure() {
  local code=$1 what=$2
  shift 2
  "$mnist" "$@" >"$work/out" 2>"$work/err"
  local got=$?
  [[ $got == "$code" ]] || fail "$what: exit code $got, expected $code ($(cat "$work/err"))"
  [[ $(wc -l <"$work/err") == 1 ]] || fail "$what: expected one line on stderr, got: $(cat "$work/err")"
  grep -q '^mnist: ' "$work/err" || fail "$what: message not prefixed 'mnist: ': $(cat "$work/err")"
}

for variant in reference bn; do
  model=$reference
  [[ $variant == bn ]] && model=$bn
  out="$work/$variant.onnx"
  "$mnist" export --model "$model" --out "$out" >"$work/out" 2>"$work/err" || fail "$variant: export exited $?: $(cat "$work/err")"
  [[ -s $out ]] || fail "$variant: no file $out"
  grep -q "^wrote $out ($variant, ONNX opset 17" "$work/out" || fail "$variant: unexpected output: $(cat "$work/out")"
  ls "$work" | grep -q '\.tmp' && fail "$variant: a temporary file was left: $(ls "$work")"

  "$mnist" evaluate --model "$model" --data "$data" --out "$work/eval-$variant" --logits "$work/$variant.logits.csv" \
    >"$work/out" 2>"$work/err" || fail "$variant: evaluate --logits exited $?: $(cat "$work/err")"
  [[ $(head -1 "$work/$variant.logits.csv") == "index,label,z0,z1,z2,z3,z4,z5,z6,z7,z8,z9" ]] ||
    fail "$variant: logits.csv header: $(head -1 "$work/$variant.logits.csv")"
  [[ $(wc -l <"$work/$variant.logits.csv") == 1001 ]] || fail "$variant: expected 1000 rows of logits"
  "$python" "$agreement" "$out" "$data" "$work/$variant.logits.csv" >"$work/agreement" 2>&1
  code=$?
  cat "$work/agreement"
  if [[ $code == 77 ]]; then
    echo "note: OpenCV check skipped ($(tail -1 "$work/agreement"))"
  elif [[ $code != 0 ]]; then
    fail "$variant: OpenCV's DNN does not agree with ember"
  fi
done

# Without --out: next to the model, .safetensors replaced by .onnx.
mkdir -p "$work/run"
cp "$bn" "$work/run/model.safetensors"
"$mnist" export --model "$work/run/model.safetensors" >/dev/null 2>"$work/err" || fail "default --out: $(cat "$work/err")"
[[ -s $work/run/model.onnx ]] || fail "default --out: no $work/run/model.onnx"

# Bad input: one line, exit 1, nothing written (or the old file kept).
expect_failure 1 "missing model" export --model "$work/none.safetensors" --out "$work/none.onnx"
[[ -e $work/none.onnx ]] && fail "missing model: an ONNX file was written"
expect_failure 1 "unwritable path" export --model "$reference" --out "$work/no-such-dir/model.onnx"
expect_failure 1 "out is a directory" export --model "$reference" --out "$work/run"
head -c 5000 "$reference" >"$work/truncated.safetensors"
echo old >"$work/kept.onnx"
expect_failure 1 "truncated model" export --model "$work/truncated.safetensors" --out "$work/kept.onnx"
[[ $(cat "$work/kept.onnx") == old ]] || fail "truncated model: the older file was replaced"
expect_failure 1 "wrong --arch" export --model "$reference" --arch bn --out "$work/arch.onnx"
[[ -e $work/arch.onnx ]] && fail "wrong --arch: an ONNX file was written"
expect_failure 2 "unknown option" export --model "$reference" --opset 9
expect_failure 2 "bad --arch" export --model "$reference" --arch resnet
expect_failure 1 "unwritable --logits" evaluate --model "$reference" --data "$data" --out "$work/eval-bad" \
  --logits "$work/no-such-dir/logits.csv"

[[ $failures == 0 ]] && echo "mnist export: all checks passed"
exit $((failures > 0))
