package io.imagescore.sort;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class RegulationStoreTest {

    @TempDir
    Path dataDir;

    static final Regulation LISTING = new Regulation("room_type",
            List.of("living_room", "kitchen", "dining_room", "bedroom", "bathroom", "entrance_hall"),
            List.of("living_room", "kitchen"), "quality", 0.4, 0.1, Regulation.Placement.BEFORE, true);

    @Test
    void put_writes_numbered_immutable_versions_and_get_reads_newest_or_pinned() throws Exception {
        RegulationStore store = new LocalRegulationStore(dataDir);
        var v1 = store.put("acme", "listing", LISTING);
        var v2 = store.put("acme", "listing", new Regulation("room_type", List.of("kitchen"), List.of(), null, 0, 0, null, false));
        assertThat(v1.version()).isEqualTo("1");
        assertThat(v2.version()).isEqualTo("2");
        assertThat(store.get("acme", "listing", "").version()).isEqualTo("2");
        assertThat(store.get("acme", "listing", null).regulation().classes()).containsExactly("kitchen");
        // every field survives the round trip through the file
        assertThat(store.get("acme", "listing", "1").regulation()).isEqualTo(LISTING);
        assertThat(Files.readString(dataDir.resolve("regulations/acme/listing/1.json"))).contains("\"min_confidence\" : 0.4");
        // a fresh store (a restarted server) sees the same
        assertThat(new LocalRegulationStore(dataDir).get("acme", "listing", "1").regulation()).isEqualTo(LISTING);
        try (Stream<Path> s = Files.list(dataDir.resolve("regulations/acme/listing"))) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("1.json", "2.json");
        }
    }

    @Test
    void regulations_are_per_tenant_and_listed_with_versions() {
        RegulationStore store = new LocalRegulationStore(dataDir);
        store.put("acme", "listing", LISTING);
        store.put("acme", "listing", LISTING);
        store.put("acme", "apparel", LISTING);
        store.put("other", "listing", LISTING);
        assertThat(store.list("acme")).containsExactly(
                new RegulationStore.Summary("apparel", "1", List.of("1")),
                new RegulationStore.Summary("listing", "2", List.of("1", "2")));
        assertThat(store.list("nobody")).isEmpty();
        assertThat(store.get("other", "listing", "").version()).isEqualTo("1");
    }

    @Test
    void unknown_regulations_and_versions_are_not_found() {
        RegulationStore store = new LocalRegulationStore(dataDir);
        store.put("acme", "listing", LISTING);
        var e = catchThrowableOfType(ImageScoreException.class, () -> store.get("acme", "apparel", ""));
        assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_REGULATION);
        assertThat(e.getMessage()).contains("[listing]");
        assertThat(catchThrowableOfType(ImageScoreException.class, () -> store.get("acme", "listing", "7")).getMessage())
                .contains("versions: [1]");
    }

    @Test
    void delete_removes_every_version() {
        RegulationStore store = new LocalRegulationStore(dataDir);
        store.put("acme", "listing", LISTING);
        store.put("acme", "listing", LISTING);
        assertThat(store.delete("acme", "listing")).isEqualTo(2);
        assertThat(store.delete("acme", "listing")).isZero();
        assertThat(store.list("acme")).isEmpty();
        assertThat(store.put("acme", "listing", LISTING).version()).isEqualTo("1");
    }

    @Test
    void names_cannot_escape_the_data_directory_and_invalid_rules_are_not_stored() {
        RegulationStore store = new LocalRegulationStore(dataDir);
        for (String bad : List.of("../x", "a/b", "", ".hidden", "x y", "Acme", "a".repeat(65))) {
            assertThat(catchThrowableOfType(ImageScoreException.class, () -> store.put("acme", bad, LISTING)).code())
                    .isEqualTo(ErrorCode.INVALID_REQUEST);
            assertThat(catchThrowableOfType(ImageScoreException.class, () -> store.list(bad)).code())
                    .isEqualTo(ErrorCode.INVALID_REQUEST);
        }
        assertThat(catchThrowableOfType(ImageScoreException.class, () -> store.put("acme", "x",
                new Regulation("room_type", List.of(), List.of(), null, 0, 0, null, false))).code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(Files.exists(dataDir.resolve("regulations/acme/x/1.json"))).isFalse();
    }

    @Test
    void concurrent_writers_get_distinct_versions_and_leave_no_temporary_files() throws Exception {
        RegulationStore a = new LocalRegulationStore(dataDir);
        RegulationStore b = new LocalRegulationStore(dataDir);   // two stores: like two processes, no shared lock
        Set<String> versions = ConcurrentHashMap.newKeySet();
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<?>> futures = new java.util.ArrayList<>();
            for (int i = 0; i < 40; i++) {
                RegulationStore s = i % 2 == 0 ? a : b;
                futures.add(pool.submit(() -> versions.add(s.put("acme", "listing", LISTING).version())));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        }
        assertThat(versions).hasSize(40);
        try (Stream<Path> s = Files.list(dataDir.resolve("regulations/acme/listing"))) {
            assertThat(s.map(p -> p.getFileName().toString())).hasSize(40).allMatch(n -> n.matches("[0-9]+\\.json"));
        }
        assertThat(a.get("acme", "listing", "").version()).isEqualTo("40");
    }
}
