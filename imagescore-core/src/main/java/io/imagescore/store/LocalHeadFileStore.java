package io.imagescore.store;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Fitted head versions as directories {@code <pack dir>/<head>/<version>/}, published through
 * {@link DurableFiles#createDirectory} (written and forced under a temporary sibling, then renamed: a reader never sees
 * half a version, and an existing version is never replaced, by this process or another sharing the directory).
 * Hidden names (temporaries of interrupted writes among them) are never heads or versions. Each version's file
 * checksums go to {@code <head>/<version>.sha256} next to its directory (outside it, so the version's content hash is
 * unchanged) and are verified on every read; a version without that file (written before it existed, or by a crash
 * between the two writes) is read unverified.
 */
public final class LocalHeadFileStore implements HeadFileStore {
    private final Function<String, Path> packDir;
    private final String description;

    private LocalHeadFileStore(Function<String, Path> packDir, String description) {
        this.packDir = packDir;
        this.description = description;
    }

    /** The service layout: {@code <dataDir>/heads/<pack>/<head>/<version>/}. */
    public static LocalHeadFileStore forDataDir(Path dataDir) {
        Path heads = dataDir.resolve("heads");
        return new LocalHeadFileStore(heads::resolve, "directory " + heads.toAbsolutePath().normalize());
    }

    /** One directory of heads ({@code <dir>/<head>/<version>/}) for whichever pack asks (the CLI's overlay and --out). */
    public static LocalHeadFileStore forPackDir(Path dir) {
        return new LocalHeadFileStore(pack -> dir, "directory " + dir.toAbsolutePath().normalize());
    }

    public Path packDir(String pack) {
        return packDir.apply(pack);
    }

    public Path directory(HeadKey key) {
        return packDir(key.pack()).resolve(key.head()).resolve(key.version());
    }

    @Override
    public boolean create(HeadKey key, Map<String, byte[]> files) {
        Path target = directory(key);
        try {
            if (!DurableFiles.createDirectory(target, files)) {
                return false;
            }
            StringBuilder sums = new StringBuilder();
            new java.util.TreeMap<>(files).forEach((name, content) ->
                    sums.append(HeadFileStore.sha256(content)).append("  ").append(name).append('\n'));
            DurableFiles.replaceFile(checksums(key), sums.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return true;
        } catch (IOException e) {
            throw new ImageScoreException(ErrorCode.INTERNAL, "cannot write head version " + target + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean delete(HeadKey key) {
        Path dir = directory(key);
        try {
            // the checksums go last: a crash in between leaves a stray .sha256 without a version, which nothing reads
            boolean deleted = DurableFiles.deleteDirectory(dir);
            Files.deleteIfExists(checksums(key));
            Path headDir = dir.getParent();
            try (Stream<Path> rest = Files.list(headDir)) {
                if (rest.findAny().isEmpty()) {
                    Files.deleteIfExists(headDir);
                }
            } catch (java.nio.file.DirectoryNotEmptyException | java.nio.file.NoSuchFileException raced) {
                // a new version arrived meanwhile, or another writer removed it
            }
            return deleted;
        } catch (IOException e) {
            throw new ImageScoreException(ErrorCode.INTERNAL, "cannot delete head version " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    public long bytes(String pack, String tenant) {
        long total = 0;
        for (HeadKey k : list(pack)) {
            if (!k.tenant().equals(tenant)) {
                continue;
            }
            try (Stream<Path> files = Files.list(directory(k))) {
                for (Path f : files.toList()) {
                    total += Files.size(f);
                }
            } catch (IOException gone) {
                // deleted meanwhile
            }
        }
        return total;
    }

    @Override
    public List<HeadKey> list(String pack) {
        Path root = packDir(pack);
        DurableFiles.removeStaleTemporaries(root);
        List<HeadKey> out = new ArrayList<>();
        for (Path headDir : children(root)) {
            for (Path versionDir : children(headDir)) {
                out.add(new HeadKey(pack, headDir.getFileName().toString(), versionDir.getFileName().toString()));
            }
        }
        return out;
    }

    @Override
    public <T> T withDirectory(HeadKey key, Function<Path, T> reader) {
        Path dir = directory(key);
        if (!Files.isDirectory(dir)) {
            throw new ImageScoreException(ErrorCode.INTERNAL, "head version " + key + " is not stored (no " + dir + ")");
        }
        verify(key, dir);
        return reader.apply(dir);
    }

    private Path checksums(HeadKey key) {
        return packDir(key.pack()).resolve(key.head()).resolve(key.version() + ".sha256");
    }

    /** Checks every file named in the version's checksum file (when there is one). */
    private void verify(HeadKey key, Path dir) {
        Path sums = checksums(key);
        if (!Files.isRegularFile(sums)) {
            return;
        }
        try {
            for (String line : Files.readAllLines(sums)) {
                int sep = line.indexOf("  ");
                if (sep != 64) {
                    continue;
                }
                String recorded = line.substring(0, sep);
                String name = line.substring(sep + 2);
                Path f = dir.resolve(name);
                String actual = Files.isRegularFile(f) ? HeadFileStore.sha256(Files.readAllBytes(f)) : "(missing)";
                if (!actual.equals(recorded)) {
                    throw HeadFileStore.damaged(key, name, actual, recorded);
                }
            }
        } catch (IOException e) {
            throw new ImageScoreException(ErrorCode.INTERNAL, "cannot verify head version " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String describe() {
        return description;
    }

    /** Sub-directories by name, without hidden ones. */
    private static List<Path> children(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
        } catch (IOException e) {
            throw new ImageScoreException(ErrorCode.INTERNAL, "cannot list " + dir + ": " + e.getMessage(), e);
        }
    }
}
