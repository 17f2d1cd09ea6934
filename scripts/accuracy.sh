#!/usr/bin/env bash
# Measures test accuracy on the real MNIST test set: the main command's defaults for three
# seeds, and PyTorch's example recipe (Adadelta lr 1.0, StepLR gamma 0.7, batch 64, 14 epochs,
# all 60,000 training images), each from three seeds. Writes benchmarks/results/accuracy.csv
# and regenerates docs/benchmarks.md. Takes about 40 minutes on 2 cores.
#   scripts/accuracy.sh --precision bf16   the same runs in bf16 mixed precision, as rows
#                                          bf16-default-seedN / bf16-pytorch-recipe-seedN added
#                                          to accuracy.csv (replacing older bf16 rows)
#   scripts/accuracy.sh --precision bf16 --defaults-only   only the three default-recipe seeds
#   scripts/accuracy.sh --precision bf16 --pytorch-recipe-only   only PyTorch's recipe, three seeds
#   scripts/accuracy.sh --bn-only   only the bn model's recipe (--model bn --epochs 15), three
#                                   seeds, as rows bn-seedN (about 40 minutes)
#   scripts/accuracy.sh --distributed-only   the main command's defaults on 2 ranks of 1 thread
#                                   (mpirun -np 2 ... --threads 1), three seeds, as rows
#                                   mpi2-default-seedN, and the single process's default-seedN
#                                   on this CPU (about 25 minutes)
# Rows not run are kept from the last accuracy.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
precision=float32
defaults_only=0
pytorch_only=0
bn_only=0
distributed_only=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --precision) precision=$2; shift 2 ;;
    --defaults-only) defaults_only=1; shift ;;
    --pytorch-recipe-only) pytorch_only=1; shift ;;
    --bn-only) bn_only=1; defaults_only=1; pytorch_only=1; shift ;;
    --distributed-only) distributed_only=1; defaults_only=1; pytorch_only=1; shift ;;
    *) echo "accuracy.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[[ $precision == float32 || $precision == bf16 ]] || { echo "accuracy.sh: --precision float32 or bf16" >&2; exit 2; }
prefix=$([[ $precision == bf16 ]] && echo "bf16-" || echo "")
extra=()
[[ $precision == bf16 ]] && extra=(--precision bf16)

if [[ $distributed_only == 1 ]]; then scripts/setup-deps.sh libopenmpi-dev openmpi-bin; else scripts/setup-deps.sh; fi
cmake --preset release
cmake --build --preset release -j "$(nproc)" --target mnist
scripts/fetch-mnist.sh data/mnist
mnist=build/release/examples/mnist
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
results=benchmarks/results/accuracy.csv
mkdir -p benchmarks/results
echo "run,command,test_accuracy,train_seconds,cpu" >"$work/accuracy.csv"
cpu=$(basename "$(python3 benchmarks/cpu_slug.py --dir benchmarks/results)")

launcher=()  # mpirun and its options, for the distributed rows
measure() {  # name, train options...
  local name=$prefix$1
  shift
  set -- "$@" "${extra[@]}"
  local start end acc
  start=$(date +%s)
  # train ends by testing the best model ("test loss ... accuracy 99.07% (9907/10000)").
  ${launcher[@]+"${launcher[@]}"} "$mnist" train --data data/mnist --out "$work/$name" "$@" >"$work/$name.log"
  end=$(date +%s)
  acc=$(sed -n 's/^test loss .* accuracy \([0-9.]*\)%.*/\1/p' "$work/$name.log")
  local shown=${launcher[@]+"mpirun -np 2 "}
  echo "$name,${shown}mnist train $*,$acc,$((end - start)),$cpu" >>"$work/accuracy.csv"
  echo "$name: $acc% ($((end - start)) s)"
}

[[ $bn_only == 1 || $distributed_only == 1 || $defaults_only == 0 || $pytorch_only == 0 ]] ||
  { echo "accuracy.sh: --defaults-only or --pytorch-recipe-only, not both" >&2; exit 2; }
for seed in 1 2 3; do
  [[ $pytorch_only == 0 ]] || break
  measure "default-seed$seed" --seed "$seed"
done
for seed in 1 2 3; do
  [[ $defaults_only == 0 ]] || break
  measure "pytorch-recipe-seed$seed" --model reference --epochs 14 --val-size 0 --optimizer adadelta --lr 1.0 --scheduler step \
    --gamma 0.7 --batch-size 64 --no-augment --seed "$seed"
done
for seed in 1 2 3; do
  [[ $bn_only == 1 ]] || break
  measure "bn-seed$seed" --model bn --epochs 15 --seed "$seed"
done
for seed in 1 2 3; do  # one process on this CPU, then 2 ranks: the same seeds side by side
  [[ $distributed_only == 1 ]] || break
  measure "default-seed$seed" --seed "$seed"
done
if [[ $distributed_only == 1 ]]; then
  launcher=(mpirun --oversubscribe -q -np 2)
  [[ $(id -u) -eq 0 ]] && launcher+=(--allow-run-as-root)
fi
for seed in 1 2 3; do
  [[ $distributed_only == 1 ]] || break
  measure "mpi2-default-seed$seed" --seed "$seed" --threads 1
done
# Keep the earlier rows of every run not made now (the other precision, the recipes not run).
if [[ -f $results ]]; then
  tail -n +2 "$results" | while IFS= read -r row; do
    grep -q "^${row%%,*}," "$work/accuracy.csv" || echo "$row" >>"$work/accuracy.csv"
  done
fi
mv "$work/accuracy.csv" "$results"
if compgen -G "benchmarks/results/*/bench_kernels.json" >/dev/null; then
  python3 benchmarks/render_report.py benchmarks/results > docs/benchmarks.md
fi
echo "wrote $results and docs/benchmarks.md"
