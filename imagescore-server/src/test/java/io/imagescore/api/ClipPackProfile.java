package io.imagescore.api;

import io.imagescore.testing.Shared;
import io.quarkus.test.junit.QuarkusTestProfile;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Map;

/**
 * The service with the default pack plus the tiny CLIP test pack, prompt sets in a fresh temporary data dir, and the
 * score store on as in production (its key covers the prompt set).
 */
public class ClipPackProfile implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
        try {
            return Map.of(
                    "imagescore.packs.dirs", Shared.root().resolve("packs/mobilenetv2-default") + ","
                            + Shared.root().resolve("imagescore-core/src/test/resources/packs/clip-tiny"),
                    "imagescore.data-dir", Files.createTempDirectory("imagescore-data").toString(),
                    "imagescore.score-store.max-bytes", "67108864");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
