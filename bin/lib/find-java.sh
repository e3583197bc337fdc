# Sourced by bin/ scripts: sets java_bin to a java >= 25 (JAVA_HOME, PATH, then /usr/lib/jvm/*), or exits with a
# clear message. The default java on these machines is 17; the project needs 25. (mvnw has the same logic inline,
# because the wrapper must work before anything else exists.)
java_major() { "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1; }
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/java}"
[ -n "$java_bin" ] || java_bin="$(command -v java || true)"
if [ -z "$java_bin" ] || [ "$(java_major "$java_bin" || echo 0)" -lt 25 ] 2>/dev/null; then
  java_bin=""
  for jdk in /usr/lib/jvm/*; do
    if [ -x "$jdk/bin/java" ] && [ "$(java_major "$jdk/bin/java" || echo 0)" -ge 25 ] 2>/dev/null; then java_bin="$jdk/bin/java"; break; fi
  done
  [ -n "$java_bin" ] || { echo "imagescore: JDK 25 or newer is required; none found in JAVA_HOME, on PATH or under /usr/lib/jvm" >&2; exit 1; }
fi
# JVM flags every launcher uses: FFM/ORT native access and Netty's sun.misc.Unsafe use without warnings, the Vector API
# module for the resampler's vectorised passes (image/VectorPasses; without it the scalar passes run), and a 16 MB thread stack because
# ONNX Runtime 1.29 overflowed the default 1 MB stack here (session creation and inference on small stacks crashed).
jvm_flags="--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow --add-modules=jdk.incubator.vector -Xss16m -Djava.util.logging.manager=org.jboss.logmanager.LogManager"
