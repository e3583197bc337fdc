#!/bin/sh
# Score with vs without explanations (bench/README.md, "Explanations"). PHOTOS, ROUNDS, THREADS, SCORES (one set, e.g. apparel) override the defaults.
set -eu
cd "$(dirname "$0")/.."
. bench/lib/bench-classes.sh
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$JAVA" $JVM_FLAGS -cp "$CP" io.imagescore.bench.ExplainCostBench ../shared/data/clive/images "${PHOTOS:-20}" "${ROUNDS:-3}" "${THREADS:-2}" ${SCORES:-}
