package io.imagescore.sort;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.head.ScoreSpec;
import io.imagescore.image.View;
import io.imagescore.score.Outcome;
import io.imagescore.score.ScoredImage;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.imagescore.sort.SortReason.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Every ordering rule on synthetic scored images (no model). */
class SetSorterTest {

    static final List<String> ROOMS = List.of("living_room", "kitchen", "bedroom", "bathroom", "garden");
    static final Map<String, ScoreSpec> SPECS = new LinkedHashMap<>();

    static {
        SPECS.put("quality", scalar("quality", 0, 100, true));
        SPECS.put("aesthetic", scalar("aesthetic", 1, 10, true));
        SPECS.put("noise", scalar("noise", 0, 1, false));
        SPECS.put("preference", scalar("preference", -10, 10, true));
        SPECS.put("room_type", new ScoreSpec("room_type", ScoreSpec.Kind.CLASSES, 0, 1, false, true, "probability", "",
                List.of(View.CENTER), ROOMS));
    }

    static ScoreSpec scalar(String name, double min, double max, boolean higherIsBetter) {
        return new ScoreSpec(name, ScoreSpec.Kind.SCALAR, min, max, false, higherIsBetter, "", "", List.of(View.CENTER), List.of());
    }

    /** An image with quality/aesthetic/noise/preference scalars and a room_type distribution. */
    static Outcome<ScoredImage> img(String id, double quality, float... roomProbabilities) {
        return img(id, Map.of("quality", quality, "aesthetic", 5.0, "noise", 0.5, "preference", 0.0), roomProbabilities, null);
    }

    static Outcome<ScoredImage> img(String id, Map<String, Double> scalars, float[] rooms, float[] embedding) {
        List<ScoredImage.Scalar> s = new ArrayList<>();
        scalars.forEach((k, v) -> s.add(new ScoredImage.Scalar(k, "1", v)));
        float[] p = rooms.length == 0 ? new float[] {1, 0, 0, 0, 0} : rooms;
        return Outcome.ok(id, new ScoredImage("sha-" + id, 100, 100, s,
                List.of(new ScoredImage.Classes("room_type", "1", ROOMS, p)), embedding));
    }

    static Outcome<ScoredImage> broken(String id) {
        return Outcome.failed(id, new ImageScoreException(ErrorCode.CORRUPT_IMAGE, "truncated"));
    }

    static SortSpec byScore(String... nameWeight) {
        List<SortSpec.Term> terms = new ArrayList<>();
        for (int i = 0; i < nameWeight.length; i += 2) {
            terms.add(new SortSpec.Term(nameWeight[i], Double.parseDouble(nameWeight[i + 1])));
        }
        return new SortSpec(new SortSpec.ByScore(terms), 0);
    }

    static Regulation regulation(List<String> classes) {
        return new Regulation("room_type", classes, List.of(), null, 0, 0, null, false);
    }

    static SortSpec byRegulation(Regulation r) {
        return new SortSpec(new SortSpec.ByRegulation(r), 0);
    }

    static SortResult sort(SortSpec spec, List<Outcome<ScoredImage>> images) {
        return SetSorter.order(images, spec, SPECS);
    }

    static SortResult.Placed placed(SortResult r, String id) {
        return r.order().stream().filter(p -> p.id().equals(id)).findFirst().orElseThrow();
    }

    // ---- by score ----

    @Test
    void by_score_puts_higher_first_and_breaks_ties_by_original_position() {
        SortResult r = sort(byScore("quality", "1"), List.of(img("a", 50), img("b", 80), img("c", 50), img("d", 80), img("e", 10)));
        assertThat(r.ids()).containsExactly("b", "d", "a", "c", "e");
        assertThat(placed(r, "b").reasons()).containsExactly(HERO, SCORE_ORDER);
        assertThat(placed(r, "a").reasons()).containsExactly(SCORE_ORDER);
        assertThat(placed(r, "a").scores()).containsEntry("quality", 50.0);
        assertThat(placed(r, "b").sortValue()).isEqualTo(0.8);
        assertThat(r.order()).extracting(SortResult.Placed::rank).containsExactly(0, 1, 2, 3, 4);
        assertThat(placed(r, "c").position()).isEqualTo(2);
    }

