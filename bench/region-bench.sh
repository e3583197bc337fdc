#!/usr/bin/env bash
# Region decoding of 12 MP JPEGs (issue 24, point 2), side by side in one run, rounds alternating Java and Pillow:
#   - the exact `quality` views (grid3 + grid3_flip) with region decoding against the whole decode (before);
#   - the fast-mode centre view against Pillow 9.4's draft pipeline (scripts/pillow_reference.py's functions).
# Single-core, pinned to CPU 0 (taskset). Per call: median thread CPU time (what the call costs its core; robust on a
# machine shared with other builds) and median wall time. Prints its command, the load average around every round,
# and medians over the rounds (each ratio taken within its round). About 3-4 minutes with the defaults.
#   bench/region-bench.sh                    # ROUNDS=3 SECONDS_PER=20
#   ROUNDS=5 SECONDS_PER=10 bench/region-bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
SECONDS_PER=${SECONDS_PER:-20}
echo "command: ROUNDS=$ROUNDS SECONDS_PER=$SECONDS_PER bench/region-bench.sh   ($(date -u +%FT%TZ), $(nproc) cores, $(git rev-parse --short HEAD))"
PY=/usr/bin/python3
. bench/lib/bench-classes.sh
# a real photo brought to 12 MP: a shared CLIVE photo upscaled to 4032x3024 with sensor-like noise (smooth upscales
# decode unrealistically fast), q90 4:2:0 like a phone's
[ -f "$OUT/images/photo-4032x3024.jpg" ] || $PY - "$OUT/images/photo-4032x3024.jpg" <<'PYEOF'
import sys, numpy as np
from PIL import Image
im = Image.open('../shared/data/clive/images/1000.JPG').convert('RGB').resize((4032, 3024), Image.BICUBIC)
a = np.asarray(im).astype(np.float32) + np.random.default_rng(24).normal(0, 5, (3024, 4032, 3))
Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(sys.argv[1], 'JPEG', quality=90)
PYEOF
FILES=(gen-4032x3024.jpg photo-4032x3024.jpg)
for r in $(seq 1 "$ROUNDS"); do
  echo "round $r: load before $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/region-load-$r.txt"
  timeout 300 taskset -c 0 "$JAVA" $JVM_FLAGS -Xmx2g -cp "$CP" io.imagescore.bench.RegionBench "$OUT/images" \
    "$SECONDS_PER" "${FILES[@]}" 2>/dev/null > "$OUT/region-java-$r.tsv"
  timeout 300 taskset -c 0 $PY - "$OUT/images" "$SECONDS_PER" "${FILES[@]}" > "$OUT/region-pillow-$r.tsv" <<'PYEOF'
import io, os, statistics, sys, time
sys.path.insert(0, 'scripts')
from pillow_reference import load_rgb, clip_resize_crop, to_tensor, floats
mean, std = floats('0.485,0.456,0.406'), floats('0.229,0.224,0.225')
print('file\tvariant\tcalls\tcpu_ms_median\twall_ms_median')
for f in sys.argv[3:]:
    data = open(os.path.join(sys.argv[1], f), 'rb').read()
    run = lambda: to_tensor(clip_resize_crop(load_rgb(io.BytesIO(data), 224, True), 224), mean, std)
    for _ in range(5):
        run()
    cpu, wall, end = [], [], time.perf_counter() + float(sys.argv[2]) / 3
    while len(cpu) < 5 or time.perf_counter() < end:
        c, w = time.thread_time(), time.perf_counter()
        run()
        wall.append((time.perf_counter() - w) * 1e3); cpu.append((time.thread_time() - c) * 1e3)
    print(f'{f}\tpillow-draft\t{len(cpu)}\t{statistics.median(cpu):.2f}\t{statistics.median(wall):.2f}')
PYEOF
  echo "round $r: load after $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/region-load-$r.txt"
done
$PY - "$OUT" "$ROUNDS" "${FILES[@]}" <<'PYEOF'
import csv, sys, statistics
out, rounds, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
med = statistics.median
runs = []
for r in range(1, rounds + 1):
    rows = {}
    for src in ('java', 'pillow'):
        for row in csv.DictReader(open(f'{out}/region-{src}-{r}.tsv'), delimiter='\t'):
            rows[(row['file'], row['variant'])] = (float(row['cpu_ms_median']), float(row['wall_ms_median']))
    load = [l.split(': ', 1)[1] for l in open(f'{out}/region-load-{r}.txt').read().split('\n') if l]
    runs.append((rows, load))
for k, label in ((0, 'CPU time'), (1, 'wall time')):
    print(f'\n{label}, ms per call, one core; medians over {rounds} rounds (each ratio taken within its round)')
    print('| image | grid3+flip whole decode | grid3+flip region decode | whole / region | Pillow draft | Java fast | Pillow draft / Java fast |')
    print('|---|---|---|---|---|---|---|')
    for f in files:
        v = lambda name: med(x[(f, name)][k] for x, _ in runs)
        ratio = lambda a, b: med(x[(f, a)][k] / x[(f, b)][k] for x, _ in runs)
        print(f'| {f[:-4]} | {v("grid-whole"):.1f} | {v("grid-region"):.1f} | **{ratio("grid-whole", "grid-region"):.2f}x** | '
              f'{v("pillow-draft"):.1f} | {v("center-fast"):.1f} | **{ratio("pillow-draft", "center-fast"):.2f}x** |')
print('\nper round (CPU ms / wall ms)')
print('| round | load avg before ; after | image | grid whole | grid region | Pillow draft | Java fast |')
print('|---|---|---|---|---|---|---|')
for r, (x, load) in enumerate(runs, 1):
    for f in files:
        c = lambda name: f'{x[(f, name)][0]:.1f} / {x[(f, name)][1]:.1f}'
        print(f'| {r} | {" ; ".join(load)} | {f[:-4]} | {c("grid-whole")} | {c("grid-region")} | {c("pillow-draft")} | {c("center-fast")} |')
PYEOF
