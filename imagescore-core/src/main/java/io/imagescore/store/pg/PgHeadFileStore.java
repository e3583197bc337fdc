package io.imagescore.store.pg;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.pack.ModelPack;
import io.imagescore.store.HeadFileStore;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Fitted head files in PostgreSQL (imagescore.store.kind=postgresql): a row per version in {@code head_versions}
 * (primary key pack, head, version: a second writer of the same version finds it taken, after waiting for the first
 * to commit) and a row per file in {@code head_files} with the sha256 of its content, verified every time the file is
 * read. Publishing announces the version; every replica's listener hands it to {@link #onCreated} listeners.
 */
public final class PgHeadFileStore implements HeadFileStore {
    static final String TOPIC = "head";
    static final String DELETED_TOPIC = "head-deleted";

    private final DataSource ds;
    private final PgChanges changes;

    public PgHeadFileStore(DataSource ds, PgChanges changes) {
        this.ds = ds;
        this.changes = changes;
    }

    @Override
    public boolean create(HeadKey key, Map<String, byte[]> files) {
        for (String f : files.keySet()) {
            if (f.isEmpty() || f.contains("/") || f.startsWith(".")) {
                throw new IllegalArgumentException("file name '" + f + "' must be plain and not hidden");
            }
        }
        return PgJdbc.inTransaction(ds, "store head version " + key, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO head_versions (pack, head, version) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
                ps.setString(1, key.pack());
                ps.setString(2, key.head());
                ps.setString(3, key.version());
                if (ps.executeUpdate() == 0) {
                    return false;   // taken
                }
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO head_files (pack, head, version, file_name, content, sha256) VALUES (?, ?, ?, ?, ?, ?)")) {
                for (Map.Entry<String, byte[]> f : files.entrySet()) {
                    ps.setString(1, key.pack());
                    ps.setString(2, key.head());
                    ps.setString(3, key.version());
                    ps.setString(4, f.getKey());
                    ps.setBytes(5, f.getValue());
                    ps.setString(6, sha256(f.getValue()));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            PgChanges.announce(c, TOPIC, key.pack() + "/" + key.head() + "/" + key.version());
            return true;
        });
    }

    @Override
    public boolean delete(HeadKey key) {
        return PgJdbc.inTransaction(ds, "delete head version " + key, c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM head_versions WHERE pack = ? AND head = ? AND version = ?")) {
                ps.setString(1, key.pack());
                ps.setString(2, key.head());
                ps.setString(3, key.version());
                if (ps.executeUpdate() == 0) {
                    return false;
                }
            }
            PgChanges.announce(c, DELETED_TOPIC, key.pack() + "/" + key.head() + "/" + key.version());
            return true;
        });
    }

    @Override
    public long bytes(String pack, String tenant) {
        // the default tenant's heads have no '+' in their stored name (HeadKey.stored)
        boolean plain = io.imagescore.tenant.TenantNames.DEFAULT_TENANT.equals(tenant);
        return PgJdbc.inTransaction(ds, "measure head files of " + pack, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(sum(octet_length(content)), 0) FROM head_files"
                    + " WHERE pack = ? AND " + (plain ? "position('+' in head) = 0" : "starts_with(head, ?)"))) {
                ps.setString(1, pack);
                if (!plain) {
                    ps.setString(2, HeadKey.stored(tenant, ""));
                }
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }

    @Override
    public List<HeadKey> list(String pack) {
        List<HeadKey> out = PgJdbc.inTransaction(ds, "list head versions of " + pack, c -> {
            List<HeadKey> keys = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT head, version FROM head_versions WHERE pack = ?")) {
                ps.setString(1, pack);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        keys.add(new HeadKey(pack, rs.getString(1), rs.getString(2)));
                    }
                }
            }
            return keys;
        });
        out.sort(Comparator.comparing(HeadKey::head).thenComparing(HeadKey::version, ModelPack.VERSION_ORDER));
        return out;
    }

    /** The version's files, each checked against its recorded sha256; INTERNAL on a mismatch or a missing version. */
    public Map<String, byte[]> read(HeadKey key) {
        Map<String, byte[]> files = PgJdbc.inTransaction(ds, "read head version " + key, c -> {
            Map<String, byte[]> out = new LinkedHashMap<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT file_name, content, sha256 FROM head_files"
                    + " WHERE pack = ? AND head = ? AND version = ? ORDER BY file_name")) {
                ps.setString(1, key.pack());
                ps.setString(2, key.head());
                ps.setString(3, key.version());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String name = rs.getString(1);
                        byte[] content = rs.getBytes(2);
                        String recorded = rs.getString(3);
                        String actual = sha256(content);
                        if (!actual.equals(recorded)) {
                            throw HeadFileStore.damaged(key, name, actual, recorded);
                        }
                        out.put(name, content);
                    }
                }
            }
            return out;
        });
        if (files.isEmpty()) {
            throw new ImageScoreException(ErrorCode.INTERNAL, "head version " + key + " is not stored");
        }
        return files;
    }

    @Override
    public <T> T withDirectory(HeadKey key, Function<Path, T> reader) {
        Map<String, byte[]> files = read(key);
        Path tmp = null;
        try {
            tmp = Files.createTempDirectory("imagescore-head-");
            Path dir = Files.createDirectories(tmp.resolve(key.head()).resolve(key.version()));
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                Files.write(dir.resolve(f.getKey()), f.getValue());
            }
            return reader.apply(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack head version " + key + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                deleteTree(tmp);
            }
        }
    }

    @Override
    public void onCreated(Consumer<HeadKey> listener) {
        subscribe(TOPIC, listener, () -> everyVersion().forEach(listener));
    }

    /** Hands each key announced under {@code topic} ("pack/head/version") to {@code listener}. */
    private void subscribe(String topic, Consumer<HeadKey> listener, Runnable resync) {
        changes.subscribe(topic, key -> {
            String[] parts = key.split("/", 3);
            if (parts.length == 3) {
                listener.accept(new HeadKey(parts[0], parts[1], parts[2]));
            }
        }, resync);
    }

    @Override
    public void onDeleted(Consumer<HeadKey> listener) {
        // no resync: a deletion missed while the listener was reconnecting stays served there until a restart
        subscribe(DELETED_TOPIC, listener, () -> {
        });
    }

    /** Every stored version of every pack (for a listener catching up after a reconnect). */
    private List<HeadKey> everyVersion() {
        return PgJdbc.inTransaction(ds, "list head versions", c -> {
            List<HeadKey> keys = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT pack, head, version FROM head_versions")) {
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        keys.add(new HeadKey(rs.getString(1), rs.getString(2), rs.getString(3)));
                    }
                }
            }
            keys.sort(Comparator.comparing(HeadKey::pack).thenComparing(HeadKey::head)
                    .thenComparing(HeadKey::version, ModelPack.VERSION_ORDER));
            return keys;
        });
    }

    @Override
    public String describe() {
        return "PostgreSQL";
    }

    private static String sha256(byte[] content) {
        return HeadFileStore.sha256(content);
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // a temporary directory left behind is harmless
        }
    }
}
