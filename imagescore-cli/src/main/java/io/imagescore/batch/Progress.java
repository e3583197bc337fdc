package io.imagescore.batch;

import java.io.PrintStream;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Progress of a run: on a terminal a one-line bar with rate and ETA redrawn 4× a second; otherwise (logs, CI, a
 * Kubernetes pod) a plain line every {@code logEveryMillis}. The rate is over this invocation; the count includes
 * images committed by earlier invocations.
 */
final class Progress implements AutoCloseable {
    enum Mode { AUTO, BAR, LOG, NONE }

    private final PrintStream out;
    private final boolean bar;
    private final long total;
    private final long resumed;
    private final AtomicLong scored;
    private final AtomicLong failed;
    private final long start = System.nanoTime();
    private final ScheduledExecutorService timer;

    Progress(Mode mode, PrintStream out, long logEveryMillis, long total, long resumed, AtomicLong scored, AtomicLong failed) {
        this.out = out;
        Mode m = mode == Mode.AUTO ? (System.console() != null && System.console().isTerminal() ? Mode.BAR : Mode.LOG) : mode;
        this.bar = m == Mode.BAR;
        this.total = total;
        this.resumed = resumed;
        this.scored = scored;
        this.failed = failed;
        if (m == Mode.NONE) {
            timer = null;
            return;
        }
        timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("progress").daemon().factory());
        long period = bar ? 250 : logEveryMillis;
        timer.scheduleAtFixedRate(this::report, period, period, TimeUnit.MILLISECONDS);
    }

    private void report() {
        long now = scored.get() + failed.get();
        long done = resumed + now;
        double seconds = (System.nanoTime() - start) / 1e9;
        double rate = now / Math.max(seconds, 1e-3);
        String eta = total > 0 && rate > 0 ? format((long) (Math.max(0, total - done) / rate)) : "?";
        String counts = total > 0 ? String.format("%,d/%,d", done, total) : String.format("%,d", done);
        if (bar) {
            int width = 30;
            int filled = total > 0 ? (int) Math.min(width, width * done / total) : 0;
            out.printf("\r[%s%s] %s  %.1f img/s  failed %,d  ETA %s   ", "#".repeat(filled), ".".repeat(width - filled),
                    counts, rate, failed.get(), eta);
        } else {
            out.printf("progress: %s images (%,d this run, %,d failed) %.1f img/s, elapsed %s, ETA %s%n", counts, now,
                    failed.get(), rate, format((long) seconds), eta);
        }
        out.flush();
    }

    private static String format(long seconds) {
        return String.format("%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60);
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
            if (bar) {
                report();
                out.println();
            }
        }
    }
}
