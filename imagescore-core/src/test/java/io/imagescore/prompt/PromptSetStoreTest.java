package io.imagescore.prompt;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class PromptSetStoreTest {

    @TempDir
    Path dataDir;

    static PromptSet.Attribute pairs(String name, String... posNeg) {
        List<PromptSet.Pair> p = new java.util.ArrayList<>();
        for (int i = 0; i < posNeg.length; i += 2) {
            p.add(new PromptSet.Pair(posNeg[i], posNeg[i + 1]));
        }
        return new PromptSet.Attribute(name, "", p, null, null, null);
    }

    static PromptSet set(PromptSet.Attribute... attributes) {
        return new PromptSet("", "", List.of(attributes), List.of());
    }

    static ImageScoreException rejected(Runnable r) {
        return catchThrowableOfType(ImageScoreException.class, r::run);
    }

    @Test
    void versions_and_the_active_version_survive_a_restart() throws IOException {
        PromptSetStore store = new LocalPromptSetStore(dataDir);
        PromptSetStore.StoredVersion v1 = store.create("acme", "listing", set(pairs("bright", "Bright photo.", "Dark photo.")), "first", false);
        PromptSetStore.StoredVersion v2 = store.create("acme", "listing", set(pairs("bright", "Bright image.", "Dark image.")), "", false);
        assertThat(v1.version()).isEqualTo("1");
        assertThat(v2.version()).isEqualTo("2");
        assertThat(store.get("acme", "listing", "").version()).as("the first version becomes active").isEqualTo("1");

        PromptSetStore restarted = new LocalPromptSetStore(dataDir);
        assertThat(restarted.list("acme")).containsExactly(new PromptSetStore.Summary("acme", "listing", "1", List.of("1", "2")));
        assertThat(restarted.get("acme", "listing", "2")).isEqualTo(v2);
        assertThat(restarted.get("acme", "listing", "1").notes()).isEqualTo("first");
        restarted.activate("acme", "listing", "2");

        PromptSetStore again = new LocalPromptSetStore(dataDir);
        assertThat(again.get("acme", "listing", "")).isEqualTo(v2);
        assertThat(again.get("acme", "listing", "1")).as("a pinned old version still answers").isEqualTo(v1);
        assertThat(v1.contentHash()).isNotEqualTo(v2.contentHash()).hasSize(64);
        try (Stream<Path> files = Files.walk(dataDir)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp"))).as("no temp files left").isEmpty();
        }
    }

    @Test
    void a_later_version_becomes_active_only_when_asked() {
        PromptSetStore store = new LocalPromptSetStore(dataDir);
        store.create("acme", "listing", set(pairs("bright", "Bright photo.", "Dark photo.")), "", false);
        store.create("acme", "listing", set(pairs("bright", "Bright image.", "Dark image.")), "", true);
        assertThat(new LocalPromptSetStore(dataDir).get("acme", "listing", "").version()).isEqualTo("2");
    }

    @Test
    void bad_sets_are_rejected_with_precise_messages_and_nothing_is_stored() {
        PromptSetStore store = new LocalPromptSetStore(dataDir);
        ImageScoreException empty = rejected(() -> store.create("acme", "s", set(pairs("ok", "Good photo.", "Bad photo."),
                pairs("sharp", "Sharp photo.", " ")), "", false));
        assertThat(empty.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(empty.getMessage()).isEqualTo("invalid prompt set: attributes[1] 'sharp' pairs[0] is empty: both positive and negative prompts are required");
        assertThat(empty.metadata()).containsEntry("field", "attributes[1] 'sharp' pairs[0]");

        assertThat(rejected(() -> store.create("acme", "s", set(pairs("sharp", "Sharp photo.", "Blurry photo."),
                pairs("sharp", "Crisp photo.", "Soft photo.")), "", false)).getMessage())
                .isEqualTo("invalid prompt set: attributes[1] duplicate score name 'sharp' (already used by attributes[0])");

        PromptSet unknownClass = new PromptSet("", "", List.of(), List.of(new PromptSet.Classifier("room", "",
                List.of("a photo of a {}."), List.of("kitchen", "bedroom"), Map.of("garage", List.of("a garage.")))));
        assertThat(rejected(() -> store.create("acme", "s", unknownClass, "", false)).getMessage())
                .isEqualTo("invalid prompt set: classifiers[0] 'room' class_prompts names unknown class 'garage'; the classes are [kitchen, bedroom]");

        PromptSet noPlaceholder = new PromptSet("", "", List.of(), List.of(new PromptSet.Classifier("room", "",
                List.of("a photo"), List.of("kitchen", "bedroom"), null)));
        assertThat(rejected(() -> store.create("acme", "s", noPlaceholder, "", false)).getMessage())
                .contains("classifiers[0] 'room' templates[0] must contain {}");

        PromptSet levels = set(new PromptSet.Attribute("q", "", null, List.of("bad photo.", "good photo."), List.of(1.0), null));
        assertThat(rejected(() -> store.create("acme", "s", levels, "", false)).getMessage())
                .isEqualTo("invalid prompt set: attributes[0] 'q' has 1 level_values for 2 levels");
        assertThat(rejected(() -> store.create("acme", "s", set(), "", false)).getMessage())
                .isEqualTo("invalid prompt set: a prompt set needs at least one attribute or classifier");
        assertThat(rejected(() -> store.create("acme", "s", set(pairs("Bad Name", "a", "b")), "", false)).getMessage())
                .contains("attributes[0] name 'Bad Name' must be");
        assertThat(rejected(() -> store.create("../etc", "s", set(pairs("ok", "a", "b")), "", false)).getMessage())
                .startsWith("tenant '../etc' must be");
        assertThat(store.list("")).isEmpty();
        assertThat(dataDir).isEmptyDirectory();
    }

    @Test
    void unknown_sets_and_versions_name_what_exists() {
        PromptSetStore store = new LocalPromptSetStore(dataDir);
        store.create("acme", "listing", set(pairs("bright", "Bright photo.", "Dark photo.")), "", false);
        ImageScoreException noSet = rejected(() -> store.get("acme", "products", ""));
        assertThat(noSet.code()).isEqualTo(ErrorCode.UNKNOWN_PROMPT_SET);
        assertThat(noSet.getMessage()).isEqualTo("tenant 'acme' has no prompt set 'products'; it has [listing]");
        assertThat(rejected(() -> store.get("acme", "listing", "7")).getMessage())
                .isEqualTo("prompt set 'acme/listing' has no version '7'; versions: [1]");
        assertThat(rejected(() -> store.activate("acme", "listing", "2")).code()).isEqualTo(ErrorCode.UNKNOWN_PROMPT_SET);
    }

    @Test
    void the_stored_file_is_readable_json_with_the_spec() throws IOException {
        PromptSetStore store = new LocalPromptSetStore(dataDir);
        store.create("acme", "listing", new PromptSet("listing photos", "clip-tiny", List.of(
                new PromptSet.Attribute("bright", "", List.of(new PromptSet.Pair("Bright photo.", "Dark photo.")), null, null,
                        new PromptSet.Calibration(3, 1, 1, 4))), List.of()), "", false);
        String json = Files.readString(dataDir.resolve("acme/listing/1.json"));
        assertThat(json).contains("\"positive\" : \"Bright photo.\"").contains("\"pack\" : \"clip-tiny\"").contains("\"slope\" : 3.0");
        assertThat(Files.readString(dataDir.resolve("acme/listing/ACTIVE"))).isEqualTo("1");
    }
}
