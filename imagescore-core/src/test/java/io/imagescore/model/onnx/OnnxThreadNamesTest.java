package io.imagescore.model.onnx;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ONNX Runtime's intra-op threads inherit the OS name of the thread that creates the session: the backend names them
 * itself, so that a per-thread CPU profile does not charge inference to whichever thread loaded the pack.
 */
class OnnxThreadNamesTest {

    @Test
    void intra_op_threads_carry_the_backends_name_and_the_loading_thread_keeps_its_own() throws Exception {
        AtomicReference<List<String>> before = new AtomicReference<>();
        AtomicReference<List<String>> names = new AtomicReference<>();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread loader = Thread.ofPlatform().name("pack-loader-x").start(() -> {
            try (OnnxBackend b = new OnnxBackend(new OnnxBackend.Config(3, false))) {
                before.set(osThreadNames());
                b.load(OptimizedModelsTest.PACK.encoder());
                names.set(osThreadNames());
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        loader.join();
        assertThat(failed.get()).isNull();
        // 3 intra-op threads: the caller's own plus 2 new pool threads (other tests' sessions may still be open)
        assertThat(count(names.get(), OnnxBackend.INTRA_OP_THREAD_NAME) - count(before.get(), OnnxBackend.INTRA_OP_THREAD_NAME)).isEqualTo(2);
        // only the loader itself: neither the session's threads nor the process's ONNX Runtime environment (made by
        // the first backend of the JVM, perhaps this one) took its name
        assertThat(count(names.get(), "pack-loader-x")).isEqualTo(1);
    }

    private static long count(List<String> names, String name) {
        return names.stream().filter(name::equals).count();
    }

    /** The kernel's name (comm) of every thread of this process. */
    private static List<String> osThreadNames() throws Exception {
        List<String> names = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : tasks.toList()) {
                names.add(Files.readString(t.resolve("comm")).strip());
            }
        }
        return names;
    }
}
