package io.imagescore.pack;

import com.fasterxml.jackson.databind.JsonNode;
import io.imagescore.head.Head;
import io.imagescore.head.OodDetector;
import io.imagescore.head.ScoreSpec;

/**
 * One immutable version of a head: the head, what its score means, which encoder output it reads ({@code input}),
 * the hash of its files, and free-form training metadata (training-set hash, CV metrics) from its head.json.
 * {@code ood}: the classifier's out-of-domain detector (head.json's "ood" block), null when it has none.
 */
public record HeadVersion(String version, Head head, ScoreSpec spec, String input, String contentHash, JsonNode training,
                          OodDetector ood) {
    /** This version with its files' hash set (the pack loader hashes a pack's files on another thread). */
    public HeadVersion withContentHash(String hash) {
        return new HeadVersion(version, head, spec, input, hash, training, ood);
    }
}
