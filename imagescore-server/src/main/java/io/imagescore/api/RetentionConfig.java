package io.imagescore.api;

import io.smallrye.config.WithDefault;

/**
 * How many versions a tenant's heads and prompt sets keep (docs/state-store.md, "Retention"): the active version and
 * the newest {@code N} others; older ones are deleted when a new version is stored. 0 = keep every version (then the
 * version quotas bound them).
 */
public interface RetentionConfig {
    /** Versions of a fitted head kept besides the active (newest) one. */
    @WithDefault("10")
    int headVersions();

    /** Versions of a prompt set kept besides the active one. */
    @WithDefault("10")
    int promptSetVersions();
}
