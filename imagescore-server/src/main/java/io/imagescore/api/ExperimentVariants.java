package io.imagescore.api;

import io.imagescore.image.PreprocessModes;
import io.imagescore.api.v1.ExperimentRef;
import io.imagescore.api.v1.ScoreOptions;
import io.imagescore.api.v1.ScoreOrdering;
import io.imagescore.api.v1.SortRequest;
import io.imagescore.api.v1.VariantSpec;
import io.imagescore.api.v1.WeightedScore;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.experiment.Experiment;
import io.imagescore.experiment.ExperimentStore;
import io.imagescore.head.ScoreSpec;
import io.imagescore.image.PreprocessMode;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackRegistry;
import io.imagescore.prompt.PromptSetRegistry;
import io.imagescore.score.ScoreRef;
import io.imagescore.score.ScoringPipeline;
import io.imagescore.sort.RegulationStore;
import io.imagescore.tenant.TenantNames;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Experiments at the API edge: pins a variant's references to exact versions when an experiment version is stored,
 * and turns "experiment + variant" in Score and Sort into the options the variant pins. The one place that maps
 * experiment protos to the domain.
 */
@ApplicationScoped
public class ExperimentVariants {
    @Inject
    ExperimentStore store;
    @Inject
    PackRegistry packs;
    @Inject
    PromptSetRegistry promptSets;
    @Inject
    RegulationStore regulations;

    /** A resolved variant of a stored experiment version. */
    public record Resolved(ExperimentStore.Stored stored, Experiment.Variant variant) {
        ExperimentRef ref() {
            return ExperimentRef.newBuilder().setTenant(stored.tenant()).setName(stored.name()).setVersion(stored.version())
                    .setVariant(variant.name()).setContentHash(stored.contentHash()).build();
        }
    }

