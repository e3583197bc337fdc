package io.imagescore.api;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import io.imagescore.api.v1.ImageError;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.score.ScoreMetrics;
import org.jboss.logging.Logger;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The one place where domain errors become gRPC errors: the status code from the {@link ErrorCode}, the message for
 * people, and a {@code google.rpc.ErrorInfo} (reason, domain "imagescore", metadata) for machines. Anything
 * unexpected becomes INTERNAL "internal error (id …)" without leaking internals ({@link #publicError}). Every RPC's outcome is counted here too ({@link #answer},
 * {@link #fail}), under the error code's name or "ok".
 */
public final class GrpcErrors {
    private static final Logger LOG = Logger.getLogger(GrpcErrors.class);
    public static final String DOMAIN = "imagescore";
    private static final SecureRandom ID_RANDOM = new SecureRandom();

    private GrpcErrors() {
    }

    public static StatusRuntimeException toStatus(Throwable t) {
        if (t instanceof StatusRuntimeException sre && !isInternal(sre.getStatus().getCode())) {
            return sre.getStatus().getDescription() == null ? sre
                    : sre.getStatus().withDescription(redactPaths(sre.getStatus().getDescription())).asRuntimeException(sre.getTrailers());
        }
        ImageScoreException e = publicError(t);
        ErrorInfo info = ErrorInfo.newBuilder().setReason(e.code().name()).setDomain(DOMAIN)
                .putAllMetadata(e.metadata()).build();
        com.google.rpc.Status status = com.google.rpc.Status.newBuilder().setCode(e.code().status().value())
                .setMessage(e.getMessage()).addDetails(Any.pack(info)).build();
        return StatusProto.toStatusRuntimeException(status);
    }

    /**
     * What a client may see of an error. Domain errors keep their code and message (server paths cut out); anything
     * unexpected, and every error whose status is INTERNAL (their messages name files, exceptions, internals), becomes
     * "internal error (id …)" with the same id in the server log beside the full error and stack trace.
     */
    public static ImageScoreException publicError(Throwable t) {
        if (t instanceof ImageScoreException ise && !isInternal(ise.code().status())) {
            String message = redactPaths(ise.getMessage());
            return message.equals(ise.getMessage()) ? ise : new ImageScoreException(ise.code(), message, ise.metadata(), null);
        }
        String id = errorId();
        LOG.errorf(t, "internal error id %s in an RPC: %s", id, t);
        ErrorCode code = t instanceof ImageScoreException ise ? ise.code() : ErrorCode.INTERNAL;
        return new ImageScoreException(code, "internal error (id " + id + "); the server log has the details under this id",
                Map.of("error_id", id), null);
    }

    private static boolean isInternal(Status.Code code) {
        return code == Status.Code.INTERNAL || code == Status.Code.UNKNOWN || code == Status.Code.DATA_LOSS;
    }

    private static String errorId() {
        return HexFormat.of().formatHex(ByteBuffer.allocate(6).putShort((short) ID_RANDOM.nextInt())
                .putInt(ID_RANDOM.nextInt()).array());
    }

    /** An absolute file path (two or more components) not inside a URL or a relative path. */
    private static final Pattern ABSOLUTE_PATH = Pattern.compile("(?<![\\w.:/~-])/(?:[^\\s'\"/:;,()\\[\\]<>]+/)+[^\\s'\"/:;,()\\[\\]<>]*");

    /** Replaces absolute file paths in a message meant for a client with "<server path>". */
    static String redactPaths(String message) {
        return message == null ? "" : ABSOLUTE_PATH.matcher(message).replaceAll("<server path>");
    }

    /** Runs a unary RPC: sends its reply, or its error; either way counts the outcome. */
    public static <T> void answer(ScoreMetrics metrics, String rpc, StreamObserver<T> out, Supplier<T> work) {
        T reply;
        try {
            reply = work.get();
        } catch (RuntimeException | Error e) {
            fail(metrics, rpc, out, e);
            return;
        }
        metrics.request(rpc, "ok");
        out.onNext(reply);
        out.onCompleted();
    }

    /** Counts a failed RPC under its error code and sends the error. */
    public static void fail(ScoreMetrics metrics, String rpc, StreamObserver<?> out, Throwable e) {
        metrics.request(rpc, e instanceof ImageScoreException ise ? ise.code().name() : "INTERNAL");
        out.onError(toStatus(e));
    }

    /** A per-image error as the client sees it ({@link #publicError}: no internals, no server paths). */
    public static ImageError toImageError(ImageScoreException e) {
        ImageScoreException p = publicError(e);
        return ImageError.newBuilder().setCode(p.code().name()).setMessage(p.getMessage()).build();
    }
}
