package io.imagescore.model.triton;

import io.imagescore.error.ImageScoreException;
import io.imagescore.model.ModelSpec;
import io.imagescore.model.Tensor;
import io.imagescore.model.triton.ModelBatcher.Pending;
import io.imagescore.model.triton.v2.ModelInferRequest;
import io.imagescore.model.triton.v2.ModelInferResponse;
import io.opentelemetry.context.Context;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** One ModelInfer for a batch of callers, possibly sent several times (retries). */
final class TritonBatchCall implements TritonCallExecutor.Call {
    final TritonModel model;
    final List<Pending> members;
    final int rows;
    final long deadlineNanos;
    final ModelInferRequest request;
    final List<String> outputs;
    private final AtomicBoolean finished = new AtomicBoolean();
    /** The attempt on the wire; cancelled when every caller has given up (see {@link #abandoned}). */
    volatile java.util.concurrent.Future<?> inFlight;

    TritonBatchCall(TritonModel model, List<Pending> members, String requestId) {
        this.model = model;
        this.members = members;
        this.rows = members.stream().mapToInt(p -> p.rows).sum();
        this.deadlineNanos = members.stream().mapToLong(p -> p.deadlineNanos).max().orElseThrow();
        Set<String> union = new LinkedHashSet<>();
        members.forEach(p -> union.addAll(p.outputs));
        this.outputs = List.copyOf(union);
        this.request = TritonRequests.build(model.spec, model.wireTypes, members, rows, outputs,
                requestId);
        // callers that give up (deadline, interrupt) cancel their Pending: once all have, the RPC is cancelled,
        // and the endpoint's breaker counts it as a failure: during a Triton hang that is what abandoned calls are
        members.forEach(p -> p.result.whenComplete((r, e) -> {
            java.util.concurrent.Future<?> f = inFlight;
            if (e instanceof CancellationException && f != null && abandoned()) {
                f.cancel(false);
            }
        }));
    }

    @Override
    public List<Context> callers() {
        return members.stream().map(p -> p.trace).toList();
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public boolean abandoned() {
        return members.stream().allMatch(p -> p.result.isCancelled());
    }

    @Override
    public ModelSpec spec() {
        return model.spec;
    }

    @Override
    public long deadlineNanos() {
        return deadlineNanos;
    }

    @Override
    public ModelInferRequest request() {
        return request;
    }

    @Override
    public void sent(java.util.concurrent.Future<?> rpc) {
        inFlight = rpc;
    }

    @Override
    public void failedAttempt(String failure) {
        members.forEach(p -> p.lastFailure = failure);
    }

    @Override
    public void roundTrip(String outcome, long nanos) {
        model.roundTrip(outcome).record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void retried() {
        model.retries.increment();
    }

    @Override
    public void finish(ImageScoreException error, ModelInferResponse response) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        try {
            if (error != null) {
                if (!abandoned()) {
                    model.errors(error.code()).increment();
                }
                failAll(members, error);
                return;
            }
            Map<String, Tensor> all;
            try {
                all = TritonRequests.decode(model.spec, response, rows, outputs);
            } catch (ImageScoreException e) {
                model.errors(e.code()).increment();
                failAll(members, e);
                return;
            }
            int at = 0;
            for (Pending p : members) {
                Map<String, Tensor> mine = new LinkedHashMap<>();
                for (String o : p.outputs) {
                    Tensor t = all.get(o);
                    mine.put(o, members.size() == 1 ? t : KserveTensors.sliceRows(t, at, p.rows));
                }
                p.result.complete(mine);
                at += p.rows;
            }
        } finally {
            model.batcher.batchFinished();
        }
    }


static void failAll(List<Pending> pendings, ImageScoreException error) {
    pendings.forEach(p -> p.result.completeExceptionally(error));
}
}
