"""Writes the rooms photos upscaled to SIZE x SIZE (Pillow bicubic, PNG, lossless) to /tmp/rooms<SIZE>/{train,eval}/<class>/
for multiscale.py; then encode them into the cache with the CLI, e.g.
    /usr/bin/python3 docs/research/heads-study/upscale_rooms.py 448
    bin/imagescore fit --cache-dir target/embedding-cache --data-dir /tmp/ms --folds 2 --name r448 --kind classes \
        --class-dirs /tmp/rooms448/train --views grid3,grid3_flip      (and the same for /tmp/rooms448/eval)"""
import os, sys
from PIL import Image
S = int(sys.argv[1]); src = os.environ.get('SHARED', '../shared') + '/data/rooms'; dst = f'/tmp/rooms{S}'
for split in ('train', 'eval'):
    for c in sorted(os.listdir(f'{src}/{split}')):
        os.makedirs(f'{dst}/{split}/{c}', exist_ok=True)
        for f in sorted(os.listdir(f'{src}/{split}/{c}')):
            im = Image.open(f'{src}/{split}/{c}/{f}').convert('RGB')
            im.resize((S, S), Image.BICUBIC).save(f'{dst}/{split}/{c}/{f[:-4]}.png')
