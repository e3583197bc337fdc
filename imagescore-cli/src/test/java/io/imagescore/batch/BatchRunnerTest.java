package io.imagescore.batch;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.image.PreprocessMode;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The batch runner in-process with the embedded target (real pack, real photos). */
class BatchRunnerTest {
    @TempDir
    Path tmp;

    private static EmbeddedTarget embedded(boolean embedding) {
        return new EmbeddedTarget(Path.of("packs/mobilenetv2-default"), Shared.dir(), 2, 2, 8, List.of(), embedding,
                PreprocessMode.EXACT);
    }

    private BatchSummary run(Input input, Path out, OutputFormat format, int chunk, boolean embedding, Shard shard) {
        var settings = new BatchRunner.Settings(input, shard, out, format, chunk, 16, embedding, List.of(), "exact",
                Backoff.DEFAULT, Progress.Mode.NONE, 10_000);
        return new BatchRunner(settings, embedded(embedding), new PrintStream(new ByteArrayOutputStream())).run();
    }

    private static Input manifest(Path m) {
        return new Input(m, null, null, null);
    }

    @Test
    void manifest_with_missing_files_bad_images_and_duplicates_gives_one_row_per_distinct_id() throws Exception {
        Map<String, String> entries = new LinkedHashMap<>(BatchFixtures.photos(5));
        entries.put("missing", tmp.resolve("no-such-photo.jpg").toString());
        entries.put("text", BatchFixtures.notAnImage(tmp).toString());
        entries.put("truncated", BatchFixtures.truncatedJpeg(tmp).toString());
        Path m = BatchFixtures.csv(tmp.resolve("m.csv"), entries);
        Files.writeString(m, "p1," + BatchFixtures.photo(3) + "\np2," + BatchFixtures.photo(2) + "\n",
                java.nio.file.StandardOpenOption.APPEND); // two duplicate ids at the end

        BatchSummary s = run(manifest(m), tmp.resolve("out"), OutputFormat.CSV, 3, false, Shard.ALL);

        assertThat(s.exitCode()).as("some images failed").isEqualTo(2);
        assertThat(s.duplicates()).isEqualTo(2);
        List<BatchRow> rows = BatchFixtures.rows(tmp.resolve("out"), OutputFormat.CSV, BatchFixtures.IMAGENET);
        assertThat(rows).extracting(BatchRow::id).containsExactlyElementsOf(entries.keySet());
        Map<String, BatchRow> byId = rows.stream().collect(Collectors.toMap(BatchRow::id, Function.identity()));
        assertThat(byId.get("missing").errorCode()).isEqualTo(ErrorCode.FILE_UNREADABLE.name());
        assertThat(byId.get("missing").errorMessage()).contains("no such file");
        assertThat(byId.get("text").errorCode()).isEqualTo(ErrorCode.UNSUPPORTED_FORMAT.name());
        assertThat(byId.get("truncated").errorCode()).isIn(ErrorCode.CORRUPT_IMAGE.name(), ErrorCode.UNSUPPORTED_FORMAT.name());
        // the duplicate line of p1 pointed at another photo: the first occurrence wins
        assertThat(byId.get("p1").path()).isEqualTo(BatchFixtures.photo(1).toString());
        for (int i = 0; i < 5; i++) {
            BatchRow r = byId.get("p" + i);
            assertThat(r.failed()).isFalse();
            assertThat(r.sha256()).isEqualTo(io.imagescore.score.ScoringPipelineAccess.sha256(Files.readAllBytes(BatchFixtures.photo(i))));
            assertThat(r.width()).isEqualTo(500);
            assertThat(r.packName()).isEqualTo("mobilenetv2-default");
            assertThat(r.packHash()).hasSize(64);
            assertThat(r.preprocessingId()).endsWith("/exact");
            assertThat(r.classes().get("imagenet@1").probability()).isBetween(0.0, 1.0);
        }
        assertThat(s.errorsByCode()).containsEntry("FILE_UNREADABLE", 1L).containsKey("UNSUPPORTED_FORMAT");
        assertThat(s.rows()).isEqualTo(8);
        assertThat(s.failed()).isEqualTo(3);
    }

