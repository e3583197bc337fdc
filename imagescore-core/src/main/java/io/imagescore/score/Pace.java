package io.imagescore.score;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Recent wall time per tensor of model calls, per model: an exponentially weighted mean (weight 1/4 for the newest
 * call) of successful calls, so it follows the machine's current load within a few calls. 0 until a call was seen.
 */
final class Pace {
    private final Map<String, Long> nanosPerTensor = new ConcurrentHashMap<>();

    long get(String modelId) {
        return nanosPerTensor.getOrDefault(modelId, 0L);
    }

    void observe(String modelId, long nanos, int tensors) {
        long sample = Math.max(1, nanos / Math.max(1, tensors));
        nanosPerTensor.merge(modelId, sample, (old, now) -> old + (now - old) / 4);
    }
}
