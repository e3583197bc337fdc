"""Rooms: several scales at once. Each DIR holds the photos upscaled by upscale_rooms.py and encoded (grid3 + flip)
into the cache; their view-averaged features are averaged with the native grid3 + flip (a scale pyramid), and the
logistic head is chosen by train CV as in report().
    EMB_DIR=... /usr/bin/python3 docs/research/heads-study/pyramid.py /tmp/rooms352 /tmp/rooms448 /tmp/rooms576"""
import sys, itertools, numpy as np
from lib import feats, labels, report
from multiscale import load
v = ['grid3', 'grid3_flip']
X, Xe = feats('rooms_train', v), feats('rooms_eval', v); y, ye = labels('rooms_train'), labels('rooms_eval')
scales = {d: (load(d, 'train', v), load(d, 'eval', v)) for d in sys.argv[1:]}
for k in range(2, len(scales) + 1):
    for combo in itertools.combinations(scales, k):
        T = (X + sum(scales[d][0] for d in combo)) / (k + 1)
        E = (Xe + sum(scales[d][1] for d in combo)) / (k + 1)
        report('native + ' + ' + '.join(d.split('rooms')[-1] for d in combo), T, y, E, ye, 6)
