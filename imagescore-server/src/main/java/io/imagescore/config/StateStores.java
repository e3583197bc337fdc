package io.imagescore.config;

import io.agroal.api.AgroalDataSource;
import io.imagescore.prompt.LocalPromptSetStore;
import io.imagescore.prompt.PromptSetStore;
import io.imagescore.sort.LocalRegulationStore;
import io.imagescore.sort.RegulationStore;
import io.imagescore.store.HeadFileStore;
import io.imagescore.store.LocalHeadFileStore;
import io.imagescore.store.pg.PgStateStore;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/**
 * The service's state store, chosen by {@code imagescore.store.kind}:
 * <ul>
 *   <li>{@code local} (default): files under {@code imagescore.data-dir}; no database is needed, the datasource stays
 *       inactive (no {@code quarkus.datasource.jdbc.url});</li>
 *   <li>{@code postgresql}: rows in the database of the default datasource ({@code quarkus.datasource.jdbc.url},
 *       {@code .username}, {@code .password}); the schema is migrated at start-up and every replica sharing the database
 *       sees the others' changes within a second (LISTEN/NOTIFY).</li>
 * </ul>
 */
@ApplicationScoped
public class StateStores {
    private static final Logger LOG = Logger.getLogger(StateStores.class);

    @Inject
    ImageScoreConfig config;
    /** Looked up only for kind=postgresql: an inactive datasource must not be touched. */
    @Inject
    Instance<AgroalDataSource> dataSource;

    private PgStateStore pg;

    private synchronized PgStateStore pg() {
        if (pg == null) {
            AgroalDataSource ds;
            try {
                ds = dataSource.get();
            } catch (RuntimeException e) {
                throw new IllegalStateException("imagescore.store.kind=postgresql needs the default datasource: set "
                        + "quarkus.datasource.jdbc.url (and .username/.password); it is " + e.getMessage(), e);
            }
            pg = PgStateStore.open(ds);
            LOG.infof("state store: PostgreSQL");
        }
        return pg;
    }

    /** The score store's shared tier on the state store's database (also with kind=local, when a datasource is set). */
    public io.imagescore.store.pg.PgScoreStore sharedScores(long maxBytes) {
        return pg().scores(maxBytes);
    }

    public boolean postgresql() {
        return switch (config.store().kind()) {
            case "local" -> false;
            case "postgresql" -> true;
            default -> throw new IllegalStateException("imagescore.store.kind must be local or postgresql, not '" + config.store().kind() + "'");
        };
    }

    @Produces
    @Singleton
    PromptSetStore promptSetStore() {
        return postgresql() ? pg().promptSets() : new LocalPromptSetStore(config.dataDir().resolve("prompt-sets"));
    }

    @Produces
    @Singleton
    RegulationStore regulationStore() {
        return postgresql() ? pg().regulations() : new LocalRegulationStore(config.dataDir());
    }

    @Produces
    @Singleton
    io.imagescore.experiment.ExperimentStore experimentStore() {
        return postgresql() ? pg().experiments() : new io.imagescore.experiment.LocalExperimentStore(config.dataDir());
    }

    @Produces
    @Singleton
    io.imagescore.rating.CampaignStore campaignStore() {
        return postgresql() ? pg().campaigns() : new io.imagescore.rating.LocalCampaignStore(config.dataDir());
    }

    @Produces
    @Singleton
    HeadFileStore headFileStore() {
        return postgresql() ? pg().heads() : LocalHeadFileStore.forDataDir(config.dataDir());
    }

    @PreDestroy
    synchronized void close() {
        if (pg != null) {
            pg.close();
            pg = null;
        }
    }
}
