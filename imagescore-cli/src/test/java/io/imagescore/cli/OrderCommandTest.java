package io.imagescore.cli;

import io.imagescore.testing.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class OrderCommandTest {

    static String run(String... args) {
        PrintStream out = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            int rc = ImageScoreCli.commandLine(new ImageScoreCli()).execute(args);
            assertThat(rc).as("exit code").isZero();
        } finally {
            System.setOut(out);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void orders_real_photos_by_a_regulation_file_and_prints_reasons_and_findings(@TempDir Path tmp) throws Exception {
        Path reg = tmp.resolve("listing.json");
        Files.writeString(reg, """
                {"classifier": "imagenet", "classes": ["refrigerator", "bathtub"], "required_classes": ["refrigerator"],
                 "min_confidence": 0.2}
                """);
        Path dir = tmp.resolve("set");
        Files.createDirectories(dir);
        for (String room : List.of("bathroom", "living_room")) {
            try (var s = Files.list(Shared.path("data/rooms/eval/" + room))) {
                Path f = s.sorted().findFirst().orElseThrow();
                Files.copy(f, dir.resolve(room + ".jpg"));
            }
        }
        Files.copy(dir.resolve("bathroom.jpg"), dir.resolve("copy-of-bathroom.jpg"));
        String out = run("order", "--shared", Shared.dir().toString(), "--regulation", reg.toString(), "--duplicates", "0.99",
                dir.toString());
        List<String> lines = out.lines().toList();
        assertThat(lines.get(1)).contains("bathroom.jpg").contains("bathtub").contains("[HERO, REGULATED_CLASS]");
        assertThat(out).contains("[NEAR_DUPLICATE] duplicate of " + dir.resolve("bathroom.jpg"));
        assertThat(out).contains("finding MISSING_REQUIRED_CLASS: no image of required class 'refrigerator'");
        assertThat(out).contains("finding UNREGULATED_IMAGES");
    }
}
