package io.imagescore.image;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

/** CDI wiring of the image package (the classes themselves stay framework-free for plain unit tests and the CLI). */
@ApplicationScoped
public class ImageBeans {

    @Produces
    @ApplicationScoped
    Preprocessor preprocessor() {
        return new Preprocessor();
    }
}
