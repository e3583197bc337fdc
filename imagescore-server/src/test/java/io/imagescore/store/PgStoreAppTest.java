package io.imagescore.store;

import io.imagescore.fit.HeadStore;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackRegistry;
import io.imagescore.prompt.PromptSetRegistry;
import io.imagescore.prompt.PromptSetStore;
import io.imagescore.sort.RegulationStore;
import io.imagescore.store.pg.PgPromptSetStore;
import io.imagescore.store.pg.PgRegulationStore;
import io.imagescore.store.pg.PgStateStore;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.postgresql.ds.PGSimpleDataSource;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service itself on imagescore.store.kind=postgresql (Agroal datasource, schema migrated at start-up) next to a
 * second replica (a {@link PgStateStore} on the same schema): prompt sets and regulations written by the service are
 * read by the replica, and a head the replica publishes is served by the service's PackRegistry within 1 s.
 * Runs only with IMAGESCORE_TEST_PG_URL (the service cannot start without its database); CI always sets it, and the
 * PostgreSQL contract tests fail there without it.
 */
@QuarkusTest
@TestProfile(PgStoreAppTest.PgProfile.class)
@EnabledIfEnvironmentVariable(named = PgTestDatabase.URL_VARIABLE, matches = ".+")
class PgStoreAppTest {
    /**
     * The schema the service and the test's replica share, made once per JVM: Quarkus asks the profile for its
     * configuration more than once, from different class loaders, so it is kept in a system property.
     */
    private static final String SCHEMA_PROPERTY = "imagescore.test.pg-app-schema";

    static synchronized PGSimpleDataSource schema() {
        String name = System.getProperty(SCHEMA_PROPERTY);
        if (name == null) {
            name = PgTestDatabase.freshSchema().getCurrentSchema();
            System.setProperty(SCHEMA_PROPERTY, name);
        }
        return PgTestDatabase.onSchema(name);
    }

    public static class PgProfile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            String url = System.getenv(PgTestDatabase.URL_VARIABLE);
            if (url == null || url.isEmpty()) {
                // the test is disabled then, but Quarkus still builds its profile while discovering tests
                return Map.of();
            }
            try {
                return Map.of(
                        "imagescore.store.kind", "postgresql",
                        "quarkus.datasource.jdbc.url", PgTestDatabase.jdbcUrl(schema()),
                        "imagescore.data-dir", java.nio.file.Files.createTempDirectory("imagescore-data").toString());
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Inject
    PromptSetStore promptSets;
    @Inject
    PromptSetRegistry promptSetRegistry;
    @Inject
    RegulationStore regulations;
    @Inject
    PackRegistry packs;

    @Test
    void the_service_uses_postgresql_and_serves_what_another_replica_publishes() throws Exception {
        assertThat(promptSets).isInstanceOf(PgPromptSetStore.class);
        assertThat(regulations).isInstanceOf(PgRegulationStore.class);
        try (PgStateStore replica = PgStateStore.open(schema())) {
            promptSets.create("acme", "listing", StoreFixtures.promptSet(1), "", true);
            regulations.put("acme", "rooms", StoreFixtures.RULES);
            assertThat(replica.promptSets().get("acme", "listing", "").spec()).isEqualTo(StoreFixtures.promptSet(1));
            assertThat(replica.regulations().get("acme", "rooms", "").regulation()).isEqualTo(StoreFixtures.RULES);

            // a head fitted on the other replica: announced, loaded and served here within a second
            ModelPack pack = packs.get(io.imagescore.tenant.TenantNames.DEFAULT_TENANT, "");
            String version = HeadStore.publishNext(replica.heads(), pack, io.imagescore.tenant.TenantNames.DEFAULT_TENANT, StoreFixtures.head(3));
            long deadline = System.nanoTime() + 1_000_000_000L;
            while (!packs.get(io.imagescore.tenant.TenantNames.DEFAULT_TENANT, pack.name()).heads().getOrDefault(StoreFixtures.HEAD, new java.util.TreeMap<>()).containsKey(version)) {
                assertThat(System.nanoTime()).as("head %s version %s served within 1 s", StoreFixtures.HEAD, version)
                        .isLessThan(deadline);
                Thread.sleep(10);
            }

            // and one published here is the next number, stored for the replica
            PackRegistry.Published mine = packs.publish(io.imagescore.tenant.TenantNames.DEFAULT_TENANT, pack.name(), StoreFixtures.head(4));
            assertThat(mine.version()).isEqualTo(Long.toString(Long.parseLong(version) + 1));
            assertThat(replica.heads().list(pack.name()))
                    .contains(new HeadFileStore.HeadKey(pack.name(), StoreFixtures.HEAD, mine.version()));
            assertThat(mine.pack().heads().get(StoreFixtures.HEAD).keySet()).contains(version, mine.version());
        }
    }
}
