package io.imagescore.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The tiny random-init CLIP that scripts/export_clip_onnx.py exports (seed 0, with its patch tokens) into
 * target/clip-export: the pack
 * ({@link #pack()}), the Triton model repository ({@link #tritonRepo()}) and the exporter's torch outputs on its
 * verification inputs ({@link #verify()}). Exported once per build: a stamp holds the hash of the exporter sources
 * and arguments, so a changed exporter exports again. Needs Debian python3-torch and python3-onnx (.ci/run installs
 * them); without them the export fails with the exporter's own message. {@code -Dimagescore.clip-export.config=b32}
 * (or b16, l14) exports that size instead, into target/clip-export-b32, for a one-off check of a full-size graph.
 */
public final class ExportedClip {
    public static final String PYTHON = "/usr/bin/python3";
    public static final int SEED = 0;
    public static final String CONFIG = System.getProperty("imagescore.clip-export.config", "tiny");
    static final Path DIR = Path.of(CONFIG.equals("tiny") ? "target/clip-export" : "target/clip-export-" + CONFIG);
    static final List<String> SOURCES = List.of("scripts/export_clip_onnx.py", "scripts/clip_model.py");

    private ExportedClip() {
    }

    public static Path pack() {
        return ensure().resolve("pack");
    }

    public static Path tritonRepo() {
        return ensure().resolve("triton");
    }

    public static Path verify() {
        return ensure().resolve("verify");
    }

    private static synchronized Path ensure() {
        List<String> command = List.of(PYTHON, "scripts/export_clip_onnx.py", "--config", CONFIG, "--random-init",
                "--seed", Integer.toString(SEED), "--heads-dir", Shared.path("models/laion-aesthetic").toString(),
                "--triton-repo", DIR.resolve("triton").toString(), "--pack-dir", DIR.resolve("pack").toString(),
                "--verify-dir", DIR.resolve("verify").toString(), "--overwrite-config", "--patch-tokens");
        try {
            String stamp = stamp(command);
            Path stampFile = DIR.resolve("stamp");
            if (Files.isRegularFile(stampFile) && Files.readString(stampFile).equals(stamp)) {
                return DIR;
            }
            deleteTree(DIR);
            Files.createDirectories(DIR);
            Path log = DIR.resolve("export.log");
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(CONFIG.equals("tiny") ? 5 : 30, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("the CLIP export did not finish in time; see " + log);
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("the CLIP export failed (exit " + p.exitValue() + "; Debian python3-torch "
                        + "and python3-onnx are needed, .ci/run installs them):\n" + Files.readString(log));
            }
            Files.writeString(stampFile, stamp);
            return DIR;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run the CLIP export: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String stamp(List<String> command) throws IOException {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(String.join("\0", command).getBytes(StandardCharsets.UTF_8));
            for (String source : SOURCES) {
                sha.update(Files.readAllBytes(Path.of(source)));
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
