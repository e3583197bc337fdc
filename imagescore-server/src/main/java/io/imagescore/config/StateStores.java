package io.imagescore.config;

import io.agroal.api.AgroalDataSource;
import io.imagescore.prompt.LocalPromptSetStore;
import io.imagescore.prompt.PromptSetStore;
import io.imagescore.sort.LocalRegulationStore;
import io.imagescore.sort.RegulationStore;
import io.imagescore.store.DataDirLock;
import io.imagescore.store.HeadFileStore;
import io.imagescore.store.LocalHeadFileStore;
import io.imagescore.store.pg.PgStateStore;
import io.quarkus.runtime.Startup;
import io.quarkus.runtime.configuration.ConfigurationException;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * The service's state store, chosen by {@code imagescore.store.kind}:
 * <ul>
 *   <li>{@code local} (default): files under {@code imagescore.data-dir}; no database is needed, the datasource stays
 *       inactive (no {@code quarkus.datasource.jdbc.url}). One writing server per data directory: the server locks it
 *       ({@link DataDirLock}) before any local store opens, and a second server on the same directory stops its start
 *       with a message saying so;</li>
 *   <li>{@code postgresql}: rows in the database of the default datasource ({@code quarkus.datasource.jdbc.url},
 *       {@code .username}, {@code .password}); the schema is migrated at start-up and every replica sharing the database
 *       sees the others' changes within a second (LISTEN/NOTIFY).</li>
 * </ul>
 */
@Startup
@ApplicationScoped
public class StateStores {
    private static final Logger LOG = Logger.getLogger(StateStores.class);

    @Inject
    ImageScoreConfig config;
    /** Looked up only for kind=postgresql: an inactive datasource must not be touched. */
    @Inject
    Instance<AgroalDataSource> dataSource;

    private PgStateStore pg;
    private DataDirLock dataDirLock;

    /** At start, before anything is served (and before any local store is opened: they all ask {@link #localDataDir}). */
    @PostConstruct
    void lockLocalDataDir() {
        if (!postgresql()) {
            localDataDir();
        }
    }

    /**
     * The local data directory, locked for this process's life on first use. A directory another server holds stops
     * the start: a {@link ConfigurationException} without a cause, which Quarkus reports as its message alone (no stack
     * trace) before exiting with status 1.
     */
    private synchronized Path localDataDir() {
        if (dataDirLock == null) {
            try {
                dataDirLock = DataDirLock.acquire(config.dataDir());
            } catch (DataDirLock.HeldException e) {
                throw new ConfigurationException("imagescore.data-dir " + e.getMessage() + ". The local state store"
                        + " (imagescore.store.kind=local) takes one writing server per data directory: stop the other server,"
                        + " give this one its own imagescore.data-dir, or run replicas on imagescore.store.kind=postgresql"
                        + " (docs/state-store.md)");
            } catch (UncheckedIOException e) {
                throw new ConfigurationException("imagescore.data-dir: " + e.getMessage() + ". The local state store"
                        + " (imagescore.store.kind=local) needs a writable data directory (docs/state-store.md)");
            }
            LOG.infof("state store: local files in %s (locked by this process: %s)", config.dataDir(), dataDirLock.file());
        }
        return config.dataDir();
    }

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
        return postgresql() ? pg().promptSets() : new LocalPromptSetStore(localDataDir().resolve("prompt-sets"));
    }

    @Produces
    @Singleton
    RegulationStore regulationStore() {
        return postgresql() ? pg().regulations() : new LocalRegulationStore(localDataDir());
    }

    @Produces
    @Singleton
    io.imagescore.experiment.ExperimentStore experimentStore() {
        return postgresql() ? pg().experiments() : new io.imagescore.experiment.LocalExperimentStore(localDataDir());
    }

    @Produces
    @Singleton
    io.imagescore.rating.CampaignStore campaignStore() {
        return postgresql() ? pg().campaigns() : new io.imagescore.rating.LocalCampaignStore(localDataDir());
    }

    @Produces
    @Singleton
    HeadFileStore headFileStore() {
        return postgresql() ? pg().heads() : LocalHeadFileStore.forDataDir(localDataDir());
    }

    @PreDestroy
    synchronized void close() {
        if (pg != null) {
            pg.close();
            pg = null;
        }
        if (dataDirLock != null) {
            dataDirLock.close();
            dataDirLock = null;
        }
    }
}
