# Sourced by bin/serve after the build, from the repository root, with java_bin and jvm_flags set (find-java.sh) and
# app_flags (bin/serve's application flags, also given to the training run).
# Sets aot_flags to "-XX:AOTCache=imagescore-server/target/quarkus-app/app.aot" (JEP 483/514: classes loaded and linked, method profiles
# from a training run), training the cache first when it is missing or stale: older than any file of the application
# (the JVM refuses a cache whose jars changed) or made by another JVM (recorded in app.aot.jvm).
# Training (bin/lib/aot-train.sh, the same as the JVM image's) = the server started exactly as bin/serve starts it (same
# classpath string: the cache is tied to it) with -XX:AOTCacheOutput until its first Score plus AOT_TRAIN_SCORES more,
# then stopped: the JVM writes the cache as it exits. IMAGESCORE_AOT=off: no cache.
aot_flags=""
aot_app=imagescore-server/target/quarkus-app
aot_cache="$aot_app/app.aot"
if [ "${IMAGESCORE_AOT:-on}" != off ]; then
  aot_jvm="$("$java_bin" -version 2>&1 | tr '\n' ' ')"
  if [ ! -f "$aot_cache" ] || [ "$(cat "$aot_cache.jvm" 2>/dev/null)" != "$aot_jvm" ] \
     || [ -n "$(find "$aot_app" -type f -newer "$aot_cache" ! -name 'app.aot*' ! -path "$aot_app/ort-cache/*" | head -n 1)" ]; then
    echo "imagescore: training the AOT cache ($aot_cache; once per build, about a minute) ..." >&2
    rm -f "$aot_cache" "$aot_cache.jvm"
    aot_image="${AOT_TRAIN_IMAGE:-$(cd .. && pwd)/shared/data/clive/images/1000.JPG}"
    # shellcheck disable=SC2086
    if bin/lib/aot-train.sh "$aot_cache" "$aot_image" \
        "$java_bin" $jvm_flags ${app_flags:-} ${IMAGESCORE_JAVA_OPTS:-} -jar "$aot_app/quarkus-run.jar"; then
      printf '%s' "$aot_jvm" > "$aot_cache.jvm"
    else
      echo "imagescore: AOT training failed; starting without a cache" >&2
    fi
  fi
  [ -f "$aot_cache" ] && aot_flags="-XX:AOTCache=$aot_cache"
fi
