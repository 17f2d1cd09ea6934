#!/usr/bin/env bash
# A data set that is not MNIST, with class names: train on the synthetic shapes of
# tests/data/shapes (1 epoch, names from a file), then the names must be in the report page
# (ROC legend, per-class and mistakes tables, confusion-matrix axes, the grids' captions as
# alt text), in metrics.json and in predict's text and JSON output, read back from the model
# file by evaluate and predict; the word "digit" must appear nowhere in that report. A model
# file whose names do not fit the network is refused with one line.
# Usage: mnist_class_names.sh MNIST_BINARY RENDER_BINARY SHAPES_DATA_DIR
set -uo pipefail
mnist=$1
render=$2
data=$3
source "$(dirname "$0")/common.sh"

# Upper case, blanks, an '&' (escaped in the page) and a long name (cut on the axes); a
# Windows line end and a final blank line, which the file may have.
printf 'hbar\nvbar\r\nRing\ndisc & dot\nx-cross\nplus\nsquare\ntriangle\nslash\ndots in a 3x3 grid\n\n' >"$work/names.txt"
names=(hbar vbar Ring 'disc & dot' x-cross plus square triangle slash 'dots in a 3x3 grid')

"$mnist" train --data "$data" --out "$work/run" --epochs 1 --val-size 100 --limit 500 --batch-size 50 \
  --class-names-file "$work/names.txt" >"$work/train.txt" 2>&1 || fail "train: $(cat "$work/train.txt")"
report=$work/run/report
# The page without its embedded PNGs (base64 could spell anything).
sed 's/base64,[A-Za-z0-9+\/=]*/base64,/g' "$report/report.html" >"$work/page.html"
contains() {  # contains FILE TEXT
  grep -qF -- "$2" "$1" || fail "$(basename "$1") does not contain '$2'"
}
contains "$work/page.html" '<title>Evaluation report</title>'
contains "$work/page.html" '<th>class</th><th>precision</th>'
contains "$work/page.html" '<td>disc &amp; dot</td>'
contains "$work/page.html" '<td>dots in a 3x3 grid</td>'
contains "$work/page.html" 'Ring (AUC 0.'
contains "$work/page.html" 'dots in a 3x3 grid (AUC'
contains "$work/page.html" 'one class vs the rest'
contains "$work/page.html" '--class-names &#39;hbar,vbar,Ring,disc &amp; dot,'
contains "$report/confusion_matrix.svg" '>Ring</text>'
contains "$report/confusion_matrix.svg" '>dots in a ..</text>'  # a row, cut to 12 characters
contains "$report/confusion_matrix.svg" '>dots in..</text>'     # a column, cut to 9
# The sample grid's alt text lists its captions: "image 0 true NAME / pred NAME".
grep -Eq 'alt="the first test images with their predictions: image 0 true [^/"]+ / pred [^;"]+; image 1 ' \
  "$work/page.html" || fail "report.html: the sample grid's alt text has no captions"
for f in "$work/page.html" "$report"/*.svg "$report/metrics.json"; do
  grep -qi digit "$f" && fail "$(basename "$f") says 'digit': $(grep -oi '.\{30\}digit.\{30\}' "$f" | head -1)"
done
grep -q MNIST "$work/page.html" && fail "report.html says MNIST"

# metrics.json: the names, in class order, in the list and in each per-class entry.
contains "$report/metrics.json" '"class_names": ["hbar","vbar","Ring","disc & dot","x-cross","plus","square","triangle","slash","dots in a 3x3 grid"]'
got=$(grep -o '"name": "[^"]*"' "$report/metrics.json" | sed 's/"name": "\(.*\)"/\1/' | paste -sd,)
[[ $got == "$(IFS=,; echo "${names[*]}")" ]] || fail "metrics.json per-class names: $got"

# evaluate reads the names back from the model file.
"$mnist" evaluate --data "$data" --model "$work/run/model.safetensors" --out "$work/eval" >"$work/eval.txt" 2>&1 ||
  fail "evaluate: $(cat "$work/eval.txt")"
contains "$work/eval/report/report.html" '<td>dots in a 3x3 grid</td>'
cmp -s "$report/metrics.json" "$work/eval/report/metrics.json" || fail "evaluate's metrics.json differs from train's"

# predict: names in the text; "class" (index) and "name" in the JSON, no "digit".
"$render" "$data" "$work/images" 5 >"$work/expected.txt" || fail "rendering shapes"
images=$(cut -d' ' -f1 "$work/expected.txt")
"$mnist" predict --model "$work/run/model.safetensors" $images >"$work/text.txt" 2>"$work/err" ||
  fail "predict: $(cat "$work/err")"
name_re='(hbar|vbar|Ring|disc & dot|x-cross|plus|square|triangle|slash|dots in a 3x3 grid)'
text_re="^[^ ]+: $name_re  \\($name_re: [0-9.]+%, $name_re: [0-9.]+%, $name_re: [0-9.]+%\\)\$"
[[ $(grep -Ec "$text_re" "$work/text.txt") -eq 20 ]] || fail "predict text: $(grep -Ev "$text_re" "$work/text.txt" | head -1)"
"$mnist" predict --json --model "$work/run/model.safetensors" $images >"$work/json.txt" 2>"$work/err" ||
  fail "predict --json: $(cat "$work/err")"
entry_re="\"class\": [0-9], \"name\": \"$name_re\""
json_re="^\\{\"image\": \"[^\"]+\", $entry_re, \"top3\": \\[(\\{$entry_re, \"probability\": [0-9.e-]+\\}(, )?){3}\\]\\}\$"
[[ $(grep -Ec "$json_re" "$work/json.txt") -eq 20 ]] || fail "predict JSON: $(grep -Ev "$json_re" "$work/json.txt" | head -1)"
grep -q digit "$work/json.txt" "$work/text.txt" && fail "predict says 'digit'"
head -2 "$work/text.txt" "$work/json.txt"

# A model file whose names are one short: the header edited in place, padded with blanks to
# its length (safetensors allows trailing blanks), so that the tensors stay where they were.
model=$work/run/model.safetensors
n=$(od -An -t u8 -N 8 "$model" | tr -d ' ')
header=$(dd if="$model" bs=1 skip=8 count="$n" status=none)
edited=$(printf '%s' "$header" | sed 's/\\"hbar\\",//')
[[ $edited != "$header" ]] || fail "the model file's header has no class names to edit"
{
  head -c 8 "$model"
  printf '%s%*s' "$edited" $((${#header} - ${#edited})) ''
  tail -c +$((8 + n + 1)) "$model"
} >"$work/short.safetensors"
for cmd in "evaluate --data $data --out $work/short" "predict ${images%% *}"; do
  "$mnist" $cmd --model "$work/short.safetensors" >/dev/null 2>"$work/err"
  code=$?
  if [[ $code -ne 1 || $(wc -l <"$work/err") -ne 1 ]] || ! grep -q "holds 9 names, but the network has 10 outputs" "$work/err"; then
    fail "${cmd%% *} with 9 names in the model file: exit $code: $(cat "$work/err")"
  fi
done
[[ -e $work/short ]] && fail "evaluate wrote output for a model file with bad names"
cat "$work/err"

echo "$failures failed"
[[ $failures -eq 0 ]]
