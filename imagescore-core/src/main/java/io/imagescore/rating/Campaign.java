package io.imagescore.rating;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;

import java.util.List;
import java.util.Map;

/**
 * A tenant's rating campaign: a fixed set of images, one task (1–4 ratings with the scale's anchor descriptions, or
 * "which of two is better" with "can't tell"), the prior the next item is chosen from (the scores of {@code head}
 * when the campaign was made) and its raters, each known only by the SHA-256 of their token. Only the raters change
 * after creation (added, revoked); what raters answer is a separate, append-only log of {@link Judgement}s.
 *
 * @param comparisons pairwise only: how many pairs one rater is asked to judge (their progress bar's end)
 */
public record Campaign(String name, String title, Task task, String pack, String head, List<String> anchors,
                       List<Image> images, List<Rater> raters, int comparisons, String created) {

    public enum Task { RATING, PAIRWISE }

    /** One image: its content hash (the bytes are in the tenant's image store), display name and prior score. */
    public record Image(String sha256, String name, double prior) {
    }

    /**
     * One rater: a short id shown in exports, and the SHA-256 (hex) of their token; the token itself is not kept.
     *
     * @param revoked when the owner revoked the token (ISO-8601), or null; left out of the JSON while null, so a
     *                campaign without revocations is stored as before
     */
    public record Rater(String id, String tokenSha256, @JsonInclude(JsonInclude.Include.NON_NULL) String revoked) {
        public Rater(String id, String tokenSha256) {
            this(id, tokenSha256, null);
        }

        public boolean active() {
            return revoked == null;
        }
    }

    public Campaign {
        anchors = List.copyOf(anchors);
        images = List.copyOf(images);
        raters = List.copyOf(raters);
    }

    /** Items the next judgements are about: {@code 0 … images.size()-1}. */
    public int size() {
        return images.size();
    }

    /** The judgements one rater is asked for: every image once (ratings), or {@link #comparisons} pairs. */
    public int perRater() {
        return task == Task.RATING ? images.size() : comparisons;
    }

    /** The same campaign with other raters (added or revoked); everything else is fixed at creation. */
    public Campaign withRaters(List<Rater> newRaters) {
        return new Campaign(name, title, task, pack, head, anchors, images, newRaters, comparisons, created);
    }

    public double[] priors() {
        return images.stream().mapToDouble(Image::prior).toArray();
    }

    public static ImageScoreException exists(String name) {
        return new ImageScoreException(ErrorCode.CAMPAIGN_EXISTS, "a campaign named '" + name + "' exists; choose another name",
                Map.of("campaign", name), null);
    }

    public static ImageScoreException unknown(String tenant, String name) {
        return new ImageScoreException(ErrorCode.UNKNOWN_CAMPAIGN, "tenant '" + tenant + "' has no campaign '" + name + "'",
                Map.of("campaign", name), null);
    }

    /** A campaign about to be stored names an image the tenant does not have (any more). */
    public static ImageScoreException notStored(String tenant, Image im) {
        return new ImageScoreException(ErrorCode.NOT_STORED, "image '" + im.name() + "' (" + im.sha256() + ") is not stored for"
                + " tenant '" + tenant + "' (a campaign using it was deleted meanwhile?); send its data again",
                Map.of("sha256", im.sha256()), null);
    }
}
