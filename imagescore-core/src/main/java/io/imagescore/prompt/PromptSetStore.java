package io.imagescore.prompt;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.pack.ModelPack;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Tenants' prompt sets: immutable versions numbered 1, 2, 3… per (tenant, name), one of them active. Two
 * implementations, chosen by {@code imagescore.store.kind}: {@link LocalPromptSetStore} (files under the data directory)
 * and {@link io.imagescore.store.pg.PgPromptSetStore} (PostgreSQL rows, changes announced to every replica).
 * Implementations are thread-safe; two writers never get the same version number.
 */
public interface PromptSetStore {
    /** The JSON form of prompt sets and tuning reports (snake_case keys, ordered, strict on reading). */
    ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** One stored version. {@code created} is ISO-8601; {@code contentHash} is sha256 over the spec's canonical JSON. */
    record StoredVersion(String tenant, String name, String version, String created, String notes,
                         String contentHash, PromptSet spec) {
        public PromptSetRef ref() {
            return new PromptSetRef(tenant, name, version, contentHash);
        }
    }

    /** A set's versions (ascending) and its active version. */
    record Summary(String tenant, String name, String activeVersion, List<String> versions) {
    }

    /**
     * Stores {@code spec} (validated) as the next version of tenant/name. The first version of a set becomes active;
     * later ones only when {@code activate}.
     */
    StoredVersion create(String tenant, String name, PromptSet spec, String notes, boolean activate);

    /** Makes an existing version the active one (durably). */
    StoredVersion activate(String tenant, String name, String version);

    /** The named version, or the active one for an empty version; UNKNOWN_PROMPT_SET when there is none. */
    StoredVersion get(String tenant, String name, String version);

    boolean isActive(StoredVersion v);

    /**
     * Deletes one version of tenant/name; returns the versions left. UNKNOWN_PROMPT_SET when it does not exist;
     * ACTIVE_VERSION (FAILED_PRECONDITION) for the active version.
     */
    List<String> deleteVersion(String tenant, String name, String version);

    /** The error for deleting the version in use. */
    static ImageScoreException activeVersion(String tenant, String name, String version) {
        return new ImageScoreException(ErrorCode.ACTIVE_VERSION, "version " + version + " of prompt set '" + name
                + "' is the active one; activate another version before deleting it",
                Map.of("tenant", tenant, "prompt_set", name, "version", version), null);
    }

    /** Every set of a tenant (all tenants for an empty tenant), by tenant then name. */
    List<Summary> list(String tenant);

    /** Where the state lives, for logs. */
    String describe();

    /** Bytes the tenant's prompt-set versions take in the store (the bytes-stored quota). */
    long bytes(String tenant);

    static byte[] toJson(Object o) {
        try {
            return JSON.writeValueAsBytes(o);
        } catch (IOException e) {
            throw new ImageScoreException(ErrorCode.INTERNAL, "cannot serialise " + o.getClass().getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /** sha256 of the spec's canonical JSON (keys ordered, fixed formatting), hex. */
    static String contentHash(PromptSet spec) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(toJson(spec)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Rejects a set meant for another pack, or any pack without a text encoder. */
    static void checkPack(StoredVersion v, ModelPack pack) {
        TextEmbedder.textEncoder(pack);
        if (!v.spec().pack().isEmpty() && !v.spec().pack().equals(pack.name())) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "prompt set " + v.ref() + " was written for pack '"
                    + v.spec().pack() + "', not '" + pack.name() + "' (text embeddings and calibration belong to one model)",
                    Map.of("pack", pack.name(), "prompt_set", v.name()), null);
        }
    }
}
