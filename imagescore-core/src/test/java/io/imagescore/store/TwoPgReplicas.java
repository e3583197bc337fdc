package io.imagescore.store;

import io.imagescore.store.pg.PgStateStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.postgresql.ds.PGSimpleDataSource;

/** Two replicas' state stores ({@code a}, {@code b}) on one fresh schema of the test database, per test. */
abstract class TwoPgReplicas {
    PGSimpleDataSource ds;
    PgStateStore a;
    PgStateStore b;

    @BeforeEach
    void open() {
        ds = PgTestDatabase.freshSchema();
        a = PgStateStore.open(ds);
        b = PgStateStore.open(ds);
    }

    @AfterEach
    void close() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
        if (ds != null) {
            PgTestDatabase.dropSchema(ds);
        }
    }
}
