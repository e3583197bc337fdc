package io.imagescore.batch;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.imagescore.api.v1.ClassProbability;
import io.imagescore.api.v1.DescribePacksRequest;
import io.imagescore.api.v1.DescribePacksResponse;
import io.imagescore.api.v1.ImageInput;
import io.imagescore.api.v1.ImageResult;
import io.imagescore.api.v1.GetPromptSetRequest;
import io.imagescore.api.v1.ImageScoreGrpc;
import io.imagescore.api.v1.PromptAttribute;
import io.imagescore.api.v1.PromptSetVersion;
import io.imagescore.api.v1.PromptSetsGrpc;
import io.imagescore.api.v1.ZeroShotClassifier;
import io.imagescore.api.v1.PackDescription;
import io.imagescore.api.v1.ScoreDescription;
import io.imagescore.api.v1.ScoreKind;
import io.imagescore.api.v1.ScoreOptions;
import io.imagescore.api.v1.ScoreStreamRequest;
import io.imagescore.api.v1.ScoreStreamResponse;
import io.imagescore.api.v1.StreamHeader;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.netty.handler.ssl.SslContextBuilder;

import javax.net.ssl.SSLException;
import java.io.File;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Scores against a running service over {@code ScoreStream}: {@code channels} HTTP/2 connections, one stream (lane)
 * each, every lane keeping at most min(server window, {@code inFlightPerLane}) images in flight, so the server
 * never has to buffer and the client holds a bounded number of images in memory. Results are matched by id. A
 * stream that fails with a transient status (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED) hands its
 * unanswered images back for retry and reconnects with backoff; any other status, and a failed TLS handshake (which
 * gRPC reports as UNAVAILABLE), stops the run.
 */
final class RemoteTarget implements ScoringTarget {
    static final Set<Status.Code> TRANSIENT = Set.of(Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED,
            Status.Code.RESOURCE_EXHAUSTED, Status.Code.ABORTED);

    /** TLS off when {@code enabled} is false; a null CA uses the JVM's trust store; cert+key for mutual TLS. */
    record Tls(boolean enabled, File caCert, File clientCert, File clientKey, String authority) {
        static final Tls NONE = new Tls(false, null, null, null, null);
    }

    private final String target;
    private final Tls tls;
    private final int channelCount;
    private final int inFlightPerLane;
    private ScoreOptions options; // connect() pins the prompt-set version
    private final Backoff backoff;
    /** A lane half-closes its stream after this long and opens a new one (0 = never); see {@link #withStreamMaxDuration}. */
    private long streamMaxNanos;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final List<Thread> lanes = new ArrayList<>();
    private Info info;

    RemoteTarget(String target, Tls tls, int channelCount, int inFlightPerLane, ScoreOptions options, Backoff backoff) {
        this.target = target;
        this.tls = tls;
        this.channelCount = channelCount;
        this.inFlightPerLane = inFlightPerLane;
        this.options = options;
        this.backoff = backoff;
    }

    /**
     * Rotates each lane's stream after {@code max}: the lane stops sending, half-closes, collects the answers of what is
     * in flight and opens a new stream. Proxies that cut requests after a fixed time (Knative's {@code timeoutSeconds})
     * then never break a stream; set it below that time minus the server's longest call ({@code imagescore.limits.max-deadline}).
     */
    RemoteTarget withStreamMaxDuration(java.time.Duration max) {
        this.streamMaxNanos = max.toNanos();
        return this;
    }

