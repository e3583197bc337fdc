package io.imagescore.store.pg;

import io.imagescore.store.VersionedDocuments;
import io.imagescore.tenant.TenantNames;
import org.jboss.logging.Logger;

import javax.sql.DataSource;
import java.io.IOException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Versioned documents in PostgreSQL (imagescore.store.kind=postgresql): a row per document in {@link Rows#table()}
 * (its last allocated version, taken under the row's lock by {@code INSERT … ON CONFLICT DO UPDATE … RETURNING}, so
 * replicas never hand out a number twice) and one per version in {@link Rows#versionsTable()}. Reads go to the
 * database every time, so every replica sees a new version as soon as it commits; each change is still announced
 * ({@code NOTIFY}, topic = the kind's label) for other listeners.
 */
public final class PgVersionedDocuments<S extends VersionedDocuments.Document> implements VersionedDocuments<S> {
    /**
     * How one kind's versions map to rows: the tables (fixed names from code, never from a request) and the columns
     * after {@code (tenant, name, version)}; {@code values} gives a version's column values in that order,
     * {@code read} rebuilds a version from them.
     */
    public record Rows<S>(String table, String versionsTable, List<String> columns, Values<S> values, Reader<S> read) {
    }

    @FunctionalInterface
    public interface Values<S> {
        List<String> of(S stored) throws IOException;
    }

    @FunctionalInterface
    public interface Reader<S> {
        S read(String tenant, String name, String version, List<String> values) throws IOException;
    }

    private static final Logger LOG = Logger.getLogger(PgVersionedDocuments.class);

    private final DataSource ds;
    private final VersionedDocuments.Kind<S> kind;
    private final Rows<S> rows;

    public PgVersionedDocuments(DataSource ds, VersionedDocuments.Kind<S> kind, Rows<S> rows) {
        this.ds = ds;
        this.kind = kind;
        this.rows = rows;
    }

    @Override
    public S put(String tenant, String name, Maker<S> maker) {
        check(tenant, name);
        return PgJdbc.inTransaction(ds, "store " + kind.label() + " " + tenant + "/" + name, c -> {
            int version;
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + rows.table() + " (tenant, name, last_version)"
                    + " VALUES (?, ?, 1) ON CONFLICT (tenant, name) DO UPDATE SET last_version = " + rows.table()
                    + ".last_version + 1 RETURNING last_version")) {
                ps.setString(1, tenant);
                ps.setString(2, name);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    version = rs.getInt(1);
                }
            }
            S stored = maker.make(Integer.toString(version), VersionedDocuments.now());
            List<String> values;
            try {
                values = rows.values().of(stored);
            } catch (IOException e) {
                throw new SQLException("cannot serialise the " + kind.label() + ": " + e.getMessage(), e);
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + rows.versionsTable() + " (tenant, name, version, "
                    + String.join(", ", rows.columns()) + ") VALUES (?, ?, ?" + ", ?".repeat(rows.columns().size()) + ")")) {
                ps.setString(1, tenant);
                ps.setString(2, name);
                ps.setInt(3, version);
                for (int i = 0; i < values.size(); i++) {
                    ps.setString(4 + i, values.get(i));
                }
                ps.executeUpdate();
            }
            PgChanges.announce(c, kind.label(), tenant + "/" + name);
            return stored;
        });
    }

    @Override
    public S get(String tenant, String name, String version) {
        check(tenant, name);
        Map<String, S> versions = read(tenant, name);   // version → stored, ascending
        if (versions.isEmpty()) {
            throw kind.unknown(tenant, name, list(tenant).stream().map(Summary::name).toList());
        }
        if (version == null || version.isEmpty()) {
            return versions.values().stream().reduce((a, b) -> b).orElseThrow();
        }
        S s = versions.get(version);
        if (s == null) {
            throw kind.unknownVersion(tenant, name, version, List.copyOf(versions.keySet()));
        }
        return s;
    }

    @Override
    public List<Summary> list(String tenant) {
        TenantNames.check("tenant", tenant);
        Map<String, List<String>> byName = new LinkedHashMap<>();
        PgJdbc.inTransaction(ds, "list " + kind.label() + "s of " + tenant, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT name, version FROM " + rows.versionsTable()
                    + " WHERE tenant = ? ORDER BY name COLLATE \"C\", version")) {
                ps.setString(1, tenant);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        byName.computeIfAbsent(rs.getString(1), n -> new ArrayList<>()).add(Integer.toString(rs.getInt(2)));
                    }
                }
            }
            return null;
        });
        List<Summary> out = new ArrayList<>();
        byName.forEach((n, vs) -> out.add(new Summary(n, vs.getLast(), List.copyOf(vs))));
        return out;
    }

    @Override
    public int delete(String tenant, String name) {
        check(tenant, name);
        return PgJdbc.inTransaction(ds, "delete " + kind.label() + " " + tenant + "/" + name, c -> {
            int n;
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + rows.versionsTable() + " WHERE tenant = ? AND name = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, name);
                n = ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + rows.table() + " WHERE tenant = ? AND name = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, name);
                ps.executeUpdate();
            }
            PgChanges.announce(c, kind.label(), tenant + "/" + name);
            return n;
        });
    }

    /** The octets of the tenant's stored values (the same content the local store writes as files). */
    @Override
    public long bytes(String tenant) {
        TenantNames.check("tenant", tenant);
        String sum = String.join(" + ", rows.columns().stream().map(col -> "octet_length(" + col + ")").toList());
        return PgJdbc.inTransaction(ds, "measure " + kind.label() + "s of " + tenant, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(sum(" + sum + "), 0) FROM " + rows.versionsTable()
                    + " WHERE tenant = ?")) {
                ps.setString(1, tenant);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }

    private void check(String tenant, String name) {
        TenantNames.check("tenant", tenant);
        TenantNames.check(kind.label() + " name", name);
    }

    @Override
    public List<S> all(String tenant) {
        TenantNames.check("tenant", tenant);
        return rows(tenant, null);
    }

    /** The readable versions of one document, ascending (an unreadable row is skipped with a warning). */
    private Map<String, S> read(String tenant, String name) {
        Map<String, S> out = new LinkedHashMap<>();
        rows(tenant, name).forEach(s -> out.put(s.version(), s));
        return out;
    }

    /** The readable versions of the tenant's document {@code name} (null = of all its documents), by name then version. */
    private List<S> rows(String tenant, String name) {
        return PgJdbc.inTransaction(ds, "read " + kind.label() + "s of " + tenant, c -> {
            List<S> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT name, version, " + String.join(", ", rows.columns()) + " FROM "
                    + rows.versionsTable() + " WHERE tenant = ?" + (name == null ? "" : " AND name = ?")
                    + " ORDER BY name COLLATE \"C\", version")) {
                ps.setString(1, tenant);
                if (name != null) {
                    ps.setString(2, name);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String n = rs.getString(1);
                        String v = Integer.toString(rs.getInt(2));
                        List<String> values = new ArrayList<>(rows.columns().size());
                        for (int i = 0; i < rows.columns().size(); i++) {
                            values.add(rs.getString(3 + i));
                        }
                        try {
                            out.add(rows.read().read(tenant, n, v, Collections.unmodifiableList(values)));
                        } catch (IOException e) {
                            LOG.warnf("%s store: skipping %s/%s@%s: not a readable %s: %s", kind.label(), tenant, n, v,
                                    kind.label(), e.getMessage());
                        }
                    }
                }
            }
            return out;
        });
    }
}
