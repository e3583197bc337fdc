package io.imagescore.batch;

import io.imagescore.testing.Shared;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Small real inputs for batch tests: shared CLIVE photos under distinct ids, plus broken entries. */
final class BatchFixtures {
    private BatchFixtures() {
    }

    static final List<String> PHOTOS = List.of("1000.JPG", "1001.JPG", "1002.JPG", "1003.JPG", "1004.JPG", "1005.JPG");

    static Path photo(int i) {
        return Shared.path("data/clive/images/" + PHOTOS.get(i % PHOTOS.size()));
    }

    /** A CSV manifest of {@code n} photos (ids p0..), as id → path. */
    static Map<String, String> photos(int n) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            m.put("p" + i, photo(i).toString());
        }
        return m;
    }

    static Path csv(Path file, Map<String, String> entries) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("id,path");
        entries.forEach((id, path) -> lines.add(id + "," + path));
        Files.write(file, lines);
        return file;
    }

    static Path notAnImage(Path dir) throws IOException {
        return Files.writeString(dir.resolve("not-an-image.jpg"), "this is text, not a JPEG");
    }

    static Path truncatedJpeg(Path dir) throws IOException {
        byte[] full = Files.readAllBytes(photo(0));
        return Files.write(dir.resolve("truncated.jpg"), java.util.Arrays.copyOf(full, 600));
    }

    /** Every row of a run directory, in chunk order. */
    static List<BatchRow> rows(Path runDir, OutputFormat format, OutputSchema schema) throws IOException {
        List<BatchRow> rows = new ArrayList<>();
        for (Path part : RunDirectory.partFiles(runDir)) {
            try (RowReader r = format.reader(part, schema)) {
                for (BatchRow row; (row = r.read()) != null; ) {
                    rows.add(row);
                }
            }
        }
        return rows;
    }

    static final OutputSchema IMAGENET = new OutputSchema(List.of(), List.of("imagenet@1"), false);
}
