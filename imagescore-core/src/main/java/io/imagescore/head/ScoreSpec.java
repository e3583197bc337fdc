package io.imagescore.head;

import io.imagescore.image.View;

import java.util.List;

/**
 * What a score means, declared next to the head that produces it, so that no client guesses polarity or range.
 *
 * @param name            score id, lowercase ("quality", "imagenet", "room_type")
 * @param kind            SCALAR (one number) or CLASSES (a distribution over {@code classes})
 * @param rangeMin        expected lower bound
 * @param rangeMax        expected upper bound
 * @param rangeApproximate whether the bounds are approximate (a regression head can leave them)
 * @param higherIsBetter  direction
 * @param unit            e.g. "MOS", "probability", "1-10 rating"
 * @param description     for people
 * @param views           views whose embeddings are averaged before the head runs
 * @param classes         class labels for CLASSES heads, index order
 */
public record ScoreSpec(String name, Kind kind, double rangeMin, double rangeMax, boolean rangeApproximate,
                        boolean higherIsBetter, String unit, String description, List<View> views,
                        List<String> classes) {

    public enum Kind { SCALAR, CLASSES }

    public ScoreSpec {
        views = List.copyOf(views);
        classes = List.copyOf(classes);
    }
}
