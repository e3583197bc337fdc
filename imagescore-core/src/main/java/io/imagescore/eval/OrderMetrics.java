package io.imagescore.eval;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * How far an order is from a gold order whose items may tie (gold groups: e.g. all kitchen photos form one group).
 * <ul>
 *   <li>Kendall τ-b between gold group and predicted position ({@link Metrics#kendallTauB}; ties in gold handled;
 *   NaN when gold is one group, since then no order is wrong or right). A strict order against a gold order with ties cannot reach 1: a
 *   gold-consistent order gets √(1 − tiedPairs/pairs), reported as {@code kendallTauBMax} so numbers can be read
 *   against their ceiling;</li>
 *   <li>NDCG@k with linear gain G − g for an item of dense gold group g of G groups;</li>
 *   <li>top-1 hit: the first predicted item is in the first gold group;</li>
 *   <li>manual moves: pairs the prediction orders against gold, which is exactly the number of adjacent swaps that turn
 *   it into a gold-consistent order (each adjacent swap of a discordant pair removes one inversion).</li>
 * </ul>
 */
public final class OrderMetrics {
    private OrderMetrics() {
    }

    public record Result(double kendallTauB, double kendallTauBMax, double ndcgAtK, int k, boolean top1Hit, long manualMoves, long maxMoves) {
    }

    /**
     * @param predicted  ids in the order to judge
     * @param gold       the same ids in gold order
     * @param goldGroups one per gold id, equal = tie, lower first; empty = each gold position its own group
     * @param k          NDCG cut-off; ≤ 0 = all
     */
    public static Result evaluate(List<String> predicted, List<String> gold, List<Integer> goldGroups, int k) {
        if (gold.isEmpty()) {
            throw invalid("the gold order is empty");
        }
        if (!goldGroups.isEmpty() && goldGroups.size() != gold.size()) {
            throw invalid("gold_groups has " + goldGroups.size() + " entries for " + gold.size() + " gold ids");
        }
        Map<String, Integer> groupOf = new HashMap<>();
        for (int i = 0; i < gold.size(); i++) {
            if (groupOf.put(gold.get(i), goldGroups.isEmpty() ? i : goldGroups.get(i)) != null) {
                throw invalid("id '" + gold.get(i) + "' appears twice in the gold order");
            }
        }
        if (predicted.size() != gold.size() || !new HashSet<>(predicted).equals(groupOf.keySet())) {
            throw invalid("predicted and gold must hold the same ids, each once (predicted " + predicted.size()
                    + ", gold " + gold.size() + ")");
        }
        int[] groups = new int[predicted.size()];
        for (int i = 0; i < groups.length; i++) {
            groups[i] = groupOf.get(predicted.get(i));
        }
        return evaluate(groups, k);
    }

    /** @param goldGroupByPredictedPosition the gold group of the item at each predicted position (lower = earlier) */
    public static Result evaluate(int[] goldGroupByPredictedPosition, int k) {
        int n = goldGroupByPredictedPosition.length;
        if (n == 0) {
            throw invalid("the order is empty");
        }
        // Dense group index 0..G-1, so gains do not depend on how callers number groups.
        TreeSet<Integer> distinct = new TreeSet<>();
        for (int g : goldGroupByPredictedPosition) {
            distinct.add(g);
        }
        Map<Integer, Integer> dense = new HashMap<>();
        for (int g : distinct) {
            dense.put(g, dense.size());
        }
        double[] position = new double[n];
        double[] group = new double[n];
        int[] d = new int[n];
        for (int i = 0; i < n; i++) {
            position[i] = i;
            d[i] = dense.get(goldGroupByPredictedPosition[i]);
            group[i] = d[i];
        }
        double tau = distinct.size() < 2 || n < 2 ? Double.NaN : Metrics.kendallTauB(group, position);

        long moves = 0;
        long max = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                if (d[i] != d[j]) {
                    max++;
                    if (d[i] > d[j]) {
                        moves++;
                    }
                }
            }
        }

        int cut = k <= 0 ? n : Math.min(k, n);
        int groupsCount = distinct.size();
        int[] ideal = d.clone();
        java.util.Arrays.sort(ideal);
        double dcg = 0;
        double idcg = 0;
        for (int r = 0; r < cut; r++) {
            double discount = Math.log(r + 2) / Math.log(2);
            dcg += (groupsCount - d[r]) / discount;
            idcg += (groupsCount - ideal[r]) / discount;
        }
        double pairs = n * (n - 1) / 2.0;
        double tauMax = Double.isNaN(tau) ? Double.NaN : Math.sqrt(max / pairs);
        return new Result(tau, tauMax, dcg / idcg, cut, d[0] == 0, moves, max);
    }

    private static ImageScoreException invalid(String message) {
        return new ImageScoreException(ErrorCode.INVALID_REQUEST, message);
    }
}
