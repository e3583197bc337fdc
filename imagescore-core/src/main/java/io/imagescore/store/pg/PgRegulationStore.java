package io.imagescore.store.pg;

import io.imagescore.sort.Regulation;
import io.imagescore.sort.RegulationStore;
import io.imagescore.store.VersionedDocuments;

import javax.sql.DataSource;
import java.util.List;

/**
 * Regulations in PostgreSQL (imagescore.store.kind=postgresql): {@link PgVersionedDocuments} on {@code regulations}
 * and {@code regulation_versions} (the regulation's JSON in column {@code regulation}).
 */
public final class PgRegulationStore implements RegulationStore {
    private final PgVersionedDocuments<Stored> documents;

    public PgRegulationStore(DataSource ds) {
        this.documents = new PgVersionedDocuments<>(ds, KIND, new PgVersionedDocuments.Rows<>("regulations", "regulation_versions",
                List.of("created_at", "regulation"),
                s -> List.of(s.createdAt(), JSON.writeValueAsString(s.regulation())),
                (tenant, name, version, v) -> new Stored(tenant, name, version, v.get(0), JSON.readValue(v.get(1), Regulation.class))));
    }

    @Override
    public VersionedDocuments<Stored> documents() {
        return documents;
    }
}
