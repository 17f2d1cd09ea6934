#!/usr/bin/env bash
# The mnist program's answers to bad command lines and bad files: one line on stderr,
# exit code 2 for usage errors and 1 for bad input, and no partial output files.
# Usage: mnist_cli_errors.sh MNIST_BINARY SAMPLE_DATA_DIR
set -uo pipefail
mnist=$1
data=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

# expect CODE PATTERN -- command...: runs it, checks the exit code and that stderr is one
# line matching PATTERN.
expect() {
  local code=$1 pattern=$2
  shift 3
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  local lines
  lines=$(wc -l <"$work/err")
  if [[ $got -ne $code ]] || ! grep -q -- "$pattern" "$work/err" || [[ $lines -ne 1 ]]; then
    echo "FAIL: $* -> exit $got (expected $code), stderr ($lines lines):"
    sed 's/^/    /' "$work/err"
    failures=$((failures + 1))
  else
    echo "ok: $* -> $code: $(cat "$work/err")"
  fi
}

expect 2 "missing command" -- "$mnist"
expect 2 "unknown command 'fly'" -- "$mnist" fly
expect 2 "unknown option '--epoch'" -- "$mnist" train --epoch 3
expect 2 "--epochs: expects an integer in \[1, 1000\], got 'three'" -- "$mnist" train --epochs three
expect 2 "--epochs: expects an integer in \[1, 1000\], got '0'" -- "$mnist" train --epochs 0
expect 2 "--lr: expects a number in \[0, 100\], got '-1'" -- "$mnist" train --lr -1
expect 2 "--optimizer: expects adadelta, sgd, adam or adamw, got 'rmsprop'" -- "$mnist" train --optimizer rmsprop
expect 2 "option '--seed' needs a value" -- "$mnist" train --seed
expect 2 "option '--augment' takes no value" -- "$mnist" train --augment=yes
expect 2 "--augment excludes --no-augment" -- "$mnist" train --augment --no-augment
expect 2 "--precision: expects float32 or bf16, got 'fp16'" -- "$mnist" train --precision fp16
expect 2 "--precision: expects float32 or bf16, got 'half'" -- "$mnist" evaluate --precision half
expect 2 "unexpected argument 'extra'" -- "$mnist" evaluate extra
expect 2 "option '--json' takes no value" -- "$mnist" predict --json=1 digit.png
expect 1 "no train-images-idx3-ubyte" -- "$mnist" train --data "$work/nowhere" --out "$work/run1"

