package io.imagescore.rating;

import io.imagescore.score.ScoringPipeline;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The posteriors kept between a rater's requests against the log they stand for: on CLIVE photos with a noisy head's
 * prior, simulated raters answering a Bradley–Terry model of the MOS (with skips and undos, and a second replica
 * appending to the same store), every item the kept posterior chooses is the one a posterior rebuilt from the stored
 * log chooses; each stored entry is read once; a restart (a new instance) continues alike; the heap bound holds.
 */
class CampaignPosteriorsTest {
    private Path dataDir;
    private List<Double> mos;
    private List<String> hashes;
    /** The photos by SHA-256, stored with the first campaign made of them (a store sweeps images no campaign names). */
    private final java.util.Map<String, byte[]> photos = new java.util.LinkedHashMap<>();

    @BeforeEach
    void setUp() throws Exception {
        dataDir = Files.createTempDirectory("imagescore-posteriors-");
        mos = new ArrayList<>();
        hashes = new ArrayList<>();
        for (String line : Files.readAllLines(Shared.path("data/clive/mos.csv")).subList(1, 41)) {
            String[] f = line.split(",");
            byte[] photo = Shared.bytes("data/clive/images/" + f[0]);
            hashes.add(ScoringPipeline.sha256(photo));
            photos.put(hashes.getLast(), photo);
            mos.add(Double.parseDouble(f[1]));
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        try (Stream<Path> s = Files.walk(dataDir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** A campaign over the 40 photos whose prior is the MOS plus noise of sd 15 (a head of middling quality). */
    private Campaign campaign(String name, Campaign.Task task, int comparisons) {
        SplittableRandom noise = new SplittableRandom(7);
        List<Campaign.Image> images = new ArrayList<>();
        for (int i = 0; i < hashes.size(); i++) {
            images.add(new Campaign.Image(hashes.get(i), "photo-" + i, mos.get(i) + 15 * noise.nextGaussian()));
        }
        List<Campaign.Rater> raters = List.of(new Campaign.Rater("r1", "a".repeat(64)), new Campaign.Rater("r2", "b".repeat(64)),
                new Campaign.Rater("r3", "c".repeat(64)));
        return new Campaign(name, name, task, "mobilenetv2-default", "quality_fast",
                task == Campaign.Task.RATING ? List.of("1", "2", "3", "4") : List.of(), images, raters, comparisons,
                "2026-12-06T21:00:00Z");
    }

    /** The store, counting the log entries read through it. */
    private static CampaignStore counting(CampaignStore store, AtomicLong read) {
        return (CampaignStore) Proxy.newProxyInstance(CampaignStore.class.getClassLoader(), new Class<?>[] {CampaignStore.class},
                (proxy, method, args) -> {
                    try {
                        Object out = method.invoke(store, args);
                        if (method.getName().startsWith("judgements")) {
                            read.addAndGet(((List<?>) out).size());
                        }
                        return out;
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void kept_pair_posterior_chooses_what_the_rebuilt_one_chooses() throws Exception {
        runCampaign(campaign("pairs", Campaign.Task.PAIRWISE, 60), 150);
    }

    @Test
    void kept_rating_posterior_chooses_what_the_rebuilt_one_chooses() throws Exception {
        runCampaign(campaign("ratings", Campaign.Task.RATING, 0), 100);
    }

    private void runCampaign(Campaign c, int steps) throws Exception {
        CampaignStore truth = new LocalCampaignStore(dataDir);
        truth.create("acme", c, photos);
        AtomicLong readA = new AtomicLong();
        AtomicLong readB = new AtomicLong();
        // two replicas (processes) on one store: r1, r2 ask replica A, r3 asks replica B
        CampaignPosteriors a = new CampaignPosteriors(counting(truth, readA), 64 << 20);
        CampaignPosteriors b = new CampaignPosteriors(counting(new LocalCampaignStore(dataDir), readB), 64 << 20);
        SplittableRandom raters = new SplittableRandom(11);
        int appended = 0;
        int undos = 0;
        java.util.Set<Double> spreads = new java.util.HashSet<>();
        for (int step = 0; step < steps; step++) {
            String rater = "r" + (1 + step % 3);
            CampaignPosteriors replica = rater.equals("r3") ? b : a;
            RaterQueue kept = replica.use("acme", c, (log, posterior) -> RaterQueue.of(c, log, rater, posterior));
            RaterQueue rebuilt = RaterQueue.of(c, new JudgementLog(truth.judgements("acme", c.name())), rater);
            assertThat(kept).as("step %d, %s", step, rater).isEqualTo(rebuilt);
            if (c.task() == Campaign.Task.PAIRWISE && step % 5 == 0) {
                // the estimated prior spread is state the kept posterior carries: the same as the rebuilt one's (every
                // 5th step: one more rebuild each)
                double keptSpread = replica.use("acme", c, (log, posterior) -> posterior.get().pairSpread());
                double rebuiltSpread = CampaignPosterior.of(c, new JudgementLog(truth.judgements("acme", c.name())).answers()).pairSpread();
                assertThat(keptSpread).as("step %d", step).isEqualTo(rebuiltSpread);
                spreads.add(keptSpread);
            }
            assertThat(kept.finished()).isFalse();
            Judgement j;
            if (step % 13 == 5 && kept.canUndo()) {
                j = Judgement.undo(rater, new JudgementLog(truth.judgements("acme", c.name())).last(rater).seq());
                undos++;
            } else if (step % 17 == 3) {
                j = Judgement.skip(rater, kept.item(), kept.second());
            } else if (c.task() == Campaign.Task.RATING) {
                double q = (mos.get(kept.item()) - 10) / 80 * 4 + 0.6 * raters.nextGaussian();
                j = Judgement.rate(rater, kept.item(), (int) Math.clamp(Math.ceil(q), 1, 4));
            } else {
                double d = (mos.get(kept.item()) - mos.get(kept.second())) / 8;
                double u = raters.nextDouble();
                PairOutcome y = u < BradleyTerry.sigmoid(d - 0.4) ? PairOutcome.FIRST
                        : u < 1 - BradleyTerry.sigmoid(-d - 0.4) ? PairOutcome.TIE : PairOutcome.SECOND;
                j = Judgement.pair(rater, kept.item(), kept.second(), y);
            }
            truth.append("acme", c.name(), j);
            appended++;
        }
        assertThat(undos).isGreaterThan(5);
        if (c.task() == Campaign.Task.PAIRWISE) {
            assertThat(spreads).as("the estimate moved with the answers").hasSizeGreaterThan(10);
        }
        // one more use each, then every entry has been read exactly once by each replica: no replay of the log
        a.use("acme", c, (log, posterior) -> log.all().size());
        b.use("acme", c, (log, posterior) -> log.all().size());
        assertThat(readA.get()).isEqualTo(appended);
        assertThat(readB.get()).isEqualTo(appended);

        // a restart: a new instance reads the log whole and chooses alike
        CampaignPosteriors restarted = new CampaignPosteriors(new LocalCampaignStore(dataDir), 64 << 20);
        for (String rater : List.of("r1", "r2", "r3")) {
            RaterQueue kept = a.use("acme", c, (log, posterior) -> RaterQueue.of(c, log, rater, posterior));
            RaterQueue again = restarted.use("acme", c, (log, posterior) -> RaterQueue.of(c, log, rater, posterior));
            assertThat(again).isEqualTo(kept);
        }
    }

    @Test
    void an_advanced_pair_posterior_equals_the_one_fitted_on_the_whole_log() {
        Campaign c = campaign("fit", Campaign.Task.PAIRWISE, 60);
        SplittableRandom rng = new SplittableRandom(3);
        List<Judgement> answers = new ArrayList<>();
        CampaignPosterior advanced = CampaignPosterior.of(c, List.of());
        for (int k = 0; k < 200; k++) {
            int x = rng.nextInt(40);
            int y = (x + 1 + rng.nextInt(39)) % 40;
            PairOutcome o = rng.nextDouble() < BradleyTerry.sigmoid((mos.get(x) - mos.get(y)) / 8) ? PairOutcome.FIRST : PairOutcome.SECOND;
            Judgement j = Judgement.pair("r1", x, y, o);
            answers.add(j);
            advanced.add(List.of(j));
        }
        CampaignPosterior whole = CampaignPosterior.of(c, answers);
        double[] m1 = advanced.pairMeans();
        double[] m2 = whole.pairMeans();
        double[] v1 = advanced.pairVariances();
        double[] v2 = whole.pairVariances();
        assertThat(advanced.pairSpread()).isEqualTo(whole.pairSpread());
        for (int i = 0; i < m1.length; i++) {
            assertThat(m1[i]).as("mean %d", i).isCloseTo(m2[i], within(1e-6));
            assertThat(v1[i]).as("variance %d", i).isCloseTo(v2[i], within(1e-6));
        }
    }

    @Test
    void the_heap_bound_holds_and_a_deleted_campaign_is_forgotten() {
        CampaignStore store = new LocalCampaignStore(dataDir);
        List<Campaign> all = new ArrayList<>();
        for (int k = 0; k < 6; k++) {
            Campaign c = campaign("c" + k, Campaign.Task.PAIRWISE, 60);
            store.create("acme", c, photos);
            store.append("acme", c.name(), Judgement.pair("r1", 0, 1, PairOutcome.FIRST));
            all.add(c);
        }
        // 40 images: 780 pairs of 8 bytes + 1 KB + 64 bytes per image + one entry ≈ 10 KB each; room for 2
        CampaignPosteriors kept = new CampaignPosteriors(store, 21_000);
        for (Campaign c : all) {
            int item = kept.use("acme", c, (log, posterior) -> RaterQueue.of(c, log, "r2", posterior).item());
            assertThat(item).isNotNegative();
            assertThat(kept.size()).isLessThanOrEqualTo(2);
        }
        CampaignPosteriors roomy = new CampaignPosteriors(store, 64 << 20);
        all.forEach(c -> roomy.use("acme", c, (log, posterior) -> posterior.get()));
        assertThat(roomy.size()).isEqualTo(6);
        roomy.invalidate("acme", "c3");
        assertThat(roomy.size()).isEqualTo(5);
    }
}
