package io.imagescore.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagescore.experiment.ComparisonReport;
import io.imagescore.experiment.Bootstrap;
import io.imagescore.experiment.VariantComparison;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** A {@link ComparisonReport} for people (Markdown, a PNG) and programs (JSON). */
public final class ComparisonOutput {
    /** JSON of reports: snake_case, NaN written as the JSON string "NaN" by Jackson's default for doubles. */
    static final ObjectMapper JSON = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private ComparisonOutput() {
    }

    public static String json(ComparisonReport r) throws IOException {
        return JSON.writeValueAsString(r) + "\n";
    }

    public static String markdown(ComparisonReport r) {
        StringBuilder md = new StringBuilder();
        md.append("# Variant comparison\n\n");
        md.append("- A: ").append(r.variantA()).append("\n- B: ").append(r.variantB()).append('\n');
        md.append(String.format(Locale.ROOT, "- %d images scored under both variants; %d left out%n", r.images(), r.excluded().size()));
        md.append(String.format(Locale.ROOT, "- intervals: %.0f%% percentile bootstrap, %d resamples, seed %d%n%n",
                100 * r.confidence(), r.bootstrapResamples(), r.seed()));
        md.append("## Scores\n\n| A | B | SRCC | KRCC | PLCC | mean A | mean B | mean shift | mean abs shift | top-k overlap |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|\n");
        for (VariantComparison.ScoreComparison c : r.scores()) {
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %.4f | %.4f | %+.4f | %.4f | %.3f (k=%d) |%n",
                    c.scoreA(), c.scoreB(), interval(c.srcc()), interval(c.krcc()), interval(c.plcc()), c.meanA(), c.meanB(),
                    c.meanShift(), c.meanAbsShift(), c.topKOverlap(), c.topK()));
        }
        for (VariantComparison.ScoreComparison c : r.scores()) {
            md.append("\nRank displacement, ").append(c.scoreA()).append(" → ").append(c.scoreB()).append(":\n\n| places moved | images |\n|---|---|\n");
            for (VariantComparison.Bin b : c.rankDisplacement()) {
                md.append("| ").append(binLabel(b)).append(" | ").append(b.count()).append(" |\n");
            }
        }
        if (r.listings() != null) {
            var l = r.listings();
            md.append(String.format(Locale.ROOT, "%n## Listings%n%nOrdered by %s.%n%n%d listings: hero photo changes in %d (%.1f%%), "
                    + "mean Kendall τ %.4f, %d moves in all.%n%n| listing | photos | τ | moves | hero A | hero B |%n|---|---|---|---|---|---|%n",
                    r.orderedBy(), l.listings(), l.heroChanges(), 100 * l.heroChangeShare(), l.meanKendallTau(), l.totalMoves()));
            for (var x : l.perListing()) {
                md.append(String.format(Locale.ROOT, "| %s | %d | %.3f | %d | %s | %s%s |%n", x.listing(), x.photos(), x.kendallTau(),
                        x.moves(), x.heroA(), x.heroB(), x.heroChanged() ? " (changed)" : ""));
            }
        }
        for (VariantComparison.Accuracy a : new VariantComparison.Accuracy[]{r.ratings(), r.labels()}) {
            if (a != null) {
                md.append(String.format(Locale.ROOT, "%n## Ground truth (%s, %d images)%n%n| A | B | B − A |%n|---|---|---|%n| %.4f | %.4f | %s |%n",
                        a.metric(), a.images(), a.a(), a.b(), interval(a.difference())));
            }
        }
        if (!r.excluded().isEmpty()) {
            md.append("\n## Left out\n\n");
            r.excluded().forEach(e -> md.append("- ").append(e.id()).append(" (variant ").append(e.variant()).append("): ")
                    .append(e.code()).append(' ').append(e.message()).append('\n'));
        }
        return md.toString();
    }

    /**
     * A PNG of the first scalar score: each image's A value against its B value (left; points off the diagonal moved)
     * and the rank-displacement histogram (right).
     */
    public static void plot(ComparisonReport r, double[] a, double[] b, Path png) throws IOException {
        VariantComparison.ScoreComparison c = r.scores().getFirst();
        XYSeries points = new XYSeries("images");
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < a.length; i++) {
            points.add(a[i], b[i]);
            lo = Math.min(lo, Math.min(a[i], b[i]));
            hi = Math.max(hi, Math.max(a[i], b[i]));
        }
        XYSeries diagonal = new XYSeries("B = A");
        diagonal.add(lo, lo);
        diagonal.add(hi, hi);
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(points);
        data.addSeries(diagonal);
        JFreeChart scatter = ChartFactory.createScatterPlot(String.format(Locale.ROOT, "%s vs %s (SRCC %.3f)", c.scoreA(), c.scoreB(),
                c.srcc().estimate()), "A: " + c.scoreA(), "B: " + c.scoreB(), data, PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = scatter.getXYPlot();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer();
        renderer.setSeriesLinesVisible(0, false);
        renderer.setSeriesShapesVisible(1, false);
        renderer.setSeriesPaint(1, Color.GRAY);
        plot.setRenderer(renderer);

        DefaultCategoryDataset bins = new DefaultCategoryDataset();
        c.rankDisplacement().forEach(bin -> bins.addValue(bin.count(), "images", binLabel(bin)));
        JFreeChart histogram = ChartFactory.createBarChart("Rank displacement (places moved)", "places", "images", bins,
                PlotOrientation.VERTICAL, false, false, false);

        int w = 700;
        int h = 520;
        BufferedImage img = new BufferedImage(2 * w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            scatter.draw(g, new Rectangle2D.Double(0, 0, w, h));
            histogram.draw(g, new Rectangle2D.Double(w, 0, w, h));
        } finally {
            g.dispose();
        }
        Files.createDirectories(png.toAbsolutePath().getParent());
        ImageIO.write(img, "png", png.toFile());
    }

    static String binLabel(VariantComparison.Bin b) {
        return b.to() < 0 ? "≥ " + b.from() : b.from() == b.to() ? Integer.toString(b.from()) : b.from() + "–" + b.to();
    }

    private static String interval(Bootstrap.Interval i) {
        return String.format(Locale.ROOT, "%.4f [%.4f, %.4f]", i.estimate(), i.low(), i.high());
    }
}
