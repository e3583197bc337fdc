#!/bin/sh
# ONNX Runtime intra-op spinning (session.intra_op.allow_spinning) on vs off under concurrent load: img/s and p50/p99
# per call of the embedded backend (bench/README.md, "ORT intra-op spinning"). THREADS intra-op threads per run
# (default: all cores), CLIENTS concurrent callers (default 4), BATCH (8), DURATION seconds per round (5), ROUNDS (3).
set -eu
cd "$(dirname "$0")/.."
. bench/lib/bench-classes.sh
echo "CPU: $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$JAVA" $JVM_FLAGS -cp "$CP" io.imagescore.bench.SpinningBench ../shared/models/mobilenetv2/mobilenetv2-12-int8-features.onnx \
  "${THREADS:-$(nproc)}" "${CLIENTS:-4}" "${BATCH:-8}" "${DURATION:-5}" "${ROUNDS:-3}"
