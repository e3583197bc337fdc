package io.imagescore.api;

import io.smallrye.config.WithDefault;

/** Per-tenant limits on stored state (docs/security.md, "Quotas"). Over a limit: RESOURCE_EXHAUSTED / QUOTA_EXCEEDED. */
public interface QuotaConfig {
    /** Prompt sets per tenant. */
    @WithDefault("100")
    int promptSets();

    /** Versions per prompt set. */
    @WithDefault("100")
    int promptSetVersions();

    /** Regulations per tenant. */
    @WithDefault("100")
    int regulations();

    /** Versions per regulation. */
    @WithDefault("100")
    int regulationVersions();

    /** Versions per fitted head (a minute of FitHead calls once made 3,248). */
    @WithDefault("50")
    int headVersions();

    /** Fitted heads per tenant and pack. */
    @WithDefault("200")
    int fittedHeads();

    /** Experiments per tenant. */
    @WithDefault("100")
    int experiments();

    /** Versions per experiment. */
    @WithDefault("100")
    int experimentVersions();

    /** Bytes of all stored state per tenant: prompt-set, regulation and experiment versions and fitted-head files (all packs). */
    @WithDefault("268435456")
    long bytesStored();

    /** Rating campaigns per tenant (docs/rating.md). */
    @WithDefault("100")
    int campaigns();

    /** Images per rating campaign. */
    @WithDefault("500")
    int campaignImages();

    /** Entries of one campaign's judgement log (answers, skips and undos of all its raters). */
    @WithDefault("20000")
    int campaignJudgements();

    /** Active raters (tokens not revoked) per rating campaign, at creation and after AddRaters. */
    @WithDefault("100")
    int campaignRaters();

    /** Rater tokens ever issued per rating campaign, revoked ones included (their ids stay in the exports). */
    @WithDefault("1000")
    int campaignRaterTokens();

    /** Bytes of rating-campaign images per tenant (stored once per content hash). */
    @WithDefault("1073741824")
    long ratingImageBytes();
}
