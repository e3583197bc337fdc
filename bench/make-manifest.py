#!/usr/bin/env python3
"""Writes a large batch manifest (CSV id,path) by repeating a folder's photos under distinct ids.

Usage: bench/make-manifest.py ROWS PHOTO_DIR OUT.csv    e.g. 1500000 ../shared/data/clive/images /tmp/night.csv
Generated, never committed: 1.5 M rows is ~100 MB.
"""
import os
import sys

rows, photo_dir, out = int(sys.argv[1]), os.path.abspath(sys.argv[2]), sys.argv[3]
photos = sorted(f for f in os.listdir(photo_dir) if f.lower().endswith((".jpg", ".jpeg", ".png")))
with open(out, "w") as f:
    f.write("id,path\n")
    for i in range(rows):
        f.write(f"listing-{i // 8:07d}/photo-{i % 8},{photo_dir}/{photos[i % len(photos)]}\n")
