#!/usr/bin/python3
"""Reference preprocessing with Pillow (Debian python3-pil 9.4) and numpy float32, for parity tests and benchmarks.

Run with /usr/bin/python3 (Debian's Pillow), not a pyenv python.

  pillow_reference.py reference --out DIR [--size 224] [--policy clip|squash|letterbox]
                      [--mean 0.485,0.456,0.406] [--std 0.229,0.224,0.225] [--draft]  < image paths, one per line
      For the i-th path writes DIR/<i>.u8 (S*S*3 uint8, HWC: the resized and cropped RGB image) and DIR/<i>.f32
      (3*S*S float32 little-endian, CHW: ToTensor + Normalize), and a line "i<TAB>status<TAB>w<TAB>h" to
      DIR/manifest.tsv (status ok or the exception class; w,h = decoded size after EXIF orientation).
      Pipeline: Image.open -> [draft('RGB', (S, S))] -> ImageOps.exif_transpose -> (alpha composited on white)
      -> convert('RGB') -> torchvision Resize(S)+CenterCrop(S) with BICUBIC (clip) | resize((S, S)) (squash)
      | ImageOps.pad((S, S), BICUBIC) (letterbox) -> (x / 255 - mean) / std in float32, as torchvision does.

  pillow_reference.py generate DIR
      Writes deterministic synthetic JPEGs (Pillow, quality 90, 4:2:0): gen-500x500.jpg, gen-1024x768.jpg,
      gen-4032x3024.jpg (noisy, about 2.6 MB: smooth files decode unrealistically fast).

  pillow_reference.py corpus DIR
      Writes the unusual inputs Java cannot encode itself, all showing the 64x48 quadrant test card (red, green /
      blue, white): cmyk.jpg (Adobe CMYK), webp-lossy.webp, webp-lossless.webp, webp-alpha.webp (left half fully
      transparent red, right half opaque blue), webp-exif6.webp (orientation 6), webp-animated.webp (red then blue).

  pillow_reference.py bench [--size 224] [--seconds 5] FILE...
      Single-core images/s of the reference pipeline (clip policy) per file, with and without draft.
"""
import argparse
import io
import os
import sys
import time

import numpy as np
from PIL import Image, ImageOps


def load_rgb(path_or_bytes, size, draft):
    im = Image.open(path_or_bytes)
    if draft:
        im.draft('RGB', (size, size))
    im = ImageOps.exif_transpose(im)
    if im.mode in ('RGBA', 'LA', 'PA') or (im.mode == 'P' and 'transparency' in im.info):
        rgba = im.convert('RGBA')
        white = Image.new('RGBA', rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, rgba)
    return im.convert('RGB')


def clip_resize_crop(im, size):
    # torchvision.transforms.Resize(size) + CenterCrop(size) on a PIL image
    w, h = im.size
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    if (new_w, new_h) != (w, h):
        im = im.resize((new_w, new_h), Image.BICUBIC)
    top = int(round((new_h - size) / 2.0))
    left = int(round((new_w - size) / 2.0))
    return im.crop((left, top, left + size, top + size))


def transform(im, size, policy):
    if policy == 'clip':
        return clip_resize_crop(im, size)
    if policy == 'squash':
        return im.resize((size, size), Image.BICUBIC)
    return ImageOps.pad(im, (size, size), method=Image.BICUBIC)


def to_tensor(im, mean, std):
    x = np.asarray(im, dtype=np.uint8).astype(np.float32) / np.float32(255)
    x = (x - mean) / std
    return np.ascontiguousarray(x.transpose(2, 0, 1), dtype='<f4')


def floats(text):
    return np.array([float(v) for v in text.split(',')], dtype=np.float32)


