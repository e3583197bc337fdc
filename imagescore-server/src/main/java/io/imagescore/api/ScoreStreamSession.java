package io.imagescore.api;

import io.grpc.Context;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.imagescore.api.v1.ScoreStreamRequest;
import io.imagescore.api.v1.ScoreStreamResponse;
import io.imagescore.api.v1.StreamHeader;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.score.Outcome;
import io.imagescore.score.ScoredImage;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * One ScoreStream call. Flow control is explicit: automatic inbound requests are off; the server asks for the
 * options message, then for one image at a time while fewer than {@code window} images and fewer than
 * {@code maxHeldBytes} encoded bytes are held and the transport keeps up with the results. So at most {@code window}
 * images and {@code maxHeldBytes} plus one message are ever held, whatever the client sends. Images are scored
 * in micro-batches of up to {@code batch} (one encoder pass), one batch at a time per stream.
 *
 * <p>Nothing here blocks the event loop: the options message (prompt-set store, text encoder) and every batch run on
 * virtual threads. All of the stream's work runs in its own cancellable gRPC context, cancelled when the client
 * cancels or fails the call, so a running model call is terminated and queued decodes are dropped; a cancelled
 * stream asks for no more messages.
 */
final class ScoreStreamSession implements StreamObserver<ScoreStreamRequest> {
    // Virtual threads: the batch work blocks on the CPU pool and the backend; a stream holds no platform thread.
    private static final ExecutorService WORKERS = Executors.newVirtualThreadPerTaskExecutor();

    private final ScoreGrpcService service;
    private final ServerCallStreamObserver<ScoreStreamResponse> out;
    private final int window;
    private final int batch;
    private final long maxHeldBytes;

    private final ArrayDeque<RequestImage> pending = new ArrayDeque<>();
    private final Context.CancellableContext context;
    /** The stream's trace context (its server span): the batches, on threads of their own, are its children. */
    private final io.opentelemetry.context.Context trace;
    /** The caller's deadline for the whole stream (null: none); the pipeline caps each batch. */
    private final Instant deadline;
    private ScoreGrpcService.Prepared prepared;
    private boolean running;
    private boolean halfClosed;
    private boolean finished;
    private int inFlight;
    private long heldBytes;
    /** A message asked for and not yet received (one at a time, so the byte bound holds). */
    private boolean asked;

    ScoreStreamSession(ScoreGrpcService service, ServerCallStreamObserver<ScoreStreamResponse> out, int window, int batch,
                       long maxHeldBytes) {
        this.service = service;
        this.out = out;
        this.window = window;
        this.batch = batch;
        this.maxHeldBytes = maxHeldBytes;
        this.context = Context.current().withCancellation();
        this.trace = io.opentelemetry.context.Context.current();
        this.deadline = ScoreGrpcService.deadline();
        out.disableAutoRequest();
        out.setOnReadyHandler(this::onReady);
        out.setOnCancelHandler(this::cancel);
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
                // may read the prompt-set store and run the text encoder: off the event loop. No other message
                // arrives meanwhile: only this one was requested.
                WORKERS.submit(context.wrap(trace.wrap(() -> prepare(request))));
                return;
            }
            if (!request.hasImage()) {
                fail(new ImageScoreException(ErrorCode.INVALID_REQUEST, "options may be sent only once, as the first message"));
                return;
            }
            asked = false;
            RequestImage image;
            try {
                image = RequestImage.of(request.getImage());
            } catch (ImageScoreException e) {
                fail(e);
                return;
            }
            pending.add(image);
            inFlight++;
            heldBytes += image.size();
            askForMore();
            startBatchIfIdle();
        }
    }

    private void prepare(ScoreStreamRequest request) {
        ScoreGrpcService.Prepared p;
        try {
            p = service.prepare(request.getOptions());
        } catch (RuntimeException e) {
            synchronized (this) {
                if (!finished) {
                    fail(e);
                }
            }
            return;
        }
        synchronized (this) {
            if (finished) {
                return;
            }
            prepared = p;
            StreamHeader.Builder header = StreamHeader.newBuilder().setPack(ScoreMessages.packRef(p.pack()))
                    .setPreprocessingId(p.preprocessingId()).setWindow(window).addAllScores(p.resolvedScores());
            if (p.promptSet() != null) {
                header.setPromptSet(PromptSetMessages.ref(p.promptSet().ref()));
            }
            if (p.experiment() != null) {
                header.setExperiment(p.experiment());
            }
            out.onNext(ScoreStreamResponse.newBuilder().setHeader(header).build());
            askForMore();
        }
    }

    /** Caller holds the lock. */
    private void startBatchIfIdle() {
        if (running || pending.isEmpty() || finished) {
            return;
        }
        List<RequestImage> images = new ArrayList<>();
        while (!pending.isEmpty() && images.size() < batch) {
            images.add(pending.poll());
        }
        running = true;
        ScoreGrpcService.Prepared p = prepared;
        WORKERS.submit(context.wrap(trace.wrap(() -> runBatch(p, images))));
    }

    private void runBatch(ScoreGrpcService.Prepared p, List<RequestImage> images) {
        List<Outcome<ScoredImage>> results;
        try {
            results = service.run(p, images, deadline);
        } catch (RuntimeException e) {
            if (context.isCancelled()) {
                synchronized (this) {
                    running = false;
                }
                return; // the call is gone: nobody to answer
            }
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
            heldBytes -= images.stream().mapToLong(RequestImage::size).sum();
            askForMore();
            if (halfClosed && inFlight == 0) {
                finished = true;
                service.metrics().request("ScoreStream", "ok");
                out.onCompleted();
                context.cancel(null); // releases the context (its deadline timer, listeners)
                return;
            }
            startBatchIfIdle();
        }
    }

    private void onReady() {
        synchronized (this) {
            askForMore();
        }
    }

    /**
     * Asks the client for the next image while the window has room (images and bytes) and the outbound side keeps
     * up (caller holds the lock).
     */
    private void askForMore() {
        if (!asked && prepared != null && inFlight < window && heldBytes < maxHeldBytes && out.isReady() && !halfClosed
                && !finished) {
            asked = true;
            out.request(1);
        }
    }

    @Override
    public void onError(Throwable t) {
        cancel();
    }

    /** The client cancelled or failed the call: drop queued images, stop reading, terminate running work. */
    private void cancel() {
        synchronized (this) {
            finished = true;
            pending.clear();
        }
        context.cancel(null);
    }

    @Override
    public void onCompleted() {
        synchronized (this) {
            halfClosed = true;
            if (!finished && inFlight == 0) {
                finished = true;
                service.metrics().request("ScoreStream", "ok");
                out.onCompleted();
                context.cancel(null); // releases the context (its deadline timer, listeners)
            }
        }
    }

    private void fail(RuntimeException e) {
        finished = true;
        pending.clear();
        service.fail("ScoreStream", out, e);
        context.cancel(null);
    }
}
