package io.imagescore.store;

import io.imagescore.sort.LocalRegulationStore;
import io.imagescore.prompt.LocalPromptSetStore;
import io.imagescore.pack.HeadVersion;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackLoader;
import io.imagescore.prompt.PromptSetStore;
import io.imagescore.sort.RegulationStore;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kills a process that is writing prompt-set versions, activations, regulations and fitted heads (four threads,
 * {@link StoreCrashWriter}) with SIGKILL at a random moment, several rounds on the same data directory, and after each
 * kill reopens the stores as a restarted server would: opening never fails, every acknowledged write is there and
 * readable, version numbers were never handed out twice, the active prompt-set version is the last acknowledged
 * activation (or the one in flight at the kill), and nothing partial or temporary is served.
 */
@Tag("slow") // ≈ 20 s: six child JVMs
class StoreCrashTest {
    static final int ROUNDS = 6;

    @TempDir
    Path tmp;

    @Test
    void every_acknowledged_write_survives_sigkill_and_nothing_partial_is_served() throws Exception {
        Path data = tmp.resolve("data");
        long seed = Long.getLong("crash.seed", System.nanoTime());
        System.out.println("StoreCrashTest seed (-Dcrash.seed=" + seed + " repeats the kill times)");
        Random random = new Random(seed);
        ModelPack pack = StoreFixtures.defaultPack();
        PackLoader loader = new PackLoader(Shared.dir());
        Path headsRoot = data.resolve("heads").resolve(pack.name());

        Map<String, String> promptVersions = new HashMap<>();   // version → content hash, all rounds
        Set<String> regulationVersions = new HashSet<>();
        Map<String, Long> headVersions = new HashMap<>();       // version → seq in its training metadata
        String active = null;
        int acknowledged = 0;
        for (int round = 0; round < ROUNDS; round++) {
            long t0 = System.nanoTime();
            int writeMillis = 150 + random.nextInt(700);
            List<String> lines = runAndKill(data, writeMillis, round);
            String inFlight = null;
            for (String line : lines) {
                String[] f = line.split(" ");
                switch (f[0]) {
                    case "P" -> assertThat(promptVersions.put(f[1], f[2])).as("prompt-set version %s acknowledged twice", f[1]).isNull();
                    case "A?" -> inFlight = f[1];
                    case "A" -> {
                        active = f[1];
                        inFlight = null;
                    }
                    case "R" -> assertThat(regulationVersions.add(f[1])).as("regulation version %s acknowledged twice", f[1]).isTrue();
                    case "H" -> assertThat(headVersions.put(f[1], Long.parseLong(f[2]))).as("head version %s acknowledged twice", f[1]).isNull();
                    case "READY" -> {
                    }
                    default -> throw new AssertionError("unexpected line from the writer: " + line);
                }
                acknowledged++;
            }

            long t1 = System.nanoTime();
            // Reopen, as a restarted server: none of this may throw.
            PromptSetStore prompts = new LocalPromptSetStore(data.resolve("prompt-sets"));
            RegulationStore regulations = new LocalRegulationStore(data);
            ModelPack overlaid = loader.withOverlay(pack, headsRoot);

            for (Map.Entry<String, String> p : promptVersions.entrySet()) {
                assertThat(prompts.get(StoreFixtures.TENANT, StoreFixtures.SET, p.getKey()).contentHash())
                        .as("round %d: prompt-set version %s", round, p.getKey()).isEqualTo(p.getValue());
            }
            String served = prompts.get(StoreFixtures.TENANT, StoreFixtures.SET, "").version();
            if (inFlight == null) {
                assertThat(served).as("round %d: active version = last acknowledged activation", round).isEqualTo(active);
            } else {
                assertThat(served).as("round %d: active version = last acknowledged activation or the one in flight", round)
                        .isIn(active, inFlight);
            }
            active = served;

            List<String> storedRegulations = regulations.list(StoreFixtures.TENANT).getFirst().versions();
            assertThat(storedRegulations).as("round %d: regulation versions", round).containsAll(regulationVersions);
            for (String v : storedRegulations) {
                assertThat(regulations.get(StoreFixtures.TENANT, StoreFixtures.REGULATION, v).regulation()).isEqualTo(StoreFixtures.RULES);
            }

            NavigableMap<String, HeadVersion> heads = overlaid.heads().get(StoreFixtures.HEAD);
            Set<String> servedHeads = heads == null ? Set.of() : heads.keySet();
            assertThat(servedHeads).as("round %d: head versions", round)
                    .containsAll(headVersions.keySet()).allMatch(v -> v.matches("[0-9]+"));
            for (Map.Entry<String, Long> h : headVersions.entrySet()) {
                assertThat(heads.get(h.getKey()).training().path("seq").asLong()).isEqualTo(h.getValue());
            }
            if (heads != null) {
                for (String v : heads.keySet()) {
                    assertThat(headsRoot.resolve(StoreFixtures.HEAD).resolve(v).resolve("weights.safetensors")).isRegularFile();
                }
            }
            System.out.printf("crash round %d: killed after %d ms of writing, %d lines acknowledged; child %.1f s, reopen+check %.1f s%n",
                    round, writeMillis, lines.size(), (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9);
        }
        assertThat(promptVersions).as("the writer made progress").isNotEmpty();
        assertThat(acknowledged).isGreaterThan(ROUNDS * 4);

        // Whatever the kills left under temporary names is removable and was never needed.
        DurableFiles.removeStaleTemporaries(data, Duration.ZERO);
        try (Stream<Path> s = Files.walk(data)) {
            assertThat(s.filter(DurableFiles::isTemporary)).isEmpty();
        }
        assertThat(new LocalPromptSetStore(data.resolve("prompt-sets")).get(StoreFixtures.TENANT, StoreFixtures.SET, "").version())
                .isEqualTo(active);
    }

    /**
     * Starts the writer, waits for READY, lets it write for {@code writeMillis}, SIGKILLs it and waits until it is gone;
     * its complete lines. The writer's stdout goes straight to a file, not through a pipe: Process.destroyForcibly()
     * closes the parent's end of the stdout pipe, which threw away whatever acknowledgements the parent had not read
     * yet (a lagging reader on a loaded machine), so a write the child had acknowledged looked unacknowledged — e.g.
     * the served active version 4 where the parent had seen 3 acknowledged and 6 in flight. A line written to the file
     * is in the page cache once write(2) returns, so SIGKILL cannot take it back.
     */
    private List<String> runAndKill(Path data, int writeMillis, int round) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Path acks = tmp.resolve("writer-" + round + ".out");
        Process p = new ProcessBuilder(java, "-Xmx256m", "-Dimagescore.shared=" + Shared.dir(),
                "-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
                "-cp", System.getProperty("java.class.path"), StoreCrashWriter.class.getName(), data.toString())
                .redirectOutput(acks.toFile())
                .redirectError(tmp.resolve("writer-" + round + ".log").toFile())
                .start();
        try {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);   // a JVM start on a loaded CI machine is slow
            while (!Files.readString(acks).contains("READY\n")) {
                assertThat(p.isAlive()).as("writer died before the kill; see %s", tmp.resolve("writer-" + round + ".log")).isTrue();
                assertThat(System.nanoTime()).as("writer READY within 120 s").isLessThan(until);
                Thread.sleep(10);
            }
            Thread.sleep(writeMillis);
        } finally {
            p.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, nothing flushed or finished
            // Only a reaped process has finished its system calls (a rename(2) in progress completes first): the stores
            // are read after that, never next to a writer that is still dying.
            assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("the killed writer has exited").isTrue();
        }
        String text = Files.readString(acks);
        // A line is acknowledged only when it is complete: drop what follows the last newline.
        text = text.substring(0, text.lastIndexOf('\n') + 1);
        List<String> lines = new ArrayList<>(text.lines().toList());
        assertThat(lines).contains("READY");
        return lines;
    }
}