# A truncated label file: a one-line FormatError naming the file, and no output files.
mkdir -p "$work/bad"
cp "$data"/* "$work/bad/"
gzip -dc "$data/train-labels-idx1-ubyte.gz" | head -c 100 >"$work/bad/train-labels-idx1-ubyte"
rm -f "$work/bad/train-labels-idx1-ubyte.gz"
expect 1 "train-labels-idx1-ubyte" -- "$mnist" train --data "$work/bad" --out "$work/run2" --limit 500 --val-size 100
if [[ -e "$work/run2/model.safetensors" || -e "$work/run2/checkpoint.safetensors" ]]; then
  echo "FAIL: output files were written after a bad input"
  failures=$((failures + 1))
fi

# A model file that is not a model.
echo "not a model" >"$work/model.safetensors"
expect 1 "model.safetensors" -- "$mnist" evaluate --model "$work/model.safetensors" --data "$data" --out "$work/eval"
[[ -e "$work/eval/predictions.csv" ]] && { echo "FAIL: predictions written for a bad model"; failures=$((failures + 1)); }

# --data naming a file, and --resume with no checkpoint: one line, and no --out folder left behind.
expect 1 "that is a file" -- "$mnist" train --data "$data/train-images-idx3-ubyte.gz" --out "$work/run3"
expect 1 "checkpoint" -- "$mnist" train --data "$data" --out "$work/run4" --resume --limit 200 --val-size 50
for run in run3 run4; do
  [[ -e "$work/$run" ]] && { echo "FAIL: a failed run left $work/$run behind"; failures=$((failures + 1)); }
done

# Class names: one line each, and no output folder. The shapes' images with labels of 5 and
# of 12 classes (raw files win over the .gz): the network has 10 outputs.
shapes=$(dirname "$data")/shapes
expect 2 "--class-names excludes --class-names-file" -- "$mnist" train --class-names a,b --class-names-file "$shapes/class-names.txt"
expect 2 "--class-names: name 2 is empty" -- "$mnist" train --class-names a,,c
expect 2 "--class-names: 'a' is given twice (name 1 and name 3)" -- "$mnist" train --class-names a,b,a
printf 'a\n\nb\n' >"$work/names.txt"
expect 2 "--class-names-file $work/names.txt: line 2 is empty" -- "$mnist" train --class-names-file "$work/names.txt" --data "$shapes" --out "$work/run6"
expect 1 "nowhere.txt: cannot read the class names file" -- "$mnist" train --class-names-file "$work/nowhere.txt" --data "$shapes" --out "$work/run6"
expect 2 "--class-names gives 3 names, but the training labels have 10 classes" -- "$mnist" train --class-names a,b,c --data "$shapes" --out "$work/run6"
for classes in 5 12; do
  mkdir -p "$work/labels$classes"
  cp "$shapes"/*.gz "$work/labels$classes/"
  { printf '\x00\x00\x08\x01\x00\x00\x01\xf4'; for ((i = 0; i < 500; i++)); do printf "\\x$(printf %02x $((i % classes)))"; done; } \
    >"$work/labels$classes/train-labels-idx1-ubyte"
done
expect 1 "the training labels have 5 classes (0..4), but the network has 10 outputs" -- "$mnist" train --data "$work/labels5" --out "$work/run6"
expect 1 "the training labels have 12 classes (0..11), but the network has 10 outputs" -- "$mnist" train --data "$work/labels12" --out "$work/run6"
[[ -e "$work/run6" ]] && { echo "FAIL: a failed run left $work/run6 behind"; failures=$((failures + 1)); }

# More threads than cores: capped, with a one-line warning naming the core count.
"$mnist" train --data "$data" --out "$work/run5" --limit 120 --val-size 20 --epochs 1 --batch-size 50 \
  --threads 1000 >/dev/null 2>"$work/err"
cores=$(nproc)
if ! grep -q "warning: --threads 1000 is more than the $cores cores of this machine; using $cores" "$work/err" ||
   [[ $(wc -l <"$work/err") -ne 1 ]]; then
  echo "FAIL: --threads 1000 on $cores cores:"; sed 's/^/    /' "$work/err"
  failures=$((failures + 1))
else
  echo "ok: --threads 1000 -> $(cat "$work/err")"
fi

# --help works everywhere and exits 0.
for cmd in "" train evaluate predict; do
  if ! "$mnist" $cmd --help >"$work/out" 2>&1 || ! grep -qi usage "$work/out"; then
    echo "FAIL: mnist $cmd --help"
    failures=$((failures + 1))
  fi
done

# The defaults that depend on the model: bn (the default) trains 3 epochs, reference 6. One batch
# of each run is enough to read its first line.
for model in default:3:bn reference:6:reference; do
  IFS=: read -r given epochs shown <<<"$model"
  args=(train --data "$data" --out "$work/defaults-$given" --limit 200 --val-size 0 --threads 1 --interrupt-after 1)
  [[ $given == default ]] || args+=(--model "$given")
  "$mnist" "${args[@]}" >"$work/out" 2>"$work/err"
  if grep -q "^training $shown on .*, $epochs epochs," "$work/out"; then
    echo "ok: mnist train (model $given) -> $(head -1 "$work/out")"
  else
    echo "FAIL: mnist train (model $given) should train $shown for $epochs epochs:"; sed 's/^/    /' "$work/out" "$work/err"
    failures=$((failures + 1))
  fi
done

echo "$((27 - failures)) passed, $failures failed"
[[ $failures -eq 0 ]]
