#!/usr/bin/env bash
# Preprocessing throughput: JMH (exact and fast mode, 1 and 2 threads) side by side with Pillow 9.4 (with and without
# draft) on the same generated JPEGs, printed as the ratio table of bench/README.md.
#   bench/preprocess-bench.sh            # full run, about 8 minutes
#   QUICK=1 bench/preprocess-bench.sh    # shorter iterations, for a smoke run
# Single-core numbers run pinned to CPU 0 (taskset), both Java and Python.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
. bench/lib/bench-classes.sh

if [ -n "${QUICK:-}" ]; then ITER="-wi 2 -w 1s -i 3 -r 2s"; SECS=2; else ITER="-wi 3 -w 2s -i 5 -r 3s"; SECS=6; fi
# the forked benchmark JVM gets the launchers' flags (JMH splits -jvmArgs at spaces); JMH_EXTRA adds more
JMH=("$JAVA" $JVM_FLAGS -Xmx2g -cp "$CP" org.openjdk.jmh.Main PreprocessBenchmark -f 1 $ITER
     -jvmArgs "$JVM_FLAGS -Dbench.images=$OUT/images ${JMH_EXTRA:-}")
taskset -c 0 "${JMH[@]}" -t 1 -rf json -rff "$OUT/jmh-1t.json" > "$OUT/jmh-1t.log"
"${JMH[@]}" -t 2 -rf json -rff "$OUT/jmh-2t.json" > "$OUT/jmh-2t.log"
taskset -c 0 $PY scripts/pillow_reference.py bench --seconds "$SECS" \
  "$OUT/images/gen-500x500.jpg" "$OUT/images/gen-1024x768.jpg" "$OUT/images/gen-4032x3024.jpg" > "$OUT/pillow.tsv"

$PY - "$OUT" <<'PYEOF'
import json, sys, csv
out = sys.argv[1]
def jmh(name):
    r = {}
    for b in json.load(open(f'{out}/{name}')):
        p = b['params']
        r[(p['file'], p['mode'])] = b['primaryMetric']['score']
    return r
one, two = jmh('jmh-1t.json'), jmh('jmh-2t.json')
pil = {row['file']: row for row in csv.DictReader(open(f'{out}/pillow.tsv'), delimiter='\t')}
print('| image | Pillow exact | Pillow draft | Java exact | Java fast | exact / Pillow exact | fast / Pillow draft | exact 2 threads (x1) | fast 2 threads (x1) |')
print('|---|---|---|---|---|---|---|---|---|')
for f in ('gen-500x500.jpg', 'gen-1024x768.jpg', 'gen-4032x3024.jpg'):
    pe, pd = float(pil[f]['pillow_exact_img_s']), float(pil[f]['pillow_draft_img_s'])
    je, jf = one[(f, 'EXACT')], one[(f, 'FAST')]
    te, tf = two[(f, 'EXACT')], two[(f, 'FAST')]
    print(f'| {f[4:-4]} | {pe:.1f} | {pd:.1f} | {je:.1f} | {jf:.1f} | {je/pe:.2f}x | {jf/pd:.2f}x | {te:.1f} ({te/je:.2f}x) | {tf:.1f} ({tf/jf:.2f}x) |')
PYEOF
