#!/usr/bin/env python3
"""Writes a small synthetic 10-class data set of 28x28 grey images in MNIST's IDX format and
file names (gzip, no name or time in the header, so every run gives the same bytes).

The classes are shapes, so that the tests exercise the example on a data set that is not
digits (examples/mnist/README.md, "Other data sets"):
  0 hbar  1 vbar  2 ring  3 disc  4 x-cross  5 plus  6 square  7 triangle  8 slash  9 dots
Each image draws one shape, light on dark as MNIST, with a random size, position, stroke and
brightness, and a little sparse noise. Only the standard library is used.

Usage: tests/data/shapes/make_shapes.py [OUT_DIR]   (default: this script's folder)
"""
import gzip
import os
import random
import struct
import sys

SIZE = 28
TRAIN_PER_CLASS, TEST_PER_CLASS = 50, 10
NAMES = ["hbar", "vbar", "ring", "disc", "x-cross", "plus", "square", "triangle", "slash", "dots"]


def inside(cls, x, y, cx, cy, r, w):
    """Whether pixel (x, y) is ink for a shape of class cls centred at (cx, cy), radius r, stroke w."""
    dx, dy = x - cx, y - cy
    d = (dx * dx + dy * dy) ** 0.5
    if cls == 0:
        return abs(dy) <= w / 2 and abs(dx) <= r
    if cls == 1:
        return abs(dx) <= w / 2 and abs(dy) <= r
    if cls == 2:
        return abs(d - r) <= w / 2
    if cls == 3:
        return d <= r
    if cls == 4:
        return (abs(dx - dy) <= w * 0.7 or abs(dx + dy) <= w * 0.7) and abs(dx) <= r and abs(dy) <= r
    if cls == 5:
        return (abs(dx) <= w / 2 or abs(dy) <= w / 2) and abs(dx) <= r and abs(dy) <= r
    if cls == 6:
        return max(abs(dx), abs(dy)) <= r and max(abs(dx), abs(dy)) >= r - w
    if cls == 7:  # apex up, base at cy + r
        return -r <= dy <= r and abs(dx) <= (dy + r) / 2
    if cls == 8:
        return abs(dx + dy) <= w * 0.7 and abs(dx) <= r and abs(dy) <= r
    # 9: a 3x3 grid of dots
    step = r * 0.8
    return any(((dx - i * step) ** 2 + (dy - j * step) ** 2) ** 0.5 <= w * 0.8
               for i in (-1, 0, 1) for j in (-1, 0, 1))


def image(cls, rng):
    r = rng.uniform(6, 10)
    w = rng.uniform(2, 3.5)
    cx = rng.uniform(13.5 - (12 - r) / 2, 13.5 + (12 - r) / 2)
    cy = rng.uniform(13.5 - (12 - r) / 2, 13.5 + (12 - r) / 2)
    ink = rng.randint(170, 255)
    pixels = bytearray(SIZE * SIZE)
    for y in range(SIZE):
        for x in range(SIZE):
            if inside(cls, x, y, cx, cy, r, w):
                pixels[y * SIZE + x] = ink
            elif rng.random() < 0.02:
                pixels[y * SIZE + x] = rng.randint(0, 80)
    return bytes(pixels)


def split(per_class, rng):
    labels = [c for c in range(10) for _ in range(per_class)]
    rng.shuffle(labels)
    return [image(c, rng) for c in labels], labels


def write_idx(path, dims, data):
    header = struct.pack(">BBBB", 0, 0, 8, len(dims)) + b"".join(struct.pack(">I", d) for d in dims)
    tmp = path + ".tmp"
    with open(tmp, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
            gz.write(header + data)
    os.replace(tmp, path)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    rng = random.Random(20240611)
    for prefix, per_class in (("train", TRAIN_PER_CLASS), ("t10k", TEST_PER_CLASS)):
        images, labels = split(per_class, rng)
        write_idx(os.path.join(out, prefix + "-images-idx3-ubyte.gz"), [len(images), SIZE, SIZE], b"".join(images))
        write_idx(os.path.join(out, prefix + "-labels-idx1-ubyte.gz"), [len(labels)], bytes(labels))
    with open(os.path.join(out, "class-names.txt"), "w") as f:
        f.write("\n".join(NAMES) + "\n")


if __name__ == "__main__":
    main()
