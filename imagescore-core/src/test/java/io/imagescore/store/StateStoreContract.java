package io.imagescore.store;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.fit.HeadStore;
import io.imagescore.pack.HeadVersion;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackLoader;
import io.imagescore.prompt.PromptSetStore;
import io.imagescore.sort.Regulation;
import io.imagescore.sort.RegulationStore;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * What every state store implementation must do (imagescore.store.kind=local and =postgresql run the same tests):
 * prompt-set versions and activation, regulations, head files with checksums, and version numbers that two writers
 * (two store instances on the same state, like two processes or replicas) never both get.
 */
abstract class StateStoreContract {
    /** The three stores of one instance over some state; {@code close} releases the instance (not the state). */
    record Stores(PromptSetStore prompts, RegulationStore regulations, HeadFileStore heads,
                  io.imagescore.experiment.ExperimentStore experiments, AutoCloseable closer) {
    }

    /** A new, empty state, seen by the instances {@link #open} makes until the test ends. */
    abstract void newState() throws Exception;

    /** Another store instance over the current state. */
    abstract Stores open() throws Exception;

    /** Changes one byte of a stored head file behind the store's back. */
    abstract void corrupt(HeadFileStore.HeadKey key, String file) throws Exception;

    abstract void dropState() throws Exception;

