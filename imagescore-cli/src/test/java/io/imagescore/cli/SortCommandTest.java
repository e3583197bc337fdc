package io.imagescore.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code imagescore sort} on a manifest of real room photos in two sets, ordered by a regulation over the default
 * pack's imagenet head. The photos were chosen for their imagenet top class (bedroom → quilt, bathroom → bathtub or
 * washbasin (unregulated), kitchen → microwave, dining room → dining table), so reversing the regulation must reverse the order.
 * The kitchen photo is close ("microwave" 0.509, "stove" 0.369 on the exact int8 features that every CPU now
 * computes; AVX2 CPUs without VNNI used to say "stove" — CpuIndependentFeaturesTest).
 */
class SortCommandTest {
    static final String EVAL = "data/rooms/eval/";
    static final List<String> REGULATION = List.of("quilt", "bathtub", "microwave", "dining table");

    @TempDir
    static Path tmp;
    static Path manifest;

    @BeforeAll
    static void manifest() throws Exception {
        Files.write(tmp.resolve("bad.jpg"), "this is not an image".getBytes(StandardCharsets.UTF_8));
        // set a: not in regulation order, with an unregulated photo (toilet seat), a bad file and a missing file
        manifest = tmp.resolve("sets.csv");
        Files.writeString(manifest, """
                id,path,set
                a-dining,%1$sdining_room/Places365_val_00000440.jpg,flat-a
                a-bad,bad.jpg,flat-a
                a-kitchen,%1$skitchen/Places365_val_00000266.jpg,flat-a
                a-missing,no/such/photo.jpg,flat-a
                a-bath,%1$sbathroom/Places365_val_00000172.jpg,flat-a
                a-bed,%1$sbedroom/Places365_val_00000713.jpg,flat-a
                a-toilet,%1$sbathroom/Places365_val_00000463.jpg,flat-a
                b-dining,%1$sdining_room/Places365_val_00000440.jpg,flat-b
                b-bed,%1$sbedroom/Places365_val_00000713.jpg,flat-b
                """.formatted(Shared.path(EVAL) + "/"));
    }

