#!/usr/bin/env bash
# The rater page's next-item latency on a pairwise campaign of the shared CLIVE photos: the posterior rebuilt from the
# stored log per request (before) against the one kept per campaign (core rating/CampaignPosteriors), after a new answer
# and on a reload. IMAGES (500), ENTRIES (1000: log entries before the timed requests), REQUESTS (20).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
mkdir -p bench/out
. bin/lib/find-java.sh
./mvnw -q -B -DskipTests package dependency:build-classpath -pl imagescore-bench -am \
  -Dmdep.outputFile="$PWD/bench/out/runtime-cp.txt" -Dmdep.includeScope=runtime >/dev/null
CP="imagescore-bench/target/classes:$(cat bench/out/runtime-cp.txt)"
exec "$java_bin" $jvm_flags -Djava.util.logging.manager=java.util.logging.LogManager -cp "$CP" io.imagescore.bench.RaterQueueTiming "$SHARED" bench/rater-sim/quality_fast-oof.csv \
  "${IMAGES:-500}" "${ENTRIES:-1000}" "${REQUESTS:-20}" 2> >(grep -v -e 'incubator modules' >&2)
