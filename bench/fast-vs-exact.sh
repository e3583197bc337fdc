#!/usr/bin/env bash
# What fast mode changes: tensor difference against exact mode and MobileNetV2 embedding cosine (default pack's
# backbone from ../shared), per photo set. Prints the table of bench/README.md. About 2-4 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
. bench/lib/bench-classes.sh
"$JAVA" $JVM_FLAGS -cp "$CP" io.imagescore.bench.FastModeEval "$SHARED" "$OUT/images"
