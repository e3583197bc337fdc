package io.imagescore.model.triton;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.model.ModelSpec;
import io.imagescore.model.Tensor;
import io.imagescore.model.TensorSpec;
import io.imagescore.model.onnx.OnnxBackend;
import io.imagescore.pack.PackLoader;
import io.imagescore.model.triton.v2.GRPCInferenceServiceGrpc;
import io.imagescore.model.triton.v2.InferBatchStatistics;
import io.imagescore.model.triton.v2.ModelStatistics;
import io.imagescore.model.triton.v2.ModelStatisticsRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.UnaryOperator;

import static io.imagescore.model.triton.TritonTestModels.directOrt;
import static io.imagescore.model.triton.TritonTestModels.maxAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** TritonBackend against the in-JVM Triton stand-in running the shared ONNX models. */
class TritonBackendTest {

    private static TritonTestServer server;
    private static Tensor photos;
    private static Map<String, float[]> photosDirect;

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final List<TritonBackend> backends = new ArrayList<>();

    @BeforeAll
    static void start() {
        server = TritonTestServer.start()
                .addModel("mobilenet", TritonTestModels.MOBILENET, 8)
                .addModel("mobilenet_fp16", TritonTestModels.MOBILENET, 8, Set.of("input"))
                .addModel("clip_text", TritonTestModels.CLIP_TEXT, 16)
                .addDefaultPackModels();
        photos = TritonTestModels.roomPhotos(4);
        photosDirect = directOrt(TritonTestModels.MOBILENET, "input", photos);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @AfterEach
    void reset() {
        backends.forEach(TritonBackend::close);
        server.faults().reset();
        server.releaseHeld();
        server.awaitIdle();
        server.setModelReady("mobilenet", true);
        server.setServerReady(true);
        server.answerWithTypedContents(false);
    }

    private TritonBackend backend(UnaryOperator<TritonConfig> edit) {
        TritonBackend b = new TritonBackend(edit.apply(TritonConfig.defaults(List.of(server.target()))), meters);
        backends.add(b);
        return b;
    }

    private TritonBackend mobilenetBackend(UnaryOperator<TritonConfig> edit) {
        TritonBackend b = backend(edit);
        b.load(TritonTestModels.mobilenet("mobilenet", 8));
        return b;
    }

    private static Map<String, Tensor> onePhoto() {
        return Map.of("input", KserveTensors.sliceRows(photos, 0, 1));
    }

    private static Instant in(long millis) {
        return Instant.now().plusMillis(millis);
    }

    private static ImageScoreException failure(Runnable r) {
        return catchThrowableOfType(ImageScoreException.class, r::run);
    }

    private static TritonConfig noRetries(TritonConfig c) {
        return c.withRetry(new TritonConfig.Retry(1, Duration.ofMillis(10), Duration.ofMillis(10), 1));
    }

    // ------------------------------------------------------------------ results

    @Test
    void real_photos_score_like_direct_onnx_runtime() {
        TritonBackend b = mobilenetBackend(c -> c);
        assertThat(b.kind()).isEqualTo("triton");
        Map<String, Tensor> out = b.infer("test/mobilenet", Map.of("input", photos), Set.of("features", "output"), in(30_000));
        assertThat(out.get("features").shape()).containsExactly(4, 1280);
        assertThat(out.get("output").shape()).containsExactly(4, 1000);
        assertThat(maxAbsDiff(out.get("features").floats(), photosDirect.get("features"))).isLessThanOrEqualTo(1e-5f);
        assertThat(maxAbsDiff(out.get("output").floats(), photosDirect.get("output"))).isLessThanOrEqualTo(1e-5f);
        // the features are not trivially equal: four different photos give four different embeddings
        assertThat(KserveTensors.sliceRows(out.get("features"), 0, 1).floats())
                .isNotEqualTo(KserveTensors.sliceRows(out.get("features"), 1, 1).floats());
    }

    @Test
    void the_default_pack_scores_through_triton_like_the_embedded_backend() {
        ModelSpec encoder = new PackLoader(TritonTestModels.SHARED).load(Path.of("packs/mobilenetv2-default")).encoder();
        TritonBackend triton = backend(c -> c);
        triton.load(encoder);
        try (OnnxBackend embedded = new OnnxBackend(new OnnxBackend.Config(1))) {
            embedded.load(encoder);
            // Triton takes the pixels (UINT8, normalised inside its model), the embedded backend the normalised floats
            assertThat(triton.inputs(encoder)).containsExactly(new TensorSpec("pixels", Tensor.DataType.UINT8, List.of(-1L, 3L, 224L, 224L)));
            assertThat(embedded.inputs(encoder)).containsExactly(new TensorSpec("input", Tensor.DataType.FP32, List.of(-1L, 3L, 224L, 224L)));
            Map<String, Tensor> viaTriton = triton.infer(encoder.id(), Map.of("pixels", TritonTestModels.roomPixels(4)), Set.of(),
                    in(30_000));
            Map<String, Tensor> inProcess = embedded.infer(encoder.id(), Map.of("input", photos), Set.of("features", "output", "spatial"),
                    in(30_000));
            assertThat(viaTriton).containsOnlyKeys("features", "output", "spatial"); // no names = every declared output
            for (String output : List.of("features", "output", "spatial")) {
                assertThat(viaTriton.get(output).shape()).isEqualTo(inProcess.get(output).shape());
                // bit-identical: the graph's normalisation computes the very floats the front end computes
                assertThat(viaTriton.get(output).floats()).as(output).isEqualTo(inProcess.get(output).floats());
            }
        }
    }

    @Test
    void the_mirrored_model_answers_each_view_as_sent_and_mirrored_bit_for_bit() {
        ModelSpec encoder = new PackLoader(TritonTestModels.SHARED).load(Path.of("packs/mobilenetv2-default")).encoder();
        TritonBackend triton = backend(c -> c);
        triton.load(encoder); // loads and validates the mirrored variant with it
        ModelSpec mirrored = triton.mirroredVariant(encoder);
        assertThat(mirrored.tritonName()).isEqualTo("mobilenetv2-default-mirrored");
        assertThat(mirrored.maxBatch()).isEqualTo(encoder.maxBatch() / 2);
        Tensor pixels = TritonTestModels.roomPixels(4);
        Map<String, Tensor> both = triton.infer(mirrored.id(), Map.of("pixels", pixels), Set.of(), in(30_000));
        Map<String, Tensor> asSent = triton.infer(encoder.id(), Map.of("pixels", pixels), Set.of(), in(30_000));
        Map<String, Tensor> flipped = triton.infer(encoder.id(), Map.of("pixels", mirrorWidth(pixels)), Set.of(), in(30_000));
        for (String output : List.of("features", "output", "spatial")) {
            Tensor b = both.get(output);
            int len = asSent.get(output).rowLength();
            assertThat(b.shape()[0]).isEqualTo(4);
            assertThat(b.shape()[1]).isEqualTo(2);
            assertThat(b.rowLength()).isEqualTo(2 * len);
            for (int j = 0; j < 4; j++) {
                float[] sent = java.util.Arrays.copyOfRange(b.floats(), 2 * j * len, (2 * j + 1) * len);
                float[] mirror = java.util.Arrays.copyOfRange(b.floats(), (2 * j + 1) * len, (2 * j + 2) * len);
                assertThat(sent).as(output + " row " + j + " as sent")
                        .isEqualTo(KserveTensors.sliceRows(asSent.get(output), j, 1).floats());
                assertThat(mirror).as(output + " row " + j + " mirrored")
                        .isEqualTo(KserveTensors.sliceRows(flipped.get(output), j, 1).floats());
                assertThat(mirror).as("a room photo is not its own mirror image").isNotEqualTo(sent);
            }
        }
    }

    @Test
    void a_mirrored_model_without_the_orientation_axis_stops_start_up_precisely() {
        ModelSpec encoder = new PackLoader(TritonTestModels.SHARED).load(Path.of("packs/mobilenetv2-default")).encoder();
        // the repository as it was before: the plain model, here also served under the mirrored model's name
        try (TritonTestServer old = TritonTestServer.start()
                .addModel("mobilenetv2-default", io.imagescore.testing.Shared.defaultPackTritonModel(), 64)
                .addModel("mobilenetv2-default-mirrored", io.imagescore.testing.Shared.defaultPackTritonModel(), 64);
             TritonBackend b = new TritonBackend(TritonConfig.defaults(List.of(old.target())), new SimpleMeterRegistry())) {
            ImageScoreException e = failure(() -> b.load(encoder));
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PACK);
            assertThat(e.getMessage()).isEqualTo("model mobilenetv2-default/encoder-mirrored does not match Triton model"
                    + " 'mobilenetv2-default-mirrored' at " + old.target()
                    + ": output 'features' has shape [-1, 1280] on Triton, the pack declares [-1, 2, 1280]"
                    + "; output 'output' has shape [-1, 1000] on Triton, the pack declares [-1, 2, 1000]"
                    + "; output 'spatial' has shape [-1, 1280, 7, 7] on Triton, the pack declares [-1, 2, 1280, 7, 7]");
        }
    }

