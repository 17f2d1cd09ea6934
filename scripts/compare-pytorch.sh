#!/usr/bin/env bash
# ember next to PyTorch on this machine: builds compare_ember (release), fetches MNIST, runs
# benchmarks/compare_pytorch.py (Debian's python3-torch; skipped cleanly when missing) with the
# result in benchmarks/results/<cpu slug>/compare_pytorch.json (benchmarks/cpu_slug.py; cpu.json
# beside it), and regenerates docs/benchmarks.md.
# Usage: scripts/compare-pytorch.sh [compare_pytorch.py options, passed through, e.g.
#            --epochs 1 --runs 3 --threads 2 --precision bf16   (bf16: float32 and bf16 side by side)]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-deps.sh
cmake --preset release
cmake --build --preset release -j "$(nproc)" --target compare_ember
scripts/fetch-mnist.sh data/mnist
# Debian's python3-torch lives in the system interpreter, which may not be the first on PATH.
python=/usr/bin/python3
[[ -x $python ]] || python=python3
results=$("$python" benchmarks/cpu_slug.py --dir benchmarks/results)
mkdir -p "$results"
"$python" benchmarks/cpu_slug.py --json >"$results/cpu.json"
# --json first: a --json among the arguments overrides it (argparse keeps the last).
"$python" benchmarks/compare_pytorch.py --ember build/release/benchmarks/compare_ember --data data/mnist \
  --json "$results/compare_pytorch.json" "$@"
"$python" benchmarks/render_report.py benchmarks/results > docs/benchmarks.md
echo "wrote $results/compare_pytorch.json and regenerated docs/benchmarks.md"
