package io.imagescore.rating;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;

import java.util.List;
import java.util.Map;

/**
 * A tenant's rating campaign: a fixed set of images, one task (1–4 ratings with the scale's anchor descriptions, or
 * "which of two is better" with "can't tell"), the prior the next item is chosen from (the scores of {@code head}
 * when the campaign was made) and its raters, each known only by the SHA-256 of their token. Immutable once stored;
 * what raters answer is a separate, append-only log of {@link Judgement}s.
 *
 * @param comparisons pairwise only: how many pairs one rater is asked to judge (their progress bar's end)
 */
public record Campaign(String name, String title, Task task, String pack, String head, List<String> anchors,
                       List<Image> images, List<Rater> raters, int comparisons, String created) {

    public enum Task { RATING, PAIRWISE }

    /** One image: its content hash (the bytes are in the tenant's image store), display name and prior score. */
    public record Image(String sha256, String name, double prior) {
    }

    /** One rater: a short id shown in exports, and the SHA-256 (hex) of their token; the token itself is not kept. */
    public record Rater(String id, String tokenSha256) {
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
}
