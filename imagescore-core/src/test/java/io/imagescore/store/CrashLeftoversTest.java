package io.imagescore.store;

import io.imagescore.sort.LocalRegulationStore;
import io.imagescore.prompt.LocalPromptSetStore;
import io.imagescore.fit.EmbeddingCache;
import io.imagescore.fit.HeadStore;
import io.imagescore.image.View;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackLoader;
import io.imagescore.prompt.PromptSetStore;
import io.imagescore.sort.RegulationStore;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Leaves on disk what a crash (or damage) could leave — temporaries, a version directory without its weights, a
 * truncated JSON — and checks that every store opens, skips it, serves only complete versions, removes stale
 * temporaries and never reuses a taken version number.
 */
class CrashLeftoversTest {
    static final String TMP = DurableFiles.TEMP_PREFIX;

    @TempDir
    Path data;

    static void age(Path p) throws Exception {
        Files.setLastModifiedTime(p, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
    }

    static void truncate(Path f) throws Exception {
        byte[] b = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(b, b.length / 2));
    }

    @Test
    void prompt_sets_skip_temporaries_and_truncated_versions() throws Exception {
        Path root = data.resolve("prompt-sets");
        PromptSetStore store = new LocalPromptSetStore(root);
        store.create("acme", "listing", StoreFixtures.promptSet(1), "", false);
        store.create("acme", "listing", StoreFixtures.promptSet(2), "", true);
        store.create("acme", "listing", StoreFixtures.promptSet(3), "", false);
        Path set = root.resolve("acme/listing");
        truncate(set.resolve("3.json"));
        Path staleTmp = Files.writeString(set.resolve(TMP + "4.json-1"), "{\"tenant\":");
        age(staleTmp);
        Path freshTmp = Files.copy(set.resolve("1.json"), set.resolve(TMP + "5.json-2"));
        Path legacyTmp = Files.writeString(set.resolve(".6.json123.tmp"), "{");
        Files.createDirectories(root.resolve(TMP + "acme-9"));
        Path emptySet = Files.createDirectories(root.resolve("acme/crashed-before-its-first-version"));
        Files.writeString(emptySet.resolve(TMP + "1.json-3"), "{}");

        PromptSetStore reopened = new LocalPromptSetStore(root);
        assertThat(reopened.list("")).containsExactly(new PromptSetStore.Summary("acme", "listing", "2", List.of("1", "2")));
        assertThat(reopened.get("acme", "listing", "").version()).isEqualTo("2");
        assertThat(staleTmp).doesNotExist();
        assertThat(freshTmp).as("young: may be a live writer's; skipped, not removed").exists();
        assertThat(legacyTmp).exists();
        assertThat(reopened.create("acme", "listing", StoreFixtures.promptSet(4), "", true).version())
                .as("3.json is unreadable but its number stays taken: never overwritten").isEqualTo("4");
        assertThat(new LocalPromptSetStore(root).get("acme", "listing", "").version()).isEqualTo("4");
    }

    @Test
    void an_active_pointer_naming_an_unreadable_version_falls_back_without_failing() throws Exception {
        Path root = data.resolve("prompt-sets");
        PromptSetStore store = new LocalPromptSetStore(root);
        store.create("acme", "listing", StoreFixtures.promptSet(1), "", false);
        store.create("acme", "listing", StoreFixtures.promptSet(2), "", true);
        Files.writeString(root.resolve("acme/listing/2.json"), "");
        assertThat(new LocalPromptSetStore(root).get("acme", "listing", "").version()).isEqualTo("1");
        Files.writeString(root.resolve("acme/listing/ACTIVE"), "garbage");
        assertThat(new LocalPromptSetStore(root).get("acme", "listing", "").version()).isEqualTo("1");
        Files.delete(root.resolve("acme/listing/ACTIVE")); // crash after a set's first version, before its ACTIVE
        assertThat(new LocalPromptSetStore(root).get("acme", "listing", "").version()).isEqualTo("1");
    }

    @Test
    void regulations_skip_temporaries_and_truncated_versions() throws Exception {
        RegulationStore store = new LocalRegulationStore(data);
        store.put("acme", "rooms", StoreFixtures.RULES);
        store.put("acme", "rooms", StoreFixtures.RULES);
        Path dir = data.resolve("regulations/acme/rooms");
        truncate(dir.resolve("2.json"));
        Path staleTmp = Files.writeString(dir.resolve(TMP + "3.json-1"), "{");
        age(staleTmp);
        Files.createDirectories(data.resolve("regulations/acme/" + TMP + "x"));

        RegulationStore reopened = new LocalRegulationStore(data);
        assertThat(staleTmp).doesNotExist();
        assertThat(reopened.list("acme")).containsExactly(new RegulationStore.Summary("rooms", "1", List.of("1")));
        assertThat(reopened.get("acme", "rooms", "").version()).isEqualTo("1");
        assertThat(reopened.put("acme", "rooms", StoreFixtures.RULES).version()).isEqualTo("3");
        assertThat(reopened.get("acme", "rooms", "").regulation()).isEqualTo(StoreFixtures.RULES);
    }

