package io.imagescore.rating;

/**
 * One entry of a campaign's append-only judgement log. {@code seq} is allocated by the store (1, 2, …, never reused),
 * so the log has one order on every replica. Kinds:
 * <ul>
 *   <li>{@code RATE}: {@code rater} gave {@code item} the rating {@code rating} (1–4);</li>
 *   <li>{@code PAIR}: {@code rater} was shown {@code item} then {@code second} and answered {@code outcome};</li>
 *   <li>{@code SKIP}: {@code rater} passed on {@code item} (and {@code second}, for pairs); it is not asked again;</li>
 *   <li>{@code UNDO}: withdraws the entry {@code undoes} of the same rater (which then counts as never made).</li>
 * </ul>
 * Unused fields are -1, 0 or null.
 */
public record Judgement(long seq, String created, String rater, Kind kind, int item, int second, int rating,
                        PairOutcome outcome, long undoes) {

    public enum Kind { RATE, PAIR, SKIP, UNDO }

    public static Judgement rate(String rater, int item, int rating) {
        return new Judgement(0, null, rater, Kind.RATE, item, -1, rating, null, 0);
    }

    public static Judgement pair(String rater, int first, int second, PairOutcome outcome) {
        return new Judgement(0, null, rater, Kind.PAIR, first, second, 0, outcome, 0);
    }

    public static Judgement skip(String rater, int item, int second) {
        return new Judgement(0, null, rater, Kind.SKIP, item, second, 0, null, 0);
    }

    public static Judgement undo(String rater, long undoes) {
        return new Judgement(0, null, rater, Kind.UNDO, -1, -1, 0, null, undoes);
    }

    /** This entry with the store's sequence number and time. */
    public Judgement stored(long seq, String created) {
        return new Judgement(seq, created, rater, kind, item, second, rating, outcome, undoes);
    }
}
