#!/bin/sh
# Score store benchmark (not part of the test suite): the packaged server with its score store on; a Score of IMAGES
# CLIVE photos (quality + room_type) recomputed (a new tenant each round, so the store misses) against the same call
# answered from the store, ROUNDS times each, alternating; every stored answer is checked equal to the recomputed one.
# TIER=memory (default): answered from the replica's memory. TIER=shared: the server on imagescore.store.kind=postgresql
# with a memory tier that holds nothing (max-bytes=1), so every stored answer is one lookup in the shared PostgreSQL
# tier (a private cluster from .ci/postgres.sh unless IMAGESCORE_TEST_PG_URL is set).
# See bench/README.md ("Score store").
#   IMAGES=16 ROUNDS=20 TIER=shared PORT=18490 bench/score-store-bench.sh
set -eu
cd "$(dirname "$0")/.."
IMAGES=${IMAGES:-16}
ROUNDS=${ROUNDS:-20}
PORT=${PORT:-18490}
TIER=${TIER:-memory}
SHARED=${SHARED:-$(cd .. && pwd)/shared}
OUT=bench/out/score-store-$TIER
APP=imagescore-server/target/quarkus-app
mkdir -p "$OUT"
rm -rf "$OUT/data"
[ -f "$APP/quarkus-run.jar" ] || ./mvnw -q -B package -DskipTests
. bin/lib/find-java.sh
CP="$(ls $APP/app/*.jar | tr '\n' ':')$(ls $APP/lib/main/*.jar | tr '\n' ':')"
pg_dir=""
case "$TIER" in
  memory) store_flags="-Dimagescore.score-store.max-bytes=268435456" ;;
  shared)
    if [ -z "${IMAGESCORE_TEST_PG_URL:-}" ]; then
      eval "$(.ci/postgres.sh start)"
      pg_dir=$IMAGESCORE_TEST_PG_DIR
    fi
    store_flags="-Dimagescore.score-store.max-bytes=1 -Dimagescore.store.kind=postgresql -Dquarkus.datasource.jdbc.url=$IMAGESCORE_TEST_PG_URL"
    ;;
  *) echo "TIER must be memory or shared" >&2; exit 2 ;;
esac
log="$OUT/server.log"
# shellcheck disable=SC2086
"$java_bin" $jvm_flags -Dquarkus.http.port="$PORT" -Dimagescore.data-dir="$OUT/data" $store_flags \
  -Dimagescore.packs.shared-dir="$SHARED" -jar "$APP/quarkus-run.jar" >"$log" 2>&1 &
pid=$!
cleanup() {
  kill $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  [ -z "$pg_dir" ] || .ci/postgres.sh stop "$pg_dir"
}
trap cleanup EXIT
i=0
until curl -sf "http://localhost:$PORT/q/health/ready" >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 600 ] || { echo "server not ready"; tail -50 "$log"; exit 1; }
  kill -0 $pid 2>/dev/null || { echo "server died"; tail -50 "$log"; exit 1; }
  sleep 0.2
done
echo "tier: $TIER; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# shellcheck disable=SC2086
"$java_bin" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -cp "$CP" bench/score-store/StoreBenchClient.java \
  "localhost:$PORT" "$SHARED/data/clive/images" "$IMAGES" "$ROUNDS" | tee "$OUT/result.txt"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
