#!/bin/sh
# Runs ColdStart (bin/lib/ColdStart.java as the build compiled it into APP/aot-training/) with JAVA on APP's class path
# (APP: a quarkus-app directory): how bin/lib/aot-train.sh, bench/cold-start.sh and .ci/jvm-image-aot-check start it.
# usage: cold-start-client.sh JAVA APP PORT IMAGE EXTRA LOG -- server command...   (ColdStart.java says what it does)
set -eu
java="$1"
app="$2"
shift 2
[ -f "$app/aot-training/ColdStart.class" ] || { echo "$app/aot-training/ColdStart.class missing (built by ./mvnw package)" >&2; exit 1; }
exec "$java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -cp "$app/aot-training:$(ls "$app"/app/*.jar "$app"/lib/main/*.jar | tr '\n' ':')" ColdStart "$@"
