package io.imagescore.cli;

import io.imagescore.score.Engine;
import io.imagescore.prompt.LocalPromptSetStore;
import com.fasterxml.jackson.databind.JsonNode;
import io.imagescore.image.PreprocessMode;
import io.imagescore.pack.ModelPack;
import io.imagescore.prompt.LabelTuner;
import io.imagescore.prompt.PromptMath;
import io.imagescore.prompt.PromptSet;
import io.imagescore.prompt.PromptSetStore;
import io.imagescore.prompt.TextEmbedder;
import io.imagescore.score.EncodedImage;
import io.imagescore.score.ImageInput;
import io.imagescore.score.Outcome;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code imagescore tune} end to end on the tiny CLIP pack and real room photos. The ratings are planted: they are the
 * rank of each photo under the tiny model's own "Bright photo." / "Dark photo." score, so that pair must be chosen.
 */
class TuneCommandTest {
    static final Path PACK = Path.of("imagescore-core/src/test/resources/packs/clip-tiny");
    static final PromptSet.Pair PLANTED = new PromptSet.Pair("Bright photo.", "Dark photo.");

    @TempDir
    Path tmp;

    static List<Path> photos() throws IOException {
        List<Path> out = new ArrayList<>();
        for (String room : List.of("kitchen", "bedroom", "bathroom", "living_room")) {
            try (Stream<Path> s = Files.list(Shared.path("data/rooms/eval/" + room))) {
                s.sorted().limit(10).forEach(out::add);
            }
        }
        return out;
    }

    /** The planted pair's P(positive) per photo, computed here with the pack's own encoders. */
    static double[] plantedScores(List<Path> photos) throws IOException {
        try (Engine engine = new Engine(PACK, Shared.dir(), 1)) {
            ModelPack pack = engine.pack();
            engine.backend().load(pack.textEncoder().model());
            List<ImageInput> inputs = new ArrayList<>();
            for (Path p : photos) {
                inputs.add(new ImageInput(p.getFileName().toString(), Files.readAllBytes(p)));
            }
            List<Outcome<EncodedImage>> enc = engine.pipeline().encode(pack, inputs, pack.preprocessing().views(),
                    Set.of(pack.embeddingOutput()), PreprocessMode.EXACT, null);
            float[][] img = enc.stream().map(e -> PromptMath.unit(e.value().mean(pack.embeddingOutput(), pack.preprocessing().views())))
                    .toArray(float[][]::new);
            float[][] text = new TextEmbedder(engine.backend()).embed(pack, List.of(PLANTED.positive(), PLANTED.negative()), null);
            return LabelTuner.pairScores(img, new float[][] {text[0]}, new float[][] {text[1]}, pack.textEncoder().logitScale())[0];
        }
    }

