package io.imagescore.store;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.rating.Campaign;
import io.imagescore.rating.CampaignStore;
import io.imagescore.rating.Judgement;
import io.imagescore.rating.JudgementLog;
import io.imagescore.rating.PairOutcome;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What both campaign stores must do (imagescore.store.kind=local and =postgresql run the same tests): campaigns per
 * tenant, content-addressed images with their byte count, and judgement logs whose numbers two writers (two store
 * instances, like two processes or replicas) never share, all read back by another instance.
 */
abstract class CampaignStoreContract {
    abstract void newState() throws Exception;

    /** Another store instance over the current state. */
    abstract CampaignStore open() throws Exception;

    abstract void dropState() throws Exception;

    @BeforeEach
    void setUp() throws Exception {
        newState();
    }

    @AfterEach
    void tearDown() throws Exception {
        dropState();
    }

    static Campaign campaign(String name, Campaign.Task task, List<String> hashes) {
        List<Campaign.Image> images = new ArrayList<>();
        for (int i = 0; i < hashes.size(); i++) {
            images.add(new Campaign.Image(hashes.get(i), "photo-" + i + ".jpg", 0.25 * i));
        }
        return new Campaign(name, "Title of " + name, task, "mobilenetv2-default", "quality_fast",
                task == Campaign.Task.RATING ? List.of("bad", "poor", "good", "excellent") : List.of(), images,
                List.of(new Campaign.Rater("r1", "ab".repeat(32))), task == Campaign.Task.PAIRWISE ? 3 : 0, "2026-12-06T00:00:00Z");
    }

