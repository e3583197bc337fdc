# Sourced by the JVM benchmarks (bench/preprocess-bench.sh, bench/fast-vs-exact.sh) from the repository root:
# generates the test JPEGs, compiles the project and bench/jmh, and sets
#   OUT (bench/out), JAVA (a JDK >= 25), JVM_FLAGS (the launchers' flags), CP (bench classes + runtime classpath).
OUT=bench/out
mkdir -p "$OUT/images" "$OUT/lib" "$OUT/classes"
. bin/lib/find-java.sh
JAVA=${JAVA:-$java_bin}
JAVAC=$(dirname "$JAVA")/javac
JVM_FLAGS=$jvm_flags
[ -f "$OUT/images/gen-4032x3024.jpg" ] || /usr/bin/python3 scripts/pillow_reference.py generate "$OUT/images"
./mvnw -q -DskipTests compile
./mvnw -q dependency:build-classpath -Dmdep.outputFile="$OUT/runtime-cp.txt" -Dmdep.includeScope=runtime >/dev/null
for a in org.openjdk.jmh:jmh-core:1.37 org.openjdk.jmh:jmh-generator-annprocess:1.37 \
         net.sf.jopt-simple:jopt-simple:5.0.4 org.apache.commons:commons-math3:3.6.1; do
  ./mvnw -q dependency:copy -Dartifact="$a" -DoutputDirectory="$OUT/lib" >/dev/null
done
CP="target/classes:$(cat "$OUT/runtime-cp.txt"):$(ls "$OUT"/lib/*.jar | tr '\n' ':')"
"$JAVAC" -proc:full -cp "$CP" -d "$OUT/classes" bench/jmh/io/imagescore/bench/*.java
CP="$OUT/classes:$CP"
