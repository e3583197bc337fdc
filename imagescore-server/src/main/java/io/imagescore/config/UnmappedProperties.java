package io.imagescore.config;

import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.SmallRyeConfigBuilderCustomizer;

/**
 * {@code imagescore.*} names that are not settings, which the one {@link ImageScoreConfig} tree would otherwise refuse
 * at start-up as unknown (every other unknown {@code imagescore.*} key does stop the start: a typo is not ignored):
 * the build's and tests' system properties {@code imagescore.root} and {@code imagescore.shared} (the latter also
 * feeds {@code imagescore.packs.shared-dir} in application.properties) and test switches such as
 * {@code imagescore.config-doc.write}. Found through META-INF/services.
 */
public class UnmappedProperties implements SmallRyeConfigBuilderCustomizer {
    @Override
    public void configBuilder(SmallRyeConfigBuilder builder) {
        builder.withMappingIgnore("imagescore.root")
                .withMappingIgnore("imagescore.shared")
                .withMappingIgnore("imagescore.config-doc.write")
                .withMappingIgnore("imagescore.shutdown.rounds")
                .withMappingIgnore("imagescore.test.pg-app-schema");
    }
}
