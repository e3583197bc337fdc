package io.imagescore.cli;

import io.imagescore.store.DataDirLock;
import io.imagescore.batch.EngineOptions;
import io.imagescore.score.Engine;
import com.fasterxml.jackson.databind.JsonNode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.image.PreprocessMode;
import io.imagescore.pack.ModelPack;
import io.imagescore.prompt.LabelTuner;
import io.imagescore.prompt.LabelTuning;
import io.imagescore.prompt.PromptSet;
import io.imagescore.prompt.PromptSetStore;
import io.imagescore.prompt.TextEmbedder;
import io.imagescore.score.ImageInput;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code imagescore tune}: label tuning from a ratings CSV and a viewpoints file, with the same {@link LabelTuning} as
 * the TuneLabels RPC. Writes report.json, report.txt and (when a viewpoint is reliable) prompt-set.json; with
 * --data-dir/--tenant/--prompt-set also stores the tuned version in the server's prompt-set store.
 */
@Command(name = "tune", mixinStandardHelpOptions = true,
        description = "Choose CLIP prompt pairs that agree with people's ratings (k-fold CV, greedy forward selection).")
public final class TuneCommand implements Callable<Integer> {

    /** --pack must name a pack with a text_encoder (CLIP); the default pack has none and is refused with that reason. */
    @Mixin
    EngineOptions engineOptions;
    @Option(names = "--ratings", required = true, description = "CSV with a header: image,viewpoint,rating (more columns, e.g. rater, are ignored); "
            + "one row per rater and viewpoint; several rows of an image and viewpoint are averaged.")
    Path ratings;
    @Option(names = "--images", description = "Directory the CSV's image paths are relative to (default: the CSV's directory).")
    Path images;
    @Option(names = "--viewpoints", required = true, description = "JSON: {\"viewpoints\": [{\"name\": \"brightness\", \"candidates\": "
            + "[{\"positive\": \"Bright photo.\", \"negative\": \"Dark photo.\"}], \"templates\": {\"positive_words\": [...], "
            + "\"negative_words\": [...], \"nouns\": [...], \"modifiers\": [...], \"word_order\": true, \"repetition\": true, \"max_candidates\": 200}}]}")
    Path viewpoints;
    @Option(names = "--out", required = true, description = "Directory for report.json, report.txt and prompt-set.json.")
    Path out;
    @Option(names = "--folds", defaultValue = "5")
    int folds;
    @Option(names = "--max-pairs", defaultValue = "3")
    int maxPairs;
    @Option(names = "--seed", defaultValue = "0")
    long seed;
    @Option(names = "--scale-min", defaultValue = "1")
    double scaleMin;
    @Option(names = "--scale-max", defaultValue = "4")
    double scaleMax;
    @Option(names = "--fast", description = "Fast preprocessing (JPEG DCT-domain downscale first).")
    boolean fast;
    @Option(names = "--data-dir", description = "Also store the tuned version in this prompt-set store (the server's imagescore.data-dir; "
            + "a running server reads it at its next start: use the TuneLabels RPC to update a running server).")
    Path dataDir;
    @Option(names = "--tenant", defaultValue = "default")
    String tenant;
    @Option(names = "--prompt-set", description = "Prompt set receiving the tuned version (with --data-dir); its active version is the base.")
    String promptSet;
    @Option(names = "--activate", description = "Make the stored version active.")
    boolean activate;

