package io.imagescore.config;

import io.imagescore.api.ApiConfig;
import io.imagescore.api.QuotaConfig;
import io.imagescore.api.RetentionConfig;
import io.imagescore.api.SecurityConfig;
import io.imagescore.image.Preprocessor;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Every {@code imagescore.*} key the server reads, one tree (docs/configuration.md is generated from it). The groups
 * are injectable on their own ({@link ConfigBeans}); core classes get what they need through their constructors
 * ({@link CoreBeans}), never from configuration themselves.
 */
@ConfigMapping(prefix = "imagescore")
public interface ImageScoreConfig {

    /**
     * Writable state of the local store (fitted heads, prompt sets, regulations, experiments, rating campaigns); one
     * server per directory, locked at start ({@code imagescore.lock}, {@link StateStores}).
     */
    @WithDefault("data")
    Path dataDir();

    ApiConfig api();

    LimitsConfig limits();

    ImageConfig image();

    PackConfig packs();

    BackendConfig backend();

    SecurityConfig security();

    QuotaConfig quotas();

    RetentionConfig retention();

    Store store();

    @WithName("score-store")
    ScoreStore scoreStore();

    Fit fit();

    Rating rating();

    @WithName("turbojpeg")
    TurboJpeg turboJpeg();

    Resampler resampler();

    /** Where tenant state lives (docs/state-store.md). */
    interface Store {
        /** local (files under {@code imagescore.data-dir}) or postgresql (the default datasource's database). */
        @WithDefault("local")
        String kind();
    }

    /** The result cache of Score calls. */
    interface ScoreStore {
        /** Bytes of stored results; 0 turns the store off. */
        @WithDefault("268435456")
        long maxBytes();

        /**
         * The shared tier (results every replica serves, docs/experiments.md) on the state store's database. Unset: on
         * exactly when {@code imagescore.store.kind=postgresql}; true with the local store needs the default
         * datasource ({@code quarkus.datasource.jdbc.url}).
         */
        Optional<Boolean> sharedEnabled();

        /** Bound of the shared tier's stored results (JSON bytes). */
        @WithDefault("1073741824")
        long sharedMaxBytes();
    }

    /** Head fitting's embedding cache. */
    interface Fit {
        /** (image, view) embeddings kept in memory; 1280-d MobileNetV2 features are 5 KB each, so 20,000 hold ~100 MB. */
        @WithDefault("20000")
        int cacheMaxEntries();

        /** Optional directory mirroring the cache across restarts. */
        Optional<Path> cacheDir();
    }

    /** Rating campaigns (docs/rating.md). */
    interface Rating {
        /**
         * Heap bound (an estimate) of the campaigns' judgement logs and selection posteriors kept in memory between a
         * rater's requests (core rating/CampaignPosteriors); a 500-image pairwise campaign with 20,000 entries is ~5 MB.
         * 0 keeps none: every request rebuilds them from the store.
         */
        @WithDefault("67108864")
        long posteriorCacheBytes();
    }

    /** JPEG decoding through libjpeg-turbo (docs/architecture.md). */
    interface TurboJpeg {
        /** The library to bind; another name simulates a machine without it. */
        @WithDefault(Preprocessor.TURBOJPEG_LIBRARY)
        String library();

        /** true: JPEGs decode through ImageIO (packs whose heads were fitted on libjpeg-turbo pixels then refuse to load). */
        @WithDefault("false")
        boolean disabled();
    }

    /** The Pillow-exact bicubic resampler. */
    interface Resampler {
        /**
         * false forces its scalar passes (same bytes, slower); true uses the Vector API where the JVM has it, once a
         * background warm-up has it compiled and faster than the scalar passes (core image/VectorWarmUp).
         */
        @WithDefault("true")
        boolean vector();
    }
}
