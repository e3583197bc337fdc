package io.imagescore.batch;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs one batch: streams the input, keeps this shard's ids, skips duplicate ids and chunks already committed by an
 * earlier (killed) invocation, feeds the target with at most {@code inFlight} images outstanding, gathers rows per
 * chunk and commits each complete chunk through {@link RunDirectory}. Memory is bounded by the in-flight limit (open
 * chunks ≤ in-flight + 1) plus the duplicate-id table (8 bytes per id).
 */
public final class BatchRunner {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int DUPLICATES_LISTED = 10;

    /** Everything that defines a run (besides the target). */
    public record Settings(Input input, Shard shard, Path out, OutputFormat format, int chunkSize, int inFlight,
                           boolean includeEmbedding, List<String> scores, String preprocess, Backoff backoff,
                           Progress.Mode progress, long logEveryMillis) {
    }

    private final Settings settings;
    private final ScoringTarget target;
    private final PrintStream log;

    private final LinkedBlockingDeque<Job> queue = new LinkedBlockingDeque<>();
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("batch-retry").daemon().factory());
    private final ExecutorService writer = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("batch-writer").daemon().factory());
    private final Map<Long, Chunk> open = new HashMap<>();
    private final AtomicReference<Throwable> fatal = new AtomicReference<>();
    private final AtomicLong scoredNow = new AtomicLong();
    private final AtomicLong failedNow = new AtomicLong();
    private Semaphore inFlight;
    private RunDirectory run;
    private volatile boolean finished;

    public BatchRunner(Settings settings, ScoringTarget target, PrintStream log) {
        this.settings = settings;
        this.target = target;
        this.log = log;
    }

    /** Rows of one chunk, indexed by position in the chunk. */
    private static final class Chunk {
        final long index;
        final BatchRow[] rows;
        int registered;
        int received;
        boolean closed;

        Chunk(long index, int size) {
            this.index = index;
            this.rows = new BatchRow[size];
        }
    }

    /** The outcome: exit code 0 (all scored), 2 (some images failed), 1 (the run failed; rerun to resume). */
    public BatchSummary run() {
        long start = System.nanoTime();
        BatchSummary.Builder summary = new BatchSummary.Builder();
        Progress progress = null;
        try {
            ScoringTarget.Info info = target.connect();
            OutputSchema schema = new OutputSchema(info.scalars(), info.classes(), settings.includeEmbedding());
            run = RunDirectory.open(settings.out(), describe(info, schema), settings.format(), schema, settings.chunkSize());
            long resumedRows = run.committed().stream().mapToLong(RunDirectory.ChunkStats::rows).sum();
            if (resumedRows > 0) {
                log.printf("resuming %s: %d chunks (%d images) already committed%n", settings.out(), run.committed().size(), resumedRows);
            }
            inFlight = new Semaphore(settings.inFlight());
            progress = new Progress(settings.progress(), log, settings.logEveryMillis(), estimate(), resumedRows,
                    scoredNow, failedNow);
            target.start(dispatch());
            feed(summary);
            producerDone = true;
            awaitAllCommitted();
        } catch (Throwable t) {
            fatal.compareAndSet(null, t);
        } finally {
            finished = true;
            if (progress != null) {
                progress.close();
            }
            target.close();
            retries.shutdownNow();
            writer.shutdown();
            try {
                writer.awaitTermination(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        BatchSummary s = summary.finish(run == null ? List.of() : run.committed(), scoredNow.get() + failedNow.get(),
                System.nanoTime() - start, fatal.get());
        if (s.exitCode() != 1 && run != null) {
            try {
                run.writeSummary(s.toJson());
            } catch (IOException e) {
                log.println("could not write summary.json: " + e.getMessage());
            }
        }
        return s;
    }

    private long estimate() {
        long n = settings.input().estimateCount();
        return n < 0 ? -1 : (n + settings.shard().count() - 1) / settings.shard().count();
    }

    private ObjectNode describe(ScoringTarget.Info info, OutputSchema schema) {
        ObjectNode n = JSON.createObjectNode();
        n.put("input", settings.input().describe());
        n.put("shard", settings.shard().toString());
        n.put("format", settings.format().name().toLowerCase());
        n.put("chunk_size", settings.chunkSize());
        n.put("preprocess", settings.preprocess());
        n.set("scores", JSON.valueToTree(settings.scores()));
        ObjectNode pack = n.putObject("pack");
        pack.put("name", info.packName()).put("version", info.packVersion()).put("hash", info.packHash())
                .put("preprocessing_id", info.preprocessingId());
        if (info.promptSet() != null) {
            n.putObject("prompt_set").put("ref", info.promptSet()).put("hash", info.promptSetHash());
        }
        ObjectNode s = n.putObject("schema");
        s.set("scalars", JSON.valueToTree(schema.scalars()));
        s.set("classes", JSON.valueToTree(schema.classes()));
        s.put("embedding", schema.embedding());
        return n;
    }

    /** The producer: reads the input on the calling thread. */
    private void feed(BatchSummary.Builder summary) throws Exception {
        IdSet ids = new IdSet();
        long accepted = 0;
        Chunk current = null;
        try (ImageSource source = settings.input().open()) {
            while (source.hasNext()) {
                SourceEntry e = source.next();
                if (fatal.get() != null) {
                    return;
                }
                if (!settings.shard().owns(e.id())) {
                    continue;
                }
                if (!ids.add(Shard.hash(e.id()))) {
                    summary.duplicate(e, summary.duplicates() < DUPLICATES_LISTED ? log : null);
                    continue;
                }
                long seq = accepted++;
                long chunk = seq / settings.chunkSize();
                if (current != null && current.index != chunk) {
                    close(current);
                    current = null;
                }
                if (run.isDone(chunk)) {
                    RunDirectory.ChunkStats st = run.stats(chunk);
                    if (seq % settings.chunkSize() == 0 && !st.firstId().equals(e.id())) {
                        throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "the input changed since chunk " + chunk
                                + " was written (it began with '" + st.firstId() + "', now '" + e.id() + "' at " + e.where()
                                + "); resume needs the same input, or use another --out");
                    }
                    continue;
                }
                if (current == null) {
                    current = new Chunk(chunk, settings.chunkSize());
                    synchronized (this) {
                        open.put(chunk, current);
                    }
                }
                synchronized (this) {
                    current.registered++;
                }
                while (!inFlight.tryAcquire(200, TimeUnit.MILLISECONDS)) {
                    if (fatal.get() != null) {
                        return;
                    }
                }
                queue.put(new Job(seq, e));
            }
        }
        if (current != null) {
            close(current);
        }
    }

    private synchronized void close(Chunk c) {
        c.closed = true;
        maybeCommit(c);
    }

    /** Caller holds the lock. */
    private void maybeCommit(Chunk c) {
        if (!c.closed || c.received < c.registered) {
            return;
        }
        open.remove(c.index);
        List<BatchRow> rows = new ArrayList<>(Arrays.asList(c.rows).subList(0, c.registered));
        writer.submit(() -> {
            try {
                run.commit(c.index, rows);
            } catch (Throwable t) {
                fatal.compareAndSet(null, t);
            }
            synchronized (BatchRunner.this) {
                BatchRunner.this.notifyAll();
            }
        });
    }

    private void awaitAllCommitted() throws Exception {
        synchronized (this) {
            while (!open.isEmpty() && fatal.get() == null) {
                wait(200);
            }
        }
        writer.shutdown();
        writer.awaitTermination(1, TimeUnit.HOURS);
        if (fatal.get() != null) {
            throw new RuntimeException(fatal.get());
        }
    }

    private Dispatch dispatch() {
        return new Dispatch() {
            @Override
            public Job take() throws InterruptedException {
                while (true) {
                    Job j = queue.poll(100, TimeUnit.MILLISECONDS);
                    if (j != null) {
                        return j;
                    }
                    if (finished || fatal.get() != null || allRowsIn()) {
                        return null;
                    }
                }
            }

            @Override
            public Job poll() {
                return queue.poll();
            }

            @Override
            public void putBack(Job job) {
                queue.addFirst(job);
            }

            @Override
            public void done(Job job, BatchRow row) {
                synchronized (BatchRunner.this) {
                    Chunk c = open.get(job.seq / settings.chunkSize());
                    int slot = (int) (job.seq % settings.chunkSize());
                    if (c == null || c.rows[slot] != null) {
                        return; // a second answer for the same image (cannot happen; never write it twice)
                    }
                    c.rows[slot] = row;
                    c.received++;
                    maybeCommit(c);
                }
                (row.failed() ? failedNow : scoredNow).incrementAndGet();
                inFlight.release();
            }

            @Override
            public void retry(Job job, String reason) {
                job.attempts++;
                if (job.attempts >= settings.backoff().maxAttempts()) {
                    fatal(new ImageScoreException(ErrorCode.BACKEND_UNAVAILABLE, "image '" + job.entry.id() + "' failed "
                            + job.attempts + " times with transient errors (last: " + reason
                            + "); stopping. Rerun the same command to resume"));
                    return;
                }
                long delay = settings.backoff().delayMillis(job.attempts);
                try {
                    retries.schedule(() -> queue.addFirst(job), delay, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // the run is over
                }
            }

            @Override
            public void fatal(Throwable error) {
                fatal.compareAndSet(null, error);
            }
        };
    }

    /** True once the input is exhausted and every accepted image has its row (no job can appear any more). */
    private synchronized boolean allRowsIn() {
        return producerDone && open.values().stream().allMatch(c -> c.closed && c.received == c.registered);
    }

    private volatile boolean producerDone;

    static Map<String, Long> errorsByCode(List<RunDirectory.ChunkStats> chunks) {
        Map<String, Long> m = new TreeMap<>();
        chunks.forEach(c -> c.errors().forEach((k, v) -> m.merge(k, (long) v, Long::sum)));
        return m;
    }
}
