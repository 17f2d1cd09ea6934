#!/usr/bin/env bash
# Build the benchmarks (release), run them, keep the JSON under benchmarks/results/ and
# regenerate docs/benchmarks.md from it.
# Usage: scripts/bench.sh [extra Google Benchmark flags, e.g. --benchmark_filter=conv2]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-deps.sh
cmake --preset release
cmake --build --preset release -j "$(nproc)" --target bench_kernels
mkdir -p benchmarks/results
results=benchmarks/results/bench_kernels.json
command="build/release/benchmarks/bench_kernels --benchmark_repetitions=5${*:+ $*}"
$command --benchmark_out="$results" --benchmark_out_format=json
python3 benchmarks/render_report.py "$results" "$command" > docs/benchmarks.md
echo "wrote $results and docs/benchmarks.md"
