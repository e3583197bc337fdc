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
 * read by the replica, a head the replica publishes is served by the service's PackRegistry within 1 s, and Score
 * answers come from the shared score tier.
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
    /** Bytes of the shared score tier: about 12 of the results below (quality_fast only, ≈ 300 bytes of JSON each). */
    static final long SHARED_BOUND = 4000;

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
                        "imagescore.data-dir", java.nio.file.Files.createTempDirectory("imagescore-data").toString(),
                        // a memory tier that holds nothing (every entry outweighs 1 byte): a repeat can come only from
                        // the shared tier, whose bound a few calls fill
                        "imagescore.score-store.max-bytes", "1",
                        "imagescore.score-store.shared-max-bytes", Long.toString(SHARED_BOUND));
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
    @Inject
    java.util.Optional<io.imagescore.scorecache.ScoreStore> scoreStore;
    @Inject
    io.micrometer.core.instrument.MeterRegistry registry;

    /**
     * Score through the service on PostgreSQL: a result is served bit-identically from the shared tier while the
     * memory tier is empty (the images named by content hash alone, so nothing else could answer), and the shared
     * table stays within imagescore.score-store.shared-max-bytes while calls of other tenants fill it, dropping the
     * least recently used.
     */
    @Test
    void scores_are_served_from_the_shared_tier_and_it_stays_within_its_bound() throws Exception {
        int port = org.eclipse.microprofile.config.ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        io.grpc.ManagedChannel channel = io.grpc.ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        try (PgStateStore replica = PgStateStore.open(schema())) {
            var stub = io.imagescore.api.v1.ImageScoreGrpc.newBlockingStub(channel).withDeadlineAfter(60, java.util.concurrent.TimeUnit.SECONDS);
            java.util.List<String> names = java.nio.file.Files.readAllLines(io.imagescore.testing.Shared.path("data/clive/mos.csv"))
                    .stream().skip(1).limit(3).map(l -> l.split(",")[0]).toList();
            java.util.List<io.imagescore.api.v1.ImageInput> images = names.stream().map(n -> io.imagescore.api.v1.ImageInput.newBuilder()
                    .setId(n).setData(com.google.protobuf.ByteString.copyFrom(io.imagescore.testing.Shared.bytes("data/clive/images/" + n)))
                    .build()).toList();
            var options = io.imagescore.api.v1.ScoreOptions.newBuilder().addScores("quality_fast")
                    .setPreprocessMode(io.imagescore.api.v1.PreprocessMode.PREPROCESS_MODE_FAST);
            var first = stub.score(io.imagescore.api.v1.ScoreRequest.newBuilder().addAllImages(images)
                    .setOptions(options.clone().setTenant("shared-0")).build());
            assertThat(scoreStore.orElseThrow().weightedBytes()).as("memory holds nothing").isZero();
            var sharedHits = registry.counter("imagescore.score.store.shared", "result", "hit");
            double before = sharedHits.count();

            var byHash = io.imagescore.api.v1.ScoreRequest.newBuilder().setOptions(options.clone().setTenant("shared-0"));
            first.getResultsList().forEach(r -> byHash.addImages(io.imagescore.api.v1.ImageInput.newBuilder().setId(r.getId())
                    .setContentSha256(r.getScores().getContentSha256())));
            var served = stub.score(byHash.build());
            assertThat(served.getResultsList()).as("bit for bit (protobuf equality compares the doubles' bits)")
                    .isEqualTo(first.getResultsList());
            assertThat(sharedHits.count() - before).isEqualTo(3);

            var shared = replica.scores(SHARED_BOUND);
            assertThat(shared.bytes()).isPositive();
            for (int t = 1; t <= 12; t++) {
                stub.score(io.imagescore.api.v1.ScoreRequest.newBuilder().addAllImages(images)
                        .setOptions(options.clone().setTenant("shared-" + t)).build());
                assertThat(shared.bytes()).as("after tenant %d's results", t).isLessThanOrEqualTo(SHARED_BOUND);
                assertThat(shared.usage()).isEqualTo(shared.bytes());
            }
            assertThat(stub.score(byHash.build()).getResults(0).getError().getCode())
                    .as("the first tenant's results, least recently used, were evicted").isEqualTo("NOT_STORED");
        } finally {
            channel.shutdownNow().awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

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
