#!/usr/bin/env bash
# `mnist train` under mpirun with 2 ranks on this machine (1 thread each), on the MNIST sample:
#  (b) the 2-rank run reaches the accuracy floor of the single process (90 % on the sample's
#      1,000 test images; batch 32 per rank, so that its steps are the single process's steps of
#      64 images), and only rank 0 prints. 4 epochs where mnist.accuracy_floor trains 3: after 3
#      epochs of 1,800 images one run's accuracy scatters by +-2 pp with the seed and the dropout
#      masks (seeds 1-6, release build: 1 process 91.1-93.1 %, 2 ranks 88.4-93.7 %; without
#      dropout the two track each other to the third digit of the loss), and seed 1 of 2 ranks
#      lands below the floor; after 4 epochs 2 ranks give 93.0-93.5 % for seeds 1-3 (those figures
#      are the reference CNN's, the default until bn took its place: bn gives 96.2 % for seed 1);
#  (c) Ctrl-C (SIGINT) sent to one rank stops both at the same batch with a checkpoint (exit
#      130), SIGKILL of one rank ends the job, and --resume then ends with exactly the model of an
#      uninterrupted 2-rank run, byte for byte;
#  (d) bad input on one rank (its data folder missing; a NaN in its batch; other settings) ends
#      the job with one line from rank 0 and a non-zero exit code, within the time limit.
# Usage: mnist_distributed.sh MNIST_BINARY SAMPLE_DATA_DIR MPIEXEC
set -euo pipefail
mnist=$1
data=$2
mpiexec=$3
source "$(dirname "$0")/common.sh"
# As root (CI containers), Open MPI refuses to start without these.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun=("$mpiexec" --oversubscribe -q)
two=("${mpirun[@]}" -np 2)

# ---- (b) accuracy floor ------------------------------------------------------------------------
"${two[@]}" "$mnist" train --data "$data" --out "$work/floor" --epochs 4 --val-size 200 --seed 1 --threads 1 --batch-size 32 \
  >"$work/floor.out" 2>"$work/floor.err" || { fail "(b) the 2-rank run failed:"; cat "$work/floor.out" "$work/floor.err"; }
cat "$work/floor.out"
accuracy=$(sed -n 's/^test loss .* accuracy \([0-9.]*\)%.*/\1/p' "$work/floor.out")
if [[ -z $accuracy ]] || (( $(echo "$accuracy < 90" | bc) )); then
  fail "(b) test accuracy '${accuracy}' of the 2-rank run is below the 90% floor"
else
  echo "(b) 2 ranks: test accuracy $accuracy% (floor 90%)"
fi
[[ $(grep -c '^epoch ' "$work/floor.out") -eq 4 ]] || fail "(b) expected 4 epoch lines (rank 0 alone prints), got:" "$(cat "$work/floor.out")"
grep -q "batch 32 per rank x 2 ranks" "$work/floor.out" || fail "(b) the first line does not name the ranks"
grep -q 'mpirun -np 2 mnist train' "$work/floor/report/report.html" || fail "(b) the report does not show the mpirun command"

# ---- (c) interrupt one rank, kill one rank, resume ----------------------------------------------
common=(--data "$data" --limit 800 --val-size 100 --epochs 2 --batch-size 25 --seed 4 --threads 1 --checkpoint-every 3)
"${two[@]}" "$mnist" train "${common[@]}" --out "$work/straight" >/dev/null 2>&1 || fail "(c) the uninterrupted run failed"

# The pid of rank `r` of a job whose --out is `out` (ranks are mpirun's children, with their rank
# in the environment).
rank_pid() {
  local out=$1 r=$2 pid
  for pid in $(pgrep -f -- "--out $out( |$)" || true); do
    if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$r"; then
      echo "$pid"
      return
    fi
  done
}
# Starts a 2-rank run into $1 and sends signal $2 to rank $3 once its first checkpoint exists.
signal_one_rank() {
  local out=$1 signal=$2 r=$3 pid=""
  "${two[@]}" "$mnist" train "${common[@]}" --out "$out" >"$out.out" 2>"$out.err" &
  local job=$!
  for _ in $(seq 1 600); do
    [[ -f $out/checkpoint.safetensors ]] && pid=$(rank_pid "$out" "$r") && [[ -n $pid ]] && break
    sleep 0.1
  done
  [[ -n $pid ]] && kill "-$signal" "$pid"
  set +e
  wait "$job"
  code=$?
  set -e
}

