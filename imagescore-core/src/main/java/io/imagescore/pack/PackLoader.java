package io.imagescore.pack;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.head.CalibratedHead;
import io.imagescore.head.Calibration;
import io.imagescore.head.OodDetector;
import io.imagescore.head.Head;
import io.imagescore.head.HeadWeights;
import io.imagescore.head.MlpHead;
import io.imagescore.head.Safetensors;
import io.imagescore.head.ScoreSpec;
import io.imagescore.head.SoftmaxHead;
import io.imagescore.image.PreprocessSpec;
import io.imagescore.image.View;
import io.imagescore.model.ModelSpec;
import io.imagescore.model.Tensor;
import io.imagescore.model.TensorSpec;
import io.imagescore.store.DurableFiles;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Reads a pack directory: {@code pack.json} (encoder, preprocessing, class lists, optional CLIP text encoder) and
 * {@code heads/<name>/<version>/head.json} (+ safetensors weights). File paths may start with {@code ${shared}}, the configured shared-data directory.
 * Every problem is an {@link ErrorCode#INVALID_PACK} error naming the file and what is wrong with it.
 */
public final class PackLoader {
    public static final String MANIFEST = "pack.json";
    public static final String HEAD_MANIFEST = "head.json";
    /** The one OOD statistic head.json's "ood" block names ({@link OodDetector}). */
    public static final String OOD_STATISTIC = "diag_mahalanobis_nearest_class_mean";
    private static final Logger LOG = Logger.getLogger(PackLoader.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

    private final Path sharedDir;

    public PackLoader(Path sharedDir) {
        this.sharedDir = sharedDir;
    }

    public ModelPack load(Path dir) {
        return load(dir, models -> {
        });
    }

    /**
     * As {@link #load(Path)}, running {@code meanwhile} with the pack's models (the encoder, then the text encoder if
     * any) while another thread hashes every file once ({@link io.imagescore.store.Sha256}; the head versions get
     * their hashes from the same pass): loading the models into a backend does not need the hash, and both take tens
     * of milliseconds of a cold start (bench/README.md, "Cold start"). An error of either is thrown after both have
     * finished.
     */
    public ModelPack load(Path dir, java.util.function.Consumer<List<ModelSpec>> meanwhile) {
        Path manifestFile = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(manifestFile)) {
            throw invalid(manifestFile, "missing: a pack directory needs a " + MANIFEST);
        }
        JsonNode m = readJson(manifestFile);
        Fields top = new Fields(manifestFile, m, "", Set.of("name", "version", "description", "encoder", "class_lists",
                "text_encoder", "default_scores"));
        String name = top.text("name");
        if (!name.matches("[a-z0-9][a-z0-9._-]*")) {
            throw invalid(manifestFile, "name '" + name + "' must be lowercase letters, digits, '.', '_' or '-'");
        }
        String version = top.text("version");
        Map<String, Path> hashed = new TreeMap<>();
        hashed.put(MANIFEST, manifestFile);

        Fields enc = top.object("encoder", Set.of("file", "triton_model", "triton_version", "max_batch", "input",
                "triton_input", "triton_mirrored_model", "outputs", "embedding_output", "preprocessing"));
        Path modelFile = enc.has("file") ? resolveFile(dir, manifestFile, enc.text("file")) : null;
        if (modelFile != null) {
            hashed.put("encoder", modelFile);
        }
        TensorSpec input = tensorSpec(enc.object("input", Set.of("name", "datatype", "shape")));
        List<TensorSpec> outputs = new ArrayList<>();
        for (Fields o : enc.objects("outputs", Set.of("name", "datatype", "shape"))) {
            outputs.add(tensorSpec(o));
        }
        String embeddingOutput = enc.text("embedding_output");
        if (outputs.stream().noneMatch(o -> o.name().equals(embeddingOutput))) {
            throw invalid(manifestFile, "encoder.embedding_output '" + embeddingOutput + "' is not one of encoder.outputs");
        }
        String tritonName = enc.has("triton_model") ? enc.text("triton_model") : name + "-encoder";
        String tritonVersion = enc.has("triton_version") ? enc.text("triton_version") : "";
        // the Triton model may take the pixels before normalisation (UINT8, a quarter of the bytes on the wire)
        TensorSpec tritonInput = enc.has("triton_input") ? tensorSpec(enc.object("triton_input",
                Set.of("name", "datatype", "shape"))) : input;
        if (!tritonInput.shape().equals(input.shape())) {
            throw invalid(manifestFile, "encoder.triton_input shape " + tritonInput.shape() + " differs from encoder.input "
                    + input.shape());
        }
        if (tritonInput.type() == Tensor.DataType.INT64) {
            throw invalid(manifestFile, "encoder.triton_input must be UINT8 (pixels) or FP32 (normalised), got INT64");
        }
        int maxBatch = enc.integer("max_batch");
        // the Triton model that also computes each row mirrored (outputs [N, 2, …]): a flip view then travels with its
        // base view; half the max batch, as each of its rows is two rows of work
        ModelSpec mirrored = enc.has("triton_mirrored_model") ? new ModelSpec(name + "/encoder-mirrored", null,
                enc.text("triton_mirrored_model"), tritonVersion, List.of(tritonInput),
                outputs.stream().map(PackLoader::withOrientationAxis).toList(), Math.max(1, maxBatch / 2),
                List.of(tritonInput), null) : null;
        ModelSpec encoder = new ModelSpec(name + "/encoder", modelFile, tritonName, tritonVersion, List.of(input),
                outputs, maxBatch, List.of(tritonInput), mirrored);
        PreprocessSpec preprocessing = preprocessSpec(enc.object("preprocessing",
                Set.of("size", "resize", "mean", "std", "color_order", "views")));
        if (!input.shape().equals(List.of(-1L, 3L, (long) preprocessing.size(), (long) preprocessing.size()))) {
            throw invalid(manifestFile, "encoder.input shape " + input.shape() + " does not match preprocessing size "
                    + preprocessing.size() + " (expected [-1, 3, S, S])");
        }

        Map<String, List<String>> classLists = new LinkedHashMap<>();
        if (m.has("class_lists")) {
            for (Iterator<Map.Entry<String, JsonNode>> it = m.get("class_lists").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                Path f = resolveFile(dir, manifestFile, e.getValue().asText());
                hashed.put("class_lists/" + e.getKey(), f);
                classLists.put(e.getKey(), readLines(f));
            }
        }

        // heads are parsed here without their hash (null); each version's hash is its entry of the pack's digests below
        Map<String, NavigableMap<String, HeadVersion>> heads = new LinkedHashMap<>();
        Path headsDir = dir.resolve("heads");
        for (Path headDir : sortedChildren(headsDir)) {
            String headName = headDir.getFileName().toString();
            NavigableMap<String, HeadVersion> versions = new TreeMap<>(ModelPack.VERSION_ORDER);
            for (Path versionDir : sortedChildren(headDir)) {
                HeadVersion hv = loadHead(headName, versionDir, outputs, embeddingOutput, classLists, preprocessing.views(), null);
                versions.put(hv.version(), hv);
                hashed.put(headEntry(headName, hv.version()), versionDir);
            }
            if (!versions.isEmpty()) {
                heads.put(headName, versions);
            }
        }
        TextEncoderSpec textEncoder = null;
        if (top.has("text_encoder")) {
            textEncoder = textEncoder(name, dir, top.object("text_encoder", Set.of("file", "triton_model", "triton_version",
                    "max_batch", "input", "output", "tokenizer", "context_length", "logit_scale")), encoder.output(embeddingOutput));
            if (textEncoder.model().file() != null) {
                hashed.put("text_encoder", textEncoder.model().file());
            }
            hashed.put("text_encoder/tokenizer", textEncoder.tokenizer());
        }
        // A CLIP pack may serve prompt scores only; any other pack is useless without a head.
        if (heads.isEmpty() && textEncoder == null) {
            throw invalid(headsDir, "the pack declares no heads (expected heads/<name>/<version>/" + HEAD_MANIFEST
                    + ") and no text_encoder for prompt scores");
        }
        List<String> defaultScores = top.has("default_scores") ? defaultScores(manifestFile, top.texts("default_scores"), heads.keySet())
                : List.of();
        java.util.concurrent.CompletableFuture<Map<String, String>> hash = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> digests(hashed), r -> Thread.ofPlatform().name("pack-hash").daemon().start(r));
        RuntimeException failed = null;
        try {
            meanwhile.accept(textEncoder == null ? List.of(encoder) : List.of(encoder, textEncoder.model()));
        } catch (RuntimeException e) {
            failed = e;
        }
        Map<String, String> digests;
        try {
            digests = hash.join();
        } catch (java.util.concurrent.CompletionException e) {
            throw failed != null ? failed : e.getCause() instanceof RuntimeException r ? r : e;
        }
        if (failed != null) {
            throw failed; // the models' error, after the hash thread has finished
        }
        heads.forEach((headName, versions) -> versions.replaceAll((v, hv) -> hv.withContentHash(digests.get(headEntry(headName, v)))));
        return new ModelPack(name, version, top.optText("description", ""), dir, combine(digests), encoder,
                embeddingOutput, preprocessing, classLists, heads, textEncoder, defaultScores);
    }

    /** {@code default_scores}: names of the pack's own heads (no version: each is served at its active one), each once. */
    private static List<String> defaultScores(Path manifestFile, List<String> names, Set<String> heads) {
        Set<String> seen = new java.util.HashSet<>();
        for (String n : names) {
            if (!heads.contains(n)) {
                throw invalid(manifestFile, "default_scores: '" + n + "' is not a head of the pack; it has " + heads);
            }
            if (!seen.add(n)) {
                throw invalid(manifestFile, "default_scores: '" + n + "' is listed twice");
            }
        }
        return heads.stream().filter(seen::contains).toList(); // the pack's head order, as "every score" has
    }

    /** The name a head version's directory has among a pack's hashed entries. */
    private static String headEntry(String headName, String version) {
        return "heads/" + headName + "/" + version;
    }

    /**
     * The {@code text_encoder} object: input_ids INT64 [-1, context_length] in, one FP32 [-1, D] embedding out, with D
     * equal to the image embedding's, so that cosines between the two are defined.
     */
    private TextEncoderSpec textEncoder(String packName, Path dir, Fields t, TensorSpec imageEmbedding) {
        Path modelFile = t.has("file") ? resolveFile(dir, t.file(), t.text("file")) : null;
        TensorSpec input = tensorSpec(t.object("input", Set.of("name", "datatype", "shape")));
        TensorSpec output = tensorSpec(t.object("output", Set.of("name", "datatype", "shape")));
        int contextLength = t.integer("context_length");
        if (input.type() != Tensor.DataType.INT64 || !input.shape().equals(List.of(-1L, (long) contextLength))) {
            throw t.error("input", "must be INT64 token ids of shape [-1, " + contextLength + "] (context_length), got "
                    + input.type() + " " + input.shape());
        }
        if (output.type() != Tensor.DataType.FP32 || output.shape().size() != 2) {
            throw t.error("output", "must be an FP32 embedding of shape [-1, D], got " + output.type() + " " + output.shape());
        }
        if (!output.shape().getLast().equals(imageEmbedding.shape().getLast())) {
            throw t.error("output", "text embedding size " + output.shape().getLast() + " differs from the image embedding '"
                    + imageEmbedding.name() + "' size " + imageEmbedding.shape().getLast() + "; CLIP compares them by cosine");
        }
        double logitScale = t.optDouble("logit_scale", Double.NaN);
        if (!(logitScale > 0) || Double.isInfinite(logitScale)) {
            throw t.error("logit_scale", "required: a positive number (100 for OpenAI CLIP, exp(logit_scale) of the checkpoint)");
        }
        Path tokenizer = resolveFile(dir, t.file(), t.text("tokenizer"));
        ModelSpec model = new ModelSpec(packName + "/text-encoder", modelFile,
                t.optText("triton_model", packName + "-text-encoder"), t.optText("triton_version", ""),
                List.of(input), List.of(output), t.integer("max_batch"));
        return new TextEncoderSpec(model, output.name(), tokenizer, contextLength, logitScale);
    }

    /**
     * The logits under a softmax head: none (the encoder output is the logits), a linear layer, or an RBF kernel
     * model declared by {@code "kernel": {"type": "rbf", "gamma": g, "kernel_mean": m}}.
     */
    private static Head logits(Path file, Fields h, Map<String, Safetensors.F32> weights, boolean l2) {
        if (h.has("kernel")) {
            Fields k = h.object("kernel", Set.of("type", "gamma", "kernel_mean"));
            if (!k.text("type").equals("rbf")) {
                throw invalid(file, "kernel.type '" + k.text("type") + "' is not rbf");
            }
            double gamma = k.optDouble("gamma", Double.NaN);
            double mean = k.optDouble("kernel_mean", Double.NaN);
            if (!(gamma > 0) || !Double.isFinite(mean)) {
                throw invalid(file, "kernel needs gamma > 0 and a finite kernel_mean");
            }
            return HeadWeights.kernel(weights, l2, (float) gamma, (float) mean);
        }
        return weights.isEmpty() ? null : HeadWeights.linear(weights, l2);
    }

    /** Loads one head version directory; public so a fitted head can be added to a running pack. */
    public HeadVersion loadHead(ModelPack pack, String headName, Path versionDir) {
        return loadHead(headName, versionDir, pack.encoder().outputs(), pack.embeddingOutput(), pack.classLists(),
                pack.preprocessing().views(), sha256Dir(versionDir));
    }

    /** {@code contentHash}: {@link #sha256Dir} of {@code versionDir}, or null when the caller sets it afterwards. */
    private HeadVersion loadHead(String headName, Path versionDir, List<TensorSpec> encoderOutputs, String embeddingOutput,
                                 Map<String, List<String>> classLists, List<View> defaultViews, String contentHash) {
        Path file = versionDir.resolve(HEAD_MANIFEST);
        if (!Files.isRegularFile(file)) {
            throw invalid(file, "missing: each head version directory needs a " + HEAD_MANIFEST);
        }
        Fields h = new Fields(file, readJson(file), "", Set.of("type", "input", "weights", "l2_normalize",
                "temperature", "activation", "kernel", "class_list", "classes", "score", "training", "calibration", "ood"));
        String version = versionDir.getFileName().toString();
        String input = h.optText("input", embeddingOutput);
        TensorSpec inputSpec = encoderOutputs.stream().filter(o -> o.name().equals(input)).findFirst()
                .orElseThrow(() -> invalid(file, "input '" + input + "' is not an encoder output; choose one of "
                        + encoderOutputs.stream().map(TensorSpec::name).toList()));
        int inputDim = Math.toIntExact(inputSpec.shape().getLast());
        boolean l2 = h.optBoolean("l2_normalize", false);
        String type = h.text("type");
        List<String> classes = List.of();
        if (h.has("class_list")) {
            classes = classLists.get(h.text("class_list"));
            if (classes == null) {
                throw invalid(file, "class_list '" + h.text("class_list") + "' is not declared in the pack's class_lists " + classLists.keySet());
            }
        } else if (h.has("classes")) {
            classes = h.texts("classes");
        }
        Map<String, Safetensors.F32> weights = Map.of();
        if (h.has("weights")) {
            Path wf = versionDir.resolve(h.text("weights"));
            try {
                weights = Safetensors.read(wf);
            } catch (IOException e) {
                throw invalid(wf, e.getMessage());
            }
        }
        Head head;
        try {
            head = switch (type) {
                case "linear" -> HeadWeights.linear(weights, l2);
                case "mlp" -> HeadWeights.mlp(weights, l2, MlpHead.Activation.valueOf(h.optText("activation", "none").toUpperCase()));
                case "softmax" -> new SoftmaxHead(logits(file, h, weights, l2), classes.size(), (float) h.optDouble("temperature", 1.0));
                default -> throw invalid(file, "type '" + type + "' is not one of linear, mlp, softmax");
            };
        } catch (IllegalArgumentException e) {
            throw invalid(file, e.getMessage());
        }
        if (h.has("calibration")) {
            head = calibrated(file, head, h.object("calibration", Set.of("type", "scale", "offset", "x", "y")));
        }
        if (head.inputDim() != inputDim) {
            throw invalid(file, "head takes " + head.inputDim() + " inputs but encoder output '" + input + "' has " + inputDim);
        }
        Fields s = h.object("score", Set.of("kind", "range", "range_approximate", "higher_is_better", "unit",
                "description", "views"));
        ScoreSpec.Kind kind = ScoreSpec.Kind.valueOf(s.text("kind").toUpperCase());
        if (kind == ScoreSpec.Kind.CLASSES != type.equals("softmax")) {
            throw invalid(file, "score.kind " + kind + " does not fit head type " + type);
        }
        if (kind == ScoreSpec.Kind.CLASSES && classes.isEmpty()) {
            throw invalid(file, "a classes head needs class_list or classes");
        }
        if (kind == ScoreSpec.Kind.SCALAR && head.outputDim() != 1) {
            throw invalid(file, "a scalar head must have one output, this one has " + head.outputDim());
        }
        List<Double> range = s.doubles("range");
        if (range.size() != 2 || !(range.get(0) < range.get(1))) {
            throw invalid(file, "score.range must be [min, max] with min < max");
        }
        List<View> views = s.has("views") ? s.texts("views").stream().map(v -> parseView(file, v)).toList() : defaultViews;
        ScoreSpec spec = new ScoreSpec(headName, kind, range.get(0), range.get(1), s.optBoolean("range_approximate", false),
                s.optBoolean("higher_is_better", true), s.optText("unit", ""), s.optText("description", ""), views, classes);
        OodDetector ood = null;
        if (h.has("ood")) {
            if (kind != ScoreSpec.Kind.CLASSES) {
                throw invalid(file, "an ood block belongs to a classes head");
            }
            ood = ood(file, versionDir, h.object("ood", Set.of("statistic", "weights", "quantiles", "shrinkage", "examples",
                    "views", "training_set_sha256", "transform")), weights, inputDim);
        }
        return new HeadVersion(version, head, spec, input, contentHash, h.node().path("training"), ood);
    }

    /** The "ood" block: statistic, quantiles, and tensors ood.class_means / ood.weights (its own file or the head's). */
    private static OodDetector ood(Path file, Path versionDir, Fields o, Map<String, Safetensors.F32> headWeights, int inputDim) {
        if (!o.text("statistic").equals(OOD_STATISTIC)) {
            throw invalid(file, "ood.statistic '" + o.text("statistic") + "' is not " + OOD_STATISTIC);
        }
        String transform = o.optText("transform", "none");
        if (!transform.equals("none") && !transform.equals("sqrt")) {
            throw invalid(file, "ood.transform '" + transform + "' is not none or sqrt");
        }
        boolean sqrt = transform.equals("sqrt");
        Map<String, Safetensors.F32> w = headWeights;
        if (o.has("weights")) {
            Path wf = versionDir.resolve(o.text("weights"));
            try {
                w = Safetensors.read(wf);
            } catch (IOException e) {
                throw invalid(wf, e.getMessage());
            }
        }
        Safetensors.F32 means = w.get("ood.class_means");
        Safetensors.F32 weights = w.get("ood.weights");
        if (means == null || weights == null || means.shape().length != 2) {
            throw invalid(file, "ood needs tensors ood.class_means [classes, dim] and ood.weights [dim]");
        }
        if (weights.data().length != inputDim) {
            throw invalid(file, "ood.weights has " + weights.data().length + " values; the head's input has " + inputDim);
        }
        try {
            return new OodDetector(Math.toIntExact(means.shape()[0]), means.data(), weights.data(),
                    o.doubles("quantiles").stream().mapToDouble(Double::doubleValue).toArray(), sqrt);
        } catch (IllegalArgumentException e) {
            throw invalid(file, e.getMessage());
        }
    }

    private static Head calibrated(Path file, Head head, Fields c) {
        try {
            Calibration calibration = switch (c.text("type")) {
                case "linear" -> new Calibration.Linear(c.optDouble("scale", 1.0), c.optDouble("offset", 0.0));
                case "isotonic" -> new Calibration.Isotonic(c.doubles("x").stream().mapToDouble(Double::doubleValue).toArray(),
                        c.doubles("y").stream().mapToDouble(Double::doubleValue).toArray());
                default -> throw c.error("type", "must be linear or isotonic");
            };
            return new CalibratedHead(head, calibration);
        } catch (IllegalArgumentException e) {
            throw invalid(file, "calibration: " + e.getMessage());
        }
    }

    /**
     * Adds the head versions under {@code overlayDir/<head>/<version>/} (heads fitted at run time, kept in the data
     * directory) to a loaded pack. A version the pack already has is an error: versions are immutable. This is the
     * state store's read side, so it is lenient where a crash or damage could leave something: temporaries
     * ({@link DurableFiles}) are never read and stale ones are removed, and a version directory that does not load
     * (missing or truncated head.json or weights) is skipped with a warning, never served and never a start-up failure.
     */
    public ModelPack withOverlay(ModelPack pack, Path overlayDir) {
        return withOverlay(pack, io.imagescore.store.LocalHeadFileStore.forPackDir(overlayDir));
    }

    /** {@link #withOverlay(ModelPack, io.imagescore.store.HeadFileStore, String)} for the default tenant (the CLI's). */
    public ModelPack withOverlay(ModelPack pack, io.imagescore.store.HeadFileStore store) {
        return withOverlay(pack, store, io.imagescore.tenant.TenantNames.DEFAULT_TENANT);
    }

    /**
     * The pack plus every fitted head version {@code store} holds for it and {@code tenant} (under the names the tenant
     * gave them). A version that cannot be loaded (unreadable, checksum mismatch, invalid) is skipped with a warning;
     * one that clashes with a version the pack has is an error.
     */
    public ModelPack withOverlay(ModelPack pack, io.imagescore.store.HeadFileStore store, String tenant) {
        ModelPack out = pack;
        for (io.imagescore.store.HeadFileStore.HeadKey key : store.list(pack.name())) {
            if (key.tenant().equals(tenant)) {
                out = withStored(out, key, store);
            }
        }
        return out;
    }

    /** {@code pack} plus the stored version {@code key} (see {@link #withOverlay}); unchanged when it cannot be loaded. */
    public ModelPack withStored(ModelPack pack, io.imagescore.store.HeadFileStore.HeadKey key, io.imagescore.store.HeadFileStore store) {
        HeadVersion hv;
        try {
            hv = loadHead(pack, key, store);
        } catch (ImageScoreException | java.io.UncheckedIOException e) {
            LOG.warnf("fitted head %s/%s is not served: %s", key.head(), key.version(), e.getMessage());
            return pack;
        }
        var existing = pack.heads().get(key.name());
        if (existing != null && existing.containsKey(hv.version())) {
            throw new ImageScoreException(ErrorCode.INVALID_PACK, store.describe() + ": head " + key.head() + " version "
                    + hv.version() + " already exists in pack " + pack.name() + "; head versions are immutable",
                    Map.of("head", key.name(), "version", hv.version()), null);
        }
        return pack.withHeadVersion(key.name(), hv, extendedHash(pack.contentHash(), key.name(), hv));
    }

    /** Loads one stored head version for {@code pack} (the store verifies the files first), named as its tenant sees it. */
    public HeadVersion loadHead(ModelPack pack, io.imagescore.store.HeadFileStore.HeadKey key, io.imagescore.store.HeadFileStore store) {
        return store.withDirectory(key, dir -> loadHead(pack, key.name(), dir));
    }

    /** The pack content hash after adding one head version: sha256 over the old hash, the head's name, version and files. */
    public static String extendedHash(String packHash, String headName, HeadVersion hv) {
        MessageDigest md = sha256();
        md.update((packHash + "\0heads/" + headName + "/" + hv.version() + "\0" + hv.contentHash())
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(md.digest());
    }

    private static View parseView(Path file, String v) {
        try {
            return View.parse(v);
        } catch (IllegalArgumentException e) {
            throw invalid(file, e.getMessage());
        }
    }

    /** {@code out} with an orientation axis of 2 after the batch: [N, …] → [N, 2, …]. */
    private static TensorSpec withOrientationAxis(TensorSpec out) {
        List<Long> shape = new ArrayList<>(out.shape());
        shape.add(1, 2L);
        return new TensorSpec(out.name(), out.type(), shape);
    }

    private TensorSpec tensorSpec(Fields f) {
        Tensor.DataType type;
        try {
            type = Tensor.DataType.valueOf(f.text("datatype"));
        } catch (IllegalArgumentException e) {
            throw f.error("datatype", "must be FP32, INT64 or UINT8");
        }
        return new TensorSpec(f.text("name"), type, f.doubles("shape").stream().map(Double::longValue).toList());
    }

    private PreprocessSpec preprocessSpec(Fields p) {
        try {
            List<Double> mean = p.doubles("mean");
            List<Double> std = p.doubles("std");
            return new PreprocessSpec(p.integer("size"),
                    PreprocessSpec.ResizePolicy.valueOf(p.text("resize").toUpperCase()),
                    floats(mean), floats(std),
                    PreprocessSpec.ColorOrder.valueOf(p.optText("color_order", "RGB").toUpperCase()),
                    p.has("views") ? p.texts("views").stream().map(View::parse).toList() : List.of(View.CENTER));
        } catch (IllegalArgumentException e) {
            throw p.error("", e.getMessage());
        }
    }

    private static float[] floats(List<Double> v) {
        float[] f = new float[v.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = v.get(i).floatValue();
        }
        return f;
    }

    private Path resolveFile(Path dir, Path manifest, String value) {
        String expanded = value.replace("${shared}", sharedDir.toString());
        Path p = dir.resolve(expanded).normalize();
        if (!Files.isRegularFile(p)) {
            throw invalid(manifest, "file '" + value + "' not found (resolved to " + p.toAbsolutePath()
                    + (value.contains("${shared}") ? "; set imagescore.shared-dir to the directory holding models/ and data/" : "") + ")");
        }
        return p;
    }

    private static List<String> readLines(Path f) {
        try {
            List<String> lines = Files.readAllLines(f).stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
            if (lines.isEmpty()) {
                throw invalid(f, "class list is empty");
            }
            return lines;
        } catch (IOException e) {
            throw invalid(f, "cannot read: " + e.getMessage());
        }
    }

    private static JsonNode readJson(Path f) {
        try {
            JsonNode n = JSON.readTree(f.toFile());
            if (n == null || !n.isObject()) {
                throw invalid(f, "must hold a JSON object");
            }
            return n;
        } catch (IOException e) {
            throw invalid(f, "not valid JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() + " at line " + (j.getLocation() == null ? "?" : j.getLocation().getLineNr()) : e.getMessage()));
        }
    }

    /** Sub-directories, by name; hidden names (temporaries of interrupted writes among them) are never heads or versions. */
    private static List<Path> sortedChildren(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
        } catch (IOException e) {
            throw invalid(dir, "cannot list: " + e.getMessage());
        }
    }

    /** sha256 over (logical name, sha256 of content) of every file, in name order. */
    static String contentHash(Map<String, Path> files) {
        return combine(digests(files));
    }

    /** Each entry's sha256 (hex): {@link #sha256File} of a file, {@link #sha256Dir} of a directory; in name order. */
    private static Map<String, String> digests(Map<String, Path> files) {
        Map<String, String> digests = new TreeMap<>();
        files.forEach((name, path) -> digests.put(name, Files.isDirectory(path) ? sha256Dir(path) : sha256File(path)));
        return digests;
    }

    /** sha256 over (logical name, 0, hex digest) of every entry, in name order. */
    private static String combine(Map<String, String> digests) {
        MessageDigest all = sha256();
        new TreeMap<>(digests).forEach((name, digest) -> {
            all.update(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            all.update((byte) 0);
            all.update(digest.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        });
        return HexFormat.of().formatHex(all.digest());
    }

    static String sha256Dir(Path dir) {
        Map<String, Path> files = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.filter(Files::isRegularFile).forEach(f -> files.put(dir.relativize(f).toString(), f));
        } catch (IOException e) {
            throw invalid(dir, "cannot list: " + e.getMessage());
        }
        return contentHash(files);
    }

    public static String sha256File(Path f) {
        try {
            return io.imagescore.store.Sha256.instance().fileHex(f);
        } catch (IOException e) {
            throw invalid(f, "cannot read: " + e.getMessage());
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static ImageScoreException invalid(Path file, String problem) {
        return new ImageScoreException(ErrorCode.INVALID_PACK, file + ": " + problem, Map.of("file", file.toString()), null);
    }

    /** Typed, strict access to one JSON object of a manifest: unknown keys and wrong types name the file and key. */
    private record Fields(Path file, JsonNode node, String path, Set<String> allowed) {
        Fields {
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!allowed.contains(k)) {
                    throw invalid(file, "unknown key '" + path + k + "' (allowed: " + String.join(", ", allowed.stream().sorted().toList()) + ")");
                }
            }
        }

        boolean has(String key) {
            return node.has(key) && !node.get(key).isNull();
        }

        ImageScoreException error(String key, String problem) {
            return invalid(file, (key.isEmpty() ? path.replaceAll("\\.$", "") : path + key) + ": " + problem);
        }

        JsonNode required(String key) {
            if (!has(key)) {
                throw error(key, "required");
            }
            return node.get(key);
        }

        String text(String key) {
            JsonNode n = required(key);
            if (!n.isTextual() || n.asText().isBlank()) {
                throw error(key, "must be a non-empty string");
            }
            return n.asText();
        }

        String optText(String key, String dflt) {
            return has(key) ? text(key) : dflt;
        }

        int integer(String key) {
            JsonNode n = required(key);
            if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() <= 0) {
                throw error(key, "must be a positive integer");
            }
            return n.asInt();
        }

        boolean optBoolean(String key, boolean dflt) {
            if (!has(key)) {
                return dflt;
            }
            if (!node.get(key).isBoolean()) {
                throw error(key, "must be true or false");
            }
            return node.get(key).asBoolean();
        }

        double optDouble(String key, double dflt) {
            if (!has(key)) {
                return dflt;
            }
            if (!node.get(key).isNumber()) {
                throw error(key, "must be a number");
            }
            return node.get(key).asDouble();
        }

        List<Double> doubles(String key) {
            JsonNode n = required(key);
            List<Double> out = new ArrayList<>();
            for (JsonNode v : n) {
                if (!v.isNumber()) {
                    throw error(key, "must be a list of numbers");
                }
                out.add(v.asDouble());
            }
            if (!n.isArray() || out.isEmpty()) {
                throw error(key, "must be a non-empty list of numbers");
            }
            return out;
        }

        List<String> texts(String key) {
            JsonNode n = required(key);
            List<String> out = new ArrayList<>();
            for (JsonNode v : n) {
                if (!v.isTextual()) {
                    throw error(key, "must be a list of strings");
                }
                out.add(v.asText());
            }
            if (!n.isArray() || out.isEmpty()) {
                throw error(key, "must be a non-empty list of strings");
            }
            return out;
        }

        Fields object(String key, Set<String> keys) {
            JsonNode n = required(key);
            if (!n.isObject()) {
                throw error(key, "must be an object");
            }
            return new Fields(file, n, path + key + ".", keys);
        }

        List<Fields> objects(String key, Set<String> keys) {
            JsonNode n = required(key);
            if (!n.isArray() || n.isEmpty()) {
                throw error(key, "must be a non-empty list of objects");
            }
            List<Fields> out = new ArrayList<>();
            for (int i = 0; i < n.size(); i++) {
                if (!n.get(i).isObject()) {
                    throw error(key, "element " + i + " must be an object");
                }
                out.add(new Fields(file, n.get(i), path + key + "[" + i + "].", keys));
            }
            return out;
        }
    }
}
