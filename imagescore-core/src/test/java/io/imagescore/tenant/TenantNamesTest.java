package io.imagescore.tenant;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

public class TenantNamesTest {
    /** Hostile names every RPC must refuse; shared with the gRPC test. */
    public static final List<String> HOSTILE = List.of("../x", "..", ".", "/etc/x", "a/b", "a\\b", "x\0y", "x\ny", "x\u0007",
            "\u0430cme" /* Cyrillic а */, "\uff41\uff43\uff4d\uff45" /* fullwidth acme */, "Acme", "a b", "-x", ".hidden",
            "x".repeat(10 * 1024), "a".repeat(65));

    @Test
    void names_in_use_are_valid() {
        // default pack heads, pack names, prompt-set and regulation names of the tests
        for (String ok : List.of("default", "quality", "quality_fast", "room_type", "apparel", "imagenet", "aesthetic",
                "mobilenetv2-default", "clip-vit-b32", "clip-tiny", "listing", "acme", "test_quality", "a", "0",
                "v1.2", "a".repeat(64))) {
            assertThat(TenantNames.check("name", ok)).isEqualTo(ok);
        }
    }

    @Test
    void hostile_names_are_invalid_request_with_the_rule_and_a_safe_echo() {
        for (String bad : HOSTILE) {
            ImageScoreException e = catchThrowableOfType(ImageScoreException.class, () -> TenantNames.check("tenant", bad));
            assertThat(e).as("%s", TenantNames.quote(bad)).isNotNull();
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
            assertThat(e.code().status()).isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
            assertThat(e.getMessage()).startsWith("tenant '").contains("must be 1-64 characters: lowercase ASCII letters");
            assertThat(e.getMessage()).hasSizeLessThan(300).doesNotContain("\0", "\n", "\u0007", "\u0430", "\uff41");
            assertThat(e.metadata()).containsEntry("field", "tenant").containsEntry("rule", "name");
        }
        assertThat(catchThrowableOfType(ImageScoreException.class, () -> TenantNames.check("tenant", ""))).isNotNull();
        assertThat(catchThrowableOfType(ImageScoreException.class, () -> TenantNames.check("tenant", null))).isNotNull();
    }

    @Test
    void empty_means_default_or_none_where_allowed() {
        assertThat(TenantNames.tenant("")).isEqualTo("default");
        assertThat(TenantNames.tenant("acme")).isEqualTo("acme");
        assertThat(TenantNames.checkOptional("prompt_set", "")).isEmpty();
        assertThat(TenantNames.checkOptionalVersion("version", "")).isEmpty();
        assertThat(catchThrowableOfType(ImageScoreException.class, () -> TenantNames.tenant("../x")).code())
                .isEqualTo(ErrorCode.INVALID_REQUEST);
    }

    @Test
    void versions_are_positive_numbers_of_at_most_nine_digits() {
        for (String ok : List.of("1", "2", "10", "999999999")) {
            assertThat(TenantNames.checkVersion("version", ok)).isEqualTo(ok);
        }
        for (String bad : List.of("", "0", "01", "-1", "x", "1.0", "../1", "1/../../x", "99999999999", "1000000000", "1\0",
                "\uff11" /* fullwidth 1 */, "\u0661" /* Arabic-Indic 1 */)) {
            ImageScoreException e = catchThrowableOfType(ImageScoreException.class, () -> TenantNames.checkVersion("version", bad));
            assertThat(e).as("%s", TenantNames.quote(bad)).isNotNull();
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
            assertThat(e.getMessage()).contains("must be a positive whole number");
            assertThat(e.metadata()).containsEntry("rule", "version");
        }
    }

    @Test
    void quote_escapes_and_cuts() {
        assertThat(TenantNames.quote("a\0b\n\u0430")).isEqualTo("'a\\u0000b\\u000a\\u0430'");
        assertThat(TenantNames.quote("x".repeat(10240))).isEqualTo("'" + "x".repeat(64) + "'… (10240 characters)");
        assertThat(TenantNames.quote(null)).isEqualTo("(none)");
    }
}
