#!/bin/sh
# Encoder throughput, published s8 weights vs the u8u8 form the embedded backend serves (docs/heads.md,
# "CPU-independent features"). ROUNDS=N alternates the two (default 3).
set -eu
cd "$(dirname "$0")/.."
. bench/lib/bench-classes.sh
grep -o -w -m1 'avx512_vnni' /proc/cpuinfo >/dev/null && echo "CPU: $(nproc) cores, AVX-512 VNNI" || echo "CPU: $(nproc) cores, no AVX-512 VNNI"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$JAVA" $JVM_FLAGS -cp "$CP" io.imagescore.bench.Int8KernelsBench ../shared/models/mobilenetv2/mobilenetv2-12-int8-features.onnx "${ROUNDS:-3}"
