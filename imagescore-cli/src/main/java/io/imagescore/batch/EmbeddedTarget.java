package io.imagescore.batch;

import io.imagescore.score.Engine;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.head.ScoreSpec;
import io.imagescore.image.PreprocessMode;
import io.imagescore.pack.ModelPack;
import io.imagescore.score.ImageInput;
import io.imagescore.score.Outcome;
import io.imagescore.score.ScoredImage;
import io.imagescore.score.ScoringPipeline;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores in-process with the service's own pipeline (pack + ONNX Runtime, no server). {@code workers} threads each
 * take up to {@code batch} waiting images and run one pipeline call, so decoding of one batch overlaps the encoder
 * pass of another.
 */
final class EmbeddedTarget implements ScoringTarget {
    private final Path packDir;
    private final Path sharedDir;
    private final int onnxThreads;
    private final int workers;
    private final int batch;
    private final List<String> scores;
    private final boolean includeEmbedding;
    private final PreprocessMode mode;
    private final List<Thread> threads = new ArrayList<>();

    private Engine engine;
    private List<ScoringPipeline.Selection> selections;
    private Info info;

    EmbeddedTarget(Path packDir, Path sharedDir, int onnxThreads, int workers, int batch, List<String> scores,
                   boolean includeEmbedding, PreprocessMode mode) {
        this.packDir = packDir;
        this.sharedDir = sharedDir;
        this.onnxThreads = onnxThreads;
        this.workers = workers;
        this.batch = batch;
        this.scores = scores;
        this.includeEmbedding = includeEmbedding;
        this.mode = mode;
    }

    /**
     * ONNX Runtime 1.29 needs more than 4 MB of native stack on the thread that creates its environment (seen on an
     * AMD EPYC host here: SIGSEGV without hs_err under the default 1 MB), so loading and inference run on threads
     * with a 16 MB stack.
     */
    static final long ORT_STACK = 16L << 20;

    @Override
    public Info connect() throws Exception {
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        Thread loader = Thread.ofPlatform().name("embedded-load").stackSize(ORT_STACK).start(() -> {
            try {
                engine = new Engine(packDir, sharedDir, onnxThreads);
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        loader.join();
        if (failure.get() != null) {
            throw failure.get() instanceof Exception e ? e : new RuntimeException(failure.get());
        }
        ModelPack pack = engine.pack();
        selections = ScoringPipeline.select(pack, scores);
        java.util.Set<String> scalars = new java.util.LinkedHashSet<>();
        java.util.Set<String> classes = new java.util.LinkedHashSet<>();
        for (ScoringPipeline.Selection s : selections) {
            (s.head().spec().kind() == ScoreSpec.Kind.SCALAR ? scalars : classes).add(OutputSchema.versioned(s.name(), s.head().version()));
        }
        info = new Info(pack.name(), pack.version(), pack.contentHash(), engine.pipeline().preprocessingId(pack, mode),
                List.copyOf(scalars), List.copyOf(classes), null, null);
        return info;
    }

    @Override
    public void start(Dispatch dispatch) {
        for (int i = 0; i < workers; i++) {
            threads.add(Thread.ofPlatform().name("embedded-worker-" + i).stackSize(ORT_STACK).daemon().start(() -> work(dispatch)));
        }
    }

    private void work(Dispatch dispatch) {
        try {
            while (true) {
                Job first = dispatch.take();
                if (first == null) {
                    return;
                }
                List<Job> jobs = new ArrayList<>(List.of(first));
                for (Job j; jobs.size() < batch && (j = dispatch.poll()) != null; ) {
                    jobs.add(j);
                }
                List<Job> readable = new ArrayList<>();
                List<ImageInput> images = new ArrayList<>();
                for (Job j : jobs) {
                    byte[] data = ImageFiles.read(j, dispatch);
                    if (data != null) {
                        readable.add(j);
                        images.add(new ImageInput(j.entry.id(), data));
                    }
                }
                if (images.isEmpty()) {
                    continue;
                }
                List<Outcome<ScoredImage>> results;
                try {
                    results = engine.pipeline().score(engine.pack(), images, selections, includeEmbedding, mode, null);
                } catch (ImageScoreException e) {
                    if (!e.code().retryable()) {
                        dispatch.fatal(e);
                        return;
                    }
                    readable.forEach(j -> dispatch.retry(j, e.code() + ": " + e.getMessage()));
                    continue;
                }
                for (int i = 0; i < readable.size(); i++) {
                    Job j = readable.get(i);
                    Outcome<ScoredImage> o = results.get(i);
                    if (!o.isOk() && o.error().code().retryable()) {
                        dispatch.retry(j, o.error().code() + ": " + o.error().getMessage());
                    } else {
                        dispatch.done(j, row(j.entry, o));
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            dispatch.fatal(e);
        }
    }

    private BatchRow row(SourceEntry e, Outcome<ScoredImage> o) {
        if (!o.isOk()) {
            return BatchRow.failure(e, o.error().code().name(), o.error().getMessage());
        }
        ScoredImage s = o.value();
        Map<String, Double> scalars = new LinkedHashMap<>();
        s.scalars().forEach(sc -> scalars.put(OutputSchema.versioned(sc.name(), sc.version()), sc.value()));
        Map<String, BatchRow.TopClass> classes = new LinkedHashMap<>();
        for (ScoredImage.Classes c : s.classes()) {
            int top = c.topK(1)[0];
            classes.put(OutputSchema.versioned(c.name(), c.version()), new BatchRow.TopClass(c.labels().get(top), c.probabilities()[top]));
        }
        return new BatchRow(e.id(), e.path(), e.set(), s.sha256(), s.width(), s.height(), info.packName(),
                info.packVersion(), info.packHash(), info.preprocessingId(), scalars, classes, s.embedding(), null, null);
    }

    @Override
    public void close() {
        for (Thread t : threads) {
            try {
                t.join(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (engine != null) {
            engine.close();
        }
    }

}
