#!/usr/bin/env bash
# Configure, build and test ember with a CMake preset. With no argument (what CI runs): the asan
# preset (AddressSanitizer + UndefinedBehaviorSanitizer over the whole suite, the MNIST example
# runs included), then a short fuzzing run of every loader (scripts/fuzz.sh, 30 s per target).
# Usage: scripts/test.sh [asan|debug|release]   (a named preset: build and ctest only)
set -euo pipefail
cd "$(dirname "$0")/.."

preset=${1:-asan}
# chromium: the report is also checked in a headless browser (ctest mnist.report_in_browser);
# Open MPI: the distributed tests run 2 ranks on this machine (ctest -L distributed); python3-onnx
# and python3-opencv read the ONNX files ember writes (ctest onnx.runtimes, onnx.export, mnist.export).
scripts/setup-deps.sh chromium fonts-dejavu-core libopenmpi-dev openmpi-bin python3-onnx python3-opencv
cmake --preset "$preset"
cmake --build --preset "$preset" -j "$(nproc)"
ctest --preset "$preset"
if [[ $# -eq 0 ]]; then
  scripts/fuzz.sh "${EMBER_FUZZ_SECONDS:-30}"
fi
