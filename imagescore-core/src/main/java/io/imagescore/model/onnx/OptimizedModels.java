package io.imagescore.model.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.imagescore.store.DurableFiles;
import io.imagescore.store.Sha256;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A directory of ONNX Runtime's optimised graphs (ORT format), so that a cold start loads a model with graph
 * optimisation off instead of rewriting its int8 weights ({@link UnsignedInt8Weights}) and optimising it again: about
 * 0.3 s of CPU per start (bench/README.md, "Cold start"). Outputs are bit-identical either way (OptimizedModelsTest).
 * <p>
 * An entry is {@code <key>-<sha256 of the entry>.ort}. The key is a sha256 over everything the optimised graph depends
 * on: the model file's bytes, ONNX Runtime's version, the CPU's feature flags (optimisation level ALL picks layouts and
 * kernels for the CPU it runs on), the session settings, and the bytecode of the int8 rewrite, so any change to one of
 * them misses. An entry is used only when its content still has the digest in its name (a damaged one is removed and
 * rebuilt); entries are written by ONNX Runtime under a temporary name and published with {@link DurableFiles}, so a
 * crash or a second process never leaves a partial entry under a real name. Where the directory cannot be written
 * (a read-only image), the model is optimised in memory as without a cache.
 */
final class OptimizedModels {
    private static final Logger LOG = Logger.getLogger(OptimizedModels.class);
    private static final String SUFFIX = ".ort";

    /** How a session was made: from a cached entry, built and saved, or built without the cache. */
    enum Source { CACHED, SAVED, UNCACHED }

    record Opened(OrtSession session, Source source) {
    }

    /** Session options at one optimisation level (the caller's threads and settings); the caller closes them. */
    interface Options {
        OrtSession.SessionOptions at(OrtSession.SessionOptions.OptLevel level) throws OrtException;
    }

    private final Path dir;

    /** {@code dir} null: no cache, every session is optimised in memory. */
    OptimizedModels(Path dir) {
        this.dir = dir;
    }

    /**
     * A session for {@code model} (the model file's bytes): from the cache when an intact entry for this key exists,
     * otherwise optimised now (rewrite + level ALL) and saved for the next start.
     *
     * @param settings the session settings the optimised graph depends on, as text (part of the key)
     */
    Opened open(OrtEnvironment env, Path file, byte[] model, String settings, Options options) throws OrtException, IOException {
        String key = dir == null ? null : key(env, model, settings);
        if (key == null) {
            return new Opened(build(env, model, options, null), Source.UNCACHED);
        }
        for (Path entry : entries(key)) {
            byte[] optimised = Files.readAllBytes(entry);
            String name = entry.getFileName().toString();
            String recorded = name.substring(key.length() + 1, name.length() - SUFFIX.length());
            if (!Sha256.instance().hex(optimised).equals(recorded)) {
                LOG.warnf("optimised model %s is damaged (its content does not match the digest in its name); removed,"
                        + " %s is optimised again", entry, file);
                Files.deleteIfExists(entry);
                continue;
            }
            try (OrtSession.SessionOptions o = options.at(OrtSession.SessionOptions.OptLevel.NO_OPT)) {
                o.addConfigEntry("session.load_model_format", "ORT");
                return new Opened(env.createSession(optimised, o), Source.CACHED);
            } catch (OrtException e) {
                LOG.warnf("optimised model %s does not load (%s); %s is optimised again", entry, e.getMessage(), file);
            }
        }
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            if (Files.isWritable(dir)) {
                tmp = dir.resolve(DurableFiles.TEMP_PREFIX + key + "-" + UUID.randomUUID() + SUFFIX);
            } else {
                LOG.infof("%s is not writable: %s is optimised in memory only", dir, file);
            }
        } catch (IOException e) {
            LOG.infof("cannot create %s (%s): %s is optimised in memory only", dir, e.getMessage(), file);
        }
        OrtSession session;
        try {
            session = build(env, model, options, tmp);
        } catch (OrtException e) {
            if (tmp == null) {
                throw e;
            }
            // saving may be what failed (a full disk): the model itself must not fail because of the cache
            LOG.infof("optimising %s with saving to %s failed (%s); optimised in memory only", file, dir, e.getMessage());
            Files.deleteIfExists(tmp);
            return new Opened(build(env, model, options, null), Source.UNCACHED);
        }
        if (tmp == null) {
            return new Opened(session, Source.UNCACHED);
        }
        try {
            byte[] optimised = Files.readAllBytes(tmp);
            DurableFiles.createFile(dir.resolve(key + "-" + Sha256.instance().hex(optimised) + SUFFIX), optimised);
            return new Opened(session, Source.SAVED);
        } catch (IOException e) {
            LOG.infof("cannot save the optimised model of %s in %s (%s); it is optimised again at the next start", file,
                    dir, e.getMessage());
            return new Opened(session, Source.UNCACHED);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException e) {
                // a leftover temporary is never read (not an entry name) and is replaced by the next save
            }
        }
    }

    /** Rewrites the int8 weights and optimises at level ALL; ONNX Runtime writes the result to {@code saveTo} if set. */
    private static OrtSession build(OrtEnvironment env, byte[] model, Options options, Path saveTo) throws OrtException, IOException {
        try (OrtSession.SessionOptions o = options.at(OrtSession.SessionOptions.OptLevel.ALL_OPT)) {
            if (saveTo != null) {
                o.addConfigEntry("session.save_model_format", "ORT");
                o.setOptimizedModelFilePath(saveTo.toString());
            }
            return env.createSession(UnsignedInt8Weights.rewrite(model).model(), o);
        }
    }

    /** Intact or not, the entries named for {@code key}, newest first. */
    private List<Path> entries(String key) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> found = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(key + "-") && n.endsWith(SUFFIX) && n.length() == key.length() + 1 + 64 + SUFFIX.length();
            }).forEach(found::add);
        }
        found.sort((a, b) -> {
            try {
                return Files.getLastModifiedTime(b).compareTo(Files.getLastModifiedTime(a));
            } catch (IOException e) {
                return 0;
            }
        });
        return found;
    }

    /** The cache key, or null when this CPU cannot be identified (then nothing is cached). */
    static String key(OrtEnvironment env, byte[] model, String settings) throws IOException {
        String cpu = cpuFeatures();
        if (cpu == null) {
            return null;
        }
        String rewrite;
        try (InputStream in = UnsignedInt8Weights.class.getResourceAsStream("UnsignedInt8Weights.class")) {
            if (in == null) {
                return null; // a native image has no class files: no cache there
            }
            rewrite = Sha256.instance().hex(in.readAllBytes());
        }
        String all = String.join("\n", Sha256.instance().hex(model), "onnxruntime " + env.getVersion(),
                System.getProperty("os.arch"), cpu, settings, rewrite);
        return Sha256.instance().hex(all.getBytes(StandardCharsets.UTF_8)).substring(0, 32);
    }

    /** The CPU's feature flags as Linux reports them (x86 "flags", ARM "Features"); null elsewhere. */
    static String cpuFeatures() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("flags") || l.startsWith("Features")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse(null);
        } catch (IOException | java.io.UncheckedIOException e) {
            return null;
        }
    }
}