    @Test
    void all_three_formats_read_back_the_same_rows_including_embeddings() throws Exception {
        Map<String, String> entries = new LinkedHashMap<>(BatchFixtures.photos(4));
        entries.put("text", BatchFixtures.notAnImage(tmp).toString());
        Path m = BatchFixtures.csv(tmp.resolve("m.csv"), entries);
        OutputSchema schema = new OutputSchema(List.of(), List.of("imagenet@1"), true);
        Map<OutputFormat, List<BatchRow>> byFormat = new HashMap<>();
        for (OutputFormat f : OutputFormat.values()) {
            Path out = tmp.resolve("out-" + f);
            assertThat(run(manifest(m), out, f, 2, true, Shard.ALL).exitCode()).isEqualTo(2);
            byFormat.put(f, BatchFixtures.rows(out, f, schema));
            // the merged single file reads back too (with the format's own reader: parquet-java for Parquet)
            Path merged = tmp.resolve("merged." + f.extension());
            Merger.merge(List.of(out), merged, f);
            List<BatchRow> mergedRows = new ArrayList<>();
            try (RowReader r = f.reader(merged, schema)) {
                for (BatchRow row; (row = r.read()) != null; ) {
                    mergedRows.add(row);
                }
            }
            assertThat(mergedRows).usingRecursiveFieldByFieldElementComparator().containsExactlyElementsOf(byFormat.get(f));
        }
        List<BatchRow> csv = byFormat.get(OutputFormat.CSV);
        assertThat(csv).hasSize(5);
        assertThat(csv.get(0).embedding()).hasSize(1280);
        for (OutputFormat f : List.of(OutputFormat.JSONL, OutputFormat.PARQUET)) {
            List<BatchRow> other = byFormat.get(f);
            assertThat(other).extracting(BatchRow::id).containsExactlyElementsOf(csv.stream().map(BatchRow::id).toList());
            for (int i = 0; i < csv.size(); i++) {
                BatchRow a = csv.get(i);
                BatchRow b = other.get(i);
                assertThat(b.errorCode()).isEqualTo(a.errorCode());
                assertThat(b.sha256()).isEqualTo(a.sha256());
                if (!a.failed()) {
                    assertThat(b.classes().get("imagenet@1").label()).isEqualTo(a.classes().get("imagenet@1").label());
                    assertThat(b.classes().get("imagenet@1").probability()).isCloseTo(a.classes().get("imagenet@1").probability(), within(1e-6));
                    assertThat(b.embedding()).containsExactly(a.embedding(), org.assertj.core.data.Offset.offset(1e-6f));
                } else {
                    assertThat(b.embedding()).isNull();
                }
            }
        }
    }

