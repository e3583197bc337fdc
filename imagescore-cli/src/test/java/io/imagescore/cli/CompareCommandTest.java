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
}
