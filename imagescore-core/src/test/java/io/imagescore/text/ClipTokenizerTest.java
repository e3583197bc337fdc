package io.imagescore.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.model.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

class ClipTokenizerTest {

    private static final Path SHARED = Path.of(System.getProperty("imagescore.shared", "../shared"));
    private static final Path TOKENIZER_DIR = SHARED.resolve("models/clip-tokenizer");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ClipTokenizer tokenizer;
    private static List<GoldenCase> golden;

    record GoldenCase(String text, int[] ids) {
    }

    @BeforeAll
    static void load() throws IOException {
        tokenizer = ClipTokenizer.load(TOKENIZER_DIR.resolve("bpe_simple_vocab_16e6.txt.gz"));
        JsonNode root = JSON.readTree(TOKENIZER_DIR.resolve("clip-tokenizer-golden.json").toFile());
        golden = new ArrayList<>();
        for (JsonNode c : root.get("cases")) {
            golden.add(new GoldenCase(c.get("text").asText(), JSON.convertValue(c.get("ids"), int[].class)));
        }
    }

    @Test
    void golden_file_has_all_its_cases() {
        assertThat(golden).hasSize(122);
    }

    @TestFactory
    Stream<DynamicTest> reproduces_every_golden_case_exactly() {
        return golden.stream().map(c -> DynamicTest.dynamicTest("\"" + escape(c.text()) + "\"", () ->
                assertThat(tokenizer.encode(c.text()))
                        .as("ids of \"%s\"", escape(c.text()))
                        .containsExactly(c.ids())));
    }

    @Test
    void vocabulary_and_special_tokens_are_clips() {
        assertThat(tokenizer.vocabSize()).isEqualTo(49408);
        assertThat(tokenizer.startId()).isEqualTo(49406);
        assertThat(tokenizer.endId()).isEqualTo(49407);
    }

    @Test
    void tiny_clip_golden_input_ids_come_out_of_the_batch_tensor() throws IOException {
        JsonNode root = JSON.readTree(SHARED.resolve("models/clip-tiny/tiny-clip-golden.json").toFile());
        List<String> texts = new ArrayList<>();
        root.get("texts").forEach(t -> texts.add(t.asText()));
        long[][] expected = JSON.convertValue(root.get("input_ids"), long[][].class);

        Tensor batch = tokenizer.encodeBatch(texts);

        assertThat(batch.type()).isEqualTo(Tensor.DataType.INT64);
        assertThat(batch.shape()).containsExactly(texts.size(), 77);
        for (int i = 0; i < texts.size(); i++) {
            long[] row = Arrays.copyOfRange(batch.longs(), i * 77, (i + 1) * 77);
            assertThat(row).as("row of \"%s\"", texts.get(i)).containsExactly(expected[i]);
        }
    }

    @Test
    void padded_row_is_the_ids_followed_by_zeros() {
        long[] row = tokenizer.encodePadded("a photo of a cat", 77);

        assertThat(row).hasSize(77);
        assertThat(Arrays.copyOf(row, 7)).containsExactly(49406, 320, 1125, 539, 320, 2368, 49407);
        assertThat(Arrays.copyOfRange(row, 7, 77)).containsOnly(0L);
    }

    @Test
    void long_text_is_cut_to_the_context_keeping_the_end_token() {
        String text = "word ".repeat(200);

        int[] ids = tokenizer.encode(text);
        long[] row = tokenizer.encodePadded(text, 77);

        assertThat(ids).hasSize(77);
        assertThat(ids[0]).isEqualTo(49406);
        assertThat(ids[76]).isEqualTo(49407);
        assertThat(Arrays.copyOfRange(ids, 1, 76)).containsOnly(2653);
        assertThat(row).containsExactly(Arrays.stream(ids).asLongStream().toArray());
    }

    @Test
    void a_smaller_context_cuts_at_its_own_length() {
        assertThat(tokenizer.encode("a photo of a cat", 5)).containsExactly(49406, 320, 1125, 539, 49407);
        assertThat(tokenizer.encodePadded("a photo of a cat", 10))
                .containsExactly(49406, 320, 1125, 539, 320, 2368, 49407, 0, 0, 0);
        assertThat(tokenizer.encode("a photo of a cat", 7)).containsExactly(49406, 320, 1125, 539, 320, 2368, 49407);
    }

