package io.imagescore.api;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.imagescore.api.v1.ImageScoreGrpc;
import io.imagescore.api.v1.ScoreOptions;
import io.imagescore.api.v1.ScoreStreamRequest;
import io.imagescore.api.v1.ScoreStreamResponse;
import io.imagescore.testing.Shared;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.imagescore.api.ScoreGrpcServiceTest.image;
import static org.assertj.core.api.Assertions.assertThat;

@QuarkusTest
class ScoreStreamTest {
    @Inject
    MeterRegistry registry;
    @Inject
    ApiConfig config;
    ManagedChannel channel;

    @BeforeEach
    void connect() {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
    }

    @AfterEach
    void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    static final List<String> PHOTOS = List.of("data/clive/images/1000.JPG", "data/clive/images/1001.JPG",
            "data/clive/images/1002.JPG", "data/clive/images/1003.JPG");

    @Test
    void every_image_gets_exactly_one_result_including_bad_ones() throws Exception {
        int n = 150; // more than the window: the client must be paced by the server
        Map<String, ScoreStreamResponse> results = new ConcurrentHashMap<>();
        List<ScoreStreamResponse> headers = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        StreamObserver<ScoreStreamRequest> in = ImageScoreGrpc.newStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS)
                .scoreStream(new StreamObserver<>() {
                    public void onNext(ScoreStreamResponse r) {
                        if (r.hasHeader()) {
                            headers.add(r);
                        } else {
                            assertThat(results.put(r.getResult().getId(), r)).as("duplicate result").isNull();
                        }
                    }

                    public void onError(Throwable t) {
                        done.countDown();
                    }

                    public void onCompleted() {
                        done.countDown();
                    }
                });
        in.onNext(ScoreStreamRequest.newBuilder().setOptions(ScoreOptions.newBuilder().addScores("imagenet")).build());
        for (int i = 0; i < n; i++) {
            byte[] data = i % 10 == 7 ? "not an image".getBytes() : Shared.bytes(PHOTOS.get(i % PHOTOS.size()));
            in.onNext(ScoreStreamRequest.newBuilder().setImage(image("img-" + i, data)).build());
        }
        in.onCompleted();
        assertThat(done.await(120, TimeUnit.SECONDS)).isTrue();
        assertThat(headers).hasSize(1);
        assertThat(headers.getFirst().getHeader().getWindow()).isEqualTo(config.streamWindow());
        assertThat(headers.getFirst().getHeader().getScoresList()).as("the scores every result carries").containsExactly("imagenet@1");
        assertThat(results).hasSize(n);
        for (int i = 0; i < n; i++) {
            ScoreStreamResponse r = results.get("img-" + i);
            if (i % 10 == 7) {
                assertThat(r.getResult().getError().getCode()).isEqualTo("UNSUPPORTED_FORMAT");
            } else {
                assertThat(r.getResult().getScores().getClassesCount()).isEqualTo(1);
            }
        }
    }

    @Test
    void server_reads_no_more_than_its_window_when_the_client_does_not_read_results() throws Exception {
        double before = imagesCounted();
        CountDownLatch started = new CountDownLatch(1);
        ClientCallStreamObserver<ScoreStreamRequest>[] call = new ClientCallStreamObserver[1];
        // A client with the smallest HTTP/2 window (64 KiB) that asks for embeddings (~6 KB per result): after about
        // ten unread results the server's outbound side is no longer ready and it must stop reading images.
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        ManagedChannel small = io.grpc.netty.NettyChannelBuilder.forAddress("localhost", port).usePlaintext()
                .flowControlWindow(65535).build();
        ImageScoreGrpc.newStub(small).scoreStream(new ClientResponseObserver<ScoreStreamRequest, ScoreStreamResponse>() {
            public void beforeStart(ClientCallStreamObserver<ScoreStreamRequest> requestStream) {
                call[0] = requestStream;
                requestStream.disableAutoRequestWithInitial(0); // never read a response
                started.countDown();
            }

            public void onNext(ScoreStreamResponse value) {
            }

            public void onError(Throwable t) {
            }

            public void onCompleted() {
            }
        });
        started.await();
        call[0].onNext(ScoreStreamRequest.newBuilder().setOptions(ScoreOptions.newBuilder().setIncludeEmbedding(true)).build());
        byte[] photo = Shared.bytes(PHOTOS.getFirst());
        // 400 images ≈ 30 MB of requests: without server flow control they would all be read and scored.
        for (int i = 0; i < 400; i++) {
            call[0].onNext(ScoreStreamRequest.newBuilder().setImage(image("x" + i, photo)).build());
        }
        Thread.sleep(8000);
        double processed = imagesCounted() - before;
        call[0].cancel("test done", null);
        small.shutdownNow();
        // Responses back up (the client reads none); the server may have read its window plus one batch's worth of
        // transport slack, but nowhere near all 400.
        assertThat(processed).isGreaterThan(0).isLessThanOrEqualTo(2 * config.streamWindow() + config.streamBatch());
    }

    private double imagesCounted() {
        return registry.find("imagescore.images").counters().stream().mapToDouble(c -> c.count()).sum();
    }
}
