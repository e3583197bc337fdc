package io.imagescore.score;

import io.imagescore.error.ImageScoreException;

/** Per image either a value or its own error: one bad image never fails a batch. */
public record Outcome<T>(String id, T value, ImageScoreException error) {

    public static <T> Outcome<T> ok(String id, T value) {
        return new Outcome<>(id, value, null);
    }

    public static <T> Outcome<T> failed(String id, ImageScoreException error) {
        return new Outcome<>(id, null, error);
    }

    public boolean isOk() {
        return error == null;
    }
}