    public Resolved resolve(String tenant, String experiment, String version, String variant) {
        TenantNames.check("experiment", experiment);
        TenantNames.checkOptionalVersion("experiment_version", version);
        if (variant.isEmpty()) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "experiment '" + experiment + "' given without variant");
        }
        TenantNames.check("variant", variant);
        ExperimentStore.Stored stored = store.get(TenantNames.tenant(tenant), experiment, version);
        return new Resolved(stored, stored.experiment().variant(variant, stored.tenant() + "/" + stored.name() + "@" + stored.version()));
    }

    /** Score options of a variant; {@code caller} keeps its tenant, top_k and include_embedding. */
    static ScoreOptions scoreOptions(Experiment.Pins pins, ScoreOptions caller) {
        return ScoreOptions.newBuilder().setPack(pins.pack()).addAllScores(pins.scores()).setTenant(caller.getTenant())
                .setPromptSet(pins.promptSet()).setPromptSetVersion(pins.promptSetVersion())
                .setPreprocessMode(mode(pins.mode())).setTopK(caller.getTopK()).setIncludeEmbedding(caller.getIncludeEmbedding())
                .setExplain(caller.getExplain())
                .build();
    }

    /** Score options naming an experiment: the variant's; INVALID_REQUEST when the caller also spelled out versions. */
    Resolved forScore(ScoreOptions options) {
        if (!options.getPack().isEmpty() || options.getScoresCount() > 0 || !options.getPromptSet().isEmpty()
                || !options.getPromptSetVersion().isEmpty() || options.getPreprocessModeValue() != 0) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "with experiment + variant, leave pack, scores, prompt_set, "
                    + "prompt_set_version and preprocess_mode empty: the variant pins them");
        }
        return resolve(options.getTenant(), options.getExperiment(), options.getExperimentVersion(), options.getVariant());
    }

    /** A Sort request naming an experiment, rewritten to what its variant pins (a stored regulation or its scalar scores). */
    SortRequest forSort(SortRequest request, Resolved r) {
        if (!request.getPack().isEmpty() || request.getPreprocessModeValue() != 0
                || request.getOrderingCase() != SortRequest.OrderingCase.ORDERING_NOT_SET) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "with experiment + variant, leave pack, preprocess_mode "
                    + "and the ordering empty: the variant pins them");
        }
        Experiment.Pins pins = r.variant().pins();
        SortRequest.Builder b = request.toBuilder().setPack(pins.pack()).setPreprocessMode(mode(pins.mode()));
        if (!pins.regulation().isEmpty()) {
            b.getByRegulationBuilder().getStoredBuilder().setTenant(r.stored().tenant()).setName(pins.regulation())
                    .setVersion(pins.regulationVersion());
        } else {
            ModelPack pack = packs.get(r.stored().tenant(), pins.pack());
            ScoreOrdering.Builder by = ScoreOrdering.newBuilder();
            for (ScoringPipeline.Selection s : ScoringPipeline.select(pack, pins.scores())) {
                if (s.head().spec().kind() == ScoreSpec.Kind.SCALAR) {
                    by.addTerms(WeightedScore.newBuilder().setScore(s.name() + "@" + s.head().version()).setWeight(1));
                }
            }
            if (by.getTermsCount() == 0) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "variant '" + r.variant().name()
                        + "' pins neither a regulation nor a scalar score to sort by");
            }
            b.setByScore(by);
        }
        return b.build();
    }

    /**
     * Validates a spec and pins every reference to the version it resolves to now: the default pack to its name,
     * unpinned scores (or the pack's default scores) to their active versions, the prompt set and regulation to their current
     * versions, an unset mode to "exact". So a stored version resolves to exactly what it pins from then on.
     */
    Experiment pinned(String tenant, io.imagescore.api.v1.ExperimentSpec spec) {
        List<Experiment.Variant> variants = new ArrayList<>();
        for (var v : spec.getVariantsList()) {
            VariantSpec s = v.getSpec();
            variants.add(new Experiment.Variant(v.getName(), v.getWeight(), new Experiment.Pins(s.getPack(), s.getScoresList(),
                    s.getPromptSet(), s.getPromptSetVersion(), s.getRegulation(), s.getRegulationVersion(),
                    PreprocessModes.fromProto(s.getPreprocessModeValue()).name().toLowerCase(Locale.ROOT))));
        }
        Experiment raw = new Experiment(spec.getDescription(), spec.getSalt(), variants).validated();
        List<Experiment.Variant> out = new ArrayList<>();
        for (Experiment.Variant v : raw.variants()) {
            out.add(new Experiment.Variant(v.name(), v.weight(), pin(tenant, v.pins())));
        }
        return new Experiment(raw.description(), raw.salt(), out);
    }

    private Experiment.Pins pin(String tenant, Experiment.Pins p) {
        ModelPack pack = packs.get(tenant, p.pack());
        List<String> scores = new ArrayList<>();
        String promptVersion = p.promptSetVersion();
        if (!p.promptSet().isEmpty()) {
            var set = promptSets.resolve(pack, tenant, p.promptSet(), p.promptSetVersion(), ScoreGrpcService.deadline());
            promptVersion = set.ref().version();
            var split = io.imagescore.prompt.PromptScoring.split(pack, set, p.scores());
            ScoringPipeline.select(pack, split.heads()).forEach(s -> scores.add(s.name() + "@" + s.head().version()));
            p.scores().stream().filter(n -> !split.heads().contains(n)).forEach(scores::add); // prompt scores: the set's version pins them
        } else {
            ScoringPipeline.select(pack, p.scores()).forEach(s -> scores.add(s.name() + "@" + s.head().version()));
        }
        String regulationVersion = p.regulation().isEmpty() ? ""
                : regulations.get(tenant, p.regulation(), p.regulationVersion()).version();
        return new Experiment.Pins(pack.name(), scores, p.promptSet(), promptVersion, p.regulation(), regulationVersion, p.mode());
    }

    static io.imagescore.api.v1.PreprocessMode mode(String mode) {
        return PreprocessModes.toProto(PreprocessMode.valueOf(mode.toUpperCase(Locale.ROOT)));
    }

    static io.imagescore.api.v1.Experiment toProto(ExperimentStore.Stored s) {
        var spec = io.imagescore.api.v1.ExperimentSpec.newBuilder().setDescription(s.experiment().description())
                .setSalt(s.experiment().salt());
        for (Experiment.Variant v : s.experiment().variants()) {
            Experiment.Pins p = v.pins();
            spec.addVariants(io.imagescore.api.v1.ExperimentVariant.newBuilder().setName(v.name()).setWeight(v.weight())
                    .setSpec(VariantSpec.newBuilder().setPack(p.pack()).addAllScores(p.scores()).setPromptSet(p.promptSet())
                            .setPromptSetVersion(p.promptSetVersion()).setRegulation(p.regulation())
                            .setRegulationVersion(p.regulationVersion()).setPreprocessMode(mode(p.mode()))));
        }
        return io.imagescore.api.v1.Experiment.newBuilder().setRef(ExperimentRef.newBuilder().setTenant(s.tenant())
                .setName(s.name()).setVersion(s.version()).setContentHash(s.contentHash())).setSpec(spec)
                .setCreated(s.created()).build();
    }

}
