package io.imagescore.store;

import io.imagescore.explain.Explanation;
import io.imagescore.image.Preprocessor;
import io.imagescore.image.View;
import io.imagescore.score.ScoredImage;
import io.imagescore.scorecache.ScoreKey;
import io.imagescore.scorecache.ScoreStore;
import io.imagescore.scorecache.SharedScores;
import io.imagescore.store.pg.PgScoreStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The score store's shared PostgreSQL tier: two replicas' score stores (each with its own memory) on one database.
 * A result stored through one is served by the other bit for bit, only under exactly its key, and the table never
 * holds more than its bound, evicting the least recently used.
 */
class PgScoreStoreTest extends TwoPgReplicas {
    /** A result with the values a text or double round trip gets wrong: NaN, -0.0, subnormals, 1/3 as float. */
    static ScoredImage awkward(long seed) {
        Random r = new Random(seed);
        float[] embedding = new float[1280];
        for (int i = 0; i < embedding.length; i++) {
            embedding[i] = Float.intBitsToFloat(r.nextInt());   // random bit patterns: NaNs, infinities, subnormals
        }
        embedding[0] = -0.0f;
        embedding[1] = Float.MIN_VALUE;
        embedding[2] = 1f / 3f;
        float[] cells = {0.1f, -0.0f, Float.MIN_NORMAL / 3, 16777217f};
        var tensor = new Explanation.TensorMap(View.CENTER_FLIP, 1, new Preprocessor.Window(-0.0, 1.0 / 3, 223.99999999999997, 224, true), 2, 2, cells);
        var explanation = new Explanation("quality", "1", "", "cam", Math.PI, -Double.MIN_VALUE, 640, 480, 2, 2, cells.clone(), List.of(tensor));
        return new ScoredImage("%064x".formatted(seed), 640, 480,
                List.of(new ScoredImage.Scalar("quality", "1", 0.1 + 0.2), new ScoredImage.Scalar("aesthetic", "2", -0.0)),
                List.of(new ScoredImage.Classes("room_type", "1", List.of("kitchen", "bath"), new float[]{1f / 3f, 2f / 3f}),
                        new ScoredImage.Classes("style", "1", List.of("a"), new float[]{Float.NaN}, Double.NaN)),
                embedding, List.of(explanation));
    }

    static ScoreKey key(String tenant, long seed) {
        return new ScoreKey(tenant, "%064x".formatted(seed), "ab".repeat(32), "quality@1,room_type@1,;emb=true;explain=true", "pillow-bicubic-224-exact");
    }

    @Test
    void a_result_stored_through_one_replica_is_served_bit_identically_by_the_other() {
        SimpleMeterRegistry registryB = new SimpleMeterRegistry();
        ScoreStore storeA = new ScoreStore(1 << 20, new SimpleMeterRegistry(), a.scores(1 << 20));
        ScoreStore storeB = new ScoreStore(1 << 20, registryB, b.scores(1 << 20));
        ScoredImage result = awkward(7);
        storeA.put(key("acme", 7), result);

        ScoredImage served = storeB.get(key("acme", 7));
        assertThat(served).isNotSameAs(result).usingRecursiveComparison()
                .withComparatorForType((x, y) -> Long.compare(Double.doubleToRawLongBits(x), Double.doubleToRawLongBits(y)), Double.class)
                .withComparatorForType((x, y) -> Integer.compare(Float.floatToRawIntBits(x), Float.floatToRawIntBits(y)), Float.class)
                .isEqualTo(result);
        assertThat(bits(served.embedding())).isEqualTo(bits(result.embedding()));
        assertThat(bits(served.classes().get(1).probabilities())).isEqualTo(bits(result.classes().get(1).probabilities()));
        assertThat(Double.doubleToRawLongBits(served.scalars().get(1).value())).isEqualTo(Double.doubleToRawLongBits(-0.0));
        assertThat(Double.doubleToRawLongBits(served.explanations().getFirst().offset())).isEqualTo(Double.doubleToRawLongBits(-Double.MIN_VALUE));
        assertThat(served.explanations().getFirst().tensors().getFirst().window()).isEqualTo(result.explanations().getFirst().tensors().getFirst().window());
        assertThat(registryB.counter("imagescore.score.store.shared", "result", "hit").count()).isEqualTo(1);

        assertThat(storeB.get(key("acme", 7))).as("now in B's memory").isSameAs(served);
        assertThat(registryB.counter("imagescore.score.store.shared", "result", "hit").count()).as("no second shared lookup").isEqualTo(1);
        assertThat(storeB.get(key("globex", 7))).as("another tenant's key").isNull();
        ScoreKey k = key("acme", 7);
        assertThat(storeB.get(new ScoreKey(k.tenant(), k.imageSha256(), k.packContentHash(), "quality@2,room_type@1,;emb=true;explain=true",
                k.preprocessingId()))).as("another head version").isNull();
        assertThat(storeB.get(new ScoreKey(k.tenant(), k.imageSha256(), k.packContentHash(), k.selection(), "pillow-bicubic-224-letterbox")))
                .as("another preprocessing").isNull();
        assertThat(registryB.counter("imagescore.score.store.shared", "result", "miss").count()).isEqualTo(3);
    }

