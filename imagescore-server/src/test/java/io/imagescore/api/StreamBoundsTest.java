package io.imagescore.api;

import com.google.protobuf.ByteString;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.imagescore.api.v1.ImageInput;
import io.imagescore.api.v1.RatedImage;
import io.imagescore.api.v1.ScoreOptions;
import io.imagescore.api.v1.ScoreStreamRequest;
import io.imagescore.api.v1.ScoreStreamResponse;
import io.imagescore.api.v1.TuneLabelsConfig;
import io.imagescore.api.v1.TuneLabelsRequest;
import io.imagescore.api.v1.TuneLabelsResponse;
import io.imagescore.config.LimitsConfig;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.image.PreprocessMode;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackLoader;
import io.imagescore.score.Outcome;
import io.imagescore.score.ScoreMetrics;
import io.imagescore.score.ScoredImage;
import io.imagescore.testing.Shared;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The byte bounds of the two client-streaming calls, on the sessions themselves with real photos: a ScoreStream
 * asks for no further image while the unanswered ones hold {@code imagescore.limits.max-request-bytes}, and a
 * TuneLabels stream whose rated images would exceed it fails with TOO_MANY_IMAGES before holding the one too many.
 */
class StreamBoundsTest {
    static final ScoreMetrics METRICS = new ScoreMetrics(new SimpleMeterRegistry());
    /** The clive photos are 24–53 KB each: about nine of them reach this bound, far fewer than the stream window. */
    static final long MAX_BYTES = 300_000;
    static final List<String> PHOTOS = List.of("data/clive/images/1000.JPG", "data/clive/images/1001.JPG",
            "data/clive/images/1002.JPG", "data/clive/images/1003.JPG", "data/clive/images/1004.JPG",
            "data/clive/images/1005.JPG", "data/clive/images/1006.JPG", "data/clive/images/1007.JPG");

    /** The server side of a call: records how many inbound messages the session asked for and what it sent. */
    static final class ServerSide<T> extends ServerCallStreamObserver<T> {
        final AtomicInteger requested = new AtomicInteger();
        final List<T> sent = new CopyOnWriteArrayList<>();
        final CopyOnWriteArrayList<Throwable> errors = new CopyOnWriteArrayList<>();

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public void setOnCancelHandler(Runnable onCancelHandler) {
        }

        @Override
        public void setCompression(String compression) {
        }

        @Override
        public boolean isReady() {
            return true; // the client reads every result at once: only the session's own bounds pace it
        }

        @Override
        public void setOnReadyHandler(Runnable onReadyHandler) {
        }

        @Override
        public void disableAutoInboundFlowControl() {
        }

        @Override
        public void disableAutoRequest() {
        }

        @Override
        public void request(int count) {
            requested.addAndGet(count);
        }

        @Override
        public void setMessageCompression(boolean enable) {
        }

        @Override
        public void onNext(T value) {
            sent.add(value);
        }

        @Override
        public void onError(Throwable t) {
            errors.add(t);
        }

        @Override
        public void onCompleted() {
        }
    }

