package io.imagescore.store;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.rating.Campaign;
import io.imagescore.rating.CampaignStore;
import io.imagescore.rating.LocalCampaignStore;
import io.imagescore.score.ScoringPipeline;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

    /**
     * The crash points of the local store, simulated by stopping after the steps a crash would have completed: a
     * create that stored its images but not its campaign.json, and a delete that removed the campaign but not its
     * images. The next start sweeps exactly those images (they stop counting towards the byte quota); images a
     * campaign names stay, and a tenant with an unreadable campaign file keeps all its images.
     */
    @Test
    void images_left_by_an_interrupted_create_or_delete_are_swept_at_start() throws Exception {
        List<byte[]> photos = Stream.of("1000", "1001", "1002", "1003", "1004", "1005")
                .map(n -> Shared.bytes("data/clive/images/" + n + ".JPG")).toList();
        List<String> hashes = photos.stream().map(ScoringPipeline::sha256).toList();
        CampaignStore store = open();
        for (int i = 0; i < 4; i++) {
            store.putImage("acme", hashes.get(i), photos.get(i));
        }
        store.create("acme", campaign("kept", Campaign.Task.RATING, hashes.subList(0, 2)));
        store.create("acme", campaign("deleting", Campaign.Task.PAIRWISE, hashes.subList(1, 4)));
        // images 4 and 5: a create that stores its uploads and then fails to write its campaign.json (a file where the
        // campaign's directory goes), as a crash at that point would leave it
        Path campaigns = dataDir.resolve("rating/acme/campaigns");
        Files.writeString(campaigns.resolve("crashed"), "in the way");
        assertThatThrownBy(() -> store.create("acme", campaign("crashed", Campaign.Task.RATING, hashes.subList(4, 6)),
                Map.of(hashes.get(4), photos.get(4), hashes.get(5), photos.get(5))))
                .isInstanceOfSatisfying(ImageScoreException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL));
        Files.delete(campaigns.resolve("crashed"));
        // campaign "deleting": a delete that crashed after taking the campaign away, before its images (2, 3; 1 is shared)
        Files.move(campaigns.resolve("deleting"), campaigns.resolve(".tmp-deleting-crashed"));
        try (Stream<Path> s = Files.walk(campaigns.resolve(".tmp-deleting-crashed"))) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        // another tenant with an orphan (4) and a campaign file that cannot be read: nothing of it may go
        store.putImage("globex", hashes.get(4), photos.get(4));
        store.putImage("globex", hashes.get(5), photos.get(5));
        store.create("globex", campaign("broken", Campaign.Task.RATING, List.of(hashes.get(5))));
        Files.writeString(dataDir.resolve("rating/globex/campaigns/broken/campaign.json"), "{not json");
        long before = store.imageBytes("acme");
        assertThat(before).isEqualTo(photos.stream().mapToLong(b -> b.length).sum());

        CampaignStore restarted = open();
        assertThat(restarted.imageBytes("acme")).isEqualTo(photos.get(0).length + photos.get(1).length);
        for (int i = 0; i < 6; i++) {
            assertThat(restarted.image("acme", hashes.get(i))).as("image %d", i).isEqualTo(i < 2 ? photos.get(i) : null);
        }
        assertThat(restarted.get("acme", "kept").images()).hasSize(2);
        assertThat(restarted.imageBytes("globex")).isEqualTo(photos.get(4).length + photos.get(5).length);
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