    static int run(String... args) {
        PrintStream err = System.err;
        System.setErr(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try {
            return ImageScoreCli.commandLine(new ImageScoreCli()).execute(args);
        } finally {
            System.setErr(err);
        }
    }

    static int sort(Path in, Path out, List<String> classes) {
        return run("sort", "--shared", Shared.dir().toString(), "--manifest", in.toString(), "--out", out.toString(),
                "--classifier", "imagenet", "--classes", String.join(",", classes), "--required", String.join(",", classes));
    }

    static List<Map<String, String>> csv(Path file) throws Exception {
        try (MappingIterator<Map<String, String>> it = new CsvMapper().readerForMapOf(String.class)
                .with(CsvSchema.emptySchema().withHeader()).readValues(file.toFile())) {
            return it.readAll();
        }
    }

    static List<String> ids(List<Map<String, String>> rows, String set) {
        return rows.stream().filter(r -> r.get("set").equals(set) && r.get("record").equals("image")).map(r -> r.get("id")).toList();
    }

    static Map<String, String> row(List<Map<String, String>> rows, String id) {
        return rows.stream().filter(r -> id.equals(r.get("id")) && r.get("record").equals("image")).findFirst().orElseThrow();
    }

    @Test
    void an_unknown_preprocessing_mode_is_a_usage_error_naming_the_choices() {
        StringWriter err = new StringWriter();
        int rc = ImageScoreCli.commandLine(new ImageScoreCli()).setErr(new PrintWriter(err)).execute("sort", "--manifest", "m.csv",
                "--out", "o.csv", "--by-score", "imagenet=1", "--preprocess", "weird");
        assertThat(rc).isEqualTo(2);
        assertThat(err.toString())
                .contains("Invalid value for option '--preprocess': expected one of [EXACT, FAST] (case-insensitive) but was 'weird'");
    }

    @Test
    void orders_each_set_by_the_regulation_with_failed_images_last_and_set_findings() throws Exception {
        Path out = tmp.resolve("order.csv");
        assertThat(sort(manifest, out, REGULATION)).as("exit code: some images failed").isEqualTo(2);
        List<Map<String, String>> rows = csv(out);

        assertThat(ids(rows, "flat-a")).containsExactly("a-bed", "a-bath", "a-kitchen", "a-dining", "a-toilet", "a-bad", "a-missing");
        assertThat(ids(rows, "flat-b")).containsExactly("b-bed", "b-dining");
        assertThat(row(rows, "a-bed")).containsEntry("rank", "0").containsEntry("class", "quilt")
                .containsEntry("reasons", "HERO;REGULATED_CLASS").containsEntry("path", Shared.path(EVAL + "bedroom/Places365_val_00000713.jpg").toString());
        assertThat(row(rows, "a-bed").get("scores")).as("a regulation reads the class distribution, no scalar score").isEmpty();
        assertThat(Double.parseDouble(row(rows, "a-bed").get("confidence"))).isBetween(0.5, 1.0);
        assertThat(row(rows, "a-toilet")).containsEntry("reasons", "CLASS_NOT_IN_REGULATION").containsEntry("class", "washbasin");
        assertThat(row(rows, "a-bad")).containsEntry("rank", "5").containsEntry("reasons", "IMAGE_ERROR")
                .containsEntry("error_code", "UNSUPPORTED_FORMAT");
        assertThat(row(rows, "a-missing")).containsEntry("rank", "6").containsEntry("reasons", "IMAGE_ERROR")
                .containsEntry("error_code", "FILE_UNREADABLE").containsEntry("class", "");
        assertThat(row(rows, "a-missing").get("error_message")).contains("no such file").contains("photo.jpg");

        List<String> findings = rows.stream().filter(r -> r.get("record").equals("finding"))
                .map(r -> r.get("set") + " " + r.get("finding") + " " + r.get("class") + " " + r.get("ids")).toList();
        assertThat(findings).containsExactlyInAnyOrder(
                "flat-a UNREGULATED_IMAGES  [\"a-toilet\"]",
                "flat-a FAILED_IMAGES  [\"a-bad\",\"a-missing\"]",
                "flat-b MISSING_REQUIRED_CLASS bathtub []",
                "flat-b MISSING_REQUIRED_CLASS microwave []");
        assertThat(tmp.resolve("order.csv.tmp")).doesNotExist();
    }

    @Test
    void the_order_follows_the_regulation_and_is_deterministic() throws Exception {
        Path first = tmp.resolve("reversed-1.csv");
        Path second = tmp.resolve("reversed-2.csv");
        assertThat(sort(manifest, first, REGULATION.reversed())).isEqualTo(2);
        assertThat(sort(manifest, second, REGULATION.reversed())).isEqualTo(2);
        assertThat(ids(csv(first), "flat-a")).containsExactly("a-dining", "a-kitchen", "a-bath", "a-bed", "a-toilet", "a-bad", "a-missing");
        assertThat(ids(csv(first), "flat-b")).containsExactly("b-dining", "b-bed");
        assertThat(Files.readString(first)).isEqualTo(Files.readString(second));
    }

    @Test
    void writes_jsonl_with_lists_and_scores_as_json() throws Exception {
        Path out = tmp.resolve("order.jsonl");
        assertThat(sort(manifest, out, REGULATION)).isEqualTo(2);
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(out)) {
            rows.add(new ObjectMapper().readTree(line));
        }
        JsonNode hero = rows.getFirst();
        assertThat(hero.get("id").asText()).isEqualTo("a-bed");
        assertThat(hero.get("rank").asInt()).isZero();
        assertThat(hero.get("reasons").toString()).isEqualTo("[\"HERO\",\"REGULATED_CLASS\"]");
        assertThat(hero.get("scores").isObject()).isTrue();
        assertThat(hero.get("confidence").asDouble()).isBetween(0.5, 1.0);
        assertThat(hero.get("error_code").isNull()).isTrue();
        assertThat(hero.get("needs_review").asBoolean()).isFalse();
        assertThat(rows).filteredOn(r -> r.get("record").asText().equals("image")).hasSize(9);
    }

    @Test
    void refuses_a_set_whose_rows_are_not_contiguous_and_leaves_no_output() throws Exception {
        Path split = tmp.resolve("split.jsonl");
        String photo = Shared.path(EVAL + "bedroom/Places365_val_00000713.jpg").toString();
        Files.writeString(split, """
                {"id": "1", "path": "%1$s", "set": "x"}
                {"id": "2", "path": "%1$s", "set": "y"}
                {"id": "3", "path": "%1$s", "set": "x"}
                """.formatted(photo));
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = ImageScoreCli.commandLine(new ImageScoreCli()).execute("sort", "--shared", Shared.dir().toString(), "--manifest",
                    split.toString(), "--out", tmp.resolve("split.csv").toString(), "--classifier", "imagenet", "--classes", "quilt");
        } finally {
            System.setErr(err);
        }
        assertThat(rc).isEqualTo(1);
        assertThat(buf.toString(StandardCharsets.UTF_8)).contains(
                "INVALID_REQUEST: split.jsonl:3: set 'x' began at split.jsonl:1 and continues here after set 'y' began at split.jsonl:2");
        assertThat(tmp.resolve("split.csv")).doesNotExist();
        assertThat(tmp.resolve("split.csv.tmp")).doesNotExist();
    }
}
