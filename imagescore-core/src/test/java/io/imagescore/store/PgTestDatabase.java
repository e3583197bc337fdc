package io.imagescore.store;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * The PostgreSQL the tests use: the JDBC URL in {@code IMAGESCORE_TEST_PG_URL} ({@code .ci/postgres.sh start} prints
 * it; {@code .ci/run} always sets it). Without it, a test needing PostgreSQL fails when {@code CI} is set (a CI
 * machine must never skip these silently) and is skipped otherwise (a developer machine without PostgreSQL), with a
 * message saying how to get one. Each caller gets a schema of its own, so tests never see each other's rows.
 */
public final class PgTestDatabase {
    public static final String URL_VARIABLE = "IMAGESCORE_TEST_PG_URL";

    private PgTestDatabase() {
    }

    public static String url() {
        String url = System.getenv(URL_VARIABLE);
        if (url == null || url.isBlank()) {
            url = System.getProperty(URL_VARIABLE);
        }
        if (url == null || url.isBlank()) {
            String how = URL_VARIABLE + " is not set: start a throw-away PostgreSQL with eval \"$(.ci/postgres.sh start)\""
                    + " (Debian package postgresql) and run the tests in that shell";
            String ci = System.getenv("CI");
            if (ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false")) {
                Assertions.fail("CI is set but " + how + "; .ci/run does this before ./mvnw verify");
            }
            Assumptions.abort("skipped (no PostgreSQL): " + how);
        }
        return url;
    }

    /** A DataSource on a new, empty schema (its search path) of the test database. */
    public static PGSimpleDataSource freshSchema() {
        String schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        PGSimpleDataSource admin = dataSource(null);
        try (Connection c = admin.getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create a schema in " + url() + ": " + e.getMessage(), e);
        }
        return dataSource(schema);
    }

    /** A DataSource on an existing schema. */
    static PGSimpleDataSource onSchema(String schema) {
        return dataSource(schema);
    }

    /** The JDBC URL of {@code ds}'s schema (the test URL with currentSchema), for a datasource configured by URL. */
    public static String jdbcUrl(PGSimpleDataSource ds) {
        String url = url();
        return url + (url.contains("?") ? "&" : "?") + "currentSchema=" + ds.getCurrentSchema();
    }

    public static void dropSchema(DataSource ds) {
        if (!(ds instanceof PGSimpleDataSource pg) || pg.getCurrentSchema() == null) {
            return;
        }
        try (Connection c = dataSource(null).getConnection(); Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS " + pg.getCurrentSchema() + " CASCADE");
        } catch (SQLException ignored) {
            // the cluster is thrown away anyway
        }
    }

    private static PGSimpleDataSource dataSource(String schema) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(url());
        if (schema != null) {
            ds.setCurrentSchema(schema);
        }
        return ds;
    }
}
