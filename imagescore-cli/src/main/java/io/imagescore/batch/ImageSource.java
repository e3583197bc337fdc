package io.imagescore.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The images of a batch run, streamed in a stable order (resume depends on it): a manifest (CSV with a header, or
 * JSONL; columns id, path, optional set), a directory walked recursively in sorted order, or paths on stdin.
 * Nothing is loaded whole: a 1.5-million-line manifest costs one line of memory at a time.
 */
public abstract class ImageSource implements Iterator<SourceEntry>, Closeable {

    public static final Set<String> DEFAULT_EXTENSIONS = Set.of("jpg", "jpeg", "png", "webp", "gif", "bmp", "tif", "tiff");

    private SourceEntry next;

    /** The next entry, or null at the end. */
    protected abstract SourceEntry read() throws IOException;

    @Override
    public final boolean hasNext() {
        if (next == null) {
            try {
                next = read();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return next != null;
    }

    @Override
    public final SourceEntry next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        SourceEntry e = next;
        next = null;
        return e;
    }

    /** A manifest by extension: .csv, or .jsonl/.ndjson. Relative paths are resolved against the manifest's folder. */
    public static ImageSource manifest(Path file) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".csv")) {
            return new CsvManifest(file);
        }
        if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
            return new JsonlManifest(file);
        }
        throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "manifest " + file + ": use a .csv or .jsonl file");
    }

    public static ImageSource directory(Path root, Set<String> extensions) {
        return new DirectorySource(root, extensions);
    }

    /** One path per line; the id is the path as given. */
    public static ImageSource lines(InputStream in) {
        return new LineSource(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)));
    }

    /** Cheap pre-count for progress/ETA: lines of a manifest minus its CSV header; -1 when unknown. */
    public static long countEntries(Path manifest) throws IOException {
        long n = 0;
        try (BufferedReader r = Files.newBufferedReader(manifest, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.isBlank()) {
                    n++;
                }
            }
        }
        return manifest.toString().toLowerCase(Locale.ROOT).endsWith(".csv") ? Math.max(0, n - 1) : n;
    }

    static SourceEntry entry(Path base, String id, String path, String set, String where) {
        if (id == null || id.isBlank()) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, where + ": the id is empty");
        }
        if (path == null || path.isBlank()) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, where + ": the path of '" + id + "' is empty");
        }
        String resolved = base == null ? path : base.resolve(path).toString();
        return new SourceEntry(id, resolved, set == null || set.isEmpty() ? null : set, where);
    }

    private static final class CsvManifest extends ImageSource {
        private final Path file;
        private final MappingIterator<Map<String, String>> rows;
        private long line = 1;

        CsvManifest(Path file) throws IOException {
            this.file = file;
            CsvMapper mapper = new CsvMapper();
            this.rows = mapper.readerForMapOf(String.class).with(CsvSchema.emptySchema().withHeader())
                    .readValues(Files.newBufferedReader(file, StandardCharsets.UTF_8));
        }

        @Override
        protected SourceEntry read() throws IOException {
            if (!rows.hasNextValue()) {
                return null;
            }
            Map<String, String> row = rows.next();
            line = rows.getCurrentLocation() == null ? line + 1 : rows.getCurrentLocation().getLineNr();
            String where = file.getFileName() + ":" + line;
            if (!row.containsKey("id") || !row.containsKey("path")) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, where + ": the manifest needs a header with columns id,path[,set]; got " + row.keySet());
            }
            return entry(file.toAbsolutePath().getParent(), row.get("id"), row.get("path"), row.get("set"), where);
        }

        @Override
        public void close() throws IOException {
            rows.close();
        }
    }

    private static final class JsonlManifest extends ImageSource {
        private final Path file;
        private final NumberedLines lines;
        private final ObjectMapper json = new ObjectMapper();

        JsonlManifest(Path file) throws IOException {
            this.file = file;
            this.lines = new NumberedLines(Files.newBufferedReader(file, StandardCharsets.UTF_8));
        }

        @Override
        protected SourceEntry read() throws IOException {
            String text = lines.nextNonBlank();
            if (text == null) {
                return null;
            }
            String where = file.getFileName() + ":" + lines.number;
            JsonNode node;
            try {
                node = json.readTree(text);
            } catch (IOException e) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, where + ": not a JSON object: " + e.getMessage());
            }
            return entry(file.toAbsolutePath().getParent(), text(node, "id"), text(node, "path"), text(node, "set"), where);
        }

        private static String text(JsonNode node, String field) {
            JsonNode v = node.get(field);
            return v == null || v.isNull() ? null : v.asText();
        }

        @Override
        public void close() throws IOException {
            lines.reader.close();
        }
    }

    /** A reader's non-blank lines with their 1-based line numbers, for messages that name where a problem is. */
    private static final class NumberedLines {
        final BufferedReader reader;
        long number;

        NumberedLines(BufferedReader reader) {
            this.reader = reader;
        }

        /** The next non-blank line (number = its line number), or null at the end. */
        String nextNonBlank() throws IOException {
            String text;
            do {
                text = reader.readLine();
                number++;
                if (text == null) {
                    return null;
                }
            } while (text.isBlank());
            return text;
        }
    }

    private static final class LineSource extends ImageSource {
        private final NumberedLines lines;

        LineSource(BufferedReader reader) {
            this.lines = new NumberedLines(reader);
        }

        @Override
        protected SourceEntry read() throws IOException {
            String text = lines.nextNonBlank();
            if (text == null) {
                return null;
            }
            return entry(null, text.strip(), text.strip(), null, "stdin:" + lines.number);
        }

        @Override
        public void close() {
            // stdin stays open: it is not ours
        }
    }

    /**
     * Depth-first walk, each directory's entries sorted by name, so the order (and hence resume) is stable. Only one
     * directory listing per level is held. The id is the path relative to the root, with '/' separators.
     */
    private static final class DirectorySource extends ImageSource {
        private final Path root;
        private final Set<String> extensions;
        private final Deque<Iterator<Path>> stack = new ArrayDeque<>();

        DirectorySource(Path root, Set<String> extensions) {
            this.root = root.toAbsolutePath().normalize();
            this.extensions = extensions;
            stack.push(List.of(this.root).iterator());
        }

        @Override
        protected SourceEntry read() throws IOException {
            while (!stack.isEmpty()) {
                Iterator<Path> top = stack.peek();
                if (!top.hasNext()) {
                    stack.pop();
                    continue;
                }
                Path p = top.next();
                if (Files.isDirectory(p)) {
                    try (Stream<Path> list = Files.list(p)) {
                        stack.push(list.sorted().toList().iterator());
                    }
                } else if (extensions.contains(extension(p))) {
                    String id = root.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/");
                    return new SourceEntry(id, p.toString(), null, id);
                }
            }
            return null;
        }

        private static String extension(Path p) {
            String n = p.getFileName().toString();
            int dot = n.lastIndexOf('.');
            return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
        }

        @Override
        public void close() {
        }
    }
}
