package io.imagescore.api;

import io.imagescore.image.PreprocessModes;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import org.junit.jupiter.api.Test;

import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What leaves the process: no server paths, stack traces or internal exception texts. */
class GrpcErrorsTest {
    static final String PATH = "/work/secret/data/prompt-sets/acme/listing/1.json";

    static ErrorInfo info(StatusRuntimeException e) throws Exception {
        return StatusProto.fromThrowable(e).getDetails(0).unpack(ErrorInfo.class);
    }

    @Test
    void unexpected_errors_become_internal_error_with_an_id_and_no_detail() throws Exception {
        List<Throwable> unexpected = List.of(new NumberFormatException("For input string: \"99999999999\""),
                new OutOfMemoryError("Java heap space"), new UncheckedIOException(new NoSuchFileException(PATH)),
                new IllegalStateException("boom at " + PATH),
                new ImageScoreException(ErrorCode.INTERNAL, "cannot write " + PATH + ": No space left on device"),
                new ImageScoreException(ErrorCode.MODEL_OUTPUT_MISMATCH, "output 'x' of " + PATH + " has shape [1]"));
        for (Throwable t : unexpected) {
            StatusRuntimeException e = GrpcErrors.toStatus(t);
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
            String message = e.getStatus().getDescription();
            assertThat(message).matches("internal error \\(id [0-9a-f]{12}\\); the server log has the details under this id");
            assertThat(message).doesNotContain("/work", "NumberFormat", "OutOfMemory", "heap", "NoSuchFile", "Exception", "boom");
            ErrorInfo info = info(e);
            assertThat(info.getReason()).isEqualTo(t instanceof ImageScoreException ise ? ise.code().name() : "INTERNAL");
            assertThat(message).contains(info.getMetadataOrThrow("error_id"));
            assertThat(e.getCause()).isNull();
        }
        // every error gets its own id
        assertThat(GrpcErrors.toStatus(new RuntimeException()).getStatus().getDescription())
                .isNotEqualTo(GrpcErrors.toStatus(new RuntimeException()).getStatus().getDescription());
    }

    @Test
    void domain_errors_keep_code_reason_and_message_but_lose_server_paths() throws Exception {
        StatusRuntimeException e = GrpcErrors.toStatus(new ImageScoreException(ErrorCode.INVALID_REQUEST,
                "head quality version 3 already exists at " + PATH + "; versions are immutable"));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription())
                .isEqualTo("head quality version 3 already exists at <server path>; versions are immutable");
        assertThat(info(e).getReason()).isEqualTo("INVALID_REQUEST");

        StatusRuntimeException plain = GrpcErrors.toStatus(new ImageScoreException(ErrorCode.UNKNOWN_SCORE,
                "unknown score 'x' in pack mobilenetv2-default; it offers [quality, room_type] (e.g. quality@1, a/b, 1/2)"));
        assertThat(plain.getStatus().getDescription())
                .isEqualTo("unknown score 'x' in pack mobilenetv2-default; it offers [quality, room_type] (e.g. quality@1, a/b, 1/2)");
        assertThat(plain.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    }

    @Test
    void per_image_errors_follow_the_same_rule() {
        var internal = GrpcErrors.toImageError(new ImageScoreException(ErrorCode.INTERNAL, "internal error: NullPointerException at " + PATH));
        assertThat(internal.getCode()).isEqualTo("INTERNAL");
        assertThat(internal.getMessage()).startsWith("internal error (id ").doesNotContain("NullPointer", "/work");
        var corrupt = GrpcErrors.toImageError(new ImageScoreException(ErrorCode.CORRUPT_IMAGE, "cannot decode the image"));
        assertThat(corrupt.getMessage()).isEqualTo("cannot decode the image");
    }

    @Test
    void redaction_keeps_urls_and_relative_names() {
        assertThat(GrpcErrors.redactPaths("see http://host:8080/q/health and a/b, /tmp/x.f32 and '/etc/x'"))
                .isEqualTo("see http://host:8080/q/health and a/b, <server path> and '<server path>'");
    }

    @Test
    void internal_status_exceptions_are_replaced_and_others_pass() {
        StatusRuntimeException unknown = GrpcErrors.toStatus(Status.UNKNOWN.withDescription("java.io.IOException: " + PATH).asRuntimeException());
        assertThat(unknown.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
        assertThat(unknown.getStatus().getDescription()).doesNotContain("/work", "IOException");
        StatusRuntimeException deadline = GrpcErrors.toStatus(Status.DEADLINE_EXCEEDED.withDescription("backend took too long").asRuntimeException());
        assertThat(deadline.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        assertThat(deadline.getStatus().getDescription()).isEqualTo("backend took too long");
    }

    @Test
    void preprocess_mode_numbers_the_proto_does_not_define_are_invalid() {
        assertThat(PreprocessModes.fromProto(0)).isEqualTo(io.imagescore.image.PreprocessMode.EXACT);
        assertThat(PreprocessModes.fromProto(1)).isEqualTo(io.imagescore.image.PreprocessMode.EXACT);
        assertThat(PreprocessModes.fromProto(2)).isEqualTo(io.imagescore.image.PreprocessMode.FAST);
        for (int bad : new int[] {3, 99, -1, Integer.MAX_VALUE}) {
            ImageScoreException e = org.assertj.core.api.Assertions.catchThrowableOfType(ImageScoreException.class,
                    () -> PreprocessModes.fromProto(bad));
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
            assertThat(e.getMessage()).startsWith("preprocess_mode " + bad + " is not a known mode");
        }
    }
}
