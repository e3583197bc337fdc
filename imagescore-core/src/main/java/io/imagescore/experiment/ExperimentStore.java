package io.imagescore.experiment;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.imagescore.error.ErrorCode;
import io.imagescore.store.VersionedDocuments;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Tenants' experiments, versioned: storing an experiment stores the next version (1, 2, …), immutable once written,
 * so a result can name the version that made it. Two implementations, chosen by {@code imagescore.store.kind}:
 * {@link LocalExperimentStore} (files under the data directory) and {@link io.imagescore.store.pg.PgExperimentStore} (PostgreSQL rows).
 * Two writers never get the same version number.
 */
public interface ExperimentStore {
    /** The JSON form (snake_case keys, strict on reading, canonical for the content hash). */
    ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Experiments as versioned documents: what the shared store needs to name, write and check them. */
    VersionedDocuments.Kind<Stored> KIND = new VersionedDocuments.Kind<>("experiment", ErrorCode.UNKNOWN_EXPERIMENT,
            Stored.class, JSON, s -> s.experiment() != null);

    /** One stored version; {@code contentHash} = sha256 of the experiment's canonical JSON. */
    record Stored(String tenant, String name, String version, String created, String contentHash, Experiment experiment)
            implements VersionedDocuments.Document {
    }

    record Summary(String name, String latestVersion, List<String> versions) {
    }

    /** Where the versions are kept (local files or PostgreSQL rows). */
    VersionedDocuments<Stored> documents();

    /** Stores {@code experiment} (already validated and pinned) as the next version. */
    default Stored put(String tenant, String name, Experiment experiment) {
        String hash = contentHash(experiment);
        return documents().put(tenant, name, (version, created) -> new Stored(tenant, name, version, created, hash, experiment));
    }

    /** One version; null or empty = the newest. UNKNOWN_EXPERIMENT when there is none. */
    default Stored get(String tenant, String name, String version) {
        return documents().get(tenant, name, version);
    }

    default List<Summary> list(String tenant) {
        return documents().list(tenant).stream().map(s -> new Summary(s.name(), s.latestVersion(), s.versions())).toList();
    }

    static String contentHash(Experiment e) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(JSON.writeValueAsBytes(e)));
        } catch (NoSuchAlgorithmException | IOException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
