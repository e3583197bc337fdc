#!/usr/bin/env bash
# Simulated pairwise raters on the shared CLIVE MOS: comparisons until Kendall τ ≥ 0.9 for random pairs and for
# active selection (io.imagescore.rating.ActivePairs), flat and seeded by a head's scores. Prints the table of
# bench/README.md. About 8 minutes on the 2-core workplace machine with the defaults.
#   ITEMS (100): photos, the first n of CLIVE in a seeded random order (comma list: 100,300,627 = all);
#   SEEDS (5): rater/selection seeds; SCALES (0,8,4,2,1): rater noise T in MOS points, 0 = derived from CLIVE's
#   per-rating sd; POSTERIORS (adf,refit): ADF alone, or ADF with periodic MAP (Laplace) refits; THREADS (2);
#   PRIORS (flat,head): flat, and/or the head's out-of-fold scores; SELECTIONS (random,marginal): random pairs and/or
#   ActivePairs with marginal or joint (full-covariance) expected information, or insertion (a binary insertion
#   sort, then joint); POSTERIORS may also be map (τ of the MAP fit at every check, every arm) and laplace (map, and
#   the MAP fit before every active choice, as the rater page does). SPREADS (fixed): the prior's spread S fixed,
#   and/or estimated by every refit from the judgements (ActivePairs.Options.estimateSpread, starting at S; with
#   adf alone there is no refit, so no estimate). JAVA_OPTS: -Dspread=S (the fixed S and the estimate's start), -Dwindow=W,
#   -Dbuckets=B for experiments.
# The prior, bench/rater-sim/quality_fast-oof.csv, is committed; REBUILD_PRIOR=1 recomputes it (about 1 minute:
# the default pack's encoder on all 627 photos, then the quality_fast ridge recipe in nested 5-fold CV).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
mkdir -p bench/out
. bin/lib/find-java.sh
./mvnw -q -B -DskipTests package dependency:build-classpath -pl imagescore-bench -am \
  -Dmdep.outputFile="$PWD/bench/out/runtime-cp.txt" -Dmdep.includeScope=runtime >/dev/null
CP="imagescore-bench/target/classes:$(cat bench/out/runtime-cp.txt)"
PRIOR=bench/rater-sim/quality_fast-oof.csv
if [ "${REBUILD_PRIOR:-0}" = 1 ]; then
  "$java_bin" $jvm_flags -cp "$CP" io.imagescore.bench.RaterSim prior "$SHARED" packs/mobilenetv2-default "$PRIOR" 2>/dev/null
fi
exec "$java_bin" $jvm_flags ${JAVA_OPTS:-} -cp "$CP" io.imagescore.bench.RaterSim run "$SHARED" "$PRIOR" "${ITEMS:-100}" "${SEEDS:-5}" \
  "${SCALES:-0,8,4,2,1}" "${POSTERIORS:-adf,refit}" "${THREADS:-2}" \
  "${PRIORS:-flat,head}" "${SELECTIONS:-random,marginal}" "${SPREADS:-fixed}" 2> >(grep -v -e 'incubator modules' >&2)