    private final List<Stores> opened = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        newState();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Stores s : opened) {
            s.closer().close();
        }
        dropState();
    }

    Stores stores() throws Exception {
        Stores s = open();
        opened.add(s);
        return s;
    }

    @Test
    void prompt_set_versions_activation_list_and_read_back() throws Exception {
        PromptSetStore store = stores().prompts();
        var v1 = store.create("acme", "listing", StoreFixtures.promptSet(1), "first", false);
        var v2 = store.create("acme", "listing", StoreFixtures.promptSet(2), "", false);
        var other = store.create("acme", "apparel", StoreFixtures.promptSet(3), "", true);
        store.create("globex", "listing", StoreFixtures.promptSet(4), "", false);
        assertThat(List.of(v1.version(), v2.version(), other.version())).containsExactly("1", "2", "1");
        assertThat(store.get("acme", "listing", "").version()).as("the first version is active").isEqualTo("1");
        assertThat(store.isActive(v1)).isTrue();
        assertThat(store.isActive(v2)).isFalse();

        var v3 = store.create("acme", "listing", StoreFixtures.promptSet(5), "third", true);
        assertThat(v3.version()).isEqualTo("3");
        assertThat(store.get("acme", "listing", "").version()).isEqualTo("3");
        assertThat(store.activate("acme", "listing", "2").version()).isEqualTo("2");
        assertThat(store.get("acme", "listing", "").version()).isEqualTo("2");

        assertThat(store.list("acme")).containsExactly(
                new PromptSetStore.Summary("acme", "apparel", "1", List.of("1")),
                new PromptSetStore.Summary("acme", "listing", "2", List.of("1", "2", "3")));
        assertThat(store.list("")).hasSize(3);

        // another instance (a restart, another process, another replica) reads the same back
        PromptSetStore again = stores().prompts();
        var read = again.get("acme", "listing", "1");
        assertThat(read.spec()).isEqualTo(StoreFixtures.promptSet(1));
        assertThat(read.notes()).isEqualTo("first");
        assertThat(read.contentHash()).isEqualTo(v1.contentHash());
        assertThat(again.get("acme", "listing", "").version()).isEqualTo("2");
        assertThat(again.list("acme")).isEqualTo(store.list("acme"));

        assertThat(rejected(() -> again.get("acme", "listing", "9")).code()).isEqualTo(ErrorCode.UNKNOWN_PROMPT_SET);
        assertThat(rejected(() -> again.get("acme", "nothing", "")).code()).isEqualTo(ErrorCode.UNKNOWN_PROMPT_SET);
        assertThat(rejected(() -> again.activate("acme", "listing", "9")).code()).isEqualTo(ErrorCode.UNKNOWN_PROMPT_SET);
        assertThat(rejected(() -> again.activate("acme", "listing", "")).code()).isEqualTo(ErrorCode.INVALID_REQUEST);
    }

    @Test
    void concurrent_prompt_set_versions_never_share_a_number() throws Exception {
        PromptSetStore a = stores().prompts();
        PromptSetStore b = stores().prompts();
        List<String> versions = concurrently(40, i -> (i % 2 == 0 ? a : b)
                .create("acme", "listing", StoreFixtures.promptSet(i), "writer " + i, i % 3 == 0).version());
        assertThat(new HashSet<>(versions)).as("distinct numbers").hasSize(40);
        assertThat(versions.stream().map(Integer::parseInt).sorted().toList())
                .isEqualTo(IntStream.rangeClosed(1, 40).boxed().toList());
        PromptSetStore fresh = stores().prompts();
        assertThat(fresh.list("acme").getFirst().versions()).hasSize(40);
        for (String v : versions) {
            assertThat(fresh.get("acme", "listing", v).version()).isEqualTo(v);
        }
    }

    @Test
    void regulations_versions_list_get_and_delete() throws Exception {
        RegulationStore store = stores().regulations();
        Regulation second = new Regulation("room_type", StoreFixtures.RULES.classes(), List.of("kitchen"), "quality",
                0.4, 0.1, Regulation.Placement.BEFORE, true);
        assertThat(store.put("acme", "rooms", StoreFixtures.RULES).version()).isEqualTo("1");
        assertThat(store.put("acme", "rooms", second).version()).isEqualTo("2");
        assertThat(store.put("acme", "apparel", StoreFixtures.RULES).version()).isEqualTo("1");

        RegulationStore again = stores().regulations();
        assertThat(again.get("acme", "rooms", "").version()).isEqualTo("2");
        assertThat(again.get("acme", "rooms", "").regulation()).isEqualTo(second);
        assertThat(again.get("acme", "rooms", "1").regulation()).isEqualTo(StoreFixtures.RULES);
        assertThat(again.list("acme")).containsExactly(
                new RegulationStore.Summary("apparel", "1", List.of("1")),
                new RegulationStore.Summary("rooms", "2", List.of("1", "2")));
        assertThat(again.list("globex")).isEmpty();
        assertThat(rejected(() -> again.get("acme", "rooms", "7")).code()).isEqualTo(ErrorCode.UNKNOWN_REGULATION);
        assertThat(rejected(() -> again.get("acme", "nothing", "")).code()).isEqualTo(ErrorCode.UNKNOWN_REGULATION);

        assertThat(again.delete("acme", "rooms")).isEqualTo(2);
        assertThat(again.delete("acme", "rooms")).isZero();
        assertThat(store.list("acme")).extracting(RegulationStore.Summary::name).containsExactly("apparel");
        assertThat(rejected(() -> store.get("acme", "rooms", "")).code()).isEqualTo(ErrorCode.UNKNOWN_REGULATION);
    }

    @Test
    void bytes_stored_count_each_tenants_prompt_sets_regulations_and_experiments() throws Exception {
        Stores st = stores();
        var pins = new io.imagescore.experiment.Experiment.Pins("mobilenetv2-default", List.of("quality@1"), "", "", "", "", "exact");
        var experiment = new io.imagescore.experiment.Experiment("d", "salt", List.of(new io.imagescore.experiment.Experiment.Variant("a", 1, pins)));
        assertThat(List.of(st.prompts().bytes("acme"), st.regulations().documents().bytes("acme"),
                st.experiments().documents().bytes("acme"))).containsOnly(0L);

        st.prompts().create("acme", "listing", StoreFixtures.promptSet(1), "notes", false);
        st.regulations().put("acme", "rooms", StoreFixtures.RULES);
        st.experiments().put("acme", "hero", experiment);
        st.prompts().create("globex", "listing", StoreFixtures.promptSet(2), "", false);
        st.regulations().put("globex", "rooms", StoreFixtures.RULES);
        Stores again = stores();
        long prompts = again.prompts().bytes("acme");
        long regulations = again.regulations().documents().bytes("acme");
        long experiments = again.experiments().documents().bytes("acme");
        // each holds at least its content's JSON (the local files add the version's metadata)
        assertThat(prompts).isGreaterThanOrEqualTo(PromptSetStore.toJson(StoreFixtures.promptSet(1)).length);
        assertThat(regulations).isGreaterThanOrEqualTo(RegulationStore.JSON.writeValueAsBytes(StoreFixtures.RULES).length);
        assertThat(experiments).isGreaterThanOrEqualTo(io.imagescore.experiment.ExperimentStore.JSON.writeValueAsBytes(experiment).length);

        st.regulations().put("acme", "rooms", StoreFixtures.RULES);
        assertThat(again.regulations().documents().bytes("acme")).as("a second version")
                .isGreaterThanOrEqualTo(regulations + RegulationStore.JSON.writeValueAsBytes(StoreFixtures.RULES).length);
        assertThat(again.prompts().bytes("acme")).as("another tenant's writes do not count").isEqualTo(prompts);
        assertThat(again.regulations().delete("acme", "rooms")).isEqualTo(2);
        assertThat(again.regulations().documents().bytes("acme")).isZero();
        assertThat(again.regulations().documents().bytes("globex")).isPositive();
        assertThat(again.experiments().documents().bytes("globex")).isZero();
    }

    @Test
    void concurrent_regulation_versions_never_share_a_number() throws Exception {
        RegulationStore a = stores().regulations();
        RegulationStore b = stores().regulations();
        List<String> versions = concurrently(30, i -> (i % 2 == 0 ? a : b).put("acme", "rooms", StoreFixtures.RULES).version());
        assertThat(versions.stream().map(Integer::parseInt).sorted().toList())
                .isEqualTo(IntStream.rangeClosed(1, 30).boxed().toList());
        assertThat(stores().regulations().list("acme").getFirst().versions()).hasSize(30);
    }

    @Test
    void head_files_are_published_once_listed_and_read_back() throws Exception {
        HeadFileStore store = stores().heads();
        var key = new HeadFileStore.HeadKey("mobilenetv2-default", StoreFixtures.HEAD, "1");
        Map<String, byte[]> files = HeadStore.files(StoreFixtures.head(1));
        assertThat(store.create(key, files)).isTrue();
        assertThat(store.create(key, HeadStore.files(StoreFixtures.head(2)))).as("versions are immutable").isFalse();

        HeadFileStore again = stores().heads();
        assertThat(again.list("mobilenetv2-default")).containsExactly(key);
        assertThat(again.list("another-pack")).isEmpty();
        Map<String, byte[]> read = again.withDirectory(key, dir -> {
            Map<String, byte[]> out = new java.util.TreeMap<>();
            for (String f : files.keySet()) {
                try {
                    out.put(f, java.nio.file.Files.readAllBytes(dir.resolve(f)));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            assertThat(dir.getFileName().toString()).isEqualTo("1");
            return out;
        });
        assertThat(read.keySet()).isEqualTo(files.keySet());
        files.forEach((f, content) -> assertThat(read.get(f)).as(f).isEqualTo(content));

        // the pack overlay loads it like a shipped head
        ModelPack pack = StoreFixtures.defaultPack();
        ModelPack overlaid = new PackLoader(Shared.dir()).withOverlay(pack, again);
        HeadVersion hv = overlaid.heads().get(StoreFixtures.HEAD).get("1");
        assertThat(hv).isNotNull();
        assertThat(HeadStore.nextVersion(overlaid, again, io.imagescore.tenant.TenantNames.DEFAULT_TENANT, StoreFixtures.HEAD)).isEqualTo("2");
    }

    @Test
    void prompt_set_versions_are_deleted_except_the_active_one() throws Exception {
        PromptSetStore store = stores().prompts();
        store.create("acme", "listing", StoreFixtures.promptSet(1), "", false);
        store.create("acme", "listing", StoreFixtures.promptSet(2), "", false);
        store.create("acme", "listing", StoreFixtures.promptSet(3), "", false);
        store.create("globex", "listing", StoreFixtures.promptSet(4), "", false);
        assertThat(rejected(() -> store.deleteVersion("acme", "listing", "1")).code()).isEqualTo(ErrorCode.ACTIVE_VERSION);
        assertThat(store.deleteVersion("acme", "listing", "2")).containsExactly("1", "3");
        assertThat(rejected(() -> store.deleteVersion("acme", "listing", "2")).code()).isEqualTo(ErrorCode.UNKNOWN_PROMPT_SET);
        assertThat(rejected(() -> store.deleteVersion("acme", "nothing", "1")).code()).isEqualTo(ErrorCode.UNKNOWN_PROMPT_SET);

        PromptSetStore again = stores().prompts();
        assertThat(again.list("acme").getFirst().versions()).containsExactly("1", "3");
        assertThat(rejected(() -> again.get("acme", "listing", "2")).code()).isEqualTo(ErrorCode.UNKNOWN_PROMPT_SET);
        assertThat(again.list("globex").getFirst().versions()).containsExactly("1");
        assertThat(again.get("acme", "listing", "").version()).isEqualTo("1");
    }

    @Test
    void head_versions_are_kept_per_tenant_measured_and_deleted() throws Exception {
        HeadFileStore store = stores().heads();
        String pack = "mobilenetv2-default";
        var acme1 = HeadFileStore.HeadKey.of("acme", pack, StoreFixtures.HEAD, "1");
        var acme2 = HeadFileStore.HeadKey.of("acme", pack, StoreFixtures.HEAD, "2");
        var mine = HeadFileStore.HeadKey.of(io.imagescore.tenant.TenantNames.DEFAULT_TENANT, pack, StoreFixtures.HEAD, "1");
        Map<String, byte[]> files = HeadStore.files(StoreFixtures.head(1));
        long size = files.values().stream().mapToLong(b -> b.length).sum();
        assertThat(store.create(acme1, files)).isTrue();
        assertThat(store.create(acme2, files)).isTrue();
        assertThat(store.create(mine, files)).as("the same name in another tenant's namespace").isTrue();
        assertThat(acme1.tenant()).isEqualTo("acme");
        assertThat(acme1.name()).isEqualTo(StoreFixtures.HEAD);
        assertThat(mine.head()).isEqualTo(StoreFixtures.HEAD);

        HeadFileStore again = stores().heads();
        assertThat(again.list(pack)).containsExactlyInAnyOrder(acme1, acme2, mine);
        assertThat(again.bytes(pack, "acme")).isEqualTo(2 * size);
        assertThat(again.bytes(pack, io.imagescore.tenant.TenantNames.DEFAULT_TENANT)).isEqualTo(size);
        assertThat(again.bytes(pack, "globex")).isZero();
        ModelPack acmePack = new PackLoader(Shared.dir()).withOverlay(StoreFixtures.defaultPack(), again, "acme");
        assertThat(acmePack.heads().get(StoreFixtures.HEAD).keySet()).containsExactly("1", "2");
        assertThat(new PackLoader(Shared.dir()).withOverlay(StoreFixtures.defaultPack(), again, "globex").heads())
                .doesNotContainKey(StoreFixtures.HEAD);

        assertThat(store.delete(acme1)).isTrue();
        assertThat(store.delete(acme1)).as("gone already").isFalse();
        HeadFileStore third = stores().heads();
        assertThat(third.list(pack)).containsExactlyInAnyOrder(acme2, mine);
        assertThat(third.bytes(pack, "acme")).isEqualTo(size);
        assertThat(rejected(() -> third.withDirectory(acme1, dir -> dir)).code()).isEqualTo(ErrorCode.INTERNAL);
        assertThat(store.delete(acme2)).isTrue();
        assertThat(stores().heads().list(pack)).containsExactly(mine);
    }

    @Test
    void a_damaged_head_file_is_detected_by_its_checksum() throws Exception {
        HeadFileStore store = stores().heads();
        var key = new HeadFileStore.HeadKey("mobilenetv2-default", StoreFixtures.HEAD, "1");
        store.create(key, HeadStore.files(StoreFixtures.head(1)));
        corrupt(key, HeadStore.WEIGHTS_FILE);
        HeadFileStore again = stores().heads();
        ImageScoreException e = rejected(() -> again.withDirectory(key, dir -> dir));
        assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL);
        assertThat(e.getMessage()).contains(HeadStore.WEIGHTS_FILE).contains("damaged").contains("sha256");
        // the overlay skips it (with a warning) instead of serving it or failing the start
        ModelPack overlaid = new PackLoader(Shared.dir()).withOverlay(StoreFixtures.defaultPack(), again);
        assertThat(overlaid.heads()).doesNotContainKey(StoreFixtures.HEAD);
    }

    @Test
    void concurrent_head_publishing_never_shares_a_number() throws Exception {
        HeadFileStore a = stores().heads();
        HeadFileStore b = stores().heads();
        ModelPack pack = StoreFixtures.defaultPack();
        List<String> versions = concurrently(16, i -> HeadStore.publishNext(i % 2 == 0 ? a : b, pack, io.imagescore.tenant.TenantNames.DEFAULT_TENANT, StoreFixtures.head(i)));
        assertThat(versions.stream().map(Integer::parseInt).sorted().toList())
                .isEqualTo(IntStream.rangeClosed(1, 16).boxed().toList());
        assertThat(stores().heads().list(pack.name())).hasSize(16);
    }

    @Test
    void experiment_versions_are_immutable_per_tenant_and_two_writers_never_share_a_number() throws Exception {
        var a = stores().experiments();
        var b = stores().experiments();
        var pins = new io.imagescore.experiment.Experiment.Pins("mobilenetv2-default", List.of("quality@1"), "", "", "", "", "exact");
        var e1 = new io.imagescore.experiment.Experiment("d", "salt", List.of(new io.imagescore.experiment.Experiment.Variant("a", 1, pins)));
        var e2 = new io.imagescore.experiment.Experiment("d", "salt", List.of(new io.imagescore.experiment.Experiment.Variant("a", 2, pins)));
        var v1 = a.put("acme", "hero", e1);
        var v2 = b.put("acme", "hero", e2);
        assertThat(List.of(v1.version(), v2.version())).containsExactly("1", "2");
        assertThat(v1.contentHash()).isNotEqualTo(v2.contentHash()).hasSize(64);
        assertThat(b.get("acme", "hero", "1").experiment()).isEqualTo(e1);
        assertThat(a.get("acme", "hero", "").experiment()).isEqualTo(e2);
        assertThat(a.get("acme", "hero", "1").contentHash()).isEqualTo(v1.contentHash());
        assertThat(rejected(() -> a.get("globex", "hero", "")).code()).isEqualTo(ErrorCode.UNKNOWN_EXPERIMENT);
        assertThat(rejected(() -> a.get("acme", "hero", "3")).getMessage()).contains("versions: [1, 2]");
        List<String> versions = concurrently(12, i -> (i % 2 == 0 ? a : b).put("acme", "race", e1).version());
        assertThat(versions.stream().map(Integer::parseInt).sorted().toList()).isEqualTo(IntStream.rangeClosed(1, 12).boxed().toList());
        assertThat(a.list("acme")).extracting(io.imagescore.experiment.ExperimentStore.Summary::name).containsExactly("hero", "race");
        List<String> all = new ArrayList<>(List.of("hero@1", "hero@2"));
        IntStream.rangeClosed(1, 12).forEach(v -> all.add("race@" + v));
        assertThat(b.documents().all("acme")).as("every version in one pass, by name then version")
                .extracting(s -> s.name() + "@" + s.version()).containsExactlyElementsOf(all);
        assertThat(b.documents().all("acme").getFirst().experiment()).isEqualTo(e1);
        assertThat(b.documents().all("globex")).isEmpty();
    }

    interface Task {
        String run(int i) throws Exception;
    }

    /** Runs {@code n} tasks on 8 threads, all released at once; returns their results. */
    static List<String> concurrently(int n, Task task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<Future<String>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                futures.add(pool.submit((Callable<String>) () -> {
                    go.await();
                    return task.run(k);
                }));
            }
            go.countDown();
            List<String> out = Collections.synchronizedList(new ArrayList<>());
            for (Future<String> f : futures) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    static ImageScoreException rejected(Runnable r) {
        return catchThrowableOfType(ImageScoreException.class, r::run);
    }
}
