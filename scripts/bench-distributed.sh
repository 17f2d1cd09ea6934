#!/usr/bin/env bash
# Data-parallel scaling on this machine: the reference CNN's training step in 1 process x 2
# threads and in 2 ranks x 1 thread under mpirun, at the same images per step (64) and at the
# same batch per process (64), with the share of the step spent in the gradient all-reduce.
# Writes benchmarks/results/<cpu>/distributed.json (+ .cmd) and regenerates docs/benchmarks.md
# (which adds the on-paper model for N machines). Keep the machine quiet while it runs (~2 min).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh libopenmpi-dev openmpi-bin
cmake --preset release
cmake --build --preset release -j "$(nproc)" --target bench_distributed
results=$(python3 benchmarks/cpu_slug.py --dir benchmarks/results)
mkdir -p "$results"
python3 benchmarks/cpu_slug.py --json >"$results/cpu.json"
bench=build/release/benchmarks/bench_distributed
mpirun=(mpirun --oversubscribe -q -np 2)
[[ $(id -u) -eq 0 ]] && mpirun+=(--allow-run-as-root)
steps=(--steps 40 --runs 3)
work=$(mktemp)
trap 'rm -f "$work"' EXIT
{
  "$bench" --threads 2 --batch 64 "${steps[@]}" --label "1 process, batch 64"
  "${mpirun[@]}" "$bench" --threads 1 --batch 32 "${steps[@]}" --label "2 ranks, batch 32 each"
  "$bench" --threads 2 --batch 128 "${steps[@]}" --label "1 process, batch 128"
  "${mpirun[@]}" "$bench" --threads 1 --batch 64 "${steps[@]}" --label "2 ranks, batch 64 each"
} >"$work"
python3 - "$work" "$results/distributed.json" <<'PY'
import json, sys
runs = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
cpu = json.load(open(sys.argv[2].rsplit("/", 1)[0] + "/cpu.json"))
json.dump({"cpu": cpu, "runs": runs}, open(sys.argv[2], "w"), indent=1)
PY
echo "scripts/bench-distributed.sh  (1 process: bench_distributed --threads 2 --batch 64|128 --steps 40 --runs 3; 2 ranks: mpirun --oversubscribe -q -np 2 bench_distributed --threads 1 --batch 32|64 --steps 40 --runs 3)" >"$results/distributed.cmd"
cat "$results/distributed.json"
python3 benchmarks/render_report.py benchmarks/results >docs/benchmarks.md
echo "docs/benchmarks.md regenerated"
