package io.imagescore.fit;

import io.imagescore.score.ScoringPipeline;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.nio.file.Path;
import java.util.Optional;

/** CDI wiring of fitting (the classes stay framework-free for unit tests and the CLI). */
@ApplicationScoped
public class FitBeans {

    /**
     * @param maxEntries (image, view) embeddings kept in memory; 1280-d MobileNetV2 features are 5 KB each, so the
     *                   default 20,000 holds ~100 MB
     * @param dir        optional directory mirroring the cache across restarts
     */
    @Produces
    @ApplicationScoped
    FitService fitService(ScoringPipeline pipeline,
                          @ConfigProperty(name = "imagescore.fit.cache-max-entries", defaultValue = "20000") int maxEntries,
                          @ConfigProperty(name = "imagescore.fit.cache-dir") Optional<Path> dir) {
        return new FitService(pipeline, new EmbeddingCache(maxEntries, dir.orElse(null)));
    }
}
