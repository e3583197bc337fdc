package io.imagescore.rating;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * The selection posterior of one campaign: {@link ActiveRatings} (ratings) or {@link ActivePairs} after its Laplace
 * refit (pairs), seeded by the campaign's prior scores and fed its answers in force in log order. Built once from the
 * log ({@link #of}) and then advanced by {@link #add} with each new answer: the ratings' posterior is a sum of counts,
 * and the pairs' refit is the unique maximum of a strictly concave function, warm-started from the previous one (a few
 * Newton steps), and the prior's estimated spread is a function of the answers in log order
 * ({@link ActivePairs#spread}), so an advanced posterior equals one rebuilt from the whole log up to the fit's
 * tolerance (the spread bit for bit). An undo
 * withdraws an answer, which neither can do: the owner of the posterior rebuilds it then ({@link CampaignPosteriors}).
 *
 * <p>Not thread-safe: callers serialise access (one instance per campaign).
 */
public final class CampaignPosterior {
    /**
     * The pairs' options: the defaults, with the prior's spread S estimated by every refit from the campaign's
     * judgements (from 1.5; docs/rating.md, "the prior's spread"). The estimate depends on the answers in log order
     * only, so a kept posterior and one rebuilt from the log agree.
     */
    public static final ActivePairs.Options PAIR_OPTIONS = ActivePairs.Options.DEFAULT.withEstimateSpread(true);

    private final ActiveRatings ratings;
    private final ActivePairs pairs;

    private CampaignPosterior(Campaign c) {
        ratings = c.task() == Campaign.Task.RATING ? ActiveRatings.seeded(c.priors()) : null;
        pairs = c.task() == Campaign.Task.PAIRWISE ? ActivePairs.seeded(c.priors(), PAIR_OPTIONS) : null;
    }

    /** The posterior of {@code answers} (ratings and pair answers in force, log order: {@link JudgementLog#answers}). */
    public static CampaignPosterior of(Campaign c, List<Judgement> answers) {
        CampaignPosterior p = new CampaignPosterior(c);
        p.add(answers);
        return p;
    }

    /**
     * Adds answers recorded after those already in (RATE or PAIR entries in force; skips and undos are not answers).
     * Pairs: one Laplace refit over every answer so far, from the current means (the whole log is at hand, so the pair
     * shown next comes from the maximum a posteriori fit rather than one assumed-density pass).
     */
    public void add(List<Judgement> answers) {
        for (Judgement j : answers) {
            switch (j.kind()) {
                case RATE -> ratings.record(j.item(), j.rating());
                case PAIR -> pairs.record(new PairJudgement(j.item(), j.second(), j.outcome()));
                default -> throw new IllegalArgumentException("a " + j.kind() + " entry is not an answer");
            }
        }
        if (pairs != null && !answers.isEmpty()) {
            pairs.refit();
        }
    }

    /** Ratings: the least certain image not in {@code exclude}. */
    public OptionalInt nextItem(RandomGenerator rng, Set<Integer> exclude) {
        return ratings.next(rng, exclude);
    }

    /** Pairs: the most informative pair not in {@code exclude}. */
    public Optional<Pair> nextPair(RandomGenerator rng, Set<Pair> exclude) {
        return pairs.next(rng, exclude);
    }

    /** Pairs: the posterior means (a copy; for tests and the timing command). */
    double[] pairMeans() {
        return pairs.means();
    }

    /** Pairs: the posterior variances (a copy). */
    double[] pairVariances() {
        return pairs.variances();
    }

    /** Pairs: the prior's spread S, as estimated by the last refit. */
    double pairSpread() {
        return pairs.spread();
    }
}
