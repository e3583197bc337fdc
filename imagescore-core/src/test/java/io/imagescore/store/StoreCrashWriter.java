package io.imagescore.store;

import io.imagescore.sort.LocalRegulationStore;
import io.imagescore.prompt.LocalPromptSetStore;
import io.imagescore.fit.HeadStore;
import io.imagescore.pack.ModelPack;
import io.imagescore.prompt.PromptSetStore;
import io.imagescore.sort.RegulationStore;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The child process of {@link StoreCrashTest}: four threads write through the real stores into {@code args[0]} until
 * the parent kills the process. One line per acknowledged (returned) write goes to stdout, flushed at once:
 * {@code P <version> <contentHash>} a prompt-set version, {@code A? <version>} an activation about to start,
 * {@code A <version>} an activation done, {@code R <version>} a regulation version, {@code H <version> <seq>} a head
 * version. {@code READY} once the stores are open.
 */
public final class StoreCrashWriter {
    private StoreCrashWriter() {
    }

    static synchronized void ack(String line) {
        System.out.println(line);
        System.out.flush();
    }

    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[0]);
        ModelPack pack = StoreFixtures.defaultPack();
        PromptSetStore prompts = new LocalPromptSetStore(data.resolve("prompt-sets"));
        RegulationStore regulations = new LocalRegulationStore(data);
        Path heads = data.resolve("heads").resolve(pack.name());
        if (prompts.list(StoreFixtures.TENANT).isEmpty()) {
            var v = prompts.create(StoreFixtures.TENANT, StoreFixtures.SET, StoreFixtures.promptSet(0), "", false);
            ack("P " + v.version() + " " + v.contentHash());
            ack("A " + v.version()); // the first version of a set becomes active
        }
        ack("READY");
        List<Runnable> writers = List.of(
                () -> {
                    var v = prompts.create(StoreFixtures.TENANT, StoreFixtures.SET,
                            StoreFixtures.promptSet(ThreadLocalRandom.current().nextLong(1_000_000)), "", false);
                    ack("P " + v.version() + " " + v.contentHash());
                },
                () -> {
                    List<String> versions = prompts.list(StoreFixtures.TENANT).getFirst().versions();
                    String v = versions.get(ThreadLocalRandom.current().nextInt(versions.size()));
                    ack("A? " + v);
                    prompts.activate(StoreFixtures.TENANT, StoreFixtures.SET, v);
                    ack("A " + v);
                },
                () -> ack("R " + regulations.put(StoreFixtures.TENANT, StoreFixtures.REGULATION, StoreFixtures.RULES).version()),
                () -> {
                    long seq = ThreadLocalRandom.current().nextLong(1_000_000);
                    Path dir = HeadStore.writeNext(pack, heads, StoreFixtures.head(seq));
                    ack("H " + dir.getFileName() + " " + seq);
                });
        for (Runnable w : writers) {
            Thread t = new Thread(() -> {
                while (true) {
                    w.run();
                }
            });
            t.start();
        }
    }
}
