package io.imagescore.cli;

import io.imagescore.score.Engine;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.imagescore.fit.Evaluation;
import io.imagescore.fit.FitService;
import io.imagescore.fit.LabelledImage;
import io.imagescore.pack.ModelPack;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code imagescore evaluate}: measures a head on a labelled set; prints a table and optionally writes JSON. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Evaluate a head on labelled images: SRCC/PLCC/KRCC/RMSE, accuracy/macro-F1/confusion/ECE, pairwise accuracy/Kendall τ.")
final class EvaluateCommand implements Callable<Integer> {
    @ArgGroup(exclusive = false, heading = "Pack and runtime%n")
    FitEngineOptions engine = new FitEngineOptions();
    @ArgGroup(exclusive = false, heading = "Labelled set%n")
    LabelledSetOptions set = new LabelledSetOptions();

    @Option(names = "--score", required = true, description = "Score to evaluate, optionally pinned: quality or quality@2.")
    String score;
    @Option(names = "--json", description = "Write the evaluation as JSON here (deterministic: no timings).")
    Path json;

    @Override
    public Integer call() throws IOException {
        List<LabelledImage> images = set.images();
        try (Engine e = engine.open()) {
            ModelPack pack = engine.pack(e);
            FitService service = engine.fitService(e);
            FitCommand.Progress progress = new FitCommand.Progress("encoded", images.size());
            Evaluation ev = service.evaluate(pack, score, images, set.comparisons(), engine.preprocessMode(), null, progress);
            double seconds = progress.seconds();
            long misses = service.cache().misses();
            print(ev);
            // Encoding cost: wall time of decode+preprocess+encoder per image (only meaningful without a warm cache).
            double msPerImage = 1000 * seconds / images.size();
            System.out.printf("  cost               %.1f ms/image wall (%d images, %s threads, %d cache misses)%n",
                    msPerImage, images.size(), engine.threads(), misses);
            if (json != null) {
                ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
                Files.writeString(json, m.writeValueAsString(ev) + "\n");
            }
        }
        return 0;
    }

    static void print(Evaluation ev) {
        System.out.printf("%s@%s on %d images (pack %s)%n", ev.score(), ev.version(), ev.examples(), ev.pack());
        if (ev.regression() != null) {
            var r = ev.regression();
            System.out.printf("  SRCC %.4f   PLCC %.4f   KRCC %.4f   RMSE %.4f%n", r.srcc(), r.plcc(), r.krcc(), r.rmse());
        }
        if (ev.ranking() != null) {
            var r = ev.ranking();
            System.out.printf("  pairwise accuracy %.4f over %d pairs, Kendall τ %.4f%n", r.pairwiseAccuracy(), r.pairs(), r.kendallTau());
        }
        if (ev.classification() != null) {
            var c = ev.classification();
            System.out.printf("  accuracy %.4f   macro-F1 %.4f   ECE %.4f   log-loss %.4f%n", c.accuracy(), c.macroF1(), c.ece(), c.logLoss());
            int w = Math.max(8, c.classes().stream().mapToInt(String::length).max().orElse(8));
            StringBuilder sb = new StringBuilder(String.format("  %-" + w + "s", "true\\pred"));
            for (int k = 0; k < c.classes().size(); k++) {
                sb.append(String.format(" %5d", k));
            }
            System.out.println(sb);
            for (int t = 0; t < c.classes().size(); t++) {
                sb = new StringBuilder(String.format("  %-" + w + "s", t + " " + c.classes().get(t)));
                for (int p = 0; p < c.classes().size(); p++) {
                    sb.append(String.format(" %5d", c.confusion()[t][p]));
                }
                System.out.println(sb);
            }
        }
    }
}
