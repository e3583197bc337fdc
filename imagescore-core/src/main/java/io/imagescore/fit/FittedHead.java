package io.imagescore.fit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.imagescore.head.Safetensors;

import java.util.Map;

/** A fitted head ready to be written as a version: its head.json (with score metadata and training report) and weights. */
public record FittedHead(String name, ObjectNode manifest, Map<String, Safetensors.F32> weights) {

    public ObjectNode training() {
        return (ObjectNode) manifest.get("training");
    }

    /** The training block, typed. */
    public FitReport report() {
        java.util.List<String> classes = new java.util.ArrayList<>();
        manifest.path("classes").forEach(c -> classes.add(c.asText()));
        return FitReport.of(training(), classes);
    }
}
