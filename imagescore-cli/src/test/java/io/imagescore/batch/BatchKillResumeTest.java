package io.imagescore.batch;

import io.imagescore.testing.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Resume after real kills: the batch tool runs as a child JVM ({@code imagescore batch --embedded}) and is killed
 * with SIGKILL at several points — during start-up, right after the first part file, after several journal lines,
 * and at timed moments — then the same command is rerun until it finishes. The result must hold every manifest id
 * exactly once.
 */
class BatchKillResumeTest {
    @TempDir
    Path tmp;

    private Process start(Path manifest, Path out) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = List.of(java, "--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector", "-Xss16m", "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), "io.imagescore.cli.ImageScoreCli", "batch",
                "--manifest", manifest.toString(), "--embedded", "--shared", Shared.dir().toString(),
                "--out", out.toString(), "--chunk-size", "3", "--in-flight", "6", "--workers", "1", "--batch", "3",
                "--onnx-threads", "1", "--progress", "none");
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile()).start();
    }

    private static long lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file).size() : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static long parts(Path out) {
        try {
            return Files.exists(out.resolve("parts")) ? RunDirectory.partFiles(out).size() : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /** Starts the tool, waits until {@code when} holds (or the child exits), kills it with SIGKILL. True if killed alive. */
    private boolean killWhen(Path manifest, Path out, Predicate<Path> when, long timeoutMs) throws Exception {
        Process p = start(manifest, out);
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (p.isAlive() && !when.test(out) && System.currentTimeMillis() < deadline) {
            Thread.sleep(5);
        }
        boolean alive = p.isAlive();
        p.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no flushing
        p.waitFor(30, TimeUnit.SECONDS);
        return alive;
    }

    @Test
    void killed_at_several_points_then_rerun_gives_exactly_one_row_per_image() throws Exception {
        Map<String, String> entries = new LinkedHashMap<>(BatchFixtures.photos(40));
        entries.put("text", BatchFixtures.notAnImage(tmp).toString());
        entries.put("missing", tmp.resolve("gone.jpg").toString());
        Path manifest = BatchFixtures.csv(tmp.resolve("m.csv"), entries);
        Path out = tmp.resolve("out");
        Path journal = out.resolve("journal.jsonl");

        List<Boolean> killedAlive = new ArrayList<>();
        killedAlive.add(killWhen(manifest, out, o -> Files.exists(o.resolve("run.json")), 60_000)); // during start-up
        killedAlive.add(killWhen(manifest, out, o -> parts(o) >= 1, 60_000));                      // right after a commit
        long before = parts(out);
        killedAlive.add(killWhen(manifest, out, o -> lines(journal) >= before + 3, 60_000));         // mid-run
        // Arbitrary moments, but never later than 4 chunks before the end: on a fast machine a timed kill alone can
        // come after the run has finished, and then the final rerun would test nothing.
        for (int delay : new int[] {1500, 2500}) {
            long t0 = System.currentTimeMillis();
            killedAlive.add(killWhen(manifest, out,
                    o -> System.currentTimeMillis() - t0 > delay || lines(journal) >= 10, 60_000));
        }
        assertThat(killedAlive).as("the first three kills hit a running process").startsWith(true, true, true);
        long committedBeforeFinal = parts(out);
        assertThat(committedBeforeFinal).as("kills left the run unfinished").isLessThan(14);

        Process last = start(manifest, out);
        assertThat(last.waitFor(180, TimeUnit.SECONDS)).isTrue();
        assertThat(last.exitValue()).as(Files.readString(tmp.resolve("child.log"))).isEqualTo(2); // 2 broken entries

        List<BatchRow> rows = BatchFixtures.rows(out, OutputFormat.CSV, BatchFixtures.IMAGENET);
        assertThat(rows).extracting(BatchRow::id).containsExactlyElementsOf(entries.keySet());
        assertThat(rows.stream().filter(BatchRow::failed)).extracting(BatchRow::id).containsExactlyInAnyOrder("text", "missing");
        assertThat(lines(journal)).isEqualTo(14); // 42 images / 3 per chunk, one journal line each
        try (var s = Files.list(out.resolve("parts"))) {
            assertThat(s.filter(p -> p.toString().endsWith(".tmp"))).isEmpty();
        }
    }
}
