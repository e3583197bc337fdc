"""Other ways to combine views for the logistic head: concatenated view features, and training on each view's
embedding as its own example (view augmentation) while predicting on the view average.
    /usr/bin/python3 docs/research/heads-study/views_combo.py rooms|apparel"""
import sys, numpy as np
from lib import D, feats, labels, report, zscore, stratified, logreg, predict, LAMS
task = sys.argv[1]
tr, te = {'rooms': ('rooms_train', 'rooms_eval'), 'apparel': ('cloth_train', 'cloth_val')}[task]
y, ye = labels(tr), labels(te); K = int(y.max()) + 1
if task == 'rooms':
    avg = ['grid3', 'grid3_flip']; extra = ['whole', 'whole_flip']
else:
    avg = ['center', 'center_flip', 'whole', 'whole_flip']; extra = ['grid3']
report('avg ' + '+'.join(avg), feats(tr, avg), y, feats(te, avg), ye, K)
report('avg ' + '+'.join(avg + extra), feats(tr, avg + extra), y, feats(te, avg + extra), ye, K)
cat = lambda s: np.hstack([feats(s, avg), feats(s, extra)])
report('concat [avg | extra]', cat(tr), y, cat(te), ye, K)
# view augmentation: every view is an example at training time; the prediction is on the average as served
views = avg
fold = stratified(y, K, 5, 0); acc = []
for lam in LAMS[3:]:
    oof = np.zeros((len(y), K))
    for f in range(5):
        trm = fold != f
        Xa = np.vstack([D[f'{tr}.{v}'][trm] for v in views]).astype(np.float64); ya = np.tile(y[trm], len(views))
        Ztr, Zte = zscore(Xa, feats(tr, views)[~trm]); th = logreg(Ztr, ya, K, lam); oof[~trm] = predict(th, Zte, K)
    acc.append((oof.argmax(1) == y).mean()); print(f'augmented lam={lam:.4g} cv={acc[-1]:.4f}', flush=True)
lam = LAMS[3:][int(np.argmax(acc))]
Xa = np.vstack([D[f'{tr}.{v}'] for v in views]).astype(np.float64); ya = np.tile(y, len(views))
Ztr, Ze = zscore(Xa, feats(te, views)); th = logreg(Ztr, ya, K, lam)
print(f'augmented chosen lam={lam:.4g} cv={max(acc):.4f} heldout={(predict(th, Ze, K).argmax(1) == ye).mean():.4f}')
