"""Rooms: the feasibility study's TenCrop views (FiveCrop(224) + flips of the 256x256 photo), encoded by the CLI from
the crops tencrop_rooms.py wrote, against grid3 + grid3_flip (a 3x3 grid, which contains those five crops).
    EMB_DIR=target/embedding-cache/cf624ab851016c95 /usr/bin/python3 docs/research/heads-study/tencrop.py"""
import os, hashlib, numpy as np
from lib import feats, labels, report
C = os.environ['EMB_DIR']; R = '/tmp/rooms5crop'
def emb(path, view):
    sha = hashlib.sha256(open(path, 'rb').read()).hexdigest()
    b = open(f'{C}/{sha[:2]}/{sha}.{view}.f32', 'rb').read()
    return np.frombuffer(b[4:], '<f4').astype(np.float64)
def load(split, crops):
    src = os.environ.get('SHARED', '../shared') + f'/data/rooms/{split}'; out = []
    for c in sorted(os.listdir(src)):
        for f in sorted(os.listdir(f'{src}/{c}')):
            vs = [emb(f'{R}/{split}/{c}/{f[:-4]}_{k}.png', v) for k in crops for v in ('whole', 'whole_flip')]
            out.append(np.mean(vs, 0).astype(np.float32).astype(np.float64))
    return np.array(out)
y, ye = labels('rooms_train'), labels('rooms_eval')
X, Xe = feats('rooms_train', ['grid3', 'grid3_flip']), feats('rooms_eval', ['grid3', 'grid3_flip'])
T, Te = load('train', range(5)), load('eval', range(5))
report('grid3 + grid3_flip (= room_type@1)', X, y, Xe, ye, 6)
report('TenCrop (5 crops + flips)', T, y, Te, ye, 6)
K, Ke = load('train', [4]), load('eval', [4])
report('centre crop + flip (no resize)', K, y, Ke, ye, 6)
# Ceiling check, not a way to choose λ: held-out accuracy at every λ of the grid, z-scored and centred only.
from lib import zscore, logreg, predict, LAMS
for name, (A, Ae) in {'grid3 + grid3_flip': (X, Xe), 'TenCrop': (T, Te)}.items():
    for scale in (True, False):
        Z, Ze = zscore(A, Ae, scale=scale); th = None; accs = []
        for lam in LAMS:
            th = logreg(Z, y, 6, lam, th); accs.append(round(float((predict(th, Ze, 6).argmax(1) == ye).mean()), 3))
        print(f"{name:20s} {'z-scored' if scale else 'centred':9s} eval acc by λ {LAMS.round(5).tolist()}: {accs}", flush=True)
