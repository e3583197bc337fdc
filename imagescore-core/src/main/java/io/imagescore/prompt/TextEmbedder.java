package io.imagescore.prompt;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.model.ModelBackend;
import io.imagescore.model.Tensor;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.TextEncoderSpec;
import io.imagescore.text.ClipTokenizer;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Text side of a CLIP pack: prompts → our tokenizer → the pack's text encoder (batched by its max batch) → embeddings.
 * Unit-length embeddings are cached per (pack content, prompt), so a new prompt-set version or a tuning run encodes
 * only prompts it has not seen.
 */
public class TextEmbedder {
    private static final int CACHE_LIMIT = 50_000;

    private final ModelBackend backend;
    private final Map<Path, ClipTokenizer> tokenizers = new ConcurrentHashMap<>();
    private final Map<String, float[]> cache = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, float[]> eldest) {
            return size() > CACHE_LIMIT;
        }
    };

        public TextEmbedder(ModelBackend backend) {
        this.backend = backend;
    }

    public static TextEncoderSpec textEncoder(ModelPack pack) {
        if (pack.textEncoder() == null) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "pack '" + pack.name()
                    + "' has no text_encoder: prompt scores need a CLIP pack (image and text encoder)", Map.of("pack", pack.name()), null);
        }
        return pack.textEncoder();
    }

    public ClipTokenizer tokenizer(ModelPack pack) {
        return tokenizers.computeIfAbsent(textEncoder(pack).tokenizer(), ClipTokenizer::load);
    }

    /** The text encoder's raw output rows (not normalised) for {@code texts}, in order. */
    public float[][] encode(ModelPack pack, List<String> texts, Instant deadline) {
        TextEncoderSpec te = textEncoder(pack);
        ClipTokenizer tokenizer = tokenizer(pack);
        float[][] out = new float[texts.size()][];
        int maxBatch = te.model().maxBatch();
        for (int start = 0; start < texts.size(); start += maxBatch) {
            List<String> chunk = texts.subList(start, Math.min(texts.size(), start + maxBatch));
            Tensor ids = tokenizer.encodeBatch(chunk, te.contextLength());
            Map<String, Tensor> result = backend.infer(te.model().id(), Map.of(te.inputName(), ids),
                    java.util.Set.of(te.embeddingOutput()), deadline);
            Tensor t = result.get(te.embeddingOutput());
            if (t == null || t.batchSize() != chunk.size() || t.type() != Tensor.DataType.FP32) {
                throw new ImageScoreException(ErrorCode.MODEL_OUTPUT_MISMATCH, "text encoder of " + pack.name()
                        + " returned no FP32 output '" + te.embeddingOutput() + "' for a batch of " + chunk.size());
            }
            int len = t.rowLength();
            for (int j = 0; j < chunk.size(); j++) {
                out[start + j] = Arrays.copyOfRange(t.floats(), j * len, (j + 1) * len);
            }
        }
        return out;
    }

    /** Unit-length embeddings of {@code texts}, in order, from the cache where possible. */
    public float[][] embed(ModelPack pack, List<String> texts, Instant deadline) {
        float[][] out = new float[texts.size()][];
        List<String> missing = new ArrayList<>();
        List<Integer> where = new ArrayList<>();
        synchronized (cache) {
            for (int i = 0; i < texts.size(); i++) {
                float[] hit = cache.get(key(pack, texts.get(i)));
                if (hit != null) {
                    out[i] = hit;
                } else {
                    missing.add(texts.get(i));
                    where.add(i);
                }
            }
        }
        if (!missing.isEmpty()) {
            float[][] fresh = encode(pack, missing, deadline);
            synchronized (cache) {
                for (int k = 0; k < fresh.length; k++) {
                    float[] unit = PromptMath.unit(fresh[k]);
                    out[where.get(k)] = unit;
                    cache.put(key(pack, missing.get(k)), unit);
                }
            }
        }
        return out;
    }

    private static String key(ModelPack pack, String text) {
        return pack.name() + '\0' + pack.contentHash() + '\0' + text;
    }
}
