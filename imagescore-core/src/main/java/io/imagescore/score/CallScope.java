package io.imagescore.score;

import io.grpc.Context;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeoutException;

/**
 * The time and the cancellation of one call's work: its deadline (the caller's, capped by the server's maximum at
 * the edge) and the {@link io.grpc.Context} whose cancellation stops it (the gRPC call's own context, or the
 * stream's). The pipeline checks it before each decode, before every model call and between groups; the backends
 * read the same context to terminate or cancel a running model call.
 */
public final class CallScope {
    private final Instant deadline;
    private final long deadlineNanos;
    private final Context context;

    private CallScope(Instant deadline, Context context) {
        this.deadline = deadline;
        this.deadlineNanos = deadline == null ? 0
                : System.nanoTime() + Math.max(0, saturatedNanos(Duration.between(Instant.now(), deadline)));
        this.context = context;
    }

    /** The deadline given (null: none) and the current thread's gRPC context for cancellation. */
    public static CallScope of(Instant deadline) {
        return new CallScope(deadline, Context.current());
    }

    public Instant deadline() {
        return deadline;
    }

    public Context context() {
        return context;
    }

    public boolean expired() {
        return deadline != null && System.nanoTime() - deadlineNanos >= 0;
    }

    /** True once the call is over for any reason: cancelled by the caller or past its deadline. */
    public boolean done() {
        return expired() || context.isCancelled();
    }

    /** Nanoseconds left; Long.MAX_VALUE without a deadline. */
    public long remainingNanos() {
        return deadline == null ? Long.MAX_VALUE : Math.max(0, deadlineNanos - System.nanoTime());
    }

    /** Throws DEADLINE_EXCEEDED or CANCELLED when the call is over; {@code before} says what was not started. */
    public void check(String before) {
        if (expired() || (context.isCancelled() && context.cancellationCause() instanceof TimeoutException)) {
            throw new ImageScoreException(ErrorCode.DEADLINE_EXCEEDED, "the deadline passed before " + before);
        }
        if (context.isCancelled()) {
            throw new ImageScoreException(ErrorCode.CANCELLED, "the call was cancelled before " + before);
        }
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }
}
