package io.imagescore.bench;

import io.imagescore.rating.Campaign;
import io.imagescore.rating.CampaignPosteriors;
import io.imagescore.rating.CampaignStore;
import io.imagescore.rating.Judgement;
import io.imagescore.rating.JudgementLog;
import io.imagescore.rating.LocalCampaignStore;
import io.imagescore.rating.PairOutcome;
import io.imagescore.rating.RaterQueue;
import io.imagescore.score.ScoringPipeline;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * The rater page's next-item latency on a pairwise campaign of the shared CLIVE photos (the local store in a temporary
 * directory, the committed quality_fast out-of-fold scores as the prior, answers from a Bradley–Terry model of the
 * MOS): the posterior rebuilt from the stored log on every request (what RaterQueue did before CampaignPosteriors)
 * against the kept posterior, after a new answer and on a reload. Run by bench/rater-queue-timing.sh.
 *
 * <p>Usage: {@code RaterQueueTiming SHARED PRIOR.csv IMAGES ENTRIES REQUESTS}.
 */
public final class RaterQueueTiming {
    private RaterQueueTiming() {
    }

    public static void main(String[] args) throws Exception {
        Path shared = Path.of(args[0]);
        Map<String, Double> mosAll = RaterSim.readColumn(shared.resolve("data/clive/mos.csv"), "mos");
        Map<String, Double> prior = RaterSim.readColumn(Path.of(args[1]), "quality_fast_oof");
        int n = Integer.parseInt(args[2]);
        int entries = Integer.parseInt(args[3]);
        int requests = Integer.parseInt(args[4]);
        Path dir = Files.createTempDirectory("imagescore-rater-timing-");
        try {
            CampaignStore store = new LocalCampaignStore(dir);
            List<String> names = new ArrayList<>(mosAll.keySet()).subList(0, n);
            double[] mos = names.stream().mapToDouble(mosAll::get).toArray();
            List<Campaign.Image> images = new ArrayList<>();
            for (String name : names) {
                byte[] photo = Files.readAllBytes(shared.resolve("data/clive/images").resolve(name));
                String sha = ScoringPipeline.sha256(photo);
                store.putImage("bench", sha, photo);
                images.add(new Campaign.Image(sha, name, prior.get(name)));
            }
            Campaign c = new Campaign("timing", "timing", Campaign.Task.PAIRWISE, "mobilenetv2-default", "quality_fast", List.of(),
                    images, List.of(new Campaign.Rater("r1", "a".repeat(64)), new Campaign.Rater("r2", "b".repeat(64))),
                    entries + 10 * requests, "2026-12-06T21:00:00Z");
            store.create("bench", c);
            SplittableRandom rng = new SplittableRandom(1);
            // the log so far: a ring through every photo (so coverage is done and every answer moves the whole posterior,
            // the costly case), then random pairs
            for (int k = 0; k < entries; k++) {
                int a = k < n ? k : rng.nextInt(n);
                int b = k < n ? (k + 1) % n : (a + 1 + rng.nextInt(n - 1)) % n;
                store.append("bench", c.name(), answer("r1", a, b, mos, rng));
            }
            CampaignPosteriors kept = new CampaignPosteriors(store, 256L << 20);
            kept.use("bench", c, (log, posterior) -> RaterQueue.of(c, log, "r2", posterior)); // read and fitted once
            double[] rebuilt = new double[requests];
            double[] afterAnswer = new double[requests];
            double[] reload = new double[requests];
            int differ = 0;
            for (int r = 0; r < requests; r++) {
                long t0 = System.nanoTime();
                RaterQueue before = RaterQueue.of(c, new JudgementLog(store.judgements("bench", c.name())), "r2");
                rebuilt[r] = (System.nanoTime() - t0) / 1e6;
                t0 = System.nanoTime();
                RaterQueue q = kept.use("bench", c, (log, posterior) -> RaterQueue.of(c, log, "r2", posterior));
                reload[r] = (System.nanoTime() - t0) / 1e6;
                differ += q.equals(before) ? 0 : 1; // a near-tie broken apart by the fit's tolerance

                store.append("bench", c.name(), answer("r2", q.item(), q.second(), mos, rng));
                t0 = System.nanoTime();
                kept.use("bench", c, (log, posterior) -> RaterQueue.of(c, log, "r2", posterior));
                afterAnswer[r] = (System.nanoTime() - t0) / 1e6;
            }
            System.out.printf(Locale.ROOT, "n = %d images, %d-%d log entries, %d requests; next-item latency, median (min-max) ms:%n",
                    n, entries, entries + requests, requests);
            System.out.printf(Locale.ROOT, "  rebuilt from the log per request (before): %s%n", summary(rebuilt));
            System.out.printf(Locale.ROOT, "  kept, after a new answer (after):          %s%n", summary(afterAnswer));
            System.out.printf(Locale.ROOT, "  kept, no new answer (reload):              %s%n", summary(reload));
            System.out.printf(Locale.ROOT, "  requests where the kept and rebuilt posteriors chose differently: %d%n", differ);
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static Judgement answer(String rater, int a, int b, double[] mos, SplittableRandom rng) {
        double d = (mos[a] - mos[b]) / 8;
        double u = rng.nextDouble();
        PairOutcome y = u < sigmoid(d - 0.4) ? PairOutcome.FIRST
                : u < 1 - sigmoid(-d - 0.4) ? PairOutcome.TIE : PairOutcome.SECOND;
        return Judgement.pair(rater, a, b, y);
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    private static String summary(double[] ms) {
        double[] s = ms.clone();
        Arrays.sort(s);
        return String.format(Locale.ROOT, "%.1f (%.1f-%.1f)", s[s.length / 2], s[0], s[s.length - 1]);
    }
}
