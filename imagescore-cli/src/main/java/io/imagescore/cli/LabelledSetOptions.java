package io.imagescore.cli;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.fit.Comparison;
import io.imagescore.fit.ImageRef;
import io.imagescore.fit.LabelledImage;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where a labelled set comes from on disk: a CSV of image → target/label (e.g. CLIVE's mos.csv), or class folders
 * ({@code DIR/<class>/<image>}), optionally with a CSV of comparisons. Image ids are paths relative to the images dir.
 */
final class LabelledSetOptions {
    @Option(names = "--labels", description = "CSV with a header: an image column and a target or label column.")
    Path labels;
    @Option(names = "--images-dir", description = "Directory the CSV's image paths are relative to (default: <labels dir>/images if it exists, else the labels file's directory).")
    Path imagesDir;
    @Option(names = "--image-column", defaultValue = "image")
    String imageColumn;
    @Option(names = "--target-column", description = "Numeric target column (regression, pairwise from ratings), e.g. mos.")
    String targetColumn;
    @Option(names = "--label-column", description = "Class label column.")
    String labelColumn;
    @Option(names = "--class-dirs", description = "Directory with one sub-directory of images per class (the folder name is the label).")
    Path classDirs;
    @Option(names = "--pairs", description = "CSV with header a,b[,target]: image a better than b (target 1, 0 = b better, 0.5 = tie).")
    Path pairs;
    @Option(names = "--limit-per-class", description = "Use only the first N images (sorted by name) of each class / of the CSV; for quick runs.")
    Integer limit;

    List<LabelledImage> images() {
        if ((labels == null) == (classDirs == null)) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "give exactly one of --labels and --class-dirs");
        }
        return labels != null ? fromCsv() : fromClassDirs();
    }

    List<Comparison> comparisons() {
        if (pairs == null) {
            return List.of();
        }
        List<String[]> rows = csv(pairs);
        List<String> header = Arrays.asList(rows.getFirst());
        int a = column(pairs, header, "a");
        int b = column(pairs, header, "b");
        int t = header.indexOf("target");
        List<Comparison> out = new ArrayList<>();
        for (String[] r : rows.subList(1, rows.size())) {
            out.add(new Comparison(r[a], r[b], t < 0 ? 1.0 : Double.parseDouble(r[t])));
        }
        return out;
    }

    private List<LabelledImage> fromCsv() {
        List<String[]> rows = csv(labels);
        List<String> header = Arrays.asList(rows.getFirst());
        int img = column(labels, header, imageColumn);
        int target = targetColumn == null ? -1 : column(labels, header, targetColumn);
        int label = labelColumn == null ? -1 : column(labels, header, labelColumn);
        Path dir = imagesDir;
        if (dir == null) {
            Path parent = labels.toAbsolutePath().getParent();
            dir = Files.isDirectory(parent.resolve("images")) ? parent.resolve("images") : parent;
        }
        List<LabelledImage> out = new ArrayList<>();
        for (String[] r : rows.subList(1, rows.size())) {
            if (limit != null && out.size() >= limit) {
                break;
            }
            String id = r[img];
            double t = target < 0 ? Double.NaN : parseTarget(r[target]);
            out.add(new LabelledImage(ImageRef.ofBytes(id, read(dir.resolve(id))), t, label < 0 ? null : r[label]));
        }
        return out;
    }

    private static double parseTarget(String s) {
        try {
            return s.isBlank() ? Double.NaN : Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return Double.NaN; // the fitter rejects it, naming the image
        }
    }

    private List<LabelledImage> fromClassDirs() {
        List<LabelledImage> out = new ArrayList<>();
        for (Path classDir : list(classDirs).stream().filter(Files::isDirectory).toList()) {
            String label = classDir.getFileName().toString();
            List<Path> files = list(classDir).stream().filter(Files::isRegularFile).toList();
            if (limit != null) {
                files = files.subList(0, Math.min(limit, files.size()));
            }
            for (Path f : files) {
                out.add(LabelledImage.classified(ImageRef.ofBytes(label + "/" + f.getFileName(), read(f)), label));
            }
        }
        return out;
    }

    private static List<Path> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        } catch (IOException e) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "cannot list " + dir + ": " + e.getMessage());
        }
    }

    private static byte[] read(Path f) {
        try {
            return Files.readAllBytes(f);
        } catch (IOException e) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "cannot read image " + f + ": " + e.getMessage());
        }
    }

    /** Plain CSV: comma-separated, no quoting (our label files need none; a quote is rejected rather than misread). */
    private static List<String[]> csv(Path f) {
        try {
            List<String[]> rows = new ArrayList<>();
            for (String line : Files.readAllLines(f)) {
                if (line.isBlank()) {
                    continue;
                }
                if (line.indexOf('"') >= 0) {
                    throw new ImageScoreException(ErrorCode.INVALID_REQUEST, f + ": quoted CSV fields are not supported");
                }
                rows.add(Arrays.stream(line.split(",", -1)).map(String::strip).toArray(String[]::new));
            }
            if (rows.size() < 2) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, f + ": needs a header line and at least one row");
            }
            return rows;
        } catch (IOException e) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "cannot read " + f + ": " + e.getMessage());
        }
    }

    private static int column(Path f, List<String> header, String name) {
        int i = header.indexOf(name);
        if (i < 0) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, f + ": no column '" + name + "' (columns: " + header + ")");
        }
        return i;
    }
}
