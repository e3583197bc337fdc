package io.imagescore.model.triton;

import io.imagescore.model.Tensor;
import io.opentelemetry.context.Context;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Client-side micro-batching for one model: concurrent requests are coalesced until the batch holds
 * {@code maxBatch} rows or its oldest request has waited {@code maxDelay}; at most {@code maxInFlight} batches are on
 * the wire at once, so under load requests pile up into full batches instead of many small RPCs. Only requests
 * with the same per-row shapes can share a batch. The sender must call {@link #batchFinished()} once per batch.
 */
final class ModelBatcher {

    /** One caller's rows, waiting for a batch. Its future is completed by the sender, or by the caller on timeout. */
    static final class Pending {
        final Map<String, Tensor> inputs;
        final Set<String> outputs;
        final int rows;
        final long deadlineNanos;
        final long enqueuedNanos = System.nanoTime();
        final String rowShapes;
        final CompletableFuture<Map<String, Tensor>> result = new CompletableFuture<>();
        /** The caller's trace context: the batch's ModelInfer span is its child (or links to it). */
        final Context trace = Context.current();
        /** The failure of the latest attempt while retries go on, so a caller timing out can say why. */
        volatile String lastFailure;

        Pending(Map<String, Tensor> inputs, Set<String> outputs, int rows, long deadlineNanos) {
            this.inputs = inputs;
            this.outputs = outputs;
            this.rows = rows;
            this.deadlineNanos = deadlineNanos;
            StringBuilder sb = new StringBuilder();
            inputs.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
                long[] s = e.getValue().shape();
                sb.append(e.getKey()).append(Arrays.toString(Arrays.copyOfRange(s, 1, s.length)));
            });
            this.rowShapes = sb.toString();
        }
    }

    private final int maxBatch;
    private final long maxDelayNanos;
    private final int maxInFlight;
    private final ScheduledExecutorService timer;
    private final Consumer<List<Pending>> sender;

    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private int inFlight;
    private ScheduledFuture<?> wakeUp;

    ModelBatcher(int maxBatch, TritonConfig.Batching config, ScheduledExecutorService timer,
                 Consumer<List<Pending>> sender) {
        this.maxBatch = maxBatch;
        this.maxDelayNanos = config.maxDelay().toNanos();
        this.maxInFlight = config.maxInFlight();
        this.timer = timer;
        this.sender = sender;
    }

    /** {@code p.rows} must not exceed the max batch (the backend splits larger requests). */
    void submit(Pending p) {
        List<List<Pending>> ready;
        synchronized (this) {
            queue.add(p);
            ready = takeReadyBatches();
        }
        ready.forEach(sender);
    }

    void batchFinished() {
        List<List<Pending>> ready;
        synchronized (this) {
            inFlight--;
            ready = takeReadyBatches();
        }
        // handed off, not called here: a batch that fails at once (breaker open) finishes inside the sender, and
        // calling back in would recurse once per queued batch
        ready.forEach(batch -> timer.execute(() -> sender.accept(batch)));
    }

    /** Removes every queued request (on close); the caller fails them. */
    synchronized List<Pending> drain() {
        List<Pending> all = new ArrayList<>(queue);
        queue.clear();
        return all;
    }

    private void onWakeUp() {
        List<List<Pending>> ready;
        synchronized (this) {
            wakeUp = null;
            ready = takeReadyBatches();
        }
        ready.forEach(sender);
    }

    private List<List<Pending>> takeReadyBatches() {
        List<List<Pending>> out = new ArrayList<>();
        while (inFlight < maxInFlight) {
            queue.removeIf(p -> p.result.isDone()); // timed out while waiting
            Pending oldest = queue.peek();
            if (oldest == null) {
                break;
            }
            long waited = System.nanoTime() - oldest.enqueuedNanos;
            if (waited < maxDelayNanos && compatibleRows(oldest) < maxBatch) {
                scheduleWakeUp(maxDelayNanos - waited);
                break;
            }
            out.add(takeBatch(oldest));
            inFlight++;
        }
        return out;
    }

    private int compatibleRows(Pending first) {
        int rows = 0;
        for (Pending p : queue) {
            if (p.rowShapes.equals(first.rowShapes)) {
                rows += p.rows;
                if (rows >= maxBatch) {
                    break;
                }
            }
        }
        return rows;
    }

    private List<Pending> takeBatch(Pending first) {
        List<Pending> batch = new ArrayList<>();
        int rows = 0;
        for (Iterator<Pending> it = queue.iterator(); it.hasNext(); ) {
            Pending p = it.next();
            if (p.rowShapes.equals(first.rowShapes) && rows + p.rows <= maxBatch) {
                batch.add(p);
                rows += p.rows;
                it.remove();
                if (rows == maxBatch) {
                    break;
                }
            }
        }
        return batch;
    }

    private void scheduleWakeUp(long delayNanos) {
        if (wakeUp == null) {
            wakeUp = timer.schedule(this::onWakeUp, Math.max(delayNanos, 0), TimeUnit.NANOSECONDS);
        }
    }
}
