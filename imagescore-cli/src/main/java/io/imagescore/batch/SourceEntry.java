package io.imagescore.batch;

/**
 * One input line: the caller's id, the image path (resolved), the optional set it belongs to, and where it came
 * from (for messages, e.g. "manifest.csv:17").
 */
public record SourceEntry(String id, String path, String set, String where) {
}
