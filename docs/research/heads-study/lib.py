import numpy as np
import os
D=np.load(os.environ.get('EMB_NPZ','target/heads-study/emb.npz'))
def feats(split, views):
    acc=0; n=0
    for v in views:
        t=D[f'{split}.{v}.t'][:,None].astype(np.float64)
        acc=acc+D[f'{split}.{v}'].astype(np.float64)*t; n=n+t
    return (acc/n).astype(np.float32).astype(np.float64)
def labels(split): return D[f'{split}.y']

class JRandom:
    M=(1<<48)-1
    def __init__(s,seed): s.s=(seed ^ 0x5DEECE66D) & s.M
    def next(s,bits):
        s.s=(s.s*0x5DEECE66D+0xB)&s.M
        r=s.s>>(48-bits)
        if r>=1<<31: r-=1<<32
        return r
    def nextInt(s,bound):
        if bound&(-bound)==bound: return (bound*s.next(31))>>31
        while True:
            bits=s.next(31); val=bits%bound
            if -(1<<31) <= bits-val+(bound-1) < (1<<31): return val
def stratified(y,classes,k,seed):
    fold=np.zeros(len(y),int); nxt=0
    for c in range(classes):
        idx=list(np.where(y==c)[0]); r=JRandom(seed+31*c)
        for i in range(len(idx)-1,0,-1):
            j=r.nextInt(i+1); idx[i],idx[j]=idx[j],idx[i]
        for i,o in enumerate(idx): fold[o]=(nxt+i)%k
        nxt=(nxt+len(idx))%k
    return fold

def softmax(L):
    L=L-L.max(1,keepdims=True); E=np.exp(L); return E/E.sum(1,keepdims=True)
def lbfgs(f,x0,maxit=300,tol=1e-5,m=10):
    x=x0.copy(); fx,g=f(x); S=[];Y=[]
    for it in range(maxit):
        if np.linalg.norm(g)<tol*max(1,np.linalg.norm(x)): break
        q=g.copy(); al=[]
        for s,yv in reversed(list(zip(S,Y))):
            a=s@q/(yv@s); al.append(a); q-=a*yv
        if S: q*=(S[-1]@Y[-1])/(Y[-1]@Y[-1])
        for (s,yv),a in zip(zip(S,Y),reversed(al)):
            b=yv@q/(yv@s); q+=s*(a-b)
        d=-q; t=1.0; gd=g@d
        if gd>=0: d=-g; gd=g@d; S.clear(); Y.clear()
        while True:
            xn=x+t*d; fn,gn=f(xn)
            if fn<=fx+1e-4*t*gd or t<1e-10: break
            t*=0.5
        s=xn-x; yv=gn-g
        if s@yv>1e-12: S.append(s); Y.append(yv); S[:]=S[-m:]; Y[:]=Y[-m:]
        x,fx,g=xn,fn,gn
    return x
def logreg(Z,y,K,lam,w0=None):
    n,d=Z.shape; Y1=np.eye(K)[y]
    def f(th):
        W=th[:K*d].reshape(K,d); b=th[K*d:]
        L=Z@W.T+b; L=L-L.max(1,keepdims=True); lse=np.log(np.exp(L).sum(1))
        loss=(lse-L[np.arange(n),y]).mean()+0.5*lam*(W*W).sum()
        G=(np.exp(L-lse[:,None])-Y1)/n
        return loss,np.concatenate([(G.T@Z+lam*W).ravel(),G.sum(0)])
    th=lbfgs(f,np.zeros(K*(d+1)) if w0 is None else w0)
    return th
def predict(th,Z,K):
    d=Z.shape[1]; return Z@th[:K*d].reshape(K,d).T+th[K*d:]
def logloss(L,y):
    P=softmax(L); return -np.log(np.maximum(P[np.arange(len(y)),y],1e-15)).mean()
LAMS=10**np.arange(0.5,-4.01,-0.5)
def zscore(Xtr,*Xs,scale=True):
    mu=Xtr.mean(0); sd=Xtr.std(0) if scale else np.ones(Xtr.shape[1]); sd[sd<1e-12]=1
    return [(X-mu)/sd for X in (Xtr,)+Xs]
def cv_path(X,y,K,lams=LAMS,folds=5,seed=0,prep=None):
    """returns oof logits per lambda; prep(Xtr,Xte)->(Ztr,Zte)"""
    prep=prep or (lambda a,b: zscore(a,b))
    fold=stratified(y,K,folds,seed); oof=np.zeros((len(lams),len(y),K))
    for f in range(folds):
        tr=fold!=f; te=fold==f; Ztr,Zte=prep(X[tr],X[te]); th=None
        for li,l in enumerate(lams):
            th=logreg(Ztr,y[tr],K,l,th); oof[li][te]=predict(th,Zte,K)
    return oof
def report(name,X,y,Xe,ye,K,lams=LAMS,prep=None,by='acc'):
    prep=prep or (lambda a,b: zscore(a,b))
    oof=cv_path(X,y,K,lams,prep=prep)
    acc=np.array([(o.argmax(1)==y).mean() for o in oof]); ll=np.array([logloss(o,y) for o in oof])
    if by=='acc':
        best=0
        for l in range(len(lams)):
            if acc[l]>acc[best] or (acc[l]==acc[best] and ll[l]<ll[best]): best=l
    else: best=int(np.argmin(ll))
    Ztr,Ze=prep(X,Xe); th=logreg(Ztr,y,K,lams[best]); ev=(predict(th,Ze,K).argmax(1)==ye).mean()
    print(f'{name:50s} lam={lams[best]:.4g} cvacc={acc[best]:.4f} cvll={ll[best]:.4f} eval={ev:.4f}  accs={np.round(acc,3).tolist()}',flush=True)
    return acc,ll,ev
