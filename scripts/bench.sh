#!/usr/bin/env bash
# Build the benchmarks (release), run them, keep the results of this CPU under
# benchmarks/results/<cpu slug>/ (benchmarks/cpu_slug.py: the one rule for the slug; cpu.json
# there records the model and the AVX-512/AMX flags, and every result file carries them too),
# profile a training step (bench_profile.json), time the compilation of the MNIST example's
# translation units, and regenerate docs/benchmarks.md from everything in benchmarks/results/.
# Usage: scripts/bench.sh [extra Google Benchmark flags, e.g. --benchmark_filter=conv2]
#        scripts/bench.sh --shapes='64x32x26x26:64k3s1p0;1x3x224x224:64k7s2p3'   (users' conv
#            shapes, bench_kernels only; EMBER_CONV_SHAPES works too)
#        scripts/bench.sh --compile-only   (only the compile times; the other results stay)
set -euo pipefail
cd "$(dirname "$0")/.."
compile_only=0
if [[ ${1:-} == --compile-only ]]; then
  compile_only=1
  shift
fi
# --shapes is bench_kernels' own flag; the others go to both Google Benchmark programs.
kernel_flags=()
common_flags=()
for arg in "$@"; do
  if [[ $arg == --shapes=* ]]; then kernel_flags+=("$arg"); else common_flags+=("$arg"); fi
done

scripts/setup-deps.sh
cmake --preset release
cmake --build --preset release -j "$(nproc)" --target bench_kernels bench_train bench_profile mnist
results=$(python3 benchmarks/cpu_slug.py --dir benchmarks/results)
mkdir -p "$results"
python3 benchmarks/cpu_slug.py --json >"$results/cpu.json"
echo "results of this CPU go to $results/"

if [[ $compile_only == 0 ]]; then
  for name in bench_kernels bench_train; do
    command=("build/release/benchmarks/$name" --benchmark_repetitions=5)
    if [[ $name == bench_kernels ]]; then
      command+=(${kernel_flags[@]+"${kernel_flags[@]}"})  # bench_kernels records the CPU itself
    else
      command+=("--benchmark_context=$(python3 benchmarks/cpu_slug.py --context)")  # BENCHMARK_MAIN: by flag
    fi
    command+=(${common_flags[@]+"${common_flags[@]}"})
    printf '%q ' "${command[@]}" | sed 's/ $//' >"$results/$name.cmd"
    echo >>"$results/$name.cmd"
    "${command[@]}" --benchmark_out="$results/$name.json" --benchmark_out_format=json
  done
  for precision in float32 bf16; do  # 3 runs each; bf16 runs the same step under PrecisionGuard(bf16)
    build/release/benchmarks/bench_profile --threads 2 --steps 30 --runs 3 --precision "$precision" \
      --out "$results/bench_profile$([[ $precision == bf16 ]] && echo _bf16).json"
  done
fi

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
python3 benchmarks/render_report.py benchmarks/results > docs/benchmarks.md
echo "wrote $results/ and docs/benchmarks.md"
