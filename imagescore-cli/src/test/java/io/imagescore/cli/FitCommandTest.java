package io.imagescore.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class FitCommandTest {

    static String usageError(String... args) {
        StringWriter err = new StringWriter();
        int rc = ImageScoreCli.commandLine(new ImageScoreCli()).setErr(new PrintWriter(err)).execute(args);
        assertThat(rc).as("usage error exit code").isEqualTo(2);
        return err.toString();
    }

    @Test
    void choice_options_name_their_choices_when_the_value_is_unknown() {
        assertThat(usageError("fit", "--name", "x", "--kind", "classes", "--classifier", "forest", "--class-dirs", "nowhere"))
                .contains("Invalid value for option '--classifier': expected one of [LOGISTIC, KERNEL] (case-insensitive) but was 'forest'");
        assertThat(usageError("fit", "--name", "x", "--kind", "ranking", "--class-dirs", "nowhere"))
                .contains("Invalid value for option '--kind': expected one of [REGRESSION, CLASSES, PAIRWISE] (case-insensitive) but was 'ranking'");
        assertThat(usageError("fit", "--name", "x", "--kind", "regression", "--calibration", "sigmoid", "--labels", "l.csv"))
                .contains("Invalid value for option '--calibration': expected one of [NONE, LINEAR, ISOTONIC] (case-insensitive) but was 'sigmoid'");
    }

    @Test
    void fit_into_a_data_directory_a_server_holds_is_refused_at_once(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) {
        java.nio.file.Path data = tmp.resolve("data");
        try (var held = io.imagescore.store.DataDirLock.acquire(data)) {
            // by --data-dir, and by an --out inside it (the heads directory the server serves)
            for (String[] target : List.of(new String[] {"--data-dir", data.toString()},
                    new String[] {"--out", data.resolve("heads/mobilenetv2-default").toString()})) {
                java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
                java.io.PrintStream oldErr = System.err;
                System.setErr(new java.io.PrintStream(err, true));
                int rc;
                try {
                    rc = ImageScoreCli.commandLine(new ImageScoreCli()).execute("fit", "--name", "rooms", "--kind", "classes",
                            "--class-dirs", io.imagescore.testing.Shared.path("data/rooms/eval").toString(),
                            "--pack", io.imagescore.testing.Shared.root().resolve("packs/mobilenetv2-default").toString(),
                            "--shared", io.imagescore.testing.Shared.dir().toString(), target[0], target[1]);
                } finally {
                    System.setErr(oldErr);
                }
                assertThat(rc).as(target[0]).isEqualTo(1);
                assertThat(err.toString()).as(target[0]).startsWith("imagescore fit: " + data + " is in use by another process")
                        .contains("write elsewhere with --out");
                assertThat(data.resolve("heads")).as("nothing written").doesNotExist();
            }
        }
    }

    @Test
    void choice_options_take_any_case() {
        CommandLine.ParseResult parsed = ImageScoreCli.commandLine(new ImageScoreCli()).parseArgs("fit", "--name", "x",
                "--kind", "Classes", "--classifier", "KERNEL", "--calibration", "isotonic", "--mode", "fast", "--class-dirs", "d");
        FitCommand fit = (FitCommand) parsed.subcommand().commandSpec().userObject();
        assertThat(fit.kind).isEqualTo(io.imagescore.fit.FitKind.CLASSES);
        assertThat(fit.classifier).isEqualTo(io.imagescore.fit.FitSpec.Classifier.KERNEL);
        assertThat(fit.calibration).isEqualTo(io.imagescore.fit.Calibrate.Method.ISOTONIC);
        assertThat(fit.engine.preprocessMode()).isEqualTo(io.imagescore.image.PreprocessMode.FAST);
    }
}
