package io.imagescore.store.pg;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.rating.Campaign;
import io.imagescore.rating.CampaignStore;
import io.imagescore.rating.Judgement;
import io.imagescore.tenant.TenantNames;
import org.jboss.logging.Logger;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Rating campaigns in PostgreSQL ({@code V4__rating.sql}): a judgement's number is taken from its campaign's row
 * ({@code UPDATE … SET last_seq = last_seq + 1 RETURNING}, under the row lock, so numbers are distinct and gap-free
 * across replicas) and the judgement inserted in the same transaction. Reads go to the database every time, so every
 * replica sees a judgement as soon as it is acknowledged. Times come from the database's clock ({@link #now()}, a
 * judgement's {@code created}, the idle check of retention's delete), never a replica's.
 */
public final class PgCampaignStore implements CampaignStore {
    private static final Logger LOG = Logger.getLogger(PgCampaignStore.class);

    private final DataSource ds;

    public PgCampaignStore(DataSource ds) {
        this.ds = ds;
    }

    @Override
    public void create(String tenant, Campaign campaign, java.util.Map<String, byte[]> uploads) {
        TenantNames.check("tenant", tenant);
        TenantNames.check("campaign", campaign.name());
        PgJdbc.inTransaction(ds, "store campaign " + tenant + "/" + campaign.name(), c -> {
            lockTenant(c, tenant);
            for (var e : uploads.entrySet()) {
                insertImage(c, tenant, e.getKey(), e.getValue());
            }
            List<String> hashes = campaign.images().stream().map(Campaign.Image::sha256).toList();
            java.util.Set<String> stored = new java.util.HashSet<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT sha256 FROM rating_images WHERE tenant = ? AND sha256 = ANY (?)")) {
                ps.setString(1, tenant);
                ps.setArray(2, c.createArrayOf("text", hashes.toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        stored.add(rs.getString(1));
                    }
                }
            }
            for (Campaign.Image im : campaign.images()) {
                if (!stored.contains(im.sha256())) {
                    throw Campaign.notStored(tenant, im);
                }
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO rating_campaigns (tenant, name, campaign)"
                    + " VALUES (?, ?, ?) ON CONFLICT (tenant, name) DO NOTHING")) {
                ps.setString(1, tenant);
                ps.setString(2, campaign.name());
                ps.setString(3, json(campaign));
                if (ps.executeUpdate() != 1) {
                    throw Campaign.exists(campaign.name()); // rolls the images back too
                }
            }
            return null;
        });
    }

    private static void insertImage(java.sql.Connection c, String tenant, String sha256, byte[] content) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO rating_images (tenant, sha256, content)"
                + " VALUES (?, ?, ?) ON CONFLICT (tenant, sha256) DO NOTHING")) {
            ps.setString(1, tenant);
            ps.setString(2, sha256);
            ps.setBytes(3, content);
            ps.executeUpdate();
        }
    }

    @Override
    public Campaign update(String tenant, String name, UnaryOperator<Campaign> change) {
        TenantNames.check("tenant", tenant);
        TenantNames.check("campaign", name);
        return PgJdbc.inTransaction(ds, "update campaign " + tenant + "/" + name, c -> {
            Campaign changed = change.apply(lockedCampaign(c, tenant, name));
            try (PreparedStatement ps = c.prepareStatement("UPDATE rating_campaigns SET campaign = ? WHERE tenant = ? AND name = ?")) {
                ps.setString(1, json(changed));
                ps.setString(2, tenant);
                ps.setString(3, name);
                ps.executeUpdate();
            }
            return changed;
        });
    }

    @Override
    public Deleted delete(String tenant, String name, java.time.Duration idle) {
        TenantNames.check("tenant", tenant);
        TenantNames.check("campaign", name);
        return PgJdbc.inTransaction(ds, "delete campaign " + tenant + "/" + name, c -> {
            lockTenant(c, tenant);
            // the row lock first: an append in flight (it updates last_seq) finishes before, or finds no campaign after
            Campaign deleted = lockedCampaign(c, tenant, name);
            if (idle != null) {
                // read under the row lock (a new snapshot per statement): every acknowledged entry is seen; idle since
                // before the database's clock at this moment, not this replica's
                try (PreparedStatement ps = c.prepareStatement("SELECT " + ACTIVITY_COLUMNS + ", clock_timestamp()"
                        + ACTIVITY_FROM + " WHERE c.tenant = ? AND c.name = ?")) {
                    ps.setString(1, tenant);
                    ps.setString(2, name);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next() && !activity(rs).last().isBefore(instant(rs, 5).minus(idle))) {
                            return null;
                        }
                    }
                }
            }
            long judgements;
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM rating_judgements WHERE tenant = ? AND campaign = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, name);
                judgements = ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM rating_campaigns WHERE tenant = ? AND name = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, name);
                ps.executeUpdate();
            }
            List<String> hashes = deleted.images().stream().map(Campaign.Image::sha256).toList();
            int images = 0;
            long bytes = 0;
            // the campaign's images that no remaining campaign of the tenant names (campaign JSON: images[].sha256)
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM rating_images i WHERE i.tenant = ? AND i.sha256 = ANY (?)"
                    + " AND NOT EXISTS (SELECT 1 FROM rating_campaigns o, jsonb_array_elements(o.campaign::jsonb -> 'images') im"
                    + " WHERE o.tenant = i.tenant AND im ->> 'sha256' = i.sha256) RETURNING octet_length(i.content)")) {
                ps.setString(1, tenant);
                ps.setArray(2, c.createArrayOf("text", hashes.toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        images++;
                        bytes += rs.getLong(1);
                    }
                }
            }
            return new Deleted(judgements, images, bytes);
        });
    }

    /** The campaign, with its row locked until the transaction ends; UNKNOWN_CAMPAIGN when there is none. */
    private static Campaign lockedCampaign(java.sql.Connection c, String tenant, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT campaign FROM rating_campaigns WHERE tenant = ? AND name = ? FOR UPDATE")) {
            ps.setString(1, tenant);
            ps.setString(2, name);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw Campaign.unknown(tenant, name);
                }
                return parse(tenant, name, rs.getString(1));
            }
        }
    }

    /** Creates and deletes of one tenant take turns across replicas (images are shared by its campaigns). */
    private static void lockTenant(java.sql.Connection c, String tenant) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))")) {
            ps.setString(1, "imagescore.rating/" + tenant);
            ps.executeQuery().close();
        }
    }

    private static Campaign parse(String tenant, String name, String text) {
        try {
            return JSON.readValue(text, Campaign.class);
        } catch (IOException e) {
            throw new ImageScoreException(ErrorCode.INTERNAL, "campaign store: campaign " + tenant + "/" + name + " is unreadable", e);
        }
    }

    @Override
    public Campaign get(String tenant, String name) {
        TenantNames.check("tenant", tenant);
        TenantNames.check("campaign", name);
        String text = PgJdbc.inTransaction(ds, "read campaign " + tenant + "/" + name, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT campaign FROM rating_campaigns WHERE tenant = ? AND name = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, name);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getString(1) : null;
                }
            }
        });
        if (text == null) {
            throw Campaign.unknown(tenant, name);
        }
        return parse(tenant, name, text);
    }

    @Override
    public List<Activity> activity() {
        return PgJdbc.inTransaction(ds, "list the campaigns' activity", c -> {
            List<Activity> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(ACTIVITY + " ORDER BY c.tenant COLLATE \"C\", c.name COLLATE \"C\"");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(activity(rs));
                }
            }
            return out;
        });
    }

    /**
     * Campaigns with their creation time and their newest entry's: the one numbered last_seq (numbers are gap-free);
     * none before the first answer.
     */
    private static final String ACTIVITY_COLUMNS = "c.tenant, c.name, c.campaign::jsonb ->> 'created',"
            + " j.judgement::jsonb ->> 'created'";
    private static final String ACTIVITY_FROM = " FROM rating_campaigns c LEFT JOIN rating_judgements j"
            + " ON j.tenant = c.tenant AND j.campaign = c.name AND j.seq = c.last_seq";
    private static final String ACTIVITY = "SELECT " + ACTIVITY_COLUMNS + ACTIVITY_FROM;

    private static Activity activity(ResultSet rs) throws SQLException {
        return new Activity(rs.getString(1), rs.getString(2), Activity.last(rs.getString(3), rs.getString(4)));
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        return rs.getObject(column, java.time.OffsetDateTime.class).toInstant();
    }

    @Override
    public Instant now() {
        return PgJdbc.inTransaction(ds, "read the database's clock", c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT clock_timestamp()"); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return instant(rs, 1);
            }
        });
    }

    @Override
    public List<String> list(String tenant) {
        return list(tenant, null, Integer.MAX_VALUE);
    }

    @Override
    public List<String> list(String tenant, String after, int limit) {
        TenantNames.check("tenant", tenant);
        return PgJdbc.inTransaction(ds, "list campaigns of " + tenant, c -> {
            List<String> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT name FROM rating_campaigns WHERE tenant = ?"
                    + " AND name COLLATE \"C\" > ? ORDER BY name COLLATE \"C\" LIMIT ?")) {
                ps.setString(1, tenant);
                ps.setString(2, after == null ? "" : after);
                ps.setInt(3, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(rs.getString(1));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public void putImage(String tenant, String sha256, byte[] content) {
        TenantNames.check("tenant", tenant);
        PgJdbc.inTransaction(ds, "store an image of " + tenant, c -> {
            insertImage(c, tenant, sha256, content);
            return null;
        });
    }

    @Override
    public byte[] image(String tenant, String sha256) {
        return imageValue(tenant, sha256, "content", "read an image", rs -> rs.getBytes(1));
    }

    @Override
    public long imageSize(String tenant, String sha256) {
        // octet_length of a bytea reads its stored length, not the (TOASTed) value
        Long size = imageValue(tenant, sha256, "octet_length(content)", "measure an image", rs -> rs.getLong(1));
        return size == null ? -1 : size;
    }

    @FunctionalInterface
    private interface Column<T> {
        T read(ResultSet rs) throws SQLException;
    }

    /** One value ({@code select}) of the tenant's image with this SHA-256, or null when it has none. */
    private <T> T imageValue(String tenant, String sha256, String select, String what, Column<T> column) {
        TenantNames.check("tenant", tenant);
        return PgJdbc.inTransaction(ds, what + " of " + tenant, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + select + " FROM rating_images WHERE tenant = ? AND sha256 = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, sha256);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? column.read(rs) : null;
                }
            }
        });
    }

    @Override
    public long imageBytes(String tenant) {
        TenantNames.check("tenant", tenant);
        return PgJdbc.inTransaction(ds, "measure the images of " + tenant, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT coalesce(sum(octet_length(content)), 0) FROM rating_images WHERE tenant = ?")) {
                ps.setString(1, tenant);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }

    @Override
    public Judgement append(String tenant, String campaign, Judgement j) {
        TenantNames.check("tenant", tenant);
        TenantNames.check("campaign", campaign);
        Judgement stored = PgJdbc.inTransaction(ds, "store a judgement of " + tenant + "/" + campaign, c -> {
            long seq;
            Instant at;
            // numbered and timed under the campaign's row lock, on the database's clock
            try (PreparedStatement ps = c.prepareStatement("UPDATE rating_campaigns SET last_seq = last_seq + 1"
                    + " WHERE tenant = ? AND name = ? RETURNING last_seq, clock_timestamp()")) {
                ps.setString(1, tenant);
                ps.setString(2, campaign);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return null;
                    }
                    seq = rs.getLong(1);
                    at = instant(rs, 2);
                }
            }
            Judgement s = j.stored(seq, at.toString());
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO rating_judgements (tenant, campaign, seq, judgement) VALUES (?, ?, ?, ?)")) {
                ps.setString(1, tenant);
                ps.setString(2, campaign);
                ps.setLong(3, seq);
                ps.setString(4, json(s));
                ps.executeUpdate();
            }
            return s;
        });
        if (stored == null) {
            throw Campaign.unknown(tenant, campaign);
        }
        return stored;
    }

    @Override
    public List<Judgement> judgements(String tenant, String campaign) {
        return judgementsAfter(tenant, campaign, 0);
    }

    @Override
    public List<Judgement> judgementsAfter(String tenant, String campaign, long after) {
        get(tenant, campaign);
        return PgJdbc.inTransaction(ds, "read the judgements of " + tenant + "/" + campaign, c -> {
            List<Judgement> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT seq, judgement FROM rating_judgements"
                    + " WHERE tenant = ? AND campaign = ? AND seq > ? ORDER BY seq")) {
                ps.setString(1, tenant);
                ps.setString(2, campaign);
                ps.setLong(3, after);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        try {
                            out.add(JSON.readValue(rs.getString(2), Judgement.class));
                        } catch (IOException e) {
                            LOG.warnf("campaign store: skipping judgement %s/%s#%d: unreadable: %s", tenant, campaign,
                                    rs.getLong(1), e.getMessage());
                        }
                    }
                }
            }
            return out;
        });
    }

    private static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
