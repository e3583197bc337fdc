package io.imagescore.store.pg;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.Location;
import org.flywaydb.core.api.ResourceProvider;
import org.flywaydb.core.api.resource.LoadableResource;
import org.jboss.logging.Logger;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * The PostgreSQL state store of one service instance (a replica): migrates the schema (Flyway, {@code db/migration}),
 * starts the change listener on a connection of its own, and holds the three stores on one DataSource. Closing stops
 * the listener; the DataSource belongs to the caller.
 */
public final class PgStateStore implements AutoCloseable {
    /**
     * The migrations, in order. Listed rather than scanned: classpath scanning of a directory does not work inside
     * every packaging (Quarkus' runner class loader). PgStateStoreMigrationsTest checks this list against the directory.
     */
    public static final List<String> MIGRATIONS = List.of("V1__state_store.sql", "V2__experiments.sql", "V3__score_store.sql",
            "V4__rating.sql", "V5__score_store_lru.sql");
    static final String MIGRATION_DIR = "db/migration";
    private static final Logger LOG = Logger.getLogger(PgStateStore.class);

    private final PgChanges changes;
    private final PgPromptSetStore promptSets;
    private final PgRegulationStore regulations;
    private final PgHeadFileStore heads;
    private final PgExperimentStore experiments;
    private final DataSource ds;
    private final PgCampaignStore campaigns;

    private PgStateStore(DataSource ds) {
        this.ds = ds;
        this.changes = new PgChanges(ds);
        try {
            this.promptSets = new PgPromptSetStore(ds, changes);
            this.regulations = new PgRegulationStore(ds);
            this.heads = new PgHeadFileStore(ds, changes);
            this.experiments = new PgExperimentStore(ds);
            this.campaigns = new PgCampaignStore(ds);
        } catch (RuntimeException e) {
            changes.close();
            throw e;
        }
    }

    /** Migrates the schema, then opens the stores. */
    public static PgStateStore open(DataSource ds) {
        migrate(ds);
        return new PgStateStore(ds);
    }

    /** Brings the schema to the newest migration (concurrent callers are serialised by Flyway's lock). */
    public static void migrate(DataSource ds) {
        ClassLoader cl = PgStateStore.class.getClassLoader();
        var result = Flyway.configure(cl).dataSource(ds).resourceProvider(new Migrations(cl))
                .locations("classpath:" + MIGRATION_DIR).load().migrate();
        if (result.migrationsExecuted > 0) {
            LOG.infof("state store: applied %d schema migration(s), now at version %s", result.migrationsExecuted,
                    result.targetSchemaVersion);
        }
    }

    public PgPromptSetStore promptSets() {
        return promptSets;
    }

    public PgRegulationStore regulations() {
        return regulations;
    }

    public PgExperimentStore experiments() {
        return experiments;
    }

    public PgCampaignStore campaigns() {
        return campaigns;
    }

    public PgHeadFileStore heads() {
        return heads;
    }

    /** The score store's shared tier on this database, bounded by {@code maxBytes} of results. */
    public PgScoreStore scores(long maxBytes) {
        return new PgScoreStore(ds, maxBytes);
    }

    /** The same, refreshing a served row's last use at most once per {@code touchAfter} (LRU granularity). */
    public PgScoreStore scores(long maxBytes, java.time.Duration touchAfter) {
        return new PgScoreStore(ds, maxBytes, touchAfter);
    }

    @Override
    public void close() {
        changes.close();
    }

    /** {@link #MIGRATIONS} from the class path. */
    private record Migrations(ClassLoader cl) implements ResourceProvider {
        @Override
        public LoadableResource getResource(String name) {
            return MIGRATIONS.contains(name) ? resource(name) : null;
        }

        @Override
        public Collection<LoadableResource> getResources(String prefix, String[] suffixes) {
            return MIGRATIONS.stream().filter(n -> n.startsWith(prefix) && Arrays.stream(suffixes).anyMatch(n::endsWith))
                    .map(this::resource).toList();
        }

        private LoadableResource resource(String name) {
            String path = MIGRATION_DIR + "/" + name;
            String sql;
            try (InputStream in = cl.getResourceAsStream(path)) {
                if (in == null) {
                    throw new IllegalStateException("migration " + path + " is missing from the class path");
                }
                sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalStateException("cannot read migration " + path + ": " + e.getMessage(), e);
            }
            return new LoadableResource() {
                @Override
                public Reader read() {
                    return new StringReader(sql);
                }

                @Override
                public String getAbsolutePath() {
                    return path;
                }

                @Override
                public String getAbsolutePathOnDisk() {
                    return path;
                }

                @Override
                public String getFilename() {
                    return name;
                }

                @Override
                public String getRelativePath() {
                    return name;
                }
            };
        }
    }
}
