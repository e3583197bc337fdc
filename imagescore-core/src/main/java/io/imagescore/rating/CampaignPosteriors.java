package io.imagescore.rating;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * Each campaign's judgement log and selection posterior kept in memory, so a rater's request does not replay the log
 * and refit the posterior (~0.4 s at 500 images). The store's log stays the source of truth: every use first reads
 * the entries numbered after the last one held ({@link CampaignStore#judgementsAfter}), so an answer stored by another
 * request, process or replica is in before the next item is chosen, and after a restart the log is read whole again.
 * New answers advance the posterior ({@link CampaignPosterior#add}); an undo among the new entries withdraws an answer,
 * so the posterior is then rebuilt from the log held. Entries are keyed by (tenant, campaign, creation time), so a
 * deleted campaign's entry never serves a new campaign of the same name; {@link #invalidate} drops one at once.
 *
 * <p>Bounded by an estimate of the heap it holds (Caffeine, least recently used first out): the pairs' information
 * cache (8 bytes per pair of images) and ~200 bytes per log entry. Thread-safe: the uses of one campaign take turns.
 */
public final class CampaignPosteriors {
    /** Heap estimate of one judgement held (the record, its strings and the list slot). */
    static final int ENTRY_BYTES = 200;

    private final CampaignStore store;
    private final Cache<Key, Held> cache;

    private record Key(String tenant, String campaign, String created) {
    }

    /** One campaign's log as read so far and its posterior (null until asked for, or after an undo). */
    private static final class Held {
        final Campaign campaign;
        final List<Judgement> all = new ArrayList<>();
        long lastSeq;
        JudgementLog log = new JudgementLog(List.of());
        CampaignPosterior posterior;

        Held(Campaign campaign) {
            this.campaign = campaign;
        }

        int weight() {
            long n = campaign.size();
            long pairs = campaign.task() == Campaign.Task.PAIRWISE ? n * (n - 1) / 2 : 0;
            long bytes = 1024 + 8 * pairs + 64 * n + (long) ENTRY_BYTES * all.size();
            return (int) Math.min(Integer.MAX_VALUE, bytes);
        }

        CampaignPosterior posterior() {
            if (posterior == null) {
                posterior = CampaignPosterior.of(campaign, log.answers());
            }
            return posterior;
        }
    }

    /** @param maxBytes the bound of the heap held (estimate); 0 keeps nothing (every use rebuilds from the store) */
    public CampaignPosteriors(CampaignStore store, long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must be >= 0, got " + maxBytes);
        }
        this.store = store;
        this.cache = Caffeine.newBuilder().maximumWeight(maxBytes).weigher((Key k, Held h) -> h.weight()).build();
    }

    /**
     * Runs {@code use} with the campaign's log brought up to date with the store and its posterior (built or advanced
     * only when {@code use} asks for it), while no other use of this campaign runs in this process.
     */
    public <T> T use(String tenant, Campaign c, BiFunction<JudgementLog, Supplier<CampaignPosterior>, T> use) {
        Key key = new Key(tenant, c.name(), c.created());
        Held held = cache.get(key, k -> new Held(c));
        synchronized (held) {
            List<Judgement> fresh = store.judgementsAfter(tenant, c.name(), held.lastSeq);
            if (!fresh.isEmpty()) {
                held.all.addAll(fresh);
                held.lastSeq = fresh.getLast().seq();
                held.log = new JudgementLog(held.all);
                if (held.posterior != null) {
                    if (fresh.stream().anyMatch(j -> j.kind() == Judgement.Kind.UNDO)) {
                        held.posterior = null; // an answer was withdrawn: rebuilt from the log when next asked for
                    } else {
                        held.posterior.add(fresh.stream().filter(j -> j.kind() != Judgement.Kind.SKIP).toList());
                    }
                }
                cache.put(key, held); // weighed again: the log grew
            }
            return use.apply(held.log, held::posterior);
        }
    }

    /** Forgets the campaign (deleted, or its raters changed): its next use reads the log whole. */
    public void invalidate(String tenant, String campaign) {
        cache.asMap().keySet().removeIf(k -> k.tenant().equals(tenant) && k.campaign().equals(campaign));
    }

    /** Campaigns held (for tests). */
    long size() {
        cache.cleanUp();
        return cache.estimatedSize();
    }
}
