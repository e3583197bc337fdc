package io.imagescore.scorecache;

import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import io.imagescore.store.StateStores;
import org.jboss.logging.Logger;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.Optional;

/**
 * The service's score store; {@code imagescore.score-store.max-bytes} = 0 turns it off (an empty Optional). Its
 * shared tier (results every replica serves, docs/experiments.md) is on with {@code imagescore.store.kind=postgresql}
 * unless {@code imagescore.score-store.shared-enabled=false}; {@code shared-enabled=true} turns it on with the local
 * state store too, on the default datasource.
 */
@ApplicationScoped
public class ScoreStoreBeans {
    private static final Logger LOG = Logger.getLogger(ScoreStoreBeans.class);

    @ConfigProperty(name = "imagescore.score-store.max-bytes", defaultValue = "268435456")
    long maxBytes;
    /** Unset: on exactly when the state store is PostgreSQL. */
    @ConfigProperty(name = "imagescore.score-store.shared-enabled")
    Optional<Boolean> sharedEnabled;
    /** Bound of the shared tier's stored results (JSON bytes), 1 GiB by default. */
    @ConfigProperty(name = "imagescore.score-store.shared-max-bytes", defaultValue = "1073741824")
    long sharedMaxBytes;
    @Inject
    StateStores stateStores;

    @Produces
    @Singleton
    Optional<ScoreStore> scoreStore(MeterRegistry registry) {
        if (maxBytes < 0) {
            throw new IllegalStateException("imagescore.score-store.max-bytes must be ≥ 0, got " + maxBytes);
        }
        if (maxBytes == 0) {
            return Optional.empty();
        }
        SharedScores shared = null;
        if (sharedEnabled.orElseGet(stateStores::postgresql)) {
            if (sharedMaxBytes <= 0) {
                throw new IllegalStateException("imagescore.score-store.shared-max-bytes must be > 0, got " + sharedMaxBytes);
            }
            shared = stateStores.sharedScores(sharedMaxBytes);
            LOG.infof("score store: memory (%d bytes) backed by %s (%d bytes)", maxBytes, shared.describe(), sharedMaxBytes);
        }
        return Optional.of(new ScoreStore(maxBytes, registry, shared));
    }
}
