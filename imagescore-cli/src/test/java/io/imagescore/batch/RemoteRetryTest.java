package io.imagescore.batch;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.imagescore.api.v1.DescribePacksRequest;
import io.imagescore.api.v1.DescribePacksResponse;
import io.imagescore.api.v1.ImageError;
import io.imagescore.api.v1.ImageResult;
import io.imagescore.api.v1.ImageScoreGrpc;
import io.imagescore.api.v1.ImageScores;
import io.imagescore.api.v1.NamedScore;
import io.imagescore.api.v1.PackDescription;
import io.imagescore.api.v1.PackRef;
import io.imagescore.api.v1.ScoreDescription;
import io.imagescore.api.v1.ScoreKind;
import io.imagescore.api.v1.ScoreOptions;
import io.imagescore.api.v1.ScoreStreamRequest;
import io.imagescore.api.v1.ScoreStreamResponse;
import io.imagescore.api.v1.StreamHeader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The remote target's retry logic against a deliberately flaky ScoreStream server: the first image stream dies with
 * UNAVAILABLE after answering two images, and one image gets a per-image BACKEND_UNAVAILABLE once. Scores here are
 * just the byte length (the server is a fault injector, not a model); what is checked is that every image ends up
 * with exactly one row and the retried ones are scored, not failed.
 */
class RemoteRetryTest {
    @TempDir
    Path tmp;
    Server server;

    static class FlakyService extends ImageScoreGrpc.ImageScoreImplBase {
        final AtomicInteger imageStreams = new AtomicInteger();
        final Set<String> failedOnce = ConcurrentHashMap.newKeySet();

        @Override
        public void describePacks(DescribePacksRequest request, StreamObserver<DescribePacksResponse> out) {
            out.onNext(DescribePacksResponse.newBuilder().setDefaultPack("fake").addPacks(PackDescription.newBuilder()
                    .setRef(ref()).addScores(ScoreDescription.newBuilder().setName("bytes").setVersion("1").setKind(ScoreKind.SCORE_KIND_SCALAR))).build());
            out.onCompleted();
        }

        static PackRef ref() {
            return PackRef.newBuilder().setName("fake").setVersion("1").setContentHash("abc").build();
        }

        @Override
        public StreamObserver<ScoreStreamRequest> scoreStream(StreamObserver<ScoreStreamResponse> out) {
            return new StreamObserver<>() {
                int images;
                int stream;
                boolean dead;

                @Override
                public synchronized void onNext(ScoreStreamRequest r) {
                    if (dead) {
                        return;
                    }
                    if (r.hasOptions()) {
                        out.onNext(ScoreStreamResponse.newBuilder().setHeader(StreamHeader.newBuilder().setPack(ref())
                                .setPreprocessingId("fake-pre").setWindow(4)).build());
                        return;
                    }
                    if (images++ == 0) {
                        stream = imageStreams.incrementAndGet();
                    }
                    String id = r.getImage().getId();
                    if (stream == 1 && images == 3) {
                        dead = true;
                        out.onError(Status.UNAVAILABLE.withDescription("injected: connection lost").asRuntimeException());
                        return;
                    }
                    ImageResult.Builder result = ImageResult.newBuilder().setId(id);
                    if (id.equals("p5") && failedOnce.add(id)) {
                        result.setError(ImageError.newBuilder().setCode("BACKEND_UNAVAILABLE").setMessage("injected"));
                    } else {
                        result.setScores(ImageScores.newBuilder().setContentSha256("x").addScores(NamedScore.newBuilder()
                                .setName("bytes").setVersion("1").setValue(r.getImage().getData().size())));
                    }
                    out.onNext(ScoreStreamResponse.newBuilder().setResult(result).build());
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public synchronized void onCompleted() {
                    if (!dead) {
                        out.onCompleted();
                    }
                }
            };
        }
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.shutdownNow();
        }
    }

    @Test
    void a_stream_lost_midway_and_a_transient_image_error_are_retried_so_every_image_has_one_scored_row() throws Exception {
        FlakyService service = new FlakyService();
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service).build().start();
        Map<String, String> entries = new LinkedHashMap<>(BatchFixtures.photos(12));
        Path m = BatchFixtures.csv(tmp.resolve("m.csv"), entries);
        Backoff fast = new Backoff(10, 100, 5);
        RemoteTarget target = new RemoteTarget("127.0.0.1:" + server.getPort(), RemoteTarget.Tls.NONE, 1, 4,
                ScoreOptions.getDefaultInstance(), fast);
        var settings = new BatchRunner.Settings(new Input(m, null, null, null), Shard.ALL, tmp.resolve("out"), OutputFormat.JSONL,
                5, 8, false, List.of(), "exact", fast, Progress.Mode.NONE, 10_000);
        BatchSummary s = new BatchRunner(settings, target, new PrintStream(new ByteArrayOutputStream())).run();

