package io.imagescore.api;

import io.imagescore.api.v1.ClassDistribution;
import io.imagescore.api.v1.ClassProbability;
import io.imagescore.api.v1.ImageResult;
import io.imagescore.api.v1.ImageScores;
import io.imagescore.api.v1.NamedScore;
import io.imagescore.api.v1.PackDescription;
import io.imagescore.api.v1.PackRef;
import io.imagescore.api.v1.ScoreDescription;
import io.imagescore.api.v1.ScoreKind;
import io.imagescore.head.ScoreSpec;
import io.imagescore.image.View;
import io.imagescore.pack.HeadVersion;
import io.imagescore.pack.ModelPack;
import io.imagescore.score.Outcome;
import io.imagescore.score.ScoredImage;

import java.util.List;
import java.util.NavigableMap;

/** Domain ↔ proto for the ImageScore service. */
final class ScoreMessages {
    private ScoreMessages() {
    }

    static PackRef packRef(ModelPack pack) {
        return PackRef.newBuilder().setName(pack.name()).setVersion(pack.version()).setContentHash(pack.contentHash()).build();
    }

    static ImageResult result(Outcome<ScoredImage> o, int topK) {
        ImageResult.Builder r = ImageResult.newBuilder().setId(o.id());
        if (!o.isOk()) {
            return r.setError(GrpcErrors.toImageError(o.error())).build();
        }
        ScoredImage s = o.value();
        ImageScores.Builder b = ImageScores.newBuilder().setContentSha256(s.sha256()).setWidth(s.width()).setHeight(s.height());
        for (ScoredImage.Scalar sc : s.scalars()) {
            b.addScores(NamedScore.newBuilder().setName(sc.name()).setVersion(sc.version()).setValue(sc.value()));
        }
        for (ScoredImage.Classes c : s.classes()) {
            ClassDistribution.Builder d = ClassDistribution.newBuilder().setName(c.name()).setVersion(c.version());
            if (!Double.isNaN(c.inDomain())) {
                d.setInDomain(c.inDomain()).setOodCalibrated(true);
            }
            for (int i : c.topK(topK)) {
                d.addTop(ClassProbability.newBuilder().setLabel(c.labels().get(i)).setIndex(i).setProbability(c.probabilities()[i]));
            }
            b.addClasses(d);
        }
        for (io.imagescore.explain.Explanation e : s.explanations()) {
            io.imagescore.api.v1.Explanation.Builder x = io.imagescore.api.v1.Explanation.newBuilder().setScore(e.score())
                    .setVersion(e.version()).setTarget(e.target()).setMethod(e.method()).setRows(e.rows()).setCols(e.cols());
            if (!Double.isNaN(e.value())) {
                x.setValue(e.value()).setOffset(e.offset());
            }
            for (float v : e.values()) {
                x.addValues(v);
            }
            b.addExplanations(x);
        }
        if (s.embedding() != null) {
            for (float f : s.embedding()) {
                b.addEmbedding(f);
            }
        }
        return r.setScores(b).build();
    }

    static PackDescription describe(ModelPack pack, String backend, String preprocessingId) {
        PackDescription.Builder p = PackDescription.newBuilder().setRef(packRef(pack)).setDescription(pack.description())
                .setBackend(backend).setPreprocessingId(preprocessingId).setEmbeddingDim(pack.embeddingDim());
        List<String> defaults = pack.defaultScoreNames();
        pack.heads().forEach((name, versions) -> p.addScores(describe(name, versions).setInDefaultSet(defaults.contains(name))));
        if (pack.textEncoder() != null) {
            var t = pack.textEncoder();
            p.setTextEncoder(io.imagescore.api.v1.TextEncoderDescription.newBuilder()
                    .setModel(backend.equals("triton") ? t.model().tritonName() : t.model().id())
                    .setContextLength(t.contextLength()).setLogitScale(t.logitScale()).setEmbeddingDim(t.embeddingDim()));
        }
        return p.build();
    }

    private static ScoreDescription.Builder describe(String name, NavigableMap<String, HeadVersion> versions) {
        HeadVersion active = versions.lastEntry().getValue();
        ScoreSpec s = active.spec();
        return ScoreDescription.newBuilder().setName(name)
                .setKind(s.kind() == ScoreSpec.Kind.SCALAR ? ScoreKind.SCORE_KIND_SCALAR : ScoreKind.SCORE_KIND_CLASSES)
                .setRangeMin(s.rangeMin()).setRangeMax(s.rangeMax()).setRangeApproximate(s.rangeApproximate())
                .setHigherIsBetter(s.higherIsBetter()).setUnit(s.unit()).setDescription(s.description())
                .setVersion(active.version()).addAllVersions(versions.keySet()).addAllClasses(s.classes())
                .addAllViews(s.views().stream().map(View::id).toList()).setHead(active.head().type());
    }
}
