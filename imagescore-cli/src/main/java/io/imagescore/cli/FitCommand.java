package io.imagescore.cli;

import io.imagescore.store.DataDirLock;
import io.imagescore.score.Engine;
import io.imagescore.fit.Calibrate;
import io.imagescore.fit.FitKind;
import io.imagescore.fit.FitReport;
import io.imagescore.fit.FitService;
import io.imagescore.fit.FitSpec;
import io.imagescore.fit.FittedHead;
import io.imagescore.fit.HeadStore;
import io.imagescore.fit.LabelledImage;
import io.imagescore.image.View;
import io.imagescore.pack.ModelPack;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code imagescore fit}: fits a head on a labelled set and writes it as a new head version. */
@Command(name = "fit", mixinStandardHelpOptions = true,
        description = "Fit a learned head (ridge, logistic, RankNet) on labelled images and write it as a new immutable head version.")
final class FitCommand implements Callable<Integer> {
    @ArgGroup(exclusive = false, heading = "Pack and runtime%n")
    FitEngineOptions engine = new FitEngineOptions();
    @ArgGroup(exclusive = false, heading = "Labelled set%n")
    LabelledSetOptions set = new LabelledSetOptions();

    @Option(names = "--name", required = true, description = "Head (score) name, e.g. quality.")
    String name;
    @Option(names = "--kind", required = true, description = "${COMPLETION-CANDIDATES}.")
    FitKind kind;
    @Option(names = "--views", split = ",", defaultValue = "center", description = "Views averaged for the head (default: ${DEFAULT-VALUE}).")
    List<String> views;
    @Option(names = "--seed", defaultValue = "0")
    long seed;
    @Option(names = "--folds", defaultValue = "5")
    int folds;
    @Option(names = "--classes", split = ",", description = "Expected class labels in output order (default: the sorted labels).")
    List<String> classes = List.of();
    @Option(names = "--calibration", defaultValue = "none", description = "Regression: ${COMPLETION-CANDIDATES} map onto the targets' scale.")
    Calibrate.Method calibration;
    @Option(names = "--classifier", defaultValue = "logistic",
            description = "Classes: LOGISTIC (linear head) or KERNEL (RBF kernel ridge: more accurate, stores n x 256 support vectors).")
    FitSpec.Classifier classifier;
    @Option(names = "--hidden", defaultValue = "0", description = "Pairwise: hidden ReLU units (0 = linear RankNet).")
    int hidden;
    @Option(names = "--tie-margin", defaultValue = "0", description = "Pairwise from ratings: |Δ| ≤ margin is a tie.")
    double tieMargin;
    @Option(names = "--description", defaultValue = "")
    String description;
    @Option(names = "--unit", defaultValue = "")
    String unit;
    @Option(names = "--lower-is-better")
    boolean lowerIsBetter;
    @Option(names = "--out", description = "Heads root to write <name>/<version>/ into (default: <data-dir>/heads/<pack>).")
    Path out;
    @Option(names = "--version", description = "Version to write (default: the next number).")
    String version;

    @Override
    public Integer call() {
        FitSpec spec = new FitSpec(name, kind, views.stream().map(View::parse).toList(), seed,
                folds, classes, calibration, hidden, tieMargin, description, unit,
                !lowerIsBetter, engine.preprocessMode(), classifier);
        List<LabelledImage> images = set.images();
        // writing into a data directory (the default, or an --out inside one): a server on it would be a second writer
        // of its heads (version numbers)
        Path lockDir = out == null ? engine.dataDir : DataDirLock.enclosing(out);
        try (DataDirLock lock = lockDir == null ? null : DataDirLock.acquire(lockDir); Engine e = engine.open()) {
            ModelPack pack = engine.pack(e);
            FitService service = engine.fitService(e);
            long t0 = System.nanoTime();
            Progress progress = new Progress("encoded", images.size());
            FittedHead head = service.fit(pack, spec, images, set.comparisons(), null, progress);
            Path root = out != null ? out : engine.dataDir.resolve("heads").resolve(pack.name());
            Path dir = version != null ? HeadStore.write(root, head, version) : HeadStore.writeNext(pack, root, head);
            String v = dir.getFileName().toString();
            System.err.printf("fitted in %.1f s (embedding cache: %d hits, %d misses)%n", (System.nanoTime() - t0) / 1e9,
                    service.cache().hits(), service.cache().misses());
            FitReport report = head.report();
            System.out.printf("%s %s → %s%n", name, v, dir);
            System.out.printf("  method   %s, λ = %s%s%n", report.method(), report.lambda(),
                    report.temperature().isPresent() ? ", temperature = " + report.temperature().getAsDouble() : "");
            System.out.printf("  examples %d, views %s, training set sha256 %s%n", report.examples(), views,
                    report.trainingSetSha256());
            printMetrics("cv", report.cv());
            if (report.cvCalibrated() != null) {
                printMetrics("cv (calibrated)", report.cvCalibrated());
            }
        } catch (DataDirLock.HeldException held) {
            System.err.println("imagescore fit: " + held.getMessage() + "; stop that server first, fit through its FitHead RPC,"
                    + " or write elsewhere with --out");
            return 1;
        }
        return 0;
    }

    /** Each defined metric under head.json's name for it, in the order the fitter reports them. */
    static void printMetrics(String title, FitReport.CrossValidation cv) {
        System.out.printf("  %s: %s%n", title, cv.protocol());
        Map<String, Double> metrics = new java.util.LinkedHashMap<>();
        if (cv.regression() != null) {
            var m = cv.regression();
            metrics.put("srcc", m.srcc());
            metrics.put("plcc", m.plcc());
            metrics.put("krcc", m.krcc());
            metrics.put("rmse", m.rmse());
        }
        if (cv.classification() != null) {
            var m = cv.classification();
            metrics.put("accuracy", m.accuracy());
            metrics.put("macro_f1", m.macroF1());
            metrics.put("ece", m.ece());
            metrics.put("log_loss", m.logLoss());
        }
        if (cv.ranking() != null) {
            metrics.put("pairwise_accuracy", cv.ranking().pairwiseAccuracy());
            metrics.put("kendall_tau", cv.ranking().kendallTau());
        }
        metrics.forEach((name, value) -> {
            if (!Double.isNaN(value)) {
                System.out.printf("    %-18s %.4f%n", name, value);
            }
        });
    }

    /** Progress on stderr, one line per encoded chunk. */
    static final class Progress implements java.util.function.IntConsumer {
        private final String what;
        private final int total;
        private final long t0 = System.nanoTime();
        private int last = -1;

        Progress(String what, int total) {
            this.what = what;
            this.total = total;
        }

        @Override
        public void accept(int done) {
            if (done != last) {
                last = done;
                System.err.printf("%s %d/%d images (%.1f s)%n", what, done, total, (System.nanoTime() - t0) / 1e9);
            }
        }

        double seconds() {
            return (System.nanoTime() - t0) / 1e9;
        }
    }
}
