package io.imagescore.scorecache;

/**
 * What decides a stored result: the image's content, the pack's content, the exact head (and prompt-set) versions,
 * the pixel pipeline, and the tenant (a tenant never reads what another tenant scored, not even by content hash).
 *
 * @param selection the resolved scores, e.g. "quality@1,room_type@1", plus the prompt-set version and whether the
 *                  embedding was returned — everything else the request chose
 */
public record ScoreKey(String tenant, String imageSha256, String packContentHash, String selection, String preprocessingId) {

    /** Rough heap bytes of the key, for the store's weight. */
    int weight() {
        return 64 + 2 * (tenant.length() + imageSha256.length() + packContentHash.length() + selection.length()
                + preprocessingId.length());
    }
}
