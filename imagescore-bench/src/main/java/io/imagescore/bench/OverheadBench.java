package io.imagescore.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.imagescore.api.v1.ImageScoreGrpc;
import io.imagescore.api.v1.ScoreOptions;
import io.imagescore.api.v1.ScoreRequest;
import io.imagescore.api.v1.ScoreResponse;
import io.imagescore.image.PreprocessMode;
import io.imagescore.image.PreprocessedImage;
import io.imagescore.image.View;
import io.imagescore.model.onnx.OnnxBackend;
import io.imagescore.pack.ModelPack;
import io.imagescore.score.Engine;
import io.imagescore.score.ImageInput;
import io.imagescore.score.Outcome;
import io.imagescore.score.ScoreMetrics;
import io.imagescore.score.ScoredImage;
import io.imagescore.score.ScoringPipeline;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the service costs on top of the model (bench/README.md, "Service overhead"): the same photos, batch and threads
 * through (a) a bare ONNX Runtime session on pre-made tensors (the backend's own session options), (b) the scoring
 * pipeline in-process ({@link Engine}), (c) {@code Score} over gRPC on loopback against the packaged server. Prints
 * throughput, ratios, the per-stage split of (b) and (c) (the pipeline's stage timers, the server's from /q/metrics)
 * and the bound the stage times allow: cores ÷ per-image CPU time of all stages (inference counted as wall time ×
 * intra-op threads). (b) also runs with the pipeline's earlier schedule ({@link ScoringPipeline#overlapDecoding}) in
 * the same rounds. Rounds alternate a, b-sequential, b, c per score set; medians over rounds.
 *
 * <p>Usage: OverheadBench SHARED PACK_DIR TARGET SERVER_PID IMAGES BATCH ROUNDS SECONDS SET...
 * where SET is name=score,score (e.g. typical=quality_fast,imagenet).
 */
public final class OverheadBench {
    static final String[] STAGES = {"decode", "preprocess", "inference", "heads", "reply"};

    record ScoreSet(String name, List<String> scores) {
    }

    /**
     * One measured phase: images, wall nanos, stage nanos (sums), CPU nanos of the process doing the work (this one for
     * (a) and (b), the server for (c)) and of the client (c only), and the same CPU by thread kind ({@link #threadCpuNanos};
     * the client's empty for (a) and (b)).
     */
    record Phase(long images, long wallNanos, Map<String, Double> stageNanos, double cpuNanos, double clientCpuNanos,
                 Map<String, Double> threads, Map<String, Double> clientThreads) {
        double rate() {
            return images / (wallNanos / 1e9);
        }

        /** CPU ms per image of the JIT compiler threads: still compiling means the JVM is not warm yet. */
        double jitMs() {
            return threads.getOrDefault(JIT, 0.0) / images / 1e6;
        }

        double clientJitMs() {
            return clientThreads.getOrDefault(JIT, 0.0) / images / 1e6;
        }

        /** The eight busiest thread kinds, CPU ms per image. */
        String split(Map<String, Double> t) {
            StringBuilder out = new StringBuilder();
            t.entrySet().stream().filter(e -> e.getValue() > 0)
                    .sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(8)
                    .forEach(e -> out.append(String.format(" %s %.2f;", e.getKey(), e.getValue() / images / 1e6)));
            return out.toString();
        }

        double msPerImage(String stage) {
            return stageNanos.getOrDefault(stage, 0.0) / images / 1e6;
        }
    }

    /**
     * The benchmark runs on a thread of its own name, and the ONNX Runtime sessions are made on another (the native
     * threads ONNX Runtime starts inherit its name): in the per-thread CPU split the caller ((a)'s and (b)'s thread,
     * which also runs one share of ONNX Runtime's work; (c)'s client) is told apart from ONNX Runtime's own threads.
     */
    public static void main(String[] args) throws Exception {
        onThread(CALLER, () -> {
            run(args);
            return null;
        });
    }

    static final String CALLER = "bench-caller";
    static final String ORT = "onnxruntime";

    /** Runs {@code task} on a new thread named {@code name}. */
    static <T> T onThread(String name, java.util.concurrent.Callable<T> task) throws Exception {
        var f = new java.util.concurrent.FutureTask<>(task);
        Thread.ofPlatform().name(name).start(f);
        try {
            return f.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception x ? x : e;
        }
    }
    /** Single-image Score calls before the first warm-up ({@link Workload#warmCalls}); env WARM_CALLS. */
    static final int WARM_CALLS = Integer.parseInt(System.getenv().getOrDefault("WARM_CALLS", "8000"));
    /** Seconds of (c) in each set's warm-up; env WARM_GRPC_S, 0 (the default): 3 × PHASE_S. */
    static final double WARM_GRPC_S = Double.parseDouble(System.getenv().getOrDefault("WARM_GRPC_S", "0"));
    /** One /q/metrics scrape per this many warm-up calls ({@link Workload#warmCalls}); env WARM_SCRAPE_EVERY, 0: none. */
    static final int SCRAPE_EVERY = Integer.parseInt(System.getenv().getOrDefault("WARM_SCRAPE_EVERY", "10"));
    /** C1 and C2 compiler threads, as {@link #threadCpuNanos} names them. */
    static final String JIT = "CN CompilerThre";

    static void run(String[] args) throws Exception {
        Path shared = Path.of(args[0]);
        Path packDir = Path.of(args[1]);
        String target = args[2];
        long serverPid = Long.parseLong(args[3]);
        int count = Integer.parseInt(args[4]);
        int batch = Integer.parseInt(args[5]);
        int rounds = Integer.parseInt(args[6]);
        double seconds = Double.parseDouble(args[7]);
        List<ScoreSet> sets = new ArrayList<>();
        for (int i = 8; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            sets.add(new ScoreSet(kv[0], List.of(kv[1].split(","))));
        }
        int cores = Runtime.getRuntime().availableProcessors();
        List<ImageInput> images = new ArrayList<>();
        try (var files = Files.list(shared.resolve("data/clive/images"))) {
            for (Path f : files.sorted().limit(count).toList()) {
                images.add(new ImageInput(f.getFileName().toString(), Files.readAllBytes(f)));
            }
        }
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ManagedChannel channel = ManagedChannelBuilder.forTarget(target).usePlaintext()
                .maxInboundMessageSize(64 << 20).build();
        String metricsUrl = "http://" + target + "/q/metrics";
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (Engine engine = onThread(ORT, () -> new Engine(packDir, shared, cores, registry));
             OrtSession bare = onThread(ORT, () -> OnnxBackend.createSession(env, engine.pack().encoder(),
                     new OnnxBackend.Config(cores)))) {
            ModelPack pack = engine.pack();
            System.out.printf("%d CLIVE photos (%s … %s), Score calls of %d images, EXACT, %d cores: ORT intra-op %d,"
                            + " preprocess pool %d; %d rounds of ≥ %.0f s per phase%n", images.size(),
                    images.getFirst().id(), images.getLast().id(), batch, cores, cores, cores, rounds, seconds);
            Map<String, List<Phase[]>> results = new LinkedHashMap<>();
            Map<String, Integer> passes = new HashMap<>();
            Map<String, Workload> workloads = new LinkedHashMap<>();
            for (ScoreSet set : sets) {
                Workload w = new Workload(set, pack, engine, env, bare, images, batch, channel);
                if (workloads.isEmpty()) {
                    w.warmCalls(WARM_CALLS, metricsUrl);
                }
                workloads.put(set.name(), w);
                passes.put(set.name(), w.tensorsPerImage);
                // warm-up: JIT of both processes, ORT's first runs, the server's pool threads. The server's JVM has
                // seen none of this code yet (the bench JVM has already preprocessed every image for (a)): with a short
                // warm-up its JIT compiler threads were still ~3 ms of CPU per image in the measured (c) phases.
                w.bare(seconds / 2);
                w.pipeline(seconds / 2, registry, false);
                w.pipeline(seconds / 2, registry, true);
                w.grpc(WARM_GRPC_S > 0 ? WARM_GRPC_S : 3 * seconds, metricsUrl, serverPid);
                w.alternating(seconds / 2, serverPid);
                results.put(set.name(), new ArrayList<>());
            }
            for (int r = 0; r < rounds; r++) {
                for (ScoreSet set : sets) {
                    Workload w = workloads.get(set.name());
                    String load = loadAverage();
                    Phase a = w.bare(seconds);
                    Phase before = w.pipeline(seconds, registry, false);
                    Phase b = w.pipeline(seconds, registry, true);
                    Phase c = w.grpc(seconds, metricsUrl, serverPid);
                    Phase[] alt = w.alternating(seconds, serverPid);
                    results.get(set.name()).add(new Phase[] {a, b, c, before, alt[0], alt[1]});
                    System.out.printf("round %d %-8s load %s: (a) %.1f (b) %.1f (b, sequential) %.1f (c) %.1f img/s;"
                                    + " CPU ms/img (a) %.1f (b) %.1f (b, sequential) %.1f (c) %.1f + %.1f; JIT (b) %.2f (c) %.2f + %.2f%n",
                            r + 1, set.name(), load, a.rate(), b.rate(), before.rate(), c.rate(), cpuMs(a), cpuMs(b),
                            cpuMs(before), cpuMs(c), c.clientCpuNanos() / c.images() / 1e6, b.jitMs(), c.jitMs(),
                            c.clientJitMs());
                    System.out.printf("round %d %-8s alternating passes: (b) %.1f (c) %.1f img/s, c/b %.3f; CPU ms/img (b) %.1f"
                                    + " (c) %.1f + %.1f; JIT (b) %.2f (c) %.2f + %.2f%n", r + 1, set.name(), alt[0].rate(),
                            alt[1].rate(), alt[1].rate() / alt[0].rate(), cpuMs(alt[0]), cpuMs(alt[1]),
                            alt[1].clientCpuNanos() / alt[1].images() / 1e6, alt[0].jitMs(), alt[1].jitMs(),
                            alt[1].clientJitMs());
                }
            }
            table(results, passes, cores);
            System.out.println();
            System.out.println("CPU ms/img by thread in the last round (" + CALLER + ": the bench's caller; ONNX Runtime's"
                    + " own threads: '" + ORT + "' in the bench, 'java' in the server; CN CompilerThre: the JIT compilers):");
            for (var e : results.entrySet()) {
                Phase[] last = e.getValue().getLast();
                System.out.printf("- %s (b) bench:%s%n", e.getKey(), last[1].split(last[1].threads()));
                System.out.printf("- %s (c) server:%s%n", e.getKey(), last[2].split(last[2].threads()));
                System.out.printf("- %s (c) client:%s%n", e.getKey(), last[2].split(last[2].clientThreads()));
                System.out.printf("- %s alternating (b) bench:%s%n", e.getKey(), last[4].split(last[4].threads()));
                System.out.printf("- %s alternating (c) server:%s%n", e.getKey(), last[5].split(last[5].threads()));
                System.out.printf("- %s alternating (c) client:%s%n", e.getKey(), last[5].split(last[5].clientThreads()));
            }
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** The same images of one score set, ready for the three ways. */
    static final class Workload {
        final ScoreSet set;
        final ModelPack pack;
        final Engine engine;
        final OrtSession bare;
        final List<List<ImageInput>> calls = new ArrayList<>();
        final List<ScoreRequest> requests = new ArrayList<>();
        final List<ScoringPipeline.Selection> selections;
        final List<OnnxTensor> batches = new ArrayList<>();
        final Set<String> outputs = new LinkedHashSet<>();
        final int tensorsPerImage;
        final int imageCount;
        final ImageScoreGrpc.ImageScoreBlockingStub stub;
        final String inputName;

        Workload(ScoreSet set, ModelPack pack, Engine engine, OrtEnvironment env, OrtSession bare, List<ImageInput> images,
                 int batch, ManagedChannel channel) throws Exception {
            this.set = set;
            this.pack = pack;
            this.engine = engine;
            this.bare = bare;
            this.imageCount = images.size();
            this.stub = ImageScoreGrpc.newBlockingStub(channel);
            this.selections = ScoringPipeline.select(pack, set.scores());
            this.inputName = pack.encoder().inputs().getFirst().name();
            Set<View> views = new LinkedHashSet<>();
            for (ScoringPipeline.Selection s : selections) {
                views.addAll(s.head().spec().views());
                outputs.add(s.head().input());
            }
            tensorsPerImage = views.stream().mapToInt(View::tensorCount).sum();
            ScoreOptions options = ScoreOptions.newBuilder().addAllScores(set.scores())
                    .setPreprocessMode(io.imagescore.api.v1.PreprocessMode.PREPROCESS_MODE_EXACT).build();
            for (int start = 0; start < images.size(); start += batch) {
                List<ImageInput> call = images.subList(start, Math.min(images.size(), start + batch));
                calls.add(call);
                ScoreRequest.Builder b = ScoreRequest.newBuilder().setOptions(options);
                for (ImageInput in : call) {
                    b.addImages(io.imagescore.api.v1.ImageInput.newBuilder().setId(in.id())
                            .setData(ByteString.copyFrom(in.data().duplicate())));
                }
                requests.add(b.build());
            }
            // (a)'s tensors: made once, by the same preprocessor, in the pipeline's order and model batches
            var pre = new io.imagescore.image.Preprocessor();
            List<float[]> tensors = new ArrayList<>();
            for (ImageInput in : images) {
                PreprocessedImage p = pre.preprocess(in.data(), pack.preprocessing(), List.copyOf(views), PreprocessMode.EXACT,
                        io.imagescore.image.StageClock.NONE);
                for (View v : views) {
                    tensors.addAll(p.views().get(v));
                }
            }
            int s = pack.preprocessing().size();
            int per = 3 * s * s;
            int maxBatch = pack.encoder().maxBatch();
            for (int start = 0; start < tensors.size(); start += maxBatch) {
                int n = Math.min(maxBatch, tensors.size() - start);
                FloatBuffer buf = FloatBuffer.allocate(n * per);
                for (int j = 0; j < n; j++) {
                    buf.put(tensors.get(start + j));
                }
                buf.flip();
                batches.add(OnnxTensor.createTensor(env, buf, new long[] {n, 3, s, s}));
            }
        }

        Phase bare(double seconds) throws Exception {
            Map<String, Double> threads0 = threadCpuNanos(SELF);
            long cpu0 = clientCpuNanos();
            long t0 = System.nanoTime();
            long done = 0;
            do {
                for (OnnxTensor t : batches) {
                    bare.run(Map.of(inputName, t), outputs).close();
                }
                done += imageCount;
            } while (System.nanoTime() - t0 < seconds * 1e9);
            long wall = System.nanoTime() - t0;
            // all of the bare session's time is inference
            return new Phase(done, wall, Map.of("inference", (double) wall), clientCpuNanos() - cpu0, Double.NaN,
                    minus(threadCpuNanos(SELF), threads0), Map.of());
        }

        /**
         * Single-image Score calls: the code that runs once per call (HTTP/2, gRPC, interceptors, protobuf, metrics;
         * on both sides) is otherwise called a few times a second and still being compiled by the JIT minutes later
         * (measured: 0.3-0.5 ms/img of the server's CPU and 0.15 of the client's in the measured (c) phases), while the
         * in-process pipeline's code, called per image and per tensor, is compiled within seconds.
         */
        void warmCalls(int n, String metricsUrl) throws IOException, InterruptedException {
            ScoreRequest first = requests.getFirst();
            for (int i = 0; i < n; i++) {
                if (SCRAPE_EVERY > 0 && i % SCRAPE_EVERY == 0) {
                    // the scrape each phase starts and ends with: its code (Prometheus text format, JVM gauges) runs
                    // twice per phase and was otherwise still being compiled during the measured (c) phases
                    serverStages(metricsUrl);
                }
                ScoreResponse resp = stub.score(ScoreRequest.newBuilder().setOptions(first.getOptions())
                        .addImages(first.getImages(i % first.getImagesCount())).build());
                if (resp.getResults(0).hasError()) {
                    throw new IllegalStateException("an image failed: " + resp.getResults(0));
                }
            }
        }

        /** One pass over the images through the pipeline in-process, in the calls of (c). */
        void pipelinePass() {
            for (List<ImageInput> call : calls) {
                List<Outcome<ScoredImage>> out = engine.pipeline().score(pack, call, selections, false,
                        PreprocessMode.EXACT, null);
                if (!out.stream().allMatch(Outcome::isOk)) {
                    throw new IllegalStateException("an image failed: " + out);
                }
            }
        }

        /** One pass over the images through Score. */
        void grpcPass() {
            for (ScoreRequest r : requests) {
                ScoreResponse resp = stub.score(r);
                if (resp.getResultsCount() != r.getImagesCount() || resp.getResultsList().stream().anyMatch(x -> x.hasError())) {
                    throw new IllegalStateException("an image failed: " + resp.getResultsList());
                }
            }
        }

        /** {@code overlap=false}: the pipeline's earlier schedule ({@link ScoringPipeline#overlapDecoding}). */
        Phase pipeline(double seconds, SimpleMeterRegistry registry, boolean overlap) throws IOException {
            engine.pipeline().overlapDecoding(overlap);
            Map<String, Double> before = stages(registry);
            Map<String, Double> threads0 = threadCpuNanos(SELF);
            long cpu0 = clientCpuNanos();
            long t0 = System.nanoTime();
            long done = 0;
            do {
                pipelinePass();
                done += imageCount;
            } while (System.nanoTime() - t0 < seconds * 1e9);
            long wall = System.nanoTime() - t0;
            return new Phase(done, wall, minus(stages(registry), before), clientCpuNanos() - cpu0, Double.NaN,
                    minus(threadCpuNanos(SELF), threads0), Map.of());
        }

        /**
         * (b) and (c) in alternating passes over the images (b, c, b, c, ... for at least {@code seconds} each): on this
         * VM the speed of the whole machine drifts by tens of percent within a minute (the bare session (a) alone moved
         * between 141 and 240 img/s in one evening's quiet runs), which a phase of several seconds per way turns into a
         * difference between the ways; passes of a fraction of a second see the same drift. Returns {b, c}: wall, CPU
         * (the bench's for b; the server's and the client's for c) and CPU by thread, summed over each way's passes.
         */
        Phase[] alternating(double seconds, long serverPid) throws Exception {
            engine.pipeline().overlapDecoding(true);
            long[] done = new long[2];
            long[] wall = new long[2];
            double[] cpu = new double[2];
            double clientCpu = 0;
            List<Map<String, Double>> threads = List.of(new HashMap<>(), new HashMap<>());
            Map<String, Double> clientThreads = new HashMap<>();
            do {
                Map<String, Double> self0 = threadCpuNanos(SELF);
                long cpu0 = clientCpuNanos();
                long t0 = System.nanoTime();
                pipelinePass();
                wall[0] += System.nanoTime() - t0;
                cpu[0] += clientCpuNanos() - cpu0;
                done[0] += imageCount;
                minus(threadCpuNanos(SELF), self0).forEach((k, v) -> threads.get(0).merge(k, v, Double::sum));

                Map<String, Double> server0 = threadCpuNanos(serverPid);
                double serverCpu0 = serverCpuNanos(serverPid);
                self0 = threadCpuNanos(SELF);
                cpu0 = clientCpuNanos();
                t0 = System.nanoTime();
                grpcPass();
                wall[1] += System.nanoTime() - t0;
                clientCpu += clientCpuNanos() - cpu0;
                cpu[1] += serverCpuNanos(serverPid) - serverCpu0;
                done[1] += imageCount;
                minus(threadCpuNanos(serverPid), server0).forEach((k, v) -> threads.get(1).merge(k, v, Double::sum));
                minus(threadCpuNanos(SELF), self0).forEach((k, v) -> clientThreads.merge(k, v, Double::sum));
            } while (Math.min(wall[0], wall[1]) < seconds * 1e9);
            return new Phase[] {
                new Phase(done[0], wall[0], Map.of(), cpu[0], Double.NaN, threads.get(0), Map.of()),
                new Phase(done[1], wall[1], Map.of(), cpu[1], clientCpu, threads.get(1), clientThreads)};
        }

        Phase grpc(double seconds, String metricsUrl, long serverPid) throws Exception {
            Map<String, Double> before = serverStages(metricsUrl);
            Map<String, Double> threads0 = threadCpuNanos(serverPid);
            Map<String, Double> client0Threads = threadCpuNanos(SELF);
            double server0 = serverCpuNanos(serverPid);
            long client0 = clientCpuNanos();
            long t0 = System.nanoTime();
            long done = 0;
            do {
                grpcPass();
                done += imageCount;
            } while (System.nanoTime() - t0 < seconds * 1e9);
            long wall = System.nanoTime() - t0;
            double server = serverCpuNanos(serverPid) - server0;
            Map<String, Double> threads = minus(threadCpuNanos(serverPid), threads0);
            Map<String, Double> clientThreads = minus(threadCpuNanos(SELF), client0Threads);
            double client = clientCpuNanos() - client0;
            return new Phase(done, wall, minus(serverStages(metricsUrl), before), server, client, threads, clientThreads);
        }
    }

    static final long SELF = ProcessHandle.current().pid();

    /** CPU nanos of a process's threads by name (/proc/PID/task/TID/comm; digits dropped, so pools add up). */
    static Map<String, Double> threadCpuNanos(long pid) throws IOException {
        Map<String, Double> out = new HashMap<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    String name = Files.readString(t.resolve("comm")).strip().replaceAll("[0-9]+", "N");
                    String stat = Files.readString(t.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    out.merge(name, (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 1e7, Double::sum);
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        }
        return out;
    }

    static Map<String, Double> stages(SimpleMeterRegistry registry) {
        Map<String, Double> out = new HashMap<>();
        for (String s : STAGES) {
            Timer t = registry.find(ScoreMetrics.STAGE_TIMER).tag("stage", s).timer();
            out.put(s, t == null ? 0.0 : t.totalTime(TimeUnit.NANOSECONDS));
        }
        return out;
    }

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Pattern STAGE_SUM = Pattern.compile(
            "^imagescore_stage_seconds_sum\\{[^}]*stage=\"([a-z]+)\"[^}]*} ([0-9.eE+-]+)$", Pattern.MULTILINE);

    /** The server's stage timers (Prometheus text: imagescore_stage_seconds_sum{stage=...}), in nanos. */
    static Map<String, Double> serverStages(String url) throws IOException, InterruptedException {
        String body = HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
        Map<String, Double> out = new HashMap<>();
        Matcher m = STAGE_SUM.matcher(body);
        while (m.find()) {
            out.merge(m.group(1), Double.parseDouble(m.group(2)) * 1e9, Double::sum);
        }
        return out;
    }

    /** utime + stime of the server process from /proc (clock ticks of 10 ms). */
    static double serverCpuNanos(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 1e7;
    }

    static long clientCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static Map<String, Double> minus(Map<String, Double> after, Map<String, Double> before) {
        Map<String, Double> out = new HashMap<>();
        after.forEach((k, v) -> out.put(k, v - before.getOrDefault(k, 0.0)));
        return out;
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }

    static double median(List<Double> v) {
        List<Double> s = v.stream().sorted().toList();
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    /** Per-image CPU ms of the stages: single-threaded stages count once, inference × its intra-op threads. */
    static double cpuMsPerImage(Phase p, int cores) {
        return p.msPerImage("decode") + p.msPerImage("preprocess") + cores * p.msPerImage("inference")
                + p.msPerImage("heads") + p.msPerImage("reply");
    }

    static double cpuMs(Phase p) {
        return p.cpuNanos() / p.images() / 1e6;
    }

    static double med(List<Phase[]> rs, java.util.function.ToDoubleFunction<Phase[]> f) {
        return median(rs.stream().map(f::applyAsDouble).toList());
    }

    static void table(Map<String, List<Phase[]>> results, Map<String, Integer> passes, int cores) {
        System.out.println();
        System.out.println("| set | tensors/img | img/s (a) bare ORT / (b) pipeline / (c) gRPC Score | (b) sequential img/s"
                + " (b/sequential) | b/a | c/b"
                + " | (b) stage bound img/s | b/bound | CPU ms/img (a) / (b) / (c) server + client | (c) server CPU / (b) CPU"
                + " | (c) server + client CPU / (b) CPU | JIT ms/img (b) / (c) server + client"
                + " | (b) ms/img decode / resize+tensor / inference (wall) / heads"
                + " | (c) server ms/img decode / resize+tensor / inference / heads / reply |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        Map<String, Double> wallMs = new LinkedHashMap<>();
        Map<String, Double> cpuMs = new LinkedHashMap<>();
        for (var e : results.entrySet()) {
            List<Phase[]> rs = e.getValue();
            System.out.printf("| %s | %d | %.1f / %.1f / %.1f | %.1f (%.2f) | %.2f | %.3f | %.1f | %.2f | %.1f / %.1f / %.1f + %.1f | %.3f"
                            + " | %.3f | %.2f / %.2f + %.2f"
                            + " | %.2f / %.2f / %.2f / %.3f | %.2f / %.2f / %.2f / %.3f / %.3f |%n",
                    e.getKey(), passes.get(e.getKey()),
                    med(rs, p -> p[0].rate()), med(rs, p -> p[1].rate()), med(rs, p -> p[2].rate()),
                    med(rs, p -> p[3].rate()), med(rs, p -> p[1].rate() / p[3].rate()),
                    med(rs, p -> p[1].rate() / p[0].rate()), med(rs, p -> p[2].rate() / p[1].rate()),
                    med(rs, p -> 1000.0 * cores / cpuMsPerImage(p[1], cores)),
                    med(rs, p -> p[1].rate() / (1000.0 * cores / cpuMsPerImage(p[1], cores))),
                    med(rs, p -> cpuMs(p[0])), med(rs, p -> cpuMs(p[1])), med(rs, p -> cpuMs(p[2])),
                    med(rs, p -> p[2].clientCpuNanos() / p[2].images() / 1e6),
                    med(rs, p -> cpuMs(p[2]) / cpuMs(p[1])),
                    med(rs, p -> (p[2].cpuNanos() + p[2].clientCpuNanos()) / p[2].images() / 1e6 / cpuMs(p[1])),
                    med(rs, p -> p[1].jitMs()), med(rs, p -> p[2].jitMs()), med(rs, p -> p[2].clientJitMs()),
                    med(rs, p -> p[1].msPerImage("decode")), med(rs, p -> p[1].msPerImage("preprocess")),
                    med(rs, p -> p[1].msPerImage("inference")), med(rs, p -> p[1].msPerImage("heads")),
                    med(rs, p -> p[2].msPerImage("decode")), med(rs, p -> p[2].msPerImage("preprocess")),
                    med(rs, p -> p[2].msPerImage("inference")), med(rs, p -> p[2].msPerImage("heads")),
                    med(rs, p -> p[2].msPerImage("reply")));
            wallMs.put(e.getKey() + " b", 1000 / med(rs, p -> p[1].rate()));
            wallMs.put(e.getKey() + " c", 1000 / med(rs, p -> p[2].rate()));
            cpuMs.put(e.getKey() + " b", med(rs, p -> cpuMs(p[1])));
            cpuMs.put(e.getKey() + " c", med(rs, p -> cpuMs(p[2])));
        }
        System.out.println();
        System.out.println("(b) and (c) in alternating passes over the images (the same drift of the machine's speed in both;"
                + " medians over rounds, per round in brackets):");
        System.out.println();
        System.out.println("| set | img/s (b) / (c) | c/b | CPU ms/img (b) / (c) server + client | (c) server CPU / (b) CPU"
                + " | (c) server + client CPU / (b) CPU | JIT ms/img (b) / (c) server + client"
                + " | the same CPU ratio without the JIT compilers (warm-up) |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (var e : results.entrySet()) {
            List<Phase[]> rs = e.getValue();
            StringBuilder perRound = new StringBuilder();
            for (Phase[] p : rs) {
                perRound.append(perRound.isEmpty() ? "" : ", ").append(String.format("%.2f", p[5].rate() / p[4].rate()));
            }
            System.out.printf("| %s | %.1f / %.1f | %.3f (%s) | %.1f / %.1f + %.1f | %.3f | %.3f | %.2f / %.2f + %.2f | %.3f |%n",
                    e.getKey(), med(rs, p -> p[4].rate()), med(rs, p -> p[5].rate()),
                    med(rs, p -> p[5].rate() / p[4].rate()), perRound,
                    med(rs, p -> cpuMs(p[4])), med(rs, p -> cpuMs(p[5])),
                    med(rs, p -> p[5].clientCpuNanos() / p[5].images() / 1e6),
                    med(rs, p -> cpuMs(p[5]) / cpuMs(p[4])),
                    med(rs, p -> (p[5].cpuNanos() + p[5].clientCpuNanos()) / p[5].images() / 1e6 / cpuMs(p[4])),
                    med(rs, p -> p[4].jitMs()), med(rs, p -> p[5].jitMs()), med(rs, p -> p[5].clientJitMs()),
                    med(rs, p -> ((p[5].cpuNanos() + p[5].clientCpuNanos()) / p[5].images() / 1e6 - p[5].jitMs()
                            - p[5].clientJitMs()) / (cpuMs(p[4]) - p[4].jitMs())));
        }
        if (results.containsKey("typical") && results.containsKey("quality")) {
            System.out.printf("%nquality's cost (quality set − typical set, per image): wall on %d cores (b) %.1f ms,"
                            + " (c) %.1f ms; CPU (b) %.1f ms, (c) server %.1f ms (÷ %d cores: %.1f / %.1f ms)%n", cores,
                    wallMs.get("quality b") - wallMs.get("typical b"), wallMs.get("quality c") - wallMs.get("typical c"),
                    cpuMs.get("quality b") - cpuMs.get("typical b"), cpuMs.get("quality c") - cpuMs.get("typical c"),
                    cores, (cpuMs.get("quality b") - cpuMs.get("typical b")) / cores,
                    (cpuMs.get("quality c") - cpuMs.get("typical c")) / cores);
        }
    }
}
