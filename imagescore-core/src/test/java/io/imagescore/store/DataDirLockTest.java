package io.imagescore.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One holder per data directory: a second is refused with the directory and the holder's pid; close or kill -9 frees it. */
class DataDirLockTest {
    @TempDir
    Path tmp;

    @Test
    void a_second_holder_is_refused_until_the_first_closes() throws Exception {
        Path dir = tmp.resolve("data"); // created by the lock
        DataDirLock first = DataDirLock.acquire(dir);
        assertThat(first.file()).isEqualTo(dir.toAbsolutePath().resolve(DataDirLock.FILE)).isRegularFile();
        assertThatThrownBy(() -> DataDirLock.acquire(dir)).isInstanceOf(DataDirLock.HeldException.class)
                .hasMessage(dir.toAbsolutePath() + " is in use by another process (pid " + ProcessHandle.current().pid()
                        + "), which holds the lock on " + first.file());
        Path link = java.nio.file.Files.createSymbolicLink(tmp.resolve("link"), dir);
        assertThatThrownBy(() -> DataDirLock.acquire(link)).as("another spelling").isInstanceOf(DataDirLock.HeldException.class);
        // the refusals did not drop the OS lock (closing any channel on the file would): another process is refused too
        Process other = holder(dir);
        try {
            assertThat(other.waitFor(60, TimeUnit.SECONDS)).as("the other process is refused and exits").isTrue();
            assertThat(new String(other.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).startsWith("refused: "
                    + dir.toAbsolutePath() + " is in use by another process (pid " + ProcessHandle.current().pid() + ")");
            assertThat(other.exitValue()).isEqualTo(3);
        } finally {
            other.destroyForcibly();
        }
        first.close();
        DataDirLock again = DataDirLock.acquire(dir.resolve("..").resolve("data")); // the same directory, spelt otherwise
        assertThatThrownBy(() -> DataDirLock.acquire(dir)).isInstanceOf(DataDirLock.HeldException.class);
        again.close();
        DataDirLock.acquire(dir).close();
    }

    /** Another process: its lock refuses this one, and the OS drops it when the process is killed with SIGKILL. */
    @Test
    void another_process_holds_it_until_killed() throws Exception {
        Path dir = tmp.resolve("shared-data");
        Process holder = holder(dir);
        try {
            var out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.US_ASCII));
            assertThat(out.readLine()).isEqualTo("locked");
            assertThatThrownBy(() -> DataDirLock.acquire(dir)).isInstanceOf(DataDirLock.HeldException.class)
                    .hasMessageContaining(dir.toAbsolutePath() + " is in use by another process (pid " + holder.pid() + ")");
        } finally {
            holder.destroyForcibly();
            assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        DataDirLock.acquire(dir).close(); // freed by the OS with the killed process
    }

    @Test
    void an_unwritable_directory_is_an_io_error_naming_it() throws Exception {
        Path file = Files.writeString(tmp.resolve("not-a-dir"), "x");
        assertThatThrownBy(() -> DataDirLock.acquire(file)).isInstanceOf(java.io.UncheckedIOException.class)
                .hasMessageStartingWith("cannot lock " + file.toAbsolutePath());
    }

    static Process holder(Path dir) throws java.io.IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        return new ProcessBuilder(java, "-Xmx64m", "-cp", System.getProperty("java.class.path"), Holder.class.getName(),
                dir.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** Holds the lock on args[0], says "locked", then waits to be killed; says "refused: why" and exits 3 if refused. */
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            DataDirLock lock;
            try {
                lock = DataDirLock.acquire(Path.of(args[0]));
            } catch (DataDirLock.HeldException e) {
                System.out.println("refused: " + e.getMessage());
                System.exit(3);
                return;
            }
            System.out.println("locked");
            System.out.flush();
            Thread.sleep(TimeUnit.MINUTES.toMillis(5));
            lock.close();
        }
    }
}
