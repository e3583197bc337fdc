#!/usr/bin/env bash
# The rater page's next-item latency on a pairwise campaign of the shared CLIVE photos: the posterior rebuilt from the
# stored log per request (before) against the one kept per campaign (core rating/CampaignPosteriors), after a new answer
# and on a reload. IMAGES (500), ENTRIES (1000: log entries before the timed requests), REQUESTS (20).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
. bench/lib/bench-classes.sh
exec "$JAVA" $JVM_FLAGS -Djava.util.logging.manager=java.util.logging.LogManager -cp "$CP" io.imagescore.bench.RaterQueueTiming \
  "$SHARED" bench/rater-sim/quality_fast-oof.csv "${IMAGES:-500}" "${ENTRIES:-1000}" "${REQUESTS:-20}" \
  2> >(grep -v -e 'incubator modules' >&2)
