package io.imagescore.consistency;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagescore.image.PreprocessMode;
import io.imagescore.image.Preprocessor;
import io.imagescore.image.View;
import io.imagescore.model.onnx.OnnxBackend;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackLoader;
import io.imagescore.score.EncodedImage;
import io.imagescore.score.ImageInput;
import io.imagescore.score.Outcome;
import io.imagescore.score.ScoreMetrics;
import io.imagescore.score.ScoringPipeline;
import io.imagescore.testing.Shared;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The default pack's encoder features for the photos of {@code ../shared/data/cpu-reference} (recorded on an AVX-512
 * VNNI CPU), computed here, and the largest difference to the recorded rows.
 * <p>
 * {@link #main} is the check CI also runs under {@code qemu-x86_64 -cpu Haswell} (an AVX2 CPU without VNNI, see
 * {@code .ci/cpu-emulated-check}): {@code main N} compares the first N photos and exits 1 on any difference.
 */
public final class CpuReference {

    public record Comparison(List<String> ids, float[][] computed, float[][] recorded) {
        public double maxAbsDiff() {
            double max = 0;
            for (int i = 0; i < computed.length; i++) {
                for (int j = 0; j < computed[i].length; j++) {
                    max = Math.max(max, Math.abs(computed[i][j] - recorded[i][j]));
                }
            }
            return max;
        }

        public long differingValues() {
            long n = 0;
            for (int i = 0; i < computed.length; i++) {
                for (int j = 0; j < computed[i].length; j++) {
                    n += Float.floatToRawIntBits(computed[i][j]) != Float.floatToRawIntBits(recorded[i][j]) ? 1 : 0;
                }
            }
            return n;
        }
    }

    private CpuReference() {
    }

    public static Comparison compare(int limit) throws IOException {
        Path dir = Shared.path("data/cpu-reference");
        JsonNode ref = new ObjectMapper().readTree(dir.resolve("reference.json").toFile());
        float[] all = Shared.npyFloats(dir.resolve("features.npy"));
        int n = Math.min(limit, ref.path("images").size());
        List<ImageInput> images = new ArrayList<>();
        float[][] recorded = new float[n][];
        for (int i = 0; i < n; i++) {
            String id = ref.path("images").get(i).path("id").asText();
            images.add(new ImageInput(id, Files.readAllBytes(Shared.path(id))));
            recorded[i] = java.util.Arrays.copyOfRange(all, i * 1280, (i + 1) * 1280);
        }
        ModelPack pack = new PackLoader(Shared.dir()).load(Path.of("packs/mobilenetv2-default"));
        OnnxBackend backend = new OnnxBackend(new OnnxBackend.Config(2));
        ScoringPipeline pipeline = new ScoringPipeline(backend, new Preprocessor(), new ScoreMetrics(new SimpleMeterRegistry()));
        try {
            backend.load(pack.encoder());
            List<Outcome<EncodedImage>> out = pipeline.encode(pack, images, List.of(View.CENTER),
                    Set.of(pack.embeddingOutput()), PreprocessMode.EXACT, null);
            float[][] computed = new float[n][];
            for (int i = 0; i < n; i++) {
                computed[i] = out.get(i).value().mean(pack.embeddingOutput(), List.of(View.CENTER));
            }
            return new Comparison(images.stream().map(ImageInput::id).toList(), computed, recorded);
        } finally {
            pipeline.stop();
            backend.close();
        }
    }

    public static void main(String[] args) throws IOException {
        Comparison c = compare(args.length > 0 ? Integer.parseInt(args[0]) : Integer.MAX_VALUE);
        System.out.printf("cpu-reference: %d photos, %d of %d feature values differ from the AVX-512 VNNI recording, max |diff| %.3g%n",
                c.ids().size(), c.differingValues(), c.ids().size() * 1280L, c.maxAbsDiff());
        System.exit(c.differingValues() == 0 ? 0 : 1);
    }
}
