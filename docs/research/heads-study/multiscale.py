"""Rooms: does a second scale help? Views of the photos upscaled to SIZE×SIZE (Pillow bicubic, saved losslessly by
upscale_rooms.py) were encoded by the CLI into the same cache; combine them with the native-scale views.
    EMB_DIR=... /usr/bin/python3 docs/research/heads-study/multiscale.py /tmp/rooms448 [krr]"""
import os, sys, hashlib, numpy as np
from lib import feats, labels, report
C = os.environ['EMB_DIR']
def load(root, split, views):
    out = []
    for c in sorted(os.listdir(f'{root}/{split}')):
        for f in sorted(os.listdir(f'{root}/{split}/{c}')):
            sha = hashlib.sha256(open(f'{root}/{split}/{c}/{f}', 'rb').read()).hexdigest(); acc = 0; n = 0
            for v in views:
                b = open(f'{C}/{sha[:2]}/{sha}.{v}.f32', 'rb').read(); t = np.frombuffer(b[:4], '<i4')[0]
                acc = acc + np.frombuffer(b[4:], '<f4').astype(np.float64) * t; n += t
            out.append((acc / n).astype(np.float32).astype(np.float64))
    return np.array(out)
if __name__ == '__main__':  # pyramid.py imports load()
  v = ['grid3', 'grid3_flip']; root = sys.argv[1]
  U, Ue = load(root, 'train', v), load(root, 'eval', v)
  X, Xe = feats('rooms_train', v), feats('rooms_eval', v); y, ye = labels('rooms_train'), labels('rooms_eval')
  if len(sys.argv) <= 2:
    report('upscaled grid3+flip alone', U, y, Ue, ye, 6)
    report('mean(native, upscaled)', (X + U) / 2, y, (Xe + Ue) / 2, ye, 6)
    report('concat [native | upscaled]', np.hstack([X, U]), y, np.hstack([Xe, Ue]), ye, 6)
    W, We = feats('rooms_train', ['whole', 'whole_flip']), feats('rooms_eval', ['whole', 'whole_flip'])
    report('concat [native | upscaled | whole]', np.hstack([X, U, W]), y, np.hstack([Xe, Ue, We]), ye, 6)
  if len(sys.argv) > 2:  # RBF kernel ridge on mean(native, upscaled)
    KRR_INPUT = ((X + U) / 2, y, (Xe + Ue) / 2, ye, 6)
    import krr
