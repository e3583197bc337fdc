package io.imagescore.store.pg;

import io.imagescore.sort.Regulation;
import io.imagescore.sort.RegulationStore;
import io.imagescore.tenant.TenantNames;
import org.jboss.logging.Logger;

import javax.sql.DataSource;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Regulations in PostgreSQL (imagescore.store.kind=postgresql): a row per regulation in {@code regulations} (its last
 * allocated version, taken under the row's lock by {@code INSERT … ON CONFLICT DO UPDATE … RETURNING}) and one per
 * version in {@code regulation_versions}. Reads go to the database every time (a sort reads one regulation), so every
 * replica sees a change as soon as it commits; changes are still announced for other listeners.
 */
public final class PgRegulationStore implements RegulationStore {
    static final String TOPIC = "regulation";
    private static final Logger LOG = Logger.getLogger(PgRegulationStore.class);

    private final DataSource ds;

    public PgRegulationStore(DataSource ds) {
        this.ds = ds;
    }

    @Override
    public Stored put(String tenant, String name, Regulation regulation) {
        TenantNames.check("tenant", tenant);
        TenantNames.check("regulation name", name);
        regulation.validated();
        return PgJdbc.inTransaction(ds, "store regulation " + tenant + "/" + name, c -> {
            int version;
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO regulations (tenant, name, last_version) VALUES (?, ?, 1)
                    ON CONFLICT (tenant, name) DO UPDATE SET last_version = regulations.last_version + 1
                    RETURNING last_version""")) {
                ps.setString(1, tenant);
                ps.setString(2, name);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    version = rs.getInt(1);
                }
            }
            Stored stored = new Stored(tenant, name, Integer.toString(version), Instant.now().toString(), regulation);
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO regulation_versions (tenant, name, version, created_at, regulation) VALUES (?, ?, ?, ?, ?)")) {
                ps.setString(1, tenant);
                ps.setString(2, name);
                ps.setInt(3, version);
                ps.setString(4, stored.createdAt());
                ps.setString(5, JSON.writeValueAsString(regulation));
                ps.executeUpdate();
            } catch (IOException e) {
                throw new SQLException("cannot serialise the regulation: " + e.getMessage(), e);
            }
            PgChanges.announce(c, TOPIC, tenant + "/" + name);
            return stored;
        });
    }

    @Override
    public Stored get(String tenant, String name, String version) {
        TenantNames.check("tenant", tenant);
        TenantNames.check("regulation name", name);
        Map<String, Stored> versions = read(tenant, name);   // version → stored, ascending
        if (versions.isEmpty()) {
            throw RegulationStore.unknown(this, tenant, name);
        }
        if (version == null || version.isEmpty()) {
            return versions.values().stream().reduce((a, b) -> b).orElseThrow();
        }
        Stored s = versions.get(version);
        if (s == null) {
            throw RegulationStore.unknownVersion(tenant, name, version, List.copyOf(versions.keySet()));
        }
        return s;
    }

    @Override
    public List<Summary> list(String tenant) {
        TenantNames.check("tenant", tenant);
        Map<String, List<String>> byName = new LinkedHashMap<>();
        PgJdbc.inTransaction(ds, "list regulations of " + tenant, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT name, version FROM regulation_versions WHERE tenant = ? ORDER BY name COLLATE \"C\", version")) {
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
        TenantNames.check("tenant", tenant);
        TenantNames.check("regulation name", name);
        return PgJdbc.inTransaction(ds, "delete regulation " + tenant + "/" + name, c -> {
            int n;
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM regulation_versions WHERE tenant = ? AND name = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, name);
                n = ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM regulations WHERE tenant = ? AND name = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, name);
                ps.executeUpdate();
            }
            PgChanges.announce(c, TOPIC, tenant + "/" + name);
            return n;
        });
    }

    /** The readable versions of one regulation, ascending (an unreadable row is skipped with a warning). */
    private Map<String, Stored> read(String tenant, String name) {
        return PgJdbc.inTransaction(ds, "read regulation " + tenant + "/" + name, (Connection c) -> {
            Map<String, Stored> out = new LinkedHashMap<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT version, created_at, regulation FROM regulation_versions"
                    + " WHERE tenant = ? AND name = ? ORDER BY version")) {
                ps.setString(1, tenant);
                ps.setString(2, name);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String v = Integer.toString(rs.getInt(1));
                        try {
                            out.put(v, new Stored(tenant, name, v, rs.getString(2), JSON.readValue(rs.getString(3), Regulation.class)));
                        } catch (IOException e) {
                            LOG.warnf("regulation store: skipping %s/%s@%s: not a readable regulation: %s", tenant, name, v, e.getMessage());
                        }
                    }
                }
            }
            return out;
        });
    }
}
