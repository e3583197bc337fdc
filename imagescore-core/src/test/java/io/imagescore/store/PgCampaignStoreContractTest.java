package io.imagescore.store;

import io.imagescore.rating.Campaign;
import io.imagescore.rating.CampaignStore;
import io.imagescore.rating.Judgement;
import io.imagescore.store.pg.PgCampaignStore;
import io.imagescore.store.pg.PgStateStore;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The campaign-store contract on imagescore.store.kind=postgresql, on a fresh schema of the test database. */
class PgCampaignStoreContractTest extends CampaignStoreContract {
    private PGSimpleDataSource ds;

    @Override
    void newState() {
        ds = PgTestDatabase.freshSchema();
        PgStateStore.migrate(ds);
    }

    @Override
    CampaignStore open() {
        return new PgCampaignStore(ds);
    }

    /**
     * Replicas share the database's clock whatever their own settings: two store instances whose sessions run in time
     * zones 26 hours apart (UTC+14, UTC−12) time an answer and judge idleness alike, and both clocks are the database's
     * clock_timestamp() as an instant. The answer through one keeps the campaign in the other's idle hour.
     */
    @Test
    void replicas_in_time_zones_a_day_apart_share_the_database_clock() throws Exception {
        PGSimpleDataSource east = PgTestDatabase.onSchema(ds.getCurrentSchema());
        east.setOptions("-c TimeZone=Pacific/Kiritimati");
        PGSimpleDataSource west = PgTestDatabase.onSchema(ds.getCurrentSchema());
        west.setOptions("-c TimeZone=Etc/GMT+12");
        CampaignStore a = new PgCampaignStore(east);
        CampaignStore b = new PgCampaignStore(west);
        String h0 = "0".repeat(64), h1 = "1".repeat(64);
        // created 2026-12-06T00:00:00Z: idle for more than an hour until answered
        a.create("acme", campaign("zones", Campaign.Task.RATING, List.of(h0, h1)), Map.of(h0, new byte[] {0}, h1, new byte[] {1}));
        Instant before = databaseClock();
        Judgement answer = a.append("acme", "zones", Judgement.rate("r1", 0, 2));
        Instant after = databaseClock();
        assertThat(Instant.parse(answer.created())).as("timed by the database").isBetween(before, after);
        assertThat(a.now()).isBetween(after, databaseClock());
        assertThat(b.now()).isBetween(after, databaseClock());
        assertThat(b.activity()).containsExactly(new CampaignStore.Activity("acme", "zones", Instant.parse(answer.created())));
        assertThat(b.delete("acme", "zones", IDLE)).as("answered within the idle hour").isNull();
        assertThat(a.delete("acme", "zones", IDLE)).isNull();
        assertThat(b.delete("acme", "zones", Duration.ZERO)).as("idle once any time counts").isNotNull();
    }

    private Instant databaseClock() throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT clock_timestamp()")) {
            rs.next();
            return rs.getObject(1, OffsetDateTime.class).toInstant();
        }
    }

    @Override
    void dropState() {
        if (ds != null) {
            PgTestDatabase.dropSchema(ds);
        }
    }
}
