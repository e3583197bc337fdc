package io.imagescore.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class DurableFilesTest {
    @TempDir
    Path dir;

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    List<String> names(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void replace_create_and_directories_publish_complete_content_and_leave_no_temporaries() throws Exception {
        Path f = dir.resolve("a/b/ACTIVE");
        DurableFiles.replaceFile(f, b("1"));
        DurableFiles.replaceFile(f, b("2"));
        assertThat(f).hasContent("2");

        Path v = dir.resolve("a/b/1.json");
        assertThat(DurableFiles.createFile(v, b("{\"v\":1}"))).isTrue();
        assertThat(DurableFiles.createFile(v, b("{\"v\":\"other\"}"))).as("never over an existing file").isFalse();
        assertThat(v).hasContent("{\"v\":1}");

        Path h = dir.resolve("heads/q/1");
        assertThat(DurableFiles.createDirectory(h, Map.of("head.json", b("{}"), "weights.safetensors", b("w")))).isTrue();
        assertThat(DurableFiles.createDirectory(h, Map.of("head.json", b("{\"x\":1}")))).isFalse();
        assertThat(h.resolve("head.json")).hasContent("{}");
        assertThat(names(h)).containsExactly("head.json", "weights.safetensors");

        assertThat(names(dir.resolve("a/b"))).containsExactly("1.json", "ACTIVE");
        assertThat(names(dir.resolve("heads/q"))).containsExactly("1");
    }

    @Test
    void concurrent_creators_of_one_name_have_exactly_one_winner() throws Exception {
        Set<Integer> winners = ConcurrentHashMap.newKeySet();
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            for (int round = 0; round < 20; round++) {
                Path file = dir.resolve("f" + round);
                Path d = dir.resolve("d" + round);
                List<Future<?>> fs = new java.util.ArrayList<>();
                winners.clear();
                for (int i = 0; i < 8; i++) {
                    int id = i;
                    fs.add(pool.submit(() -> {
                        if (DurableFiles.createFile(file, b("writer " + id))) {
                            winners.add(id);
                        }
                        if (DurableFiles.createDirectory(d, Map.of("x", b("writer " + id)))) {
                            winners.add(100 + id);
                        }
                        return null;
                    }));
                }
                for (Future<?> fu : fs) {
                    fu.get();
                }
                assertThat(winners.stream().filter(w -> w < 100)).hasSize(1);
                assertThat(winners.stream().filter(w -> w >= 100)).hasSize(1);
                int fileWinner = winners.stream().filter(w -> w < 100).findFirst().orElseThrow();
                int dirWinner = winners.stream().filter(w -> w >= 100).findFirst().orElseThrow() - 100;
                assertThat(file).hasContent("writer " + fileWinner);
                assertThat(d.resolve("x")).hasContent("writer " + dirWinner);
            }
        }
        try (Stream<Path> s = Files.walk(dir)) {
            assertThat(s.filter(DurableFiles::isTemporary)).isEmpty();
        }
    }

    @Test
    void only_stale_temporaries_are_removed() throws Exception {
        Path old = Files.writeString(dir.resolve(DurableFiles.TEMP_PREFIX + "1.json-123"), "{\"trunc");
        Path oldDir = Files.createDirectories(dir.resolve("h/" + DurableFiles.TEMP_PREFIX + "2-456"));
        Files.writeString(oldDir.resolve("head.json"), "{}");
        Path fresh = Files.writeString(dir.resolve(DurableFiles.TEMP_PREFIX + "3.json-789"), "{}");
        Path keep = Files.writeString(dir.resolve("1.json"), "{}");
        FileTime hourAgo = FileTime.from(Instant.now().minus(Duration.ofHours(1)));
        Files.setLastModifiedTime(old, hourAgo);
        Files.setLastModifiedTime(oldDir, hourAgo);

        assertThat(DurableFiles.removeStaleTemporaries(dir)).isEqualTo(2);
        assertThat(old).doesNotExist();
        assertThat(oldDir).doesNotExist();
        assertThat(fresh).as("may belong to a live writer in another process").exists();
        assertThat(keep).exists();
        assertThat(DurableFiles.removeStaleTemporaries(dir, Duration.ZERO)).isEqualTo(1);
        assertThat(fresh).doesNotExist();
        assertThat(DurableFiles.removeStaleTemporaries(dir.resolve("missing"))).isZero();
    }
}
