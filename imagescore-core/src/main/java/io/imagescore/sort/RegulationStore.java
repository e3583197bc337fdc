package io.imagescore.sort;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;

import java.util.List;
import java.util.Map;

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

    record Stored(String tenant, String name, String version, String createdAt, Regulation regulation) {
    }

    record Summary(String name, String latestVersion, List<String> versions) {
    }

    /** Validates and stores {@code regulation} as the next version. */
    Stored put(String tenant, String name, Regulation regulation);

    /** One version; null or empty version = the newest readable one. UNKNOWN_REGULATION when there is none. */
    Stored get(String tenant, String name, String version);

    /** The tenant's regulations by name, each with its readable versions ascending. */
    List<Summary> list(String tenant);

    /** Removes every version; returns how many there were (0 = there was no such regulation). */
    int delete(String tenant, String name);

    /** UNKNOWN_REGULATION for a tenant without that regulation. */
    static ImageScoreException unknown(RegulationStore store, String tenant, String name) {
        return new ImageScoreException(ErrorCode.UNKNOWN_REGULATION, "tenant '" + tenant + "' has no regulation '" + name
                + "'; it has " + store.list(tenant).stream().map(Summary::name).toList(),
                Map.of("tenant", tenant, "regulation", name), null);
    }

    /** UNKNOWN_REGULATION for a version the regulation does not have. */
    static ImageScoreException unknownVersion(String tenant, String name, String version, List<String> versions) {
        return new ImageScoreException(ErrorCode.UNKNOWN_REGULATION, "regulation " + tenant + "/" + name + " has no version '"
                + version + "'; versions: " + versions, Map.of("tenant", tenant, "regulation", name, "version", version), null);
    }
}
