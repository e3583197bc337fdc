package io.imagescore.score;

import io.imagescore.image.PreprocessMode;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scores of the default pack on real photos, bit for bit as the pipeline computed them before its encoder batches
 * spanned images and decoding overlapped encoding (recorded by {@link #main} on the pipeline of commit 9e06475): one
 * call of eight photos with an empty image among them, so that quality's 19 tensors per image fill batches of 32 across
 * image boundaries and a failed image sits between good ones, in both preprocessing modes.
 */
class PipelineGoldenTest {
    static final List<String> PHOTOS = List.of("data/clive/images/1000.JPG", "data/clive/images/1001.JPG",
            "data/clive/images/1002.JPG", "", "data/rooms/eval/kitchen/Places365_val_00000266.jpg",
            "data/clive/images/1003.JPG", "data/clive/images/1004.JPG", "data/rooms/eval/kitchen/Places365_val_00000390.jpg");
    static final List<String> SCORES = List.of("quality", "quality_fast", "imagenet");
    static final String GOLDEN = "score/pipeline-golden.tsv";

    static Engine engine;

    @BeforeAll
    static void open() {
        engine = new Engine(Shared.root().resolve("packs/mobilenetv2-default"), Shared.dir(), 2);
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @Test
    void scores_and_embeddings_are_bit_identical_to_the_recorded_ones() throws IOException {
        List<String> expected = Files.readAllLines(Shared.root().resolve("imagescore-core/src/test/resources/" + GOLDEN));
        assertThat(lines(engine)).containsExactlyElementsOf(expected);
    }

    @Test
    void the_earlier_schedule_gives_the_same_bits() throws IOException {
        List<String> expected = Files.readAllLines(Shared.root().resolve("imagescore-core/src/test/resources/" + GOLDEN));
        engine.pipeline().overlapDecoding(false);
        try {
            assertThat(lines(engine)).containsExactlyElementsOf(expected);
        } finally {
            engine.pipeline().overlapDecoding(true);
        }
    }

    /** One line per (mode, image): its error code, or every score's raw float bits and a hash of the embedding. */
    static List<String> lines(Engine engine) {
        List<ImageInput> images = new ArrayList<>();
        for (String p : PHOTOS) {
            images.add(new ImageInput(p.isEmpty() ? "empty" : p, p.isEmpty() ? new byte[0] : Shared.bytes(p)));
        }
        List<String> out = new ArrayList<>();
        for (PreprocessMode mode : PreprocessMode.values()) {
            List<Outcome<ScoredImage>> scored = engine.pipeline().score(engine.pack(), images,
                    ScoringPipeline.select(engine.pack(), SCORES), true, mode, null);
            for (Outcome<ScoredImage> o : scored) {
                StringBuilder line = new StringBuilder(mode + "\t" + o.id());
                if (!o.isOk()) {
                    out.add(line.append("\terror ").append(o.error().code()).toString());
                    continue;
                }
                ScoredImage s = o.value();
                s.scalars().forEach(x -> line.append('\t').append(x.name()).append('=')
                        .append(Long.toHexString(Double.doubleToRawLongBits(x.value()))));
                s.classes().forEach(c -> line.append('\t').append(c.name()).append('=').append(hash(c.probabilities()))
                        .append(',').append(Long.toHexString(Double.doubleToRawLongBits(c.inDomain()))));
                line.append("\tembedding=").append(hash(s.embedding())).append("\tsha256=").append(s.sha256(), 0, 16);
                out.add(line.toString());
            }
        }
        return out;
    }

    static String hash(float[] v) {
        try {
            ByteBuffer b = ByteBuffer.allocate(v.length * 4);
            for (float f : v) {
                b.putInt(Float.floatToRawIntBits(f));
            }
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()), 0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Records the golden file (run from the repository root with the test classpath). */
    public static void main(String[] args) throws IOException {
        try (Engine e = new Engine(Path.of("packs/mobilenetv2-default"), Path.of("../shared"), 2)) {
            Path file = Path.of("imagescore-core/src/test/resources/" + GOLDEN);
            Files.createDirectories(file.getParent());
            Files.write(file, lines(e));
        }
    }
}
