package io.imagescore.rating;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Agreement statistics of a campaign's answers (docs/rating.md, "Agreement"):
 * <ul>
 *   <li>ratings: over items rated by two raters or more, the share of rater pairs giving the same rating (exact) or
 *       ratings at most one apart (adjacent), and Krippendorff's α with the interval metric;</li>
 *   <li>pairs: over pairs answered by two raters or more, the share of rater pairs giving the same answer (in the same
 *       orientation), and the number of intransitive triples of the majority preference (a ≻ b ≻ c ≻ a).</li>
 * </ul>
 * Values that have no data are NaN (JSON null).
 *
 * @param units          items (ratings) or pairs (pairwise) with at least two answers
 * @param exact          exact agreement of rater pairs
 * @param adjacent       ratings only: agreement within one step
 * @param alpha          ratings only: Krippendorff's α (interval)
 * @param intransitive   pairwise only: directed 3-cycles of the majority graph
 */
public record Agreement(int answers, int raters, int units, double exact, double adjacent, double alpha, int intransitive) {

    public static Agreement of(Campaign.Task task, List<Judgement> answers) {
        int raters = (int) answers.stream().map(Judgement::rater).distinct().count();
        return task == Campaign.Task.RATING ? ratings(answers, raters) : pairs(answers, raters);
    }

    static Agreement ratings(List<Judgement> answers, int raters) {
        // the latest rating of each rater per item
        Map<Integer, Map<String, Integer>> byItem = new TreeMap<>();
        for (Judgement j : answers) {
            byItem.computeIfAbsent(j.item(), k -> new HashMap<>()).put(j.rater(), j.rating());
        }
        long pairs = 0, same = 0, near = 0;
        double observed = 0;
        List<Integer> pairable = new ArrayList<>();
        int units = 0;
        for (Map<String, Integer> unit : byItem.values()) {
            List<Integer> v = List.copyOf(unit.values());
            int m = v.size();
            if (m < 2) {
                continue;
            }
            units++;
            pairable.addAll(v);
            double sq = 0;
            for (int a = 0; a < m; a++) {
                for (int b = a + 1; b < m; b++) {
                    int d = Math.abs(v.get(a) - v.get(b));
                    pairs++;
                    same += d == 0 ? 1 : 0;
                    near += d <= 1 ? 1 : 0;
                    sq += 2.0 * d * d; // both orders
                }
            }
            observed += sq / (m - 1);
        }
        double alpha = Double.NaN;
        int n = pairable.size();
        if (n > 1) {
            double dObserved = observed / n;
            double expected = 0;
            for (int a = 0; a < n; a++) {
                for (int b = 0; b < n; b++) {
                    double d = pairable.get(a) - pairable.get(b);
                    expected += d * d;
                }
            }
            double dExpected = expected / ((double) n * (n - 1));
            alpha = dExpected == 0 ? (dObserved == 0 ? 1.0 : Double.NaN) : 1 - dObserved / dExpected;
        }
        return new Agreement(answers.size(), raters, units, pairs == 0 ? Double.NaN : (double) same / pairs,
                pairs == 0 ? Double.NaN : (double) near / pairs, alpha, 0);
    }

    static Agreement pairs(List<Judgement> answers, int raters) {
        // per unordered pair and rater, the latest answer as +1 (lower index better), -1, or 0 (can't tell)
        Map<Pair, Map<String, Integer>> byPair = new HashMap<>();
        for (Judgement j : answers) {
            Pair p = Pair.of(j.item(), j.second());
            int shownFirstBetter = switch (j.outcome()) {
                case FIRST -> 1;
                case SECOND -> -1;
                case TIE -> 0;
            };
            int lowerBetter = j.item() == p.first() ? shownFirstBetter : -shownFirstBetter;
            byPair.computeIfAbsent(p, k -> new HashMap<>()).put(j.rater(), lowerBetter);
        }
        long pairs = 0, same = 0;
        int units = 0;
        Map<Integer, List<Integer>> beats = new HashMap<>();
        for (var e : byPair.entrySet()) {
            List<Integer> v = List.copyOf(e.getValue().values());
            if (v.size() >= 2) {
                units++;
                for (int a = 0; a < v.size(); a++) {
                    for (int b = a + 1; b < v.size(); b++) {
                        pairs++;
                        same += v.get(a).equals(v.get(b)) ? 1 : 0;
                    }
                }
            }
            int vote = v.stream().mapToInt(Integer::intValue).sum();
            if (vote != 0) {
                Pair p = e.getKey();
                int winner = vote > 0 ? p.first() : p.second();
                int loser = vote > 0 ? p.second() : p.first();
                beats.computeIfAbsent(winner, k -> new ArrayList<>()).add(loser);
            }
        }
        return new Agreement(answers.size(), raters, units, pairs == 0 ? Double.NaN : (double) same / pairs, Double.NaN,
                Double.NaN, cycles(beats));
    }

    /** Directed 3-cycles a → b → c → a, each counted once (from its smallest item). */
    static int cycles(Map<Integer, List<Integer>> beats) {
        int count = 0;
        for (var e : beats.entrySet()) {
            int a = e.getKey();
            for (int b : e.getValue()) {
                if (b <= a) {
                    continue;
                }
                for (int c : beats.getOrDefault(b, List.of())) {
                    if (c > a && beats.getOrDefault(c, List.of()).contains(a)) {
                        count++;
                    }
                }
            }
        }
        return count;
    }
}