    @Test
    void by_score_turns_a_lower_is_better_score_around() {
        var images = List.of(
                img("noisy", Map.of("noise", 0.9), new float[0], null),
                img("clean", Map.of("noise", 0.1), new float[0], null),
                img("mid", Map.of("noise", 0.5), new float[0], null));
        assertThat(sort(byScore("noise", "1"), images).ids()).containsExactly("clean", "mid", "noisy");
    }

    @Test
    void by_score_combines_scores_on_their_declared_ranges_with_weights() {
        // quality 0..100, aesthetic 1..10: on raw values quality would always dominate.
        var a = img("a", Map.of("quality", 60.0, "aesthetic", 2.0), new float[0], null);   // 0.6 + 1/9
        var b = img("b", Map.of("quality", 40.0, "aesthetic", 10.0), new float[0], null);  // 0.4 + 1
        assertThat(sort(byScore("quality", "1", "aesthetic", "1"), List.of(a, b)).ids()).containsExactly("b", "a");
        // weight 5 on quality: 3.0 + 0.111 vs 2.0 + 1.0
        assertThat(sort(byScore("quality", "5", "aesthetic", "1"), List.of(a, b)).ids()).containsExactly("a", "b");
        assertThat(placed(sort(byScore("quality", "1", "aesthetic", "1"), List.of(a, b)), "b").scores())
                .containsOnlyKeys("quality", "aesthetic");
    }

