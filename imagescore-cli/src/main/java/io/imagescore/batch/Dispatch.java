package io.imagescore.batch;

/** What a target's workers talk to: where jobs come from and where their outcomes go. */
interface Dispatch {
    /** The next job; null once the run is over (no more jobs will come). */
    Job take() throws InterruptedException;

    /** Non-blocking: a job if one is waiting now. */
    Job poll();

    /** Puts a job back at the front without counting an attempt (a worker that could not send it). */
    void putBack(Job job);

    /** The job's final row. */
    void done(Job job, BatchRow row);

    /** A transient failure (service unavailable, deadline, backend busy): retried with backoff, up to a limit. */
    void retry(Job job, String reason);

    /** The run cannot go on (e.g. the service rejects the options); every worker stops. */
    void fatal(Throwable error);
}
