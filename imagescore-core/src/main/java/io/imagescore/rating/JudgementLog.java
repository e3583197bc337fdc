package io.imagescore.rating;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A campaign's log read back: the entries still in force (an {@code UNDO} removes its target, and is itself not a
 * judgement), and per rater what they already answered, so the page can be rebuilt from the server alone.
 */
public final class JudgementLog {
    private final List<Judgement> live;
    private final List<Judgement> all;

    public JudgementLog(List<Judgement> log) {
        this.all = List.copyOf(log);
        Set<Long> undone = new HashSet<>();
        for (Judgement j : log) {
            if (j.kind() == Judgement.Kind.UNDO) {
                undone.add(j.undoes());
            }
        }
        List<Judgement> out = new ArrayList<>();
        for (Judgement j : log) {
            if (j.kind() != Judgement.Kind.UNDO && !undone.contains(j.seq())) {
                out.add(j);
            }
        }
        this.live = List.copyOf(out);
    }

    /** Every entry, undos included (the size that the judgements-per-campaign limit bounds). */
    public List<Judgement> all() {
        return all;
    }

    /** Ratings, pair answers and skips in force, in log order. */
    public List<Judgement> live() {
        return live;
    }

    /** Ratings and pair answers in force (no skips): what exports, agreement and fitting use. */
    public List<Judgement> answers() {
        return live.stream().filter(j -> j.kind() != Judgement.Kind.SKIP).toList();
    }

    public List<Judgement> of(String rater) {
        return live.stream().filter(j -> j.rater().equals(rater)).toList();
    }

    /** The rater's newest entry in force (what "undo" withdraws), or null. */
    public Judgement last(String rater) {
        List<Judgement> mine = of(rater);
        return mine.isEmpty() ? null : mine.getLast();
    }

    /**
     * The entry the rater's newest log entry withdrew, when that newest entry is an undo: the page shows it again, so
     * an undo survives a reload.
     */
    public Judgement undoneLast(String rater) {
        for (int i = all.size() - 1; i >= 0; i--) {
            Judgement j = all.get(i);
            if (j.rater().equals(rater)) {
                if (j.kind() != Judgement.Kind.UNDO) {
                    return null;
                }
                long target = j.undoes();
                return all.stream().filter(t -> t.seq() == target).findFirst().orElse(null);
            }
        }
        return null;
    }

    /** Ratings: the items the rater rated or skipped. */
    public Set<Integer> itemsDone(String rater) {
        Set<Integer> out = new HashSet<>();
        of(rater).forEach(j -> out.add(j.item()));
        return out;
    }

    /** Pairs: the pairs the rater answered or skipped, in either order. */
    public Set<Pair> pairsDone(String rater) {
        Set<Pair> out = new HashSet<>();
        of(rater).forEach(j -> out.add(Pair.of(j.item(), j.second())));
        return out;
    }
}
