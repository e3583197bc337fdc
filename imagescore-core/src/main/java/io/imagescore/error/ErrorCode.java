package io.imagescore.error;

import io.grpc.Status;

/**
 * Stable, machine-readable error reasons (AIP-193 style). Each maps to one gRPC status code; per-image errors carry
 * the name in {@code ImageError.code}, request errors carry it as {@code google.rpc.ErrorInfo.reason}.
 */
public enum ErrorCode {
    // per-image
    EMPTY_IMAGE(Status.Code.INVALID_ARGUMENT, false),
    UNSUPPORTED_FORMAT(Status.Code.INVALID_ARGUMENT, false),
    CORRUPT_IMAGE(Status.Code.INVALID_ARGUMENT, false),
    IMAGE_TOO_LARGE(Status.Code.INVALID_ARGUMENT, false),
    // per-image, client side (batch tool): the file named by a manifest is missing or cannot be read
    FILE_UNREADABLE(Status.Code.NOT_FOUND, false),
    // request
    INVALID_REQUEST(Status.Code.INVALID_ARGUMENT, false),
    TOO_MANY_IMAGES(Status.Code.INVALID_ARGUMENT, false),
    UNKNOWN_PACK(Status.Code.NOT_FOUND, false),
    UNKNOWN_SCORE(Status.Code.NOT_FOUND, false),
    UNKNOWN_HEAD_VERSION(Status.Code.NOT_FOUND, false),
    UNKNOWN_PROMPT_SET(Status.Code.NOT_FOUND, false),
    UNKNOWN_REGULATION(Status.Code.NOT_FOUND, false),
    UNKNOWN_EXPERIMENT(Status.Code.NOT_FOUND, false),
    /** A rating campaign the tenant does not have (docs/rating.md). */
    UNKNOWN_CAMPAIGN(Status.Code.NOT_FOUND, false),
    /** Creating a rating campaign under a name the tenant already uses. */
    CAMPAIGN_EXISTS(Status.Code.ALREADY_EXISTS, false),
    /** A content hash the score store holds no result for (per image). */
    NOT_STORED(Status.Code.NOT_FOUND, false),
    INSUFFICIENT_LABELS(Status.Code.FAILED_PRECONDITION, false),
    /** Admission control: the server's budget stayed full for the queue wait; metadata retry_after_ms. */
    OVERLOADED(Status.Code.RESOURCE_EXHAUSTED, true),
    QUOTA_EXCEEDED(Status.Code.RESOURCE_EXHAUSTED, false),
    /** Deleting the version in use (a prompt set's active version, a head's newest): change that first. */
    ACTIVE_VERSION(Status.Code.FAILED_PRECONDITION, false),
    /** Deleting a version a stored experiment pins; metadata names the experiment. */
    VERSION_PINNED(Status.Code.FAILED_PRECONDITION, false),
    /** The caller's deadline (or the server's maximum) passed; no model call starts after it. */
    DEADLINE_EXCEEDED(Status.Code.DEADLINE_EXCEEDED, true),
    /** The caller cancelled; the remaining work was dropped. */
    CANCELLED(Status.Code.CANCELLED, false),
    /** The server is draining before it stops; metadata retry_after_ms. */
    SHUTTING_DOWN(Status.Code.UNAVAILABLE, true),
    // identity (api/CallerInterceptor)
    UNAUTHENTICATED(Status.Code.UNAUTHENTICATED, false),
    /** A client certificate the TLS trust store accepts, but no {@code cert} line of the keys file names it. */
    CERTIFICATE_NOT_MAPPED(Status.Code.UNAUTHENTICATED, false),
    /** An API key and a client certificate that name different tenants. */
    CREDENTIALS_CONFLICT(Status.Code.UNAUTHENTICATED, false),
    ROLE_REQUIRED(Status.Code.PERMISSION_DENIED, false),
    TENANT_MISMATCH(Status.Code.PERMISSION_DENIED, false),
    /** A rating campaign's rater token that its owner revoked (docs/rating.md). */
    RATER_REVOKED(Status.Code.PERMISSION_DENIED, false),
    BUILTIN_READ_ONLY(Status.Code.PERMISSION_DENIED, false),
    // pack / backend
    INVALID_PACK(Status.Code.FAILED_PRECONDITION, false),
    BACKEND_UNAVAILABLE(Status.Code.UNAVAILABLE, true),
    MODEL_NOT_READY(Status.Code.UNAVAILABLE, true),
    BACKEND_TIMEOUT(Status.Code.DEADLINE_EXCEEDED, true),
    BACKEND_REJECTED(Status.Code.INVALID_ARGUMENT, false),
    MODEL_OUTPUT_MISMATCH(Status.Code.INTERNAL, false),
    INTERNAL(Status.Code.INTERNAL, false);

    private final Status.Code status;
    private final boolean retryable;

    ErrorCode(Status.Code status, boolean retryable) {
        this.status = status;
        this.retryable = retryable;
    }

    public Status.Code status() {
        return status;
    }

    public boolean retryable() {
        return retryable;
    }
}
