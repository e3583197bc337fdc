package io.imagescore.fit;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.head.Safetensors;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackLoader;
import io.imagescore.store.DurableFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes a fitted head as an immutable version directory {@code <root>/<head>/<version>/} (head.json +
 * weights.safetensors) through {@link DurableFiles#createDirectory}: written and forced under a temporary sibling, then
 * renamed, so a reader never sees half a version, and never over an existing version. The bytes depend only on the
 * fitted head (no timestamps), so a refit reproduces them. {@link #writeNext} allocates the version number: when
 * another writer (another process sharing the data directory) takes a number first, the next is tried.
 */
public final class HeadStore {
    public static final String WEIGHTS_FILE = "weights.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper();

    private HeadStore() {
    }

    /** Writes {@code version}; INVALID_REQUEST if it exists (versions are immutable). */
    public static Path write(Path root, FittedHead head, String version) {
        Path target = root.resolve(head.name()).resolve(version);
        if (!tryWrite(target, head)) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "head " + head.name() + " version " + version
                    + " already exists at " + target + "; versions are immutable");
        }
        return target;
    }

    /** Writes the next free version ({@link #nextVersion} or later, if taken meanwhile); returns its directory. */
    public static Path writeNext(ModelPack pack, Path root, FittedHead head) {
        long next = Long.parseLong(nextVersion(pack, root, head.name()));
        for (int attempt = 0; attempt < 1000; attempt++, next++) {
            Path target = root.resolve(head.name()).resolve(Long.toString(next));
            if (tryWrite(target, head)) {
                return target;
            }
        }
        throw new ImageScoreException(ErrorCode.INTERNAL, "no free version number for head " + head.name() + " under " + root);
    }

    private static boolean tryWrite(Path target, FittedHead head) {
        try {
            DefaultPrettyPrinter pp = new DefaultPrettyPrinter().withObjectIndenter(new DefaultIndenter("  ", "\n"));
            String json = JSON.writer(pp).writeValueAsString(head.manifest()) + "\n";
            Map<String, byte[]> files = new LinkedHashMap<>();
            files.put(PackLoader.HEAD_MANIFEST, json.getBytes(StandardCharsets.UTF_8));
            files.put(WEIGHTS_FILE, Safetensors.toBytes(head.weights()));
            return DurableFiles.createDirectory(target, files);
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
