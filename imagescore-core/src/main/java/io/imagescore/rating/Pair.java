package io.imagescore.rating;

/** An unordered pair of item indexes, normalised so that {@code first < second}. */
public record Pair(int first, int second) {
    public Pair {
        if (first < 0 || first >= second) {
            throw new IllegalArgumentException("a pair needs 0 <= first < second, got " + first + ", " + second);
        }
    }

    /** The pair of {@code a} and {@code b} in either order. */
    public static Pair of(int a, int b) {
        return a < b ? new Pair(a, b) : new Pair(b, a);
    }
}
