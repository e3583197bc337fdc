package io.imagescore.api;

import io.imagescore.api.v1.EvaluateOrderResponse;
import io.imagescore.api.v1.NamedScore;
import io.imagescore.api.v1.RegulationSummary;
import io.imagescore.api.v1.SetFinding;
import io.imagescore.api.v1.SortRequest;
import io.imagescore.api.v1.SortedImage;
import io.imagescore.api.v1.StoredRegulation;
import io.imagescore.api.v1.UnregulatedPlacement;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.eval.OrderMetrics;
import io.imagescore.sort.Regulation;
import io.imagescore.sort.RegulationStore;
import io.imagescore.sort.SortReason;
import io.imagescore.sort.SortResult;
import io.imagescore.sort.SortSpec;

import java.util.List;

/** Domain ↔ proto for the ImageSort service. */
final class SortMessages {
    private SortMessages() {
    }

    /** The ordering of a request; {@code stored} is the stored regulation it names, already read (or null). */
    static SortSpec spec(SortRequest request, RegulationStore.Stored stored) {
        SortSpec.Ordering ordering = switch (request.getOrderingCase()) {
            case BY_SCORE -> new SortSpec.ByScore(request.getByScore().getTermsList().stream()
                    .map(t -> new SortSpec.Term(t.getScore(), t.getWeight() == 0 ? 1 : t.getWeight())).toList());
            case BY_PREFERENCE -> new SortSpec.ByPreference(request.getByPreference().getScore());
            case BY_REGULATION -> new SortSpec.ByRegulation(switch (request.getByRegulation().getSourceCase()) {
                case INLINE -> regulation(request.getByRegulation().getInline());
                case STORED -> stored.regulation();
                case SOURCE_NOT_SET -> throw new ImageScoreException(ErrorCode.INVALID_REQUEST,
                        "by_regulation needs an inline regulation or a stored one (tenant, name)");
            });
            case ORDERING_NOT_SET -> throw new ImageScoreException(ErrorCode.INVALID_REQUEST,
                    "the request needs an ordering: by_score, by_regulation or by_preference");
        };
        return new SortSpec(ordering, request.getDuplicateThreshold());
    }

    static Regulation regulation(io.imagescore.api.v1.Regulation r) {
        return new Regulation(r.getClassifier(), r.getClassesList(), r.getRequiredClassesList(), r.getWithinClassScore(),
                r.getMinConfidence(), r.getReviewMargin(),
                r.getUnregulatedPlacement() == UnregulatedPlacement.UNREGULATED_PLACEMENT_BEFORE
                        ? Regulation.Placement.BEFORE : Regulation.Placement.AFTER, r.getSlots(),
                r.getMinInDomain() == 0 ? Regulation.DEFAULT_MIN_IN_DOMAIN : Math.max(0, r.getMinInDomain()));
    }

    static io.imagescore.api.v1.Regulation regulation(Regulation r) {
        var b = io.imagescore.api.v1.Regulation.newBuilder().setClassifier(r.classifier()).addAllClasses(r.classes())
                .addAllRequiredClasses(r.requiredClasses()).setMinConfidence(r.minConfidence())
                .setReviewMargin(r.reviewMargin()).setSlots(r.slots())
                .setMinInDomain(r.minInDomain() == Regulation.DEFAULT_MIN_IN_DOMAIN ? 0 : r.minInDomain() == 0 ? -1 : r.minInDomain())
                .setUnregulatedPlacement(r.unregulatedPlacement() == Regulation.Placement.BEFORE
                        ? UnregulatedPlacement.UNREGULATED_PLACEMENT_BEFORE : UnregulatedPlacement.UNREGULATED_PLACEMENT_AFTER);
        if (r.withinClassScore() != null) {
            b.setWithinClassScore(r.withinClassScore());
        }
        return b.build();
    }

    static StoredRegulation stored(RegulationStore.Stored s) {
        return StoredRegulation.newBuilder().setTenant(s.tenant()).setName(s.name()).setVersion(s.version())
                .setRegulation(regulation(s.regulation())).setCreatedAt(s.createdAt()).build();
    }

    static RegulationSummary summary(RegulationStore.Summary s) {
        return RegulationSummary.newBuilder().setName(s.name()).setLatestVersion(s.latestVersion()).addAllVersions(s.versions()).build();
    }

    /** @param versions head version of each score, by name */
    static SortedImage placed(SortResult.Placed p, java.util.Map<String, String> versions) {
        SortedImage.Builder b = SortedImage.newBuilder().setId(p.id()).setOriginalPosition(p.position()).setRank(p.rank())
                .setNeedsReview(p.needsReview());
        if (p.classLabel() != null) {
            b.setClassLabel(p.classLabel()).setConfidence(p.confidence()).setMargin(p.margin());
        }
        if (!Double.isNaN(p.sortValue())) {
            b.setSortValue(p.sortValue());
        }
        p.scores().forEach((name, value) -> {
            NamedScore.Builder s = NamedScore.newBuilder().setName(name).setValue(value);
            if (versions.containsKey(name)) {
                s.setVersion(versions.get(name));
            }
            b.addScores(s);
        });
        for (SortReason r : p.reasons()) {
            b.addReasons(r.name());
        }
        if (p.duplicateOf() != null) {
            b.setDuplicateOf(p.duplicateOf());
        }
        if (p.error() != null) {
            b.setError(GrpcErrors.toImageError(p.error()));
        }
        return b.build();
    }

    static SetFinding finding(SortResult.Finding f) {
        SetFinding.Builder b = SetFinding.newBuilder().setCode(f.code().name()).setMessage(f.message()).addAllIds(f.ids());
        if (f.classLabel() != null) {
            b.setClassLabel(f.classLabel());
        }
        return b.build();
    }

    static EvaluateOrderResponse evaluation(OrderMetrics.Result r) {
        return EvaluateOrderResponse.newBuilder().setKendallTauB(r.kendallTauB()).setKendallTauBMax(r.kendallTauBMax())
                .setNdcgAtK(r.ndcgAtK()).setK(r.k()).setTop1Hit(r.top1Hit()).setManualMoves(r.manualMoves())
                .setMaxMoves(r.maxMoves()).build();
    }
}
