package io.imagescore.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The on-disk state of one run, which is what makes kill -9 safe at any moment:
 * <pre>
 *   run.json            what the run is (inputs, shard, options, output schema, pack); a rerun must match it
 *   parts/part-NNNNNNNNN.ext   chunk k = accepted images [k·C, (k+1)·C), written to a temp file, fsynced, renamed
 *   journal.jsonl       one line per committed chunk: rows, failures by code (appended after the rename)
 *   summary.json        written when every chunk is committed
 * </pre>
 * A chunk counts as done exactly when its part file exists (the rename is atomic). A crash between rename and
 * journal line is repaired on open by reading the part back; a torn last journal line is cut off. Since a chunk's
 * file name is fixed by its index, redoing a chunk could only replace it, never add a second copy: no image is
 * lost and none is written twice.
 */
public final class RunDirectory {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PART = Pattern.compile("part-(\\d{9})\\.(csv|jsonl|parquet)");

    private final Path dir;
    private final Path parts;
    private final Path journal;
    private final OutputFormat format;
    private final OutputSchema schema;
    private final int chunkSize;
    private final TreeMap<Long, ChunkStats> done = new TreeMap<>();

    /** Per committed chunk: rows, failed rows by error code, and its first id (a cheap check that the input is the same). */
    public record ChunkStats(long chunk, int rows, Map<String, Integer> errors, String firstId) {
        public int failed() {
            return errors.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    private RunDirectory(Path dir, OutputFormat format, OutputSchema schema, int chunkSize) {
        this.dir = dir;
        this.parts = dir.resolve("parts");
        this.journal = dir.resolve("journal.jsonl");
        this.format = format;
        this.schema = schema;
        this.chunkSize = chunkSize;
    }

    /**
     * Opens (or creates) the run in {@code dir}. {@code run} describes the run; if the directory already holds a run,
     * it must be the same one, or this fails rather than mix two runs' rows.
     */
    public static RunDirectory open(Path dir, ObjectNode run, OutputFormat format, OutputSchema schema, int chunkSize)
            throws IOException {
        Files.createDirectories(dir.resolve("parts"));
        Path runFile = dir.resolve("run.json");
        if (Files.exists(runFile)) {
            JsonNode existing = JSON.readTree(runFile.toFile());
            if (!existing.equals(run)) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "the output directory " + dir
                        + " holds a different run (" + existing + "); rerun with the same options to resume, or use another --out");
            }
        } else {
            atomicWrite(runFile, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(run));
        }
        RunDirectory r = new RunDirectory(dir, format, schema, chunkSize);
        r.recover();
        return r;
    }

    /** Reads run.json of an existing run (merge). */
    public static JsonNode describe(Path dir) throws IOException {
        Path runFile = dir.resolve("run.json");
        if (!Files.exists(runFile)) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, dir + " is not a batch run directory (no run.json)");
        }
        return JSON.readTree(runFile.toFile());
    }

    private void recover() throws IOException {
        try (Stream<Path> s = Files.list(parts)) {
            for (Path p : s.toList()) {
                if (p.getFileName().toString().endsWith(".tmp")) {
                    Files.delete(p); // an interrupted write: that chunk is simply not done
                }
            }
        }
        if (Files.exists(journal)) {
            byte[] bytes = Files.readAllBytes(journal);
            int end = bytes.length;
            while (end > 0 && bytes[end - 1] != '\n') {
                end--;
            }
            if (end < bytes.length) {
                try (FileChannel ch = FileChannel.open(journal, StandardOpenOption.WRITE)) {
                    ch.truncate(end);
                    ch.force(true);
                }
            }
            for (String line : new String(bytes, 0, end, StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    JsonNode n = JSON.readTree(line);
                    Map<String, Integer> errors = new TreeMap<>();
                    n.path("errors").properties().forEach(e -> errors.put(e.getKey(), e.getValue().asInt()));
                    long chunk = n.get("chunk").asLong();
                    done.put(chunk, new ChunkStats(chunk, n.get("rows").asInt(), errors, n.path("first_id").asText()));
                }
            }
        }
        // Part files are the truth: drop journal lines without a part (cannot happen unless edited), add parts
        // committed just before a crash that cut their journal line.
        TreeMap<Long, Path> present = new TreeMap<>();
        try (Stream<Path> s = Files.list(parts)) {
            for (Path p : s.toList()) {
                Matcher m = PART.matcher(p.getFileName().toString());
                if (m.matches()) {
                    present.put(Long.parseLong(m.group(1)), p);
                }
            }
        }
        done.keySet().retainAll(present.keySet());
        for (var e : present.entrySet()) {
            if (!done.containsKey(e.getKey())) {
                List<BatchRow> rows = new ArrayList<>();
                try (RowReader r = format.reader(e.getValue(), schema)) {
                    for (BatchRow row; (row = r.read()) != null; ) {
                        rows.add(row);
                    }
                }
                appendJournal(stats(e.getKey(), rows));
            }
        }
    }

    public int chunkSize() {
        return chunkSize;
    }

    public boolean isDone(long chunk) {
        return done.containsKey(chunk);
    }

    public synchronized ChunkStats stats(long chunk) {
        return done.get(chunk);
    }

    public synchronized List<ChunkStats> committed() {
        return List.copyOf(done.values());
    }

    public Path partFile(long chunk) {
        return parts.resolve(String.format("part-%09d.%s", chunk, format.extension()));
    }

    /** Writes chunk {@code chunk} (rows in input order) atomically, then records it in the journal. */
    public void commit(long chunk, List<BatchRow> rows) throws IOException {
        Path target = partFile(chunk);
        Path tmp = parts.resolve(target.getFileName() + ".tmp");
        try (RowWriter w = format.writer(tmp, schema)) {
            for (BatchRow r : rows) {
                w.write(r);
            }
        }
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceDirectory(parts);
        appendJournal(stats(chunk, rows));
    }

    private static ChunkStats stats(long chunk, List<BatchRow> rows) {
        Map<String, Integer> errors = new TreeMap<>();
        rows.stream().filter(BatchRow::failed).forEach(r -> errors.merge(r.errorCode(), 1, Integer::sum));
        return new ChunkStats(chunk, rows.size(), errors, rows.isEmpty() ? "" : rows.getFirst().id());
    }

    private synchronized void appendJournal(ChunkStats s) throws IOException {
        ObjectNode n = JSON.createObjectNode().put("chunk", s.chunk()).put("rows", s.rows()).put("first_id", s.firstId());
        ObjectNode errors = n.putObject("errors");
        s.errors().forEach(errors::put);
        byte[] line = (JSON.writeValueAsString(n) + "\n").getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(journal, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.wrap(line));
            ch.force(false);
        }
        done.put(s.chunk(), s);
    }

    public void writeSummary(ObjectNode summary) throws IOException {
        atomicWrite(dir.resolve("summary.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(summary));
    }

    /** The committed part files in chunk order (merge). */
    public static List<Path> partFiles(Path dir) throws IOException {
        TreeMap<Long, Path> present = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir.resolve("parts"))) {
            for (Path p : s.toList()) {
                Matcher m = PART.matcher(p.getFileName().toString());
                if (m.matches()) {
                    present.put(Long.parseLong(m.group(1)), p);
                }
            }
        }
        return List.copyOf(present.values());
    }

    static void atomicWrite(Path file, byte[] content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap(content));
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceDirectory(file.toAbsolutePath().getParent());
    }

    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // some file systems cannot fsync a directory; the rename is still atomic
        }
    }
}
