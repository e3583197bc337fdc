package io.imagescore.batch;

import java.util.List;

/** Where images are scored: a running service ({@link RemoteTarget}) or in-process ({@link EmbeddedTarget}). */
interface ScoringTarget extends AutoCloseable {

    /**
     * What every row of this run is computed with, and which columns it has. {@code promptSet}: the prompt-set version
     * pinned for the whole run ("tenant/name@version", content hash), null when none was asked for.
     */
    record Info(String packName, String packVersion, String packHash, String preprocessingId, List<String> scalars,
                List<String> classes, String promptSet, String promptSetHash) {
    }

    /** Connects / loads, resolves the pack and the wanted scores. */
    Info connect() throws Exception;

    /** Starts workers that take jobs from {@code dispatch} until it returns null. */
    void start(Dispatch dispatch);

    /** Waits for the workers to finish after dispatch ran dry, then releases everything. */
    @Override
    void close();
}
