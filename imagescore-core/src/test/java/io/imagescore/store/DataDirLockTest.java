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
    void a_second_holder_is_refused_until_the_first_closes() {
        Path dir = tmp.resolve("data"); // created by the lock
        DataDirLock first = DataDirLock.acquire(dir);
        assertThat(first.file()).isEqualTo(dir.toAbsolutePath().resolve(DataDirLock.FILE)).isRegularFile();
        assertThatThrownBy(() -> DataDirLock.acquire(dir)).isInstanceOf(DataDirLock.HeldException.class)
                .hasMessage(dir.toAbsolutePath() + " is in use by another process (pid " + ProcessHandle.current().pid()
                        + "), which holds the lock on " + first.file());
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
        String java = ProcessHandle.current().info().command().orElse("java");
        Process holder = new ProcessBuilder(java, "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                Holder.class.getName(), dir.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
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

    /** Holds the lock on args[0], says "locked", then waits to be killed. */
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            DataDirLock lock = DataDirLock.acquire(Path.of(args[0]));
            System.out.println("locked");
            System.out.flush();
            Thread.sleep(TimeUnit.MINUTES.toMillis(5));
            lock.close();
        }
    }
}
