package io.imagescore.pack;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.image.Preprocessor;
import io.imagescore.model.onnx.OnnxBackend;
import io.imagescore.store.LocalHeadFileStore;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Loading in the background (the server's start-up) serves what a load in the constructor serves, and fails the same. */
class PackRegistryTest {
    @TempDir
    Path data;

    private PackRegistry registry(OnnxBackend backend, String defaultPack, boolean inBackground) {
        return new PackRegistry(new PackRegistry.Settings(List.of(Shared.root().resolve("packs/mobilenetv2-default")),
                defaultPack, Shared.dir(), data), backend, new Preprocessor(), LocalHeadFileStore.forDataDir(data), inBackground);
    }

    @Test
    void a_background_load_serves_the_same_packs_once_loaded() {
        try (OnnxBackend sync = new OnnxBackend(new OnnxBackend.Config(1)); OnnxBackend async = new OnnxBackend(new OnnxBackend.Config(1))) {
            PackRegistry expected = registry(sync, "mobilenetv2-default", false);
            assertThat(expected.loaded()).isTrue();
            PackRegistry background = registry(async, "mobilenetv2-default", true);
            ModelPack pack = background.get("acme", ""); // waits for the load
            assertThat(background.loaded()).isTrue();
            assertThat(async.ready()).isTrue();
            assertThat(pack.contentHash()).isEqualTo(expected.get("acme", "").contentHash());
            assertThat(background.builtInPacks()).extracting(ModelPack::name).containsExactly("mobilenetv2-default");
        }
    }

    @Test
    void a_broken_configuration_fails_the_background_load_with_the_constructors_error() {
        try (OnnxBackend backend = new OnnxBackend(new OnnxBackend.Config(1))) {
            ImageScoreException sync = catchThrowableOfType(ImageScoreException.class, () -> registry(backend, "no-such-pack", false));
            PackRegistry background = registry(backend, "no-such-pack", true); // returns at once
            ImageScoreException waited = catchThrowableOfType(ImageScoreException.class, background::awaitLoaded);
            assertThat(waited).isNotNull();
            assertThat(waited.code()).isEqualTo(ErrorCode.INVALID_PACK);
            assertThat(waited).hasMessage(sync.getMessage()).hasMessageContaining("'no-such-pack' is not among the loaded packs");
            assertThat(background.loaded()).isFalse();
            assertThat(catchThrowableOfType(ImageScoreException.class, () -> background.get("acme", ""))).isSameAs(waited);
        }
    }
}
