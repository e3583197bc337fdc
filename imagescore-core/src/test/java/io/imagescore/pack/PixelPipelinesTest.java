package io.imagescore.pack;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.image.Preprocessor;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * A machine without libjpeg-turbo (simulated: the loader pointed at a library name that does not exist) would decode
 * JPEGs through ImageIO — other pixels than the default heads were trained on. The pack is refused with one line
 * that says what to install, instead of being served with drifting scores (before: one WARNING, then served).
 */
class PixelPipelinesTest {
    static final ModelPack PACK = new PackLoader(Shared.dir()).load(Path.of("packs/mobilenetv2-default"));

    @Test
    void without_libjpeg_turbo_the_default_pack_is_refused_naming_the_package_to_install() {
        Preprocessor noTurbo = Preprocessor.withTurboJpegLibrary("libturbojpeg-not-installed.so.0");
        assertThat(noTurbo.preprocessingId(PACK.preprocessing(), io.imagescore.image.PreprocessMode.EXACT)).contains("/imageio/");
        assertThatThrownBy(() -> PixelPipelines.requireMatching(PACK, noTurbo))
                .isInstanceOfSatisfying(ImageScoreException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PACK))
                .hasMessageStartingWith("pack mobilenetv2-default: head ")
                .hasMessageContaining(" was trained on pixels from pil94-bicubic-v1/turbojpeg/")
                .hasMessageContaining("install the Debian package libturbojpeg0");
    }

    @Test
    void with_libjpeg_turbo_every_head_matches_its_training_pipeline() {
        assertThatCode(() -> PixelPipelines.requireMatching(PACK, Preprocessor.withTurboJpegLibrary("libturbojpeg.so.0")))
                .doesNotThrowAnyException();
    }
}
