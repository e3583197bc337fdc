package io.imagescore.score;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A capacity shared by all calls (decoded pixels and request bytes in flight; inference slots), granted strictly in
 * arrival order: a waiter proceeds only from the head of the queue, so a large request is never starved by a stream
 * of small ones. A cost above the capacity is capped to it (such work runs alone rather than never). The queue is
 * bounded in length and in time: beyond either the call gets OVERLOADED (RESOURCE_EXHAUSTED) with a
 * {@code retry_after_ms} hint at once instead of holding memory or a thread. A queued call leaves as soon as it is
 * cancelled or its deadline passes (checked every {@link #POLL_NANOS}).
 */
public final class FairBudget {
    static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private final String name;
    private final long[] capacity;
    private final long[] used;
    private final int maxQueued;
    private final long maxWaitNanos;
    private final ScoreMetrics metrics;
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Waiter> queue = new ArrayDeque<>();

    private record Waiter(long[] cost, Condition turn) {
    }

    /** What a call holds; closing it gives the capacity back. */
    public final class Grant implements AutoCloseable {
        private final long[] cost;
        private boolean closed;

        private Grant(long[] cost) {
            this.cost = cost;
        }

        @Override
        public void close() {
            lock.lock();
            try {
                if (!closed) {
                    closed = true;
                    for (int i = 0; i < cost.length; i++) {
                        used[i] -= cost[i];
                    }
                    signalHead();
                }
            } finally {
                lock.unlock();
            }
        }
    }

    public FairBudget(String name, int maxQueued, long maxWaitNanos, ScoreMetrics metrics, long... capacity) {
        for (long c : capacity) {
            if (c <= 0) {
                throw new IllegalArgumentException(name + " budget must be positive: " + Arrays.toString(capacity));
            }
        }
        this.name = name;
        this.capacity = capacity.clone();
        this.used = new long[capacity.length];
        this.maxQueued = maxQueued;
        this.maxWaitNanos = maxWaitNanos;
        this.metrics = metrics;
    }

    /** Capacity in use along dimension {@code i} (for gauges). */
    public long inUse(int i) {
        lock.lock();
        try {
            return used[i];
        } finally {
            lock.unlock();
        }
    }

    /** Calls waiting for their turn (for gauges, and for tests that must know a call is queued). */
    public int queued() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    public long capacity(int i) {
        return capacity[i];
    }

    /**
     * Waits for {@code cost} (one value per dimension) in turn. Throws OVERLOADED when the queue is full or the wait
     * exceeds the maximum, DEADLINE_EXCEEDED / CANCELLED when the call ends while queued.
     */
    public Grant acquire(CallScope scope, long... cost) {
        long[] c = new long[cost.length];
        for (int i = 0; i < c.length; i++) {
            c[i] = Math.min(Math.max(0, cost[i]), capacity[i]);
        }
        long start = System.nanoTime();
        lock.lock();
        try {
            if (queue.isEmpty() && fits(c)) {
                return take(c, start);
            }
            scope.check("waiting for the " + name + " budget");
            if (queue.size() >= maxQueued) {
                throw overloaded("the " + name + " queue is full (" + maxQueued + " waiting)");
            }
            Waiter w = new Waiter(c, lock.newCondition());
            queue.add(w);
            try {
                while (true) {
                    if (queue.peek() == w && fits(c)) {
                        queue.poll();
                        Grant g = take(c, start);
                        signalHead(); // the next one may fit too
                        return g;
                    }
                    scope.check("its turn for the " + name + " budget came");
                    long left = maxWaitNanos - (System.nanoTime() - start);
                    if (left <= 0) {
                        throw overloaded("the " + name + " budget stayed full for "
                                + TimeUnit.NANOSECONDS.toMillis(maxWaitNanos) + " ms");
                    }
                    w.turn().awaitNanos(Math.min(Math.min(left, POLL_NANOS), Math.max(1, scope.remainingNanos())));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ImageScoreException(ErrorCode.CANCELLED, "interrupted while waiting for the " + name + " budget", e);
            } finally {
                if (queue.remove(w)) {
                    signalHead();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private boolean fits(long[] c) {
        for (int i = 0; i < c.length; i++) {
            if (used[i] + c[i] > capacity[i]) {
                return false;
            }
        }
        return true;
    }

    private Grant take(long[] c, long start) {
        for (int i = 0; i < c.length; i++) {
            used[i] += c[i];
        }
        if (metrics != null) {
            metrics.queueWait(name, System.nanoTime() - start);
        }
        return new Grant(c);
    }

    private void signalHead() {
        Waiter head = queue.peek();
        if (head != null) {
            head.turn().signal();
        }
    }

    private ImageScoreException overloaded(String why) {
        if (metrics != null) {
            metrics.rejected(name);
        }
        long retryMs = Math.max(100, TimeUnit.NANOSECONDS.toMillis(maxWaitNanos));
        return new ImageScoreException(ErrorCode.OVERLOADED, "the server is overloaded: " + why + "; retry after "
                + retryMs + " ms", Map.of("retry_after_ms", Long.toString(retryMs), "budget", name), null);
    }
}
