package io.imagescore.batch;

/** One image on its way through a target; {@code attempts} counts transient failures so far. */
final class Job {
    final long seq;
    final SourceEntry entry;
    int attempts;

    Job(long seq, SourceEntry entry) {
        this.seq = seq;
        this.entry = entry;
    }
}
