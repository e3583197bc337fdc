package io.imagescore.pack;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.image.PreprocessMode;
import io.imagescore.image.Preprocessor;

import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;

/**
 * A learned head is only valid on the pixels it was trained on: its head.json records the preprocessing id of its
 * training pipeline (decoder, resampler, spec, mode). A pack is refused — server start-up and CLI alike — when this
 * machine's pipeline would give any of its heads other pixels, e.g. JPEGs through ImageIO because libjpeg-turbo is
 * missing, instead of serving scores that silently drift under an unchanged pack hash.
 */
public final class PixelPipelines {
    private PixelPipelines() {
    }

    public static void requireMatching(ModelPack pack, Preprocessor preprocessor) {
        for (Map.Entry<String, NavigableMap<String, HeadVersion>> head : pack.heads().entrySet()) {
            for (HeadVersion hv : head.getValue().values()) {
                String trained = hv.training() == null ? "" : hv.training().path("preprocessing_id").asText("");
                if (trained.isEmpty()) {
                    continue; // not learned from pixels here (e.g. the encoder's own ImageNet logits)
                }
                PreprocessMode mode = trained.endsWith("/fast") ? PreprocessMode.FAST : PreprocessMode.EXACT;
                String here = preprocessor.preprocessingId(pack.preprocessing(), mode);
                if (!here.equals(trained)) {
                    String hint = here.contains("/imageio/") && trained.contains("/turbojpeg")
                            ? "libjpeg-turbo (libturbojpeg.so.0) cannot be loaded here: install the Debian package libturbojpeg0"
                            : "retrain the head on this pipeline or run the pipeline it was trained on";
                    throw new ImageScoreException(ErrorCode.INVALID_PACK, String.format(Locale.ROOT,
                            "pack %s: head %s@%s was trained on pixels from %s but this machine's pipeline is %s; %s",
                            pack.name(), head.getKey(), hv.version(), trained, here, hint));
                }
            }
        }
    }
}
