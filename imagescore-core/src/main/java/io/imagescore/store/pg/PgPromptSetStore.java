package io.imagescore.store.pg;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.prompt.PromptSet;
import io.imagescore.prompt.PromptSetIndex;
import io.imagescore.prompt.PromptSetStore;
import io.imagescore.tenant.TenantNames;
import org.jboss.logging.Logger;

import javax.sql.DataSource;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * Prompt sets in PostgreSQL (imagescore.store.kind=postgresql): one row per set in {@code prompt_sets} (its last
 * allocated and its active version) and one per version in {@code prompt_set_versions}. A new version's number comes
 * from {@code INSERT … ON CONFLICT DO UPDATE SET last_version = last_version + 1 RETURNING}, which locks the set's row,
 * so concurrent writers on any replica get distinct, gap-free numbers. Reads are served from memory
 * ({@link PromptSetIndex}); every write announces the set, and each replica reloads it when the announcement arrives
 * (well within 1 s), and reloads everything after its listener reconnects. A read that misses (a set created on another
 * replica a moment ago) looks in the database once before answering UNKNOWN_PROMPT_SET.
 */
public final class PgPromptSetStore implements PromptSetStore {
    static final String TOPIC = "prompt_set";
    private static final Logger LOG = Logger.getLogger(PgPromptSetStore.class);

    private final DataSource ds;
    private final PromptSetIndex index = new PromptSetIndex();
    /** Serialises reloads so that a slower, older read never replaces a newer one in the index. */
    private final Object reloadLock = new Object();

    public PgPromptSetStore(DataSource ds, PgChanges changes) {
        this.ds = ds;
        changes.subscribe(TOPIC, this::changed, this::reloadAll);
        reloadAll();
    }

