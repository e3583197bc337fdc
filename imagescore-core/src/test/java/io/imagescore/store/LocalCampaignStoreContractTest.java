package io.imagescore.store;

import io.imagescore.rating.CampaignStore;
import io.imagescore.rating.LocalCampaignStore;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** The campaign-store contract on imagescore.store.kind=local: each instance opened on one data directory. */
class LocalCampaignStoreContractTest extends CampaignStoreContract {
    private Path dataDir;

    @Override
    void newState() throws Exception {
        dataDir = Files.createTempDirectory("imagescore-campaigns-");
    }

    @Override
    CampaignStore open() {
        return new LocalCampaignStore(dataDir);
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
