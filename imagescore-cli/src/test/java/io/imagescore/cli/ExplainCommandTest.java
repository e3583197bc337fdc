package io.imagescore.cli;

import io.imagescore.cli.ImageScoreCli;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ExplainCommandTest {

    /** Two real room photos: an overlay per photo and explainable score, a contact sheet naming them and the 'none' reason. */
    @Test
    void writes_overlays_and_a_contact_sheet_for_a_folder(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out");
        int rc = ImageScoreCli.commandLine(new ImageScoreCli()).execute("explain",
                Shared.path("data/rooms/eval/bedroom").toString(), "--limit", "2", "--out", out.toString(),
                "--scores", "quality_fast,room_type,imagenet", "--max-side", "200",
                "--shared", Shared.dir().toString());
        assertThat(rc).isZero();
        try (var files = Files.list(out)) {
            assertThat(files.filter(f -> f.toString().endsWith(".png")).count()).isEqualTo(4);
        }
        String html = Files.readString(out.resolve("index.html"));
        assertThat(html).contains(".room_type.png").contains("imagenet: none: the head reads 'output'");
        try (var files = Files.list(out)) {
            Path png = files.filter(f -> f.toString().endsWith(".quality_fast.png")).findFirst().orElseThrow();
            BufferedImage img = ImageIO.read(png.toFile());
            assertThat(img.getWidth()).isEqualTo(200); // the 256-px photo scaled to --max-side
            assertThat(img.getHeight()).isGreaterThan(200); // plus the colour bar
        }
    }
}