    static LimitsConfig maxRequestBytes(long max) {
        return (LimitsConfig) Proxy.newProxyInstance(LimitsConfig.class.getClassLoader(), new Class<?>[] {LimitsConfig.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "maxRequestBytes" -> (int) max;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    static ByteString photo(int i) throws Exception {
        return ByteString.copyFrom(Shared.bytes(PHOTOS.get(i % PHOTOS.size())));
    }

    private static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean() && System.nanoTime() - until < 0) {
            Thread.sleep(5);
        }
    }

    @Test
    void a_score_stream_reads_no_further_image_while_its_unanswered_images_hold_max_request_bytes() throws Exception {
        ModelPack pack = new PackLoader(Shared.dir()).load(Shared.root().resolve("packs/mobilenetv2-default"));
        CountDownLatch scoring = new CountDownLatch(1);
        AtomicInteger batches = new AtomicInteger();
        ScoreGrpcService service = new ScoreGrpcService() {
            @Override
            Prepared prepare(ScoreOptions options) {
                return new Prepared(pack, List.of(), "test", 0, PreprocessMode.EXACT, false, false, null, null, null, "default");
            }

            @Override
            List<Outcome<ScoredImage>> run(Prepared p, List<RequestImage> images, Instant deadline) {
                batches.incrementAndGet();
                try {
                    scoring.await(10, TimeUnit.SECONDS); // the first batch holds until the test lets it finish
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return images.stream().map(i -> Outcome.<ScoredImage>failed(i.id(),
                        new ImageScoreException(ErrorCode.UNSUPPORTED_FORMAT, "not scored in this test"))).toList();
            }

            @Override
            ScoreMetrics metrics() {
                return METRICS;
            }
        };
        ServerSide<ScoreStreamResponse> out = new ServerSide<>();
        int window = 64;
        ScoreStreamSession session = new ScoreStreamSession(service, out, window, 8, MAX_BYTES);
        assertThat(out.requested.get()).as("the options message").isEqualTo(1);
        session.onNext(ScoreStreamRequest.newBuilder().setOptions(ScoreOptions.getDefaultInstance()).build());
        await(() -> out.requested.get() == 2);

        // the client has far more to send than the bound: it may send one image per message asked for
        int sent = 0;
        long held = 0;
        while (sent < 40 && out.requested.get() - 1 > sent) {
            ByteString data = photo(sent);
            session.onNext(ScoreStreamRequest.newBuilder().setImage(ImageInput.newBuilder().setId("p" + sent).setData(data)).build());
            sent++;
            held += data.size();
            Thread.sleep(20); // a further ask would come from the next batch's thread too
        }
        assertThat(batches.get()).as("the first image's batch is being scored").isEqualTo(1);
        assertThat(sent).as("images read before the session stopped asking").isLessThan(window).isLessThan(40);
        assertThat(held).as("the unanswered bytes reached the bound").isGreaterThanOrEqualTo(MAX_BYTES);
        assertThat(held - Shared.bytes(PHOTOS.get((sent - 1) % PHOTOS.size())).length)
                .as("it stopped with the first image that reached the bound").isLessThan(MAX_BYTES);

        int answered = out.sent.size();
        // read before the release: the batch's thread may ask again before this thread runs on
        int before = out.requested.get();
        scoring.countDown(); // the held batch is answered: its bytes are released and reading resumes
        await(() -> out.requested.get() > before);
        assertThat(out.requested.get()).as("asks again once answered").isGreaterThan(before);
        assertThat(out.sent.size()).isGreaterThan(answered);
        assertThat(out.errors).isEmpty();
    }

    @Test
    void tune_labels_refuses_rated_images_beyond_max_request_bytes_with_too_many_images() throws Exception {
        LabelTuningGrpcService service = new LabelTuningGrpcService();
        service.limits = maxRequestBytes(MAX_BYTES);
        service.metrics = METRICS;
        ServerSide<TuneLabelsResponse> out = new ServerSide<>();
        StreamObserver<TuneLabelsRequest> in = service.tuneLabels(out);
        in.onNext(TuneLabelsRequest.newBuilder().setConfig(TuneLabelsConfig.newBuilder().setDryRun(true)).build());
        long held = 0;
        int sent = 0;
        while (out.errors.isEmpty() && sent < 40) {
            ByteString data = photo(sent);
            in.onNext(TuneLabelsRequest.newBuilder().setImage(RatedImage.newBuilder()
                    .setImage(ImageInput.newBuilder().setId("p" + sent).setData(data))).build());
            sent++;
            held += data.size();
        }
        assertThat(out.errors).hasSize(1);
        assertThat(held).as("the image that failed the call is the first to exceed the bound").isGreaterThan(MAX_BYTES);
        assertThat(held - photo(sent - 1).size()).isLessThanOrEqualTo(MAX_BYTES);
        StatusRuntimeException e = (StatusRuntimeException) out.errors.getFirst();
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).contains("at most " + MAX_BYTES + " bytes")
                .contains("image " + sent + " brings them to " + held);
        ErrorInfo info = StatusProto.fromThrowable(e).getDetails(0).unpack(ErrorInfo.class);
        assertThat(info.getReason()).isEqualTo("TOO_MANY_IMAGES");
        assertThat(info.getMetadataMap()).containsEntry("max_bytes", Long.toString(MAX_BYTES));

        // the failed call holds nothing more: later images and the end of the stream are ignored, no tuning starts
        in.onNext(TuneLabelsRequest.newBuilder().setImage(RatedImage.newBuilder()
                .setImage(ImageInput.newBuilder().setId("late").setData(photo(0)))).build());
        in.onCompleted();
        Thread.sleep(100);
        assertThat(out.errors).hasSize(1);
        assertThat(out.sent).isEmpty();
    }
}
