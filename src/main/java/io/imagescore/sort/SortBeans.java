package io.imagescore.sort;

import io.imagescore.score.ScoringPipeline;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.nio.file.Path;

/** CDI wiring for the plain sort classes (the CLI and batch tool build them directly). */
@ApplicationScoped
public class SortBeans {

    @Produces
    @Singleton
    SetSorter setSorter(ScoringPipeline pipeline) {
        return new SetSorter(pipeline);
    }

    /** {@code imagescore.data-dir}: where tenant configuration (regulations, …) lives; git-ignored {@code data/} by default. */
    @Produces
    @Singleton
    RegulationStore regulationStore(@ConfigProperty(name = "imagescore.data-dir", defaultValue = "data") Path dataDir) {
        return new RegulationStore(dataDir);
    }
}
