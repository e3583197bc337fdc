package io.imagescore.cli;

import io.imagescore.batch.EngineOptions;
import io.imagescore.score.Engine;
import io.imagescore.image.PreprocessMode;
import io.imagescore.score.ImageInput;
import io.imagescore.sort.SetSorter;
import io.imagescore.sort.SortResult;
import io.imagescore.sort.SortSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code imagescore order}: orders image files (or the images of directories) the way the Sort RPC does, with the
 * same {@link SetSorter}, and prints the order with classes, reasons and set findings.
 */
@Command(name = "order", mixinStandardHelpOptions = true,
        description = "Order a set of images by score, by a regulation (ordered classes of a classifier) or by a learned preference score.")
public final class OrderCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", description = "Image files or directories (their images, by name), in original order.")
    List<Path> inputs;

    @Mixin
    EngineOptions engineOptions;
    @Mixin
    SortSpecOptions sorting;

    @Override
    public Integer call() throws IOException {
        try {
            return run();
        } catch (io.imagescore.error.ImageScoreException e) {
            System.err.println("imagescore order: " + e.code() + ": " + e.getMessage());
            return 2;
        }
    }

    private int run() throws IOException {
        SortSpec spec = sorting.spec();
        List<ImageInput> images = new ArrayList<>();
        for (Path p : inputs) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    for (Path f : s.filter(Files::isRegularFile).sorted().toList()) {
                        images.add(new ImageInput(f.toString(), Files.readAllBytes(f)));
                    }
                }
            } else {
                images.add(new ImageInput(p.toString(), Files.readAllBytes(p)));
            }
        }
        try (Engine engine = engineOptions.open()) {
            SortResult r = new SetSorter(engine.pipeline()).sort(engine.pack(), images, spec, PreprocessMode.EXACT, null);
            System.out.printf("%-4s %-4s %-18s %-6s %s%n", "rank", "pos", "class", "conf", "id  reasons");
            for (SortResult.Placed p : r.order()) {
                System.out.printf("%-4d %-4d %-18s %-6s %s  %s%s%s%n", p.rank(), p.position(),
                        p.classLabel() == null ? "-" : p.classLabel(),
                        Double.isNaN(p.confidence()) ? "-" : String.format(Locale.ROOT, "%.3f", p.confidence()), p.id(),
                        p.reasons(), p.duplicateOf() == null ? "" : " duplicate of " + p.duplicateOf(),
                        p.scores().isEmpty() ? "" : " " + p.scores());
            }
            for (SortResult.Finding f : r.findings()) {
                System.out.println("finding " + f.code() + ": " + f.message() + (f.ids().isEmpty() ? "" : " " + f.ids()));
            }
        }
        return 0;
    }
}
