package io.imagescore.api;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.imagescore.api.v1.ImageError;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import org.jboss.logging.Logger;

/**
 * The one place where domain errors become gRPC errors: the status code from the {@link ErrorCode}, the message for
 * people, and a {@code google.rpc.ErrorInfo} (reason, domain "imagescore", metadata) for machines. Anything
 * unexpected becomes INTERNAL without leaking internals.
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

    public static ImageError toImageError(ImageScoreException e) {
        return ImageError.newBuilder().setCode(e.code().name()).setMessage(e.getMessage()).build();
    }
}