signal_one_rank "$work/interrupted" INT 1
if [[ $code -ne 130 ]] || ! grep -q "interrupted: checkpoint saved" "$work/interrupted.err"; then
  fail "(c) SIGINT to rank 1: exit code $code, expected 130 with a checkpoint:"; cat "$work/interrupted.err"
else
  echo "(c) SIGINT to rank 1: both ranks stopped, $(grep -o 'epoch [0-9]*, batch [0-9]*' "$work/interrupted.err")"
fi
"${two[@]}" "$mnist" train "${common[@]}" --out "$work/interrupted" --resume >/dev/null 2>&1 || fail "(c) resume after SIGINT failed"
cmp -s "$work/straight/model.safetensors" "$work/interrupted/model.safetensors" ||
  fail "(c) after SIGINT and --resume the model differs from the uninterrupted run's"

signal_one_rank "$work/killed" KILL 1
[[ $code -ne 0 ]] || fail "(c) SIGKILL of rank 1 left the job exiting 0"
echo "(c) SIGKILL of rank 1: the job ended with exit code $code"
"${two[@]}" "$mnist" train "${common[@]}" --out "$work/killed" --resume >/dev/null 2>&1 || fail "(c) resume after SIGKILL failed"
cmp -s "$work/straight/model.safetensors" "$work/killed/model.safetensors" ||
  fail "(c) after SIGKILL and --resume the model differs from the uninterrupted run's"
[[ $(find "$work/killed" -name '.*.tmp-*' | wc -l) -eq 0 ]] || fail "(c) temporary files left after the resumed run"
echo "(c) both resumed runs end with the uninterrupted run's model, byte for byte"

# ---- (d) bad input on one rank ---------------------------------------------------------------
quick=(--limit 400 --val-size 50 --epochs 1 --threads 1)
# expect_failure NAME PATTERN -- mpirun arguments: exit code not 0, one line on stderr matching PATTERN.
expect_failure() {
  local name=$1 pattern=$2
  shift 3
  set +e
  timeout 120 "${mpirun[@]}" "$@" >"$work/$name.out" 2>"$work/$name.err"
  local code=$?
  set -e
  local ours
  ours=$(grep -c '^mnist: ' "$work/$name.err" || true)
  if [[ $code -eq 0 || $code -eq 124 ]] || [[ $ours -ne 1 ]] || ! grep -q "$pattern" "$work/$name.err"; then
    fail "(d) $name: exit code $code (124: timed out), $ours lines from mnist, expected one matching '$pattern':"
    cat "$work/$name.err"
  else
    echo "(d) $name: exit code $code, '$(grep '^mnist: ' "$work/$name.err")'"
  fi
}
expect_failure missing-data "^mnist: rank 1: .*no-such-folder" -- \
  -np 1 "$mnist" train --data "$data" --out "$work/d1" "${quick[@]}" : \
  -np 1 "$mnist" train --data "$work/no-such-folder" --out "$work/d1" "${quick[@]}"
expect_failure nan-on-one-rank "^mnist: training stopped at epoch 1, batch 2 .*not finite" -- \
  -np 1 "$mnist" train --data "$data" --out "$work/d2" "${quick[@]}" : \
  -np 1 "$mnist" train --data "$data" --out "$work/d2" "${quick[@]}" --poison-batch 2
expect_failure other-settings "^mnist: rank 1: its settings differ from rank 0's: --seed 2 here, --seed 1 on rank 0" -- \
  -np 1 "$mnist" train --data "$data" --out "$work/d3" "${quick[@]}" --seed 1 : \
  -np 1 "$mnist" train --data "$data" --out "$work/d3" "${quick[@]}" --seed 2
[[ ! -e $work/d1/model.safetensors ]] || fail "(d) the failed run left a model file"

echo "$failures failed"
[[ $failures -eq 0 ]]
