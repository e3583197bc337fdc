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

/**
 * Rating campaigns in PostgreSQL ({@code V4__rating.sql}): a judgement's number is taken from its campaign's row
 * ({@code UPDATE … SET last_seq = last_seq + 1 RETURNING}, under the row lock, so numbers are distinct and gap-free
 * across replicas) and the judgement inserted in the same transaction. Reads go to the database every time, so every
 * replica sees a judgement as soon as it is acknowledged.
 */
public final class PgCampaignStore implements CampaignStore {
    private static final Logger LOG = Logger.getLogger(PgCampaignStore.class);

    private final DataSource ds;

    public PgCampaignStore(DataSource ds) {
        this.ds = ds;
    }

    @Override
    public void create(String tenant, Campaign campaign) {
        TenantNames.check("tenant", tenant);
        TenantNames.check("campaign", campaign.name());
        boolean created = PgJdbc.inTransaction(ds, "store campaign " + tenant + "/" + campaign.name(), c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO rating_campaigns (tenant, name, campaign)"
                    + " VALUES (?, ?, ?) ON CONFLICT (tenant, name) DO NOTHING")) {
                ps.setString(1, tenant);
                ps.setString(2, campaign.name());
                ps.setString(3, json(campaign));
                return ps.executeUpdate() == 1;
            }
        });
        if (!created) {
            throw Campaign.exists(campaign.name());
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
        try {
            return JSON.readValue(text, Campaign.class);
        } catch (IOException e) {
            throw new ImageScoreException(ErrorCode.INTERNAL, "campaign store: campaign " + tenant + "/" + name + " is unreadable", e);
        }
    }

    @Override
    public List<String> list(String tenant) {
        TenantNames.check("tenant", tenant);
        return PgJdbc.inTransaction(ds, "list campaigns of " + tenant, c -> {
            List<String> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT name FROM rating_campaigns WHERE tenant = ? ORDER BY name COLLATE \"C\"")) {
                ps.setString(1, tenant);
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
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO rating_images (tenant, sha256, content)"
                    + " VALUES (?, ?, ?) ON CONFLICT (tenant, sha256) DO NOTHING")) {
                ps.setString(1, tenant);
                ps.setString(2, sha256);
                ps.setBytes(3, content);
                return ps.executeUpdate();
            }
        });
    }

    @Override
    public byte[] image(String tenant, String sha256) {
        TenantNames.check("tenant", tenant);
        return PgJdbc.inTransaction(ds, "read an image of " + tenant, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT content FROM rating_images WHERE tenant = ? AND sha256 = ?")) {
                ps.setString(1, tenant);
                ps.setString(2, sha256);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getBytes(1) : null;
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
            try (PreparedStatement ps = c.prepareStatement("UPDATE rating_campaigns SET last_seq = last_seq + 1"
                    + " WHERE tenant = ? AND name = ? RETURNING last_seq")) {
                ps.setString(1, tenant);
                ps.setString(2, campaign);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return null;
                    }
                    seq = rs.getLong(1);
                }
            }
            Judgement s = j.stored(seq, Instant.now().toString());
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
        get(tenant, campaign);
        return PgJdbc.inTransaction(ds, "read the judgements of " + tenant + "/" + campaign, c -> {
            List<Judgement> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT seq, judgement FROM rating_judgements"
                    + " WHERE tenant = ? AND campaign = ? ORDER BY seq")) {
                ps.setString(1, tenant);
                ps.setString(2, campaign);
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
