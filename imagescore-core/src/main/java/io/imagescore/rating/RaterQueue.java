package io.imagescore.rating;

import java.util.HashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * What one rater sees next: the campaign's posterior ({@link CampaignPosterior}: {@link ActiveRatings} or
 * {@link ActivePairs}, seeded by the campaign's prior scores, fed every answer in force of every rater; pairs: then
 * refitted, {@link ActivePairs#refit}), asked for the most informative item or pair this rater has not answered or
 * skipped. The rater page keeps that posterior per campaign ({@link CampaignPosteriors}); {@link #of(Campaign,
 * JudgementLog, String)} rebuilds it from the log. The random choices
 * are seeded by (campaign, rater, the rater's log length), so a reload shows the same item. After an undo the
 * withdrawn item is shown again.
 *
 * @param item   the item to rate, or the pair's item shown first (left); -1 when the rater is done
 * @param second pairs: the item shown second (right); otherwise -1
 */
public record RaterQueue(int done, int total, int item, int second, boolean canUndo) {

    public boolean finished() {
        return item < 0;
    }

    /** From a posterior rebuilt from {@code log}. */
    public static RaterQueue of(Campaign c, JudgementLog log, String rater) {
        return of(c, log, rater, () -> CampaignPosterior.of(c, log.answers()));
    }

    /**
     * From {@code posterior}, the posterior of {@code log}'s answers (asked for only when the rater has something left
     * to do and no withdrawn item to see again).
     */
    public static RaterQueue of(Campaign c, JudgementLog log, String rater, Supplier<CampaignPosterior> posterior) {
        int done = log.of(rater).size();
        int total = c.perRater();
        boolean canUndo = log.last(rater) != null;
        if (done >= total) {
            return new RaterQueue(done, total, -1, -1, canUndo);
        }
        Judgement undone = log.undoneLast(rater);
        if (undone != null) {
            boolean again = c.task() == Campaign.Task.RATING ? !log.itemsDone(rater).contains(undone.item())
                    : !log.pairsDone(rater).contains(Pair.of(undone.item(), undone.second()));
            if (again) {
                return new RaterQueue(done, total, undone.item(), undone.second(), canUndo);
            }
        }
        long mine = log.all().stream().filter(j -> j.rater().equals(rater)).count();
        SplittableRandom rng = new SplittableRandom(Objects.hash(c.name(), c.created(), rater, mine));
        if (c.task() == Campaign.Task.RATING) {
            OptionalInt next = posterior.get().nextItem(rng, log.itemsDone(rater));
            return next.isPresent() ? new RaterQueue(done, total, next.getAsInt(), -1, canUndo)
                    : new RaterQueue(done, total, -1, -1, canUndo);
        }
        Set<Pair> exclude = new HashSet<>(log.pairsDone(rater));
        Optional<Pair> next = posterior.get().nextPair(rng, exclude);
        if (next.isEmpty()) {
            return new RaterQueue(done, total, -1, -1, canUndo);
        }
        Pair p = next.get();
        // which side an image is shown on is random, so a rater's left/right bias does not become a preference
        return rng.nextBoolean() ? new RaterQueue(done, total, p.first(), p.second(), canUndo)
                : new RaterQueue(done, total, p.second(), p.first(), canUndo);
    }
}
