"""Decode only, at the DCT scale fast mode uses: TurboJPEG's tjDecompress2 (ctypes, the library the service binds through
FFM) against Pillow's own draft('RGB', (224, 224)) + load() of the same file; and Pillow's whole draft pipeline
(scripts/pillow_reference.py: decode, exif_transpose, resize, crop, normalised float tensor), so Pillow's time after
decoding is the difference. Minimum and median of 25 runs, 3 rounds.
    taskset -c 0 /usr/bin/python3 bench/decode-vs-pillow.py [bench/out/images/gen-4032x3024.jpg]"""
import ctypes, io, os, sys, time
from PIL import Image
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'scripts'))
from pillow_reference import load_rgb, clip_resize_crop, to_tensor, floats
path = sys.argv[1] if len(sys.argv) > 1 else 'bench/out/images/gen-4032x3024.jpg'
data = open(path, 'rb').read()
im = Image.open(io.BytesIO(data)); im.draft('RGB', (224, 224)); w, h = im.size  # Pillow's draft picks the scale
tj = ctypes.CDLL('libturbojpeg.so.0'); tj.tjInitDecompress.restype = ctypes.c_void_p
handle = ctypes.c_void_p(tj.tjInitDecompress()); buf = ctypes.create_string_buffer(w * h * 3)
MEAN, STD = floats('0.485,0.456,0.406'), floats('0.229,0.224,0.225')  # as pillow_reference.py bench
def turbo():
    if tj.tjDecompress2(handle, data, ctypes.c_ulong(len(data)), buf, w, w * 3, h, 0, 0) != 0:
        raise SystemExit('tjDecompress2 failed')
def pillow():
    im = Image.open(io.BytesIO(data)); im.draft('RGB', (224, 224)); im.load()
def pillow_pipeline():
    to_tensor(clip_resize_crop(load_rgb(io.BytesIO(data), 224, True), 224), MEAN, STD)
print(f'{path}: decoded size {w}x{h}')
for _ in range(3):
    for name, f in (('TurboJPEG tjDecompress2', turbo), ('Pillow draft + load', pillow),
                    ('Pillow draft pipeline', pillow_pipeline)):
        ts = []
        for _ in range(25):
            t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
        ts.sort()
        print(f'{name:24s} min {ts[0] * 1e3:.2f} ms  median {ts[len(ts) // 2] * 1e3:.2f} ms')
