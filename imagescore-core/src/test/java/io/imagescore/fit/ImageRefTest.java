package io.imagescore.fit;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.image.View;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** A client-sent sha256 becomes part of a cache file name only as exactly 64 lowercase hex characters. */
class ImageRefTest {
    static final String GOOD = "0123456789abcdef".repeat(4);

    @Test
    void only_64_lowercase_hex_characters_are_a_sha256() {
        assertThat(ImageRef.ofHash("i", GOOD).sha256()).isEqualTo(GOOD);
        for (String bad : List.of("", "ab", GOOD.substring(1), GOOD + "0", GOOD.toUpperCase(), "../../" + GOOD.substring(6),
                "/etc/passwd", GOOD.substring(1) + "g", GOOD.substring(1) + "\0", GOOD.substring(1) + "/",
                "\uff10" + GOOD.substring(1) /* fullwidth 0 */)) {
            ImageScoreException e = catchThrowableOfType(ImageScoreException.class, () -> ImageRef.ofHash("i", bad));
            assertThat(e).as("'%s'", bad).isNotNull();
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
            assertThat(e.getMessage()).contains("must be exactly 64 lowercase hex characters");
            assertThat(e.metadata()).containsEntry("field", "sha256");
        }
        assertThat(catchThrowableOfType(ImageScoreException.class, () -> ImageRef.ofHash("i", null))).isNotNull();
    }

    @Test
    void the_disk_cache_never_turns_a_bad_hash_into_a_path(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("cache");
        EmbeddingCache cache = new EmbeddingCache(10, dir);
        View view = View.parse("center");
        EmbeddingCache.Entry entry = new EmbeddingCache.Entry(1, new float[] {1, 2});
        for (String bad : List.of("../../escaped", "/" + tmp.resolve("abs"), "a")) {
            EmbeddingCache.Key key = new EmbeddingCache.Key("enc", bad, view);
            cache.put(key, entry); // kept in memory, never written
            assertThat(cache.get(key)).isSameAs(entry);
        }
        assertThat(dir).doesNotExist();
        try (Stream<Path> all = Files.walk(tmp)) {
            assertThat(all.filter(p -> !p.equals(tmp)).toList()).isEmpty();
        }
        // a good hash is mirrored to disk and read back by a fresh cache
        cache.put(new EmbeddingCache.Key("enc", GOOD, view), entry);
        assertThat(new EmbeddingCache(10, dir).get(new EmbeddingCache.Key("enc", GOOD, view)).mean()).containsExactly(1, 2);
    }
}
