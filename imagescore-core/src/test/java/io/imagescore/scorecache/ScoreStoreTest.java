package io.imagescore.scorecache;

import io.imagescore.score.ScoredImage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ScoreStoreTest {

    static ScoredImage result(int i) {
        String sha = String.format("%064x", i);
        return new ScoredImage(sha, 640, 480, List.of(new ScoredImage.Scalar("quality", "1", i * 0.001)),
                List.of(new ScoredImage.Classes("room_type", "1", List.of("a", "b", "c"), new float[]{0.2f, 0.3f, 0.5f})), null);
    }

    static ScoreKey key(int i) {
        return new ScoreKey("acme", String.format("%064x", i), "ab".repeat(32), "quality@1,room_type@1,;emb=false", "pillow-bicubic-224-exact");
    }

    @Test
    void filled_with_100000_entries_it_stays_within_its_byte_bound_and_evicts() {
        long bound = 4L << 20;
        ScoreStore store = new ScoreStore(bound, new SimpleMeterRegistry());
        long perEntry = key(0).weight() + ScoreStore.weight(result(0));
        for (int i = 0; i < 100_000; i++) {
            store.put(key(i), result(i));
            if (i % 10_000 == 0) {
                assertThat(store.weightedBytes()).isLessThanOrEqualTo(bound);
            }
        }
        assertThat(store.weightedBytes()).isLessThanOrEqualTo(bound);
        assertThat(store.size()).as("about bound / entry weight entries remain").isLessThanOrEqualTo(bound / perEntry)
                .isGreaterThan(bound / perEntry / 2);
        long heapEstimate = store.size() * perEntry;
        assertThat(heapEstimate).isLessThanOrEqualTo(bound);
    }

    @Test
    void a_hit_returns_the_stored_result_and_is_counted_and_keys_differ_by_tenant() {
        ScoreStore store = new ScoreStore(1 << 20, new SimpleMeterRegistry());
        ScoredImage r = result(7);
        store.put(key(7), r);
        assertThat(store.get(key(7))).isSameAs(r);
        assertThat(store.get(new ScoreKey("globex", key(7).imageSha256(), key(7).packContentHash(), key(7).selection(),
                key(7).preprocessingId()))).as("another tenant's key").isNull();
        assertThat(store.get(new ScoreKey("acme", key(7).imageSha256(), key(7).packContentHash(), "quality@2,;emb=false",
                key(7).preprocessingId()))).as("another head version").isNull();
        assertThat(store.hits()).isEqualTo(1);
        assertThat(store.misses()).isEqualTo(2);
    }
}
