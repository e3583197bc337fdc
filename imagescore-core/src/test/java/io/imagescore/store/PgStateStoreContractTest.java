package io.imagescore.store;

import io.imagescore.store.pg.PgStateStore;
import org.postgresql.ds.PGSimpleDataSource;

import java.sql.Connection;
import java.sql.PreparedStatement;

/**
 * The state-store contract on imagescore.store.kind=postgresql: each instance is a {@link PgStateStore} (own listener
 * connection) on one schema of the test database ({@code IMAGESCORE_TEST_PG_URL}; see {@link PgTestDatabase}).
 */
class PgStateStoreContractTest extends StateStoreContract {
    private PGSimpleDataSource ds;

    @Override
    void newState() {
        ds = PgTestDatabase.freshSchema();
        PgStateStore.migrate(ds);
    }

    @Override
    Stores open() {
        PgStateStore pg = PgStateStore.open(ds);
        return new Stores(pg.promptSets(), pg.regulations(), pg.heads(), pg);
    }

    @Override
    void corrupt(HeadFileStore.HeadKey key, String file) throws Exception {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("""
                UPDATE head_files SET content = set_byte(content, length(content) / 2, get_byte(content, length(content) / 2) # 90)
                WHERE pack = ? AND head = ? AND version = ? AND file_name = ?""")) {
            ps.setString(1, key.pack());
            ps.setString(2, key.head());
            ps.setString(3, key.version());
            ps.setString(4, file);
            if (ps.executeUpdate() != 1) {
                throw new IllegalStateException("no row for " + key + " " + file);
            }
        }
    }

    @Override
    void dropState() {
        if (ds != null) {
            PgTestDatabase.dropSchema(ds);
        }
    }
}
