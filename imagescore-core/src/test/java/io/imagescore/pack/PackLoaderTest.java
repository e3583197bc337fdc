package io.imagescore.pack;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.head.ScoreSpec;
import io.imagescore.image.PreprocessSpec;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class PackLoaderTest {
    static final Path DEFAULT_PACK = Path.of("packs/mobilenetv2-default");
    final PackLoader loader = new PackLoader(Shared.dir());

    @TempDir
    Path tmp;

    @Test
    void loads_the_default_pack() {
        ModelPack pack = loader.load(DEFAULT_PACK);
        assertThat(pack.name()).isEqualTo("mobilenetv2-default");
        assertThat(pack.embeddingDim()).isEqualTo(1280);
        assertThat(pack.encoder().file()).isRegularFile();
        // the embedded backend feeds the file normalised floats; the Triton model takes the pixels
        assertThat(pack.encoder().inputs()).extracting(t -> t.name() + " " + t.type()).containsExactly("input FP32");
        assertThat(pack.encoder().tritonInputs()).extracting(t -> t.name() + " " + t.type()).containsExactly("pixels UINT8");
        assertThat(pack.preprocessing().resize()).isEqualTo(PreprocessSpec.ResizePolicy.CLIP);
        HeadVersion imagenet = pack.heads().get("imagenet").lastEntry().getValue();
        assertThat(imagenet.spec().kind()).isEqualTo(ScoreSpec.Kind.CLASSES);
        assertThat(imagenet.spec().classes()).hasSize(1000).startsWith("tench", "goldfish");
        assertThat(pack.contentHash()).matches("[0-9a-f]{64}");
        // a request naming no score gets the two centre-view scores, not the 22 views of every head
        assertThat(pack.defaultScoreNames()).containsExactly("imagenet", "quality_fast");
    }

    @Test
    void default_scores_are_the_packs_own_heads_in_its_order_and_without_them_every_head() throws IOException {
        Path reordered = copyDefault();
        replace(reordered.resolve("pack.json"), "[\"imagenet\", \"quality_fast\"]", "[\"quality_fast\", \"apparel\"]");
        assertThat(loader.load(reordered).defaultScoreNames()).containsExactly("apparel", "quality_fast");

        Path none = copyDefault();
        replace(none.resolve("pack.json"), "\"default_scores\": [\"imagenet\", \"quality_fast\"],", "");
        assertThat(loader.load(none).defaultScoreNames()).containsExactly("apparel", "imagenet", "quality", "quality_fast", "room_type");

        Map<String, String> broken = Map.of("[\"imagenet\", \"sharpness\"]", "'sharpness' is not a head of the pack",
                "[\"imagenet\", \"imagenet\"]", "'imagenet' is listed twice", "[]", "must be a non-empty list of strings");
        for (var e : broken.entrySet()) {
            assertEditBreaks("pack.json", "[\"imagenet\", \"quality_fast\"]", e.getKey(), "pack.json", "default_scores: " + e.getValue());
        }
    }

    @Test
    void content_hash_covers_every_file_the_pack_uses() throws IOException {
        Path copy = copyDefault();
        String before = loader.load(copy).contentHash();
        assertThat(loader.load(copy).contentHash()).as("stable").isEqualTo(before);
        Path head = copy.resolve("heads/imagenet/1/head.json");
        Files.writeString(head, Files.readString(head).replace("ImageNet-1k class", "ImageNet class"));
        assertThat(loader.load(copy).contentHash()).as("head file changed").isNotEqualTo(before);
        // the class list lives outside the pack dir (in ../shared) but is hashed too: point at a changed copy
        Path labels = tmp.resolve("labels.txt");
        Files.writeString(labels, Files.readString(Shared.path("models/mobilenetv2/imagenet-labels.txt")).replace("tench", "Tench"));
        String afterHead = loader.load(copy).contentHash();
        replace(copy.resolve("pack.json"), "${shared}/models/mobilenetv2/imagenet-labels.txt", labels.toString());
        assertThat(loader.load(copy).contentHash()).as("class list changed").isNotEqualTo(afterHead);
    }

    /**
     * The definition, recomputed here with the JDK's digest: sha256 over (name, 0, hex sha256) of pack.json, the
     * encoder, each class list and each head version directory (itself such a hash over its files), in name order. The
     * loader hashes every file once (the head versions take their hashes from the same pass).
     */
    @Test
    void content_hash_is_the_documented_digest_and_each_head_version_has_its_directorys_hash() throws Exception {
        ModelPack pack = loader.load(DEFAULT_PACK);
        java.util.Map<String, Path> entries = new java.util.TreeMap<>();
        entries.put("pack.json", DEFAULT_PACK.resolve("pack.json"));
        entries.put("encoder", pack.encoder().file());
        entries.put("class_lists/imagenet", Shared.path("models/mobilenetv2/imagenet-labels.txt"));
        pack.heads().forEach((name, versions) -> versions.keySet().forEach(v ->
                entries.put("heads/" + name + "/" + v, DEFAULT_PACK.resolve("heads").resolve(name).resolve(v))));
        assertThat(entries).hasSize(3 + 6);
        assertThat(pack.contentHash()).isEqualTo(reference(entries));
        pack.heads().forEach((name, versions) -> versions.forEach((v, hv) -> {
            try {
                assertThat(hv.contentHash()).as(name + "/" + v).isEqualTo(reference(files(DEFAULT_PACK.resolve("heads").resolve(name).resolve(v))));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }));
        // a fitted head loaded on its own gets the same hash as in the pack
        Path apparel = DEFAULT_PACK.resolve("heads/apparel/2");
        assertThat(loader.loadHead(pack, "apparel", apparel).contentHash()).isEqualTo(pack.heads().get("apparel").get("2").contentHash());
    }

    private static java.util.Map<String, Path> files(Path dir) throws IOException {
        java.util.Map<String, Path> files = new java.util.TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.filter(Files::isRegularFile).forEach(f -> files.put(dir.relativize(f).toString(), f));
        }
        return files;
    }

    private static String reference(java.util.Map<String, Path> entries) throws Exception {
        java.security.MessageDigest all = java.security.MessageDigest.getInstance("SHA-256");
        for (var e : new java.util.TreeMap<>(entries).entrySet()) {
            String digest = Files.isDirectory(e.getValue()) ? reference(files(e.getValue()))
                    : java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(e.getValue())));
            all.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            all.update((byte) 0);
            all.update(digest.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return java.util.HexFormat.of().formatHex(all.digest());
    }

    @Test
    void models_load_while_the_files_are_hashed_and_the_models_error_is_thrown() {
        java.util.List<io.imagescore.model.ModelSpec> seen = new java.util.ArrayList<>();
        ModelPack pack = loader.load(DEFAULT_PACK, seen::addAll);
        assertThat(seen).containsExactly(pack.encoder());
        assertThat(pack.contentHash()).as("same hash as a plain load").isEqualTo(loader.load(DEFAULT_PACK).contentHash());

        ImageScoreException models = catchThrowableOfType(ImageScoreException.class, () -> loader.load(DEFAULT_PACK, m -> {
            throw new ImageScoreException(ErrorCode.INVALID_PACK, "the model does not load");
        }));
        assertThat(models).hasMessageContaining("the model does not load");
    }

    @Test
    void broken_packs_name_the_file_and_the_problem() throws IOException {
        assertProblem(tmp.resolve("empty"), "pack.json", "missing");

        Path badJson = copyDefault();
        Files.writeString(badJson.resolve("pack.json"), "{ \"name\": ");
        assertProblem(badJson, "pack.json", "not valid JSON");

        assertEditBreaks("pack.json", "mobilenetv2-12-int8-spatial.onnx", "nope.onnx",
                "pack.json", "file 'models/nope.onnx' not found");

        assertEditBreaks("pack.json", "\"max_batch\"", "\"max_bacth\"",
                "pack.json", "unknown key 'encoder.max_bacth'");

        assertEditBreaks("pack.json", "\"embedding_output\": \"features\"", "\"embedding_output\": \"feats\"",
                "pack.json", "embedding_output 'feats' is not one of encoder.outputs");

        assertEditBreaks("pack.json", "\"datatype\": \"UINT8\", \"shape\": [-1, 3, 224, 224]",
                "\"datatype\": \"UINT8\", \"shape\": [-1, 3, 256, 256]",
                "pack.json", "encoder.triton_input shape [-1, 3, 256, 256] differs from encoder.input [-1, 3, 224, 224]");
        assertEditBreaks("pack.json", "\"datatype\": \"UINT8\"", "\"datatype\": \"INT64\"",
                "pack.json", "encoder.triton_input must be UINT8 (pixels) or FP32 (normalised), got INT64");

        assertEditBreaks("pack.json", "\"size\": 224", "\"size\": 256",
                "pack.json", "does not match preprocessing size 256");

        assertEditBreaks("heads/imagenet/1/head.json", "\"input\": \"output\"", "\"input\": \"features\"",
                "head.json", "head takes 1000 inputs but encoder output 'features' has 1280");

        assertEditBreaks("heads/imagenet/1/head.json", "\"views\": [\"center\"]", "\"views\": [\"middle\"]",
                "head.json", "unknown view 'middle'");

        assertEditBreaks("heads/apparel/2/head.json", "\"type\" : \"rbf\"", "\"type\" : \"poly\"",
                "head.json", "kernel.type 'poly' is not rbf");

        // (the kernel's gamma, 3.90625E-4 since the refit; the training block's gamma is the RBF width before scaling)
        assertEditBreaks("heads/apparel/2/head.json", "\"gamma\" : 3.90625E-4", "\"gamma\" : 0",
                "head.json", "kernel needs gamma > 0 and a finite kernel_mean");

        assertEditBreaks("heads/room_type/1/head.json", "\"statistic\" : \"diag_mahalanobis_nearest_class_mean\"",
                "\"statistic\" : \"energy\"", "head.json", "ood.statistic 'energy' is not diag_mahalanobis_nearest_class_mean");
        assertEditBreaks("heads/room_type/1/head.json", "\"transform\" : \"sqrt\"", "\"transform\" : \"log\"",
                "head.json", "ood.transform 'log' is not none or sqrt");

        Path badWeights = copyDefault();
        Path v2 = Files.createDirectories(badWeights.resolve("heads/quality/1"));
        Files.writeString(v2.resolve("head.json"), """
                {"type": "linear", "weights": "weights.safetensors",
                 "score": {"kind": "scalar", "range": [0, 100]}}""");
        Files.write(v2.resolve("weights.safetensors"), new byte[] {1, 2, 3});
        assertProblem(badWeights, "weights.safetensors", "not a safetensors file");
    }

    /** A copy of the default pack with one edit in {@code file} fails to load, naming {@code problemFile} and the problem. */
    private void assertEditBreaks(String file, String from, String to, String problemFile, String problem) throws IOException {
        Path copy = copyDefault();
        replace(copy.resolve(file), from, to);
        assertProblem(copy, problemFile, problem);
    }

    private void assertProblem(Path dir, String file, String problem) {
        ImageScoreException e = catchThrowableOfType(ImageScoreException.class, () -> loader.load(dir));
        assertThat(e).as("loading %s should fail", dir).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PACK);
        assertThat(e.getMessage()).contains(file).contains(problem);
    }

    private Path copyDefault() throws IOException {
        Path target = Files.createTempDirectory(tmp, "pack");
        try (Stream<Path> s = Files.walk(DEFAULT_PACK)) {
            for (Path p : s.sorted(Comparator.naturalOrder()).toList()) {
                Path t = target.resolve(DEFAULT_PACK.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
        return target;
    }

    private static void replace(Path file, String from, String to) throws IOException {
        String s = Files.readString(file);
        assertThat(s).contains(from);
        Files.writeString(file, s.replace(from, to));
    }
}
