package io.imagescore.config;

import io.imagescore.api.ApiConfig;
import io.imagescore.api.QuotaConfig;
import io.imagescore.api.RetentionConfig;
import io.imagescore.api.SecurityConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** The groups of {@link ImageScoreConfig} the server's own beans inject on their own. */
@ApplicationScoped
public class ConfigBeans {

    @Produces
    @Singleton
    ApiConfig api(ImageScoreConfig config) {
        return config.api();
    }

    @Produces
    @Singleton
    LimitsConfig limits(ImageScoreConfig config) {
        return config.limits();
    }

    @Produces
    @Singleton
    SecurityConfig security(ImageScoreConfig config) {
        return config.security();
    }

    @Produces
    @Singleton
    QuotaConfig quotas(ImageScoreConfig config) {
        return config.quotas();
    }

    @Produces
    @Singleton
    RetentionConfig retention(ImageScoreConfig config) {
        return config.retention();
    }
}
