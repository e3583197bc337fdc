package io.imagescore.store;

import io.imagescore.prompt.LocalPromptSetStore;
import io.imagescore.sort.LocalRegulationStore;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** The state-store contract on imagescore.store.kind=local: each instance is a store opened on one data directory. */
class LocalStateStoreContractTest extends StateStoreContract {
    private Path dataDir;

    @Override
    void newState() throws Exception {
        dataDir = Files.createTempDirectory("imagescore-store-");
    }

    @Override
    Stores open() {
        return new Stores(new LocalPromptSetStore(dataDir.resolve("prompt-sets")), new LocalRegulationStore(dataDir),
                LocalHeadFileStore.forDataDir(dataDir), () -> { });
    }

    @Override
    void corrupt(HeadFileStore.HeadKey key, String file) throws Exception {
        Path f = LocalHeadFileStore.forDataDir(dataDir).directory(key).resolve(file);
        byte[] b = Files.readAllBytes(f);
        b[b.length / 2] ^= 0x5a;
        Files.write(f, b);
    }

    @Override
    void dropState() throws Exception {
        try (Stream<Path> s = Files.walk(dataDir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