        assertThat(s.error()).isNull();
        assertThat(s.exitCode()).isZero();
        assertThat(service.imageStreams.get()).as("the lane reconnected").isGreaterThanOrEqualTo(2);
        assertThat(service.failedOnce).containsExactly("p5");
        List<BatchRow> rows = BatchFixtures.rows(tmp.resolve("out"), OutputFormat.JSONL, new OutputSchema(List.of("bytes@1"), List.of(), false));
        assertThat(rows).extracting(BatchRow::id).containsExactlyElementsOf(entries.keySet());
        for (BatchRow r : rows) {
            assertThat(r.failed()).isFalse();
            assertThat(r.scalars().get("bytes@1")).isEqualTo((double) Files.size(Path.of(entries.get(r.id()))));
            assertThat(r.packName()).isEqualTo("fake");
            assertThat(r.preprocessingId()).isEqualTo("fake-pre");
        }
    }

    @Test
    void a_service_that_rejects_the_options_stops_the_run_with_exit_code_1() throws Exception {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(new ImageScoreGrpc.ImageScoreImplBase() {
            @Override
            public void describePacks(DescribePacksRequest request, StreamObserver<DescribePacksResponse> out) {
                out.onError(Status.NOT_FOUND.withDescription("unknown pack 'nope'").asRuntimeException());
            }
        }).build().start();
        Path m = BatchFixtures.csv(tmp.resolve("m.csv"), BatchFixtures.photos(2));
        RemoteTarget target = new RemoteTarget("127.0.0.1:" + server.getPort(), RemoteTarget.Tls.NONE, 1, 4,
                ScoreOptions.newBuilder().setPack("nope").build(), new Backoff(10, 100, 3));
        var settings = new BatchRunner.Settings(new Input(m, null, null, null), Shard.ALL, tmp.resolve("out"), OutputFormat.CSV,
                5, 8, false, List.of(), "exact", Backoff.DEFAULT, Progress.Mode.NONE, 10_000);
        BatchSummary s = new BatchRunner(settings, target, new PrintStream(new ByteArrayOutputStream())).run();
        assertThat(s.exitCode()).isEqualTo(1);
        assertThat(s.error()).hasMessageContaining("unknown pack");
    }

    @Test
    void streams_rotated_before_a_proxy_timeout_lose_nothing_and_send_every_image_once() throws Exception {
        AtomicInteger streams = new AtomicInteger();
        Map<String, AtomicInteger> sent = new ConcurrentHashMap<>();
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(new FlakyService() {
            @Override
            public StreamObserver<ScoreStreamRequest> scoreStream(StreamObserver<ScoreStreamResponse> out) {
                streams.incrementAndGet();
                return new StreamObserver<>() {
                    @Override
                    public synchronized void onNext(ScoreStreamRequest r) {
                        if (r.hasOptions()) {
                            out.onNext(ScoreStreamResponse.newBuilder().setHeader(StreamHeader.newBuilder().setPack(ref())
                                    .setPreprocessingId("fake-pre").setWindow(4)).build());
                            return;
                        }
                        sent.computeIfAbsent(r.getImage().getId(), k -> new AtomicInteger()).incrementAndGet();
                        out.onNext(ScoreStreamResponse.newBuilder().setResult(ImageResult.newBuilder().setId(r.getImage().getId())
                                .setScores(ImageScores.newBuilder().setContentSha256("x").addScores(NamedScore.newBuilder()
                                        .setName("bytes").setVersion("1").setValue(r.getImage().getData().size())))).build());
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public synchronized void onCompleted() {
                        out.onCompleted();
                    }
                };
            }
        }).build().start();
        Map<String, String> entries = new LinkedHashMap<>(BatchFixtures.photos(12));
        Path m = BatchFixtures.csv(tmp.resolve("m.csv"), entries);
        Backoff fast = new Backoff(10, 100, 1);
        // 1 ms: every stream is rotated after its first images, many times over the run
        RemoteTarget target = new RemoteTarget("127.0.0.1:" + server.getPort(), RemoteTarget.Tls.NONE, 1, 4,
                ScoreOptions.getDefaultInstance(), fast).withStreamMaxDuration(java.time.Duration.ofMillis(1));
        var settings = new BatchRunner.Settings(new Input(m, null, null, null), Shard.ALL, tmp.resolve("out"), OutputFormat.JSONL,
                5, 8, false, List.of(), "exact", fast, Progress.Mode.NONE, 10_000);
        BatchSummary s = new BatchRunner(settings, target, new PrintStream(new ByteArrayOutputStream())).run();

        assertThat(s.error()).isNull();
        assertThat(s.exitCode()).isZero();
        assertThat(streams.get()).as("streams opened").isGreaterThanOrEqualTo(3);
        assertThat(sent.keySet()).containsExactlyInAnyOrderElementsOf(entries.keySet());
        assertThat(sent.values()).as("each image sent once: a rotation is not a failure").allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
        List<BatchRow> rows = BatchFixtures.rows(tmp.resolve("out"), OutputFormat.JSONL, new OutputSchema(List.of("bytes@1"), List.of(), false));
        assertThat(rows).extracting(BatchRow::id).containsExactlyElementsOf(entries.keySet());
    }
}
