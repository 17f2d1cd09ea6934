#!/usr/bin/env bash
# Build the libFuzzer targets (clang 14, ASan + UBSan; the fuzz preset), write their seed
# corpora from real files (tests/fuzz/make_seeds), and run each target for SECONDS, two at a time.
# A crash stops with the target's report and the input that caused it; add that input to
# tests/data/fuzz-regressions with a test. Corpora grow in build/fuzz/corpus across runs.
# Usage: scripts/fuzz.sh [SECONDS per target, default 30] [target ...]   (targets: idx safetensors
#        checkpoint image cli). With FUZZ_RECORD=1, the run counts are also written to
#        docs/fuzzing-runs.md (one row per target, replacing its last one).
#        scripts/fuzz.sh --summarize SECONDS [target ...]: summarize the logs of the last run only.
set -euo pipefail
cd "$(dirname "$0")/.."

summarize_only=0
if [[ ${1:-} == --summarize ]]; then  # only summarize (and record) the logs of the last runs
  summarize_only=1
  shift
fi
seconds=${1:-30}
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(idx safetensors checkpoint image cli)

bin=build/fuzz/tests/fuzz
corpus=build/fuzz/corpus
logs=build/fuzz/logs
status=0
if [[ $summarize_only == 0 ]]; then
scripts/setup-deps.sh clang-14 libomp-14-dev
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)"
seeds=build/fuzz/seeds
rm -rf "$seeds"
"$bin/make_seeds" "$seeds" tests/data/mnist-sample
mkdir -p "$logs" build/fuzz/crashes

run_target() {  # target: fuzz it for $seconds; the log keeps libFuzzer's output
  local t=$1
  mkdir -p "$corpus/$t"
  # -max_len: the seeds go up to ~2.4 KB (a checkpoint); -rss_limit_mb: fail on a memory blow-up
  # (a loader that trusts a declared size); -timeout: fail on a hang (the slowest input seen, an
  # 8192x8192 PNG bomb, takes ~12 s under ASan here).
  "$bin/fuzz_$t" "$corpus/$t" "$seeds/$t" -max_total_time="$seconds" -max_len=16384 -rss_limit_mb=2048 \
    -timeout=60 -print_final_stats=1 -artifact_prefix="build/fuzz/crashes/$t-" >"$logs/$t.log" 2>&1
}

pids=()
names=()
for t in "${targets[@]}"; do
  run_target "$t" &
  pids+=($!)
  names+=("$t")
  if [[ ${#pids[@]} -ge $(nproc) ]]; then
    wait "${pids[0]}" || { echo "fuzz: ${names[0]} FAILED, see $logs/${names[0]}.log" >&2; status=1; }
    pids=("${pids[@]:1}")
    names=("${names[@]:1}")
  fi
done
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || { echo "fuzz: ${names[$i]} FAILED, see $logs/${names[$i]}.log" >&2; status=1; }
done

fi

summary=$(mktemp)
for t in "${targets[@]}"; do
  when=$(date -u -r "$logs/$t.log" '+%Y-%m-%d %H:%M UTC')
  runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$logs/$t.log" | tail -n 1)
  files=$(find "$corpus/$t" -type f | wc -l)
  if grep -qE 'ERROR: (libFuzzer|AddressSanitizer|UndefinedBehaviorSanitizer)|runtime error:|deadly signal' "$logs/$t.log"; then
    result="**crash**: $(grep -m1 -oE 'Test unit written to .*' "$logs/$t.log" || echo "see $logs/$t.log")"
    status=1
    grep -m3 -E 'ERROR|runtime error' "$logs/$t.log" >&2 || true
  else
    result="no crash"
  fi
  printf '| fuzz_%s | %s | %s | %s | %s files | %s |\n' "$t" "$when" "$seconds" "${runs:-?}" "$files" "$result" >>"$summary"
done
echo "| target | date | seconds | runs | corpus | result |"
cat "$summary"
if [[ ${FUZZ_RECORD:-0} == 1 ]]; then
  # One row per target: the rows of the targets run now replace their old rows.
  record=docs/fuzzing-runs.md
  rows=$(mktemp)
  if [[ -f $record ]]; then
    grep '^| fuzz_' "$record" | while IFS= read -r row; do
      name=$(cut -d'|' -f2 <<<"$row" | tr -d ' ')
      grep -q "^| $name |" "$summary" || echo "$row"
    done >"$rows"
  fi
  cat "$summary" >>"$rows"
  {
    echo "# Fuzzing runs"
    echo
    echo "Written by \`FUZZ_RECORD=1 scripts/fuzz.sh SECONDS [targets]\` ($(nproc) cores, $(clang++-14 --version | head -n 1));"
    echo "each row is the last recorded run of that target. Corpora: build/fuzz/corpus, started from"
    echo "tests/fuzz/make_seeds. A crash is fixed, its input kept under tests/data/fuzz-regressions with a"
    echo "test, and the target run again; see docs/robustness.md."
    echo
    echo "| target | date | seconds | runs | corpus | result |"
    echo "|---|---|---|---|---|---|"
    sort "$rows"
  } >"$record"
  rm -f "$rows"
  echo "wrote $record"
fi
rm -f "$summary"
exit $status