    @Test
    void tune_recovers_the_planted_pair_writes_reports_and_stores_a_version() throws IOException {
        List<Path> photos = photos();
        double[] s = plantedScores(photos);
        Integer[] order = new Integer[s.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, (a, b) -> Double.compare(s[a], s[b]));
        StringBuilder csv = new StringBuilder("image,rater,viewpoint,rating\n");
        for (int rank = 0; rank < order.length; rank++) {
            double rating = 1 + 3.0 * rank / (order.length - 1);
            double spread = Math.min(0.2, Math.min(rating - 1, 4 - rating));
            String image = Shared.dir().relativize(photos.get(order[rank])).toString();
            // two raters whose mean is the planted rating
            csv.append(image).append(",a,brightness,").append(rating - spread).append('\n');
            csv.append(image).append(",b,brightness,").append(rating + spread).append('\n');
        }
        Files.writeString(tmp.resolve("ratings.csv"), csv);
        Files.writeString(tmp.resolve("viewpoints.json"), """
                {"viewpoints": [{"name": "brightness",
                  "candidates": [{"positive": "Good photo.", "negative": "Bad photo."},
                                 {"positive": "Bright photo.", "negative": "Dark photo."}],
                  "templates": {"positive_words": ["bright", "sunny"], "negative_words": ["dark", "dim"],
                                "modifiers": ["very"], "word_order": true, "repetition": true, "max_candidates": 60}}]}
                """);
        String[] args = {"tune", "--pack", PACK.toString(), "--shared", Shared.dir().toString(),
                "--ratings", tmp.resolve("ratings.csv").toString(), "--images", Shared.dir().toString(),
                "--viewpoints", tmp.resolve("viewpoints.json").toString(), "--seed", "3", "--threads", "1",
                "--data-dir", tmp.resolve("data").toString(), "--tenant", "acme", "--prompt-set", "listing", "--out"};
        // while a server holds the data directory, tune refuses at once and stores nothing
        try (var held = io.imagescore.store.DataDirLock.acquire(tmp.resolve("data"))) {
            java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
            java.io.PrintStream oldErr = System.err;
            System.setErr(new java.io.PrintStream(err, true));
            try {
                assertThat(ImageScoreCli.commandLine(new ImageScoreCli()).execute(concat(args, tmp.resolve("out0").toString()))).isEqualTo(1);
            } finally {
                System.setErr(oldErr);
            }
            assertThat(err.toString()).startsWith("imagescore tune: " + tmp.resolve("data") + " is in use by another process")
                    .contains("stop that server first");
            assertThat(tmp.resolve("out0")).doesNotExist();
            assertThat(tmp.resolve("data/prompt-sets")).doesNotExist();
        }
        int exit = ImageScoreCli.commandLine(new ImageScoreCli()).execute(concat(args, tmp.resolve("out1").toString()));
        assertThat(exit).isZero();

        JsonNode report = PromptSetStore.JSON.readTree(tmp.resolve("out1/report.json").toFile());
        JsonNode vp = report.get("viewpoints").get(0);
        assertThat(vp.get("images").asInt()).isEqualTo(40);
        assertThat(vp.get("candidates").size()).isEqualTo(60 + 1).as("user pairs + generated, the planted pair once");
        assertThat(vp.get("reliable").asBoolean()).isTrue();
        int planted = vp.get("chosen").get(0).asInt();
        JsonNode best = vp.get("candidates").get(0);
        assertThat(best.get("index").asInt()).isEqualTo(planted);
        assertThat(best.get("candidate").get("pair").get("positive").asText()).isEqualTo("Bright photo.");
        assertThat(best.get("metrics").get("srcc").asDouble()).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-6));
        assertThat(Files.readString(tmp.resolve("out1/report.txt"))).contains("viewpoint brightness: 40 images")
                .contains("chosen: \"Bright photo.\" / \"Dark photo.\"");

        PromptSetStore store = new LocalPromptSetStore(tmp.resolve("data/prompt-sets"));
        PromptSet tuned = store.get("acme", "listing", "").spec();
        assertThat(tuned.pack()).isEqualTo("clip-tiny");
        assertThat(tuned.attributes().getFirst().name()).isEqualTo("brightness");
        assertThat(tuned.attributes().getFirst().pairs().getFirst()).isEqualTo(PLANTED);
        assertThat(tuned.attributes().getFirst().calibration().slope()).isPositive();

        // deterministic: the same inputs and seed give the same report, byte for byte
        assertThat(ImageScoreCli.commandLine(new ImageScoreCli()).execute(concat(args, tmp.resolve("out2").toString()))).isZero();
        assertThat(Files.readString(tmp.resolve("out2/report.json"))).isEqualTo(Files.readString(tmp.resolve("out1/report.json")));
        assertThat(store.list("acme")).isNotEmpty();
        assertThat(new LocalPromptSetStore(tmp.resolve("data/prompt-sets")).get("acme", "listing", "").version()).isEqualTo("1");
    }

    static String[] concat(String[] a, String last) {
        String[] out = Arrays.copyOf(a, a.length + 1);
        out[a.length] = last;
        return out;
    }
}
