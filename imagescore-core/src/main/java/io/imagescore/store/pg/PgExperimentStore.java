package io.imagescore.store.pg;

import io.imagescore.experiment.Experiment;
import io.imagescore.experiment.ExperimentStore;
import io.imagescore.tenant.TenantNames;
import org.jboss.logging.Logger;

import javax.sql.DataSource;
import java.io.IOException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Experiments in PostgreSQL: a row per experiment in {@code experiments} (its last allocated version, taken under the
 * row's lock by {@code INSERT … ON CONFLICT DO UPDATE … RETURNING}, as for regulations) and one per version in
 * {@code experiment_versions}. Reads go to the database every time, so every replica sees a new version at once.
 */
public final class PgExperimentStore implements ExperimentStore {
    static final String TOPIC = "experiment";
    private static final Logger LOG = Logger.getLogger(PgExperimentStore.class);

    private final DataSource ds;

    public PgExperimentStore(DataSource ds) {
        this.ds = ds;
    }

    @Override
    public Stored put(String tenant, String name, Experiment experiment) {
        TenantNames.check("tenant", tenant);
        TenantNames.check("experiment name", name);
        return PgJdbc.inTransaction(ds, "store experiment " + tenant + "/" + name, c -> {
            int version;
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO experiments (tenant, name, last_version) VALUES (?, ?, 1)
                    ON CONFLICT (tenant, name) DO UPDATE SET last_version = experiments.last_version + 1
                    RETURNING last_version""")) {
                ps.setString(1, tenant);
                ps.setString(2, name);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    version = rs.getInt(1);
                }
            }
            Stored stored = new Stored(tenant, name, Integer.toString(version), Instant.now().toString(),
                    ExperimentStore.contentHash(experiment), experiment);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO experiment_versions"
                    + " (tenant, name, version, created, content_hash, experiment) VALUES (?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, tenant);
                ps.setString(2, name);
                ps.setInt(3, version);
                ps.setString(4, stored.created());
                ps.setString(5, stored.contentHash());
                ps.setString(6, JSON.writeValueAsString(experiment));
                ps.executeUpdate();
            } catch (IOException e) {
                throw new SQLException("cannot serialise the experiment: " + e.getMessage(), e);
            }
            PgChanges.announce(c, TOPIC, tenant + "/" + name);
            return stored;
        });
    }

    @Override
    public Stored get(String tenant, String name, String version) {
        TenantNames.check("tenant", tenant);
        TenantNames.check("experiment name", name);
        Map<String, Stored> versions = PgJdbc.inTransaction(ds, "read experiment " + tenant + "/" + name, c -> {
            Map<String, Stored> out = new LinkedHashMap<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT version, created, content_hash, experiment"
                    + " FROM experiment_versions WHERE tenant = ? AND name = ? ORDER BY version")) {
                ps.setString(1, tenant);
                ps.setString(2, name);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String v = Integer.toString(rs.getInt(1));
                        try {
                            out.put(v, new Stored(tenant, name, v, rs.getString(2), rs.getString(3),
                                    JSON.readValue(rs.getString(4), Experiment.class)));
                        } catch (IOException e) {
                            LOG.warnf("experiment store: skipping %s/%s@%s: not a readable experiment: %s", tenant, name, v, e.getMessage());
                        }
                    }
                }
            }
            return out;
        });
        if (versions.isEmpty()) {
            throw ExperimentStore.unknown(this, tenant, name);
        }
        if (version == null || version.isEmpty()) {
            return versions.values().stream().reduce((a, b) -> b).orElseThrow();
        }
        Stored s = versions.get(version);
        if (s == null) {
            throw ExperimentStore.unknownVersion(tenant, name, version, List.copyOf(versions.keySet()));
        }
        return s;
    }

    @Override
    public List<Summary> list(String tenant) {
        TenantNames.check("tenant", tenant);
        Map<String, List<String>> byName = new LinkedHashMap<>();
        PgJdbc.inTransaction(ds, "list experiments of " + tenant, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT name, version FROM experiment_versions WHERE tenant = ? ORDER BY name COLLATE \"C\", version")) {
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
}