    @Override
    public Info connect() throws Exception {
        if (!tls.enabled() && (tls.caCert() != null || tls.clientCert() != null || tls.clientKey() != null || tls.authority() != null)) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "--ca-cert, --client-cert, --client-key and --authority need --tls");
        }
        if ((tls.clientCert() == null) != (tls.clientKey() == null)) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "--client-cert and --client-key go together");
        }
        for (int i = 0; i < channelCount; i++) {
            NettyChannelBuilder b = NettyChannelBuilder.forTarget(target).maxInboundMessageSize(64 << 20)
                    .keepAliveTime(30, TimeUnit.SECONDS);
            if (tls.enabled()) {
                SslContextBuilder ssl = GrpcSslContexts.forClient();
                if (tls.caCert() != null) {
                    ssl.trustManager(tls.caCert());
                }
                if (tls.clientCert() != null) {
                    ssl.keyManager(tls.clientCert(), tls.clientKey());
                }
                b.sslContext(ssl.build());
                if (tls.authority() != null) {
                    b.overrideAuthority(tls.authority());
                }
            } else {
                b.usePlaintext();
            }
            channels.add(b.build());
        }
        // Describe the pack (waiting for a service that is still starting), then open one stream to learn what the
        // results will be computed with: the header names the pack version/hash and preprocessing for these options.
        PackDescription pack = describe();
        // Each wanted score becomes one column keyed name@version: the pinned version, or the active one now (the
        // stream header below pins the pack hash, so the active version cannot change under the run).
        List<String> wantedRefs = options.getScoresList();
        Set<String> scalars = new LinkedHashSet<>();
        Set<String> classes = new LinkedHashSet<>();
        Set<String> known = new HashSet<>();
        Map<String, ScoreDescription> heads = new LinkedHashMap<>();
        pack.getScoresList().forEach(d -> heads.put(d.getName(), d));
        PromptSetVersion promptSet = null;
        if (!options.getPromptSet().isEmpty()) {
            // Resolve the set once and pin its version for every stream of the run (and its resumes, through
            // run.json): activating a new version during a long run must not mix two versions in one output.
            promptSet = PromptSetsGrpc.newBlockingStub(channels.getFirst()).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .getPromptSet(GetPromptSetRequest.newBuilder().setTenant(options.getTenant())
                            .setName(options.getPromptSet()).setVersion(options.getPromptSetVersion()).build());
            options = options.toBuilder().setPromptSetVersion(promptSet.getRef().getVersion()).build();
        }
        Map<String, Boolean> prompts = new LinkedHashMap<>(); // prompt score name -> is a classifier
        if (promptSet != null) {
            promptSet.getSpec().getAttributesList().forEach(a -> prompts.put(a.getName(), false));
            promptSet.getSpec().getClassifiersList().forEach(c -> prompts.put(c.getName(), true));
        }
        // with no names, the service says what it computes (the pack's default set, the prompt set's scores); a service
        // older than StreamHeader.scores computed every score
        StreamHeader header = wantedRefs.isEmpty() ? probeHeader() : null;
        List<String> refs = new ArrayList<>(wantedRefs);
        if (refs.isEmpty()) {
            refs.addAll(header.getScoresList());
        }
        if (refs.isEmpty()) {
            refs.addAll(heads.keySet());
            refs.addAll(prompts.keySet());
        }
        for (String ref : refs) {
            int at = ref.indexOf('@');
            String name = at < 0 ? ref : ref.substring(0, at);
            ScoreDescription d = heads.get(name);
            if (d != null) {
                String version = at < 0 ? d.getVersion() : ref.substring(at + 1);
                (d.getKind() == ScoreKind.SCORE_KIND_CLASSES ? classes : scalars).add(OutputSchema.versioned(name, version));
                known.add(name);
            } else if (prompts.containsKey(name)) {
                (prompts.get(name) ? classes : scalars).add(OutputSchema.versioned(name, promptSet.getRef().getVersion()));
                known.add(name);
            }
        }
        for (String w : refs) {
            String name = w.contains("@") ? w.substring(0, w.indexOf('@')) : w;
            if (!known.contains(name)) {
                throw new ImageScoreException(ErrorCode.UNKNOWN_SCORE, "pack " + pack.getRef().getName()
                        + (promptSet != null ? " and prompt set " + options.getPromptSet() : "") + " have no score '" + name + "'");
            }
        }
        if (header == null) {
            header = probeHeader();
        }
        info = new Info(header.getPack().getName(), header.getPack().getVersion(), header.getPack().getContentHash(),
                header.getPreprocessingId(), List.copyOf(scalars), List.copyOf(classes),
                promptSet == null ? null : promptSet.getRef().getTenant() + "/" + promptSet.getRef().getName() + "@"
                        + promptSet.getRef().getVersion(),
                promptSet == null ? null : promptSet.getRef().getContentHash());
        return info;
    }

    private PackDescription describe() throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                DescribePacksResponse r = ImageScoreGrpc.newBlockingStub(channels.getFirst()).withDeadlineAfter(30, TimeUnit.SECONDS)
                        .describePacks(DescribePacksRequest.newBuilder().setPack(options.getPack()).build());
                return r.getPacks(0);
            } catch (StatusRuntimeException e) {
                SSLException tlsFailure = tlsFailure(e);
                if (tlsFailure != null) {
                    throw new ImageScoreException(ErrorCode.BACKEND_UNAVAILABLE, "TLS with " + target + " failed: "
                            + tlsFailure.getMessage() + (tls.caCert() == null
                            ? " (the server certificate was checked against the JVM trust store; --ca-cert names another CA)" : ""), e);
                }
                if (!TRANSIENT.contains(e.getStatus().getCode())) {
                    throw e;
                }
                if (attempt >= backoff.maxAttempts()) {
                    throw unreachable(e, attempt);
                }
                Thread.sleep(backoff.delayMillis(attempt));
            }
        }
    }

    private ImageScoreException unreachable(StatusRuntimeException e, int attempts) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        // A plaintext client that reaches a TLS port sees only a closed connection (UNAVAILABLE, like a restarting
        // service); a refused connection is the one case that cannot be that.
        String hint = !tls.enabled() && !(root instanceof java.net.ConnectException)
                ? "; a TLS port closes plaintext connections like this: add --tls if the service serves TLS" : "";
        return new ImageScoreException(ErrorCode.BACKEND_UNAVAILABLE, "no answer from the service at " + target + " in "
                + attempts + " attempts: " + e.getMessage() + (root != e ? " (" + root + ")" : "") + hint, e);
    }

    private StreamHeader probeHeader() throws Exception {
        CompletableFuture<StreamHeader> header = new CompletableFuture<>();
        var in = ImageScoreGrpc.newStub(channels.getFirst()).withDeadlineAfter(30, TimeUnit.SECONDS)
                .scoreStream(new io.grpc.stub.StreamObserver<>() {
                    public void onNext(ScoreStreamResponse r) {
                        if (r.hasHeader()) {
                            header.complete(r.getHeader());
                        }
                    }

                    public void onError(Throwable t) {
                        header.completeExceptionally(t);
                    }

                    public void onCompleted() {
                        header.completeExceptionally(new IllegalStateException("the stream ended without a header"));
                    }
                });
        in.onNext(ScoreStreamRequest.newBuilder().setOptions(options).build());
        try {
            StreamHeader h = header.get(30, TimeUnit.SECONDS);
            in.onCompleted();
            return h;
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception x ? x : e;
        }
    }

    @Override
    public void start(Dispatch dispatch) {
        for (int i = 0; i < channels.size(); i++) {
            ManagedChannel ch = channels.get(i);
            lanes.add(Thread.ofVirtual().name("lane-" + i).start(() -> new Lane(ch, dispatch).run()));
        }
    }

    /** One ScoreStream at a time on one channel; reopened after transient failures. */
    private final class Lane {
        private final ManagedChannel channel;
        private final Dispatch dispatch;

        Lane(ManagedChannel channel, Dispatch dispatch) {
            this.channel = channel;
            this.dispatch = dispatch;
        }

        void run() {
            int failures = 0;
            try {
                while (true) {
                    Stream s = new Stream();
                    Boolean more = s.drive();
                    if (more == null) { // fatal already reported
                        return;
                    }
                    if (!more) {
                        return;
                    }
                    if (s.rotated) {
                        failures = 0;
                        continue;
                    }
                    failures = s.sentAny ? 1 : failures + 1;
                    if (failures > backoff.maxAttempts()) {
                        dispatch.fatal(new ImageScoreException(ErrorCode.BACKEND_UNAVAILABLE, "the service at " + target
                                + " failed " + failures + " stream attempts in a row; rerun the same command to resume"));
                        return;
                    }
                    Thread.sleep(backoff.delayMillis(failures));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                dispatch.fatal(e);
            }
        }

        /** One stream: its jobs by id, its permits (window), and how it ended. */
        private final class Stream implements ClientResponseObserver<ScoreStreamRequest, ScoreStreamResponse> {
            final Map<String, Job> inFlight = new ConcurrentHashMap<>();
            final CompletableFuture<StreamHeader> header = new CompletableFuture<>();
            final CompletableFuture<Status> ended = new CompletableFuture<>();
            volatile Semaphore permits;
            boolean sentAny;
            /** Ended by {@link #withStreamMaxDuration}, every answer in: open the next one at once. */
            boolean rotated;
            final long openedNanos = System.nanoTime();

            @Override
            public void beforeStart(ClientCallStreamObserver<ScoreStreamRequest> requestStream) {
            }

            /** True: the stream broke transiently (reconnect); false: input done; null: the run failed. */
            Boolean drive() throws InterruptedException {
                ClientCallStreamObserver<ScoreStreamRequest> out = (ClientCallStreamObserver<ScoreStreamRequest>)
                        ImageScoreGrpc.newStub(channel).scoreStream(this);
                out.onNext(ScoreStreamRequest.newBuilder().setOptions(options).build());
                StreamHeader h;
                try {
                    h = header.get(60, TimeUnit.SECONDS);
                } catch (ExecutionException | TimeoutException e) {
                    out.cancel("no header", null);
                    return onBroken(e instanceof ExecutionException ? e.getCause() : e);
                }
                if (!h.getPack().getContentHash().equals(info.packHash())) {
                    dispatch.fatal(new ImageScoreException(ErrorCode.INVALID_PACK, "the service now serves pack "
                            + h.getPack().getName() + " " + h.getPack().getVersion() + " (" + h.getPack().getContentHash()
                            + "), not the " + info.packVersion() + " (" + info.packHash() + ") this run started with"));
                    out.cancel("pack changed", null);
                    return null;
                }
                permits = new Semaphore(Math.max(1, Math.min(h.getWindow(), inFlightPerLane)));
                while (true) {
                    permits.acquire();
                    if (ended.isDone()) {
                        permits.release();
                        return onBroken(null);
                    }
                    if (streamMaxNanos > 0 && sentAny && System.nanoTime() - openedNanos >= streamMaxNanos) {
                        permits.release();
                        out.onCompleted();
                        Status st = awaitEnd();
                        if (st.isOk() && inFlight.isEmpty()) {
                            rotated = true;
                            return Boolean.TRUE;
                        }
                        return onBroken(st.asRuntimeException());
                    }
                    Job job = dispatch.take();
                    if (job == null) {
                        out.onCompleted();
                        Status st = awaitEnd();
                        return st.isOk() && inFlight.isEmpty() ? Boolean.FALSE : onBroken(st.asRuntimeException());
                    }
                    if (ended.isDone()) {
                        dispatch.putBack(job);
                        permits.release();
                        return onBroken(null);
                    }
                    byte[] data = ImageFiles.read(job, dispatch);
                    if (data == null) {
                        permits.release();
                        continue;
                    }
                    inFlight.put(job.entry.id(), job);
                    out.onNext(ScoreStreamRequest.newBuilder().setImage(ImageInput.newBuilder().setId(job.entry.id())
                            .setData(UnsafeByteOperations.unsafeWrap(data))).build());
                    sentAny = true;
                }
            }

            private Status awaitEnd() throws InterruptedException {
                try {
                    return ended.get();
                } catch (ExecutionException e) {
                    return Status.fromThrowable(e.getCause());
                }
            }

            private Boolean onBroken(Throwable cause) throws InterruptedException {
                Status st = cause != null ? Status.fromThrowable(cause) : awaitEnd();
                // Unanswered images of this stream go back for another attempt, whatever the reason.
                for (String id : List.copyOf(inFlight.keySet())) {
                    Job j = inFlight.remove(id); // atomic against a late result for the same id
                    if (j != null) {
                        dispatch.retry(j, "stream ended: " + st.getCode() + " " + st.getDescription());
                    }
                }
                if (!st.isOk() && (!TRANSIENT.contains(st.getCode()) || tlsFailure(st.getCause()) != null)
                        && st.getCode() != Status.Code.CANCELLED) {
                    dispatch.fatal(st.asRuntimeException());
                    return null;
                }
                return Boolean.TRUE;
            }

            @Override
            public void onNext(ScoreStreamResponse r) {
                if (r.hasHeader()) {
                    header.complete(r.getHeader());
                    return;
                }
                ImageResult result = r.getResult();
                Job job = inFlight.remove(result.getId());
                if (job == null) {
                    return; // not ours (cannot happen with unique ids)
                }
                if (result.hasError() && retryable(result.getError().getCode())) {
                    dispatch.retry(job, result.getError().getCode() + ": " + result.getError().getMessage());
                } else {
                    dispatch.done(job, row(job.entry, result));
                }
                permits.release();
            }

            @Override
            public void onError(Throwable t) {
                header.completeExceptionally(t);
                ended.complete(Status.fromThrowable(t));
                Semaphore p = permits;
                if (p != null) {
                    p.release(); // wake the sender so it notices
                }
            }

            @Override
            public void onCompleted() {
                header.completeExceptionally(new IllegalStateException("stream completed before its header"));
                ended.complete(Status.OK);
                Semaphore p = permits;
                if (p != null) {
                    p.release();
                }
            }
        }
    }

    /**
     * The TLS failure behind a status, if any. gRPC reports a failed handshake (untrusted certificate, wrong name,
     * certificate required) as UNAVAILABLE, but retrying cannot fix a configuration, so these are not transient.
     */
    static SSLException tlsFailure(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SSLException ssl) {
                return ssl;
            }
        }
        return null;
    }

    static boolean retryable(String code) {
        try {
            return ErrorCode.valueOf(code).retryable();
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private BatchRow row(SourceEntry e, ImageResult r) {
        if (r.hasError()) {
            return BatchRow.failure(e, r.getError().getCode(), r.getError().getMessage());
        }
        var s = r.getScores();
        Map<String, Double> scalars = new LinkedHashMap<>();
        s.getScoresList().forEach(n -> scalars.put(OutputSchema.versioned(n.getName(), n.getVersion()), n.getValue()));
        Map<String, BatchRow.TopClass> classes = new LinkedHashMap<>();
        s.getClassesList().forEach(c -> {
            if (c.getTopCount() > 0) {
                ClassProbability top = c.getTop(0);
                classes.put(OutputSchema.versioned(c.getName(), c.getVersion()), new BatchRow.TopClass(top.getLabel(), top.getProbability()));
            }
        });
        float[] embedding = null;
        if (s.getEmbeddingCount() > 0) {
            embedding = new float[s.getEmbeddingCount()];
            for (int i = 0; i < embedding.length; i++) {
                embedding[i] = s.getEmbedding(i);
            }
        }
        return new BatchRow(e.id(), e.path(), e.set(), s.getContentSha256(), s.getWidth(), s.getHeight(), info.packName(),
                info.packVersion(), info.packHash(), info.preprocessingId(), scalars, classes, embedding, null, null);
    }

    @Override
    public void close() {
        for (Thread t : lanes) {
            try {
                t.join(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (ManagedChannel ch : channels) {
            ch.shutdownNow();
        }
    }
}
