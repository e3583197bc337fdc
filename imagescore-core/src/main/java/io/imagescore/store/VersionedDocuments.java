package io.imagescore.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Tenants' named documents in immutable versions 1, 2, … (regulations, experiments): the one versioned-document store
 * both kinds use, {@link LocalVersionedDocuments} (files) or {@link io.imagescore.store.pg.PgVersionedDocuments}
 * (PostgreSQL rows). Two writers never get the same version number; an unreadable version is skipped with a warning,
 * never served. Prompt sets are not stored here: they also have an active version, changed in place and pushed to
 * every replica's memory (prompt/PromptSetStore).
 *
 * @param <S> one stored version (its record carries tenant, name and version, and is what the local store writes)
 */
public interface VersionedDocuments<S extends VersionedDocuments.Document> {
    /** What every stored version names. */
    interface Document {
        String tenant();

        String name();

        String version();
    }

    /** Builds the stored version once its number is allocated; {@code created} is ISO-8601. */
    @FunctionalInterface
    interface Maker<S> {
        S make(String version, String created);
    }

    /**
     * One kind of document: {@code label} names it in messages and metadata ("regulation"), {@code unknown} is the
     * error code for a missing one, {@code json} writes the local store's files, {@code complete} rejects a file that
     * parsed but lacks its content.
     */
    record Kind<S>(String label, ErrorCode unknown, Class<S> type, ObjectMapper json, java.util.function.Predicate<S> complete) {
        /** The tenant has no document of that name. */
        public ImageScoreException unknown(String tenant, String name, List<String> names) {
            return new ImageScoreException(unknown, "tenant '" + tenant + "' has no " + label + " '" + name + "'; it has " + names,
                    Map.of("tenant", tenant, label, name), null);
        }

        /** The document has no such (readable) version. */
        public ImageScoreException unknownVersion(String tenant, String name, String version, List<String> versions) {
            return new ImageScoreException(unknown, label + " " + tenant + "/" + name + " has no version '" + version
                    + "'; versions: " + versions, Map.of("tenant", tenant, label, name, "version", version), null);
        }
    }

    record Summary(String name, String latestVersion, List<String> versions) {
    }

    /** Stores the next version, built by {@code maker}. */
    S put(String tenant, String name, Maker<S> maker);

    /** One version; null or empty = the newest readable one. The kind's unknown error when there is none. */
    S get(String tenant, String name, String version);

    /** The tenant's documents by name, each with its readable versions ascending. */
    List<Summary> list(String tenant);

    /** Every readable version of every document of the tenant, by name then version (one pass over the store). */
    List<S> all(String tenant);

    /** Removes every version; returns how many there were (0 = there was no such document). */
    int delete(String tenant, String name);

    /** Bytes the tenant's documents of this kind take in the store (the bytes-stored quota). */
    long bytes(String tenant);

    static String now() {
        return Instant.now().toString();
    }
}
