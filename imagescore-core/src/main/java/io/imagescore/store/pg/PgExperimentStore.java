package io.imagescore.store.pg;

import io.imagescore.experiment.Experiment;
import io.imagescore.experiment.ExperimentStore;
import io.imagescore.store.VersionedDocuments;

import javax.sql.DataSource;
import java.util.List;

/**
 * Experiments in PostgreSQL: {@link PgVersionedDocuments} on {@code experiments} and {@code experiment_versions}
 * (the experiment's canonical JSON in column {@code experiment}, its hash in {@code content_hash}).
 */
public final class PgExperimentStore implements ExperimentStore {
    private final PgVersionedDocuments<Stored> documents;

    public PgExperimentStore(DataSource ds) {
        this.documents = new PgVersionedDocuments<>(ds, KIND, new PgVersionedDocuments.Rows<>("experiments", "experiment_versions",
                List.of("created", "content_hash", "experiment"),
                s -> List.of(s.created(), s.contentHash(), JSON.writeValueAsString(s.experiment())),
                (tenant, name, version, v) -> new Stored(tenant, name, version, v.get(0), v.get(1), JSON.readValue(v.get(2), Experiment.class))));
    }

    @Override
    public VersionedDocuments<Stored> documents() {
        return documents;
    }
}
