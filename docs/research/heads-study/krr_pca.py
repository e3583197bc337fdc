"""RBF kernel ridge (as krr.py) on the top-P principal components of the z-scored features, so that a kernel head
stores n x P support vectors instead of n x 1280. (gamma, lam) chosen by 5-fold train CV at each P.
    /usr/bin/python3 docs/research/heads-study/krr_pca.py apparel 128 256"""
import sys, time, numpy as np
from lib import feats, labels, stratified, zscore
task = sys.argv[1]; Ps = [int(p) for p in sys.argv[2:]]
V = ['center', 'center_flip', 'whole', 'whole_flip'] if task == 'apparel' else ['grid3', 'grid3_flip']
tr, ev, K = ('cloth_train', 'cloth_val', 10) if task == 'apparel' else ('rooms_train', 'rooms_eval', 6)
X, y, Xe, ye = feats(tr, V), labels(tr), feats(ev, V), labels(ev)
gammas = [0.25, 0.5, 1]; lams = 10.0 ** np.arange(-5, -1.9, 0.5)
def proj(Ztr, Zs, P):
    _, _, Vt = np.linalg.svd(Ztr - Ztr.mean(0), full_matrices=False); T = Vt[:P].T
    return [Z @ T for Z in Zs]
def scores(A, B, y, K, g, ls, d):
    sa = (A ** 2).sum(1); sb = (B ** 2).sum(1)
    Kt = np.exp(-g / d * np.maximum(sa[:, None] + sa[None] - 2 * A @ A.T, 0))
    Ke = np.exp(-g / d * np.maximum(sb[:, None] + sa[None] - 2 * B @ A.T, 0))
    mr = Kt.mean(0); m = mr.mean(); Kc = Kt - mr[None] - mr[:, None] + m; Kec = Ke - Ke.mean(1)[:, None] - mr[None] + m
    Y = np.eye(K)[y]; Y = Y - Y.mean(0); w, U = np.linalg.eigh(Kc); UY = U.T @ Y
    return [Kec @ (U @ (UY / (w + l * len(A))[:, None])) for l in ls]
d = X.shape[1]
for P in Ps:
    t = time.time(); fold = stratified(y, K, 5, 0); acc = np.zeros((len(gammas), len(lams)))
    for f in range(5):
        a = fold != f; Za, Zb = zscore(X[a], X[~a]); Pa, Pb = proj(Za, [Za, Zb], P)
        for gi, g in enumerate(gammas):
            for li, S in enumerate(scores(Pa, Pb, y[a], K, g, lams, d)): acc[gi, li] += (S.argmax(1) == y[~a]).sum()
    acc /= len(y); gi, li = np.unravel_index(np.argmax(acc), acc.shape)
    Z, Ze = zscore(X, Xe); Pz, Pe = proj(Z, [Z, Ze], P)
    ev_acc = (scores(Pz, Pe, y, K, gammas[gi], [lams[li]], d)[0].argmax(1) == ye).mean()
    print(f'{task} P={P} gamma={gammas[gi]} lam={lams[li]:.3g} cv={acc[gi, li]:.4f} heldout={ev_acc:.4f} ({time.time() - t:.0f}s)', flush=True)
