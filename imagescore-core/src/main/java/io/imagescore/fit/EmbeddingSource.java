package io.imagescore.fit;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.image.PreprocessMode;
import io.imagescore.image.View;
import io.imagescore.pack.ModelPack;
import io.imagescore.score.EncodedImage;
import io.imagescore.score.ImageInput;
import io.imagescore.score.Outcome;
import io.imagescore.score.ScoringPipeline;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * Embeddings of labelled images for fitting and evaluation: from the {@link EmbeddingCache} where present, else
 * through the pack's encoder (the scoring pipeline's encode step, so the pixels are exactly those scoring sees).
 * A labelled set must be usable as a whole, so an image that cannot be decoded or is unknown fails the request,
 * naming the image.
 */
public final class EmbeddingSource {
    /** Images per encode call: bounds memory and lets a progress callback tick. */
    private static final int CHUNK = 64;

    private final ScoringPipeline pipeline;
    private final EmbeddingCache cache;
    private final String scope;

    public EmbeddingSource(ScoringPipeline pipeline, EmbeddingCache cache) {
        this(pipeline, cache, "");
    }

    private EmbeddingSource(ScoringPipeline pipeline, EmbeddingCache cache, String scope) {
        this.pipeline = pipeline;
        this.cache = cache;
        this.scope = scope;
    }

    /**
     * The same cache seen by one tenant: its entries are keyed by the tenant too, so an image referenced by sha256 alone
     * resolves only to embeddings that tenant computed (another tenant's images stay unknown to it).
     */
    public EmbeddingSource scoped(String tenant) {
        return new EmbeddingSource(pipeline, cache, tenant);
    }

    public EmbeddingCache cache() {
        return cache;
    }

    /** Embeddings with their content hashes, in input order. */
    public record Embedded(double[][] x, String[] sha256) {
    }

    public Embedded embed(ModelPack pack, List<ImageRef> images, List<View> views, String output, PreprocessMode mode,
                          Instant deadline, IntConsumer progress) {
        String encoder = scope + "|" + pack.name() + "|" + pack.encoder().id() + "|" + pipeline.preprocessingId(pack, mode) + "|" + output;
        String[] sha = new String[images.size()];
        double[][] x = new double[images.size()][];
        List<Integer> toEncode = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            ImageRef ref = images.get(i);
            sha[i] = ref.data() != null ? ScoringPipeline.sha256(ref.data()) : ref.sha256();
            x[i] = cached(encoder, sha[i], views);
            if (x[i] == null) {
                if (ref.data() == null) {
                    throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "unknown image '" + ref.id() + "': sha256 "
                            + ref.sha256() + " has no cached embedding for views " + views.stream().map(View::id).toList()
                            + " of pack " + pack.name() + "; send the image's bytes", Map.of("image", ref.id()), null);
                }
                toEncode.add(i);
            }
        }
        int done = images.size() - toEncode.size();
        if (progress != null) {
            progress.accept(done);
        }
        for (int start = 0; start < toEncode.size(); start += CHUNK) {
            List<Integer> chunk = toEncode.subList(start, Math.min(toEncode.size(), start + CHUNK));
            List<ImageInput> inputs = chunk.stream().map(i -> new ImageInput(images.get(i).id(), images.get(i).data())).toList();
            List<Outcome<EncodedImage>> encoded = pipeline.encode(pack, inputs, views, Set.of(output), mode, deadline);
            for (int k = 0; k < chunk.size(); k++) {
                Outcome<EncodedImage> o = encoded.get(k);
                int i = chunk.get(k);
                if (!o.isOk()) {
                    throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "image '" + images.get(i).id()
                            + "' cannot be used: " + o.error().code() + ": " + o.error().getMessage(),
                            Map.of("image", images.get(i).id(), "image_error", o.error().code().name()), null);
                }
                for (View v : views) {
                    EncodedImage.ViewOutputs vo = o.value().views().get(v);
                    cache.put(new EmbeddingCache.Key(encoder, sha[i], v), new EmbeddingCache.Entry(vo.tensors(), vo.outputs().get(output)));
                }
                x[i] = cached(encoder, sha[i], views);
            }
            done += chunk.size();
            if (progress != null) {
                progress.accept(done);
            }
        }
        return new Embedded(x, sha);
    }

    /** The tensor-weighted mean over the views (as EncodedImage.mean), or null if any view is missing. */
    private double[] cached(String encoder, String sha, List<View> views) {
        double[] acc = null;
        int n = 0;
        for (View v : views) {
            EmbeddingCache.Entry e = cache.get(new EmbeddingCache.Key(encoder, sha, v));
            if (e == null) {
                return null;
            }
            if (acc == null) {
                acc = new double[e.mean().length];
            }
            for (int j = 0; j < acc.length; j++) {
                acc[j] += (double) e.mean()[j] * e.tensors();
            }
            n += e.tensors();
        }
        for (int j = 0; j < acc.length; j++) {
            acc[j] = (float) (acc[j] / n); // round like EncodedImage.mean, so fitting sees what serving sees
        }
        return acc;
    }
}
