from lib import *
import sys, time
# Nystrom approximation of the RBF kernel ridge head: m landmarks (seeded sample of the training rows), features
# phi(x) = k(x, L) K_LL^{-1/2}, then ridge one-vs-rest on phi; (m fixed per run, gamma, lam) chosen by train CV.
task=sys.argv[1]; m=int(sys.argv[2])
if task=='rooms': V=['grid3','grid3_flip']; tr,ev,K='rooms_train','rooms_eval',6
else: V=['center','center_flip','whole','whole_flip']; tr,ev,K='cloth_train','cloth_val',10
X=feats(tr,V); y=labels(tr); Xe=feats(ev,V); ye=labels(ev)
gammas=[0.25,0.5,1]; lams=10.0**np.arange(-6,0.1,0.5)
def phi(Ztr,Zs,g,rng):
    d=Ztr.shape[1]; L=Ztr[rng.choice(len(Ztr),m,replace=False)]
    k=lambda A: np.exp(-g/d*np.maximum((A**2).sum(1)[:,None]+(L**2).sum(1)[None]-2*A@L.T,0))
    w,U=np.linalg.eigh(k(L)); keep=w>1e-8*w.max(); T=U[:,keep]/np.sqrt(w[keep])
    return [k(Z)@T for Z in Zs]
def ridge_scores(P,Y,Pe,lams):
    mu=P.mean(0); P=P-mu; Pe=Pe-mu; ym=Y.mean(0); w,U=np.linalg.eigh(P.T@P); UY=U.T@(P.T@(Y-ym))
    return [Pe@(U@(UY/(w+l*len(P))[:,None]))+ym for l in lams]
fold=stratified(y,K,5,0); acc=np.zeros((len(gammas),len(lams))); t=time.time()
for f in range(5):
    a=fold!=f; b=fold==f; Za,Zb=zscore(X[a],X[b])
    for gi,g in enumerate(gammas):
        Pa,Pb=phi(Za,[Za,Zb],g,np.random.default_rng(0))
        for li,S in enumerate(ridge_scores(Pa,np.eye(K)[y[a]],Pb,lams)): acc[gi,li]+=(S.argmax(1)==y[b]).sum()
acc/=len(y); gi,li=np.unravel_index(np.argmax(acc),acc.shape)
Z,Ze=zscore(X,Xe); P,Pe=phi(Z,[Z,Ze],gammas[gi],np.random.default_rng(0))
ev_acc=(ridge_scores(P,np.eye(K)[y],Pe,[lams[li]])[0].argmax(1)==ye).mean()
print(f'{task} nystrom m={m} gamma={gammas[gi]} lam={lams[li]:.3g} cv={acc[gi,li]:.4f} eval={ev_acc:.4f} ({time.time()-t:.0f}s)',flush=True)
