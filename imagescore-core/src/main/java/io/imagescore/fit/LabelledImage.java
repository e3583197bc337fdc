package io.imagescore.fit;

/** An image with a numeric target (NaN when none) and/or a class label (null when none). */
public record LabelledImage(ImageRef image, double target, String label) {

    public static LabelledImage rated(ImageRef image, double target) {
        return new LabelledImage(image, target, null);
    }

    public static LabelledImage classified(ImageRef image, String label) {
        return new LabelledImage(image, Double.NaN, label);
    }

    public static LabelledImage unlabelled(ImageRef image) {
        return new LabelledImage(image, Double.NaN, null);
    }
}
