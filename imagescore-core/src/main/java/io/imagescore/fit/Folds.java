package io.imagescore.fit;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Deterministic k-fold assignments from a seed (java.util.Random: its sequence is specified, so every JDK agrees). */
final class Folds {
    private Folds() {
    }

    /** fold[i] in [0, k): a seeded shuffle dealt round-robin. */
    static int[] kFold(int n, int k, long seed) {
        return deal(shuffled(range(n), seed), n, k, new int[n], 0);
    }

    /** Stratified: each class is shuffled and dealt round-robin, continuing where the previous class stopped. */
    static int[] stratified(int[] labels, int classes, int k, long seed) {
        int[] fold = new int[labels.length];
        int next = 0;
        for (int c = 0; c < classes; c++) {
            List<Integer> members = new ArrayList<>();
            for (int i = 0; i < labels.length; i++) {
                if (labels[i] == c) {
                    members.add(i);
                }
            }
            int[] idx = shuffled(members.stream().mapToInt(Integer::intValue).toArray(), seed + 31L * c);
            deal(idx, idx.length, k, fold, next);
            next = (next + idx.length) % k;
        }
        return fold;
    }

    /** One fold's work, given the rows it trains on and the rows it holds out. */
    interface FoldTask<T> {
        T run(int[] train, int[] held);
    }

    /** Runs every fold's task in parallel (at most one thread per core); the results come back in fold order. */
    static <T> List<T> inParallel(int[] fold, int folds, FoldTask<T> task) {
        try (java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(
                Math.min(folds, Runtime.getRuntime().availableProcessors()))) {
            List<java.util.concurrent.Future<T>> parts = new ArrayList<>();
            for (int f = 0; f < folds; f++) {
                int[] train = members(fold, f, false);
                int[] held = members(fold, f, true);
                parts.add(pool.submit(() -> task.run(train, held)));
            }
            List<T> out = new ArrayList<>();
            for (java.util.concurrent.Future<T> part : parts) {
                out.add(part.get());
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while fitting", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    static int[] members(int[] fold, int f, boolean inFold) {
        int count = 0;
        for (int v : fold) {
            if ((v == f) == inFold) {
                count++;
            }
        }
        int[] out = new int[count];
        int j = 0;
        for (int i = 0; i < fold.length; i++) {
            if ((fold[i] == f) == inFold) {
                out[j++] = i;
            }
        }
        return out;
    }

    private static int[] deal(int[] order, int n, int k, int[] fold, int start) {
        for (int i = 0; i < n; i++) {
            fold[order[i]] = (start + i) % k;
        }
        return fold;
    }

    private static int[] range(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    private static int[] shuffled(int[] a, long seed) {
        Random r = new Random(seed);
        int[] out = a.clone();
        for (int i = out.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = out[i];
            out[i] = out[j];
            out[j] = t;
        }
        return out;
    }

    static double[][] rows(double[][] x, int[] idx) {
        double[][] out = new double[idx.length][];
        for (int i = 0; i < idx.length; i++) {
            out[i] = x[idx[i]];
        }
        return out;
    }

    static double[] values(double[] v, int[] idx) {
        double[] out = new double[idx.length];
        for (int i = 0; i < idx.length; i++) {
            out[i] = v[idx[i]];
        }
        return out;
    }

    static int[] values(int[] v, int[] idx) {
        int[] out = new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
            out[i] = v[idx[i]];
        }
        return out;
    }
}