def reference(args):
    os.makedirs(args.out, exist_ok=True)
    mean, std = floats(args.mean), floats(args.std)
    with open(os.path.join(args.out, 'manifest.tsv'), 'w') as manifest:
        for i, line in enumerate(sys.stdin):
            path = line.rstrip('\n')
            try:
                im = load_rgb(path, args.size, args.draft)
                w, h = im.size
                out = transform(im, args.size, args.policy)
                with open(os.path.join(args.out, f'{i}.u8'), 'wb') as f:
                    f.write(np.asarray(out, dtype=np.uint8).tobytes())
                with open(os.path.join(args.out, f'{i}.f32'), 'wb') as f:
                    f.write(to_tensor(out, mean, std).tobytes())
                manifest.write(f'{i}\tok\t{w}\t{h}\n')
            except Exception as e:  # a per-image failure is data for the caller, not a crash
                manifest.write(f'{i}\t{type(e).__name__}\t0\t0\n')


def generate(args):
    os.makedirs(args.dir, exist_ok=True)
    rng = np.random.default_rng(20261122)
    for w, h, sigma in ((500, 500, 3), (1024, 768, 4), (4032, 3024, 6)):
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        base = np.stack([128 + 100 * np.sin(x * 4 / w + c) * np.cos(y * 3 / h - c) for c in range(3)], -1)
        img = np.clip(base + rng.normal(0, sigma, (h, w, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(img).save(os.path.join(args.dir, f'gen-{w}x{h}.jpg'), 'JPEG', quality=90)


def quadrants():
    a = np.zeros((48, 64, 3), dtype=np.uint8)
    a[:24, :32] = (255, 0, 0)
    a[:24, 32:] = (0, 255, 0)
    a[24:, :32] = (0, 0, 255)
    a[24:, 32:] = (255, 255, 255)
    return Image.fromarray(a)


def corpus(args):
    os.makedirs(args.dir, exist_ok=True)
    card = quadrants()
    out = lambda name: os.path.join(args.dir, name)
    card.convert('CMYK').save(out('cmyk.jpg'), 'JPEG', quality=95)
    card.save(out('webp-lossy.webp'), 'WEBP', quality=90)
    card.save(out('webp-lossless.webp'), 'WEBP', lossless=True)
    rgba = np.zeros((48, 64, 4), dtype=np.uint8)
    rgba[:, :32] = (255, 0, 0, 0)
    rgba[:, 32:] = (0, 0, 255, 255)
    Image.fromarray(rgba).save(out('webp-alpha.webp'), 'WEBP', lossless=True)
    exif = Image.Exif()
    exif[274] = 6
    card.save(out('webp-exif6.webp'), 'WEBP', lossless=True, exif=exif.tobytes())
    frames = [Image.new('RGB', (64, 48), c) for c in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(out('webp-animated.webp'), 'WEBP', save_all=True, append_images=frames[1:], lossless=True, duration=100)


def bench(args):
    mean, std = floats('0.485,0.456,0.406'), floats('0.229,0.224,0.225')
    print('file\tpillow_exact_img_s\tpillow_draft_img_s')
    for path in args.files:
        data = open(path, 'rb').read()
        rates = []
        for draft in (False, True):
            n, start = 0, time.perf_counter()
            while time.perf_counter() - start < args.seconds:
                to_tensor(clip_resize_crop(load_rgb(io.BytesIO(data), args.size, draft), args.size), mean, std)
                n += 1
            rates.append(n / (time.perf_counter() - start))
        print(f'{os.path.basename(path)}\t{rates[0]:.1f}\t{rates[1]:.1f}')


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='cmd', required=True)
    r = sub.add_parser('reference')
    r.add_argument('--out', required=True)
    r.add_argument('--size', type=int, default=224)
    r.add_argument('--policy', choices=('clip', 'squash', 'letterbox'), default='clip')
    r.add_argument('--mean', default='0.485,0.456,0.406')
    r.add_argument('--std', default='0.229,0.224,0.225')
    r.add_argument('--draft', action='store_true')
    g = sub.add_parser('generate')
    g.add_argument('dir')
    c = sub.add_parser('corpus')
    c.add_argument('dir')
    b = sub.add_parser('bench')
    b.add_argument('--size', type=int, default=224)
    b.add_argument('--seconds', type=float, default=5)
    b.add_argument('files', nargs='+')
    args = p.parse_args()
    {'reference': reference, 'generate': generate, 'corpus': corpus, 'bench': bench}[args.cmd](args)


if __name__ == '__main__':
    main()
