#!/bin/sh
# Batch tool vs service throughput, same machine, same run (bench/README.md, "Batch tool and load generator").
# Usage: bench/batch-bench.sh [PORT]   (needs imagescore-server/target/quarkus-app: ./mvnw package -DskipTests)
# Image sets: the shared CLIVE photos (500x500) and 1024x768 JPEGs made from them (Pillow, quality 90).
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
port="${1:-18093}"
work="${BENCH_WORK:-/tmp/imagescore-bench}"
. "$root/bin/lib/find-java.sh"   # java_bin, jvm_flags: the launchers' JDK and flags (-Xss16m for ONNX Runtime)
shared="$root/../shared"
mkdir -p "$work/clive" "$work/j1024"
ls "$shared/data/clive/images" | sort | head -200 | while read -r f; do ln -sf "$shared/data/clive/images/$f" "$work/clive/$f"; done
[ -f "$work/j1024/0199.jpg" ] || /usr/bin/python3 - "$shared/data/clive/images" "$work/j1024" <<'PY'
import os, sys
from PIL import Image
src, dst = sys.argv[1], sys.argv[2]
for i, f in enumerate(sorted(os.listdir(src))[:200]):
    Image.open(os.path.join(src, f)).convert("RGB").resize((1024, 768), Image.BICUBIC).save(f"{dst}/{i:04d}.jpg", quality=90)
PY
python3 "$root/bench/make-manifest.py" 3000 "$work/clive" "$work/clive-3000.csv"
python3 "$root/bench/make-manifest.py" 2000 "$work/j1024" "$work/j1024-2000.csv"

# The score store is off (SCORE_STORE_BYTES=0): the load generator repeats 200 photos, which the store would answer
# from memory after the first pass (it measured 2,800 img/s that way), so the bench would time the cache, not scoring.
"$java_bin" $jvm_flags \
  -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$port" -Dimagescore.shared="$shared" \
  -Dimagescore.score-store.max-bytes="${SCORE_STORE_BYTES:-0}" \
  -jar "$root/imagescore-server/target/quarkus-app/quarkus-run.jar" > "$work/service.log" 2>&1 &
svc=$!
trap 'kill $svc 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$port/q/health/ready" > /dev/null; do sleep 1; done
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for set in clive j1024; do
  "$root/bin/imagescore" loadgen --target "127.0.0.1:$port" --rpc stream --concurrency 64 --channels 2 \
    --duration 20 --warmup 5 --images "$work/$set" --scores imagenet
  m="$work/$set-3000.csv"; [ "$set" = j1024 ] && m="$work/j1024-2000.csv"
  rm -rf "$work/out-remote-$set"
  "$root/bin/imagescore" batch --manifest "$m" --target "127.0.0.1:$port" --channels 2 --in-flight 128 \
    --scores imagenet --out "$work/out-remote-$set" --progress none 2>&1 | grep -E 'this invocation|done|STOPPED'
done
kill $svc; wait $svc 2>/dev/null || true
trap - EXIT
for set in clive j1024; do
  m="$work/$set-3000.csv"; [ "$set" = j1024 ] && m="$work/j1024-2000.csv"
  rm -rf "$work/out-embedded-$set"
  "$root/bin/imagescore" batch --manifest "$m" --embedded --shared "$shared" --workers 2 --batch 32 \
    --scores imagenet --out "$work/out-embedded-$set" --progress none 2>&1 | grep -E 'this invocation|done|STOPPED'
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
