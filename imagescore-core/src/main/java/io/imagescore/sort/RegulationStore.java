package io.imagescore.sort;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.imagescore.error.ErrorCode;
import io.imagescore.store.VersionedDocuments;

import java.util.List;

/**
 * Tenants' named regulations, versioned: putting a regulation stores the next version (1, 2, …), immutable once
 * written, so a sort can pin what it used. Two implementations, chosen by {@code imagescore.store.kind}:
 * {@link LocalRegulationStore} (files under the data directory) and {@link io.imagescore.store.pg.PgRegulationStore}
 * (PostgreSQL rows). Two writers never get the same version number.
 */
public interface RegulationStore {
    /** The JSON form of stored regulations (snake_case keys, strict on reading). */
    ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Regulations as versioned documents: what the shared store needs to name, write and check them. */
    VersionedDocuments.Kind<Stored> KIND = new VersionedDocuments.Kind<>("regulation", ErrorCode.UNKNOWN_REGULATION,
            Stored.class, JSON, s -> s.regulation() != null);

    record Stored(String tenant, String name, String version, String createdAt, Regulation regulation)
            implements VersionedDocuments.Document {
    }

    record Summary(String name, String latestVersion, List<String> versions) {
    }

    /** Where the versions are kept (local files or PostgreSQL rows). */
    VersionedDocuments<Stored> documents();

    /** Validates and stores {@code regulation} as the next version. */
    default Stored put(String tenant, String name, Regulation regulation) {
        regulation.validated();
        return documents().put(tenant, name, (version, created) -> new Stored(tenant, name, version, created, regulation));
    }

    /** One version; null or empty version = the newest readable one. UNKNOWN_REGULATION when there is none. */
    default Stored get(String tenant, String name, String version) {
        return documents().get(tenant, name, version);
    }

    /** The tenant's regulations by name, each with its readable versions ascending. */
    default List<Summary> list(String tenant) {
        return documents().list(tenant).stream().map(s -> new Summary(s.name(), s.latestVersion(), s.versions())).toList();
    }

    /** Removes every version; returns how many there were (0 = there was no such regulation). */
    default int delete(String tenant, String name) {
        return documents().delete(tenant, name);
    }
}
