package io.imagescore.api;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.imagescore.api.v1.ScoreStreamRequest;
import io.imagescore.api.v1.ScoreStreamResponse;
import io.imagescore.api.v1.StreamHeader;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.score.ImageInput;
import io.imagescore.score.Outcome;
import io.imagescore.score.ScoredImage;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * One ScoreStream call. Flow control is explicit: automatic inbound requests are off; the server asks for the
 * options message, then for {@code window} images, and asks for one more image only after a result has been handed
 * to a ready transport. So at most {@code window} images are ever held, whatever the client sends. Images are scored
 * in micro-batches of up to {@code batch} (one encoder pass), one batch at a time per stream.
 */
final class ScoreStreamSession implements StreamObserver<ScoreStreamRequest> {
    // Virtual threads: the batch work blocks on the CPU pool and the backend; a stream holds no platform thread.
    private static final ExecutorService WORKERS = Executors.newVirtualThreadPerTaskExecutor();

    private final ScoreGrpcService service;
    private final ServerCallStreamObserver<ScoreStreamResponse> out;
    private final int window;
    private final int batch;

    private final ArrayDeque<ImageInput> pending = new ArrayDeque<>();
    private ScoreGrpcService.Prepared prepared;
    private boolean running;
    private boolean halfClosed;
    private boolean finished;
    private int inFlight;
    private int owedRequests;

    ScoreStreamSession(ScoreGrpcService service, ServerCallStreamObserver<ScoreStreamResponse> out, int window, int batch) {
        this.service = service;
        this.out = out;
        this.window = window;
        this.batch = batch;
        out.disableAutoRequest();
        out.setOnReadyHandler(this::onReady);
        out.setOnCancelHandler(() -> {
            synchronized (this) {
                finished = true;
                pending.clear();
            }
        });
        out.request(1); // the options message
    }

    @Override
    public void onNext(ScoreStreamRequest request) {
        synchronized (this) {
            if (finished) {
                return;
            }
            if (prepared == null) {
                if (!request.hasOptions()) {
                    fail(new ImageScoreException(ErrorCode.INVALID_REQUEST, "the first ScoreStream message must carry options"));
                    return;
                }
                try {
                    prepared = service.prepare(request.getOptions());
                } catch (RuntimeException e) {
                    fail(e);
                    return;
                }
                StreamHeader.Builder header = StreamHeader.newBuilder().setPack(ScoreMessages.packRef(prepared.pack()))
                        .setPreprocessingId(prepared.preprocessingId()).setWindow(window);
                if (prepared.promptSet() != null) {
                    header.setPromptSet(PromptSetMessages.ref(prepared.promptSet().ref()));
                }
                out.onNext(ScoreStreamResponse.newBuilder().setHeader(header).build());
                out.request(window);
                return;
            }
            if (!request.hasImage()) {
                fail(new ImageScoreException(ErrorCode.INVALID_REQUEST, "options may be sent only once, as the first message"));
                return;
            }
            pending.add(new ImageInput(request.getImage().getId(), request.getImage().getData().toByteArray()));
            inFlight++;
            startBatchIfIdle();
        }
    }

    /** Caller holds the lock. */
    private void startBatchIfIdle() {
        if (running || pending.isEmpty() || finished) {
            return;
        }
        List<ImageInput> images = new ArrayList<>();
        while (!pending.isEmpty() && images.size() < batch) {
            images.add(pending.poll());
        }
        running = true;
        ScoreGrpcService.Prepared p = prepared;
        WORKERS.submit(() -> runBatch(p, images));
    }

    private void runBatch(ScoreGrpcService.Prepared p, List<ImageInput> images) {
        List<Outcome<ScoredImage>> results;
        try {
            results = service.run(p, images, null);
        } catch (RuntimeException e) {
            // A backend failure fails the images of this batch, each with the error: the client can retry them.
            ImageScoreException ise = e instanceof ImageScoreException x ? x
                    : new ImageScoreException(ErrorCode.INTERNAL, "internal error: " + e.getClass().getSimpleName(), e);
            results = images.stream().map(i -> Outcome.<ScoredImage>failed(i.id(), ise)).toList();
        }
        synchronized (this) {
            running = false;
            if (finished) {
                return;
            }
            for (Outcome<ScoredImage> r : results) {
                out.onNext(ScoreStreamResponse.newBuilder().setResult(ScoreMessages.result(r, p.topK())).build());
            }
            inFlight -= images.size();
            owedRequests += images.size();
            requestOwed();
            if (halfClosed && inFlight == 0) {
                finished = true;
                service.metrics().request("ScoreStream", "ok");
                out.onCompleted();
                return;
            }
            startBatchIfIdle();
        }
    }

    private void onReady() {
        synchronized (this) {
            requestOwed();
        }
    }

    /** Asks the client for more images only while the outbound side keeps up (caller holds the lock). */
    private void requestOwed() {
        if (owedRequests > 0 && out.isReady() && !halfClosed && !finished) {
            out.request(owedRequests);
            owedRequests = 0;
        }
    }

    @Override
    public void onError(Throwable t) {
        synchronized (this) {
            finished = true;
            pending.clear();
        }
    }

    @Override
    public void onCompleted() {
        synchronized (this) {
            halfClosed = true;
            if (!finished && inFlight == 0) {
                finished = true;
                service.metrics().request("ScoreStream", "ok");
                out.onCompleted();
            }
        }
    }

    private void fail(RuntimeException e) {
        finished = true;
        pending.clear();
        service.fail("ScoreStream", out, e);
    }
}
