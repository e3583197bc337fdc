package io.imagescore.api;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import io.imagescore.api.v1.ImageError;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.score.ScoreMetrics;
import org.jboss.logging.Logger;

import java.util.function.Supplier;

/**
 * The one place where domain errors become gRPC errors: the status code from the {@link ErrorCode}, the message for
 * people, and a {@code google.rpc.ErrorInfo} (reason, domain "imagescore", metadata) for machines. Anything
 * unexpected becomes INTERNAL without leaking internals. Every RPC's outcome is counted here too ({@link #answer},
 * {@link #fail}), under the error code's name or "ok".
 */
public final class GrpcErrors {
    private static final Logger LOG = Logger.getLogger(GrpcErrors.class);
    public static final String DOMAIN = "imagescore";

    private GrpcErrors() {
    }

    public static StatusRuntimeException toStatus(Throwable t) {
        ImageScoreException e;
        if (t instanceof ImageScoreException ise) {
            e = ise;
        } else if (t instanceof StatusRuntimeException sre) {
            return sre;
        } else {
            LOG.error("unexpected error in an RPC", t);
            e = new ImageScoreException(ErrorCode.INTERNAL, "internal error (" + t.getClass().getSimpleName() + "); see the server log");
        }
        ErrorInfo info = ErrorInfo.newBuilder().setReason(e.code().name()).setDomain(DOMAIN)
                .putAllMetadata(e.metadata()).build();
        com.google.rpc.Status status = com.google.rpc.Status.newBuilder().setCode(e.code().status().value())
                .setMessage(e.getMessage()).addDetails(Any.pack(info)).build();
        return StatusProto.toStatusRuntimeException(status);
    }

    /** Runs a unary RPC: sends its reply, or its error; either way counts the outcome. */
    public static <T> void answer(ScoreMetrics metrics, String rpc, StreamObserver<T> out, Supplier<T> work) {
        T reply;
        try {
            reply = work.get();
        } catch (RuntimeException e) {
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

    public static ImageError toImageError(ImageScoreException e) {
        return ImageError.newBuilder().setCode(e.code().name()).setMessage(e.getMessage()).build();
    }
}
