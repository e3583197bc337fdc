import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.imagescore.api.v1.ImageInput;
import io.imagescore.api.v1.ImageScoreGrpc;
import io.imagescore.api.v1.ScoreRequest;
import io.imagescore.api.v1.ScoreResponse;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts the packaged server as a child process and times it from the process start: to the first 200 of
 * /q/health/ready, and to the first successful Score of IMAGE (both polled every 5 ms from threads that are warm
 * before the server starts). Then sends EXTRA more Scores (training traffic when the server records an AOT cache) and
 * stops it with SIGTERM, waiting for it to exit (a JVM writes its -XX:AOTCacheOutput cache at exit). EXTRA = -1: no
 * Score at all, the server is stopped once ready. Prints wall and server CPU milliseconds from the process start:
 * "ready_ms= first_score_ms= ready_cpu_ms= first_score_cpu_ms=" (-1 for the Score when there was none). Compiled by
 * the server's build into target/quarkus-app/aot-training/ (a JRE cannot run a source file) and run on the
 * application's class path (bin/lib/cold-start-client.sh).
 *
 * usage: ColdStart PORT IMAGE EXTRA LOG -- server command...
 */
public class ColdStart {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        byte[] image = Files.readAllBytes(Path.of(args[1]));
        int extra = Integer.parseInt(args[2]);
        Path log = Path.of(args[3]);
        List<String> command = new ArrayList<>(Arrays.asList(args).subList(5, args.length));

        ScoreRequest request = ScoreRequest.newBuilder()
                .addImages(ImageInput.newBuilder().setId("cold").setData(ByteString.copyFrom(image))).build();
        ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(200)).build();
        HttpRequest ready = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/q/health/ready"))
                .timeout(Duration.ofSeconds(2)).build();
        // warm the client side (classes, JIT of the first calls) against a closed port before the clock starts
        trySend(channel, request);
        tryReady(http, ready);

        long t0 = System.nanoTime();
        Process server = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long[] readyAt = {-1};
        long[] readyCpu = {-1};
        Thread readiness = Thread.ofPlatform().start(() -> {
            while (server.isAlive()) {
                if (tryReady(http, ready)) {
                    readyAt[0] = System.nanoTime();
                    readyCpu[0] = cpuMillis(server);
                    threadCpu(server, log.resolveSibling(log.getFileName() + ".threads"));
                    return;
                }
                sleep();
            }
        });
        long scoredAt = -1;
        long scoredCpu = -1;
        long until = t0 + TimeUnit.SECONDS.toNanos(120);
        while (extra >= 0 && server.isAlive() && System.nanoTime() < until) {
            if (trySend(channel, request)) {
                scoredAt = System.nanoTime();
                scoredCpu = cpuMillis(server);
                break;
            }
            sleep();
        }
        readiness.join(TimeUnit.SECONDS.toMillis(120));
        for (int i = 0; i < extra && scoredAt > 0; i++) {
            trySend(channel, request);
        }
        channel.shutdownNow();
        server.destroy(); // SIGTERM: graceful shutdown, then the JVM writes its AOT cache if it records one
        boolean exited = server.waitFor(600, TimeUnit.SECONDS);
        if ((extra >= 0 && scoredAt < 0) || readyAt[0] < 0 || !exited) {
            server.destroyForcibly();
            System.err.println("cold start failed (scored=" + (scoredAt > 0) + ", ready=" + (readyAt[0] > 0)
                    + ", exited=" + exited + "); server log: " + log);
            System.exit(1);
        }
        System.out.printf("ready_ms=%d first_score_ms=%d ready_cpu_ms=%d first_score_cpu_ms=%d%n",
                (readyAt[0] - t0) / 1_000_000, scoredAt < 0 ? -1 : (scoredAt - t0) / 1_000_000, readyCpu[0], scoredCpu);
    }

    /** CPU time the server has used so far (all threads): less sensitive than wall time to other load on the host. */
    private static long cpuMillis(Process server) {
        return server.toHandle().info().totalCpuDuration().map(java.time.Duration::toMillis).orElse(-1L);
    }

    /**
     * Linux only: the server's CPU milliseconds per thread name (digits folded: "C2 CompilerThreN") at this moment,
     * into FILE, largest first: where the CPU to ready went (JIT, GC, main, pack hashing, ...).
     */
    private static void threadCpu(Process server, Path file) {
        java.util.Map<String, Long> byName = new java.util.TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc", String.valueOf(server.pid()), "task"))) {
            for (Path t : tasks.toList()) {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
                    String name = Files.readString(t.resolve("comm")).strip().replaceAll("[0-9]+", "N");
                    byName.merge(name, ticks * 10, Long::sum); // USER_HZ = 100
                } catch (java.io.IOException | RuntimeException gone) {
                    // a thread that ended meanwhile
                }
            }
            List<String> lines = new ArrayList<>();
            byName.entrySet().stream().sorted(java.util.Map.Entry.<String, Long>comparingByValue().reversed())
                    .forEach(e -> lines.add(e.getValue() + " " + e.getKey()));
            Files.write(file, lines);
        } catch (java.io.IOException e) {
            // not Linux: no split
        }
    }

    private static boolean trySend(ManagedChannel channel, ScoreRequest request) {
        channel.resetConnectBackoff(); // connect again at once, not after grpc's reconnect backoff (1 s and growing)
        try {
            ScoreResponse r = ImageScoreGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).score(request);
            return r.getResultsCount() == 1 && r.getResults(0).hasScores();
        } catch (StatusRuntimeException e) {
            return false;
        }
    }

    private static boolean tryReady(HttpClient http, HttpRequest ready) {
        try {
            return http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (java.io.IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
