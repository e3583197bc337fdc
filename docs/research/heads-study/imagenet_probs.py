"""Rooms: do MobileNetV2's own ImageNet class probabilities help? The classifier layer of the shared int8 model
(dequantized from its initializers) applied to the cached grid3 + grid3_flip mean feature; softmax probabilities
appended to the feature (a non-linear view of the same embedding).
    EMB_NPZ=target/heads-study/emb.npz PYTHONPATH=docs/research/heads-study /usr/bin/python3 docs/research/heads-study/imagenet_probs.py"""
import os
import onnx, numpy as np
from onnx import numpy_helper
from lib import feats, labels, report
m=onnx.load(os.environ.get('SHARED', '../shared') + '/models/mobilenetv2/mobilenetv2-12-int8-features.onnx')
I={t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
W=(I['classifier.1.weight_quantized'].astype(np.float64)-I['classifier.1.weight_zero_point'])*I['classifier.1.weight_scale']
b=(I['classifier.1.bias_quantized'].astype(np.float64)-I['classifier.1.bias_zero_point'])*I['classifier.1.bias_scale']
def probs(X):
    L=X@W+b if W.shape[0]==X.shape[1] else X@W.T+b
    L-=L.max(1,keepdims=True); P=np.exp(L); return P/P.sum(1,keepdims=True)
v=['grid3','grid3_flip']
X,Xe=feats('rooms_train',v),feats('rooms_eval',v); y,ye=labels('rooms_train'),labels('rooms_eval')
P,Pe=probs(X),probs(Xe)
report('log-probs alone', np.log(P+1e-9), y, np.log(Pe+1e-9), ye, 6)
report('features + log-probs', np.hstack([X,np.log(P+1e-9)]), y, np.hstack([Xe,np.log(Pe+1e-9)]), ye, 6)
report('features + sqrt-probs', np.hstack([X,np.sqrt(P)]), y, np.hstack([Xe,np.sqrt(Pe)]), ye, 6)
