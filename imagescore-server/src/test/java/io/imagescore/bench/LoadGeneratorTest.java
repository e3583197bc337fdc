package io.imagescore.bench;

import io.imagescore.testing.Shared;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The load generator against the real service, in every mode (Score and ScoreStream, closed and open loop): each row
 * reports completed images, no errors and ordered percentiles. Numbers themselves belong to bench/README.md.
 */
@QuarkusTest
class LoadGeneratorTest {

    @Test
    void every_mode_completes_images_without_errors() {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        for (String rpc : List.of("score", "stream")) {
            for (String load : List.of("--concurrency=4", "--rate=20")) {
                StringWriter text = new StringWriter();
                CommandLine cli = io.imagescore.cli.ImageScoreCli.commandLine(new LoadGenerator()).setOut(new PrintWriter(text));
                int exit = cli.execute("--target", "localhost:" + port, "--rpc", rpc, load, "--duration", "1.5",
                        "--warmup", "0.5", "--images", Shared.path("data/rooms/eval/kitchen").toString(),
                        "--max-images", "8", "--scores", "imagenet", "--channels", "2");
                assertThat(exit).as(text.toString()).isZero();
                List<String> rows = text.toString().lines().filter(l -> l.startsWith("| " + rpc)).toList();
                assertThat(rows).as(text.toString()).hasSize(1);
                // | rpc | load | requests | images | errors | images/s | p50 | p90 | p95 | p99 |
                String[] cells = Arrays.stream(rows.getFirst().split("\\|")).map(String::trim).skip(1).toArray(String[]::new);
                assertThat(Long.parseLong(cells[3].replace(",", ""))).as(rows.getFirst()).isPositive();
                assertThat(cells[4]).as(rows.getFirst()).isEqualTo("0");
                double p50 = Double.parseDouble(cells[6]);
                double p99 = Double.parseDouble(cells[9]);
                assertThat(p50).as(rows.getFirst()).isPositive().isLessThanOrEqualTo(p99);
                assertThat(text.toString()).doesNotContain("failure");
            }
        }
    }
}