    @Test
    void fitted_heads_skip_temporaries_and_partial_versions_and_the_pack_still_loads() throws Exception {
        PackLoader loader = new PackLoader(Shared.dir());
        ModelPack pack = StoreFixtures.defaultPack();
        Path root = data.resolve("heads").resolve(pack.name());
        Path head = root.resolve(StoreFixtures.HEAD);
        HeadStore.write(root, StoreFixtures.head(1), "1");
        HeadStore.write(root, StoreFixtures.head(2), "2");
        HeadStore.write(root, StoreFixtures.head(3), "3");
        Files.delete(head.resolve("2").resolve(HeadStore.WEIGHTS_FILE));           // a version without its weights
        truncate(head.resolve("3").resolve(PackLoader.HEAD_MANIFEST));              // a truncated head.json
        // complete-looking temporaries: a current one (fresh, then stale) and one named by the old writer
        Path fresh = Files.createDirectories(head.resolve(TMP + "4-123"));
        Files.copy(head.resolve("1/head.json"), fresh.resolve("head.json"));
        Files.copy(head.resolve("1/" + HeadStore.WEIGHTS_FILE), fresh.resolve(HeadStore.WEIGHTS_FILE));
        Path stale = Files.createDirectories(head.resolve(TMP + "5-456"));
        Files.copy(head.resolve("1/head.json"), stale.resolve("head.json"));
        age(stale);
        Path legacy = Files.createDirectories(head.resolve(".6-789"));
        Files.copy(head.resolve("1/head.json"), legacy.resolve("head.json"));
        Files.copy(head.resolve("1/" + HeadStore.WEIGHTS_FILE), legacy.resolve(HeadStore.WEIGHTS_FILE));

        ModelPack overlaid = loader.withOverlay(pack, root);
        assertThat(overlaid.heads().get(StoreFixtures.HEAD).keySet()).containsExactly("1");
        assertThat(overlaid.heads().get(StoreFixtures.HEAD).get("1").training().path("seq").asLong()).isEqualTo(1);
        assertThat(stale).doesNotExist();
        assertThat(fresh).exists();
        assertThat(head.resolve("2")).as("left for the operator / cleanup, not deleted").exists();

        Path next = HeadStore.writeNext(overlaid, root, StoreFixtures.head(7));
        assertThat(next.getFileName().toString()).as("partial versions keep their numbers").isEqualTo("4");
        assertThat(loader.withOverlay(pack, root).heads().get(StoreFixtures.HEAD).keySet()).containsExactly("1", "4");
    }

    @Test
    void a_damaged_embedding_cache_file_is_a_miss_and_entries_survive_a_reopen() throws Exception {
        Path dir = data.resolve("cache");
        EmbeddingCache cache = new EmbeddingCache(10, dir);
        String sha = "ab".repeat(32);
        var key = new EmbeddingCache.Key("enc", sha, View.CENTER);
        var other = new EmbeddingCache.Key("enc", "cd".repeat(32), View.CENTER);
        cache.put(key, new EmbeddingCache.Entry(1, new float[]{1f, 2f, 3f}));
        cache.put(other, new EmbeddingCache.Entry(1, new float[]{4f}));
        Path otherFile;
        try (Stream<Path> s = Files.walk(dir)) {
            otherFile = s.filter(Files::isRegularFile).filter(p -> p.getFileName().toString().startsWith("cd")).findFirst().orElseThrow();
        }
        Files.write(otherFile, new byte[]{1, 0});
        Path staleTmp = Files.writeString(otherFile.resolveSibling(TMP + "x.f32-1"), "");
        age(staleTmp);

        EmbeddingCache reopened = new EmbeddingCache(10, dir);
        assertThat(staleTmp).doesNotExist();
        assertThat(reopened.get(key).mean()).containsExactly(1f, 2f, 3f);
        assertThat(reopened.get(other)).isNull();
        try (Stream<Path> s = Files.walk(dir)) {
            assertThat(s.filter(DurableFiles::isTemporary)).isEmpty();
        }
    }
}
