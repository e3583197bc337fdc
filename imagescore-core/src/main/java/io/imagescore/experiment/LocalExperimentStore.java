package io.imagescore.experiment;

import io.imagescore.store.LocalVersionedDocuments;
import io.imagescore.store.VersionedDocuments;

import java.nio.file.Path;

/**
 * Experiments on disk (imagescore.store.kind=local): {@code <data-dir>/experiments/<tenant>/<name>/<version>.json},
 * written and read by {@link LocalVersionedDocuments}, like regulations.
 */
public final class LocalExperimentStore implements ExperimentStore {
    public static final String SUBDIR = "experiments";

    private final LocalVersionedDocuments<Stored> documents;

    public LocalExperimentStore(Path dataDir) {
        this.documents = new LocalVersionedDocuments<>(dataDir.resolve(SUBDIR), KIND);
    }

    @Override
    public VersionedDocuments<Stored> documents() {
        return documents;
    }
}
