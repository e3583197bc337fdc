package io.imagescore.sort;

import io.imagescore.score.ScoringPipeline;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** CDI wiring for the plain sort classes (the CLI and batch tool build them directly); the RegulationStore comes from store/StateStores. */
@ApplicationScoped
public class SortBeans {

    @Produces
    @Singleton
    SetSorter setSorter(ScoringPipeline pipeline) {
        return new SetSorter(pipeline);
    }
}
