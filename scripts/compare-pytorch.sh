#!/usr/bin/env bash
# ember next to PyTorch on this machine: builds compare_ember (release), fetches MNIST, runs
# benchmarks/compare_pytorch.py (Debian's python3-torch; skipped cleanly when missing) and
# regenerates docs/benchmarks.md.
# Usage: scripts/compare-pytorch.sh [compare_pytorch.py options, e.g. --epochs 1 --runs 3 --threads 2]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-deps.sh
cmake --preset release
cmake --build --preset release -j "$(nproc)" --target compare_ember
scripts/fetch-mnist.sh data/mnist
# Debian's python3-torch lives in the system interpreter, which may not be the first on PATH.
python=/usr/bin/python3
[[ -x $python ]] || python=python3
"$python" benchmarks/compare_pytorch.py --ember build/release/benchmarks/compare_ember --data data/mnist "$@"
"$python" benchmarks/render_report.py benchmarks/results > docs/benchmarks.md
echo "regenerated docs/benchmarks.md"
