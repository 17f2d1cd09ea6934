#!/usr/bin/env bash
# Configure, build and test ember with a CMake preset (default: debug).
# Usage: scripts/test.sh [release|debug|asan]
set -euo pipefail

preset=${1:-debug}
cd "$(dirname "$0")/.."

scripts/setup-deps.sh
cmake --preset "$preset"
cmake --build --preset "$preset" -j "$(nproc)"
ctest --preset "$preset"