    @Test
    void the_shared_table_never_exceeds_its_bound_and_evicts_the_least_recently_used() {
        long bound = 200_000;   // ≈ 20 results of ≈ 9.5 KB
        PgScoreStore shared = a.scores(bound, Duration.ZERO);   // every read marks its rows used
        PgScoreStore other = b.scores(bound, Duration.ZERO);
        for (int i = 0; i < 80; i++) {
            (i % 2 == 0 ? shared : other).put(key("acme", i), awkward(i));
            if (i % 4 == 0) {
                assertThat(other.get(key("acme", 0))).as("result 0, used all along").isNotNull();
            }
            assertThat(shared.bytes()).as("after %d results", i + 1).isLessThanOrEqualTo(bound);
            if (i % 8 == 7) {
                assertThat(shared.usage()).as("the writers' running total").isEqualTo(shared.bytes());
            }
        }
        assertThat(shared.bytes()).isGreaterThan(bound / 2);
        assertThat(other.get(key("acme", 79))).as("the newest stays").isNotNull();
        assertThat(other.get(key("acme", 0))).as("the least recently used go, not the oldest").isNotNull();
        assertThat(other.get(key("acme", 1))).as("stored early, never used again").isNull();
        Map<ScoreKey, ScoredImage> batch = other.getAll(List.of(key("acme", 0), key("acme", 79), key("acme", 1), key("globex", 119)));
        assertThat(batch.keySet()).as("one lookup for many keys").containsExactlyInAnyOrder(key("acme", 0), key("acme", 79));
    }

    /** Four writers on two replicas at once: every committed state, read while they write, is within the bound. */
    @Test
    void concurrent_writers_on_two_replicas_stay_within_the_bound() throws Exception {
        long bound = 150_000;
        List<PgScoreStore> stores = List.of(a.scores(bound), b.scores(bound));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                int writer = w;
                writers.add(pool.submit(() -> {
                    for (int i = 0; i < 12; i++) {
                        long seed = 1000L * writer + i;
                        stores.get(writer % 2).putAll(Map.of(key("acme", seed), awkward(seed), key("acme", seed + 500), awkward(seed + 500)));
                    }
                }));
            }
            long most = 0;
            while (!writers.stream().allMatch(Future::isDone)) {
                most = Math.max(most, stores.getFirst().bytes());
            }
            for (Future<?> f : writers) {
                f.get();
            }
            assertThat(most).as("the most ever seen while writing").isLessThanOrEqualTo(bound);
            assertThat(stores.getFirst().bytes()).isLessThanOrEqualTo(bound).isEqualTo(stores.getLast().usage());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void a_failing_shared_tier_is_a_miss_not_an_error() {
        SharedScores broken = new SharedScores() {
            @Override
            public Map<ScoreKey, ScoredImage> getAll(java.util.Collection<ScoreKey> keys) {
                throw new IllegalStateException("connection refused");
            }

            @Override
            public void putAll(Map<ScoreKey, ScoredImage> results) {
                throw new IllegalStateException("connection refused");
            }

            @Override
            public String describe() {
                return "broken";
            }
        };
        ScoreStore store = new ScoreStore(1 << 20, new SimpleMeterRegistry(), broken);
        assertThat(store.get(key("acme", 1))).isNull();
        ScoredImage r = awkward(1);
        store.put(key("acme", 1), r);
        assertThat(store.get(key("acme", 1))).as("kept in memory").isSameAs(r);
    }

    private static int[] bits(float[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Float.floatToRawIntBits(v[i]);
        }
        return out;
    }
}
