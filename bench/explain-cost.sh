#!/bin/sh
# Score with vs without explanations (bench/README.md, "Explanations"): the first PHOTOS (12) CLIVE photos, ROUNDS (7)
# alternating rounds, medians. PHOTOS, ROUNDS, THREADS (2), SCORES (one set, e.g. apparel) override the defaults.
set -eu
cd "$(dirname "$0")/.."
. bench/lib/bench-classes.sh
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$JAVA" $JVM_FLAGS -cp "$CP" io.imagescore.bench.ExplainCostBench ../shared/data/clive/images "${PHOTOS:-12}" "${ROUNDS:-7}" "${THREADS:-2}" ${SCORES:-}
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