    @Override
    public StoredVersion create(String tenant, String name, PromptSet spec, String notes, boolean activate) {
        TenantNames.check("tenant", tenant);
        TenantNames.check("prompt_set", name);
        spec.validate();
        String hash = PromptSetStore.contentHash(spec);
        String specJson = new String(PromptSetStore.toJson(spec), java.nio.charset.StandardCharsets.UTF_8);
        StoredVersion v = PgJdbc.inTransaction(ds, "store prompt set " + tenant + "/" + name, c -> {
            int version;
            int active;
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO prompt_sets (tenant, name, last_version, active_version) VALUES (?, ?, 1, 1)
                    ON CONFLICT (tenant, name) DO UPDATE SET last_version = prompt_sets.last_version + 1
                    RETURNING last_version, active_version""")) {
                ps.setString(1, tenant);
                ps.setString(2, name);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    version = rs.getInt(1);
                    active = rs.getInt(2);
                }
            }
            StoredVersion stored = new StoredVersion(tenant, name, Integer.toString(version), Instant.now().toString(),
                    notes == null ? "" : notes, hash, spec);
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO prompt_set_versions (tenant, name, version, created, notes, content_hash, spec)
                    VALUES (?, ?, ?, ?, ?, ?, ?)""")) {
                ps.setString(1, tenant);
                ps.setString(2, name);
                ps.setInt(3, version);
                ps.setString(4, stored.created());
                ps.setString(5, stored.notes());
                ps.setString(6, hash);
                ps.setString(7, specJson);
                ps.executeUpdate();
            }
            if (activate && active != version) {
                setActive(c, tenant, name, version);
            }
            PgChanges.announce(c, TOPIC, PromptSetIndex.key(tenant, name));
            return stored;
        });
        reload(tenant, name);
        return v;
    }

    @Override
    public StoredVersion activate(String tenant, String name, String version) {
        StoredVersion v = get(tenant, name, version);
        if (version == null || version.isEmpty()) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "name the version to activate");
        }
        PgJdbc.inTransaction(ds, "activate prompt set " + tenant + "/" + name + "@" + version, c -> {
            setActive(c, tenant, name, Integer.parseInt(v.version()));
            PgChanges.announce(c, TOPIC, PromptSetIndex.key(tenant, name));
            return null;
        });
        reload(tenant, name);
        return v;
    }

    @Override
    public java.util.List<String> deleteVersion(String tenant, String name, String version) {
        StoredVersion v = get(tenant, name, TenantNames.checkVersion("version", version));
        PgJdbc.inTransaction(ds, "delete prompt set " + tenant + "/" + name + "@" + version, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT active_version FROM prompt_sets WHERE tenant = ? AND name = ? FOR UPDATE")) {
                ps.setString(1, tenant);
                ps.setString(2, name);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && rs.getInt(1) == Integer.parseInt(v.version())) {
                        throw PromptSetStore.activeVersion(tenant, name, v.version());
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM prompt_set_versions WHERE tenant = ? AND name = ? AND version = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, name);
                ps.setInt(3, Integer.parseInt(v.version()));
                ps.executeUpdate();
            }
            PgChanges.announce(c, TOPIC, PromptSetIndex.key(tenant, name));
            return null;
        });
        reload(tenant, name);
        return index.list(tenant).stream().filter(s -> s.name().equals(name)).findFirst()
                .map(Summary::versions).orElse(java.util.List.of());
    }

    private static void setActive(Connection c, String tenant, String name, int version) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE prompt_sets SET active_version = ? WHERE tenant = ? AND name = ?")) {
            ps.setInt(1, version);
            ps.setString(2, tenant);
            ps.setString(3, name);
            ps.executeUpdate();
        }
    }

    @Override
    public StoredVersion get(String tenant, String name, String version) {
        try {
            return index.get(tenant, name, version);
        } catch (ImageScoreException e) {
            if (e.code() != ErrorCode.UNKNOWN_PROMPT_SET || !TenantNames.isValid(tenant) || !TenantNames.isValid(name)) {
                throw e;
            }
            reload(tenant, name);   // created or changed on another replica, announcement not handled yet
            return index.get(tenant, name, version);
        }
    }

    @Override
    public boolean isActive(StoredVersion v) {
        return index.isActive(v);
    }

    @Override
    public java.util.List<Summary> list(String tenant) {
        return index.list(tenant);
    }

    /** The octets of the tenant's stored specs and notes. */
    @Override
    public long bytes(String tenant) {
        TenantNames.check("tenant", tenant);
        return PgJdbc.inTransaction(ds, "measure prompt sets of " + tenant, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(sum(octet_length(spec) + octet_length(notes)), 0)"
                    + " FROM prompt_set_versions WHERE tenant = ?")) {
                ps.setString(1, tenant);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }

    @Override
    public String describe() {
        return "PostgreSQL";
    }

    private void changed(String key) {
        int slash = key.indexOf('/');
        if (slash > 0) {
            reload(key.substring(0, slash), key.substring(slash + 1));
        }
    }

    /** Reads one set back from the database into the index (or removes it when it has no readable version). */
    void reload(String tenant, String name) {
        synchronized (reloadLock) {
            Map<String, PromptSetIndex.SetState> found = read(tenant, name);
            PromptSetIndex.SetState s = found.get(PromptSetIndex.key(tenant, name));
            if (s == null) {
                index.remove(tenant, name);
            } else {
                index.put(tenant, name, s);
            }
        }
    }

    /** Reads every set back from the database. */
    void reloadAll() {
        synchronized (reloadLock) {
            index.replaceAll(read(null, null));
        }
    }

    /** Sets (one, or all for a null tenant) as one consistent snapshot. */
    private Map<String, PromptSetIndex.SetState> read(String tenant, String name) {
        String where = tenant == null ? "" : " WHERE tenant = ? AND name = ?";
        return PgJdbc.inTransaction(ds, "read prompt sets", Connection.TRANSACTION_REPEATABLE_READ, c -> {
            Map<String, Integer> active = new HashMap<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT tenant, name, active_version FROM prompt_sets" + where)) {
                bind(ps, tenant, name);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        active.put(PromptSetIndex.key(rs.getString(1), rs.getString(2)), rs.getInt(3));
                    }
                }
            }
            Map<String, NavigableMap<Integer, StoredVersion>> versions = new HashMap<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT tenant, name, version, created, notes, content_hash, spec"
                    + " FROM prompt_set_versions" + where)) {
                bind(ps, tenant, name);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String t = rs.getString(1);
                        String n = rs.getString(2);
                        int version = rs.getInt(3);
                        PromptSet spec;
                        try {
                            spec = JSON.readValue(rs.getString(7), PromptSet.class);
                        } catch (IOException e) {
                            LOG.warnf("prompt-set store: skipping %s/%s@%d: not a valid prompt set: %s", t, n, version, e.getMessage());
                            continue;
                        }
                        versions.computeIfAbsent(PromptSetIndex.key(t, n), k -> new TreeMap<>()).put(version,
                                new StoredVersion(t, n, Integer.toString(version), rs.getString(4), rs.getString(5), rs.getString(6), spec));
                    }
                }
            }
            Map<String, PromptSetIndex.SetState> out = new HashMap<>();
            versions.forEach((k, vs) -> {
                Integer a = active.get(k);
                int act = a != null && vs.containsKey(a) ? a : vs.firstKey();
                out.put(k, new PromptSetIndex.SetState(vs, act));
            });
            return out;
        });
    }

    private static void bind(PreparedStatement ps, String tenant, String name) throws SQLException {
        if (tenant != null) {
            ps.setString(1, tenant);
            ps.setString(2, name);
        }
    }
}
