# Sourced by the JVM benchmarks (bench/preprocess-bench.sh, bench/fast-vs-exact.sh) from the repository root:
# generates the test JPEGs, builds imagescore-bench (JMH benchmarks), and sets
#   OUT (bench/out), JAVA (a JDK >= 25), JVM_FLAGS (the launchers' flags), CP (bench classes + runtime classpath).
OUT=bench/out
mkdir -p "$OUT/images"
. bin/lib/find-java.sh
JAVA=${JAVA:-$java_bin}
JVM_FLAGS=$jvm_flags
[ -f "$OUT/images/gen-4032x3024.jpg" ] || /usr/bin/python3 scripts/pillow_reference.py generate "$OUT/images"
# the benchmarks (JMH included) are the imagescore-bench module; -am builds api and core first, and the classpath file
# keeps the last module's, bench's
./mvnw -q -B -DskipTests package dependency:build-classpath -pl imagescore-bench -am \
  -Dmdep.outputFile="$PWD/$OUT/runtime-cp.txt" -Dmdep.includeScope=runtime >/dev/null
CP="imagescore-bench/target/classes:$(cat "$OUT/runtime-cp.txt")"
