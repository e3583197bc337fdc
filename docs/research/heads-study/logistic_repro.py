from lib import *
import time
t=time.time()
X=feats('rooms_train',['grid3','grid3_flip']); y=labels('rooms_train'); Xe=feats('rooms_eval',['grid3','grid3_flip']); ye=labels('rooms_eval')
report('rooms grid3+flip (java 0.763/0.798)',X,y,Xe,ye,6); print(time.time()-t)
V=['center','center_flip','whole','whole_flip']
X=feats('cloth_train',V); y=labels('cloth_train'); Xe=feats('cloth_val',V); ye=labels('cloth_val')
report('apparel 4 views (java 0.855/0.848)',X,y,Xe,ye,10); print(time.time()-t)