    @Test
    void equal_values_keep_input_order_for_any_permutation_and_runs_are_deterministic() {
        List<Outcome<ScoredImage>> images = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            images.add(img("i" + i, i % 3 == 0 ? 70 : 30));
        }
        Random random = new Random(7);
        for (int trial = 0; trial < 20; trial++) {
            Collections.shuffle(images, random);
            SortResult r = sort(byScore("quality", "1"), images);
            List<String> expected = new ArrayList<>();
            images.stream().filter(o -> quality(o) == 70).forEach(o -> expected.add(o.id()));
            images.stream().filter(o -> quality(o) == 30).forEach(o -> expected.add(o.id()));
            assertThat(r.ids()).isEqualTo(expected);
            assertThat(sort(byScore("quality", "1"), images).ids()).isEqualTo(r.ids());
        }
    }

    static double quality(Outcome<ScoredImage> o) {
        return o.value().scalars().stream().filter(s -> s.name().equals("quality")).findFirst().orElseThrow().value();
    }

    @Test
    void by_score_rejects_class_scores_unknown_scores_and_bad_weights() {
        var images = List.of(img("a", 1));
        assertThat(catchThrowableOfType(ImageScoreException.class, () -> sort(byScore("room_type", "1"), images)).code())
                .isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(catchThrowableOfType(ImageScoreException.class, () -> sort(byScore("sharpness", "1"), images)).code())
                .isEqualTo(ErrorCode.UNKNOWN_SCORE);
        assertThatThrownBy(() -> byScore("quality", "0")).hasMessageContaining("positive");
        assertThatThrownBy(() -> byScore("quality", "-1")).hasMessageContaining("positive");
        assertThatThrownBy(() -> byScore("quality", "1", "quality@2", "1")).hasMessageContaining("twice");
        assertThatThrownBy(() -> new SortSpec(new SortSpec.ByScore(List.of()), 0)).hasMessageContaining("at least one");
    }

    // ---- by learned preference ----

    @Test
    void by_preference_orders_by_the_preference_head_score() {
        var images = List.of(
                img("x", Map.of("preference", -2.0), new float[0], null),
                img("y", Map.of("preference", 3.5), new float[0], null),
                img("z", Map.of("preference", 0.0), new float[0], null));
        SortResult r = sort(new SortSpec(new SortSpec.ByPreference("preference"), 0), images);
        assertThat(r.ids()).containsExactly("y", "z", "x");
        assertThat(placed(r, "z").reasons()).containsExactly(PREFERENCE_ORDER);
        assertThat(placed(r, "y").scores()).containsEntry("preference", 3.5);
        assertThat(catchThrowableOfType(ImageScoreException.class,
                () -> sort(new SortSpec(new SortSpec.ByPreference("room_type"), 0), images)).code()).isEqualTo(ErrorCode.INVALID_REQUEST);
    }

    // ---- by regulation ----

    @Test
    void regulation_orders_by_class_then_within_class_score_then_confidence_then_position() {
        var reg = new Regulation("room_type", List.of("kitchen", "living_room", "bathroom"), List.of(), "quality", 0, 0, null, false);
        SortResult r = sort(byRegulation(reg), List.of(
                img("living-low", 20, .9f, .1f, 0, 0, 0),
                img("bath", 90, 0, 0, 0, 1, 0),
                img("kitchen-a", 50, .1f, .8f, .1f, 0, 0),
                img("living-high", 80, .7f, .3f, 0, 0, 0),
                img("kitchen-b", 50, 0, .95f, .05f, 0, 0),   // same quality as kitchen-a, more confident
                img("kitchen-c", 50, 0, .95f, .05f, 0, 0))); // exact tie with kitchen-b: input order
        assertThat(r.ids()).containsExactly("kitchen-b", "kitchen-c", "kitchen-a", "living-high", "living-low", "bath");
        assertThat(placed(r, "kitchen-b").reasons()).containsExactly(HERO, REGULATED_CLASS);
        assertThat(placed(r, "kitchen-a").classLabel()).isEqualTo("kitchen");
        assertThat(placed(r, "kitchen-a").confidence()).isCloseTo(0.8, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(placed(r, "kitchen-a").margin()).isCloseTo(0.7, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(placed(r, "bath").scores()).containsEntry("quality", 90.0);
        assertThat(r.findings()).isEmpty();
    }

    @Test
    void regulation_within_class_score_respects_lower_is_better() {
        var reg = new Regulation("room_type", List.of("living_room"), List.of(), "noise", 0, 0, null, false);
        SortResult r = sort(byRegulation(reg), List.of(
                img("noisy", Map.of("noise", 0.8), new float[] {1, 0, 0, 0, 0}, null),
                img("clean", Map.of("noise", 0.2), new float[] {1, 0, 0, 0, 0}, null)));
        assertThat(r.ids()).containsExactly("clean", "noisy");
    }

    @Test
    void regulation_naming_classes_the_classifier_lacks_is_rejected_with_the_unknown_ones() {
        var reg = regulation(List.of("kitchen", "garage", "attic"));
        ImageScoreException e = catchThrowableOfType(ImageScoreException.class, () -> sort(byRegulation(reg), List.of(img("a", 1))));
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(e.getMessage()).contains("[garage, attic]").contains("living_room");
        assertThat(e.metadata()).containsEntry("unknown_classes", "garage,attic");
    }

    @Test
    void regulation_rules_are_validated() {
        assertThatThrownBy(() -> byRegulation(regulation(List.of()))).hasMessageContaining("at least one class");
        assertThatThrownBy(() -> byRegulation(regulation(List.of("kitchen", "kitchen")))).hasMessageContaining("twice");
        assertThatThrownBy(() -> byRegulation(new Regulation("room_type", List.of("kitchen"), List.of("bedroom"), null, 0, 0, null, false)))
                .hasMessageContaining("required class 'bedroom'");
        assertThatThrownBy(() -> byRegulation(new Regulation("room_type", List.of("kitchen"), List.of(), null, 1.5, 0, null, false)))
                .hasMessageContaining("min_confidence");
        assertThatThrownBy(() -> byRegulation(new Regulation("", List.of("kitchen"), List.of(), null, 0, 0, null, false)))
                .hasMessageContaining("classifier");
        assertThat(catchThrowableOfType(ImageScoreException.class, () -> sort(byRegulation(
                new Regulation("quality", List.of("kitchen"), List.of(), null, 0, 0, null, false)), List.of(img("a", 1)))).getMessage())
                .contains("CLASSES");
    }

    @Test
    void images_of_classes_outside_the_regulation_are_unregulated_and_follow_in_original_order() {
        var reg = regulation(List.of("kitchen", "living_room"));
        SortResult r = sort(byRegulation(reg), List.of(
                img("garden-1", 99, 0, 0, 0, 0, 1),
                img("living", 10, 1, 0, 0, 0, 0),
                img("bed", 99, 0, 0, 1, 0, 0),
                img("kitchen", 10, 0, 1, 0, 0, 0),
                img("garden-2", 99, 0, 0, 0, 0, 1)));
        assertThat(r.ids()).containsExactly("kitchen", "living", "garden-1", "bed", "garden-2");
        assertThat(placed(r, "bed").reasons()).containsExactly(CLASS_NOT_IN_REGULATION);
        assertThat(placed(r, "bed").classLabel()).isEqualTo("bedroom");
        assertThat(r.findings(SortResult.FindingCode.UNREGULATED_IMAGES)).singleElement()
                .satisfies(f -> assertThat(f.ids()).containsExactly("garden-1", "bed", "garden-2"));
    }

    @Test
    void unregulated_images_can_be_placed_before_the_regulated_ones() {
        var reg = new Regulation("room_type", List.of("kitchen"), List.of(), null, 0, 0, Regulation.Placement.BEFORE, false);
        SortResult r = sort(byRegulation(reg), List.of(img("k", 1, 0, 1, 0, 0, 0), img("g2", 1, 0, 0, 0, 0, 1), img("g1", 1, 0, 0, 0, 0, 1)));
        assertThat(r.ids()).containsExactly("g2", "g1", "k");
        assertThat(placed(r, "g2").reasons()).containsExactly(HERO, CLASS_NOT_IN_REGULATION);
    }

    @Test
    void images_below_min_confidence_are_unregulated_and_the_threshold_itself_is_regulated() {
        var reg = new Regulation("room_type", List.of("living_room", "kitchen"), List.of(), null, 0.5, 0, null, false);
        SortResult r = sort(byRegulation(reg), List.of(
                img("unsure-kitchen", 1, .2f, .45f, .35f, 0, 0),
                img("at-threshold", 1, .25f, .5f, .25f, 0, 0),
                img("sure-living", 1, .9f, .1f, 0, 0, 0)));
        assertThat(r.ids()).containsExactly("sure-living", "at-threshold", "unsure-kitchen");
        assertThat(placed(r, "unsure-kitchen").reasons()).containsExactly(LOW_CONFIDENCE);
        assertThat(placed(r, "at-threshold").reasons()).containsExactly(REGULATED_CLASS);
    }

    @Test
    void low_margin_predictions_are_flagged_for_review() {
        var reg = new Regulation("room_type", List.of("living_room", "kitchen"), List.of(), null, 0, 0.2, null, false);
        SortResult r = sort(byRegulation(reg), List.of(
                img("close", 1, .45f, .35f, .2f, 0, 0),      // margin .10
                img("clear", 1, .1f, .8f, .1f, 0, 0),        // margin .70
                img("edge", 1, .6f, .4f, 0, 0, 0)));         // margin .20: not below
        assertThat(placed(r, "close").needsReview()).isTrue();
        assertThat(placed(r, "close").reasons()).containsExactly(REGULATED_CLASS, NEEDS_REVIEW);
        assertThat(placed(r, "clear").needsReview()).isFalse();
        assertThat(placed(r, "edge").needsReview()).isFalse();
        assertThat(r.findings(SortResult.FindingCode.NEEDS_REVIEW)).singleElement()
                .satisfies(f -> assertThat(f.ids()).containsExactly("close"));
        // ordering itself is unchanged by the flag
        assertThat(r.ids()).containsExactly("edge", "close", "clear");
    }

    @Test
    void missing_required_classes_are_reported_including_classes_only_seen_below_min_confidence() {
        var reg = new Regulation("room_type", List.of("living_room", "kitchen", "bathroom"), List.of("kitchen", "bathroom"),
                null, 0.5, 0, null, false);
        SortResult r = sort(byRegulation(reg), List.of(img("living", 1, 1, 0, 0, 0, 0), img("weak-bath", 1, .3f, 0, .3f, .4f, 0)));
        assertThat(r.findings(SortResult.FindingCode.MISSING_REQUIRED_CLASS)).extracting(SortResult.Finding::classLabel)
                .containsExactly("kitchen", "bathroom");
        SortResult complete = sort(byRegulation(reg), List.of(img("k", 1, 0, 1, 0, 0, 0), img("b", 1, 0, 0, 0, 1, 0)));
        assertThat(complete.findings(SortResult.FindingCode.MISSING_REQUIRED_CLASS)).isEmpty();
    }

    // ---- slots ----

    @Test
    void slots_give_each_class_at_most_one_image_by_least_total_negative_log_probability() {
        var reg = new Regulation("room_type", List.of("living_room", "kitchen", "bedroom"), List.of("bedroom"), null, 0, 0, null, true);
        // Greedy top-1 would put both a and b in kitchen. The assignment: b (kitchen .9) keeps kitchen, a takes living
        // (.35 beats c's .3 there because c is the only bedroom candidate), c takes bedroom.
        SortResult r = sort(byRegulation(reg), List.of(
                img("a", 1, .35f, .6f, .05f, 0, 0),
                img("b", 1, .05f, .9f, .05f, 0, 0),
                img("c", 1, .3f, .1f, .6f, 0, 0),
                img("d", 1, .2f, .7f, .1f, 0, 0)));
        assertThat(r.ids()).containsExactly("a", "b", "c", "d");
        assertThat(placed(r, "a").classLabel()).isEqualTo("living_room");
        assertThat(placed(r, "a").confidence()).isCloseTo(0.35, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(placed(r, "a").reasons()).containsExactly(HERO, SLOT_ASSIGNED);
        assertThat(placed(r, "d").reasons()).containsExactly(NO_SLOT);
        assertThat(r.findings(SortResult.FindingCode.MISSING_REQUIRED_CLASS)).isEmpty();
        assertThat(r.order().stream().filter(p -> p.reasons().contains(SLOT_ASSIGNED)).map(SortResult.Placed::classLabel))
                .doesNotHaveDuplicates().hasSize(3);
    }

    @Test
    void slots_never_place_an_image_below_min_confidence_and_report_the_empty_required_slot() {
        var reg = new Regulation("room_type", List.of("living_room", "kitchen"), List.of("living_room", "kitchen"), null, 0.3, 0, null, true);
        SortResult r = sort(byRegulation(reg), List.of(
                img("k1", 1, .1f, .9f, 0, 0, 0),
                img("k2", 1, .2f, .8f, 0, 0, 0)));   // living .2 < .3: no slot rather than a wrong living room
        assertThat(r.ids()).containsExactly("k1", "k2");
        assertThat(placed(r, "k2").reasons()).containsExactly(NO_SLOT);
        assertThat(r.findings(SortResult.FindingCode.MISSING_REQUIRED_CLASS)).extracting(SortResult.Finding::classLabel)
                .containsExactly("living_room");
        // without a threshold, every slot that can be filled is
        var fill = new Regulation("room_type", List.of("living_room", "kitchen"), List.of(), null, 0, 0, null, true);
        SortResult filled = sort(byRegulation(fill), List.of(img("k1", 1, .1f, .9f, 0, 0, 0), img("k2", 1, .2f, .8f, 0, 0, 0)));
        assertThat(filled.ids()).containsExactly("k2", "k1");
        assertThat(placed(filled, "k2").classLabel()).isEqualTo("living_room");
    }

    // ---- near-duplicates ----

    static float[] vec(double... v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    @Test
    void near_duplicates_keep_the_best_scored_image_and_move_the_others_to_the_end() {
        var images = List.of(
                img("dup-worse", Map.of("quality", 40.0), new float[0], vec(1, 0, 0)),
                img("other", Map.of("quality", 50.0), new float[0], vec(0, 1, 0)),
                img("dup-best", Map.of("quality", 90.0), new float[0], vec(0.99, 0.05, 0)),   // cos ≈ .9987 with dup-worse
                img("near-but-not", Map.of("quality", 95.0), new float[0], vec(0.8, 0.6, 0)), // cos .8 with dup-worse
                broken("bad"),
                img("dup-worst", Map.of("quality", 10.0), new float[0], vec(2, 0.01, 0)));
        SortResult r = SetSorter.order(images, new SortSpec(new SortSpec.ByScore(List.of(new SortSpec.Term("quality", 1))), 0.95), SPECS);
        assertThat(r.ids()).containsExactly("near-but-not", "dup-best", "other", "dup-worse", "dup-worst", "bad");
        assertThat(placed(r, "dup-worse").duplicateOf()).isEqualTo("dup-best");
        assertThat(placed(r, "dup-worst").duplicateOf()).isEqualTo("dup-best");
        assertThat(placed(r, "dup-worse").reasons()).containsExactly(NEAR_DUPLICATE);
        assertThat(placed(r, "dup-best").duplicateOf()).isNull();
        assertThat(r.findings(SortResult.FindingCode.NEAR_DUPLICATES)).singleElement()
                .satisfies(f -> assertThat(f.ids()).containsExactly("dup-best", "dup-worse", "dup-worst"));
        // a pair below the threshold (cos .8 < .85) is not a duplicate
        SortResult at = SetSorter.order(List.of(images.get(0), images.get(3)),
                new SortSpec(new SortSpec.ByScore(List.of(new SortSpec.Term("quality", 1))), 0.85), SPECS);
        assertThat(at.order()).allSatisfy(p -> assertThat(p.duplicateOf()).isNull());
        // off by default
        assertThat(sort(byScore("quality", "1"), images.stream().filter(o -> o.isOk()).toList()).order())
                .allSatisfy(p -> assertThat(p.duplicateOf()).isNull());
    }

    @Test
    void duplicates_do_not_take_regulation_slots_or_satisfy_required_classes_twice() {
        var reg = new Regulation("room_type", List.of("kitchen", "living_room"), List.of(), "quality", 0, 0, null, true);
        var images = List.of(
                img("k-copy", Map.of("quality", 30.0), new float[] {0, 1, 0, 0, 0}, vec(1, 0)),
                img("k", Map.of("quality", 70.0), new float[] {0, 1, 0, 0, 0}, vec(1, 0.001)),
                img("l", Map.of("quality", 70.0), new float[] {.4f, .6f, 0, 0, 0}, vec(0, 1)));
        SortResult r = SetSorter.order(images, new SortSpec(new SortSpec.ByRegulation(reg), 0.99), SPECS);
        // k-copy is out of the assignment altogether (NEAR_DUPLICATE, not NO_SLOT)
        assertThat(r.ids()).containsExactly("k", "l", "k-copy");
        assertThat(placed(r, "l").reasons()).containsExactly(SLOT_ASSIGNED);
        assertThat(placed(r, "k-copy").reasons()).containsExactly(NEAR_DUPLICATE);
        assertThat(placed(r, "k-copy").duplicateOf()).isEqualTo("k");
    }

    // ---- failures ----

    @Test
    void images_that_failed_to_score_go_last_in_input_order_with_their_error() {
        SortResult r = sort(byScore("quality", "1"), List.of(broken("x"), img("a", 10), broken("y"), img("b", 20)));
        assertThat(r.ids()).containsExactly("b", "a", "x", "y");
        assertThat(placed(r, "x").reasons()).containsExactly(IMAGE_ERROR);
        assertThat(placed(r, "x").error().code()).isEqualTo(ErrorCode.CORRUPT_IMAGE);
        assertThat(r.findings(SortResult.FindingCode.FAILED_IMAGES)).singleElement()
                .satisfies(f -> assertThat(f.ids()).containsExactly("x", "y"));
        SortResult allBad = sort(byRegulation(regulation(List.of("kitchen"))), List.of(broken("x")));
        assertThat(allBad.ids()).containsExactly("x");
        assertThat(placed(allBad, "x").reasons()).doesNotContain(HERO);
    }

    @Test
    void empty_sets_sort_to_empty() {
        assertThat(sort(byScore("quality", "1"), List.of()).order()).isEmpty();
    }

    static Outcome<ScoredImage> withInDomain(String id, double inDomain, float... rooms) {
        return Outcome.ok(id, new ScoredImage("sha-" + id, 100, 100, List.of(new ScoredImage.Scalar("quality", "1", 50)),
                List.of(new ScoredImage.Classes("room_type", "1", ROOMS, rooms, inDomain)), null));
    }

    @Test
    void an_out_of_domain_photo_is_unregulated_whatever_its_class_and_the_threshold_is_the_regulations() {
        List<Outcome<ScoredImage>> images = List.of(
                withInDomain("cat", 0.01, 0.99f, 0, 0, 0, 0.01f),   // "living_room" with 0.99, but not a room photo
                withInDomain("kitchen", 0.4, 0, 0.9f, 0.1f, 0, 0),
                withInDomain("living", Double.NaN, 0.8f, 0.2f, 0, 0, 0)); // no detector: never out of domain
        Regulation reg = regulation(List.of("living_room", "kitchen"));
        assertThat(reg.minInDomain()).isEqualTo(Regulation.DEFAULT_MIN_IN_DOMAIN);
        SortResult r = sort(byRegulation(reg), images);
        assertThat(r.ids()).containsExactly("living", "kitchen", "cat");
        assertThat(placed(r, "cat").reasons()).contains(OUT_OF_DOMAIN).doesNotContain(REGULATED_CLASS);
        assertThat(placed(r, "kitchen").reasons()).contains(REGULATED_CLASS);

        Regulation strict = new Regulation("room_type", List.of("living_room", "kitchen"), List.of(), null, 0, 0, null, false, 0.5);
        SortResult s = sort(byRegulation(strict), images);
        assertThat(s.ids()).containsExactly("living", "cat", "kitchen"); // unregulated keep their original order
        assertThat(placed(s, "kitchen").reasons()).contains(OUT_OF_DOMAIN);

        Regulation off = new Regulation("room_type", List.of("living_room", "kitchen"), List.of(), null, 0, 0, null, false, 0);
        assertThat(sort(byRegulation(off), images).ids().getFirst()).isIn("cat", "living");
        assertThat(placed(sort(byRegulation(off), images), "cat").reasons()).contains(REGULATED_CLASS);

        Regulation slots = new Regulation("room_type", List.of("living_room", "kitchen"), List.of(), null, 0, 0, null, true);
        assertThat(placed(sort(byRegulation(slots), images), "cat").reasons()).contains(OUT_OF_DOMAIN);
        assertThatThrownBy(() -> new Regulation("room_type", List.of("kitchen"), List.of(), null, 0, 0, null, false, 1.5).validated())
                .hasMessageContaining("min_in_domain");
    }
}
