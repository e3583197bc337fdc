#!/usr/bin/env bash
# What fast mode changes: tensor difference against exact mode and MobileNetV2 embedding cosine (default pack's
# backbone from ../shared), per photo set. Prints the table of bench/README.md. About 2-4 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out
mkdir -p "$OUT/images" "$OUT/lib" "$OUT/classes"
JAVA=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
JAVAC=${JAVAC:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/javac}
SHARED=${SHARED:-../shared}
[ -f "$OUT/images/gen-4032x3024.jpg" ] || /usr/bin/python3 scripts/pillow_reference.py generate "$OUT/images"
./mvnw -q -DskipTests compile
./mvnw -q dependency:build-classpath -Dmdep.outputFile="$OUT/runtime-cp.txt" -Dmdep.includeScope=runtime >/dev/null
for a in org.openjdk.jmh:jmh-core:1.37 org.openjdk.jmh:jmh-generator-annprocess:1.37 \
         net.sf.jopt-simple:jopt-simple:5.0.4 org.apache.commons:commons-math3:3.6.1; do
  ./mvnw -q dependency:copy -Dartifact="$a" -DoutputDirectory="$OUT/lib" >/dev/null
done
CP="target/classes:$(cat "$OUT/runtime-cp.txt"):$(ls "$OUT"/lib/*.jar | tr '\n' ':')"
$JAVAC -proc:full -cp "$CP" -d "$OUT/classes" bench/jmh/io/imagescore/bench/*.java
# ONNX Runtime 1.29 segfaults on a calling thread with the default 1 MB stack here (the MobileNetV2 int8 model); 16 MB is enough
$JAVA -Xss16m --enable-native-access=ALL-UNNAMED --add-modules=jdk.incubator.vector -cp "$OUT/classes:$CP" io.imagescore.bench.FastModeEval "$SHARED" "$OUT/images"
