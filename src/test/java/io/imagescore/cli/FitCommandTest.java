package io.imagescore.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

class FitCommandTest {

    static String usageError(String... args) {
        StringWriter err = new StringWriter();
        int rc = new CommandLine(new ImageScoreCli()).setErr(new PrintWriter(err)).execute(args);
        assertThat(rc).as("usage error exit code").isEqualTo(2);
        return err.toString();
    }

    @Test
    void choice_options_name_their_choices_when_the_value_is_unknown() {
        assertThat(usageError("fit", "--name", "x", "--kind", "classes", "--classifier", "forest", "--class-dirs", "nowhere"))
                .contains("--classifier must be one of [logistic, kernel], got 'forest'");
        assertThat(usageError("fit", "--name", "x", "--kind", "ranking", "--class-dirs", "nowhere"))
                .contains("--kind must be one of [regression, classes, pairwise], got 'ranking'");
        assertThat(usageError("fit", "--name", "x", "--kind", "regression", "--calibration", "sigmoid", "--labels", "l.csv"))
                .contains("--calibration must be one of [none, linear, isotonic], got 'sigmoid'");
    }
}
