#!/usr/bin/env bash
# Preprocessing throughput: JMH (exact and fast mode, 1 and 2 threads) side by side with Pillow 9.4 (with and without
# draft) on the same generated JPEGs, printed as the ratio table of bench/README.md.
#   bench/preprocess-bench.sh            # full run, about 8 minutes
#   QUICK=1 bench/preprocess-bench.sh    # shorter iterations, for a smoke run
#   ROUNDS=3 bench/preprocess-bench.sh   # single-core Java and Pillow alternate 3 times; the table gives each ratio's
#                                        # median over the rounds (Pillow's rate moves ~5 % from run to run)
# Single-core numbers run pinned to CPU 0 (taskset), both Java and Python.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
. bench/lib/bench-classes.sh

if [ -n "${QUICK:-}" ]; then ITER="-wi 2 -w 1s -i 3 -r 2s"; SECS=2; else ITER="-wi 3 -w 2s -i 5 -r 3s"; SECS=6; fi
# the forked benchmark JVM gets the launchers' flags (JMH splits -jvmArgs at spaces); JMH_EXTRA adds more
JMH=("$JAVA" $JVM_FLAGS -Xmx2g -cp "$CP" org.openjdk.jmh.Main PreprocessBenchmark -f 1 $ITER
     -jvmArgs "$JVM_FLAGS -Dbench.images=$OUT/images ${JMH_EXTRA:-}")
ROUNDS=${ROUNDS:-1}
for r in $(seq 1 "$ROUNDS"); do
  taskset -c 0 "${JMH[@]}" -t 1 -rf json -rff "$OUT/jmh-1t-$r.json" > "$OUT/jmh-1t-$r.log"
  taskset -c 0 $PY scripts/pillow_reference.py bench --seconds "$SECS" \
    "$OUT/images/gen-500x500.jpg" "$OUT/images/gen-1024x768.jpg" "$OUT/images/gen-4032x3024.jpg" > "$OUT/pillow-$r.tsv"
done
"${JMH[@]}" -t 2 -rf json -rff "$OUT/jmh-2t.json" > "$OUT/jmh-2t.log"

$PY - "$OUT" "$ROUNDS" <<'PYEOF'
import json, sys, csv, statistics
out, rounds = sys.argv[1], int(sys.argv[2])
def jmh(name):
    r = {}
    for b in json.load(open(f'{out}/{name}')):
        p = b['params']
        r[(p['file'], p['mode'])] = b['primaryMetric']['score']
    return r
def pillow(r):
    return {row['file']: row for row in csv.DictReader(open(f'{out}/pillow-{r}.tsv'), delimiter='\t')}
runs = [(jmh(f'jmh-1t-{r}.json'), pillow(r)) for r in range(1, rounds + 1)]
two = jmh('jmh-2t.json')
med = statistics.median
if rounds > 1:
    print(f'{rounds} rounds; rates and ratios are medians over the rounds (a ratio is taken within its round)')
print('| image | Pillow exact | Pillow draft | Java exact | Java fast | exact / Pillow exact | fast / Pillow draft | exact 2 threads (x1) | fast 2 threads (x1) |')
print('|---|---|---|---|---|---|---|---|---|')
for f in ('gen-500x500.jpg', 'gen-1024x768.jpg', 'gen-4032x3024.jpg'):
    pe = med(float(p[f]['pillow_exact_img_s']) for _, p in runs)
    pd = med(float(p[f]['pillow_draft_img_s']) for _, p in runs)
    je, jf = med(j[(f, 'EXACT')] for j, _ in runs), med(j[(f, 'FAST')] for j, _ in runs)
    re = med(j[(f, 'EXACT')] / float(p[f]['pillow_exact_img_s']) for j, p in runs)
    rf = med(j[(f, 'FAST')] / float(p[f]['pillow_draft_img_s']) for j, p in runs)
    te, tf = two[(f, 'EXACT')], two[(f, 'FAST')]
    print(f'| {f[4:-4]} | {pe:.1f} | {pd:.1f} | {je:.1f} | {jf:.1f} | {re:.2f}x | {rf:.2f}x | {te:.1f} ({te/je:.2f}x) | {tf:.1f} ({tf/jf:.2f}x) |')
if rounds > 1:
    print()
    print('| round | image | Pillow draft | Java fast | fast / Pillow draft |')
    print('|---|---|---|---|---|')
    for r, (j, p) in enumerate(runs, 1):
        for f in ('gen-1024x768.jpg', 'gen-4032x3024.jpg'):
            pd = float(p[f]['pillow_draft_img_s'])
            print(f'| {r} | {f[4:-4]} | {pd:.1f} | {j[(f, "FAST")]:.1f} | {j[(f, "FAST")] / pd:.2f}x |')
PYEOF
