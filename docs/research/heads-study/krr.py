from lib import *
import sys, time
# kernel ridge one-vs-rest classifier (targets one-hot centred), RBF kernel on z-scored feats; CV over (gamma, lam)
def krr_cv(X,y,K,gammas,lams,folds=5,seed=0,tf=None):
    fold=stratified(y,K,folds,seed); res=np.zeros((len(gammas),len(lams)))
    oof=np.zeros((len(gammas),len(lams),len(y),K))
    for f in range(folds):
        tr=fold!=f; te=fold==f; Ztr,Zte=zscore(X[tr],X[te]); d=Ztr.shape[1]
        sq_tr=(Ztr**2).sum(1); sq_te=(Zte**2).sum(1)
        D2=np.maximum(sq_tr[:,None]+sq_tr[None]-2*Ztr@Ztr.T,0); D2e=np.maximum(sq_te[:,None]+sq_tr[None]-2*Zte@Ztr.T,0)
        Y=np.eye(K)[y[tr]]; Y=Y-Y.mean(0)
        for gi,g in enumerate(gammas):
            Kt=np.exp(-g/d*D2); Ke=np.exp(-g/d*D2e)
            # centre kernel for bias
            mr=Kt.mean(0); mall=mr.mean()
            Kc=Kt-mr[None]-mr[:,None]+mall; Kec=Ke-Ke.mean(1)[:,None]-mr[None]+mall
            w,V=np.linalg.eigh(Kc); VY=V.T@Y
            for li,l in enumerate(lams):
                A=V@(VY/(w+l*len(Ztr))[:,None]); oof[gi,li][te]=Kec@A
    acc=(oof.argmax(3)==y).mean(2); return acc,oof
def krr_fit_eval(X,y,Xe,ye,K,g,l):
    Ztr,Ze=zscore(X,Xe); d=Ztr.shape[1]
    sq=(Ztr**2).sum(1); sqe=(Ze**2).sum(1)
    Kt=np.exp(-g/d*np.maximum(sq[:,None]+sq[None]-2*Ztr@Ztr.T,0)); Ke=np.exp(-g/d*np.maximum(sqe[:,None]+sq[None]-2*Ze@Ztr.T,0))
    mr=Kt.mean(0); mall=mr.mean(); Kc=Kt-mr[None]-mr[:,None]+mall; Kec=Ke-Ke.mean(1)[:,None]-mr[None]+mall
    Y=np.eye(K)[y]; Y=Y-Y.mean(0); A=np.linalg.solve(Kc+l*len(Ztr)*np.eye(len(Ztr)),Y)
    return ((Kec@A).argmax(1)==ye).mean()
task=sys.argv[1] if __name__=='__main__' else 'given'; tfn=sys.argv[2] if len(sys.argv)>2 and __name__=='__main__' else 'id'
tf={'id':lambda a:a,'sq':lambda a:np.sqrt(np.maximum(a,0))}[tfn]
if task=='given': import __main__ as M; X,y,Xe,ye,K=M.KRR_INPUT; V=[]; tr=ev=None
elif task=='rooms': V=['grid3','grid3_flip']; tr,ev,K='rooms_train','rooms_eval',6
elif task=='rooms6': V=['center','center_flip','whole','whole_flip','grid3','grid3_flip']; tr,ev,K='rooms_train','rooms_eval',6
else: V=['center','center_flip','whole','whole_flip']; tr,ev,K='cloth_train','cloth_val',10
if tr: X=tf(feats(tr,V)); y=labels(tr); Xe=tf(feats(ev,V)); ye=labels(ev)
gammas=[0.25,0.5,1,2]; lams=10.0**np.arange(-5,0.1,0.5)
t=time.time(); acc,_=krr_cv(X,y,K,gammas,lams)
gi,li=np.unravel_index(np.argmax(acc),acc.shape)
print(task,tfn,'cv acc grid (rows gamma):'); print(np.round(acc,3))
print(f'{task} {tfn} KRR rbf chosen gamma={gammas[gi]} lam={lams[li]:.3g} cv={acc[gi,li]:.4f} eval={krr_fit_eval(X,y,Xe,ye,K,gammas[gi],lams[li]):.4f} ({time.time()-t:.0f}s)',flush=True)
