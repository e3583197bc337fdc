package io.imagescore.head;

import io.imagescore.image.PreprocessMode;
import io.imagescore.image.Preprocessor;
import io.imagescore.model.onnx.OnnxBackend;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackLoader;
import io.imagescore.score.ImageInput;
import io.imagescore.score.Outcome;
import io.imagescore.score.ScoreMetrics;
import io.imagescore.score.ScoredImage;
import io.imagescore.score.ScoringPipeline;
import io.imagescore.sort.Regulation;
import io.imagescore.sort.SetSorter;
import io.imagescore.sort.SortReason;
import io.imagescore.sort.SortResult;
import io.imagescore.sort.SortSpec;
import io.imagescore.testing.Shared;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The shipped heads' out-of-domain detectors on real photos, through the scoring pipeline and Sort. */
class OodRealPhotoTest {
    static ModelPack pack;
    static OnnxBackend backend;
    static ScoringPipeline pipeline;

    @BeforeAll
    static void load() {
        pack = new PackLoader(Shared.dir()).load(Path.of("packs/mobilenetv2-default"));
        backend = new OnnxBackend(new OnnxBackend.Config(2));
        backend.load(pack.encoder());
        pipeline = new ScoringPipeline(backend, new Preprocessor(), new ScoreMetrics(new SimpleMeterRegistry()));
    }

    @AfterAll
    static void close() {
        pipeline.stop();
        backend.close();
    }

    static List<ImageInput> first(String dir, int n) throws IOException {
        try (Stream<Path> s = Files.list(Shared.path(dir))) {
            List<ImageInput> out = new ArrayList<>();
            for (Path f : s.sorted().limit(n).toList()) {
                out.add(new ImageInput(dir + "/" + f.getFileName(), Files.readAllBytes(f)));
            }
            return out;
        }
    }

    static double[] inDomain(List<ImageInput> images, String score) {
        List<Outcome<ScoredImage>> r = pipeline.score(pack, images, ScoringPipeline.select(pack, List.of(score)), false,
                PreprocessMode.EXACT, null);
        return r.stream().mapToDouble(o -> o.value().classes().getFirst().inDomain()).toArray();
    }

    @Test
    void shipped_classifiers_carry_a_detector_and_imagenet_has_none() {
        assertThat(pack.heads().get("room_type").get("1").ood()).isNotNull();
        assertThat(pack.heads().get("apparel").get("1").ood()).isNotNull();
        assertThat(pack.heads().get("apparel").get("2").ood()).isNotNull();
        assertThat(pack.heads().get("imagenet").get("1").ood()).isNull();
    }

    @Test
    void clothing_and_clive_photos_get_room_type_in_domain_well_below_room_photos() throws IOException {
        List<ImageInput> images = new ArrayList<>();
        images.addAll(first("data/rooms/eval/kitchen", 2));
        images.addAll(first("data/rooms/eval/bedroom", 2));
        images.addAll(first("data/clothing/validation/shoes", 2));
        images.addAll(first("data/clothing/validation/dress", 2));
        double[] d = inDomain(images, "room_type");
        System.out.println("room_type in_domain: " + java.util.Arrays.toString(d));
        double rooms = (d[0] + d[1] + d[2] + d[3]) / 4;
        double clothing = (d[4] + d[5] + d[6] + d[7]) / 4;
        assertThat(rooms).isGreaterThan(0.2);
        assertThat(clothing).isLessThan(0.05);
        for (int i = 4; i < 8; i++) {
            assertThat(d[i]).as(images.get(i).id()).isLessThan(0.05);
        }
    }

    @Test
    void room_and_clive_photos_get_apparel_in_domain_well_below_clothing_photos() throws IOException {
        List<ImageInput> images = new ArrayList<>();
        images.addAll(first("data/clothing/validation/shirt", 2));
        images.addAll(first("data/clothing/validation/pants", 2));
        images.addAll(first("data/rooms/eval/living_room", 2));
        images.addAll(first("data/clive/images", 2));
        double[] d = inDomain(images, "apparel");
        System.out.println("apparel in_domain: " + java.util.Arrays.toString(d));
        assertThat((d[0] + d[1] + d[2] + d[3]) / 4).isGreaterThan(0.2);
        for (int i = 4; i < 8; i++) {
            assertThat(d[i]).as(images.get(i).id()).isLessThan(0.05);
        }
    }

    @Test
    void sort_places_an_out_of_domain_photo_after_the_regulated_ones_with_its_reason() throws IOException {
        List<ImageInput> images = new ArrayList<>();
        images.addAll(first("data/clothing/validation/shoes", 1));
        images.addAll(first("data/rooms/eval/kitchen", 1));
        images.addAll(first("data/rooms/eval/bedroom", 1));
        List<String> all = List.of("bathroom", "bedroom", "dining_room", "entrance_hall", "kitchen", "living_room");
        Regulation reg = new Regulation("room_type", all, List.of(), null, 0, 0, null, false);
        SortResult r = new SetSorter(pipeline).sort(pack, images, new SortSpec(new SortSpec.ByRegulation(reg), 0),
                PreprocessMode.EXACT, null);
        String shoe = images.getFirst().id();
        assertThat(r.ids().getLast()).isEqualTo(shoe);
        SortResult.Placed placed = r.order().getLast();
        assertThat(placed.reasons()).contains(SortReason.OUT_OF_DOMAIN).doesNotContain(SortReason.REGULATED_CLASS);
        assertThat(r.order().subList(0, 2)).allSatisfy(p -> assertThat(p.reasons()).contains(SortReason.REGULATED_CLASS));
        // with detection off (min_in_domain 0) the shoe photo is forced into a room class
        Regulation off = new Regulation("room_type", all, List.of(), null, 0, 0, null, false, 0);
        SortResult forced = new SetSorter(pipeline).sort(pack, images, new SortSpec(new SortSpec.ByRegulation(off), 0),
                PreprocessMode.EXACT, null);
        assertThat(forced.order().stream().filter(p -> p.id().equals(shoe)).findFirst().orElseThrow().reasons())
                .contains(SortReason.REGULATED_CLASS).doesNotContain(SortReason.OUT_OF_DOMAIN);
    }
}
