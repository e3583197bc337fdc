#!/usr/bin/python3
"""Inputs of bench/overload-bench.sh (run with /usr/bin/python3: Debian's Pillow + numpy).

  make-images.py OUT N   -> OUT/noisy-NN.jpg: N noisy 4032x3024 (12 MP) JPEGs (gradient + Gaussian noise, quality 90)
                            OUT/bomb-100mp.png, OUT/bomb-400mp.png: 10000x10000 and 20000x20000 RGB PNGs of one colour
                            (a few hundred KB each; decoded they would be 300 MB and 1.2 GB)
Existing files are kept.
"""
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image


def noisy(path, seed, w=4032, h=3024):
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    base = np.stack([np.broadcast_to(c, (h, w)) for c in (200 * x + 30 * y, 180 * y + 20 + 0 * x, 120 + 100 * x * y)], axis=-1)
    img = base + 8 * rng.standard_normal(size=(h, w, 3), dtype=np.float32)
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB").save(path, quality=90)


def bomb(path, side):
    """A valid RGB PNG of side x side pixels, written row by row (never held decoded)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    row = b"\x00" + b"\x80" * (3 * side)  # filter 0 + grey pixels
    z = zlib.compressobj(9)
    idat = bytearray()
    for _ in range(side):
        idat += z.compress(row)
    idat += z.flush()
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", bytes(idat)))
        f.write(chunk(b"IEND", b""))


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    os.makedirs(out, exist_ok=True)
    for i in range(n):
        p = os.path.join(out, "noisy-%02d.jpg" % i)
        if not os.path.exists(p):
            noisy(p, i)
    for side, name in ((10000, "bomb-100mp.png"), (20000, "bomb-400mp.png")):
        p = os.path.join(out, name)
        if not os.path.exists(p):
            bomb(p, side)


if __name__ == "__main__":
    main()
