package io.imagescore.score;

/** One image of a request: the caller's id and the encoded bytes. */
public record ImageInput(String id, byte[] data) {
}
