package io.imagescore.score;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class ScoreRefTest {

    @Test
    void parses_name_and_name_at_version() {
        assertThat(ScoreRef.parse("quality")).isEqualTo(new ScoreRef("quality", null));
        assertThat(ScoreRef.parse("quality").hasVersion()).isFalse();
        assertThat(ScoreRef.parse("quality@2")).isEqualTo(new ScoreRef("quality", "2"));
        assertThat(ScoreRef.parse("room_type@10").version()).isEqualTo("10");
        assertThat(ScoreRef.parse("quality_fast@1").toString()).isEqualTo("quality_fast@1");
    }

    @Test
    void malformed_references_are_invalid_request_not_number_format_errors() {
        for (String bad : List.of("", "quality@", "quality@x", "quality@99999999999", "quality@99999999999999999999999", "@1",
                "@", "quality@0", "quality@01", "quality@-1", "quality@1@2", "quality@../1", "../x@1", "Quality", "qu ality",
                "/etc/x", "x\0", "\u0430cme@1", "x".repeat(10240) + "@1")) {
            ImageScoreException e = catchThrowableOfType(ImageScoreException.class, () -> ScoreRef.parse(bad));
            assertThat(e).as("'%s'", bad.length() > 80 ? bad.substring(0, 80) : bad).isNotNull();
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
            assertThat(e.getMessage()).containsAnyOf("must be 1-64 characters", "must be a positive whole number", "is empty");
        }
        assertThat(catchThrowableOfType(ImageScoreException.class, () -> ScoreRef.parse(null)).code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(catchThrowableOfType(ImageScoreException.class, () -> ScoreRef.parse("quality@x")).getMessage())
                .isEqualTo("score 'quality@x': the version after '@' must be a positive whole number of at most 9 digits without leading zeros");
    }
}
