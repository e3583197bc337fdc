package io.imagescore.score;

import com.google.rpc.ErrorInfo;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.imagescore.api.GrpcErrors;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.image.PreprocessMode;
import io.imagescore.image.PreprocessSpec;
import io.imagescore.image.PreprocessedImage;
import io.imagescore.image.Preprocessor;
import io.imagescore.image.View;
import io.imagescore.model.ModelBackend;
import io.imagescore.model.ModelSpec;
import io.imagescore.model.Tensor;
import io.imagescore.model.onnx.OnnxBackend;
import io.imagescore.model.triton.TritonBackend;
import io.imagescore.model.triton.TritonConfig;
import io.imagescore.model.triton.TritonTestServer;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackLoader;
import io.imagescore.testing.Shared;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Overload behaviour of the pipeline on the real ONNX Runtime backend with real photos: deadlines and cancellation
 * stop all further model calls (a counting backend records when each call starts; on the KServe-v2 test server, the
 * server records each ModelInfer's arrival and deadline), admission refuses fast with
 * OVERLOADED and a retry hint, and header bombs fail per image without being decoded.
 */
class OverloadTest {

    /** Records the start and the end of every model call; delegates to the real backend. */
    static final class CountingBackend extends io.imagescore.testing.ForwardingBackend {
        final ConcurrentLinkedQueue<Long> starts = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Long> ends = new ConcurrentLinkedQueue<>();
        volatile CountDownLatch gate; // when set, calls wait on it (to hold the inference slot)

        CountingBackend(ModelBackend inner) {
            super(inner);
        }

        @Override
        public Map<String, Tensor> infer(String modelId, Map<String, Tensor> inputs, Set<String> outputs, Instant deadline) {
            starts.add(System.nanoTime());
            try {
                CountDownLatch g = gate;
                if (g != null) {
                    try {
                        g.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return inner.infer(modelId, inputs, outputs, deadline);
            } finally {
                ends.add(System.nanoTime());
            }
        }


        long startedAfter(long nanos) {
            return starts.stream().filter(t -> t - nanos > 0).count();
        }
    }

    /** Counts full decodes (header reads are not decodes) and records when each ended. */
    static final class CountingPreprocessor extends Preprocessor {
        final AtomicInteger decodes = new AtomicInteger();
        final ConcurrentLinkedQueue<Long> ends = new ConcurrentLinkedQueue<>();

        @Override
        public PreprocessedImage preprocess(java.nio.ByteBuffer encoded, PreprocessSpec spec, List<View> views, PreprocessMode mode,
                                            io.imagescore.image.StageClock clock) {
            decodes.incrementAndGet();
            try {
                return super.preprocess(encoded, spec, views, mode, clock);
            } finally {
                ends.add(System.nanoTime());
            }
        }

        @Override
        public PreprocessedImage preprocessPixels(java.nio.ByteBuffer encoded, PreprocessSpec spec, List<View> views,
                                                  PreprocessMode mode, io.imagescore.image.StageClock clock) {
            decodes.incrementAndGet(); // the Triton pipeline's: its model takes the pixels
            return super.preprocessPixels(encoded, spec, views, mode, clock);
        }
    }

    /** Many tensors per image, so a 64-image request is dozens of model calls (seconds of work). */
    static final List<View> HEAVY = List.of(View.CENTER, View.GRID3, View.GRID3_FLIP);

    static ModelPack pack;
    static CountingBackend backend;
    static CountingPreprocessor preprocessor;
    static ScoringPipeline pipeline;
    static List<ImageInput> photos;
    static TritonTestServer triton;
    static TritonBackend tritonBackend;
    static ScoringPipeline tritonPipeline;

    @BeforeAll
    static void load() throws IOException {
        pack = new PackLoader(Shared.dir()).load(Shared.root().resolve("packs/mobilenetv2-default"));
        backend = new CountingBackend(new OnnxBackend(new OnnxBackend.Config(2)));
        backend.load(pack.encoder());
        preprocessor = new CountingPreprocessor();
        pipeline = new ScoringPipeline(backend, preprocessor, new ScoreMetrics(new SimpleMeterRegistry()));
        List<Path> files = new ArrayList<>();
        for (String room : List.of("bathroom", "bedroom", "dining_room", "entrance_hall", "kitchen", "living_room")) {
            try (Stream<Path> s = Files.list(Shared.path("data/rooms/eval/" + room))) {
                files.addAll(s.sorted().limit(11).toList());
            }
        }
        photos = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            Path f = files.get(i % files.size());
            photos.add(new ImageInput(i + ":" + f.getFileName(), Files.readAllBytes(f)));
        }
        // warm up (class loading, JIT, ONNX Runtime's first-run allocations): the tests time the steady state
        pipeline.encode(pack, photos.subList(0, 4), HEAVY, Set.of(pack.embeddingOutput()), PreprocessMode.EXACT, null);

        ModelSpec encoder = pack.encoder();
        triton = TritonTestServer.start().addDefaultPackModels();
        tritonBackend = new TritonBackend(TritonConfig.defaults(List.of(triton.target())), new SimpleMeterRegistry());
        tritonBackend.load(encoder);
        tritonPipeline = new ScoringPipeline(tritonBackend, preprocessor, new ScoreMetrics(new SimpleMeterRegistry()));
        tritonPipeline.encode(pack, photos.subList(0, 4), HEAVY, Set.of(pack.embeddingOutput()), PreprocessMode.EXACT, null);
    }

    @AfterAll
    static void close() {
        pipeline.stop();
        backend.close();
        if (tritonPipeline != null) {
            tritonPipeline.stop();
            tritonBackend.close();
            triton.close();
        }
    }

    /** How late past its deadline a call may end as its caller sees it (the server's own work: 100 ms, see below). */
    static final long CALLER_SLACK_MS = 600;

    private static ImageScoreException encodeFails(ScoringPipeline p, Instant deadline) {
        return catchThrowableOfType(ImageScoreException.class, () -> p.encode(pack, photos, HEAVY,
                Set.of(pack.embeddingOutput()), PreprocessMode.EXACT, deadline));
    }

    @Test
    void a_64_image_call_with_a_200_ms_deadline_ends_deadline_exceeded_and_starts_no_model_call_after_it() throws Exception {
        backend.starts.clear();
        backend.ends.clear();
        preprocessor.ends.clear();
        long t0 = System.nanoTime();
        Instant deadline = Instant.now().plusMillis(200);
        long deadlineNanos = t0 + TimeUnit.MILLISECONDS.toNanos(200);
        ImageScoreException e = encodeFails(pipeline, deadline);
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        Thread.sleep(300); // anything still running after the call ended would record its end here

        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.DEADLINE_EXCEEDED);
        assertThat(e.code().status()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        // the server's own work (every decode and model call of the request) stops within the 100 ms of the
        // deadline: ONNX Runtime's run is terminated at the deadline and the last call before it is kept small
        long workEnd = Stream.concat(backend.ends.stream(), preprocessor.ends.stream()).mapToLong(Long::longValue)
                .max().orElse(t0);
        long overMs = TimeUnit.NANOSECONDS.toMillis(workEnd - deadlineNanos);
        System.out.printf("deadline test: ended after %d ms, work ended %d ms after the deadline, %d model calls%n",
                tookMs, overMs, backend.starts.size());
        assertThat(overMs).as("the last decode or model call ended %d ms after the deadline", overMs).isLessThan(100);
        // as the caller sees it: plus whatever stalls the whole JVM on a loaded machine (seen at load average 14: a
        // call that ended 612 ms after its start with no decode or model call having run at all)
        assertThat(tookMs).as("ended %d ms after the start", tookMs).isLessThan(200 + CALLER_SLACK_MS);
        assertThat(backend.startedAfter(deadlineNanos)).as("model calls started after the deadline").isZero();
        // the whole request is 64 × 19 tensors = 38 model calls: the deadline cut it short
        assertThat(backend.starts.size()).isLessThan(38);
    }

    @Test
    void near_its_deadline_a_call_runs_only_as_many_tensors_as_the_recent_pace_says_fit() {
        assertThat(ScoringPipeline.chunk(32, Long.MAX_VALUE, 5_000_000)).as("no deadline: the full batch").isEqualTo(32);
        assertThat(ScoringPipeline.chunk(32, 1_000_000_000, 0)).as("no pace measured yet").isEqualTo(32);
        assertThat(ScoringPipeline.chunk(32, 1_000_000_000, 5_000_000)).as("a second left at 5 ms a tensor").isEqualTo(32);
        assertThat(ScoringPipeline.chunk(32, 60_000_000, 5_000_000)).as("60 ms left").isEqualTo(12);
        assertThat(ScoringPipeline.chunk(7, 60_000_000, 5_000_000)).as("fewer wanted than fit").isEqualTo(7);
        assertThat(ScoringPipeline.chunk(32, 1_000_000, 5_000_000)).as("always at least one").isEqualTo(1);
    }

    /** A 64-image call in its own cancellable gRPC context; the future holds its failure (null when it succeeded). */
    private record Running(Context.CancellableContext context, CompletableFuture<ImageScoreException> result, Thread worker) {
    }

    private static Running startCancellable(ScoringPipeline p) {
        Context.CancellableContext call = Context.current().withCancellation();
        CompletableFuture<ImageScoreException> result = new CompletableFuture<>();
        Thread worker = Thread.ofPlatform().start(call.wrap(() -> {
            try {
                p.encode(pack, photos, HEAVY, Set.of(pack.embeddingOutput()), PreprocessMode.EXACT, null);
                result.complete(null);
            } catch (ImageScoreException e) {
                result.complete(e);
            }
        }));
        return new Running(call, result, worker);
    }

    @Test
    void cancelling_a_64_image_call_after_100_ms_stops_model_calls_within_500_ms() throws Exception {
        backend.starts.clear();
        Running run = startCancellable(pipeline);
        Thread.sleep(100);
        run.context().cancel(null);
        long cancelled = System.nanoTime();
        ImageScoreException e = run.result().get(500, TimeUnit.MILLISECONDS);
        run.worker().join(1000);
        int atEnd = backend.starts.size();
        Thread.sleep(300);

        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.CANCELLED);
        assertThat(backend.startedAfter(cancelled)).as("model calls started after the cancellation").isZero();
        assertThat(backend.starts.size()).as("call counter flat").isEqualTo(atEnd).isLessThan(38);
    }

    // ------------------------------------------------------------------ the same on Triton (the KServe-v2 test server)

    @Test
    void on_triton_a_64_image_call_with_a_200_ms_deadline_ends_deadline_exceeded_and_no_model_infer_arrives_after_it() {
        triton.resetStatistics();
        triton.faults().latency(Duration.ofMillis(50)); // 38 model calls, 2 at a time: far more than 200 ms of work
        try {
            long t0 = System.nanoTime();
            Instant deadline = Instant.now().plusMillis(200);
            long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
            ImageScoreException e = encodeFails(tritonPipeline, deadline);
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            List<TritonTestServer.InferArrival> arrivals = triton.inferArrivals();

            assertThat(e).isNotNull();
            assertThat(e.code()).as(e.getMessage()).isEqualTo(ErrorCode.DEADLINE_EXCEEDED);
            System.out.printf("triton deadline test: ended after %d ms, %d ModelInfer calls%n", tookMs, arrivals.size());
            assertThat(tookMs).as("ended %d ms after the start", tookMs).isLessThan(200 + CALLER_SLACK_MS);
            // on a loaded machine decoding may use up all 200 ms, so no ModelInfer may have started at all
            assertThat(arrivals).as("ModelInfer calls").hasSizeLessThan(38);
            assertNoArrivalAfterAndNoneLongerThan(arrivals, deadlineNanos);
        } finally {
            triton.faults().reset();
            triton.awaitIdle();
        }
    }

    private static void assertNoArrivalAfterAndNoneLongerThan(List<TritonTestServer.InferArrival> arrivals, long deadlineNanos) {
        assertThat(arrivals).as("no ModelInfer arrives after the caller's deadline")
                .allSatisfy(a -> assertThat(a.atNanos() - deadlineNanos).isNegative());
        assertThat(arrivals).as("each ModelInfer's own deadline is no later than the caller's")
                .allSatisfy(a -> assertThat(a.deadlineNanos() - deadlineNanos).isNotPositive());
    }

    @Test
    void on_triton_a_held_19_mb_model_infer_carries_the_callers_deadline_and_expires_with_it() throws Exception {
        triton.resetStatistics();
        triton.faults().hang(true); // Triton never answers: only the RPC's own deadline ends it on the server
        try {
            long t0 = System.nanoTime();
            Instant deadline = Instant.now().plusMillis(2000); // room to decode first on a loaded machine
            long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2000);
            // 2 images × 19 tensors: the first ModelInfer is a full batch of 32 (19 MB), whose serialisation takes
            // longer than the deadline margin on a loaded machine. The server's deadline clock starts when the headers
            // arrive: they must not wait for the message (grpc-java holds a unary call's headers until then).
            ImageScoreException e = catchThrowableOfType(ImageScoreException.class, () -> tritonPipeline.encode(pack,
                    photos.subList(0, 2), HEAVY, Set.of(pack.embeddingOutput()), PreprocessMode.EXACT, deadline));
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            List<TritonTestServer.InferArrival> arrivals = triton.inferArrivals();

            assertThat(e.code()).as(e.getMessage()).isEqualTo(ErrorCode.DEADLINE_EXCEEDED);
            assertThat(tookMs).as("ended %d ms after the start", tookMs).isLessThan(2000 + 800);
            assertThat(arrivals).as("ModelInfer calls held").isNotEmpty();
            assertNoArrivalAfterAndNoneLongerThan(arrivals, deadlineNanos);
            // the server's deadline timer starts when the headers arrive, a little after the client's
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
            while (triton.cancelledInferCalls() < arrivals.size() && System.nanoTime() - until < 0) {
                Thread.sleep(5);
            }
            assertThat(triton.cancelledInferCalls()).as("held calls the server saw expire").isEqualTo(arrivals.size());
        } finally {
            triton.faults().reset();
            triton.releaseHeld();
            triton.awaitIdle();
        }
    }

    @Test
    void on_triton_cancelling_a_64_image_call_after_100_ms_stops_model_infer_calls_within_500_ms() throws Exception {
        triton.resetStatistics();
        triton.faults().latency(Duration.ofMillis(50));
        try {
            Running run = startCancellable(tritonPipeline);
            Thread.sleep(100);
            run.context().cancel(null);
            long cancelled = System.nanoTime();
            ImageScoreException e = run.result().get(500, TimeUnit.MILLISECONDS);
            Thread.sleep(Math.max(0, TimeUnit.NANOSECONDS.toMillis(cancelled + TimeUnit.MILLISECONDS.toNanos(500) - System.nanoTime())));
            int atEnd = triton.inferCalls();
            Thread.sleep(300);

            assertThat(e).isNotNull();
            assertThat(e.code()).as(e.getMessage()).isEqualTo(ErrorCode.CANCELLED);
            assertThat(triton.inferCalls()).as("ModelInfer counter flat 500 ms after the cancellation").isEqualTo(atEnd)
                    .isLessThan(38);
        } finally {
            triton.faults().reset();
            triton.awaitIdle();
        }
    }

    @Test
    void on_triton_cancelling_a_call_cancels_its_model_infer_on_the_wire() throws Exception {
        triton.resetStatistics();
        triton.faults().hang(true); // Triton never answers: only cancelling the RPC ends it
        try {
            Running run = startCancellable(tritonPipeline);
            long waited = System.nanoTime();
            while (triton.inferCalls() == 0 && System.nanoTime() - waited < TimeUnit.SECONDS.toNanos(10)) {
                Thread.sleep(5);
            }
            assertThat(triton.inferCalls()).as("a ModelInfer is held").isPositive();
            run.context().cancel(null);
            ImageScoreException e = run.result().get(500, TimeUnit.MILLISECONDS);
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
            while (triton.cancelledInferCalls() < triton.inferCalls() && System.nanoTime() - until < 0) {
                Thread.sleep(5);
            }

            assertThat(e.code()).as(e.getMessage()).isEqualTo(ErrorCode.CANCELLED);
            assertThat(triton.cancelledInferCalls()).as("held ModelInfer calls the server saw cancelled")
                    .isEqualTo(triton.inferCalls());
        } finally {
            triton.faults().reset();
            triton.releaseHeld();
            triton.awaitIdle();
        }
    }

    @Test
    void beyond_the_inference_limit_with_a_short_queue_wait_the_call_is_refused_overloaded_with_a_retry_hint() throws Exception {
        ScoringPipeline tight = new ScoringPipeline(backend, preprocessor, new ScoreMetrics(new SimpleMeterRegistry()),
                new Limits(Limits.defaultPixelBudget(), Limits.defaultByteBudget(), 1, 8, Duration.ofMillis(100), 2, null));
        CountDownLatch gate = new CountDownLatch(1);
        backend.starts.clear(); // "the first call is in the backend" is read from this
        backend.gate = gate;
        try {
            // the first call takes the only inference slot and holds it
            CompletableFuture<?> first = CompletableFuture.runAsync(() -> tight.encode(pack, photos.subList(0, 2),
                    List.of(View.CENTER), Set.of(pack.embeddingOutput()), PreprocessMode.EXACT, null));
            long waited = System.nanoTime();
            while (backend.starts.isEmpty() && System.nanoTime() - waited < TimeUnit.SECONDS.toNanos(10)) {
                Thread.sleep(5);
            }
            long t0 = System.nanoTime();
            ImageScoreException e = catchThrowableOfType(ImageScoreException.class, () -> tight.encode(pack,
                    photos.subList(2, 4), List.of(View.CENTER), Set.of(pack.embeddingOutput()), PreprocessMode.EXACT, null));
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            gate.countDown();
            first.get(10, TimeUnit.SECONDS);

            assertThat(e).isNotNull();
            assertThat(e.code()).isEqualTo(ErrorCode.OVERLOADED);
            assertThat(tookMs).as("refused after the 100 ms queue wait, not after the work").isLessThan(1500);
            assertThat(e.metadata()).containsEntry("retry_after_ms", "100").containsEntry("budget", "inference");
            StatusRuntimeException status = GrpcErrors.toStatus(e);
            assertThat(status.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
            ErrorInfo info = StatusProto.fromThrowable(status).getDetails(0).unpack(ErrorInfo.class);
            assertThat(info.getReason()).isEqualTo("OVERLOADED");
            assertThat(info.getMetadataMap()).containsEntry("retry_after_ms", "100");
        } finally {
            backend.gate = null;
            gate.countDown();
            tight.stop();
        }
    }

    private static void awaitQueued(FairBudget budget, int n) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (budget.queued() < n && System.nanoTime() - until < 0) {
            Thread.sleep(5);
        }
        assertThat(budget.queued()).as("calls queued").isEqualTo(n);
    }

    @Test
    void over_the_pixel_budget_a_queued_call_is_refused_fast_and_turns_are_kept_in_order() throws Exception {
        FairBudget pixels = new FairBudget("pixels", 4, TimeUnit.MILLISECONDS.toNanos(100), null, 1000, 1000);
        CallScope scope = CallScope.of(null);
        FairBudget.Grant held = pixels.acquire(scope, 800, 10);
        long t0 = System.nanoTime();
        ImageScoreException e = catchThrowableOfType(ImageScoreException.class, () -> pixels.acquire(scope, 300, 10));
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(e.code()).isEqualTo(ErrorCode.OVERLOADED);
        assertThat(e.metadata()).containsEntry("retry_after_ms", "100").containsEntry("budget", "pixels");
        assertThat(tookMs).as("refused after the 100 ms queue wait, not later").isBetween(90L, 1500L);
        // a big waiter at the head is not overtaken by a small one that would fit
        FairBudget fair = new FairBudget("pixels", 4, TimeUnit.SECONDS.toNanos(5), null, 1000, 1000);
        FairBudget.Grant first = fair.acquire(scope, 800, 1);
        ConcurrentLinkedQueue<String> got = new ConcurrentLinkedQueue<>();
        Thread big = Thread.ofVirtual().start(() -> {
            // 950: once big holds its share, small (100) no longer fits beside it, so the order is deterministic
            try (var g = fair.acquire(scope, 950, 1)) {
                got.add("big");
            }
        });
        awaitQueued(fair, 1); // big is queued before small arrives (a sleep would not guarantee it on a busy CI)
        Thread small = Thread.ofVirtual().start(() -> {
            try (var g = fair.acquire(scope, 100, 1)) {
                got.add("small");
            }
        });
        awaitQueued(fair, 2);
        assertThat(got).as("small would fit beside the first but waits behind big").isEmpty();
        first.close();
        big.join(2000);
        small.join(2000);
        assertThat(got).containsExactly("big", "small");
        held.close();
        assertThat(pixels.inUse(0)).isZero();
    }

    @Test
    void header_bombs_of_100_and_400_megapixels_fail_per_image_without_being_decoded() {
        backend.starts.clear();
        preprocessor.decodes.set(0);
        List<ImageInput> images = List.of(new ImageInput("bomb100", io.imagescore.testing.PngBombs.headerOnly(10_000, 10_000)), photos.getFirst(),
                new ImageInput("bomb400", io.imagescore.testing.PngBombs.headerOnly(20_000, 20_000)));
        long t0 = System.nanoTime();
        List<Outcome<EncodedImage>> out = pipeline.encode(pack, images, List.of(View.CENTER),
                Set.of(pack.embeddingOutput()), PreprocessMode.EXACT, null);
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);

        assertThat(out.get(0).error().code()).isEqualTo(ErrorCode.IMAGE_TOO_LARGE);
        assertThat(out.get(0).error().metadata()).containsEntry("width", "10000").containsEntry("max_pixels", "89478485");
        assertThat(out.get(1).isOk()).isTrue();
        assertThat(out.get(2).error().code()).isEqualTo(ErrorCode.IMAGE_TOO_LARGE);
        assertThat(preprocessor.decodes.get()).as("only the photo was decoded").isEqualTo(1);
        assertThat(tookMs).isLessThan(2000);
        // Pillow accepts up to its limit: a 9000 x 9000 header (81 MP) is not refused from the header
        assertThat(new Preprocessor().pixelCost(io.imagescore.testing.PngBombs.headerOnly(9_000, 9_000))).isEqualTo(81_000_000L);
    }

    @Test
    void closing_the_onnx_backend_during_a_run_waits_for_the_run_instead_of_crashing() throws Exception {
        OnnxBackend own = new OnnxBackend(new OnnxBackend.Config(1));
        own.load(pack.encoder());
        int s = pack.preprocessing().size();
        String input = pack.encoder().inputs().getFirst().name();
        CompletableFuture<Object> run = CompletableFuture.supplyAsync(() -> {
            try {
                for (int i = 0; i < 20; i++) {
                    own.infer(pack.encoder().id(), Map.of(input, Tensor.ofFloats(new long[] {32, 3, s, s},
                            new float[32 * 3 * s * s])), Set.of(pack.embeddingOutput()), null);
                }
                return "finished";
            } catch (ImageScoreException e) {
                return e.code();
            }
        });
        Thread.sleep(150);
        long t0 = System.nanoTime();
        own.close(); // before the fix: sessions freed under a running OrtSession.run → SIGSEGV
        long closeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(run.get(10, TimeUnit.SECONDS)).isEqualTo(ErrorCode.SHUTTING_DOWN);
        assertThat(closeMs).as("the running run was terminated, not waited out").isLessThan(3000);
    }

}
