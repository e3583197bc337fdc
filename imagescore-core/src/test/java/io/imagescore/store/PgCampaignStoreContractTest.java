package io.imagescore.store;

import io.imagescore.rating.CampaignStore;
import io.imagescore.store.pg.PgStateStore;
import org.postgresql.ds.PGSimpleDataSource;

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
        return new io.imagescore.store.pg.PgCampaignStore(ds);
    }

    @Override
    void dropState() {
        if (ds != null) {
            PgTestDatabase.dropSchema(ds);
        }
    }
}