    @Test
    void a_repository_without_the_mirrored_model_runs_not_ready_and_names_it() {
        ModelSpec encoder = new PackLoader(TritonTestModels.SHARED).load(Path.of("packs/mobilenetv2-default")).encoder();
        try (TritonTestServer old = TritonTestServer.start()
                .addModel("mobilenetv2-default", io.imagescore.testing.Shared.defaultPackTritonModel(), 64);
             TritonBackend b = new TritonBackend(TritonConfig.defaults(List.of(old.target())), new SimpleMeterRegistry())) {
            b.load(encoder); // not a mismatch: Triton may still be loading it, so start-up goes on, not ready
            assertThat(b.ready()).isFalse();
            assertThat(b.notReadyReason()).contains("Triton model 'mobilenetv2-default-mirrored' for "
                    + "mobilenetv2-default/encoder-mirrored is not ready");
        }
    }

    /** NCHW pixels with every row reversed: what a {@code *_flip} view holds. */
    private static Tensor mirrorWidth(Tensor pixels) {
        byte[] in = pixels.bytes();
        byte[] out = new byte[in.length];
        int w = (int) pixels.shape()[3];
        for (int row = 0; row < in.length / w; row++) {
            for (int x = 0; x < w; x++) {
                out[row * w + x] = in[row * w + w - 1 - x];
            }
        }
        return Tensor.ofUnsignedBytes(pixels.shape(), out);
    }

