package io.imagescore.pack;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The optional text_encoder block of pack.json: loaded, hashed, and every mistake named by file and key. */
class PackLoaderTextEncoderTest {
    static final Path CLIP_TINY = Path.of("imagescore-core/src/test/resources/packs/clip-tiny");
    static final String IMAGE_TOWER = "tiny-clip-image-spatial.onnx";
    final PackLoader loader = new PackLoader(Shared.dir());

    @TempDir
    Path tmp;

    Path variant(String from, String to) throws IOException {
        String json = Files.readString(CLIP_TINY.resolve("pack.json"));
        assertThat(json).contains(from);
        Files.writeString(tmp.resolve("pack.json"), json.replace(from, to));
        return withImageTower();
    }

    /** The pack's own image tower beside the edited pack.json (its other files are ${shared} paths). */
    Path withImageTower() throws IOException {
        Files.copy(CLIP_TINY.resolve(IMAGE_TOWER), tmp.resolve(IMAGE_TOWER), StandardCopyOption.REPLACE_EXISTING);
        return tmp;
    }

    String problem(Path dir) {
        ImageScoreException e = catchThrowableOfType(ImageScoreException.class, () -> loader.load(dir));
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PACK);
        return e.getMessage();
    }

    @Test
    void loads_text_encoder_and_hashes_its_files() throws IOException {
        ModelPack pack = loader.load(CLIP_TINY);
        assertThat(pack.textEncoder().model().id()).isEqualTo("clip-tiny/text-encoder");
        assertThat(pack.textEncoder().model().file()).isRegularFile();
        assertThat(pack.textEncoder().inputName()).isEqualTo("input_ids");
        assertThat(pack.textEncoder().tokenizer()).isRegularFile();
        // changing the logit scale changes the pack's identity
        assertThat(loader.load(variant("\"logit_scale\": 14.284855842590332", "\"logit_scale\": 100")).contentHash())
                .isNotEqualTo(pack.contentHash());
    }

    @Test
    void mistakes_name_the_file_and_key() throws IOException {
        assertThat(problem(variant("\"text_encoder\": {", "\"text_encodr\": {")))
                .contains("pack.json: unknown key 'text_encodr'");
        assertThat(problem(variant("{\"name\": \"text_embeds\", \"datatype\": \"FP32\", \"shape\": [-1, 16]}",
                "{\"name\": \"text_embeds\", \"datatype\": \"FP32\", \"shape\": [-1, 32]}")))
                .endsWith("pack.json: text_encoder.output: text embedding size 32 differs from the image embedding 'image_embeds' size 16; CLIP compares them by cosine");
        assertThat(problem(variant("\"context_length\": 77", "\"context_length\": 64")))
                .endsWith("text_encoder.input: must be INT64 token ids of shape [-1, 64] (context_length), got INT64 [-1, 77]");
        assertThat(problem(variant("\"logit_scale\": 14.284855842590332", "\"logit_scale\": -1")))
                .contains("text_encoder.logit_scale: required: a positive number");
        assertThat(problem(variant("bpe_simple_vocab_16e6.txt.gz", "missing.txt.gz")))
                .contains("file '${shared}/models/clip-tokenizer/missing.txt.gz' not found");
    }

    @Test
    void a_pack_needs_heads_or_a_text_encoder() throws IOException {
        String json = Files.readString(CLIP_TINY.resolve("pack.json"));
        int start = json.indexOf(",\n  \"text_encoder\"");
        Files.writeString(tmp.resolve("pack.json"), json.substring(0, start) + "\n}\n");
        assertThat(problem(withImageTower())).contains("the pack declares no heads").contains("and no text_encoder for prompt scores");
    }
}
