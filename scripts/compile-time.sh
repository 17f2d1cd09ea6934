#!/usr/bin/env bash
# Compile times of the units that issue 14 is judged by, 3 runs each, side by side with the same
# units against the headers of an earlier commit (the "before"). Run on a quiet machine, after
# `cmake --preset release` (for the example's compile lines); writes
# benchmarks/results/<cpu slug>/compile_engine.json, which render_report.py turns into a table.
#
#   scripts/compile-time.sh [BEFORE_COMMIT]     (default: 83fe637, the last commit before the split)
#
# Units:
#   engine.cpp (tests/package/consumer): the reference CNN, 8 training steps, model and checkpoint
#     saved and loaded; g++ -std=c++17 -O2 -fopenmp, header-only against BEFORE, header-only now,
#     and in compiled mode now (-DEMBER_COMPILED, the flags ember::compiled gives).
#   src/instances.cpp: libember_compiled's one unit (paid once per build of the library).
#   examples/mnist/train.cpp: the example's heaviest unit, with the compile line CMake uses in the
#     release preset, at BEFORE and now.
set -euo pipefail
cd "$(dirname "$0")/.."
before=${1:-83fe637}
cxx=${CXX:-g++}
slug=$(/usr/bin/python3 benchmarks/cpu_slug.py)
results=benchmarks/results/$slug
mkdir -p "$results"
scratch=$(mktemp -d)
trap 'git worktree remove --force "$scratch/before" >/dev/null 2>&1 || true; rm -rf "$scratch"' EXIT
git worktree add --detach "$scratch/before" "$before" >/dev/null 2>&1

eigen=$(pkg-config --cflags eigen3)
common=(-std=c++17 -O2 -fopenmp $eigen -c -o "$scratch/unit.o")
compiled=(-DEMBER_COMPILED -DEIGEN_MAX_ALIGN_BYTES=64 -DEIGEN_MAX_STATIC_ALIGN_BYTES=64)

# time3 NAME COMMAND...: runs COMMAND 3 times; appends "NAME": [s1, s2, s3] to the JSON units.
units=()
time3() {
  local name=$1
  shift
  local seconds=() start
  for _ in 1 2 3; do
    start=$(date +%s.%N)
    "$@" >/dev/null
    seconds+=("$(echo "$(date +%s.%N) - $start" | bc)")
  done
  echo "$name: ${seconds[*]}" >&2
  units+=("\"$name\": [$(IFS=,; echo "${seconds[*]}")]")
}

engine=tests/package/consumer/engine.cpp
time3 "engine.cpp, header-only, $before" "$cxx" "${common[@]}" -I"$scratch/before/include" "$engine"
time3 "engine.cpp, header-only" "$cxx" "${common[@]}" -Iinclude "$engine"
time3 "engine.cpp, compiled mode" "$cxx" "${common[@]}" -Iinclude "${compiled[@]}" "$engine"
time3 "src/instances.cpp (libember_compiled, once)" "$cxx" "${common[@]}" -Iinclude "${compiled[@]}" src/instances.cpp

# The release build's compile line of examples/mnist/train.cpp for the tree $1, configured in $2.
train_line() {
  cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=Release -DEMBER_BUILD_BENCHMARKS=OFF >/dev/null
  local lines
  lines=$(cmake --build "$2" --target mnist -- -n -B 2>/dev/null)
  grep -m 1 -E -- '-c [^ ]*examples/mnist/train\.cpp' <<<"$lines" | sed 's/^.*&& //'
}
line_before=$(train_line "$scratch/before" "$scratch/before-build")
line_now=$(train_line "$PWD" "$scratch/now-build")
time3 "examples/mnist/train.cpp (-O3 -march=native), $before" bash -c "cd '$scratch/before-build/examples' && $line_before"
time3 "examples/mnist/train.cpp (-O3 -march=native)" bash -c "cd '$scratch/now-build/examples' && $line_now"

printf '{"command": "%s", "before": "%s", "compiler": "%s", "date": "%s", "units": {%s}}\n' \
  "scripts/compile-time.sh $before" "$before" "$("$cxx" --version | head -n 1)" "$(date -u '+%Y-%m-%d %H:%M UTC')" \
  "$(IFS=,; echo "${units[*]}")" >"$results/compile_engine.json"
echo "wrote $results/compile_engine.json"