    @Test
    void text_exactly_filling_the_context_is_not_changed() {
        String text = "word ".repeat(75);

        int[] ids = tokenizer.encode(text);

        assertThat(ids).hasSize(77);
        assertThat(Arrays.copyOfRange(ids, 1, 76)).containsOnly(2653);
        assertThat(tokenizer.encode("word ".repeat(76))).isEqualTo(ids);
    }

    @Test
    void context_without_room_for_start_and_end_is_rejected() {
        assertThatThrownBy(() -> tokenizer.encode("x", 1)).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * Greek capital sigma lower-cases like Python's {@code str.lower()} (OpenAI's tokenizer): word-final "ς" (byte
     * symbol id 480) only after a cased letter and not before one, case-ignorable characters skipped. Expected ids from
     * a Python re-implementation of OpenAI's simple_tokenizer that also reproduces every golden case.
     */
    @Test
    void capital_sigma_becomes_final_sigma_exactly_where_python_lower_does() {
        assertThat(tokenizer.encode("\u039f\u0394\u039f\u03a3")).containsExactly(49406, 138, 123, 138, 112, 138, 123, 139, 480, 49407);
        assertThat(tokenizer.encode("\u03a36")).containsExactly(49406, 139, 481, 277, 49407);
        assertThat(tokenizer.encode("x6\u03a3")).containsExactly(49406, 343, 277, 139, 481, 49407);
        assertThat(tokenizer.encode("\u039f\u0394\u039f\u03a3\u200b\u0391"))
                .containsExactly(49406, 138, 123, 138, 112, 138, 123, 139, 481, 9844, 138, 365, 49407);
        assertThat(tokenizer.encode("T\u200b\u03a3_m")).containsExactly(49406, 339, 9844, 139, 480, 318, 332, 49407);
    }

    @Test
    void special_token_text_maps_to_the_special_ids_like_openai() {
        assertThat(tokenizer.encode("cat<|endoftext|>")).containsExactly(49406, 2368, 49407, 49407);
    }

    @Test
    void decode_returns_the_normalised_text() {
        assertThat(tokenizer.decode(tokenizer.encode("  A Photo of a CAFÉ &amp; 明るい写真 ")))
                .isEqualTo("<|startoftext|>a photo of a café & 明るい写真 <|endoftext|>");
    }

    @Test
    void stream_factory_equals_path_constructor() throws IOException {
        ClipTokenizer fromStream;
        try (InputStream in = Files.newInputStream(TOKENIZER_DIR.resolve("bpe_simple_vocab_16e6.txt.gz"))) {
            fromStream = ClipTokenizer.fromStream(in);
        }
        for (GoldenCase c : golden) {
            assertThat(fromStream.encode(c.text())).as(escape(c.text())).containsExactly(tokenizer.encode(c.text()));
        }
    }

    @Test
    void missing_merges_file_is_an_invalid_pack() {
        assertThatThrownBy(() -> ClipTokenizer.load(TOKENIZER_DIR.resolve("no-such-file.txt.gz")))
                .isInstanceOf(ImageScoreException.class)
                .satisfies(e -> assertThat(((ImageScoreException) e).code()).isEqualTo(ErrorCode.INVALID_PACK));
    }

    @Test
    void concurrent_encoding_gives_the_same_ids_as_sequential() throws Exception {
        ClipTokenizer fresh = ClipTokenizer.load(TOKENIZER_DIR.resolve("bpe_simple_vocab_16e6.txt.gz"));
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                results.add(pool.submit(() -> {
                    for (int round = 0; round < 20; round++) {
                        for (GoldenCase c : golden) {
                            if (!Arrays.equals(fresh.encode(c.text()), c.ids())) {
                                return false;
                            }
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> r : results) {
                assertThat(r.get()).isTrue();
            }
        }
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().forEach(cp -> {
            if (cp < 0x20) {
                b.append(String.format("\\u%04x", cp));
            } else {
                b.appendCodePoint(cp);
            }
        });
        return b.length() > 80 ? b.substring(0, 80) + "..." : b.toString();
    }
}
