#!/usr/bin/env bash
# A power cut at any moment loses nothing: train with a checkpoint every 2 batches, kill the
# process with SIGKILL at a random moment, then --resume; repeated a few times. Each time the
# checkpoint on disk must load (--resume reads and verifies it: checksum, shapes, settings),
# no temporary file may survive the resumed run, and the resumed run must end with exactly the
# weights of an uninterrupted run (same seed, same threads): the model file byte for byte and
# the final checkpoint's tensors (its data section) byte for byte.
# Usage: mnist_kill_resume.sh MNIST_BINARY SAMPLE_DATA_DIR [ROUNDS, default 3]
set -euo pipefail
mnist=$1
data=$2
rounds=${3:-3}
source "$(dirname "$0")/common.sh"
common=(--data "$data" --limit 300 --val-size 60 --epochs 2 --batch-size 50 --seed 5 --threads 2
        --checkpoint-every 2)


start=$(date +%s.%N)
"$mnist" train "${common[@]}" --out "$work/straight" >/dev/null
duration=$(echo "$(date +%s.%N) - $start" | bc)
echo "uninterrupted run: ${duration} s"

RANDOM=$$  # a new set of moments each run; printed, so that a failure can be repeated by hand
for round in $(seq 1 "$rounds"); do
  out="$work/killed$round"
  # Anywhere from the start to the end of the run (the first checkpoint comes after 2 batches).
  delay=$(echo "scale=3; $duration * $((RANDOM % 1000)) / 1000" | bc)
  "$mnist" train "${common[@]}" --out "$out" >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [[ -f $out/checkpoint.safetensors ]]; then
    resume=(--resume)
    state="checkpoint on disk"
  else
    resume=()  # killed before the first checkpoint: nothing to resume, start again
    state="no checkpoint yet"
  fi
  echo "round $round: SIGKILL after ${delay} s ($state, $(find "$out" -name '.*.tmp-*' 2>/dev/null | wc -l) temporary files)"
  if ! "$mnist" train "${common[@]}" --out "$out" "${resume[@]}" >"$work/log" 2>&1; then
    fail "round $round: the run after the kill failed:"
    cat "$work/log"
    continue
  fi
  cmp -s "$work/straight/model.safetensors" "$out/model.safetensors" ||
    fail "round $round: model.safetensors differs from the uninterrupted run's"
  cmp -s <(data_section "$work/straight/checkpoint.safetensors") <(data_section "$out/checkpoint.safetensors") ||
    fail "round $round: the final checkpoint's tensors differ from the uninterrupted run's"
  diff -q <(cut -d, -f1-6 "$work/straight/history.csv") <(cut -d, -f1-6 "$out/history.csv") >/dev/null ||
    fail "round $round: history.csv differs from the uninterrupted run's"
  leftovers=$(find "$out" -name '.*.tmp-*' | wc -l)
  [[ $leftovers -eq 0 ]] || fail "round $round: $leftovers temporary files left after the resumed run"
done
echo "$((rounds - failures)) passed, $failures failed"
[[ $failures -eq 0 ]]
