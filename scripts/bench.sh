#!/usr/bin/env bash
# Build the benchmarks (release), run them, keep the JSON under benchmarks/results/ (with the
# command beside it), time the compilation of the MNIST example's translation unit, and
# regenerate docs/benchmarks.md from everything in benchmarks/results/.
# Usage: scripts/bench.sh [extra Google Benchmark flags, e.g. --benchmark_filter=conv2]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-deps.sh
cmake --preset release
cmake --build --preset release -j "$(nproc)" --target bench_kernels bench_train mnist
results=benchmarks/results
mkdir -p "$results"
for name in bench_kernels bench_train; do
  command="build/release/benchmarks/$name --benchmark_repetitions=5${*:+ $*}"
  echo "$command" >"$results/$name.cmd"
  $command --benchmark_out="$results/$name.json" --benchmark_out_format=json
done

# Compile time of examples/mnist/main.cpp alone, with the exact flags CMake uses, 3 times.
compile=$(cmake --build --preset release --target mnist -- -n -B 2>/dev/null | grep -m1 -- '-c .*examples/mnist/main.cpp' ||
  true)
if [[ -n $compile ]]; then
  compile=${compile#*&& }  # drop the "cd <dir> &&" prefix make prints
  seconds=()
  for _ in 1 2 3; do
    start=$(date +%s.%N)
    (cd build/release/examples && eval "$compile")
    seconds+=("$(echo "$(date +%s.%N) - $start" | bc)")
  done
  printf '{"command": "%s", "date": "%s", "seconds": [%s]}\n' \
    "time (build/release/examples: the compiler line of examples/mnist/main.cpp)" "$(date -u '+%Y-%m-%d %H:%M UTC')" \
    "$(IFS=,; echo "${seconds[*]}")" >"$results/compile_time.json"
fi
python3 benchmarks/render_report.py "$results" > docs/benchmarks.md
echo "wrote $results/ and docs/benchmarks.md"
