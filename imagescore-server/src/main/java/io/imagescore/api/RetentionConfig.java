package io.imagescore.api;

import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

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

    /**
     * A rating campaign with no activity (creation, or an answer, skip or undo) for this long is deleted with its log
     * and the images no other campaign uses, as by DeleteCampaign (docs/rating.md); checked at start and hourly.
     * Unset: campaigns are kept until their owner deletes them.
     */
    Optional<Duration> campaignIdle();
}
