package io.imagescore.api;

import io.imagescore.api.v1.ImageError;
import io.imagescore.api.v1.ImageResult;
import io.imagescore.api.v1.TuneLabelsResponse;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.prompt.LabelTuner;
import io.imagescore.prompt.LabelTuning;
import io.imagescore.prompt.PromptSet;
import io.imagescore.prompt.PromptSetRef;
import io.imagescore.prompt.PromptSetRegistry;
import io.imagescore.prompt.PromptSetStore;
import io.imagescore.prompt.TextEmbedder;
import io.imagescore.score.ScoringPipeline;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Label tuning into a tenant's prompt set, for every edge that runs it (the TuneLabels RPC and a rating campaign's
 * tune action): the base version, the quota check before the expensive run, {@link LabelTuning}, storing the tuned
 * version and pruning old ones.
 */
@ApplicationScoped
public class PromptTuning {
    @Inject
    Quotas quotas;
    @Inject
    ScoringPipeline pipeline;
    @Inject
    TextEmbedder embedder;
    @Inject
    PromptSetRegistry promptSets;
    @Inject
    Retention retention;

    /** @param created the stored version; null on a dry run or when no viewpoint was reliable */
    public record Tuned(LabelTuning.Result result, PromptSetRef created) {
    }

    /** The tuner's options with the API's defaults for zeros: 5 folds, 3 pairs, the 1–4 scale. */
    static LabelTuner.Options options(int folds, int maxPairs, long seed, double scaleMin, double scaleMax) {
        boolean defaultScale = scaleMin == 0 && scaleMax == 0;
        return new LabelTuner.Options(folds == 0 ? 5 : folds, maxPairs == 0 ? 3 : maxPairs, seed, defaultScale ? 1 : scaleMin,
                defaultScale ? 4 : scaleMax, 0.005, 0.1, 0.01);
    }

    /**
     * Tunes and, unless {@code dryRun}, stores the result as the next version of tenant/{@code promptSet} (whose active
     * version, if any, is the base: attributes not tuned here are kept).
     */
    public Tuned tune(String tenant, String promptSet, LabelTuning.Request request, boolean activate, boolean dryRun, String notes) {
        if (!dryRun && promptSet.isEmpty()) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "name the prompt_set that receives the tuned version, or set dry_run");
        }
        PromptSet base = null;
        if (!promptSet.isEmpty()) {
            try {
                base = promptSets.store().get(tenant, promptSet, "").spec();
            } catch (ImageScoreException e) {
                if (e.code() != ErrorCode.UNKNOWN_PROMPT_SET) {
                    throw e;
                }
            }
        }
        if (!dryRun) {
            quotas.checkPromptSet(tenant, promptSet); // before the expensive run, not after it
        }
        LabelTuning.Result result = new LabelTuning(pipeline, embedder).run(request, base);
        PromptSetRef created = null;
        if (result.promptSet() != null && !dryRun) {
            PromptSetStore.StoredVersion v = promptSets.create(tenant, promptSet, result.promptSet(), notes, activate);
            retention.prunePromptSet(tenant, promptSet);
            created = v.ref();
        }
        return new Tuned(result, created);
    }

    /** The RPC reply: the stored version, the report (JSON and table) and the images that could not be read. */
    static TuneLabelsResponse response(Tuned t) {
        LabelTuning.Report report = t.result().report();
        TuneLabelsResponse.Builder b = TuneLabelsResponse.newBuilder()
                .setReportJson(LabelTuning.json(report)).setReportTable(LabelTuning.table(report, 20));
        for (LabelTuning.FailedImage f : report.failedImages()) {
            b.addFailedImages(ImageResult.newBuilder().setId(f.id()).setError(ImageError.newBuilder().setCode(f.code()).setMessage(f.message())));
        }
        if (t.created() != null) {
            b.setCreated(PromptSetMessages.ref(t.created()));
        }
        return b.build();
    }
}
