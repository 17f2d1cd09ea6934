#!/usr/bin/env bash
# Exports trained models with `mnist export` and checks each ONNX file in runtimes no one here
# wrote: the onnx package's checker and strict shape inference, then OpenCV's DNN module on the
# whole MNIST test set, against ember's own logits of the same model (`mnist evaluate --logits`).
# Fails unless every prediction agrees and no logit differs by more than 1e-4.
#   scripts/check-onnx.sh runs/mnist/model.safetensors [more models...]
#   scripts/check-onnx.sh --record MODEL...   also write the figures to
#                                             benchmarks/results/onnx_export.csv (one row per
#                                             model) and regenerate docs/benchmarks.md
#   --data DIR   the MNIST files (default data/mnist, fetched when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
data=data/mnist
record=0
models=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --data) data=$2; shift 2 ;;
    --record) record=1; shift ;;
    -*) echo "check-onnx.sh: unknown option '$1'" >&2; exit 2 ;;
    *) models+=("$1"); shift ;;
  esac
done
[[ ${#models[@]} -gt 0 ]] || { echo "usage: scripts/check-onnx.sh [--record] [--data DIR] MODEL.safetensors..." >&2; exit 2; }
for m in "${models[@]}"; do [[ -f $m ]] || { echo "check-onnx.sh: no model file '$m'" >&2; exit 1; }; done

scripts/setup-deps.sh python3-onnx python3-opencv
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target mnist >/dev/null
[[ $data != data/mnist ]] || scripts/fetch-mnist.sh data/mnist >/dev/null
mnist=build/release/examples/mnist
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cpu=$(python3 benchmarks/cpu_slug.py)
status=0
for model in "${models[@]}"; do
  name=$(basename "$(dirname "$model")")
  echo "== $model"
  "$mnist" export --model "$model" --out "$work/$name.onnx"
  "$mnist" evaluate --model "$model" --data "$data" --out "$work/$name" --logits "$work/$name.logits.csv" | grep -v '^report:\|^predictions:'
  variant=$(/usr/bin/python3 -c 'import json, struct, sys
f = open(sys.argv[1], "rb"); n = struct.unpack("<Q", f.read(8))[0]; meta = json.loads(f.read(n)).get("__metadata__", {})
print(meta.get("architecture", "mnist-?")[len("mnist-"):], "|", meta.get("train_command", "?"))' "$model")
  record_args=()
  [[ $record == 1 ]] && record_args=(--record "$work/onnx_export.csv" --variant "${variant%% |*}"
                                     --source "${variant#*| } ($cpu)")
  /usr/bin/python3 scripts/onnx_agreement.py "$work/$name.onnx" "$data" "$work/$name.logits.csv" \
    ${record_args[@]+"${record_args[@]}"} || status=1
done
if [[ $record == 1 && $status == 0 ]]; then
  mkdir -p benchmarks/results
  cp "$work/onnx_export.csv" benchmarks/results/onnx_export.csv
  echo "scripts/check-onnx.sh --record ${models[*]}" >benchmarks/results/onnx_export.cmd
  /usr/bin/python3 benchmarks/render_report.py benchmarks/results >docs/benchmarks.md
  echo "wrote benchmarks/results/onnx_export.csv and docs/benchmarks.md"
fi
exit $status
