package io.imagescore.model.triton;

import io.grpc.Status;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.model.ModelSpec;

import java.time.Instant;
import java.util.Map;

/** How the Triton backend names models and turns gRPC failures and timeouts into {@link ImageScoreException}s. */
final class TritonErrors {

    private TritonErrors() {
    }

    static ImageScoreException timeout(ModelSpec spec, Instant deadline) {
        return new ImageScoreException(ErrorCode.BACKEND_TIMEOUT, tritonModel(spec) + " did not answer before the deadline"
                + (deadline == null ? "" : " " + deadline));
    }

    /**
     * The single place where a gRPC/transport failure becomes an {@link ImageScoreException}. The gRPC code and the
     * endpoint travel as metadata, Triton's own message verbatim in the text.
     */
    static ImageScoreException translate(Throwable t, ModelSpec spec, String endpoint, int attempts) {
        Status status = Status.fromThrowable(t);
        String detail = status.getDescription() == null ? String.valueOf(status.getCause()) : status.getDescription();
        ErrorCode code = switch (status.getCode()) {
            case DEADLINE_EXCEEDED -> ErrorCode.BACKEND_TIMEOUT;
            case NOT_FOUND -> ErrorCode.MODEL_NOT_READY;
            // Triton: "Request for unknown model: 'M' version 1 is not at ready state" while a version loads
            case UNAVAILABLE -> detail.contains("is not at ready state") ? ErrorCode.MODEL_NOT_READY : ErrorCode.BACKEND_UNAVAILABLE;
            case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE, RESOURCE_EXHAUSTED, UNIMPLEMENTED, ALREADY_EXISTS,
                 PERMISSION_DENIED, UNAUTHENTICATED -> ErrorCode.BACKEND_REJECTED;
            case CANCELLED, UNKNOWN, INTERNAL, DATA_LOSS, ABORTED, OK -> ErrorCode.BACKEND_UNAVAILABLE;
        };
        String message = tritonModel(spec) + " at " + endpoint + " failed with " + status.getCode() + ": " + detail
                + (attempts > 1 ? " (after " + attempts + " attempts)" : "");
        return new ImageScoreException(code, message,
                Map.of("grpc_status", status.getCode().name(), "endpoint", endpoint, "model", spec.id()), t);
    }

    static String tritonModel(ModelSpec spec) {
        return "Triton model '" + spec.tritonName() + "'"
                + (spec.tritonVersion() == null || spec.tritonVersion().isEmpty() ? "" : " version " + spec.tritonVersion());
    }
}