    @Test
    void typed_contents_answers_decode_like_raw_ones() {
        TritonBackend b = mobilenetBackend(c -> c);
        server.answerWithTypedContents(true);
        Map<String, Tensor> out = b.infer("test/mobilenet", Map.of("input", photos), Set.of("output"), in(30_000));
        assertThat(maxAbsDiff(out.get("output").floats(), photosDirect.get("output"))).isLessThanOrEqualTo(1e-5f);
    }

    @Test
    void batches_above_the_max_batch_are_split_and_joined_in_order() {
        Tensor eleven = TritonTestModels.roomPhotos(11);
        Map<String, float[]> direct = directOrt(TritonTestModels.MOBILENET, "input", eleven);
        TritonBackend b = mobilenetBackend(c -> c);
        server.resetStatistics();
        Tensor features = b.infer("test/mobilenet", Map.of("input", eleven), Set.of("features"), in(30_000)).get("features");
        assertThat(features.shape()).containsExactly(11, 1280);
        assertThat(maxAbsDiff(features.floats(), direct.get("features"))).isLessThanOrEqualTo(1e-5f);
        assertThat(batchSizesSeen("mobilenet")).allMatch(size -> size <= 8);
    }

    @Test
    void int64_token_ids_give_the_text_embeddings_of_onnx_runtime_and_pytorch() {
        TritonBackend b = backend(c -> c);
        b.load(TritonTestModels.clipText("clip_text", 16));
        Tensor ids = TritonTestModels.goldenIds();
        Tensor embeds = b.infer("test/clip-text", Map.of("input_ids", ids), Set.of("text_embeds"), in(30_000))
                .get("text_embeds");
        assertThat(embeds.shape()).containsExactly(6, 16);
        assertThat(maxAbsDiff(embeds.floats(), directOrt(TritonTestModels.CLIP_TEXT, "input_ids", ids).get("text_embeds")))
                .isLessThanOrEqualTo(1e-5f);
        JsonNode golden = TritonTestModels.clipGolden().get("text_embeds");
        float[] pytorch = new float[6 * 16];
        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 16; j++) {
                pytorch[i * 16 + j] = (float) golden.get(i).get(j).asDouble();
            }
        }
        assertThat(maxAbsDiff(embeds.floats(), pytorch)).isLessThanOrEqualTo(1e-5f);
    }

    @Test
    void fp16_model_inputs_are_sent_as_half_precision() {
        TritonBackend b = backend(c -> c);
        b.load(TritonTestModels.mobilenet("mobilenet_fp16", 8));
        float[] halved = photos.floats().clone();
        for (int i = 0; i < halved.length; i++) {
            halved[i] = Float.float16ToFloat(Float.floatToFloat16(halved[i]));
        }
        Map<String, float[]> direct = directOrt(TritonTestModels.MOBILENET, "input", Tensor.ofFloats(photos.shape(), halved));
        Tensor features = b.infer("test/mobilenet", Map.of("input", photos), Set.of("features"), in(30_000)).get("features");
        assertThat(maxAbsDiff(features.floats(), direct.get("features"))).isLessThanOrEqualTo(1e-5f);
    }

    // ------------------------------------------------------------------ start-up checks

    @Test
    void load_reports_every_difference_between_pack_and_triton() {
        ModelSpec wrong = new ModelSpec("test/wrong", TritonTestModels.MOBILENET, "mobilenet", "",
                List.of(new TensorSpec("input", Tensor.DataType.INT64, List.of(-1L, 3L, 256L, 256L))),
                List.of(new TensorSpec("logits", Tensor.DataType.FP32, List.of(-1L, 1000L)),
                        new TensorSpec("features", Tensor.DataType.FP32, List.of(-1L, 512L))),
                64);
        ImageScoreException e = failure(() -> backend(c -> c).load(wrong));
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PACK);
        assertThat(e.getMessage()).isEqualTo("model test/wrong does not match Triton model 'mobilenet' at " + server.target()
                + ": input 'input' is FP32 on Triton, the pack sends INT64"
                + "; input 'input' has shape [-1, 3, 224, 224] on Triton, the pack declares [-1, 3, 256, 256]"
                + "; output 'logits' does not exist on Triton (outputs [output, features])"
                + "; output 'features' has shape [-1, 1280] on Triton, the pack declares [-1, 512]"
                + "; the pack's max batch 64 exceeds Triton's max_batch_size 8");
    }

    @Test
    void unknown_and_unready_models_and_servers_load_as_not_ready_with_the_reason() {
        // not there yet is not a mismatch: load returns, readiness says why, the prober keeps trying
        TritonBackend unknown = backend(c -> c);
        unknown.load(TritonTestModels.mobilenet("resnet", 8));
        assertThat(unknown.ready()).isFalse();
        assertThat(unknown.notReadyReason()).contains("NOT_FOUND: Request for unknown model: 'resnet' is not found");
        ImageScoreException infer = failure(() -> unknown.infer("test/resnet", onePhoto(), Set.of(), in(5_000)));
        assertThat(infer.code()).isEqualTo(ErrorCode.MODEL_NOT_READY);

        server.setModelReady("mobilenet", false);
        TritonBackend unready = backend(c -> c);
        unready.load(TritonTestModels.mobilenet("mobilenet", 8));
        // strict readiness: one unready model makes the whole server unready
        assertThat(unready.notReadyReason()).contains("is not ready (ServerReady = false");
        server.setModelReady("mobilenet", true);
        awaitReady(unready, 5_000);
    }

    @Test
    void load_against_an_unreachable_endpoint_returns_not_ready() throws Exception {
        int freePort;
        try (ServerSocket s = new ServerSocket(0)) {
            freePort = s.getLocalPort();
        }
        TritonBackend b = new TritonBackend(TritonConfig.defaults(List.of("localhost:" + freePort)), meters);
        backends.add(b);
        b.load(TritonTestModels.mobilenet("mobilenet", 8));
        assertThat(b.ready()).isFalse();
        assertThat(b.notReadyReason()).contains("UNAVAILABLE").contains("localhost:" + freePort);
    }

    @Test
    void readiness_follows_tritons_model_readiness_without_any_probe_call() {
        TritonBackend b = mobilenetBackend(c -> c);
        assertThat(b.ready()).isTrue();
        server.setModelReady("mobilenet", false);
        awaitReadiness(b, false, 2_000);
        // strict readiness on the test server: an unready model makes ServerReady false too
        assertThat(b.notReadyReason()).contains("is not ready");
        server.setModelReady("mobilenet", true);
        awaitReady(b, 2_000);
    }

    static void awaitReady(TritonBackend b, long millis) {
        awaitReadiness(b, true, millis);
    }

    static void awaitReadiness(TritonBackend b, boolean ready, long millis) {
        long until = System.nanoTime() + millis * 1_000_000;
        while (b.ready() != ready && System.nanoTime() < until) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        assertThat(b.ready()).as("ready within %d ms (reason: %s)", millis, b.notReadyReason()).isEqualTo(ready);
    }

    // ------------------------------------------------------------------ micro-batching

    @Test
    void concurrent_callers_are_coalesced_into_batches() throws Exception {
        TritonBackend b = mobilenetBackend(c -> c.withBatching(new TritonConfig.Batching(Duration.ofMillis(50), 1)));
        server.resetStatistics();
        int callers = 16;
        Tensor many = TritonTestModels.roomPhotos(callers);
        Map<String, float[]> direct = directOrt(TritonTestModels.MOBILENET, "input", many);
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Tensor>> answers = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            Tensor mine = KserveTensors.sliceRows(many, i, 1);
            answers.add(pool.submit(() -> {
                go.await();
                return b.infer("test/mobilenet", Map.of("input", mine), Set.of("features"), in(30_000)).get("features");
            }));
        }
        go.countDown();
        for (int i = 0; i < callers; i++) {
            float[] expected = java.util.Arrays.copyOfRange(direct.get("features"), i * 1280, (i + 1) * 1280);
            // every caller gets its own row back, whatever batch it travelled in
            assertThat(maxAbsDiff(answers.get(i).get().floats(), expected)).isLessThanOrEqualTo(1e-5f);
        }
        pool.shutdown();

        List<Long> sizes = batchSizesSeen("mobilenet");
        ModelStatistics stats = statistics("mobilenet");
        assertThat(stats.getInferenceCount()).isEqualTo(callers);
        assertThat(stats.getExecutionCount()).isLessThan(callers);
        assertThat(sizes).anyMatch(size -> size > 1).allMatch(size -> size <= 8);
        assertThat(meters.get("imagescore.triton.batch.size").tag("model", "test/mobilenet").summary().max())
                .isGreaterThan(1);
    }

    // ------------------------------------------------------------------ faults

    @Test
    void breaker_opens_after_the_configured_failures_fails_fast_and_recovers_through_half_open() throws Exception {
        TritonBackend b = mobilenetBackend(c -> noRetries(c)
                .withBreaker(new TritonConfig.Breaker(4, 4, 50f, Duration.ofMillis(400), 1)));
        server.faults().failNext(1000, Status.UNAVAILABLE.withDescription("GPU node draining"));
        for (int i = 0; i < 4; i++) {
            ImageScoreException e = failure(() -> b.infer("test/mobilenet", onePhoto(), Set.of("features"), in(5_000)));
            assertThat(e.code()).isEqualTo(ErrorCode.BACKEND_UNAVAILABLE);
            assertThat(e.getMessage()).contains("failed with UNAVAILABLE: GPU node draining");
        }
        assertThat(breakerState()).isEqualTo(1.0);
        int callsBefore = server.inferCalls();
        long start = System.nanoTime();
        ImageScoreException fast = failure(() -> b.infer("test/mobilenet", onePhoto(), Set.of("features"), in(5_000)));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(200));
        assertThat(fast.code()).isEqualTo(ErrorCode.BACKEND_UNAVAILABLE);
        assertThat(fast.code().status()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(fast.getMessage()).contains("circuit breaker open for " + server.target() + " OPEN")
                .contains("failing fast without calling Triton");
        assertThat(server.inferCalls()).isEqualTo(callsBefore);

        // after the open period one probe is let through; it fails, so the breaker opens again
        Thread.sleep(450);
        assertThat(failure(() -> b.infer("test/mobilenet", onePhoto(), Set.of("features"), in(5_000))).getMessage())
                .contains("GPU node draining");
        assertThat(server.inferCalls()).isEqualTo(callsBefore + 1);
        assertThat(breakerState()).isEqualTo(1.0);

        // Triton is back: the next probe succeeds and closes the breaker
        server.faults().reset();
        Thread.sleep(450);
        assertThat(b.infer("test/mobilenet", onePhoto(), Set.of("features"), in(5_000))).containsKey("features");
        assertThat(breakerState()).isEqualTo(0.0);
        assertThat(b.infer("test/mobilenet", onePhoto(), Set.of("features"), in(5_000))).containsKey("features");
    }

    @Test
    void rejected_requests_do_not_count_against_the_breaker() {
        TritonBackend b = mobilenetBackend(c -> noRetries(c)
                .withBreaker(new TritonConfig.Breaker(2, 2, 50f, Duration.ofSeconds(30), 1)));
        server.faults().failNext(5, Status.INVALID_ARGUMENT.withDescription("bad request"));
        for (int i = 0; i < 5; i++) {
            assertThat(failure(() -> b.infer("test/mobilenet", onePhoto(), Set.of("features"), in(5_000))).code())
                    .isEqualTo(ErrorCode.BACKEND_REJECTED);
        }
        assertThat(breakerState()).isEqualTo(0.0);
    }

    @Test
    void unavailable_is_retried_with_backoff_within_the_deadline() {
        TritonBackend b = mobilenetBackend(c -> c);
        server.faults().failNext(2, Status.UNAVAILABLE.withDescription("Exceeds maximum queue size"));
        int before = server.inferCalls();
        assertThat(b.infer("test/mobilenet", onePhoto(), Set.of("features"), in(5_000))).containsKey("features");
        assertThat(server.inferCalls() - before).isEqualTo(3);
        assertThat(meters.get("imagescore.triton.retries").counter().count()).isEqualTo(2.0);
    }

    @Test
    void other_errors_are_not_retried() {
        TritonBackend b = mobilenetBackend(c -> c);
        server.faults().failNext(1, Status.INTERNAL.withDescription("onnx runtime error 6: CUDA failure"));
        int before = server.inferCalls();
        ImageScoreException e = failure(() -> b.infer("test/mobilenet", onePhoto(), Set.of("features"), in(5_000)));
        assertThat(e.code()).isEqualTo(ErrorCode.BACKEND_UNAVAILABLE);
        assertThat(e.metadata()).containsEntry("grpc_status", "INTERNAL");
        assertThat(server.inferCalls() - before).isEqualTo(1);
    }

    @Test
    void no_call_outlives_its_deadline() {
        TritonBackend b = mobilenetBackend(c -> c.withRetry(
                new TritonConfig.Retry(50, Duration.ofMillis(80), Duration.ofMillis(80), 1)));
        // a hung server
        server.faults().hang(true);
        assertFinishesWithin(300, 150, ErrorCode.BACKEND_TIMEOUT,
                () -> b.infer("test/mobilenet", onePhoto(), Set.of("features"), in(300)));
        server.faults().hang(false);
        server.releaseHeld();
        // a slow server
        server.faults().latency(Duration.ofMillis(1_000));
        assertFinishesWithin(250, 150, ErrorCode.BACKEND_TIMEOUT,
                () -> b.infer("test/mobilenet", onePhoto(), Set.of("features"), in(250)));
        server.faults().latency(Duration.ZERO);
        // a server that keeps answering UNAVAILABLE: retries stop before the deadline
        server.faults().failNext(1_000, Status.UNAVAILABLE);
        long start = System.nanoTime();
        ImageScoreException e = failure(() -> b.infer("test/mobilenet", onePhoto(), Set.of("features"), in(400)));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(400 + 150));
        assertThat(e.code()).isIn(ErrorCode.BACKEND_UNAVAILABLE, ErrorCode.BACKEND_TIMEOUT);
        assertThat(e.getMessage()).contains("attempts");
        // a deadline already in the past never reaches Triton
        int before = server.inferCalls();
        assertThat(failure(() -> b.infer("test/mobilenet", onePhoto(), Set.of("features"), Instant.now().minusMillis(1)))
                .code()).isEqualTo(ErrorCode.BACKEND_TIMEOUT);
        assertThat(server.inferCalls()).isEqualTo(before);
    }

    @Test
    void without_a_deadline_the_request_timeout_applies() {
        TritonBackend b = mobilenetBackend(c -> c.withRequestTimeout(Duration.ofMillis(300)));
        server.faults().hang(true);
        assertFinishesWithin(300, 150, ErrorCode.BACKEND_TIMEOUT,
                () -> b.infer("test/mobilenet", onePhoto(), Set.of("features"), null));
    }

    @Test
    void triton_errors_surface_as_precise_codes() {
        TritonBackend b = mobilenetBackend(c -> noRetries(c));
        Map<Status, ErrorCode> cases = Map.of(
                Status.NOT_FOUND.withDescription("Request for unknown model: 'mobilenet' is not found"), ErrorCode.MODEL_NOT_READY,
                Status.INVALID_ARGUMENT.withDescription("inference request batch-size must be <= 8 for 'mobilenet'"),
                ErrorCode.BACKEND_REJECTED,
                Status.UNAVAILABLE.withDescription("Request for unknown model: 'mobilenet' version 1 is not at ready state"),
                ErrorCode.MODEL_NOT_READY,
                Status.UNAVAILABLE.withDescription("Server exiting"), ErrorCode.BACKEND_UNAVAILABLE,
                Status.DEADLINE_EXCEEDED.withDescription("deadline"), ErrorCode.BACKEND_TIMEOUT,
                Status.UNIMPLEMENTED.withDescription("not supported"), ErrorCode.BACKEND_REJECTED);
        cases.forEach((status, code) -> {
            server.faults().failNext(1, status);
            ImageScoreException e = failure(() -> b.infer("test/mobilenet", onePhoto(), Set.of("features"), in(5_000)));
            assertThat(e.code()).as(status.toString()).isEqualTo(code);
            assertThat(e.getMessage()).contains(status.getCode() + ": " + status.getDescription());
            assertThat(e.metadata()).containsEntry("grpc_status", status.getCode().name());
        });
        // and the real thing: the model goes unready on the server
        server.setModelReady("mobilenet", false);
        ImageScoreException e = failure(() -> b.infer("test/mobilenet", onePhoto(), Set.of("features"), in(5_000)));
        assertThat(e.code()).isEqualTo(ErrorCode.MODEL_NOT_READY);
        assertThat(e.code().status()).isEqualTo(Status.Code.UNAVAILABLE);
    }

    @Test
    void a_dropped_connection_is_retried_on_a_fresh_one() throws Exception {
        TritonBackend b = mobilenetBackend(c -> c.withTransport(
                new TritonConfig.Transport(1, 64 << 20, Duration.ofMinutes(10), Duration.ofSeconds(20))));
        assertThat(b.infer("test/mobilenet", onePhoto(), Set.of("features"), in(5_000))).containsKey("features");
        server.faults().latency(Duration.ofMillis(400));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Future<Map<String, Tensor>> inFlight = pool.submit(
                () -> b.infer("test/mobilenet", onePhoto(), Set.of("features"), in(10_000)));
        Thread.sleep(150);
        server.disconnect();
        server.faults().latency(Duration.ZERO);
        assertThat(inFlight.get()).containsKey("features");
        assertThat(meters.get("imagescore.triton.retries").counter().count()).isGreaterThanOrEqualTo(1.0);
        pool.shutdown();
    }

    @Test
    void an_endpoint_with_an_open_breaker_is_routed_around() {
        try (TritonTestServer second = TritonTestServer.start().addModel("clip_text", TritonTestModels.CLIP_TEXT, 16)) {
            TritonConfig config = noRetries(TritonConfig.defaults(List.of(server.target(), second.target())))
                    .withBreaker(new TritonConfig.Breaker(2, 2, 50f, Duration.ofSeconds(30), 1));
            TritonBackend b = new TritonBackend(config, meters);
            backends.add(b);
            b.load(TritonTestModels.clipText("clip_text", 16));
            second.faults().failNext(1_000, Status.UNAVAILABLE);
            Tensor ids = KserveTensors.sliceRows(TritonTestModels.goldenIds(), 0, 1);
            int failures = 0;
            for (int i = 0; i < 12; i++) {
                try {
                    b.infer("test/clip-text", Map.of("input_ids", ids), Set.of(), in(5_000));
                } catch (ImageScoreException e) {
                    failures++;
                }
            }
            assertThat(failures).isEqualTo(2); // the two calls that opened the second endpoint's breaker
            assertThat(meters.get("imagescore.triton.breaker.state").tag("endpoint", second.target()).gauge().value())
                    .isEqualTo(1.0);
        }
    }

    @Test
    void inputs_the_model_cannot_take_are_rejected_before_the_wire() {
        TritonBackend b = mobilenetBackend(c -> c);
        int before = server.inferCalls();
        assertThatThrownBy(() -> b.infer("test/mobilenet",
                Map.of("input", Tensor.ofFloats(new long[] {1, 3, 32, 32}, new float[3 * 32 * 32])), Set.of(), in(5_000)))
                .isInstanceOfSatisfying(ImageScoreException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.BACKEND_REJECTED);
                    assertThat(e.getMessage()).isEqualTo("input 'input' of model test/mobilenet has shape [1, 3, 32, 32], "
                            + "expected [-1, 3, 224, 224] with batch >= 1");
                });
        assertThat(failure(() -> b.infer("test/mobilenet", onePhoto(), Set.of("logits"), in(5_000))).code())
                .isEqualTo(ErrorCode.BACKEND_REJECTED);
        assertThat(failure(() -> b.infer("test/other", onePhoto(), Set.of(), in(5_000))).code())
                .isEqualTo(ErrorCode.MODEL_NOT_READY);
        assertThat(server.inferCalls()).isEqualTo(before);
    }

    @Test
    void metrics_are_recorded_per_model() {
        TritonBackend b = mobilenetBackend(c -> c);
        b.infer("test/mobilenet", Map.of("input", photos), Set.of("features"), in(30_000));
        assertThat(meters.get("imagescore.triton.batch.size").tag("model", "test/mobilenet").summary().totalAmount())
                .isEqualTo(4.0);
        assertThat(meters.get("imagescore.triton.queue.time").tag("model", "test/mobilenet").timer().count()).isEqualTo(1);
        assertThat(meters.get("imagescore.triton.roundtrip").tags("model", "test/mobilenet", "outcome", "ok").timer()
                .count()).isEqualTo(1);
        assertThat(breakerState()).isEqualTo(0.0);
    }

    // ------------------------------------------------------------------ helpers

    private double breakerState() {
        return meters.get("imagescore.triton.breaker.state").tag("endpoint", server.target()).gauge().value();
    }

    private static ModelStatistics statistics(String model) {
        ManagedChannel channel = ManagedChannelBuilder.forTarget(server.target()).usePlaintext().build();
        try {
            return GRPCInferenceServiceGrpc.newBlockingStub(channel)
                    .modelStatistics(ModelStatisticsRequest.newBuilder().setName(model).build()).getModelStats(0);
        } finally {
            channel.shutdownNow();
        }
    }

    /** Batch sizes Triton executed, from its ModelStatistics RPC. */
    private static List<Long> batchSizesSeen(String model) {
        return statistics(model).getBatchStatsList().stream().map(InferBatchStatistics::getBatchSize).toList();
    }

    private static void assertFinishesWithin(long deadlineMillis, long slackMillis, ErrorCode code, Runnable call) {
        long start = System.nanoTime();
        ImageScoreException e = failure(call);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(code);
        assertThat(took).isLessThan(Duration.ofMillis(deadlineMillis + slackMillis));
    }
}
