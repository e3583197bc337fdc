package io.imagescore.cli;

import io.imagescore.score.Engine;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.eval.Metrics;
import io.imagescore.fit.FitService;
import io.imagescore.fit.HeadFitter;
import io.imagescore.fit.ImageRef;
import io.imagescore.head.OodDetector;
import io.imagescore.head.Safetensors;
import io.imagescore.pack.HeadVersion;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackLoader;
import io.imagescore.score.ScoringPipeline;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code imagescore ood}: fits a classifier head's out-of-domain detector on its training photos (class
 * sub-directories named like the head's classes), optionally writes it into the head's version directory
 * (ood.safetensors + head.json's "ood" block; the head's own weights are not touched), and measures AUROC of
 * in_domain: an in-domain set (the head's held-out split) against out-of-domain sets.
 */
@Command(name = "ood", mixinStandardHelpOptions = true,
        description = "Fit / write / measure a classifier head's out-of-domain detector (in_domain).")
final class OodCommand implements Callable<Integer> {
    @ArgGroup(exclusive = false, heading = "Pack and runtime%n")
    FitEngineOptions engine = new FitEngineOptions();

    @Option(names = "--score", required = true, description = "Classifier head, optionally pinned: room_type or apparel@2.")
    String score;
    @Option(names = "--train", required = true, description = "The head's training photos: one sub-directory per class.")
    Path train;
    @Option(names = "--shrinkage", defaultValue = "0.01", description = "Variance shrinkage (× mean within-class variance; default ${DEFAULT-VALUE}).")
    double shrinkage;
    @Option(names = "--sqrt", negatable = true, defaultValue = "true", fallbackValue = "true", description = "Square-root the features first (default ${DEFAULT-VALUE}).")
    boolean sqrt;
    @Option(names = "--write", description = "Head version directory to write ood.safetensors and the head.json ood block into.")
    Path write;
    @Option(names = "--in", description = "In-domain evaluation photos (searched recursively).")
    Path in;
    @Option(names = "--out", description = "Out-of-domain evaluation photos as name=dir (repeatable; searched recursively).")
    Map<String, Path> out = new LinkedHashMap<>();

    @Override
    public Integer call() throws IOException {
        try (Engine e = engine.open()) {
            ModelPack pack = engine.pack(e);
            FitService service = engine.fitService(e);
            HeadVersion hv = ScoringPipeline.select(pack, List.of(score)).getFirst().head();
            List<String> classes = hv.spec().classes();
            if (classes.isEmpty()) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, score + " is not a classifier");
            }
            List<ImageRef> trainImages = new ArrayList<>();
            List<Integer> labels = new ArrayList<>();
            for (int k = 0; k < classes.size(); k++) {
                for (Path f : files(train.resolve(classes.get(k)))) {
                    trainImages.add(ImageRef.ofBytes(classes.get(k) + "/" + f.getFileName(), Files.readAllBytes(f)));
                    labels.add(k);
                }
            }
            double[][] x = embed(service, pack, hv, trainImages);
            OodDetector ood = OodDetector.fit(x, labels.stream().mapToInt(Integer::intValue).toArray(), classes.size(),
                    shrinkage, HeadFitter.OOD_PERCENTILES, sqrt);
            System.out.printf(Locale.ROOT, "%s@%s: detector on %d training photos, shrinkage %s%n", hv.spec().name(),
                    hv.version(), x.length, shrinkage);
            if (write != null) {
                write(ood, x.length);
            }
            if (in != null) {
                double[][] inX = embed(service, pack, hv, refs(in));
                double[] inScores = inDomain(ood, inX);
                double[][] inBaselines = baselines(hv, inX);
                System.out.printf(Locale.ROOT, "  in-domain %-28s n=%4d  median in_domain %.3f  below 0.05: %.3f%n", in,
                        inScores.length, median(inScores), below(inScores, 0.05));
                for (Map.Entry<String, Path> o : out.entrySet()) {
                    double[][] outX = embed(service, pack, hv, refs(o.getValue()));
                    double[] outScores = inDomain(ood, outX);
                    double[][] outBaselines = baselines(hv, outX);
                    System.out.printf(Locale.ROOT, "  vs %-34s n=%4d  median in_domain %.3f  below 0.05: %.3f  AUROC %.4f%n",
                            o.getKey(), outScores.length, median(outScores), below(outScores, 0.05),
                            Metrics.auroc(inScores, outScores));
                    System.out.printf(Locale.ROOT, "     baselines on the same sets: max-softmax AUROC %.4f, energy (logsumexp of logits/T) AUROC %.4f%n",
                            Metrics.auroc(inBaselines[0], outBaselines[0]), Metrics.auroc(inBaselines[1], outBaselines[1]));
                }
            }
        }
        return 0;
    }

    private void write(OodDetector ood, int examples) throws IOException {
        Path manifest = write.resolve(PackLoader.HEAD_MANIFEST);
        ObjectMapper json = new ObjectMapper();
        ObjectNode head = (ObjectNode) json.readTree(manifest.toFile());
        Map<String, Safetensors.F32> tensors = new LinkedHashMap<>();
        tensors.put("ood.class_means", new Safetensors.F32(new long[] {ood.classes(), ood.dim()}, ood.classMeans()));
        tensors.put("ood.weights", new Safetensors.F32(new long[] {ood.dim()}, ood.weights()));
        Safetensors.write(write.resolve("ood.safetensors"), tensors);
        ObjectNode block = HeadFitter.oodBlock(ood, examples, shrinkage);
        block.put("weights", "ood.safetensors");
        head.set("ood", block);
        DefaultPrettyPrinter pp = new DefaultPrettyPrinter().withObjectIndenter(new DefaultIndenter("  ", "\n"));
        Files.writeString(manifest, json.writer(pp).writeValueAsString(head) + "\n");
        System.out.println("  wrote " + write.resolve("ood.safetensors") + " and the ood block of " + manifest);
    }

    private double[][] embed(FitService service, ModelPack pack, HeadVersion hv, List<ImageRef> images) {
        return service.embed(pack, images, hv.spec().views(), hv.input(), engine.preprocessMode(), n -> { }).x();
    }

    /** [0]: max softmax probability, [1]: −energy = T·logsumexp(logits/T), per image (higher = more in-domain). */
    private static double[][] baselines(HeadVersion hv, double[][] x) {
        double[][] out = new double[2][x.length];
        io.imagescore.head.SoftmaxHead sm = (io.imagescore.head.SoftmaxHead) hv.head();
        for (int i = 0; i < x.length; i++) {
            float[] f = new float[x[i].length];
            for (int j = 0; j < f.length; j++) {
                f[j] = (float) x[i][j];
            }
            float[] logits = sm.logits().apply(f);
            double t = sm.temperature();
            double max = Double.NEGATIVE_INFINITY;
            for (float l : logits) {
                max = Math.max(max, l / t);
            }
            double sum = 0;
            for (float l : logits) {
                sum += Math.exp(l / t - max);
            }
            out[0][i] = 1 / sum;
            out[1][i] = t * (max + Math.log(sum));
        }
        return out;
    }

    private static double[] inDomain(OodDetector ood, double[][] x) {
        double[] s = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            float[] f = new float[x[i].length];
            for (int j = 0; j < f.length; j++) {
                f[j] = (float) x[i][j];
            }
            s[i] = ood.inDomain(f);
        }
        return s;
    }

    private static List<ImageRef> refs(Path dir) throws IOException {
        List<ImageRef> out = new ArrayList<>();
        for (Path f : files(dir)) {
            out.add(ImageRef.ofBytes(dir.relativize(f).toString(), Files.readAllBytes(f)));
        }
        return out;
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).filter(p -> p.toString().toLowerCase(Locale.ROOT).matches(".*\\.(jpe?g|png)$"))
                    .sorted().toList();
        }
    }

    private static double median(double[] v) {
        return OodDetector.percentiles(v, 2)[1];
    }

    private static double below(double[] v, double t) {
        return java.util.Arrays.stream(v).filter(s -> s < t).count() / (double) v.length;
    }
}