    @Test
    void shards_cover_every_id_exactly_once_and_merge_into_one_file() throws Exception {
        Map<String, String> entries = BatchFixtures.photos(14);
        Path m = BatchFixtures.csv(tmp.resolve("m.csv"), entries);
        List<Path> dirs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Path out = tmp.resolve("shard-" + i);
            assertThat(run(manifest(m), out, OutputFormat.JSONL, 2, false, new Shard(i, 3)).exitCode()).isZero();
            dirs.add(out);
        }
        List<String> perShard = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            for (BatchRow r : BatchFixtures.rows(dirs.get(i), OutputFormat.JSONL, BatchFixtures.IMAGENET)) {
                assertThat(new Shard(i, 3).owns(r.id())).isTrue();
                perShard.add(r.id());
            }
        }
        assertThat(perShard).containsExactlyInAnyOrderElementsOf(entries.keySet());
        assertThat(dirs).allSatisfy(d -> assertThat(BatchFixtures.rows(d, OutputFormat.JSONL, BatchFixtures.IMAGENET)).isNotEmpty());

        Merger.Result merged = Merger.merge(dirs, tmp.resolve("all.csv"), OutputFormat.CSV);
        assertThat(merged.rows()).isEqualTo(14);
        assertThatThrownBy(() -> Merger.merge(dirs.subList(0, 2), tmp.resolve("partial.csv"), OutputFormat.CSV))
                .isInstanceOf(ImageScoreException.class).hasMessageContaining("missing");
    }

    @Test
    void stable_shard_hash_puts_each_of_many_ids_in_exactly_one_shard() {
        int n = 7;
        int[] counts = new int[n];
        for (int k = 0; k < 70_000; k++) {
            String id = "listing-" + k + "/photo-" + (k % 13);
            int owners = 0;
            for (int i = 0; i < n; i++) {
                if (new Shard(i, n).owns(id)) {
                    owners++;
                    counts[i]++;
                }
            }
            assertThat(owners).isEqualTo(1);
        }
        assertThat(java.util.Arrays.stream(counts).boxed().toList()).allSatisfy(c -> assertThat(c).isBetween(9_000, 11_000));
        // the documented definition: first 8 bytes of SHA-256, big-endian unsigned, mod n
        assertThat(Long.toHexString(Shard.hash("abc"))).isEqualTo("ba7816bf8f01cfea");
    }

    @Test
    void a_directory_is_walked_recursively_in_sorted_order_with_an_extension_filter() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("photos/b"));
        Files.createDirectories(tmp.resolve("photos/a"));
        Files.copy(BatchFixtures.photo(0), tmp.resolve("photos/b/x.JPG"));
        Files.copy(BatchFixtures.photo(1), tmp.resolve("photos/a/y.jpeg"));
        Files.copy(BatchFixtures.photo(2), tmp.resolve("photos/z.jpg"));
        Files.writeString(tmp.resolve("photos/notes.txt"), "skip me");
        List<String> ids = new ArrayList<>();
        try (ImageSource s = ImageSource.directory(tmp.resolve("photos"), ImageSource.DEFAULT_EXTENSIONS)) {
            s.forEachRemaining(e -> ids.add(e.id()));
        }
        assertThat(ids).containsExactly("a/y.jpeg", "b/x.JPG", "z.jpg");
        assertThat(dir).exists();
    }

    @Test
    void jsonl_manifest_and_stdin_paths_are_streamed_with_sets() throws Exception {
        Path m = Files.writeString(tmp.resolve("m.jsonl"), "{\"id\":\"a\",\"path\":\"x/1.jpg\",\"set\":\"listing-1\"}\n\n"
                + "{\"id\":\"b\",\"path\":\"/abs/2.jpg\"}\n");
        List<SourceEntry> entries = new ArrayList<>();
        try (ImageSource s = ImageSource.manifest(m)) {
            s.forEachRemaining(entries::add);
        }
        assertThat(entries).extracting(SourceEntry::id).containsExactly("a", "b");
        assertThat(entries.get(0).path()).isEqualTo(tmp.resolve("x/1.jpg").toString());
        assertThat(entries.get(0).set()).isEqualTo("listing-1");
        assertThat(entries.get(1).path()).isEqualTo("/abs/2.jpg");
        assertThat(entries.get(1).set()).isNull();
        try (ImageSource s = ImageSource.lines(new java.io.ByteArrayInputStream("/a.jpg\n\n /b.png \n".getBytes()))) {
            List<String> ids = new ArrayList<>();
            s.forEachRemaining(e -> ids.add(e.id()));
            assertThat(ids).containsExactly("/a.jpg", "/b.png");
        }
    }

    @Test
    void a_rerun_with_other_options_is_refused_and_a_rerun_of_a_finished_run_adds_nothing() throws Exception {
        Path m = BatchFixtures.csv(tmp.resolve("m.csv"), BatchFixtures.photos(3));
        Path out = tmp.resolve("out");
        assertThat(run(manifest(m), out, OutputFormat.CSV, 2, false, Shard.ALL).exitCode()).isZero();
        BatchSummary again = run(manifest(m), out, OutputFormat.CSV, 2, false, Shard.ALL);
        assertThat(again.error()).isNull();
        assertThat(again.exitCode()).isZero();
        assertThat(again.processedNow()).isZero();
        assertThat(BatchFixtures.rows(out, OutputFormat.CSV, BatchFixtures.IMAGENET)).hasSize(3);

        BatchSummary other = run(manifest(m), out, OutputFormat.CSV, 5, false, Shard.ALL);
        assertThat(other.exitCode()).isEqualTo(1);
        assertThat(other.error()).hasMessageContaining("holds a different run");
        assertThat(Set.copyOf(RunDirectory.partFiles(out))).hasSize(2);
    }
}
