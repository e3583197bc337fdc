package io.imagescore.image;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

/** CDI wiring of the image package (the classes themselves stay framework-free for plain unit tests and the CLI). */
@ApplicationScoped
public class ImageBeans {

    @Produces
    @ApplicationScoped
    Preprocessor preprocessor(ImageConfig config) {
        // availableProcessors() honours cgroup CPU quotas (JDK container support), so the default fits the container
        return new Preprocessor(config.limits(),
                config.concurrentDecodes().orElse(Runtime.getRuntime().availableProcessors()));
    }
}
