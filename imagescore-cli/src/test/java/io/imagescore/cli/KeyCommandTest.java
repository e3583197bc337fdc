package io.imagescore.cli;

import io.imagescore.tenant.ApiKeys;
import io.imagescore.tenant.Role;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class KeyCommandTest {

    @Test
    void prints_a_256_bit_key_and_the_hash_line_that_authenticates_it() {
        StringWriter out = new StringWriter();
        CommandLine cli = ImageScoreCli.commandLine(new ImageScoreCli());
        cli.setOut(new PrintWriter(out));
        assertThat(cli.execute("key", "--tenant", "acme", "--roles", "score,configure")).isZero();
        String[] lines = out.toString().split("\n");
        String key = lines[0].substring("key:  ".length());
        String line = lines[1].substring("line: ".length());
        assertThat(key).matches("isk_[A-Za-z0-9_-]{43}");
        assertThat(line).isEqualTo(ApiKeys.hash(key) + " acme score,configure");
        var parsed = ApiKeys.parse(java.util.List.of(line));
        assertThat(parsed.byHash().get(ApiKeys.hash(key))).isEqualTo(new ApiKeys.Entry("acme", Set.of(Role.SCORE, Role.CONFIGURE)));
        assertThat(cli.execute("key", "--tenant", "../etc")).as("tenant names follow the naming rule").isNotZero();
    }
}
