package io.imagescore.cli;

import io.imagescore.batch.EngineOptions;
import io.imagescore.score.Engine;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SequenceWriter;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import io.imagescore.batch.ImageFiles;
import io.imagescore.batch.ImageSource;
import io.imagescore.batch.Input;
import io.imagescore.batch.SourceEntry;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.image.PreprocessMode;
import io.imagescore.score.ImageInput;
import io.imagescore.score.Outcome;
import io.imagescore.sort.SetSorter;
import io.imagescore.sort.SortReason;
import io.imagescore.sort.SortResult;
import io.imagescore.sort.SortSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * {@code imagescore sort}: orders every set of a manifest (CSV or JSONL with id, path, set) with {@link SetSorter},
 * in-process, and writes one row per image (rank, class, scores used, reasons, errors) plus one row per set finding.
 *
 * <p>The manifest is streamed once and a set's rows must be contiguous: only the current set's images are in memory
 * (bounded by {@code --max-set-images}), plus the names of the sets already done. A set that shows up again after
 * another set began is refused, naming both lines, rather than silently split into two orderings.
 */
@Command(name = "sort", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Order each set of a manifest (rows grouped by its set column) by score, preference or regulation, in-process.",
                "Exit 0 = all images scored, 2 = some images failed (they are rows with their error), 1 = the run failed."})
public final class SortCommand implements Callable<Integer> {
    static final List<String> COLUMNS = List.of("set", "record", "rank", "id", "path", "class", "confidence", "margin",
            "scores", "sort_value", "reasons", "needs_review", "duplicate_of", "error_code", "error_message",
            "finding", "message", "ids");

