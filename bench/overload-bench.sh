#!/bin/sh
# Overload benchmark (not part of the test suite): the packaged server with a small heap under CLIENTS closed-loop
# clients sending Score calls of BATCH noisy 12 MP JPEGs (a pool of IMAGES generated ones) for DURATION seconds, with
# a 1-image probe call every 250 ms; then a 100 MP and a 400 MP PNG bomb, one per call. Reports the call outcomes
# (OK / RESOURCE_EXHAUSTED-OVERLOADED / other), the probe's p50/p99 latency, the server's peak RSS (VmHWM) and whether
# its log holds an OutOfMemoryError. See bench/README.md ("Overload").
#   CLIENTS=8 DURATION=60 BATCH=8 IMAGES=64 HEAP=2g PORT=18480 bench/overload-bench.sh
set -eu
cd "$(dirname "$0")/.."
CLIENTS=${CLIENTS:-8}
DURATION=${DURATION:-60}
BATCH=${BATCH:-8}
IMAGES=${IMAGES:-64}
HEAP=${HEAP:-2g}
PORT=${PORT:-18480}
SHARED=${SHARED:-$(cd .. && pwd)/shared}
OUT=bench/out/overload
mkdir -p "$OUT/images"
/usr/bin/python3 bench/overload/make-images.py "$OUT/images" "$IMAGES"
[ -f imagescore-server/target/quarkus-app/quarkus-run.jar ] || ./mvnw -q -B package -DskipTests
. bin/lib/find-java.sh
CP="$(ls imagescore-server/target/quarkus-app/app/*.jar | tr '\n' ':')$(ls imagescore-server/target/quarkus-app/lib/main/*.jar | tr '\n' ':')"

log="$OUT/server.log"
# shellcheck disable=SC2086
"$java_bin" $jvm_flags -Xmx"$HEAP" -Dquarkus.http.port="$PORT" -Dimagescore.data-dir="$OUT/data" \
  -Dimagescore.packs.shared-dir="$SHARED" -jar imagescore-server/target/quarkus-app/quarkus-run.jar >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
i=0
until curl -sf "http://localhost:$PORT/q/health/ready" >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 600 ] || { echo "server not ready"; tail -50 "$log"; exit 1; }
  kill -0 $pid 2>/dev/null || { echo "server died"; tail -50 "$log"; exit 1; }
  sleep 0.2
done
echo "server pid $pid ready; load: $CLIENTS clients x $BATCH-image calls of 12 MP JPEGs, ${DURATION}s, heap $HEAP" >&2
probe="$SHARED/data/clive/images/1000.JPG"
res="$OUT/result.txt"
echo "load.average.before=$(cut -d' ' -f1-3 /proc/loadavg)" | tee "$res"
# shellcheck disable=SC2086
"$java_bin" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -Xmx4g -cp "$CP" bench/overload/OverloadClient.java "localhost:$PORT" "$OUT/images" \
  "$CLIENTS" "$DURATION" "$BATCH" "$probe" | tee -a "$res"
# where calls waited: admission queue waits per budget (count, mean, max) from the server's own metrics
curl -sf "http://localhost:$PORT/q/metrics" | awk '/^imagescore_queue_wait_seconds_(count|sum|max)\{/ {
  match($0, /budget="[a-z]+"/); b = substr($0, RSTART + 8, RLENGTH - 9); split($1, n, "{"); v[b, n[1]] = $2; bs[b] = 1 }
  END { for (b in bs) printf "queue.%s: %d waits, mean %.0f ms, max %.0f ms\n", b,
    v[b, "imagescore_queue_wait_seconds_count"], 1000 * v[b, "imagescore_queue_wait_seconds_sum"] / (v[b, "imagescore_queue_wait_seconds_count"] + 1e-9),
    1000 * v[b, "imagescore_queue_wait_seconds_max"] }' | tee -a "$res"
echo "load.average.after=$(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$res"
echo "server.VmHWM=$(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' /proc/$pid/status)" | tee -a "$res"
echo "server.alive=$(kill -0 $pid 2>/dev/null && echo yes || echo NO)" | tee -a "$res"
echo "server.OutOfMemoryError=$(grep -c OutOfMemoryError "$log" || true)" | tee -a "$res"
kill $pid
wait $pid 2>/dev/null || true
