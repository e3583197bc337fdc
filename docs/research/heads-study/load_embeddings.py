import os, sys, hashlib, numpy as np
OUT=os.environ.get('EMB_NPZ','target/heads-study/emb.npz'); os.makedirs(os.path.dirname(OUT),exist_ok=True)
C=os.environ['EMB_DIR']  # <cache-dir>/<encoder key>, e.g. target/embedding-cache/cf624ab851016c95
S=os.environ.get('SHARED','../shared')+'/data'
VIEWS=['center','center_flip','whole','whole_flip','grid3','grid3_flip']
def load_split(root, views):
    classes=sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root,d)))
    X={v:[] for v in views}; T={v:[] for v in views}; y=[]
    for k,c in enumerate(classes):
        for f in sorted(os.listdir(os.path.join(root,c))):
            p=os.path.join(root,c,f)
            if not os.path.isfile(p): continue
            sha=hashlib.sha256(open(p,'rb').read()).hexdigest()
            for v in views:
                if not os.path.exists(f'{C}/{sha[:2]}/{sha}.{v}.f32'): X.pop(v,None); continue
                if v not in X: continue
                b=open(f'{C}/{sha[:2]}/{sha}.{v}.f32','rb').read()
                T[v].append(np.frombuffer(b[:4],'<i4')[0]); X[v].append(np.frombuffer(b[4:],'<f4'))
            y.append(k)
    return classes,{v:np.array(X[v]) for v in X},{v:np.array(T[v]) for v in X},np.array(y)
out={}
for name,root,views in [('rooms_train',S+'/rooms/train',VIEWS),('rooms_eval',S+'/rooms/eval',VIEWS),
                        ('cloth_train',S+'/clothing/train',VIEWS),('cloth_val',S+'/clothing/validation',VIEWS)]:
    cl,X,T,y=load_split(root,views)
    for v in X: out[f'{name}.{v}']=X[v]; out[f'{name}.{v}.t']=T[v]
    out[f'{name}.y']=y; print(name,len(y),cl,sorted(X))
np.savez(OUT,**out)
