package io.imagescore.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive OS lock on {@value #FILE} in a local data directory, held until {@link #close()} or the process ends:
 * the local stores assume one writing process per directory (the campaign store's start-up sweep deletes images that
 * no campaign names, which another writer may be storing). The operating system drops the lock when the process dies,
 * kill -9 included, so a crash never leaves the directory locked. The file stays (removing it would let a second
 * process lock a new file while the first still holds the old one); it holds the holder's process id, for the message
 * another process gets. Holders in this JVM are refused before any second channel opens the file: closing any channel
 * on a file drops all of the process's locks on it (POSIX record locks), the first holder's included.
 */
public final class DataDirLock implements AutoCloseable {
    public static final String FILE = "imagescore.lock";

    /** Another process (or another holder in this one) has the directory. */
    public static final class HeldException extends IllegalStateException {
        HeldException(String message) {
            super(message);
        }
    }

    /** The directories (real paths) locked by this JVM. */
    private static final java.util.Set<Path> HELD = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final Path dir;
    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(Path dir, Path file, FileChannel channel, FileLock lock) {
        this.dir = dir;
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Creates the directory if needed and locks it without waiting. Throws {@link HeldException} naming the directory
     * and the holder's process id when another holder has it, {@link UncheckedIOException} when the lock file cannot
     * be created or locked (e.g. a read-only directory).
     */
    public static DataDirLock acquire(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        Path file = abs.resolve(FILE);
        Path real;
        try {
            Files.createDirectories(abs);
            real = abs.toRealPath();
        } catch (IOException e) {
            throw cannotLock(abs, file, e);
        }
        if (!HELD.add(real)) {
            throw held(abs, file, Long.toString(ProcessHandle.current().pid()));
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // this JVM, through another spelling of the directory than HELD knows
            }
            if (lock == null) {
                String holder = holder(channel);
                channel.close();
                HELD.remove(real);
                throw held(abs, file, holder);
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            channel.force(true);
            return new DataDirLock(real, file, channel, lock);
        } catch (IOException e) {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            HELD.remove(real);
            throw cannotLock(abs, file, e);
        }
    }

    /**
     * The data directory {@code path} lies in: the nearest of it and its parents that has a lock file (a directory a
     * server or a writing command has held), or null. A writer aiming below a data directory (say {@code fit --out
     * <data-dir>/heads/<pack>}) locks that directory, as one aiming at it does.
     */
    public static Path enclosing(Path path) {
        for (Path d = path.toAbsolutePath().normalize(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve(FILE))) {
                return d;
            }
        }
        return null;
    }

    private static HeldException held(Path dir, Path file, String pid) {
        return new HeldException(dir + " is in use by another process" + (pid.isEmpty() ? "" : " (pid " + pid + ")")
                + ", which holds the lock on " + file);
    }

    private static UncheckedIOException cannotLock(Path dir, Path file, IOException e) {
        return new UncheckedIOException("cannot lock " + dir + " (lock file " + file + "): " + e, e);
    }

    /** The process id the holder wrote, or "" when there is none yet (it is locking right now) or it is unreadable. */
    private static String holder(FileChannel channel) {
        try {
            ByteBuffer b = ByteBuffer.allocate(32);
            channel.read(b, 0);
            String pid = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).trim();
            return pid.matches("[0-9]{1,19}") ? pid : "";
        } catch (IOException e) {
            return "";
        }
    }

    public Path file() {
        return file;
    }

    /** Releases the lock (the file stays). */
    @Override
    public void close() {
        try {
            if (lock.isValid()) {
                lock.release();
            }
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot release the lock on " + file, e);
        } finally {
            HELD.remove(dir);
        }
    }
}
