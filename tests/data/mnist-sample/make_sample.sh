#!/usr/bin/env bash
# Rebuilds this directory's MNIST sample from the full raw files (scripts/fetch-mnist.sh):
# the first 2000 training and the first 1000 test images and labels, as gzip-compressed IDX
# files with the standard names. Only the count in each header changes; gzip -n leaves the
# name and time out of the .gz, so the output is the same on every run.
# Usage: tests/data/mnist-sample/make_sample.sh [MNIST_DIR]   (default data/mnist)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${1:-data/mnist}

# The 4 bytes of $1 as a big-endian unsigned 32-bit integer.
be32() { printf "\\x$(printf %02x $(($1 >> 24 & 255)))\\x$(printf %02x $(($1 >> 16 & 255)))\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 & 255)))"; }

# bytes FILE SKIP COUNT: COUNT bytes of FILE from offset SKIP (no pipe that could hit SIGPIPE).
bytes() { dd if="$1" bs=1M iflag=skip_bytes,count_bytes skip="$2" count="$3" status=none; }

# take NAME COUNT: the first COUNT records of $src/NAME into $here/NAME.gz.
take() {
  local name=$1 count=$2 ndim header record
  [[ -f $src/$name ]] || { echo "make_sample: no $src/$name; run scripts/fetch-mnist.sh first" >&2; exit 1; }
  ndim=$(od -An -tu1 -j3 -N1 "$src/$name" | tr -d ' ')
  header=$((4 + 4 * ndim))
  record=1
  [[ $ndim -eq 3 ]] && record=$((28 * 28))
  {
    bytes "$src/$name" 0 4                # magic: unchanged
    be32 "$count"                         # the new number of records
    bytes "$src/$name" 8 $((header - 8))  # the other dimensions: unchanged
    bytes "$src/$name" "$header" $((count * record))
  } | gzip -9n >"$here/$name.gz.tmp"
  mv "$here/$name.gz.tmp" "$here/$name.gz"
}

take train-images-idx3-ubyte 2000
take train-labels-idx1-ubyte 2000
take t10k-images-idx3-ubyte 1000
take t10k-labels-idx1-ubyte 1000
ls -l "$here"/*.gz
