package io.imagescore.fit;

/** "Image {@code a} is better than {@code b}" with probability {@code target}: 1, 0, or 0.5 for a tie (ids of the set). */
public record Comparison(String a, String b, double target) {
}
