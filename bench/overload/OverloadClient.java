import com.google.protobuf.ByteString;
import com.google.rpc.ErrorInfo;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.imagescore.api.v1.ImageInput;
import io.imagescore.api.v1.ImageResult;
import io.imagescore.api.v1.ImageScoreGrpc;
import io.imagescore.api.v1.ScoreRequest;
import io.imagescore.api.v1.ScoreResponse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Client of bench/overload-bench.sh (run as a source file on the server's classpath):
 * CLIENTS threads each send Score calls of BATCH images taken in turn from IMAGES/noisy-*.jpg (closed loop) for
 * DURATION seconds, while a probe sends a 1-image Score (PROBE image) every 250 ms; then the PNG bombs, one per call.
 * Prints key=value lines that the script turns into a table.
 *
 * usage: java OverloadClient.java host:port IMAGES CLIENTS DURATION_S BATCH PROBE
 */
public class OverloadClient {
    static final Map<String, AtomicLong> calls = new ConcurrentHashMap<>();

    static String outcome(StatusRuntimeException e) {
        String reason = "";
        try {
            com.google.rpc.Status s = StatusProto.fromThrowable(e);
            if (s != null) {
                for (var d : s.getDetailsList()) {
                    if (d.is(ErrorInfo.class)) {
                        reason = "/" + d.unpack(ErrorInfo.class).getReason();
                    }
                }
            }
        } catch (Exception ignored) {
        }
        return e.getStatus().getCode() + reason;
    }

    public static void main(String[] a) throws Exception {
        String target = a[0];
        Path dir = Path.of(a[1]);
        int clients = Integer.parseInt(a[2]);
        double duration = Double.parseDouble(a[3]);
        int batch = Integer.parseInt(a[4]);
        ByteString probeImage = ByteString.copyFrom(Files.readAllBytes(Path.of(a[5])));
        List<ByteString> pool = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith("noisy-")).sorted().toList()) {
                pool.add(ByteString.copyFrom(Files.readAllBytes(p)));
            }
        }
        ManagedChannel channel = NettyChannelBuilder.forTarget(target).usePlaintext().maxInboundMessageSize(64 << 20).build();
        ImageScoreGrpc.ImageScoreBlockingStub stub = ImageScoreGrpc.newBlockingStub(channel);
        long end = System.nanoTime() + (long) (duration * 1e9);
        AtomicLong okImages = new AtomicLong();
        AtomicLong imageErrors = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            threads.add(Thread.ofPlatform().start(() -> {
                int next = client * batch;
                while (System.nanoTime() < end) {
                    ScoreRequest.Builder b = ScoreRequest.newBuilder();
                    for (int i = 0; i < batch; i++) {
                        b.addImages(ImageInput.newBuilder().setId("c" + client + "-" + i).setData(pool.get(next++ % pool.size())));
                    }
                    String o;
                    try {
                        ScoreResponse r = stub.withDeadlineAfter(120, TimeUnit.SECONDS).score(b.build());
                        for (ImageResult ir : r.getResultsList()) {
                            (ir.hasScores() ? okImages : imageErrors).incrementAndGet();
                        }
                        o = "OK";
                    } catch (StatusRuntimeException e) {
                        o = outcome(e);
                        if (o.startsWith("RESOURCE_EXHAUSTED")) {
                            try {
                                Thread.sleep(50); // a client that backs off a little, as told by retry_after_ms
                            } catch (InterruptedException ie) {
                                return;
                            }
                        }
                    }
                    calls.computeIfAbsent(o, k -> new AtomicLong()).incrementAndGet();
                }
            }));
        }
        // the probe is another user: its own connection, not queued behind the load's 25 MB messages on the same one
        ManagedChannel probeChannel = NettyChannelBuilder.forTarget(target).usePlaintext().build();
        ImageScoreGrpc.ImageScoreBlockingStub probeStub = ImageScoreGrpc.newBlockingStub(probeChannel);
        List<Long> probeOk = new ArrayList<>();
        long start = System.nanoTime();
        long slowest = 0;
        double slowestAt = 0;
        Map<String, Integer> probeOutcomes = new TreeMap<>();
        while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            String o;
            try {
                probeStub.withDeadlineAfter(60, TimeUnit.SECONDS).score(ScoreRequest.newBuilder()
                        .addImages(ImageInput.newBuilder().setId("probe").setData(probeImage)).build());
                o = "OK";
                probeOk.add(System.nanoTime() - t0);
                if (System.nanoTime() - t0 > slowest) {
                    slowest = System.nanoTime() - t0;
                    slowestAt = (t0 - start) / 1e9;
                }
            } catch (StatusRuntimeException e) {
                o = outcome(e);
            }
            probeOutcomes.merge(o, 1, Integer::sum);
            long left = 250_000_000L - (System.nanoTime() - t0);
            if (left > 0) {
                Thread.sleep(left / 1_000_000);
            }
        }
        for (Thread t : threads) {
            t.join();
        }
        new TreeMap<>(calls).forEach((k, v) -> System.out.println("calls." + k + "=" + v));
        System.out.println("images.ok=" + okImages + "\nimages.error=" + imageErrors);
        probeOk.sort(null);
        if (!probeOk.isEmpty()) {
            System.out.printf("probe.p50_ms=%.0f%nprobe.p99_ms=%.0f%nprobe.max_ms=%.0f%n", pct(probeOk, 0.50), pct(probeOk, 0.99),
                    probeOk.getLast() / 1e6);
            System.out.printf("probe.max_sent_at_s=%.1f%n", slowestAt); // seconds into the run
        }
        probeOutcomes.forEach((k, v) -> System.out.println("probe." + k + "=" + v));

        for (String bomb : List.of("bomb-100mp.png", "bomb-400mp.png")) {
            String o;
            try {
                ScoreResponse r = stub.withDeadlineAfter(60, TimeUnit.SECONDS).score(ScoreRequest.newBuilder()
                        .addImages(ImageInput.newBuilder().setId(bomb).setData(ByteString.copyFrom(Files.readAllBytes(dir.resolve(bomb))))).build());
                ImageResult ir = r.getResults(0);
                o = ir.hasError() ? "image error " + ir.getError().getCode() : "scored (" + ir.getScores().getWidth() + "x" + ir.getScores().getHeight() + ")";
            } catch (StatusRuntimeException e) {
                o = "call " + outcome(e);
            }
            System.out.println("bomb." + bomb + "=" + o);
        }
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        probeChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    static double pct(List<Long> sorted, double q) {
        return sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(q * sorted.size()) - 1)) / 1e6;
    }
}
