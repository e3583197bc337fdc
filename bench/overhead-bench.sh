#!/bin/sh
# Service overhead against raw ONNX Runtime (bench/README.md, "Service overhead"): the same CLIVE photos through
# (a) a bare ORT session on pre-made tensors, (b) the scoring pipeline in-process, (c) Score over gRPC on loopback
# against the packaged server; rounds alternate a, b, c, then b and c in alternating passes over the images (the same
# drift of the machine's speed in both); prints two tables (medians) and the per-round rates.
# Env: IMAGES (64), BATCH (32 images per Score call), ROUNDS (3), PHASE_S (4 seconds per phase), PORT (18094),
#      WARM_CALLS (8000 single-image Score calls first, so the per-call code of both JVMs reaches C2: ≈ 5000 calls),
#      SERVER_JVM_OPTS (extra server JVM flags, e.g. -XX:StartFlightRecording=filename=bench/out/server.jfr),
#      BENCH_JVM_OPTS (extra flags of the bench JVM: (a), (b) and (c)'s client), WARM_GRPC_S (seconds of (c) in each
#      set's warm-up; default 3 × PHASE_S), WARM_SCRAPE_EVERY (one /q/metrics scrape per N warm-up calls, 10; 0: none),
#      SETS ("typical=quality_fast,imagenet quality=quality,quality_fast,imagenet"), SKIP_BUILD=1 to reuse the build.
# Bounded: about (5.5 + 6 × ROUNDS) × PHASE_S per set (each phase at least one pass over the images) plus two JVM
# starts: ≈ 5 min with the defaults on an idle 2-core machine.
set -eu
cd "$(dirname "$0")/.."
root=$PWD
. bin/lib/find-java.sh
port=${PORT:-18094}
out=bench/out
mkdir -p "$out"
# SKIP_BUILD=1 reuses imagescore-server/target/quarkus-app; the bench classes and their reactor classpath (this
# checkout's core, not an installed one) are always brought up to date
[ "${SKIP_BUILD:-0}" = 1 ] || ./mvnw -q -B -DskipTests package -pl imagescore-server -am >/dev/null
./mvnw -q -B -DskipTests package dependency:build-classpath -pl imagescore-bench -am \
  -Dmdep.outputFile="$root/$out/bench-cp.txt" -Dmdep.includeScope=runtime >/dev/null
cp="imagescore-bench/target/classes:$(cat "$out/bench-cp.txt")"
echo "command: IMAGES=${IMAGES:-64} BATCH=${BATCH:-32} ROUNDS=${ROUNDS:-3} PHASE_S=${PHASE_S:-4} WARM_CALLS=${WARM_CALLS:-8000} bench/overhead-bench.sh"
echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- imagescore-*/src || echo ' (+ uncommitted changes)')"
echo "CPU: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# the score store (result cache) off: every call must compute
"$java_bin" $jvm_flags -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$port" -Dimagescore.shared="$root/../shared" \
  -Dimagescore.score-store.max-bytes=0 ${SERVER_JVM_OPTS:-} -jar imagescore-server/target/quarkus-app/quarkus-run.jar > "$out/overhead-server.log" 2>&1 &
svc=$!
trap 'kill $svc 2>/dev/null || true' EXIT INT TERM
i=0
until curl -sf "http://127.0.0.1:$port/q/health/ready" > /dev/null; do
  i=$((i + 1)); [ $i -lt 240 ] || { echo "server not ready after 120 s; see $out/overhead-server.log" >&2; exit 1; }
  kill -0 $svc 2>/dev/null || { echo "server exited; see $out/overhead-server.log" >&2; exit 1; }
  sleep 0.5
done
# shellcheck disable=SC2086
"$java_bin" $jvm_flags -Djava.util.logging.manager=java.util.logging.LogManager ${BENCH_JVM_OPTS:-} -cp "$cp" io.imagescore.bench.OverheadBench "$root/../shared" packs/mobilenetv2-default \
  "127.0.0.1:$port" "$svc" "${IMAGES:-64}" "${BATCH:-32}" "${ROUNDS:-3}" "${PHASE_S:-4}" \
  ${SETS:-typical=quality_fast,imagenet quality=quality,quality_fast,imagenet}
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
