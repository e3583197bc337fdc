package io.imagescore.api;

import io.imagescore.tenant.Role;

import java.util.Map;

/**
 * The role each RPC needs (docs/security.md has the same table). Reading and scoring need {@code score}; changing
 * stored state needs {@code configure}. An imagescore RPC missing here needs {@code admin} (deny by default;
 * RpcRolesTest fails when one is missing); other services (grpc.health.v1, reflection) are open to probes.
 */
final class RpcRoles {
    private static final String API = "imagescore.v1.";
    private static final Map<String, Role> ROLES = Map.ofEntries(
            Map.entry("ImageScore/Score", Role.SCORE),
            Map.entry("ImageScore/ScoreStream", Role.SCORE),
            Map.entry("ImageScore/DescribePacks", Role.SCORE),
            Map.entry("PromptSets/GetPromptSet", Role.SCORE),
            Map.entry("PromptSets/ListPromptSets", Role.SCORE),
            Map.entry("PromptSets/CreatePromptSetVersion", Role.CONFIGURE),
            Map.entry("PromptSets/ActivatePromptSetVersion", Role.CONFIGURE),
            Map.entry("PromptSets/DeletePromptSetVersion", Role.CONFIGURE),
            Map.entry("LabelTuning/TuneLabels", Role.CONFIGURE),
            Map.entry("ImageSort/Sort", Role.SCORE),
            Map.entry("ImageSort/EvaluateOrder", Role.SCORE),
            Map.entry("ImageSort/GetRegulation", Role.SCORE),
            Map.entry("ImageSort/ListRegulations", Role.SCORE),
            Map.entry("ImageSort/PutRegulation", Role.CONFIGURE),
            Map.entry("ImageSort/DeleteRegulation", Role.CONFIGURE),
            Map.entry("HeadFitting/FitHead", Role.CONFIGURE),
            Map.entry("HeadFitting/DeleteHead", Role.CONFIGURE),
            Map.entry("HeadFitting/DeleteHeadVersion", Role.CONFIGURE),
            Map.entry("HeadFitting/EvaluateHead", Role.SCORE),
            Map.entry("Experiments/CreateExperimentVersion", Role.CONFIGURE),
            Map.entry("Experiments/GetExperiment", Role.SCORE),
            Map.entry("Experiments/ListExperiments", Role.SCORE),
            Map.entry("Experiments/CompareVariants", Role.SCORE),
            // the campaign owner's side, like the rater page's owner API: configure
            Map.entry("Campaigns/CreateCampaign", Role.CONFIGURE),
            Map.entry("Campaigns/ListCampaigns", Role.CONFIGURE),
            Map.entry("Campaigns/ExportJudgements", Role.CONFIGURE),
            Map.entry("Campaigns/FitCampaignHead", Role.CONFIGURE),
            Map.entry("Campaigns/TuneCampaignLabels", Role.CONFIGURE),
            Map.entry("Campaigns/AddRaters", Role.CONFIGURE),
            Map.entry("Campaigns/RevokeRater", Role.CONFIGURE),
            Map.entry("Campaigns/DeleteCampaign", Role.CONFIGURE));

    private RpcRoles() {
    }

    /** The role {@code fullMethodName} needs; null for a method outside the imagescore API (health, reflection). */
    static Role required(String fullMethodName) {
        if (!fullMethodName.startsWith(API)) {
            return null;
        }
        return ROLES.getOrDefault(fullMethodName.substring(API.length()), Role.ADMIN);
    }

    static Map<String, Role> table() {
        return ROLES;
    }
}
