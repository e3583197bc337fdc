package io.imagescore.store;

import io.agroal.api.AgroalDataSource;
import io.imagescore.prompt.LocalPromptSetStore;
import io.imagescore.prompt.PromptSetStore;
import io.imagescore.sort.LocalRegulationStore;
import io.imagescore.sort.RegulationStore;
import io.imagescore.store.pg.PgStateStore;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.nio.file.Path;

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

    @ConfigProperty(name = "imagescore.store.kind", defaultValue = "local")
    String kind;
    @ConfigProperty(name = "imagescore.data-dir", defaultValue = "data")
    Path dataDir;
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

    private boolean postgresql() {
        return switch (kind) {
            case "local" -> false;
            case "postgresql" -> true;
            default -> throw new IllegalStateException("imagescore.store.kind must be local or postgresql, not '" + kind + "'");
        };
    }

    @Produces
    @Singleton
    PromptSetStore promptSetStore() {
        return postgresql() ? pg().promptSets() : new LocalPromptSetStore(dataDir.resolve("prompt-sets"));
    }

    @Produces
    @Singleton
    RegulationStore regulationStore() {
        return postgresql() ? pg().regulations() : new LocalRegulationStore(dataDir);
    }

    @Produces
    @Singleton
    io.imagescore.experiment.ExperimentStore experimentStore() {
        return postgresql() ? pg().experiments() : new io.imagescore.experiment.LocalExperimentStore(dataDir);
    }

    @Produces
    @Singleton
    io.imagescore.rating.CampaignStore campaignStore() {
        return postgresql() ? pg().campaigns() : new io.imagescore.rating.LocalCampaignStore(dataDir);
    }

    @Produces
    @Singleton
    HeadFileStore headFileStore() {
        return postgresql() ? pg().heads() : LocalHeadFileStore.forDataDir(dataDir);
    }

    @PreDestroy
    synchronized void close() {
        if (pg != null) {
            pg.close();
            pg = null;
        }
    }
}
