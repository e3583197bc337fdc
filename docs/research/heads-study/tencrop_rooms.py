"""Writes torchvision FiveCrop(224) of each 256x256 rooms photo (4 corners + centre, exact pixel crops, PNG) to
/tmp/rooms5crop/{train,eval}/<class>/<name>_<k>.png, k = 0..4 (tl, tr, bl, br, centre); with their flips these are
TenCrop, the views of the feasibility study's "rooms logistic on 10 crops". Encode with the CLI ('whole' of a 224
image is the image itself):
    /usr/bin/python3 docs/research/heads-study/tencrop_rooms.py
    bin/imagescore fit --cache-dir target/embedding-cache --data-dir /tmp/ms --folds 2 --name r5 --kind classes \
        --class-dirs /tmp/rooms5crop/train --views whole,whole_flip     (and the same for /tmp/rooms5crop/eval)
then EMB_DIR=... /usr/bin/python3 docs/research/heads-study/tencrop.py"""
import os
from PIL import Image
src = os.environ.get('SHARED', '../shared') + '/data/rooms'; dst = '/tmp/rooms5crop'; S = 224
for split in ('train', 'eval'):
    for c in sorted(os.listdir(f'{src}/{split}')):
        os.makedirs(f'{dst}/{split}/{c}', exist_ok=True)
        for f in sorted(os.listdir(f'{src}/{split}/{c}')):
            im = Image.open(f'{src}/{split}/{c}/{f}').convert('RGB'); w, h = im.size
            left, top = int(round((w - S) / 2.0)), int(round((h - S) / 2.0))
            boxes = [(0, 0), (w - S, 0), (0, h - S), (w - S, h - S), (left, top)]
            for k, (x, y) in enumerate(boxes):
                im.crop((x, y, x + S, y + S)).save(f'{dst}/{split}/{c}/{f[:-4]}_{k}.png')
