package io.imagescore.batch;

import java.util.Map;

/**
 * One output row: one image, scored or failed. Score maps are keyed by score name in the schema's order; a failed
 * image has error code and message and no scores.
 */
public record BatchRow(String id, String path, String set, String sha256, Integer width, Integer height,
                       String packName, String packVersion, String packHash, String preprocessingId,
                       Map<String, Double> scalars, Map<String, TopClass> classes, float[] embedding,
                       String errorCode, String errorMessage) {

    public record TopClass(String label, double probability) {
    }

    public boolean failed() {
        return errorCode != null;
    }

    public static BatchRow failure(SourceEntry e, String code, String message) {
        return new BatchRow(e.id(), e.path(), e.set(), null, null, null, null, null, null, null, Map.of(), Map.of(), null,
                code, message);
    }
}
