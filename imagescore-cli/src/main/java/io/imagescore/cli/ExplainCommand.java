package io.imagescore.cli;

import io.imagescore.batch.ImageSource;
import io.imagescore.score.Engine;
import io.imagescore.batch.EngineOptions;
import io.imagescore.explain.Explanation;
import io.imagescore.image.PreprocessMode;
import io.imagescore.image.Preprocessor;
import io.imagescore.score.ImageInput;
import io.imagescore.score.Outcome;
import io.imagescore.score.ScoredImage;
import io.imagescore.score.ScoringPipeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code imagescore explain PHOTO|FOLDER --out DIR [--scores a,b]}: one overlay PNG per photo and score
 * ({@code <photo>.<score>.png}) and {@code index.html}, a contact sheet with a row per photo.
 */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = "Write heat-map overlays (which regions drive each score) and an HTML contact sheet.")
public final class ExplainCommand implements Callable<Integer> {
    @Mixin
    EngineOptions engine;
    @Parameters(index = "0", description = "A photo or a folder of photos (not recursive).")
    Path input;
    @Option(names = "--out", required = true, description = "Output folder (created).")
    Path out;
    @Option(names = "--scores", split = ",", description = "Scores to explain (default: the pack's default scores, as a Score request naming none).")
    List<String> scores = List.of();
    @Option(names = "--max-side", defaultValue = "512", description = "Long side of the overlays in pixels (default: ${DEFAULT-VALUE}).")
    int maxSide;
    @Option(names = "--limit", defaultValue = "200", description = "At most this many photos of a folder (default: ${DEFAULT-VALUE}).")
    int limit;

    @Override
    public Integer call() throws IOException {
        List<Path> photos;
        if (Files.isDirectory(input)) {
            try (Stream<Path> s = Files.list(input)) {
                photos = s.filter(Files::isRegularFile).filter(ExplainCommand::isImage).sorted().limit(limit).toList();
            }
        } else {
            photos = List.of(input);
        }
        Files.createDirectories(out);
        Preprocessor decoder = new Preprocessor();
        List<String> rows = new ArrayList<>();
        try (Engine e = engine.open()) {
            var selections = ScoringPipeline.select(e.pack(), scores);
            for (Path photo : photos) {
                byte[] bytes = Files.readAllBytes(photo);
                Outcome<ScoredImage> o = e.pipeline().score(e.pack(), List.of(new ImageInput(photo.toString(), bytes)),
                        selections, false, true, PreprocessMode.EXACT, null).getFirst();
                String name = photo.getFileName().toString();
                StringBuilder row = new StringBuilder("<tr><th>").append(html(name)).append("</th>");
                if (!o.isOk()) {
                    System.err.println(name + ": " + o.error().getMessage());
                    rows.add(row.append("<td>").append(html(o.error().getMessage())).append("</td></tr>").toString());
                    continue;
                }
                var rgb = decoder.decode(bytes);
                ScoredImage s = o.value();
                for (Explanation x : s.explanations()) {
                    if (x.rows() == 0) { // "none: <reason>": nothing to draw
                        row.append("<td>").append(html(x.score() + ": " + x.method())).append("</td>");
                        continue;
                    }
                    String file = name + "." + x.score() + ".png";
                    ImageIO.write(Overlay.render(rgb, x, maxSide), "png", out.resolve(file).toFile());
                    row.append("<td><img src=\"").append(html(file)).append("\" width=\"256\"><br>")
                            .append(html(caption(s, x))).append("</td>");
                }
                rows.add(row.append("</tr>").toString());
                System.out.println(name);
            }
        }
        try (PrintStream p = new PrintStream(Files.newOutputStream(out.resolve("index.html")), true, StandardCharsets.UTF_8)) {
            p.println("<!doctype html><meta charset=\"utf-8\"><title>imagescore explain</title>");
            p.println("<style>body{font-family:sans-serif}td,th{vertical-align:top;padding:4px;font-size:12px}</style>");
            p.println("<p>Red: regions that raise the score above the photo's average region; blue: regions that lower it "
                    + "(per-cell contributions, the colour bar's ends in the score's units).</p><table>");
            rows.forEach(p::println);
            p.println("</table>");
        }
        System.out.println("wrote " + out.resolve("index.html"));
        return 0;
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 && ImageSource.DEFAULT_EXTENSIONS.contains(n.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    private static String caption(ScoredImage s, Explanation x) {
        for (ScoredImage.Scalar sc : s.scalars()) {
            if (sc.name().equals(x.score())) {
                return String.format(Locale.ROOT, "%s = %.2f (%s)", x.score(), sc.value(), x.method());
            }
        }
        for (ScoredImage.Classes c : s.classes()) {
            if (c.name().equals(x.score())) {
                int top = c.topK(1)[0];
                return String.format(Locale.ROOT, "%s = %s %.2f (%s)", x.score(), c.labels().get(top),
                        c.probabilities()[top], x.method());
            }
        }
        return x.score();
    }

    private static String html(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
