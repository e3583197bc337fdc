package io.imagescore.deploy;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/configuration.md is generated from the application's configuration classes ({@link AppConfigKeys}): every key
 * the server reads, its default and where it is read. The test fails when the file and the code disagree; rewrite it
 * with {@code -Dimagescore.config-doc.write=true}.
 */
class ConfigurationDocTest {
    static final Path DOC = io.imagescore.testing.Shared.root().resolve("docs/configuration.md");

    @Test
    void docs_configuration_md_lists_exactly_the_keys_the_application_reads() throws IOException {
        StringBuilder md = new StringBuilder("""
                # Configuration

                Every `imagescore.*` key the server reads (generated from its one `@ConfigMapping` tree,
                `config/ImageScoreConfig`, by `ConfigurationDocTest`; rewrite with
                `./mvnw -q test-compile surefire:test -Dtest=ConfigurationDocTest -Dimagescore.config-doc.write=true
                -Dsurefire.failIfNoSpecifiedTests=false`). Each key can also be set as an environment variable: upper
                case, every non-alphanumeric character as `_` (`imagescore.limits.max-request-bytes` →
                `IMAGESCORE_LIMITS_MAX_REQUEST_BYTES`). `*` stands for a name chosen by you (a map key); `[*]` for a
                list index. What each key does is said on the method named in the last column. Quarkus's own keys
                (`quarkus.*`) are in `imagescore-server/src/main/resources/application.properties` and the Quarkus
                guides; the deploy manifests set only keys listed here, plus the datasource ones (`DeployBootIT`).

                | key | default | read by |
                |---|---|---|
                """);
        AppConfigKeys.documented().values().stream().filter(k -> k.name().startsWith("imagescore."))
                .forEach(k -> md.append("| `").append(k.name()).append("` | ")
                        .append(k.defaultValue().isEmpty() ? "—" : "`" + k.defaultValue().replace("|", "\\|") + "`")
                        .append(" | `").append(k.readBy()).append("` |\n"));
        String expected = md.toString();
        if (Boolean.getBoolean("imagescore.config-doc.write")) {
            Files.writeString(DOC, expected);
        }
        assertThat(DOC).as("docs/configuration.md is stale: rewrite it (see its first paragraph)").exists();
        assertThat(Files.readString(DOC)).isEqualTo(expected);
        assertThat(expected).contains("`imagescore.limits.max-request-bytes`", "`imagescore.backend.kind`");
    }
}
