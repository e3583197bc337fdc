#!/bin/sh
# Score store benchmark (not part of the test suite): the packaged server with its score store on; a Score of IMAGES
# CLIVE photos (quality + room_type) recomputed (a new tenant each round, so the store misses) against the same call
# answered from the store, ROUNDS times each, alternating; every stored answer is checked equal to the recomputed one.
# See bench/README.md ("Score store").
#   IMAGES=16 ROUNDS=20 PORT=18490 bench/score-store-bench.sh
set -eu
cd "$(dirname "$0")/.."
IMAGES=${IMAGES:-16}
ROUNDS=${ROUNDS:-20}
PORT=${PORT:-18490}
SHARED=${SHARED:-$(cd .. && pwd)/shared}
OUT=bench/out/score-store
mkdir -p "$OUT"
[ -f target/quarkus-app/quarkus-run.jar ] || ./mvnw -q -B package -DskipTests
. bin/lib/find-java.sh
CP="$(ls target/quarkus-app/app/*.jar | tr '\n' ':')$(ls target/quarkus-app/lib/main/*.jar | tr '\n' ':')"
log="$OUT/server.log"
# shellcheck disable=SC2086
"$java_bin" $jvm_flags -Dquarkus.http.port="$PORT" -Dimagescore.data-dir="$OUT/data" -Dimagescore.score-store.max-bytes=268435456 \
  -Dimagescore.packs.shared-dir="$SHARED" -jar target/quarkus-app/quarkus-run.jar >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
i=0
until curl -sf "http://localhost:$PORT/q/health/ready" >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 600 ] || { echo "server not ready"; tail -50 "$log"; exit 1; }
  kill -0 $pid 2>/dev/null || { echo "server died"; tail -50 "$log"; exit 1; }
  sleep 0.2
done
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# shellcheck disable=SC2086
"$java_bin" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -cp "$CP" bench/score-store/StoreBenchClient.java \
  "localhost:$PORT" "$SHARED/data/clive/images" "$IMAGES" "$ROUNDS" | tee "$OUT/result.txt"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
