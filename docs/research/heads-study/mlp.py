"""One-hidden-layer softmax MLP on the view-averaged, z-scored embeddings: h = relu(W1 z + b1), logits = W2 h + b2,
mean cross-entropy + lam/2 (|W1|^2 + |W2|^2), full-batch L-BFGS from a seeded He initialisation (deterministic).
(hidden, lam) chosen by 5-fold CV accuracy on the train split; the held-out split is scored once.
    /usr/bin/python3 docs/research/heads-study/mlp.py rooms|apparel [views...]"""
import sys, numpy as np
from lib import feats, labels, stratified, softmax, lbfgs, zscore
def mlp_fit(Z, y, K, H, lam, seed=0, maxit=300):
    n, d = Z.shape; rng = np.random.default_rng(seed); Y1 = np.eye(K)[y]
    W1 = rng.normal(0, np.sqrt(2 / d), (H, d)); W2 = rng.normal(0, np.sqrt(2 / H), (K, H))
    th0 = np.concatenate([W1.ravel(), np.zeros(H), W2.ravel(), np.zeros(K)])
    def unpack(th):
        o = 0; W1 = th[o:o + H * d].reshape(H, d); o += H * d; b1 = th[o:o + H]; o += H
        W2 = th[o:o + K * H].reshape(K, H); o += K * H; return W1, b1, W2, th[o:]
    def f(th):
        W1, b1, W2, b2 = unpack(th); A = Z @ W1.T + b1; Hh = np.maximum(A, 0); L = Hh @ W2.T + b2
        L = L - L.max(1, keepdims=True); lse = np.log(np.exp(L).sum(1))
        loss = (lse - L[np.arange(n), y]).mean() + 0.5 * lam * ((W1 * W1).sum() + (W2 * W2).sum())
        G = (np.exp(L - lse[:, None]) - Y1) / n
        gW2 = G.T @ Hh + lam * W2; gb2 = G.sum(0); GH = (G @ W2) * (A > 0)
        gW1 = GH.T @ Z + lam * W1; gb1 = GH.sum(0)
        return loss, np.concatenate([gW1.ravel(), gb1, gW2.ravel(), gb2])
    th = lbfgs(f, th0, maxit=maxit)
    W1, b1, W2, b2 = unpack(th)
    return lambda Zt: np.maximum(Zt @ W1.T + b1, 0) @ W2.T + b2
task = sys.argv[1]
tr, te = {'rooms': ('rooms_train', 'rooms_eval'), 'apparel': ('cloth_train', 'cloth_val')}[task]
views = sys.argv[2:] or {'rooms': ['grid3', 'grid3_flip'], 'apparel': ['center', 'center_flip', 'whole', 'whole_flip']}[task]
X, y, Xe, ye = feats(tr, views), labels(tr), feats(te, views), labels(te); K = int(y.max()) + 1
fold = stratified(y, K, 5, 0)
grid = [(H, lam) for H in (64, 256) for lam in (1e-3, 3e-3, 1e-2, 3e-2)]
best = None
for H, lam in grid:
    oof = np.zeros((len(y), K))
    for f in range(5):
        trm = fold != f; Ztr, Zte = zscore(X[trm], X[~trm]); oof[~trm] = mlp_fit(Ztr, y[trm], K, H, lam)(Zte)
    acc = (oof.argmax(1) == y).mean(); print(f'{task} {views} H={H} lam={lam:g} cv={acc:.4f}', flush=True)
    if best is None or acc > best[0]: best = (acc, H, lam)
acc, H, lam = best; Ztr, Ze = zscore(X, Xe)
ev = (mlp_fit(Ztr, y, K, H, lam)(Ze).argmax(1) == ye).mean()
print(f'{task} chosen H={H} lam={lam:g} cv={acc:.4f} heldout={ev:.4f}')
