package io.imagescore.scorecache;

import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.Optional;

/** The service's score store; {@code imagescore.score-store.max-bytes} = 0 turns it off (an empty Optional). */
@ApplicationScoped
public class ScoreStoreBeans {
    @ConfigProperty(name = "imagescore.score-store.max-bytes", defaultValue = "268435456")
    long maxBytes;

    @Produces
    @Singleton
    Optional<ScoreStore> scoreStore(MeterRegistry registry) {
        if (maxBytes < 0) {
            throw new IllegalStateException("imagescore.score-store.max-bytes must be ≥ 0, got " + maxBytes);
        }
        return maxBytes == 0 ? Optional.empty() : Optional.of(new ScoreStore(maxBytes, registry));
    }
}
