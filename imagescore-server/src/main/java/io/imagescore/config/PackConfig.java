package io.imagescore.config;

import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.util.List;

/** The packs this server serves. */
public interface PackConfig {

    /** Pack directories (each holding a pack.json) loaded at start-up. */
    @WithDefault("packs/mobilenetv2-default")
    List<Path> dirs();

    /** Pack used when a request names none; empty = the first in {@link #dirs()}. */
    @WithDefault("mobilenetv2-default")
    String defaultPack();

    /** What {@code ${shared}} in a manifest means: the directory holding the shared models/ and data/. */
    @WithDefault("../shared")
    Path sharedDir();
}
