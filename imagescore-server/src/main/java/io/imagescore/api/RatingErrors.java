package io.imagescore.api;

import io.grpc.Status;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.score.ScoreMetrics;
import jakarta.inject.Inject;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.Map;

/**
 * Errors of the HTTP endpoints (RatingResource) as JSON {@code {"error": {"reason", "message", "metadata"}}}: the same
 * stable reasons as the gRPC {@code ErrorInfo}, the HTTP status of their gRPC code (the mapping of Google's HTTP/gRPC
 * gateways), and nothing internal: an unexpected exception is logged and answered 500 "internal error".
 */
public class RatingErrors {
    private static final Logger LOG = Logger.getLogger(RatingErrors.class);

    @Inject
    ScoreMetrics metrics;

    public record Body(Detail error) {
    }

    public record Detail(String reason, String message, Map<String, String> metadata) {
    }

    static int httpStatus(Status.Code code) {
        return switch (code) {
            case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE -> 400;
            case UNAUTHENTICATED -> 401;
            case PERMISSION_DENIED -> 403;
            case NOT_FOUND -> 404;
            case ALREADY_EXISTS, ABORTED -> 409;
            case RESOURCE_EXHAUSTED -> 429;
            case CANCELLED -> 499;
            case UNIMPLEMENTED -> 501;
            case UNAVAILABLE -> 503;
            case DEADLINE_EXCEEDED -> 504;
            default -> 500;
        };
    }

    @ServerExceptionMapper
    public Response domain(ImageScoreException e) {
        ErrorCode code = e.code();
        String message = code == ErrorCode.INTERNAL ? "internal error" : e.getMessage();
        if (code == ErrorCode.INTERNAL) {
            LOG.errorf(e, "rating: internal error");
        }
        metrics.request("Rating", code.name());
        return json(httpStatus(code.status()), new Detail(code.name(), message, e.metadata()));
    }

    /** JAX-RS' own errors (unknown path, wrong method, unreadable JSON): their status, a message without internals. */
    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        String message = switch (status) {
            case 400 -> "the request body is not valid JSON of the expected shape";
            case 404 -> "no such page or endpoint";
            case 405 -> "this endpoint does not accept that method";
            case 413 -> "the request body is too large";
            case 415 -> "send the body as application/json";
            default -> "request refused (HTTP " + status + ")";
        };
        return json(status, new Detail(status >= 500 ? ErrorCode.INTERNAL.name() : ErrorCode.INVALID_REQUEST.name(), message, Map.of()));
    }

    @ServerExceptionMapper
    public Response unexpected(RuntimeException e) {
        LOG.errorf(e, "rating: unexpected error");
        metrics.request("Rating", ErrorCode.INTERNAL.name());
        return json(500, new Detail(ErrorCode.INTERNAL.name(), "internal error", Map.of()));
    }

    private static Response json(int status, Detail d) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(new Body(d)).build();
    }
}
