package io.imagescore.fit;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.head.Safetensors;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackLoader;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Writes a fitted head as an immutable version directory {@code <root>/<head>/<version>/} (head.json +
 * weights.safetensors): written to a temporary sibling and renamed, so a reader never sees half a version, and never
 * over an existing version. The bytes depend only on the fitted head (no timestamps), so a refit reproduces them.
 */
public final class HeadStore {
    public static final String WEIGHTS_FILE = "weights.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper();

    private HeadStore() {
    }

    public static Path write(Path root, FittedHead head, String version) {
        Path headDir = root.resolve(head.name());
        Path target = headDir.resolve(version);
        if (Files.exists(target)) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "head " + head.name() + " version " + version
                    + " already exists at " + target + "; versions are immutable");
        }
        try {
            Files.createDirectories(headDir);
            Path tmp = Files.createTempDirectory(headDir, "." + version + "-");
            DefaultPrettyPrinter pp = new DefaultPrettyPrinter().withObjectIndenter(new DefaultIndenter("  ", "\n"));
            String json = JSON.writer(pp).writeValueAsString(head.manifest()) + "\n";
            Files.writeString(tmp.resolve(PackLoader.HEAD_MANIFEST), json, StandardCharsets.UTF_8);
            Safetensors.write(tmp.resolve(WEIGHTS_FILE), head.weights());
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (IOException e) {
            throw new ImageScoreException(ErrorCode.INTERNAL, "cannot write head version " + target + ": " + e.getMessage(), e);
        }
    }

    /** One more than the highest numeric version of the head in the pack or on disk under {@code root}; "1" if none. */
    public static String nextVersion(ModelPack pack, Path root, String head) {
        long max = 0;
        var versions = pack.heads().get(head);
        if (versions != null) {
            for (String v : versions.keySet()) {
                max = Math.max(max, numeric(v));
            }
        }
        Path dir = root.resolve(head);
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                max = Math.max(max, s.map(p -> numeric(p.getFileName().toString())).max(Comparator.naturalOrder()).orElse(0L));
            } catch (IOException e) {
                throw new ImageScoreException(ErrorCode.INTERNAL, "cannot list " + dir + ": " + e.getMessage(), e);
            }
        }
        return Long.toString(max + 1);
    }

    private static long numeric(String v) {
        return v.matches("\\d{1,18}") ? Long.parseLong(v) : 0;
    }
}
