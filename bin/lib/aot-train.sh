#!/bin/sh
# Trains a JDK AOT cache (JEP 483/514: classes loaded and linked, method profiles) for the imagescore server: the one
# training of bin/serve (bin/lib/aot-cache.sh) and of the JVM image (deploy/Containerfile.jvm). bench/cold-start.sh's
# "score" variant trains the same way (ColdStart, a first Score + 30 more), also for another build's baseline.
#
# usage: aot-train.sh CACHE IMAGE JAVA [JVM OPTIONS...] -jar APP/quarkus-run.jar
#
# JAVA ... -jar APP/quarkus-run.jar is the service's own command line: a JVM uses a cache only when started with the
# class path (spelt as here) and module options that trained it. The server runs with it plus -XX:AOTCacheOutput=CACHE,
# a spare port (AOT_TRAIN_PORT, default 18679) and a throw-away data directory, until its first Score of IMAGE plus
# AOT_TRAIN_SCORES more (default 30; -1: no Score, stopped once ready), then is stopped: the JVM writes CACHE as it
# exits. The client is ColdStart (bin/lib/cold-start-client.sh: compiled by the build into APP/aot-training/, since a JRE
# cannot run it as a source file; run by JAVA on APP's class path). On failure: exit 1 with the end of the server's log,
# and no CACHE.
set -eu
usage="usage: aot-train.sh CACHE IMAGE JAVA [JVM OPTIONS...] -jar APP/quarkus-run.jar"
[ $# -ge 5 ] || { echo "$usage" >&2; exit 2; }
cache="$1"
image="$2"
shift 2
eval "jar=\${$#} dash_jar=\${$(($# - 1))}"
[ "$dash_jar" = -jar ] || { echo "$usage" >&2; exit 2; }
# "$@" without its last two words (-jar JAR), which go last again after the training's options
n=$#
i=0
for a; do
  i=$((i + 1))
  [ "$i" -gt $((n - 2)) ] || set -- "$@" "$a"
done
shift "$n"
port="${AOT_TRAIN_PORT:-18679}"
work="$(mktemp -d)"
rm -f "$cache"
if sh "$(dirname "$0")/cold-start-client.sh" "$1" "$(dirname "$jar")" \
     "$port" "$image" "${AOT_TRAIN_SCORES:-30}" "$work/server.log" -- \
     "$@" -XX:AOTCacheOutput="$cache" -Dquarkus.http.port="$port" -Dimagescore.data-dir="$work/data" -jar "$jar" >&2 \
   && [ -f "$cache" ]; then
  rm -rf "$work"
  exit 0
fi
rm -f "$cache"
echo "aot-train.sh: AOT training failed; the server's log ($work/server.log) ends:" >&2
tail -n 40 "$work/server.log" >&2 || true
exit 1
