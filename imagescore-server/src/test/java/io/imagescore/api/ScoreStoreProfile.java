package io.imagescore.api;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.Map;

/** The service with the score store on (it is off in the other tests, which count model calls). */
public class ScoreStoreProfile implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("imagescore.score-store.max-bytes", "67108864");
    }
}
