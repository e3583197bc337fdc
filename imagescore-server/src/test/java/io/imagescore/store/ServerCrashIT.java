package io.imagescore.store;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.imagescore.api.v1.ActivatePromptSetVersionRequest;
import io.imagescore.api.v1.CreatePromptSetVersionRequest;
import io.imagescore.api.v1.DescribePacksRequest;
import io.imagescore.api.v1.FitHeadRequest;
import io.imagescore.api.v1.FitKind;
import io.imagescore.api.v1.GetPromptSetRequest;
import io.imagescore.api.v1.GetRegulationRequest;
import io.imagescore.api.v1.HeadFittingGrpc;
import io.imagescore.api.v1.ImageInput;
import io.imagescore.api.v1.ImageScoreGrpc;
import io.imagescore.api.v1.ImageSortGrpc;
import io.imagescore.api.v1.LabelledImage;
import io.imagescore.api.v1.ListPromptSetsRequest;
import io.imagescore.api.v1.ListRegulationsRequest;
import io.imagescore.api.v1.PromptAttribute;
import io.imagescore.api.v1.PromptPair;
import io.imagescore.api.v1.PromptSetSpec;
import io.imagescore.api.v1.PromptSetsGrpc;
import io.imagescore.api.v1.PutRegulationRequest;
import io.imagescore.api.v1.Regulation;
import io.imagescore.api.v1.ScoreDescription;
import io.imagescore.api.v1.ScoreOptions;
import io.imagescore.api.v1.ScoreRequest;
import io.imagescore.testing.ServerProcess;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * kill -9 of the server process itself (the packaged app, a child JVM) while four gRPC clients write: prompt-set
 * versions, activations, regulations and fitted heads (small, fast fits). {@value #ROUNDS} rounds on one data
 * directory or one PostgreSQL schema; after each restart the server is ready, every acknowledged write is there and
 * readable (every listed version can be read or scored: nothing partial is served), and the active prompt-set version
 * is the last acknowledged activation (or the one in flight at the kill). Retention is off (every version is kept) and
 * the version quotas are raised, so that nothing acknowledged may go. {@link StoreCrashTest} does the same against the
 * store classes in a writer process without the service around them.
 */
@Tag("slow")
class ServerCrashIT {
    static final int ROUNDS = 6;
    static final String SET = "crash_set", ACTIVE_SET = "crash_active", REGULATION = "crash_rooms", HEAD = "crash_head";

    @TempDir
    Path tmp;

    @Test
    void local_store_keeps_every_acknowledged_write_across_kill_9() throws Exception {
        crashRounds(Map.of());
    }

    @Test
    void postgresql_store_keeps_every_acknowledged_write_across_kill_9() throws Exception {
        var schema = PgTestDatabase.freshSchema();
        try {
            crashRounds(Map.of("imagescore.store.kind", "postgresql", "quarkus.datasource.jdbc.url", PgTestDatabase.jdbcUrl(schema)));
        } finally {
            PgTestDatabase.dropSchema(schema);
        }
    }

    /** What the clients were told was stored, over all rounds. */
    static final class Acknowledged {
        final Map<String, String> promptVersions = new ConcurrentHashMap<>();   // version → content hash
        final Set<String> activeSetVersions = ConcurrentHashMap.newKeySet();
        final Set<String> regulationVersions = ConcurrentHashMap.newKeySet();
        final Set<String> headVersions = ConcurrentHashMap.newKeySet();
        volatile String lastActivation;
        volatile String activationInFlight;
    }

    void crashRounds(Map<String, String> store) throws Exception {
        long seed = Long.getLong("crash.seed", System.nanoTime());
        System.out.println("ServerCrashIT seed (-Dcrash.seed=" + seed + " repeats the kill times)");
        Random random = new Random(seed);
        Map<String, String> props = new HashMap<>(store);
        props.putAll(Map.of("imagescore.retention.head-versions", "0", "imagescore.retention.prompt-set-versions", "0",
                "imagescore.quotas.prompt-set-versions", "100000", "imagescore.quotas.regulation-versions", "100000",
                "imagescore.quotas.head-versions", "100000"));
        FitHeadRequest fit = fitRequest();
        Acknowledged ack = new Acknowledged();
        Path dir = tmp.resolve("server");
        for (int round = 1; round <= ROUNDS; round++) {
            long t0 = System.nanoTime();
            ServerProcess server = ServerProcess.start(dir, props);
            long startMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", server.port()).usePlaintext()
                    .maxInboundMessageSize(64 << 20).build();
            try {
                if (round > 1) {
                    verify(channel, ack, round);
                }
                var counts = writeUntilKilled(channel, server, ack, fit, random.nextInt(800));
                System.out.printf("ServerCrashIT %s round %d: started in %d ms, acknowledged %d prompt-set versions, %d activations,"
                        + " %d regulation versions, %d head versions before kill -9%n", store.isEmpty() ? "local" : "postgresql",
                        round, startMs, counts.get(0), counts.get(1), counts.get(2), counts.get(3));
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                server.process().destroyForcibly();
                server.process().waitFor(30, TimeUnit.SECONDS);
            }
        }
        ServerProcess last = ServerProcess.start(dir, props);
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", last.port()).usePlaintext().build();
        try {
            verify(channel, ack, ROUNDS + 1);
            assertThat(ack.headVersions).as("some head fits were acknowledged").isNotEmpty();
            assertThat(ack.promptVersions).isNotEmpty();
            assertThat(ack.regulationVersions).isNotEmpty();
            if (store.isEmpty()) {
                aSecondServerOnTheDataDirectoryStopsItsStart(last, dir.resolve("data"), props);
            }
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            last.process().destroyForcibly();
            last.process().waitFor(30, TimeUnit.SECONDS);
        }
    }

    /**
     * One writing server per local data directory: a second server on the running one's directory exits at once with
     * status 1 and one message naming the directory, the holder and the way out, no stack trace. (Every round above
     * restarts on the directory after kill -9: the OS dropped the killed server's lock.)
     */
    void aSecondServerOnTheDataDirectoryStopsItsStart(ServerProcess running, Path dataDir, Map<String, String> props) throws Exception {
        Map<String, String> same = new HashMap<>(props);
        same.put("imagescore.data-dir", dataDir.toString());
        long t0 = System.nanoTime();
        ServerProcess second = ServerProcess.launch(tmp.resolve("second"), same);
        try {
            assertThat(second.process().waitFor(120, TimeUnit.SECONDS)).as("the second server exits by itself").isTrue();
            System.out.printf("ServerCrashIT: a second server on the data directory exited with %d after %d ms%n",
                    second.process().exitValue(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            String log = second.output();
            assertThat(second.process().exitValue()).as(log).isEqualTo(1);
            assertThat(log).contains("imagescore.data-dir " + dataDir + " is in use by another process (pid "
                            + running.process().pid() + ")", "imagescore.store.kind=postgresql")
                    .as("no stack trace").doesNotContain("\tat ");
            assertThat(running.readiness()).as("the first server serves on").isEqualTo(200);
        } finally {
            second.process().destroyForcibly();
        }
    }

    /**
     * Four writer threads until SIGKILL, {@code killAfterMs} after each has had a write acknowledged (so every kind of
     * write is in flight at some kill); returns the acknowledged counts.
     */
    AtomicIntegerArray writeUntilKilled(ManagedChannel channel, ServerProcess server, Acknowledged ack, FitHeadRequest fit, int killAfterMs)
            throws Exception {
        var sets = PromptSetsGrpc.newBlockingStub(channel);
        var sort = ImageSortGrpc.newBlockingStub(channel);
        var heads = HeadFittingGrpc.newBlockingStub(channel);
        AtomicBoolean dead = new AtomicBoolean();
        AtomicIntegerArray counts = new AtomicIntegerArray(4);
        List<Runnable> writers = List.of(
                () -> {
                    for (long n = 0; ; n++) {
                        var v = sets.withDeadlineAfter(30, TimeUnit.SECONDS).createPromptSetVersion(CreatePromptSetVersionRequest.newBuilder()
                                .setName(SET).setSpec(spec(n)).build());
                        ack.promptVersions.put(v.getRef().getVersion(), v.getRef().getContentHash());
                        counts.incrementAndGet(0);
                    }
                },
                () -> {
                    if (ack.activeSetVersions.size() < 3) {
                        for (int i = 0; i < 3; i++) {
                            ack.activeSetVersions.add(sets.withDeadlineAfter(30, TimeUnit.SECONDS).createPromptSetVersion(
                                    CreatePromptSetVersionRequest.newBuilder().setName(ACTIVE_SET).setSpec(spec(i)).build()).getRef().getVersion());
                        }
                    }
                    List<String> versions = List.copyOf(ack.activeSetVersions);
                    for (int n = 0; ; n++) {
                        String v = versions.get(n % versions.size());
                        ack.activationInFlight = v;
                        sets.withDeadlineAfter(30, TimeUnit.SECONDS).activatePromptSetVersion(ActivatePromptSetVersionRequest.newBuilder()
                                .setName(ACTIVE_SET).setVersion(v).build());
                        ack.lastActivation = v;
                        ack.activationInFlight = null;
                        counts.incrementAndGet(1);
                    }
                },
                () -> {
                    while (true) {
                        ack.regulationVersions.add(sort.withDeadlineAfter(30, TimeUnit.SECONDS).putRegulation(PutRegulationRequest.newBuilder()
                                .setName(REGULATION).setRegulation(ROOMS).build()).getVersion());
                        counts.incrementAndGet(2);
                    }
                },
                () -> {
                    while (true) {
                        ack.headVersions.add(heads.withDeadlineAfter(60, TimeUnit.SECONDS).fitHead(fit).getVersion());
                        counts.incrementAndGet(3);
                    }
                });
        CountDownLatch done = new CountDownLatch(writers.size());
        List<Throwable> unexpected = java.util.Collections.synchronizedList(new ArrayList<>());
        for (Runnable w : writers) {
            Thread.ofPlatform().start(() -> {
                try {
                    w.run();
                } catch (StatusRuntimeException e) {
                    if (!dead.get()) {
                        unexpected.add(e);
                    }
                } catch (RuntimeException e) {
                    unexpected.add(e);
                } finally {
                    done.countDown();
                }
            });
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (IntStream.range(0, 4).anyMatch(i -> counts.get(i) == 0) && unexpected.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Thread.sleep(killAfterMs);
        dead.set(true);
        server.process().destroyForcibly(); // SIGKILL
        assertThat(done.await(60, TimeUnit.SECONDS)).as("the writers stop once the server is gone").isTrue();
        assertThat(unexpected).as("writes refused before the kill:\n%s", server.output()).isEmpty();
        assertThat(IntStream.range(0, 4).map(counts::get)).as("every kind of write was acknowledged before the kill").allMatch(c -> c > 0);
        return counts;
    }

    /** After a restart: every acknowledged write is there, everything listed can be read, the activation held. */
    void verify(ManagedChannel channel, Acknowledged ack, int round) {
        var sets = PromptSetsGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        var sort = ImageSortGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        var score = ImageScoreGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        String at = "after restart " + (round - 1);

        var listed = sets.listPromptSets(ListPromptSetsRequest.getDefaultInstance()).getPromptSetsList();
        var set = listed.stream().filter(s -> s.getName().equals(SET)).findFirst();
        assertThat(set.isPresent() || ack.promptVersions.isEmpty()).as(at + ": the prompt set is listed").isTrue();
        List<String> setVersions = set.<List<String>>map(s -> s.getVersionsList()).orElse(List.of());
        assertThat(setVersions).as(at + ": acknowledged prompt-set versions").containsAll(ack.promptVersions.keySet());
        for (String v : setVersions) {
            var read = sets.getPromptSet(GetPromptSetRequest.newBuilder().setName(SET).setVersion(v).build());
            if (ack.promptVersions.containsKey(v)) {
                assertThat(read.getRef().getContentHash()).as(at + ": prompt-set version " + v).isEqualTo(ack.promptVersions.get(v));
            }
        }
        if (ack.lastActivation != null || ack.activationInFlight != null) {
            String active = sets.getPromptSet(GetPromptSetRequest.newBuilder().setName(ACTIVE_SET).build()).getRef().getVersion();
            assertThat(active).as(at + ": the active version is the last acknowledged activation or the one in flight")
                    .isIn(ack.lastActivation, ack.activationInFlight);
            ack.lastActivation = active; // what the next round starts from
            ack.activationInFlight = null;
        }

        var regs = sort.listRegulations(ListRegulationsRequest.getDefaultInstance()).getRegulationsList().stream()
                .filter(r -> r.getName().equals(REGULATION)).findFirst();
        if (!ack.regulationVersions.isEmpty()) {
            assertThat(regs).as(at).isPresent();
            assertThat(regs.get().getVersionsList()).as(at + ": acknowledged regulation versions").containsAll(ack.regulationVersions);
            for (String v : regs.get().getVersionsList()) {
                assertThat(sort.getRegulation(GetRegulationRequest.newBuilder().setName(REGULATION).setVersion(v).build())
                        .getRegulation().getClassesList()).as(at + ": regulation version " + v).isEqualTo(ROOMS.getClassesList());
            }
        }

        var described = score.describePacks(DescribePacksRequest.getDefaultInstance()).getPacks(0).getScoresList().stream()
                .filter(s -> s.getName().equals(HEAD)).findFirst();
        if (!ack.headVersions.isEmpty()) {
            assertThat(described).as(at).isPresent();
            List<String> served = described.map(ScoreDescription::getVersionsList).orElseThrow();
            assertThat(served).as(at + ": acknowledged head versions").containsAll(ack.headVersions);
            ScoreRequest.Builder r = ScoreRequest.newBuilder().addImages(ImageInput.newBuilder().setId("p")
                    .setData(ByteString.copyFrom(Shared.bytes("data/clive/images/1000.JPG"))));
            ScoreOptions.Builder o = ScoreOptions.newBuilder();
            served.forEach(v -> o.addScores(HEAD + "@" + v));
            var result = score.score(r.setOptions(o).build()).getResults(0);
            assertThat(result.hasScores()).as(at + ": every served head version scores: " + result).isTrue();
            assertThat(result.getScores().getScoresList()).as(at).hasSize(served.size())
                    .allSatisfy(s -> assertThat(s.getValue()).isFinite());
        }
    }

    static final Regulation ROOMS = Regulation.newBuilder().setClassifier("imagenet")
            .addAllClasses(List.of("quilt", "bathtub", "microwave", "dining table")).build();

    static PromptSetSpec spec(long n) {
        return PromptSetSpec.newBuilder().setDescription("crash " + n).addAttributes(PromptAttribute.newBuilder().setName("good")
                .addPairs(PromptPair.newBuilder().setPositive("Good photo " + n + ".").setNegative("Bad photo."))).build();
    }

    /** A small, fast regression fit: ten photos, the center view, two folds. */
    static FitHeadRequest fitRequest() {
        FitHeadRequest.Builder f = FitHeadRequest.newBuilder().setName(HEAD).setKind(FitKind.FIT_KIND_REGRESSION).addViews("center").setFolds(2);
        for (int i = 0; i < 10; i++) {
            String file = "data/clive/images/10%02d.JPG".formatted(i);
            f.addImages(LabelledImage.newBuilder().setId(file).setData(ByteString.copyFrom(Shared.bytes(file))).setTarget(40 + 3 * i));
        }
        return f.build();
    }
}
