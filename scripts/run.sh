#!/usr/bin/env bash
# The main job: install missing packages, build (release), fetch MNIST, train the default
# network (bn, 3 epochs), test the best model on the test set, write the report, and say where
# everything is.
# Usage: scripts/run.sh [extra options for 'mnist train', e.g. --epochs 14 --seed 2]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-deps.sh
cmake --preset release
cmake --build --preset release -j "$(nproc)" --target mnist  # the tests build with scripts/test.sh
scripts/fetch-mnist.sh data/mnist

out=runs/mnist
mnist=build/release/examples/mnist
# train ends by testing the best model and writing the report (as 'mnist evaluate' would).
"$mnist" train --data data/mnist --out "$out" "$@"

echo
echo "model:       $out/model.safetensors"
echo "checkpoint:  $out/checkpoint.safetensors (continue with: scripts/run.sh --resume)"
echo "history:     $out/history.csv, $out/history.json"
echo "predictions: $out/predictions.csv"
echo "metrics:     $out/report/metrics.json"
echo "report:      $PWD/$out/report/report.html"
