package io.imagescore.api;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.imagescore.api.v1.DescribePacksRequest;
import io.imagescore.api.v1.ImageScoreGrpc;
import io.imagescore.api.v1.ImageScores;
import io.imagescore.api.v1.ScoreOptions;
import io.imagescore.api.v1.ScoreRequest;
import io.imagescore.api.v1.ScoreResponse;
import io.imagescore.api.v1.ScoreStreamRequest;
import io.imagescore.api.v1.ScoreStreamResponse;
import io.imagescore.score.Engine;
import io.imagescore.image.PreprocessMode;
import io.imagescore.model.triton.TritonTestServer;
import io.imagescore.score.ImageInput;
import io.imagescore.score.Outcome;
import io.imagescore.score.ScoredImage;
import io.imagescore.score.ScoringPipeline;
import io.imagescore.testing.Shared;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static io.imagescore.api.ScoreGrpcServiceTest.photo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The whole service with {@code imagescore.backend.kind=triton} against the Triton-protocol test server: Score results
 * equal the embedded ONNX Runtime backend's within 1e-5, and one Score is traced from the RPC to the Triton call.
 */
@QuarkusTest
@TestProfile(TritonScoreTest.TritonProfile.class)
class TritonScoreTest {

    public static class TritonProfile implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(TritonTestServerResource.class));
        }

        /** Tracing on, into testing/InMemorySpans only (no OTLP exporter, so nothing dials a collector). */
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.otel.sdk.disabled", "false", "quarkus.otel.exporter.otlp.enabled", "false",
                    "quarkus.otel.bsp.schedule.delay", "20ms");
        }
    }

    @Inject
    InMemorySpanExporter spans;
    /** Injected by TritonTestServerResource. */
    TritonTestServer triton;

    static final List<String> PHOTOS = List.of("data/clive/images/1010.JPG", "data/rooms/eval/kitchen/Places365_val_00000266.jpg",
            "data/clothing/validation/shoes/24535295-abe3-4613-91f6-a7fe87954662.jpg");

    @Test
    void one_score_is_traced_from_the_rpc_through_its_stages_to_the_triton_call() throws InterruptedException {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        int callsBefore = triton.inferTraceparents().size();
        ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        String trace = traceId(1);
        try {
            scoreTraced(ch, trace);
        } finally {
            ch.shutdownNow();
        }

        List<SpanData> tree = tree(trace, SCORE);
        Map<String, List<SpanData>> byName = tree.stream().collect(Collectors.groupingBy(SpanData::getName));
        // every stage is a child of the RPC: two images → two decodes and two preprocess passes; one encoder batch
        assertStagesUnderTheRpc(tree, SCORE);
        assertThat(byName.get("decode")).hasSize(2);
        assertThat(byName.get("preprocess")).hasSize(2);
        assertThat(byName.get("heads")).hasSize(1);
        List<SpanData> inference = byName.get("inference");
        assertThat(inference).hasSize(1);

        // one client span per ModelInfer, under the inference stage, and Triton received its context as traceparent
        List<SpanData> calls = byName.get("inference.GRPCInferenceService/ModelInfer");
        assertThat(calls).hasSize(1).allSatisfy(c -> {
            assertThat(c.getKind()).isEqualTo(SpanKind.CLIENT);
            assertThat(c.getParentSpanId()).isEqualTo(inference.getFirst().getSpanId());
            assertThat(c.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
            assertThat(c.getAttributes().get(AttributeKey.longKey("rpc.grpc.status_code"))).isZero();
        });
        List<String> received = triton.inferTraceparents();
        assertThat(received.subList(callsBefore, received.size()))
                .containsExactly("00-" + trace + "-" + calls.getFirst().getSpanId() + "-"
                        + calls.getFirst().getSpanContext().getTraceFlags().asHex());
        assertThat(calls.getFirst().getSpanContext().isSampled()).isTrue();
    }

    /**
     * Scores at once, each in a trace of its own: each call's stages are children of that call's server span. Quarkus
     * keeps the current span of a request where the event loop and the worker both write (see RpcSpanInterceptor);
     * without that interceptor about half of such calls had their stages under the HTTP POST span.
     */
    @Test
    void concurrent_scores_each_trace_their_stages_under_their_own_rpc() throws Exception {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        List<String> traces = java.util.stream.IntStream.range(100, 108).mapToObj(TritonScoreTest::traceId).toList();
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(4)) {
            List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (String t : traces) {
                done.add(pool.submit(() -> scoreTraced(ch, t)));
            }
            for (var f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            ch.shutdownNow();
        }
        for (String t : traces) {
            List<SpanData> tree = tree(t, SCORE);
            assertStagesUnderTheRpc(tree, SCORE);
            assertThat(tree).filteredOn(s -> s.getName().equals("decode")).hasSize(2);
        }
    }

    /**
     * A ScoreStream is one trace too: its batches run on threads of its own (and the pool), all under the stream's
     * server span.
     */
    @Test
    void a_score_stream_traces_its_stages_under_its_rpc() throws Exception {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        String trace = traceId(200);
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        try {
            StreamObserver<ScoreStreamRequest> in = ImageScoreGrpc.newStub(ch).withInterceptors(caller(trace))
                    .withDeadlineAfter(60, TimeUnit.SECONDS).scoreStream(new StreamObserver<>() {
                        @Override
                        public void onNext(ScoreStreamResponse r) {
                        }

                        @Override
                        public void onError(Throwable t) {
                            done.completeExceptionally(t);
                        }

                        @Override
                        public void onCompleted() {
                            done.complete(null);
                        }
                    });
            in.onNext(ScoreStreamRequest.newBuilder().setOptions(ScoreOptions.newBuilder().addScores("imagenet")).build());
            PHOTOS.subList(0, 2).forEach(p -> in.onNext(ScoreStreamRequest.newBuilder().setImage(photo(p)).build()));
            in.onCompleted();
            done.get(60, TimeUnit.SECONDS);
        } finally {
            ch.shutdownNow();
        }
        List<SpanData> tree = tree(trace, SCORE_STREAM);
        assertStagesUnderTheRpc(tree, SCORE_STREAM);
        assertThat(tree).filteredOn(s -> s.getName().equals("decode")).hasSize(2);
    }

    static final String SCORE = "imagescore.v1.ImageScore/Score";
    static final String SCORE_STREAM = "imagescore.v1.ImageScore/ScoreStream";

    /** A W3C trace id of its own for each test call (the client's traceparent), so spans of other calls never mix in. */
    private static String traceId(int n) {
        return String.format("%032x", 0x7a5c_0000_0000L + n);
    }

    /** Scores the first two photos with a client span of trace {@code trace} as the caller. */
    private static void scoreTraced(ManagedChannel ch, String trace) {
        ScoreRequest.Builder req = ScoreRequest.newBuilder().setOptions(ScoreOptions.newBuilder().addScores("imagenet"));
        PHOTOS.subList(0, 2).forEach(p -> req.addImages(photo(p)));
        ImageScoreGrpc.newBlockingStub(ch).withInterceptors(caller(trace)).withDeadlineAfter(60, TimeUnit.SECONDS)
                .score(req.build());
    }

    /** Sends a client span of trace {@code trace} as the caller ({@code traceparent}). */
    private static io.grpc.ClientInterceptor caller(String trace) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER), "00-" + trace + "-00f067aa0ba902b7-01");
        return MetadataUtils.newAttachHeadersInterceptor(headers);
    }

    /** The spans of {@code trace} once the server span of {@code rpc} (which ends last) has been exported. */
    private List<SpanData> tree(String trace, String rpc) throws InterruptedException {
        for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); System.nanoTime() < until; Thread.sleep(20)) {
            if (spans.getFinishedSpanItems().stream().anyMatch(s -> s.getTraceId().equals(trace) && isServer(s, rpc))) {
                Thread.sleep(100); // the batch processor may hand a straggler over after the server span
                return spans.getFinishedSpanItems().stream().filter(s -> s.getTraceId().equals(trace)).toList();
            }
        }
        throw new AssertionError("no " + rpc + " server span of trace " + trace + " among " + spans.getFinishedSpanItems());
    }

    private static boolean isServer(SpanData s, String rpc) {
        return s.getKind() == SpanKind.SERVER && s.getName().equals(rpc);
    }

    /** decode, preprocess, inference and heads spans are there, each a child of the trace's server span of {@code rpc}. */
    private static void assertStagesUnderTheRpc(List<SpanData> tree, String rpc) {
        SpanData server = tree.stream().filter(s -> isServer(s, rpc)).findFirst().orElseThrow();
        // on failure, the whole tree (name, id, parent)
        String treeText = tree.stream().map(s -> s.getName() + " " + s.getSpanId() + " <- " + s.getParentSpanId())
                .collect(Collectors.joining("; "));
        for (String stage : List.of("decode", "preprocess", "inference", "heads")) {
            assertThat(tree).as("%s spans, parent %s, in the tree %s", stage, server.getSpanId(), treeText)
                    .filteredOn(s -> s.getName().equals(stage)).isNotEmpty()
                    .allSatisfy(s -> assertThat(s.getParentSpanId()).isEqualTo(server.getSpanId()));
        }
    }

    @Test
    void scores_through_triton_equal_the_embedded_backend() {
        ScoreResponse viaTriton = scoreViaTriton(ScoreOptions.newBuilder().addScores("imagenet").setIncludeEmbedding(true).setTopK(1000));
        try (Engine embedded = new Engine(Shared.root().resolve("packs/mobilenetv2-default"), Shared.dir(), 1)) {
            List<Outcome<ScoredImage>> local = embedded.pipeline().score(embedded.pack(),
                    PHOTOS.stream().map(p -> new ImageInput(p, Shared.bytes(p))).toList(),
                    ScoringPipeline.select(embedded.pack(), List.of("imagenet")), true, PreprocessMode.EXACT, null);
            for (int i = 0; i < PHOTOS.size(); i++) {
                ImageScores remote = viaTriton.getResults(i).getScores();
                ScoredImage mine = local.get(i).value();
                assertThat(remote.getEmbeddingCount()).isEqualTo(1280);
                for (int d = 0; d < 1280; d++) {
                    assertThat((double) remote.getEmbedding(d)).isCloseTo(mine.embedding()[d], within(1e-5));
                }
                var probs = remote.getClasses(0).getTopList();
                assertThat(probs).hasSize(1000);
                for (var p : probs) {
                    assertThat(p.getProbability()).isCloseTo(mine.classes().getFirst().probabilities()[p.getIndex()], within(1e-5));
                }
            }
        }
    }

    /** Explanations through Triton equal the embedded backend's: linear (cam), kernel (integrated gradients) and none. */
    @Test
    void explanations_through_triton_equal_the_embedded_backend() {
        List<String> scores = List.of("quality_fast", "room_type", "apparel", "imagenet");
        ScoreResponse viaTriton = scoreViaTriton(ScoreOptions.newBuilder().addAllScores(scores).setExplain(true));
        try (Engine embedded = new Engine(Shared.root().resolve("packs/mobilenetv2-default"), Shared.dir(), 1)) {
            List<Outcome<ScoredImage>> local = embedded.pipeline().score(embedded.pack(),
                    PHOTOS.stream().map(p -> new ImageInput(p, Shared.bytes(p))).toList(),
                    ScoringPipeline.select(embedded.pack(), scores), false, true, PreprocessMode.EXACT, null);
            for (int i = 0; i < PHOTOS.size(); i++) {
                var remote = viaTriton.getResults(i).getScores().getExplanationsList();
                var mine = local.get(i).value().explanations();
                assertThat(remote).hasSize(4);
                assertThat(remote.stream().map(e -> e.getMethod().split(":")[0]).toList())
                        .containsExactly("cam", "cam", "integrated-gradients", "none");
                for (int k = 0; k < remote.size(); k++) {
                    var r = remote.get(k);
                    var m = mine.get(k);
                    assertThat(r.getScore()).isEqualTo(m.score());
                    assertThat(r.getTarget()).isEqualTo(m.target());
                    assertThat(r.getRows()).isEqualTo(m.rows());
                    assertThat(r.getCols()).isEqualTo(m.cols());
                    assertThat(r.getValuesCount()).isEqualTo(m.values().length);
                    for (int c = 0; c < m.values().length; c++) {
                        assertThat(r.getValues(c)).isCloseTo(m.values()[c], within(1e-5f));
                    }
                }
            }
        }
    }

    /** Scores {@link #PHOTOS} through the service, checking that it runs on the Triton backend. */
    private static ScoreResponse scoreViaTriton(ScoreOptions.Builder options) {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        try {
            var stub = ImageScoreGrpc.newBlockingStub(ch).withDeadlineAfter(60, TimeUnit.SECONDS);
            assertThat(stub.describePacks(DescribePacksRequest.getDefaultInstance()).getPacks(0).getBackend()).isEqualTo("triton");
            ScoreRequest.Builder req = ScoreRequest.newBuilder().setOptions(options);
            PHOTOS.forEach(p -> req.addImages(photo(p)));
            return stub.score(req.build());
        } finally {
            ch.shutdownNow();
        }
    }
}
