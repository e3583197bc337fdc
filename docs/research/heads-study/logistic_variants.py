from lib import *
import sys
y=labels('rooms_train'); ye=labels('rooms_eval')
def run(name,views,tf=lambda a:a,scale=True,by='acc'):
    X=tf(feats('rooms_train',views)); Xe=tf(feats('rooms_eval',views))
    report(name,X,y,Xe,ye,6,prep=lambda a,b: zscore(a,b,scale=scale),by=by)
G=['grid3','grid3_flip']; A=['center','center_flip','whole','whole_flip','grid3','grid3_flip']
sq=lambda a: np.sign(a)*np.sqrt(np.abs(a))
l2=lambda a: a/np.linalg.norm(a,axis=1,keepdims=True)
which=sys.argv[1]
if which=='1':
    run('rooms G sqrt',G,sq)
    run('rooms G sqrt, lam by logloss',G,sq,by='ll')
    run('rooms G lam by logloss',G,by='ll')
