package io.imagescore.store;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The files of fitted head versions (head.json, weights.safetensors), per pack, head and version; a version is
 * immutable once published. Two implementations, chosen by {@code imagescore.store.kind}: {@link LocalHeadFileStore}
 * (version directories under the data directory) and {@link io.imagescore.store.pg.PgHeadFileStore} (PostgreSQL rows;
 * new versions announced to every replica). Both record each file's sha256 when publishing and verify it on every
 * read. Version numbers are
 * allocated by callers trying {@link #create} with the next number until it succeeds (see fit/HeadStore).
 */
public interface HeadFileStore extends AutoCloseable {
    /**
     * One stored head version. {@code head} is the stored name: a tenant's head {@code style} of tenant {@code acme} is
     * stored as {@code acme+style} ('+' is in no valid name, see tenant/TenantNames), the default tenant's under its
     * plain name (so heads fitted before tenancy, and by the CLI, stay the default tenant's).
     */
    record HeadKey(String pack, String head, String version) {
        static final char TENANT_SEPARATOR = '+';

        /** The key of {@code tenant}'s head {@code name}. */
        public static HeadKey of(String tenant, String pack, String name, String version) {
            return new HeadKey(pack, stored(tenant, name), version);
        }

        /** The stored name of {@code tenant}'s head {@code name}. */
        public static String stored(String tenant, String name) {
            return io.imagescore.tenant.TenantNames.DEFAULT_TENANT.equals(tenant) ? name : tenant + TENANT_SEPARATOR + name;
        }

        /** The tenant owning this head. */
        public String tenant() {
            int i = head.indexOf(TENANT_SEPARATOR);
            return i < 0 ? io.imagescore.tenant.TenantNames.DEFAULT_TENANT : head.substring(0, i);
        }

        /** The head's name as its tenant sees it. */
        public String name() {
            return head.substring(head.indexOf(TENANT_SEPARATOR) + 1);
        }

        @Override
        public String toString() {
            return pack + "/" + head + "/" + version;
        }
    }

    /**
     * Publishes {@code files} (name → content; plain, non-hidden names) as {@code key}, all or nothing. Returns false,
     * storing nothing, when that version exists already (also when another writer takes it at the same moment).
     */
    boolean create(HeadKey key, Map<String, byte[]> files);

    /**
     * Removes a stored version (all its files), all or nothing for readers; false when it is not stored. Other store
     * instances (replicas) learn of it through {@link #onDeleted}.
     */
    boolean delete(HeadKey key);

    /** Bytes stored (the files' contents) for {@code tenant}'s heads of {@code pack}. */
    long bytes(String pack, String tenant);

    /** Every version stored for {@code pack} whose number is taken (readable or not), by head then version name. */
    List<HeadKey> list(String pack);

    /**
     * Runs {@code reader} on a local directory named after the version that holds exactly the version's files
     * (for PackLoader.loadHead). The directory is only valid during the call. Throws {@link io.imagescore.error.ImageScoreException}
     * (INTERNAL) when the version is missing or a file's content does not match its recorded checksum.
     */
    <T> T withDirectory(HeadKey key, Function<Path, T> reader);

    /**
     * Calls {@code listener} (on a background thread) for each version published through another store instance (another
     * replica) after this call; it may also be called for this instance's own versions and, after a lost connection, for
     * versions it saw before, so listeners must be idempotent. Implementations without announcements never call it.
     */
    default void onCreated(Consumer<HeadKey> listener) {
    }

    /** Like {@link #onCreated}, for versions deleted through another store instance. */
    default void onDeleted(Consumer<HeadKey> listener) {
    }

    /** Where the files live, for logs. */
    String describe();

    @Override
    default void close() {
    }

    /** sha256 of {@code content}, hex. */
    static String sha256(byte[] content) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(content));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The error for a file whose content no longer matches the checksum recorded when it was published. */
    static io.imagescore.error.ImageScoreException damaged(HeadKey key, String file, String actual, String recorded) {
        return new io.imagescore.error.ImageScoreException(io.imagescore.error.ErrorCode.INTERNAL, "head version " + key
                + ": file " + file + " is damaged: its content has sha256 " + actual + ", the store recorded " + recorded,
                Map.of("head", key.head(), "version", key.version(), "file", file), null);
    }
}