    @Option(names = "--manifest", required = true, description = "CSV (header id,path,set) or JSONL manifest; each set's rows contiguous.")
    Path manifest;
    @Option(names = "--out", required = true, description = "Output file, .csv or .jsonl (written to OUT.tmp, renamed when complete).")
    Path out;
    @Option(names = "--max-set-images", defaultValue = "1000", description = "Largest set accepted; bounds memory (default: ${DEFAULT-VALUE}).")
    int maxSetImages;
    @Option(names = "--preprocess", defaultValue = "exact", description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    PreprocessMode preprocess;
    @Mixin
    EngineOptions engineOptions;
    @Mixin
    SortSpecOptions sorting;

    @Override
    public Integer call() throws IOException {
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        try {
            int rc = run(tmp);
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return rc;
        } catch (ImageScoreException e) {
            System.err.println("imagescore sort: " + e.code() + ": " + e.getMessage());
            return 1;
        } finally {
            Files.deleteIfExists(tmp); // no half-written output is ever left under either name
        }
    }

    private int run(Path tmp) throws IOException {
        SortSpec spec = sorting.spec();
        PreprocessMode mode = preprocess;
        Counts counts = new Counts();
        try (Engine engine = engineOptions.open();
             ImageSource source = new Input(manifest, null, null, null).open();
             Rows rows = Rows.open(tmp)) {
            SetSorter sorter = new SetSorter(engine.pipeline());
            Map<String, String> startedAt = new HashMap<>(); // set -> where its rows began
            List<SourceEntry> set = new ArrayList<>();
            while (source.hasNext()) {
                SourceEntry e = source.next();
                if (e.set() == null) {
                    throw new ImageScoreException(ErrorCode.INVALID_REQUEST, e.where() + ": '" + e.id()
                            + "' has no set; sort needs the set column on every row");
                }
                if (set.isEmpty() || !set.getFirst().set().equals(e.set())) {
                    String earlier = startedAt.putIfAbsent(e.set(), e.where());
                    if (earlier != null) {
                        throw new ImageScoreException(ErrorCode.INVALID_REQUEST, e.where() + ": set '" + e.set()
                                + "' began at " + earlier + " and continues here after set '" + set.getFirst().set()
                                + "' began at " + startedAt.get(set.getFirst().set())
                                + "; sort streams the manifest, so each set's rows must be contiguous (group the manifest by set)");
                    }
                    sortSet(sorter, engine, set, spec, mode, rows, counts);
                    set.clear();
                }
                if (set.size() == maxSetImages) {
                    throw new ImageScoreException(ErrorCode.INVALID_REQUEST, e.where() + ": set '" + e.set()
                            + "' has more than --max-set-images=" + maxSetImages + " images");
                }
                set.add(e);
            }
            sortSet(sorter, engine, set, spec, mode, rows, counts);
        }
        System.err.printf(Locale.ROOT, "imagescore sort: %d set(s), %d image(s), %d failed%n", counts.sets, counts.images, counts.failed);
        return counts.failed == 0 ? 0 : 2;
    }

    private static final class Counts {
        long sets;
        long images;
        long failed;
    }

    private static void sortSet(SetSorter sorter, Engine engine, List<SourceEntry> set, SortSpec spec, PreprocessMode mode,
                                Rows rows, Counts counts) throws IOException {
        if (set.isEmpty()) {
            return;
        }
        List<Outcome<ImageInput>> inputs = new ArrayList<>(set.size());
        for (SourceEntry e : set) {
            try {
                inputs.add(Outcome.ok(e.id(), new ImageInput(e.id(), ImageFiles.read(e.path()))));
            } catch (ImageScoreException x) {
                inputs.add(Outcome.failed(e.id(), x));
            }
        }
        String name = set.getFirst().set();
        SortResult result = sorter.sortRead(engine.pack(), inputs, spec, mode, null);
        for (SortResult.Placed p : result.order()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("set", name);
            row.put("record", "image");
            row.put("rank", p.rank());
            row.put("id", p.id());
            row.put("path", set.get(p.position()).path());
            row.put("class", p.classLabel());
            row.put("confidence", finite(p.confidence()));
            row.put("margin", finite(p.margin()));
            row.put("scores", p.scores());
            row.put("sort_value", finite(p.sortValue()));
            row.put("reasons", p.reasons().stream().map(SortReason::name).toList());
            row.put("needs_review", p.needsReview());
            row.put("duplicate_of", p.duplicateOf());
            row.put("error_code", p.error() == null ? null : p.error().code().name());
            row.put("error_message", p.error() == null ? null : p.error().getMessage());
            rows.write(row);
            counts.failed += p.error() == null ? 0 : 1;
        }
        for (SortResult.Finding f : result.findings()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("set", name);
            row.put("record", "finding");
            row.put("class", f.classLabel());
            row.put("finding", f.code().name());
            row.put("message", f.message());
            row.put("ids", f.ids());
            rows.write(row);
        }
        counts.sets++;
        counts.images += set.size();
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    /**
     * The output: JSONL keeps lists and maps as JSON; CSV cells hold reasons joined by ';' (enum names), scores as
     * name=value pairs joined by ';' (score names are identifiers) and finding ids as a JSON array (ids may hold any
     * character). Absent values are empty cells / JSON null.
     */
    abstract static sealed class Rows implements Closeable permits CsvOut, JsonlOut {
        static Rows open(Path file) throws IOException {
            String name = file.getFileName().toString().toLowerCase(Locale.ROOT).replaceFirst("\\.tmp$", "");
            if (name.endsWith(".csv")) {
                return new CsvOut(file);
            }
            if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
                return new JsonlOut(file);
            }
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "--out must end in .csv or .jsonl, got " + name);
        }

        abstract void write(Map<String, Object> row) throws IOException;
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    static final class JsonlOut extends Rows {
        private final BufferedWriter out;

        JsonlOut(Path file) throws IOException {
            out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        }

        @Override
        void write(Map<String, Object> row) throws IOException {
            Map<String, Object> full = new LinkedHashMap<>();
            COLUMNS.forEach(c -> full.put(c, row.get(c)));
            out.write(JSON.writeValueAsString(full));
            out.write('\n');
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }

    static final class CsvOut extends Rows {
        private final SequenceWriter out;

        CsvOut(Path file) throws IOException {
            CsvMapper mapper = new CsvMapper();
            CsvSchema schema = CsvSchema.builder().addColumns(COLUMNS, CsvSchema.ColumnType.STRING).build().withHeader();
            out = mapper.writer(schema).writeValues(Files.newBufferedWriter(file, StandardCharsets.UTF_8));
        }

        @Override
        void write(Map<String, Object> row) throws IOException {
            Map<String, String> cells = new LinkedHashMap<>();
            for (String c : COLUMNS) {
                cells.put(c, cell(c, row.get(c)));
            }
            out.write(cells);
        }

        private static String cell(String column, Object v) throws JsonProcessingException {
            return switch (v) {
                case null -> null;
                case Map<?, ?> m -> m.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(";"));
                case List<?> l when column.equals("ids") -> JSON.writeValueAsString(l);
                case List<?> l -> l.stream().map(String::valueOf).collect(Collectors.joining(";"));
                default -> String.valueOf(v);
            };
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }
}
