package io.imagescore.store;

import io.imagescore.fit.HeadStore;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackLoader;
import io.imagescore.prompt.PromptSetStore;
import io.imagescore.store.pg.PgStateStore;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two replicas on one database: two {@link PgStateStore}s, each with its own pool-less DataSource and its own
 * listener connection. A change written through one is served by the other within 1 s, through NOTIFY alone (the
 * checks read the other replica's in-memory state, which only a notification updates).
 */
class PgReplicaTest extends TwoPgReplicas {
    private static final Duration WITHIN = Duration.ofSeconds(1);

    @Test
    void a_prompt_set_and_its_activation_reach_the_other_replica_within_a_second() {
        PromptSetStore writer = a.promptSets();
        PromptSetStore reader = b.promptSets();
        assertThat(reader.list("acme")).isEmpty();

        writer.create("acme", "listing", StoreFixtures.promptSet(1), "", false);
        long ms = within(() -> reader.list("acme").size() == 1);
        assertThat(reader.list("acme").getFirst().activeVersion()).isEqualTo("1");

        writer.create("acme", "listing", StoreFixtures.promptSet(2), "", false);
        writer.activate("acme", "listing", "2");
        ms = Math.max(ms, within(() -> "2".equals(reader.list("acme").getFirst().activeVersion())));
        assertThat(reader.get("acme", "listing", "").spec()).isEqualTo(StoreFixtures.promptSet(2));

        // and back: the reader activates, the writer follows
        reader.activate("acme", "listing", "1");
        ms = Math.max(ms, within(() -> "1".equals(writer.list("acme").getFirst().activeVersion())));
        System.out.printf("PgReplicaTest: prompt-set changes seen by the other replica after at most %d ms%n", ms);
    }

    @Test
    void a_head_published_on_one_replica_is_announced_to_the_other_and_loads_there() throws Exception {
        BlockingQueue<HeadFileStore.HeadKey> seen = new LinkedBlockingQueue<>();
        b.heads().onCreated(seen::add);
        ModelPack pack = StoreFixtures.defaultPack();

        long t0 = System.nanoTime();
        String version = HeadStore.publishNext(a.heads(), pack, io.imagescore.tenant.TenantNames.DEFAULT_TENANT, StoreFixtures.head(7));
        HeadFileStore.HeadKey key = seen.poll(WITHIN.toMillis(), TimeUnit.MILLISECONDS);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(key).as("announcement within %s", WITHIN)
                .isEqualTo(new HeadFileStore.HeadKey(pack.name(), StoreFixtures.HEAD, version));
        System.out.printf("PgReplicaTest: head version announced to the other replica after %d ms%n", ms);

        // what PackRegistry does with the announcement: load the version into the pack it serves
        PackLoader loader = new PackLoader(Shared.dir());
        var hv = loader.loadHead(pack, key, b.heads());
        ModelPack served = pack.withHeadVersion(key.head(), hv, PackLoader.extendedHash(pack.contentHash(), key.head(), hv));
        assertThat(served.heads().get(StoreFixtures.HEAD)).containsKey(version);
        // the same bytes as the publishing side would load: same content hash
        assertThat(hv.contentHash()).isEqualTo(loader.loadHead(pack, key, a.heads()).contentHash());

        // a deletion on one replica is announced to the other too (PackRegistry stops serving the version there)
        BlockingQueue<HeadFileStore.HeadKey> deleted = new LinkedBlockingQueue<>();
        b.heads().onDeleted(deleted::add);
        assertThat(a.heads().delete(key)).isTrue();
        assertThat(deleted.poll(WITHIN.toMillis(), TimeUnit.MILLISECONDS)).as("deletion announced within %s", WITHIN).isEqualTo(key);
        assertThat(b.heads().list(pack.name())).doesNotContain(key);
    }

    /** Waits until {@code condition} holds, failing after {@link #WITHIN}; returns the milliseconds it took. */
    private static long within(BooleanSupplier condition) {
        long t0 = System.nanoTime();
        long deadline = t0 + WITHIN.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the other replica did not see the change within " + WITHIN);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
