package io.imagescore.api;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackRegistry;
import io.imagescore.prompt.PromptSetRegistry;
import io.imagescore.prompt.PromptSetStore;
import io.imagescore.sort.RegulationStore;
import io.imagescore.store.HeadFileStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.List;
import java.util.Map;

/**
 * The quota checks every state-creating RPC makes before writing: one place, so a new RPC cannot grow state without
 * a bound. Counts come from the configured store (local or PostgreSQL), so they hold across replicas up to the race
 * of two writes at the same instant (one write past the limit at most).
 */
@ApplicationScoped
public class Quotas {
    @Inject
    QuotaConfig config;
    @Inject
    PromptSetRegistry promptSets;
    @Inject
    RegulationStore regulations;
    @Inject
    PackRegistry packs;
    @Inject
    io.imagescore.experiment.ExperimentStore experiments;
    @Inject
    HeadFileStore fittedHeads;
    @Inject
    io.imagescore.rating.CampaignStore campaigns;

    /** Before a new version of tenant/name (and possibly a new prompt set). */
    public void checkPromptSet(String tenant, String name) {
        List<PromptSetStore.Summary> sets = promptSets.store().list(tenant);
        PromptSetStore.Summary existing = sets.stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
        if (existing == null) {
            require(sets.size(), config.promptSets(), "prompt sets of tenant '" + tenant + "'", "prompt_sets");
        } else {
            require(existing.versions().size(), config.promptSetVersions(), "versions of prompt set '" + name + "'", "prompt_set_versions");
        }
        checkBytes(tenant);
    }

    /** Before a new version of the tenant's regulation {@code name}. */
    public void checkRegulation(String tenant, String name) {
        List<RegulationStore.Summary> regs = regulations.list(tenant);
        RegulationStore.Summary existing = regs.stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
        if (existing == null) {
            require(regs.size(), config.regulations(), "regulations of tenant '" + tenant + "'", "regulations");
        } else {
            require(existing.versions().size(), config.regulationVersions(), "versions of regulation '" + name + "'", "regulation_versions");
        }
        checkBytes(tenant);
    }

    /** Before a new version of the tenant's experiment {@code name}. */
    public void checkExperiment(String tenant, String name) {
        var all = experiments.list(tenant);
        var existing = all.stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
        if (existing == null) {
            require(all.size(), config.experiments(), "experiments of tenant '" + tenant + "'", "experiments");
        } else {
            require(existing.versions().size(), config.experimentVersions(), "versions of experiment '" + name + "'", "experiment_versions");
        }
        checkBytes(tenant);
    }

    /** Before a new version of the fitted head {@code name} in {@code pack} as {@code tenant} sees it. */
    public void checkHead(String tenant, ModelPack pack, String name) {
        var versions = pack.heads().get(name);
        if (versions == null) {
            long fitted = pack.heads().keySet().stream().filter(h -> !packs.builtIn(pack.name(), h)).count();
            require(fitted, config.fittedHeads(), "fitted heads of tenant '" + tenant + "' in pack " + pack.name(), "fitted_heads");
        } else {
            require(versions.size(), config.headVersions(), "versions of head '" + name + "'", "head_versions");
        }
        checkBytes(tenant);
    }

    /** Bytes of all the tenant's stored state: prompt-set, regulation and experiment versions and fitted-head files. */
    public long bytesStored(String tenant) {
        long bytes = promptSets.store().bytes(tenant) + regulations.documents().bytes(tenant) + experiments.documents().bytes(tenant);
        for (ModelPack p : packs.builtInPacks()) {
            bytes += fittedHeads.bytes(p.name(), tenant);
        }
        return bytes;
    }

    /** Before any write that stores more for the tenant (the write itself may pass the limit once: its size is unknown here). */
    private void checkBytes(String tenant) {
        require(bytesStored(tenant), config.bytesStored(), "bytes stored by tenant '" + tenant + "'", "bytes_stored");
    }

    /**
     * Before a new campaign of {@code images} images and {@code raters} raters, ahead of any decoding or scoring: the
     * tenant's campaigns, the images per campaign and the raters per campaign.
     */
    public void checkCampaign(String tenant, int images, int raters) {
        require(campaigns.list(tenant).size(), config.campaigns(), "rating campaigns of tenant '" + tenant + "'", "campaigns");
        atMost(images, config.campaignImages(), "images of a rating campaign", "campaign_images");
        atMost(raters, config.campaignRaters(), "active raters of a rating campaign", "campaign_raters");
    }

    /** Before storing {@code newBytes} bytes of campaign images the tenant lacks. */
    public void checkRatingImageBytes(String tenant, long newBytes) {
        atMost(campaigns.imageBytes(tenant) + newBytes, config.ratingImageBytes(),
                "bytes of rating images of tenant '" + tenant + "'", "rating_image_bytes");
    }

    /** Before {@code adding} raters to a campaign with {@code active} active raters and {@code tokens} issued in all. */
    public void checkRaters(String campaign, int active, int tokens, int adding) {
        atMost((long) active + adding, config.campaignRaters(), "active raters of campaign '" + campaign + "'", "campaign_raters");
        atMost((long) tokens + adding, config.campaignRaterTokens(),
                "rater tokens issued for campaign '" + campaign + "' (revoked ones included)", "campaign_rater_tokens");
    }

    /** Before one more entry in a campaign's judgement log that holds {@code entries}. */
    public void checkJudgement(String campaign, int entries) {
        require(entries, config.campaignJudgements(), "judgements of campaign '" + campaign + "'", "campaign_judgements");
    }

    /** {@code total} (what would be stored after the write) may reach the limit but not pass it. */
    private static void atMost(long total, long limit, String what, String quota) {
        require(total - 1, limit, what, quota);
    }

    private static void require(long used, long limit, String what, String quota) {
        if (used >= limit) {
            throw new ImageScoreException(ErrorCode.QUOTA_EXCEEDED, "quota exceeded: " + what + " are limited to " + limit
                    + " (imagescore.quotas." + quota.replace('_', '-') + ")",
                    Map.of("quota", quota, "limit", Long.toString(limit), "used", Long.toString(used)), null);
        }
    }
}
