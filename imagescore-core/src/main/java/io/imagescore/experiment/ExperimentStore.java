package io.imagescore.experiment;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

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

    /** One stored version; {@code contentHash} = sha256 of the experiment's canonical JSON. */
    record Stored(String tenant, String name, String version, String created, String contentHash, Experiment experiment) {
    }

    record Summary(String name, String latestVersion, List<String> versions) {
    }

    /** Stores {@code experiment} (already validated and pinned) as the next version. */
    Stored put(String tenant, String name, Experiment experiment);

    /** One version; null or empty = the newest. UNKNOWN_EXPERIMENT when there is none. */
    Stored get(String tenant, String name, String version);

    List<Summary> list(String tenant);

    static String contentHash(Experiment e) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(JSON.writeValueAsBytes(e)));
        } catch (NoSuchAlgorithmException | IOException ex) {
            throw new IllegalStateException(ex);
        }
    }

    static ImageScoreException unknown(ExperimentStore store, String tenant, String name) {
        return new ImageScoreException(ErrorCode.UNKNOWN_EXPERIMENT, "tenant '" + tenant + "' has no experiment '" + name
                + "'; it has " + store.list(tenant).stream().map(Summary::name).toList(),
                Map.of("tenant", tenant, "experiment", name), null);
    }

    static ImageScoreException unknownVersion(String tenant, String name, String version, List<String> versions) {
        return new ImageScoreException(ErrorCode.UNKNOWN_EXPERIMENT, "experiment " + tenant + "/" + name + " has no version '"
                + version + "'; versions: " + versions, Map.of("tenant", tenant, "experiment", name, "version", version), null);
    }
}
