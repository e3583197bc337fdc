package io.imagescore.sort;

import org.jgrapht.Graph;
import org.jgrapht.alg.interfaces.MatchingAlgorithm;
import org.jgrapht.alg.matching.KuhnMunkresMinimalWeightBipartitePerfectMatching;
import org.jgrapht.graph.DefaultWeightedEdge;
import org.jgrapht.graph.SimpleWeightedGraph;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * At most one image per slot, at least cost: a rectangular assignment solved with JGraphT's Kuhn–Munkres (Hungarian)
 * minimum-weight perfect matching. The problem is made square and always solvable by padding: every image may take a
 * "no slot" column at {@code noSlotCost}, and every slot may stay empty at cost 0 (a dummy image). So an image takes a
 * slot only where that costs less than leaving it out: with cost −log p and noSlotCost −log(min_confidence), no image
 * is ever placed in a class it has probability below min_confidence for.
 */
final class SlotAssignment {
    private SlotAssignment() {
    }

    /**
     * @param cost       cost[image][slot], finite
     * @param noSlotCost cost of leaving one image without a slot
     * @return per image its slot, or -1
     */
    static int[] solve(double[][] cost, double noSlotCost) {
        int n = cost.length;
        int[] out = new int[n];
        Arrays.fill(out, -1);
        if (n == 0) {
            return out;
        }
        int m = cost[0].length;
        // Vertices: images 0..n-1, dummy images n..n+m-1 | slots n+m..n+2m-1, no-slot columns n+2m..2n+2m-1.
        Graph<Integer, DefaultWeightedEdge> g = new SimpleWeightedGraph<>(DefaultWeightedEdge.class);
        Set<Integer> rows = new LinkedHashSet<>();
        Set<Integer> cols = new LinkedHashSet<>();
        for (int v = 0; v < 2 * (n + m); v++) {
            g.addVertex(v);
            (v < n + m ? rows : cols).add(v);
        }
        for (int r = 0; r < n + m; r++) {
            for (int c = n + m; c < 2 * (n + m); c++) {
                int slot = c - (n + m);
                double w;
                if (r < n) {
                    w = slot < m ? cost[r][slot] : noSlotCost;
                } else {
                    w = 0;
                }
                g.setEdgeWeight(g.addEdge(r, c), w);
            }
        }
        MatchingAlgorithm.Matching<Integer, DefaultWeightedEdge> matching =
                new KuhnMunkresMinimalWeightBipartitePerfectMatching<>(g, rows, cols).getMatching();
        for (DefaultWeightedEdge e : matching.getEdges()) {
            int a = g.getEdgeSource(e);
            int b = g.getEdgeTarget(e);
            int row = Math.min(a, b);
            int slot = Math.max(a, b) - (n + m);
            if (row < n && slot < m) {
                out[row] = slot;
            }
        }
        return out;
    }
}
