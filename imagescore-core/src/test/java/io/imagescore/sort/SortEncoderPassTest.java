package io.imagescore.sort;

import io.imagescore.image.PreprocessMode;
import io.imagescore.image.Preprocessor;
import io.imagescore.image.View;
import io.imagescore.model.ModelBackend;
import io.imagescore.model.ModelSpec;
import io.imagescore.model.Tensor;
import io.imagescore.model.onnx.OnnxBackend;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackLoader;
import io.imagescore.score.ImageInput;
import io.imagescore.score.ScoreMetrics;
import io.imagescore.score.ScoringPipeline;
import io.imagescore.testing.Shared;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sorting costs one batched encoder pass for the whole set, never one per image or per pair: 50 real photos, encoder
 * max batch 32, so exactly ceil(50 · tensors per image / 32) backend calls, all from a single encode.
 */
class SortEncoderPassTest {

    /** Counts and records every backend call; delegates to the real ONNX Runtime backend. */
    static final class CountingBackend extends io.imagescore.testing.ForwardingBackend {
        final List<Long> batchSizes = new ArrayList<>();

        CountingBackend(ModelBackend inner) {
            super(inner);
        }




        @Override
        public synchronized Map<String, Tensor> infer(String modelId, Map<String, Tensor> inputs, Set<String> outputs, Instant deadline) {
            batchSizes.add(inputs.values().iterator().next().shape()[0]);
            return inner.infer(modelId, inputs, outputs, deadline);
        }

    }

    static ModelPack pack;
    static CountingBackend backend;
    static ScoringPipeline pipeline;

    @BeforeAll
    static void load() {
        pack = new PackLoader(Shared.dir()).load(Path.of("packs/mobilenetv2-default"));
        backend = new CountingBackend(new OnnxBackend(new OnnxBackend.Config(2)));
        backend.load(pack.encoder());
        pipeline = new ScoringPipeline(backend, new Preprocessor(), new ScoreMetrics(new SimpleMeterRegistry()));
    }

    @AfterAll
    static void close() {
        pipeline.stop();
        backend.close();
    }

    static List<ImageInput> photos(int n) throws IOException {
        List<Path> files = new ArrayList<>();
        for (String room : List.of("bathroom", "bedroom", "dining_room", "entrance_hall", "kitchen", "living_room")) {
            try (Stream<Path> s = Files.list(Shared.path("data/rooms/eval/" + room))) {
                files.addAll(s.sorted().limit(9).toList());
            }
        }
        List<ImageInput> out = new ArrayList<>();
        for (Path f : files.subList(0, n)) {
            out.add(new ImageInput(f.getParent().getFileName() + "/" + f.getFileName(), Files.readAllBytes(f)));
        }
        return out;
    }

    @Test
    void an_image_carrying_its_known_sha256_is_not_hashed_again() throws IOException {
        List<ImageInput> two = photos(2);
        String known = "ab".repeat(32);   // not the bytes' hash: only a result that was not rehashed can carry it
        var results = pipeline.score(pack, List.of(new ImageInput(two.get(0).id(), two.get(0).data(), known), two.get(1)),
                ScoringPipeline.select(pack, List.of("quality")), false, PreprocessMode.EXACT, null);
        assertThat(results.get(0).value().sha256()).isEqualTo(known);
        byte[] second = new byte[two.get(1).size()];
        two.get(1).data().duplicate().get(second);
        assertThat(results.get(1).value().sha256()).as("no known hash: computed").isEqualTo(ScoringPipeline.sha256(second));
        assertThat(results.get(0).value().scalars()).isEqualTo(pipeline.score(pack, List.of(two.get(0)),
                ScoringPipeline.select(pack, List.of("quality")), false, PreprocessMode.EXACT, null).getFirst().value().scalars());
    }

    @Test
    void sorting_50_photos_by_regulation_with_duplicate_detection_is_one_batched_encoder_pass() throws IOException {
        // The ImageNet head is this pack's classifier until fitted room heads exist; any CLASSES score works the same.
        Regulation reg = new Regulation("imagenet", List.of("studio couch", "refrigerator", "dining table", "four-poster",
                "bathtub", "sliding door"), List.of("bathtub"), null, 0, 0.05, null, false);
        SortSpec spec = new SortSpec(new SortSpec.ByRegulation(reg), 0.97);
        List<ImageInput> images = photos(50);
        int tensorsPerImage = pack.heads().get("imagenet").lastEntry().getValue().spec().views().stream()
                .mapToInt(View::tensorCount).sum();
        assertThat(pack.encoder().maxBatch()).isEqualTo(32);
        assertThat(tensorsPerImage).isEqualTo(1);

        backend.batchSizes.clear();
        SortResult result = new SetSorter(pipeline).sort(pack, images, spec, PreprocessMode.EXACT, null);

        int expectedCalls = (50 * tensorsPerImage + 31) / 32;
        assertThat(backend.batchSizes).as("backend calls (batch sizes)").hasSize(expectedCalls).containsExactly(32L, 18L);
        assertThat(result.order()).hasSize(50);
        assertThat(result.ids()).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(images.stream().map(ImageInput::id).toList());
        // the classes were read from real model output: the first placed photo is a regulated one
        assertThat(result.order().getFirst().reasons()).contains(SortReason.HERO, SortReason.REGULATED_CLASS);
    }

    @Test
    void slot_assignment_adds_no_encoder_calls() throws IOException {
        Regulation reg = new Regulation("imagenet", List.of("studio couch", "refrigerator", "dining table"), List.of(),
                null, 0, 0, null, true);
        backend.batchSizes.clear();
        SortResult result = new SetSorter(pipeline).sort(pack, photos(50), new SortSpec(new SortSpec.ByRegulation(reg), 0),
                PreprocessMode.EXACT, null);
        assertThat(backend.batchSizes).containsExactly(32L, 18L);
        assertThat(result.order().stream().filter(p -> p.reasons().contains(SortReason.SLOT_ASSIGNED))).hasSize(3);
    }
}
