#!/usr/bin/env bash
# Build the benchmarks (release), run them, keep the JSON under benchmarks/results/ (with the
# command beside it), time the compilation of the MNIST example's translation units, and
# regenerate docs/benchmarks.md from everything in benchmarks/results/.
# Usage: scripts/bench.sh [extra Google Benchmark flags, e.g. --benchmark_filter=conv2]
#        scripts/bench.sh --compile-only   (only the compile times; the other results stay)
set -euo pipefail
cd "$(dirname "$0")/.."
compile_only=0
if [[ ${1:-} == --compile-only ]]; then
  compile_only=1
  shift
fi

scripts/setup-deps.sh
cmake --preset release
cmake --build --preset release -j "$(nproc)" --target bench_kernels bench_train mnist
results=benchmarks/results
mkdir -p "$results"
for name in bench_kernels bench_train; do
  [[ $compile_only == 0 ]] || break
  command="build/release/benchmarks/$name --benchmark_repetitions=5${*:+ $*}"
  echo "$command" >"$results/$name.cmd"
  $command --benchmark_out="$results/$name.json" --benchmark_out_format=json
done

# Compile time of each translation unit of the MNIST example, with the exact flags CMake uses,
# 3 times each (the target is about the slowest unit).
units_json=()
while IFS= read -r line; do
  compile=${line#*&& }  # drop the "cd <dir> &&" prefix make prints
  unit=$(grep -oE 'examples/mnist/[a-z_]+\.cpp' <<<"$compile" | tail -n 1)
  seconds=()
  for _ in 1 2 3; do
    start=$(date +%s.%N)
    (cd build/release/examples && eval "$compile")
    seconds+=("$(echo "$(date +%s.%N) - $start" | bc)")
  done
  units_json+=("\"${unit#examples/mnist/}\": [$(IFS=,; echo "${seconds[*]}")]")
done < <(cmake --build --preset release --target mnist -- -n -B 2>/dev/null | grep -E -- '-c [^ ]*examples/mnist/[a-z_]+\.cpp' || true)
if [[ ${#units_json[@]} -gt 0 ]]; then
  printf '{"command": "%s", "date": "%s", "units": {%s}}\n' \
    "time (build/release/examples: the compiler line of each examples/mnist/*.cpp)" "$(date -u '+%Y-%m-%d %H:%M UTC')" \
    "$(IFS=,; echo "${units_json[*]}")" >"$results/compile_time.json"
fi
python3 benchmarks/render_report.py "$results" > docs/benchmarks.md
echo "wrote $results/ and docs/benchmarks.md"
