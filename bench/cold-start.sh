#!/bin/sh
# Cold start of the packaged server: process start → /q/health/ready 200, and → first successful Score (one photo,
# default scores), measured by bin/lib/ColdStart.java. Variants, alternating within each round:
#   plain   no cache
#   ready   JDK AOT cache trained from start to ready, no Score (what deploy/Containerfile.jvm trained before it
#           used bin/lib/aot-train.sh; kept for comparison)
#   score   JDK AOT cache trained until the first Score + 30 more (what bin/serve and deploy/Containerfile.jvm use,
#           bin/lib/aot-train.sh)
# Prints one row per run and a table: median (min–max) over the rounds of wall time and of the server's CPU time (the
# latter moves less when other work shares the host). See bench/README.md ("Cold start"). Every variant loads ONNX
# Runtime's libraries from imagescore-server/target/quarkus-app/onnxruntime-native (as bin/serve and the JVM image do);
# ORT_EXTRACT=1 lets ONNX Runtime extract them from its jar instead (the behaviour before that change).
# Every variant of this build keeps ONNX Runtime's optimised graphs in $OUT/ort-cache (as bin/serve does beside the
# application; filled by the first training run). BASELINE_APP=<another build's quarkus-app directory> adds the
# variants "baseline" (that build started plain) and "baseline-score" (that build with its own AOT cache trained as
# for "score"), started with the same flags, e.g. a copy of main's imagescore-server/target/quarkus-app, to measure
# a change before and after in the same run. BASELINE_FLAGS: flags for the baseline's server only, e.g. its own packs
# (-Dimagescore.packs.dirs=<its checkout>/packs/mobilenetv2-default) when this checkout's pack.json is newer.
#   ROUNDS=3 bench/cold-start.sh
#   BASELINE_APP=/tmp/main-quarkus-app ROUNDS=3 bench/cold-start.sh
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
PORT=${PORT:-18579}
SHARED=${SHARED:-$(cd .. && pwd)/shared}
IMAGE=${IMAGE:-$SHARED/data/clive/images/1000.JPG}
OUT=bench/out/coldstart
rm -rf "$OUT" && mkdir -p "$OUT"
APP=imagescore-server/target/quarkus-app
[ -f $APP/quarkus-run.jar ] && [ -f $APP/aot-training/ColdStart.class ] || ./mvnw -q -B package -DskipTests
. bin/lib/find-java.sh
client() { bin/lib/cold-start-client.sh "$java_bin" "$APP" "$@"; }
# the server command of every variant; only the AOT flag differs
# every variant loads ONNX Runtime's libraries in place, as bin/serve and the JVM image do
ort="-Donnxruntime.native.path=$APP/onnxruntime-native"
[ "${ORT_EXTRACT:-0}" = 1 ] && ort=""
server() { echo "$java_bin $jvm_flags $ort -Dimagescore.backend.onnx.optimized-model-cache=$OUT/ort-cache -Dquarkus.http.port=$PORT -Dimagescore.data-dir=$OUT/data -Dimagescore.packs.shared-dir=$SHARED $1 -jar $APP/quarkus-run.jar"; }
baseline() {
  b_ort=""; [ ! -d "$BASELINE_APP/onnxruntime-native" ] || [ "${ORT_EXTRACT:-0}" = 1 ] || b_ort="-Donnxruntime.native.path=$BASELINE_APP/onnxruntime-native"
  echo "$java_bin $jvm_flags $b_ort -Dquarkus.http.port=$PORT -Dimagescore.data-dir=$OUT/data -Dimagescore.packs.shared-dir=$SHARED ${BASELINE_FLAGS:-} $1 -jar $BASELINE_APP/quarkus-run.jar"
}
variants="plain ready score"
[ -z "${BASELINE_APP:-}" ] || variants="baseline baseline-score $variants"

for v in ready score baseline-score; do
  case "$variants" in *"$v"*) ;; *) continue ;; esac
  echo "training: $v cache" >&2
  extra=30; [ "$v" = ready ] && extra=-1
  cmd=$(server "-XX:AOTCacheOutput=$OUT/$v.aot"); [ "$v" != baseline-score ] || cmd=$(baseline "-XX:AOTCacheOutput=$OUT/$v.aot")
  # shellcheck disable=SC2086
  client "$PORT" "$IMAGE" "$extra" "$OUT/train-$v.log" -- $cmd >/dev/null
done
ls -la "$OUT"/*.aot "$OUT"/ort-cache >&2

echo "host: $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$ROUNDS"); do
  for v in $variants; do
    flag=""; [ "$v" = plain ] || [ "$v" = baseline ] || flag="-XX:AOTCache=$OUT/$v.aot -XX:AOTMode=on"
    case "$v" in baseline*) cmd=$(baseline "$flag") ;; *) cmd=$(server "$flag") ;; esac
    # shellcheck disable=SC2086
    res=$(client "$PORT" "$IMAGE" 0 "$OUT/run-$v-$r.log" -- $cmd)
    echo "round=$r variant=$v $res load=$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$OUT/runs.txt"
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| variant | ready ms | first Score ms | server CPU to ready ms | server CPU to first Score ms |"
echo "|---|---|---|---|---|"
for v in $variants; do
  awk -v v="$v" '
    function med(x, n,   i, j, t) { for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
                                   return n % 2 ? x[int(n / 2)] : (x[n / 2 - 1] + x[n / 2]) / 2 }
    function cell(x, n) { m = med(x, n); return sprintf("%d (%d–%d)", m, x[0], x[n - 1]) }
    BEGIN { n = 0 }
    $2 == "variant=" v { for (f = 3; f <= 6; f++) { split($f, kv, "="); c[f, n] = kv[2] + 0 } n++ }
    END { printf "| %s", v
          for (f = 3; f <= 6; f++) { for (i = 0; i < n; i++) x[i] = c[f, i]; printf " | %s", cell(x, n) }
          print " |" }' "$OUT/runs.txt"
done
echo
# where each variant's CPU to ready went, by thread (bin/lib/ColdStart.java writes run-*.log.threads at ready): median
# over the rounds of each group's CPU milliseconds; threads that ended before ready (pack-load, pack-hash) are only in
# the process total of the table above
echo "| variant | main | JIT compiler threads | GC threads | other threads |"
echo "|---|---|---|---|---|"
for v in $variants; do
  for r in $(seq 1 "$ROUNDS"); do
    f="$OUT/run-$v-$r.log.threads"
    [ -f "$f" ] && awk '{ ms = $1; $1 = ""; n = substr($0, 2)
      if (n == "main" || n == "java") g["main"] += ms
      else if (n ~ /Compiler/) g["jit"] += ms
      else if (n ~ /^(GC |G1 )/) g["gc"] += ms
      else g["other"] += ms }
      END { printf "%d %d %d %d\n", g["main"], g["jit"], g["gc"], g["other"] }' "$f"
  done | awk -v v="$v" '
    function med(col,   i, j, t, x) { for (i = 0; i < NR; i++) x[i] = c[i, col]
                                      for (i = 0; i < NR; i++) for (j = i + 1; j < NR; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
                                      return NR % 2 ? x[int(NR / 2)] : (x[NR / 2 - 1] + x[NR / 2]) / 2 }
    { for (k = 1; k <= 4; k++) c[NR - 1, k] = $k }
    END { if (NR) printf "| %s | %d | %d | %d | %d |\n", v, med(1), med(2), med(3), med(4) }'
done
