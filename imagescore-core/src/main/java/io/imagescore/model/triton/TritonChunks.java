package io.imagescore.model.triton;

import io.grpc.Context;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.model.ModelSpec;
import io.imagescore.model.Tensor;
import io.imagescore.model.triton.ModelBatcher.Pending;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static io.imagescore.model.triton.TritonErrors.timeout;
import static io.imagescore.model.triton.TritonErrors.tritonModel;

/**
 * One caller's side of batch assembly: its rows cut into chunks of at most the model's max batch (each queued in the
 * {@link ModelBatcher}, which coalesces chunks of concurrent callers), the wait for each chunk within the caller's
 * deadline, and the answers joined back in row order.
 */
final class TritonChunks {
    private TritonChunks() {
    }

    static List<Pending> split(ModelSpec spec, Map<String, Tensor> inputs, int rows, Set<String> wanted, long deadlineNanos) {
        List<Pending> chunks = new ArrayList<>();
        int maxBatch = spec.maxBatch();
        for (int from = 0; from < rows; from += maxBatch) {
            int n = Math.min(maxBatch, rows - from);
            Map<String, Tensor> part = inputs;
            if (n != rows) {
                final int f = from;
                part = new HashMap<>();
                for (var e : inputs.entrySet()) {
                    part.put(e.getKey(), KserveTensors.sliceRows(e.getValue(), f, n));
                }
            }
            chunks.add(new Pending(part, wanted, n, deadlineNanos));
        }
        return chunks;
    }

    static Map<String, Tensor> merge(Set<String> wanted, List<Map<String, Tensor>> answers) {
        if (answers.size() == 1) {
            return answers.getFirst();
        }
        Map<String, Tensor> merged = new LinkedHashMap<>();
        for (String name : wanted) {
            merged.put(name, KserveTensors.concatRows(answers.stream().map(a -> a.get(name)).toList()));
        }
        return merged;
    }

    static Map<String, Tensor> await(TritonModel m, Pending p, Instant deadline, Context context) {
        try {
            return p.result.get(Math.max(0, p.deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | CancellationException e) {
            if (context.isCancelled() && p.deadlineNanos - System.nanoTime() > 0) {
                throw new ImageScoreException(ErrorCode.CANCELLED, "the call was cancelled while waiting for "
                        + tritonModel(m.spec));
            }
            m.errors(ErrorCode.BACKEND_TIMEOUT).increment();
            ImageScoreException t = timeout(m.spec, deadline);
            String last = p.lastFailure;
            throw last == null ? t : new ImageScoreException(t.code(), t.getMessage() + "; last failure: " + last);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ImageScoreException ise) {
                throw ise;
            }
            throw new ImageScoreException(ErrorCode.INTERNAL, "Triton call failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ImageScoreException(ErrorCode.BACKEND_UNAVAILABLE, "interrupted while waiting for Triton", e);
        }
    }
}
