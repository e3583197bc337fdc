package io.imagescore.store.pg;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** PgStateStore lists its migrations instead of scanning for them: the list must be the directory, in order. */
class PgStateStoreMigrationsTest {
    @Test
    void every_migration_file_is_listed_in_order() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("imagescore-core/src/main/resources", PgStateStore.MIGRATION_DIR))) {
            assertThat(PgStateStore.MIGRATIONS).containsExactlyElementsOf(s.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".sql"))
                    .sorted(java.util.Comparator.comparingInt(n -> Integer.parseInt(n.substring(1, n.indexOf("__"))))).toList());
        }
    }
}
