# Sourced by the example tests: a scratch folder removed on exit, and failure counting.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
# The tensors of a safetensors file: the bytes after the 8-byte length and the JSON header (the
# metadata, which records timing, may differ between runs that computed the same weights).
data_section() {
  local n
  n=$(od -An -t u8 -N 8 "$1" | tr -d ' ')
  tail -c +$((8 + n + 1)) "$1"
}
