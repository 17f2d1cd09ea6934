#!/usr/bin/env bash
# The main job: install missing packages, build everything (release), run the demo.
# (The MNIST example will take the demo's place here.)
# Usage: scripts/run.sh [demo arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-deps.sh
cmake --preset release
cmake --build --preset release -j "$(nproc)"
build/release/examples/ember_demo "$@"
