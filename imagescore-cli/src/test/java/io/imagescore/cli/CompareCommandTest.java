package io.imagescore.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CompareCommandTest {

    @Test
    void compares_quality_with_quality_fast_on_clive_and_writes_markdown_json_and_a_plot(@TempDir Path tmp) throws Exception {
        List<String> rows = Files.readAllLines(Shared.path("data/clive/mos.csv")).subList(1, 41);
        List<String> listing = new ArrayList<>(List.of("listing,image"));
        for (int i = 0; i < rows.size(); i++) {
            listing.add("L" + i / 5 + "," + rows.get(i).split(",")[0]);
        }
        Path listings = Files.write(tmp.resolve("listings.csv"), listing);
        Path out = tmp.resolve("report");
        String printed = OrderCommandTest.run("compare", "--shared", Shared.dir().toString(), "--data-dir", tmp.resolve("data").toString(),
                "--labels", Shared.path("data/clive/mos.csv").toString(), "--target-column", "mos", "--limit-per-class", "40",
                "--a", "quality", "--b", "quality_fast", "--b-mode", "fast", "--listings", listings.toString(),
                "--resamples", "200", "--seed", "5", "--out", out.toString());
        assertThat(printed).contains("# Variant comparison").contains("## Listings").contains("## Ground truth (srcc, 40 images)");

        JsonNode json = new ObjectMapper().readTree(out.resolve("compare.json").toFile());
        assertThat(json.path("images").asInt()).isEqualTo(40);
        JsonNode score = json.path("scores").get(0);
        assertThat(score.path("score_a").asText()).isEqualTo("quality@1");
        assertThat(score.path("score_b").asText()).isEqualTo("quality_fast@1");
        assertThat(score.path("srcc").path("estimate").asDouble()).isBetween(0.5, 1.0);
        assertThat(score.path("srcc").path("resamples").asInt()).isEqualTo(200);
        int binned = 0;
        for (JsonNode bin : score.path("rank_displacement")) {
            binned += bin.path("count").asInt();
        }
        assertThat(binned).as("every image is in one displacement bin").isEqualTo(40);
        assertThat(json.path("listings").path("listings").asInt()).isEqualTo(8);
        assertThat(json.path("ratings").path("metric").asText()).isEqualTo("srcc");
        assertThat(json.path("seed").asLong()).isEqualTo(5);

        BufferedImage png = ImageIO.read(out.resolve("compare.png").toFile());
        assertThat(png.getWidth()).isEqualTo(1400);
        assertThat(png.getHeight()).isEqualTo(520);
    }

    /**
     * --a-regulation / --b-regulation / --regulation as CompareVariants takes them: one photo of each room type in one
     * listing, A ordered by stored regulation version 1, B by version 2 (the same classes reversed). Each variant's
     * order must be the one {@code imagescore order --stored} gives for its version; the labels (folder names) give the
     * label ground truth.
     */
    @Test
    void orders_each_variant_by_its_own_stored_regulation_version(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        List<String> rooms = List.of("bathroom", "bedroom", "dining_room", "entrance_hall", "kitchen", "living_room");
        var store = new io.imagescore.sort.LocalRegulationStore(data);
        for (List<String> classes : List.of(rooms, rooms.reversed())) {
            store.put("acme", "rooms", new io.imagescore.sort.Regulation("room_type", classes, List.of(), "quality", 0, 0,
                    io.imagescore.sort.Regulation.Placement.AFTER, false, 0));
        }
        List<String> ids = new ArrayList<>();
        List<String> files = new ArrayList<>();
        for (String room : rooms) {
            try (var s = Files.list(Shared.path("data/rooms/eval/" + room))) {
                Path f = s.sorted().findFirst().orElseThrow();
                ids.add(room + "/" + f.getFileName());
                files.add(f.toString());
            }
        }
        List<String> listing = new ArrayList<>(List.of("listing,image"));
        ids.forEach(id -> listing.add("L0," + id));
        Path listings = Files.write(tmp.resolve("listings.csv"), listing);
        Path out = tmp.resolve("report");
        List<String> args = List.of("compare", "--shared", Shared.dir().toString(), "--data-dir", data.toString(), "--tenant", "acme",
                "--class-dirs", Shared.path("data/rooms/eval").toString(), "--limit-per-class", "1",
                "--a", "quality,room_type", "--b", "quality,room_type", "--a-regulation", "rooms@1", "--b-regulation", "rooms",
                "--listings", listings.toString(), "--resamples", "50", "--seed", "3", "--out", out.toString());
        String printed = OrderCommandTest.run(args.toArray(String[]::new));
        assertThat(printed).contains("Ordered by regulation acme/rooms@1 / regulation acme/rooms@2.");

        JsonNode json = new ObjectMapper().readTree(out.resolve("compare.json").toFile());
        assertThat(json.path("ordered_by_a").asText()).isEqualTo("regulation acme/rooms@1");
        assertThat(json.path("ordered_by_b").asText()).isEqualTo("regulation acme/rooms@2");
        List<int[]> orders = new ArrayList<>();
        for (String version : List.of("1", "2")) {
            List<String> orderArgs = new ArrayList<>(List.of("order", "--shared", Shared.dir().toString(), "--data-dir", data.toString(),
                    "--stored", "acme/rooms@" + version));
            orderArgs.addAll(files);
            List<String> lines = OrderCommandTest.run(orderArgs.toArray(String[]::new)).lines().toList();
            // rows after the header: rank, original position, class, confidence, id, reasons
            orders.add(lines.subList(1, 7).stream().mapToInt(l -> Integer.parseInt(l.trim().split("\\s+")[1])).toArray());
        }
        int[] posA = new int[6];
        int[] posB = new int[6];
        for (int r = 0; r < 6; r++) {
            posA[orders.get(0)[r]] = r;
            posB[orders.get(1)[r]] = r;
        }
        int moves = 0;
        for (int i = 0; i < 6; i++) {
            for (int j = i + 1; j < 6; j++) {
                moves += (posA[i] < posA[j]) != (posB[i] < posB[j]) ? 1 : 0;
            }
        }
        assertThat(moves).as("reversing the class order moves photos of different classes").isPositive();
        JsonNode per = json.path("listings").path("per_listing").get(0);
        assertThat(per.path("hero_a").asText()).isEqualTo(ids.get(orders.get(0)[0]));
        assertThat(per.path("hero_b").asText()).isEqualTo(ids.get(orders.get(1)[0]));
        assertThat(per.path("moves").asInt()).isEqualTo(moves);
        assertThat(per.path("kendall_tau").asDouble()).isCloseTo(1 - 2.0 * moves / 15, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(json.path("labels").path("metric").asText()).isEqualTo("top1_accuracy");
        assertThat(json.path("labels").path("images").asInt()).isEqualTo(6);

        // the comparison-wide --regulation may not contradict a variant's own version
        List<String> conflicting = new ArrayList<>(args);
        conflicting.addAll(List.of("--regulation", "rooms@2"));
        assertThat(ImageScoreCli.commandLine(new ImageScoreCli()).execute(conflicting.toArray(String[]::new))).isNotZero();
    }
}