    @Test
    void campaigns_images_and_judgements_read_back_per_tenant() throws Exception {
        CampaignStore store = open();
        byte[] a = Shared.bytes("data/clive/images/1000.JPG");
        byte[] b = Shared.bytes("data/clive/images/1001.JPG");
        String ha = io.imagescore.score.ScoringPipeline.sha256(a);
        String hb = io.imagescore.score.ScoringPipeline.sha256(b);
        store.putImage("acme", ha, a);
        store.putImage("acme", hb, b);
        store.putImage("acme", ha, a); // again: content-addressed, counted once
        assertThat(store.imageBytes("acme")).isEqualTo(a.length + b.length);
        assertThat(store.imageBytes("globex")).isZero();
        assertThat(store.image("globex", ha)).as("another tenant's image").isNull();
        assertThat(store.imageSize("acme", hb)).isEqualTo(b.length);
        assertThat(store.imageSize("globex", ha)).as("another tenant's image").isEqualTo(-1);
        assertThat(store.imageSize("acme", "f".repeat(64))).isEqualTo(-1);

        Campaign c = campaign("photos", Campaign.Task.PAIRWISE, List.of(ha, hb));
        store.create("acme", c);
        assertThatThrownBy(() -> store.create("acme", c)).isInstanceOfSatisfying(ImageScoreException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.CAMPAIGN_EXISTS));
        assertThatThrownBy(() -> store.create("globex", campaign("photos", Campaign.Task.RATING, List.of(ha, hb))))
                .as("another tenant's images cannot be named").isInstanceOfSatisfying(ImageScoreException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_STORED));
        store.putImage("globex", ha, a);
        store.putImage("globex", hb, b);
        store.create("globex", campaign("photos", Campaign.Task.RATING, List.of(ha, hb)));

        Judgement j1 = store.append("acme", "photos", Judgement.pair("r1", 1, 0, PairOutcome.FIRST));
        Judgement j2 = store.append("acme", "photos", Judgement.undo("r1", j1.seq()));
        Judgement j3 = store.append("acme", "photos", Judgement.pair("r1", 1, 0, PairOutcome.TIE));
        assertThat(List.of(j1.seq(), j2.seq(), j3.seq())).containsExactly(1L, 2L, 3L);
        assertThat(j1.created()).isNotBlank();
        store.append("globex", "photos", Judgement.rate("r1", 0, 4));

        CampaignStore again = open(); // a restart, another process or replica
        assertThat(again.get("acme", "photos")).isEqualTo(c);
        assertThat(again.list("acme")).containsExactly("photos");
        assertThat(again.list("nobody")).isEmpty();
        assertThat(again.image("acme", hb)).isEqualTo(b);
        assertThat(again.judgements("acme", "photos")).containsExactly(j1, j2, j3);
        assertThat(again.judgementsAfter("acme", "photos", 1)).containsExactly(j2, j3);
        Judgement g1 = again.judgements("globex", "photos").getFirst();
        assertThat(again.activity()).as("the newest entry's time").containsExactly(
                new CampaignStore.Activity("acme", "photos", java.time.Instant.parse(j3.created())),
                new CampaignStore.Activity("globex", "photos", java.time.Instant.parse(g1.created())));
        assertThat(again.judgementsAfter("acme", "photos", 3)).isEmpty();
        assertThatThrownBy(() -> again.judgementsAfter("acme", "missing", 0)).isInstanceOfSatisfying(ImageScoreException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_CAMPAIGN));
        assertThat(new JudgementLog(again.judgements("acme", "photos")).answers()).containsExactly(j3);
        assertThat(again.judgements("globex", "photos")).hasSize(1).first()
                .satisfies(j -> assertThat(j.rating()).isEqualTo(4));
        assertThatThrownBy(() -> again.get("acme", "missing")).isInstanceOfSatisfying(ImageScoreException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_CAMPAIGN));
        assertThatThrownBy(() -> again.append("acme", "missing", Judgement.rate("r1", 0, 1)))
                .isInstanceOfSatisfying(ImageScoreException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_CAMPAIGN));
    }

    /** A create carries its new images: stored with the campaign, or (name taken, image missing) not at all. */
    @Test
    void a_create_stores_its_images_with_the_campaign_or_none_of_them() throws Exception {
        CampaignStore store = open();
        byte[] a = Shared.bytes("data/clive/images/1006.JPG");
        byte[] b = Shared.bytes("data/clive/images/1007.JPG");
        byte[] c = Shared.bytes("data/clive/images/1008.JPG");
        String ha = io.imagescore.score.ScoringPipeline.sha256(a);
        String hb = io.imagescore.score.ScoringPipeline.sha256(b);
        String hc = io.imagescore.score.ScoringPipeline.sha256(c);
        store.create("acme", campaign("first", Campaign.Task.RATING, List.of(ha, hb)), java.util.Map.of(ha, a, hb, b));
        assertThat(open().image("acme", hb)).isEqualTo(b);
        assertThat(store.imageBytes("acme")).isEqualTo(a.length + b.length);

        assertThatThrownBy(() -> store.create("acme", campaign("first", Campaign.Task.PAIRWISE, List.of(ha, hc)),
                java.util.Map.of(hc, c))).isInstanceOfSatisfying(ImageScoreException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.CAMPAIGN_EXISTS));
        String missing = "f".repeat(64);
        assertThatThrownBy(() -> store.create("acme", campaign("second", Campaign.Task.PAIRWISE, List.of(hc, missing)),
                java.util.Map.of(hc, c))).isInstanceOfSatisfying(ImageScoreException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_STORED));
        CampaignStore again = open();
        assertThat(again.image("acme", hc)).as("a refused create's upload").isNull();
        assertThat(again.imageBytes("acme")).isEqualTo(a.length + b.length);
        assertThat(again.list("acme")).containsExactly("first");
        assertThat(again.get("acme", "first").task()).isEqualTo(Campaign.Task.RATING);
        assertThat(again.activity()).as("no entries: the creation time").containsExactly(
                new CampaignStore.Activity("acme", "first", java.time.Instant.parse("2026-12-06T00:00:00Z")));
    }

    @Test
    void concurrent_judgements_never_share_a_number() throws Exception {
        CampaignStore a = open();
        CampaignStore b = open();
        a.putImage("acme", "0".repeat(64), new byte[] {0});
        a.putImage("acme", "1".repeat(64), new byte[] {1});
        a.create("acme", campaign("busy", Campaign.Task.RATING, List.of("0".repeat(64), "1".repeat(64))));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Long>> futures = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                CampaignStore s = i % 2 == 0 ? a : b;
                int rating = i % 4 + 1;
                futures.add(pool.submit(() -> s.append("acme", "busy", Judgement.rate("r1", rating % 2, rating)).seq()));
            }
            List<Long> seqs = new ArrayList<>();
            for (Future<Long> f : futures) {
                seqs.add(f.get());
            }
            assertThat(new HashSet<>(seqs)).hasSize(40);
            assertThat(seqs.stream().sorted().toList()).isEqualTo(LongStream.rangeClosed(1, 40).boxed().toList());
            assertThat(open().judgements("acme", "busy")).extracting(Judgement::seq)
                    .isEqualTo(LongStream.rangeClosed(1, 40).boxed().toList());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void delete_takes_the_log_and_the_images_no_other_campaign_uses() throws Exception {
        CampaignStore store = open();
        byte[] a = Shared.bytes("data/clive/images/1002.JPG");
        byte[] b = Shared.bytes("data/clive/images/1003.JPG");
        byte[] c = Shared.bytes("data/clive/images/1004.JPG");
        String ha = io.imagescore.score.ScoringPipeline.sha256(a);
        String hb = io.imagescore.score.ScoringPipeline.sha256(b);
        String hc = io.imagescore.score.ScoringPipeline.sha256(c);
        for (var e : java.util.Map.of(ha, a, hb, b, hc, c).entrySet()) {
            store.putImage("acme", e.getKey(), e.getValue());
            store.putImage("globex", e.getKey(), e.getValue());
        }
        store.create("acme", campaign("first", Campaign.Task.RATING, List.of(ha, hb)));
        store.create("acme", campaign("second", Campaign.Task.PAIRWISE, List.of(hb, hc)));
        store.create("globex", campaign("first", Campaign.Task.RATING, List.of(ha, hb, hc)));
        store.append("acme", "first", Judgement.rate("r1", 0, 3));
        store.append("acme", "first", Judgement.rate("r1", 1, 2));
        store.append("globex", "first", Judgement.rate("r1", 0, 1));

        // pages of names: after a cursor, at most a limit, by name
        assertThat(store.list("acme", null, 1)).containsExactly("first");
        assertThat(store.list("acme", "first", 5)).containsExactly("second");
        assertThat(store.list("acme", "fir", 5)).containsExactly("first", "second");
        assertThat(store.list("acme", "second", 5)).isEmpty();
        assertThat(store.list("globex", null, 5)).containsExactly("first");

        CampaignStore.Deleted d = open().delete("acme", "first");
        assertThat(d.judgements()).isEqualTo(2);
        assertThat(d.images()).as("hb is still used by 'second'").isEqualTo(1);
        assertThat(d.imageBytes()).isEqualTo(a.length);
        CampaignStore again = open();
        assertThat(again.list("acme")).containsExactly("second");
        assertThat(again.image("acme", ha)).isNull();
        assertThat(again.image("acme", hb)).isEqualTo(b);
        assertThat(again.imageBytes("acme")).isEqualTo(b.length + c.length);
        assertThatThrownBy(() -> again.judgements("acme", "first")).isInstanceOfSatisfying(ImageScoreException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_CAMPAIGN));
        assertThatThrownBy(() -> again.append("acme", "first", Judgement.rate("r1", 0, 1)))
                .isInstanceOfSatisfying(ImageScoreException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_CAMPAIGN));
        assertThatThrownBy(() -> again.delete("acme", "first")).isInstanceOfSatisfying(ImageScoreException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_CAMPAIGN));
        // the other tenant's campaign of the same name, its log and images are untouched
        assertThat(again.judgements("globex", "first")).hasSize(1);
        assertThat(again.imageBytes("globex")).isEqualTo(a.length + b.length + c.length);
        // a new campaign of the deleted one's name starts with an empty log; the deleted image must be sent again
        assertThatThrownBy(() -> again.create("acme", campaign("first", Campaign.Task.RATING, List.of(ha, hb))))
                .isInstanceOfSatisfying(ImageScoreException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_STORED));
        again.putImage("acme", ha, a);
        again.create("acme", campaign("first", Campaign.Task.RATING, List.of(ha, hb)));
        assertThat(again.judgements("acme", "first")).isEmpty();
        assertThat(again.append("acme", "first", Judgement.rate("r1", 1, 4)).seq()).isEqualTo(1);
    }

    @Test
    void updates_change_the_raters_and_none_is_lost() throws Exception {
        CampaignStore store = open();
        store.putImage("acme", "0".repeat(64), new byte[] {0});
        store.putImage("acme", "1".repeat(64), new byte[] {1});
        Campaign c = campaign("team", Campaign.Task.RATING, List.of("0".repeat(64), "1".repeat(64)));
        store.create("acme", c);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Campaign>> futures = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                String hash = String.format("%064x", i);
                futures.add(pool.submit(() -> store.update("acme", "team", x -> {
                    List<Campaign.Rater> raters = new ArrayList<>(x.raters());
                    raters.add(new Campaign.Rater("r" + (raters.size() + 1), hash));
                    return x.withRaters(raters);
                })));
            }
            for (Future<Campaign> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        Campaign revoked = store.update("acme", "team", x -> x.withRaters(x.raters().stream()
                .map(r -> r.id().equals("r2") ? new Campaign.Rater(r.id(), r.tokenSha256(), "2026-12-06T18:00:00Z") : r).toList()));
        Campaign read = open().get("acme", "team");
        assertThat(read).isEqualTo(revoked);
        assertThat(read.raters()).hasSize(13).extracting(Campaign.Rater::id).doesNotHaveDuplicates();
        assertThat(read.raters()).filteredOn(r -> !r.active()).singleElement()
                .satisfies(r -> assertThat(r.id()).isEqualTo("r2"));
        assertThat(read.images()).isEqualTo(c.images());
        assertThatThrownBy(() -> store.update("acme", "missing", x -> x)).isInstanceOfSatisfying(ImageScoreException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_CAMPAIGN));
    }

    /**
     * Retention's race: a sweep lists a campaign as idle, then an answer is stored, then the sweep deletes. The delete
     * checks idleness again in the same atomic step, so the answered campaign stays with its answer; an unanswered one
     * goes; a campaign already gone is UNKNOWN_CAMPAIGN.
     */
    @Test
    void an_answer_stored_after_the_sweep_listed_its_campaign_keeps_it() throws Exception {
        CampaignStore store = open();
        for (String name : List.of("answered", "quiet")) {
            store.create("acme", campaign(name, Campaign.Task.RATING, List.of("0".repeat(64), "1".repeat(64))),
                    java.util.Map.of("0".repeat(64), new byte[] {0}, "1".repeat(64), new byte[] {1}));
        }
        java.time.Instant now = store.now();
        assertThat(store.activity()).as("created 2026-12-06T00:00:00Z: idle for more than an hour")
                .allSatisfy(a -> assertThat(a.last()).isBefore(now.minus(IDLE)));
        Judgement answer = store.append("acme", "answered", Judgement.rate("r1", 0, 4)); // between listing and delete
        assertThat(java.time.Instant.parse(answer.created())).as("timed on the store's clock").isBetween(now, store.now());

        assertThat(open().delete("acme", "answered", IDLE)).as("answered since the listing: kept").isNull();
        assertThat(open().delete("acme", "quiet", IDLE)).isEqualTo(new CampaignStore.Deleted(0, 0, 0));
        CampaignStore again = open();
        assertThat(again.list("acme")).containsExactly("answered");
        assertThat(again.judgements("acme", "answered")).containsExactly(answer);
        assertThat(again.image("acme", "0".repeat(64))).as("still named by 'answered'").isNotNull();
        assertThatThrownBy(() -> again.delete("acme", "quiet", IDLE)).isInstanceOfSatisfying(ImageScoreException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_CAMPAIGN));
        // idle once the answer is older than the idle time (here: any time at all)
        CampaignStore.Deleted d = again.delete("acme", "answered", java.time.Duration.ZERO);
        assertThat(d.judgements()).isEqualTo(1);
        assertThat(d.images()).isEqualTo(2);
        assertThat(open().list("acme")).isEmpty();
    }

    /** Retention's idle time in these tests: the campaigns were created long before it (2026-12-06T00:00:00Z). */
    static final java.time.Duration IDLE = java.time.Duration.ofHours(1);

    /**
     * The same race run for real, 20 times: an answer and retention's delete start together. Either the answer is
     * acknowledged and the campaign stays with it, or the campaign is deleted and the answer refused (UNKNOWN_CAMPAIGN);
     * never an acknowledged answer deleted.
     */
    @Test
    void an_acknowledged_answer_is_never_deleted_by_a_concurrent_sweep() throws Exception {
        CampaignStore store = open();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        int deletedRounds = 0;
        try {
            for (int round = 0; round < 20; round++) {
                String name = "race-" + round;
                // its images with it: a round that deletes the campaign deletes them too
                store.create("acme", campaign(name, Campaign.Task.RATING, List.of("0".repeat(64), "1".repeat(64))),
                        java.util.Map.of("0".repeat(64), new byte[] {0}, "1".repeat(64), new byte[] {1}));
                java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
                Future<Judgement> answer = pool.submit(() -> {
                    start.await();
                    try {
                        return store.append("acme", name, Judgement.rate("r1", 0, 3));
                    } catch (ImageScoreException e) {
                        assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_CAMPAIGN);
                        return null;
                    }
                });
                Future<CampaignStore.Deleted> sweep = pool.submit(() -> {
                    start.await();
                    return store.delete("acme", name, IDLE);
                });
                Judgement acknowledged = answer.get();
                CampaignStore.Deleted deleted = sweep.get();
                if (acknowledged != null && deleted == null) {
                    assertThat(open().judgements("acme", name)).containsExactly(acknowledged);
                } else {
                    assertThat(acknowledged).as("round %d: an acknowledged answer was deleted", round).isNull();
                    assertThat(deleted).isNotNull();
                    assertThat(open().list("acme")).doesNotContain(name);
                    deletedRounds++;
                }
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.printf("%s: %d of 20 rounds deleted the campaign before the answer%n", getClass().getSimpleName(), deletedRounds);
    }
}
