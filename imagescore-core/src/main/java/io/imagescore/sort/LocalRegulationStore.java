package io.imagescore.sort;

import io.imagescore.store.LocalVersionedDocuments;
import io.imagescore.store.VersionedDocuments;

import java.nio.file.Path;

/**
 * Regulations on disk (imagescore.store.kind=local): {@code <data-dir>/regulations/<tenant>/<name>/<version>.json},
 * written and read by {@link LocalVersionedDocuments} (crash-safe, never two writers on one version).
 */
public final class LocalRegulationStore implements RegulationStore {
    public static final String SUBDIR = "regulations";

    private final LocalVersionedDocuments<Stored> documents;

    /** @param dataDir the service's data directory ({@code imagescore.data-dir}) */
    public LocalRegulationStore(Path dataDir) {
        this.documents = new LocalVersionedDocuments<>(dataDir.resolve(SUBDIR), KIND);
    }

    @Override
    public VersionedDocuments<Stored> documents() {
        return documents;
    }
}