    @Override
    public Integer call() throws IOException {
        // a server on the same data directory would be a second writer of its prompt-set store: refused at once
        try (DataDirLock lock = dataDir == null ? null : DataDirLock.acquire(dataDir); Engine engine = engineOptions.open()) {
            ModelPack p = engine.pack();
            engine.backend().load(TextEmbedder.textEncoder(p).model());
            LabelTuner.Options options = new LabelTuner.Options(folds, maxPairs, seed, scaleMin, scaleMax, 0.005, 0.1, 0.01);
            PromptSetStore store = dataDir == null ? null : new io.imagescore.prompt.LocalPromptSetStore(dataDir.resolve("prompt-sets"));
            PromptSet base = null;
            if (store != null && promptSet != null && store.list(tenant).stream().anyMatch(s -> s.name().equals(promptSet))) {
                base = store.get(tenant, promptSet, "").spec();
            }
            LabelTuning.Result result = new LabelTuning(engine.pipeline(), new TextEmbedder(engine.backend())).run(
                    new LabelTuning.Request(p, readViewpoints(), readRatings(), options, fast ? PreprocessMode.FAST : PreprocessMode.EXACT), base);
            Files.createDirectories(out);
            String table = LabelTuning.table(result.report(), 20);
            Files.writeString(out.resolve("report.json"), LabelTuning.json(result.report()));
            Files.writeString(out.resolve("report.txt"), table);
            System.out.print(table);
            if (result.promptSet() == null) {
                System.out.println("\nno viewpoint is reliable: no prompt set written");
                return 2;
            }
            Files.write(out.resolve("prompt-set.json"), PromptSetStore.toJson(result.promptSet()));
            System.out.println("\nwrote " + out.resolve("prompt-set.json"));
            if (store != null && promptSet != null) {
                PromptSetStore.StoredVersion v = store.create(tenant, promptSet, result.promptSet(), "imagescore tune, seed " + seed, activate);
                System.out.println("stored " + v.ref() + (store.isActive(v) ? " (active)" : ""));
            }
            return 0;
        } catch (ImageScoreException e) {
            System.err.println("imagescore tune: " + e.code() + ": " + e.getMessage());
            return 1;
        } catch (DataDirLock.HeldException e) {
            System.err.println("imagescore tune: " + e.getMessage() + "; stop that server first, or store through its TuneLabels RPC");
            return 1;
        }
    }

    private List<LabelTuning.Viewpoint> readViewpoints() throws IOException {
        JsonNode root = PromptSetStore.JSON.readTree(viewpoints.toFile());
        if (!root.path("viewpoints").isArray()) {
            throw new IOException(viewpoints + ": expected {\"viewpoints\": [...]}");
        }
        List<LabelTuning.Viewpoint> out = new ArrayList<>();
        for (JsonNode v : root.get("viewpoints")) {
            out.add(PromptSetStore.JSON.treeToValue(v, LabelTuning.Viewpoint.class));
        }
        return out;
    }

    private List<LabelTuning.RatedImage> readRatings() throws IOException {
        List<String> lines = Files.readAllLines(ratings, StandardCharsets.UTF_8);
        if (lines.isEmpty()) {
            throw new IOException(ratings + " is empty");
        }
        List<String> header = List.of(lines.getFirst().strip().split(","));
        int img = header.indexOf("image");
        int vp = header.indexOf("viewpoint");
        int rt = header.indexOf("rating");
        if (img < 0 || vp < 0 || rt < 0) {
            throw new IOException(ratings + ": the header must name the columns image, viewpoint and rating; it is " + header);
        }
        Path base = images != null ? images : ratings.toAbsolutePath().getParent();
        Map<String, Map<String, List<Double>>> byImage = new LinkedHashMap<>();
        for (int i = 1; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            String[] f = lines.get(i).split(",", -1);
            if (f.length < header.size()) {
                throw new IOException(ratings + " line " + (i + 1) + ": " + f.length + " columns, the header has " + header.size());
            }
            try {
                byImage.computeIfAbsent(f[img].strip(), k -> new LinkedHashMap<>())
                        .computeIfAbsent(f[vp].strip(), k -> new ArrayList<>()).add(Double.parseDouble(f[rt].strip()));
            } catch (NumberFormatException e) {
                throw new IOException(ratings + " line " + (i + 1) + ": rating '" + f[rt] + "' is not a number");
            }
        }
        List<LabelTuning.RatedImage> out = new ArrayList<>();
        for (Map.Entry<String, Map<String, List<Double>>> e : byImage.entrySet()) {
            Path file = base.resolve(e.getKey());
            out.add(new LabelTuning.RatedImage(new ImageInput(e.getKey(), Files.readAllBytes(file)), e.getValue()));
        }
        return out;
    }
}
