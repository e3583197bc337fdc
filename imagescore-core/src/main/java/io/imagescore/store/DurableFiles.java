package io.imagescore.store;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Crash-safe writes for the local state store (prompt sets, regulations, fitted heads, the embedding cache).
 * <p>
 * Every write goes to a temporary name in the target's own directory, is forced to disk ({@link FileChannel#force}),
 * then gets its final name in one atomic step, and the parent directory is forced so that the name survives a power
 * loss too (file systems that refuse to open a directory for syncing are tolerated). A crash therefore leaves either
 * nothing under the final name or the complete content, plus at most a temporary. Temporary names all start with
 * {@link #TEMP_PREFIX}: every loader skips them and {@link #removeStaleTemporaries} deletes those a crash left.
 * <p>
 * Three publishing modes:
 * <ul>
 *   <li>{@link #replaceFile}: the file is replaced (ACTIVE pointers, cache entries);</li>
 *   <li>{@link #createFile}: the file is created only if the name is free (hard link, which fails instead of replacing),
 *       so two writers allocating version numbers never overwrite each other, in one process or several;</li>
 *   <li>{@link #createDirectory}: a directory of files, written under a temporary directory and renamed; the rename
 *       fails when the target already exists and is not empty, which a published version directory never is.</li>
 * </ul>
 */
public final class DurableFiles {
    /** The one prefix of every temporary name the stores create. */
    public static final String TEMP_PREFIX = ".tmp-";
    /**
     * Temporaries younger than this are left alone at start-up: they may belong to a writer in another process sharing
     * the data directory (the CLI next to the server). A live write holds its temporary for milliseconds.
     */
    public static final Duration STALE_AFTER = Duration.ofMinutes(5);

    private static final Logger LOG = Logger.getLogger(DurableFiles.class);

    private DurableFiles() {
    }

    /** True for a name this class uses for work in progress; loaders and listers skip these. */
    public static boolean isTemporary(Path p) {
        Path name = p.getFileName();
        return name != null && name.toString().startsWith(TEMP_PREFIX);
    }

    /** Writes {@code content} to {@code target}, replacing any previous file atomically and durably. */
    public static void replaceFile(Path target, byte[] content) throws IOException {
        Path dir = parent(target);
        Files.createDirectories(dir);
        Path tmp = writeTemporary(dir, target.getFileName().toString(), content);
        try {
            move(tmp, target, true);
        } finally {
            Files.deleteIfExists(tmp);
        }
        forceDirectory(dir);
    }

    /**
     * Writes {@code content} to {@code target} only if no file has that name: returns false (and writes nothing) when
     * one does, also when another writer (thread or process) takes the name at the same moment.
     */
    public static boolean createFile(Path target, byte[] content) throws IOException {
        Path dir = parent(target);
        Files.createDirectories(dir);
        if (Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        Path tmp = writeTemporary(dir, target.getFileName().toString(), content);
        try {
            try {
                Files.createLink(target, tmp); // link(2) fails with EEXIST instead of replacing
            } catch (FileAlreadyExistsException taken) {
                return false;
            } catch (UnsupportedOperationException | FileSystemException noHardLinks) {
                // A file system without hard links: check, then rename. Two writers in different processes could both
                // pass the check in the same instant; writers within one store instance are serialised by the stores.
                if (Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    return false;
                }
                move(tmp, target, false);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        forceDirectory(dir);
        return true;
    }

    /**
     * Publishes a directory holding {@code files} (name → content) as {@code target}: every file and the temporary
     * directory are forced, then the directory is renamed into place and the parent forced. Returns false (and leaves
     * nothing behind) when {@code target} already exists.
     */
    public static boolean createDirectory(Path target, Map<String, byte[]> files) throws IOException {
        Path dir = parent(target);
        Files.createDirectories(dir);
        if (Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        Path tmp = Files.createTempDirectory(dir, TEMP_PREFIX + target.getFileName() + "-");
        try {
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                if (f.getKey().contains("/") || f.getKey().startsWith(".")) {
                    throw new IllegalArgumentException("file name '" + f.getKey() + "' must be plain and not hidden");
                }
                writeForced(tmp.resolve(f.getKey()), f.getValue(), StandardOpenOption.CREATE_NEW);
            }
            forceDirectory(tmp);
            // rename(2) of a directory onto an existing non-empty directory fails (EEXIST/ENOTEMPTY); published
            // version directories are never empty, and the check above covers the rest.
            if (Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                return false;
            }
            try {
                move(tmp, target, false);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException taken) {
                return false;
            } catch (FileSystemException e) {
                if (Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS) && Files.exists(tmp)) {
                    return false;
                }
                throw e;
            }
            forceDirectory(dir);
            return true;
        } finally {
            if (Files.exists(tmp, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                deleteTree(tmp);
            }
        }
    }

    /**
     * Removes the directory {@code target} as one step for readers: it is first renamed to a hidden temporary sibling
     * (atomic; the parent is forced), then deleted. A crash in between leaves a temporary that loaders skip and
     * {@link #removeStaleTemporaries} clears. Returns false when {@code target} does not exist.
     */
    public static boolean deleteDirectory(Path target) throws IOException {
        if (!Files.isDirectory(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        Path dir = parent(target);
        Path tmp = dir.resolve(TEMP_PREFIX + target.getFileName() + "-deleted-" + java.util.UUID.randomUUID());
        try {
            move(target, tmp, false);
        } catch (NoSuchFileException gone) {
            return false; // another writer deleted it first
        }
        forceDirectory(dir);
        deleteTree(tmp);
        return true;
    }

    /** Forces a directory's entries (new names, renames) to disk; silently does nothing where the file system refuses. */
    public static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException refused) {
            // e.g. file systems that cannot open a directory for reading; the rename itself is still atomic
        }
    }

    /**
     * Deletes temporaries (files or directories named {@link #TEMP_PREFIX}…) anywhere under {@code root} that were
     * last modified more than {@code olderThan} ago. Never throws: a temporary it cannot delete is skipped by the
     * loaders anyway. Returns how many were removed.
     */
    public static int removeStaleTemporaries(Path root, Duration olderThan) {
        if (!Files.isDirectory(root)) {
            return 0;
        }
        List<Path> found = new ArrayList<>();
        try (Stream<Path> s = Files.walk(root)) {
            s.filter(DurableFiles::isTemporary).forEach(found::add);
        } catch (IOException | java.io.UncheckedIOException e) {
            LOG.warnf("cannot list %s for leftover temporaries: %s", root, e.getMessage());
        }
        Instant cutoff = Instant.now().minus(olderThan);
        int removed = 0;
        for (Path p : found) {
            try {
                FileTime modified = Files.getLastModifiedTime(p, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                if (modified.toInstant().isAfter(cutoff)) {
                    continue;
                }
                deleteTree(p);
                removed++;
            } catch (NoSuchFileException gone) {
                // inside a temporary directory removed a moment ago, or finished by its writer
            } catch (IOException e) {
                LOG.warnf("cannot remove leftover temporary %s: %s", p, e.getMessage());
            }
        }
        if (removed > 0) {
            LOG.infof("removed %d temporaries left by an interrupted write under %s", removed, root);
        }
        return removed;
    }

    /** {@link #removeStaleTemporaries(Path, Duration)} with {@link #STALE_AFTER}. */
    public static int removeStaleTemporaries(Path root) {
        return removeStaleTemporaries(root, STALE_AFTER);
    }

    private static Path parent(Path target) {
        Path dir = target.toAbsolutePath().getParent();
        if (dir == null) {
            throw new IllegalArgumentException(target + " has no parent directory");
        }
        return dir;
    }

    private static Path writeTemporary(Path dir, String targetName, byte[] content) throws IOException {
        Path tmp = Files.createTempFile(dir, TEMP_PREFIX + targetName + "-", "");
        try {
            writeForced(tmp, content, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        return tmp;
    }

    private static void writeForced(Path file, byte[] content, StandardOpenOption mode) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.CREATE, mode)) {
            ByteBuffer buf = ByteBuffer.wrap(content);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
    }

    private static void move(Path from, Path to, boolean replace) throws IOException {
        try {
            if (replace) {
                Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } else {
                Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the file system of " + to.getParent() + " cannot rename atomically", e);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try (Stream<Path> s = Files.walk(p)) {
                for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(q);
                }
            }
        } else {
            Files.deleteIfExists(p);
        }
    }
}
