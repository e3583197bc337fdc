package io.imagescore.bench;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.imagescore.api.v1.ImageInput;
import io.imagescore.api.v1.ImageScoreGrpc;
import io.imagescore.api.v1.ScoreOptions;
import io.imagescore.api.v1.ScoreRequest;
import io.imagescore.api.v1.ScoreResponse;
import io.imagescore.api.v1.ScoreStreamRequest;
import io.imagescore.api.v1.ScoreStreamResponse;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * {@code imagescore loadgen}: drives Score or ScoreStream of a LOCAL service (loopback only) at a fixed concurrency
 * (closed loop) or a fixed rate (open loop, latency measured from the intended send time, so a slow server cannot
 * hide queueing) for a bounded time, and prints throughput and latency percentiles as a table, like perf_analyzer.
 */
@Command(name = "loadgen", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Load generator for a local imagescore service: throughput and p50/p90/p95/p99 latency.")
public final class LoadGenerator implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Option(names = "--target", required = true, description = "host:port of a service on this machine (loopback only)")
    String target;
    @Option(names = "--rpc", defaultValue = "score", description = "score or stream")
    String rpc;
    @Option(names = "--concurrency", split = ",", description = "closed loop: requests (score) or images (stream) outstanding; several values = several rows")
    List<Integer> concurrency;
    @Option(names = "--rate", split = ",", description = "open loop: requests/s (score) or images/s (stream); several values = several rows")
    List<Double> rate;
    @Option(names = "--duration", defaultValue = "20", description = "measured seconds per row (default ${DEFAULT-VALUE})")
    double duration;
    @Option(names = "--warmup", defaultValue = "5", description = "unmeasured seconds before each row (default ${DEFAULT-VALUE})")
    double warmup;
    @Option(names = "--images", required = true, description = "directory of images (loaded into memory once, cycled)")
    Path images;
    @Option(names = "--batch", defaultValue = "1", description = "score: images per request (default ${DEFAULT-VALUE})")
    int batch;
    @Option(names = "--channels", defaultValue = "1", description = "connections (stream: one stream each)")
    int channels;
    @Option(names = "--scores", split = ",", description = "scores wanted (default: the pack's default set)")
    List<String> scores = List.of();
    @Option(names = "--pack", defaultValue = "")
    String pack;
    @Option(names = "--preprocess", defaultValue = "exact", description = "${COMPLETION-CANDIDATES}")
    io.imagescore.image.PreprocessMode preprocess;
    @Option(names = "--max-images", defaultValue = "200", description = "at most this many images are loaded")
    int maxImages;

    private List<ByteString> data;
    private ScoreOptions options;

    /** Latencies (ns) and counts of one measured window. */
    static final class Window {
        final AtomicLong requests = new AtomicLong();
        final AtomicLong images = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        private long[] latencies = new long[1 << 14];
        private int n;
        volatile boolean measuring;
        /** The first failure of a whole call or stream (not a per-image error), printed under the table. */
        volatile String firstFailure;

        void streamFailed(Throwable t) {
            errors.incrementAndGet();
            if (firstFailure == null) {
                firstFailure = io.grpc.Status.fromThrowable(t).toString();
            }
        }

        synchronized void record(long nanos, int imageCount, boolean error) {
            if (!measuring) {
                return;
            }
            requests.incrementAndGet();
            images.addAndGet(imageCount);
            if (error) {
                errors.incrementAndGet();
            }
            if (n == latencies.length) {
                latencies = Arrays.copyOf(latencies, n * 2);
            }
            latencies[n++] = nanos;
        }

        synchronized double percentileMillis(double p) {
            if (n == 0) {
                return Double.NaN;
            }
            long[] sorted = Arrays.copyOf(latencies, n);
            Arrays.sort(sorted);
            int idx = (int) Math.ceil(p / 100.0 * n) - 1;
            return sorted[Math.max(0, Math.min(n - 1, idx))] / 1e6;
        }
    }

    @Override
    public Integer call() throws Exception {
        String host = target.substring(0, target.lastIndexOf(':'));
        for (InetAddress a : InetAddress.getAllByName(host)) {
            if (!a.isLoopbackAddress()) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "loadgen only targets a service on this machine; "
                        + host + " resolves to " + a.getHostAddress());
            }
        }
        data = load();
        options = ScoreOptions.newBuilder().setPack(pack).addAllScores(scores).setTopK(1)
                .setPreprocessMode(io.imagescore.image.PreprocessModes.toProto(preprocess))
                .build();
        List<ManagedChannel> chans = new ArrayList<>();
        for (int i = 0; i < channels; i++) {
            chans.add(NettyChannelBuilder.forTarget(target).usePlaintext().maxInboundMessageSize(64 << 20).build());
        }
        java.io.PrintWriter out = spec.commandLine().getOut();
        try {
            out.printf("imagescore loadgen: %s %s, %d images from %s (%.0f KB mean), %d channel(s), %s s measured after %s s warm-up%n",
                    target, rpc, data.size(), images, data.stream().mapToLong(ByteString::size).average().orElse(0) / 1024,
                    channels, duration, warmup);
            out.println();
            out.println("| rpc | load | requests | images | errors | images/s | p50 ms | p90 ms | p95 ms | p99 ms |");
            out.println("|---|---|---|---|---|---|---|---|---|---|");
            if (concurrency != null) {
                for (int c : concurrency) {
                    row(out, "concurrency " + c, run(chans, c, 0));
                }
            }
            if (rate != null) {
                for (double r : rate) {
                    row(out, "rate " + r + "/s", run(chans, 0, r));
                }
            }
        } finally {
            chans.forEach(ManagedChannel::shutdownNow);
        }
        return 0;
    }

    private void row(java.io.PrintWriter out, String load, Window w) {
        out.printf(Locale.ROOT, "| %s%s | %s | %,d | %,d | %,d | %.1f | %.1f | %.1f | %.1f | %.1f |%n", rpc,
                rpc.equals("score") ? " ×" + batch : "", load, w.requests.get(), w.images.get(), w.errors.get(),
                w.images.get() / duration, w.percentileMillis(50), w.percentileMillis(90), w.percentileMillis(95),
                w.percentileMillis(99));
        if (w.firstFailure != null) {
            out.println("  first stream/call failure in this row: " + w.firstFailure);
        }
        out.flush();
    }

    private List<ByteString> load() throws IOException {
        try (Stream<Path> s = Files.walk(images)) {
            List<Path> files = s.filter(Files::isRegularFile).sorted().limit(maxImages).toList();
            List<ByteString> out = new ArrayList<>();
            for (Path f : files) {
                out.add(ByteString.copyFrom(Files.readAllBytes(f)));
            }
            if (out.isEmpty()) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "no images under " + images);
            }
            return out;
        }
    }

    private Window run(List<ManagedChannel> chans, int conc, double perSecond) throws Exception {
        Window w = new Window();
        AtomicLong next = new AtomicLong();
        long end = System.nanoTime() + (long) ((warmup + duration) * 1e9);
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        timer.schedule(() -> {
            w.measuring = true;
        }, (long) (warmup * 1000), TimeUnit.MILLISECONDS);
        try {
            if (rpc.equals("score")) {
                runScore(chans, conc, perSecond, w, next, end);
            } else {
                runStream(chans, conc, perSecond, w, next, end);
            }
        } finally {
            timer.shutdownNow();
        }
        w.measuring = false;
        return w;
    }

    private ScoreRequest request(AtomicLong next) {
        ScoreRequest.Builder b = ScoreRequest.newBuilder().setOptions(options);
        for (int i = 0; i < batch; i++) {
            long k = next.getAndIncrement();
            b.addImages(ImageInput.newBuilder().setId("i" + k).setData(data.get((int) (k % data.size()))));
        }
        return b.build();
    }

    private static boolean anyError(ScoreResponse r) {
        return r.getResultsList().stream().anyMatch(x -> x.hasError());
    }

    private void runScore(List<ManagedChannel> chans, int conc, double perSecond, Window w, AtomicLong next, long end)
            throws Exception {
        if (conc > 0) {
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < conc; i++) {
                var stub = ImageScoreGrpc.newBlockingStub(chans.get(i % chans.size()));
                threads.add(Thread.ofVirtual().start(() -> {
                    while (System.nanoTime() < end) {
                        ScoreRequest req = request(next);
                        long t0 = System.nanoTime();
                        boolean error;
                        try {
                            error = anyError(stub.withDeadlineAfter(60, TimeUnit.SECONDS).score(req));
                        } catch (RuntimeException e) {
                            error = true;
                        }
                        w.record(System.nanoTime() - t0, batch, error);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            return;
        }
        long interval = (long) (1e9 / perSecond);
        long start = System.nanoTime();
        AtomicLong outstanding = new AtomicLong();
        for (long k = 0; ; k++) {
            long intended = start + k * interval;
            if (intended >= end) {
                break;
            }
            long wait = intended - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            var stub = ImageScoreGrpc.newStub(chans.get((int) (k % chans.size()))).withDeadlineAfter(60, TimeUnit.SECONDS);
            outstanding.incrementAndGet();
            stub.score(request(next), new StreamObserver<>() {
                public void onNext(ScoreResponse r) {
                    w.record(System.nanoTime() - intended, batch, anyError(r));
                }

                public void onError(Throwable t) {
                    w.record(System.nanoTime() - intended, batch, true);
                    outstanding.decrementAndGet();
                }

                public void onCompleted() {
                    outstanding.decrementAndGet();
                }
            });
        }
        long drain = System.nanoTime() + 60_000_000_000L;
        while (outstanding.get() > 0 && System.nanoTime() < drain) {
            Thread.sleep(10);
        }
    }

    private void runStream(List<ManagedChannel> chans, int conc, double perSecond, Window w, AtomicLong next, long end)
            throws Exception {
        List<Thread> senders = new ArrayList<>();
        for (int c = 0; c < chans.size(); c++) {
            int share = conc > 0 ? Math.max(1, conc / chans.size() + (c < conc % chans.size() ? 1 : 0)) : 0;
            double rateShare = perSecond / chans.size();
            ManagedChannel ch = chans.get(c);
            senders.add(Thread.ofVirtual().start(() -> {
                try {
                    stream(ch, share, rateShare, w, next, end);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        for (Thread t : senders) {
            t.join();
        }
    }

    private void stream(ManagedChannel ch, int conc, double perSecond, Window w, AtomicLong next, long end)
            throws InterruptedException {
        ConcurrentHashMap<String, Long> sent = new ConcurrentHashMap<>();
        // closed loop only: in open loop (rate) nothing waits for permits, and releasing one per result would
        // overflow a semaphore started at Integer.MAX_VALUE
        Semaphore permits = conc > 0 ? new Semaphore(conc) : null;
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        StreamObserver<ScoreStreamRequest> in = ImageScoreGrpc.newStub(ch).scoreStream(new StreamObserver<>() {
            public void onNext(ScoreStreamResponse r) {
                if (r.hasResult()) {
                    Long t0 = sent.remove(r.getResult().getId());
                    if (t0 != null) {
                        w.record(System.nanoTime() - t0, 1, r.getResult().hasError());
                    }
                    if (permits != null) {
                        permits.release();
                    }
                }
            }

            public void onError(Throwable t) {
                w.streamFailed(t);
                done.countDown();
            }

            public void onCompleted() {
                done.countDown();
            }
        });
        synchronized (in) {
            in.onNext(ScoreStreamRequest.newBuilder().setOptions(options).build());
        }
        long interval = perSecond > 0 ? (long) (1e9 / perSecond) : 0;
        long start = System.nanoTime();
        for (long k = 0; ; k++) {
            long intended = perSecond > 0 ? start + k * interval : System.nanoTime();
            if (intended >= end || done.getCount() == 0) {
                break;
            }
            if (perSecond > 0) {
                long wait = intended - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
            } else if (!permits.tryAcquire(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                break;
            } else {
                intended = System.nanoTime();
            }
            long id = next.getAndIncrement();
            sent.put("i" + id, intended);
            synchronized (in) {
                in.onNext(ScoreStreamRequest.newBuilder().setImage(ImageInput.newBuilder().setId("i" + id)
                        .setData(data.get((int) (id % data.size())))).build());
            }
        }
        synchronized (in) {
            in.onCompleted();
        }
        done.await(120, TimeUnit.SECONDS);
    }
}
