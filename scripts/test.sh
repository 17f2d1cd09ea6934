#!/usr/bin/env bash
# Configure, build and test ember with a CMake preset (default: debug).
# Usage: scripts/test.sh [release|debug|asan]
set -euo pipefail

preset=${1:-debug}
cd "$(dirname "$0")/.."

# chromium: the report is also checked in a headless browser (ctest mnist.report_in_browser).
scripts/setup-deps.sh chromium fonts-dejavu-core
cmake --preset "$preset"
cmake --build --preset "$preset" -j "$(nproc)"
ctest --preset "$preset"
