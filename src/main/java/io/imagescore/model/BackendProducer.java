package io.imagescore.model;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.model.onnx.OnnxBackend;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;

/** Chooses the backend from {@code imagescore.backend.kind}. */
@ApplicationScoped
public class BackendProducer {

    @Produces
    @ApplicationScoped
    ModelBackend backend(BackendConfig config) {
        return switch (config.kind()) {
            case "onnx" -> new OnnxBackend(new OnnxBackend.Config(config.onnx().intraOpThreads()));
            default -> throw new ImageScoreException(ErrorCode.INVALID_REQUEST,
                    "imagescore.backend.kind='" + config.kind() + "' is not one of: onnx, triton");
        };
    }

    void close(@Disposes ModelBackend backend) {
        backend.close();
    }
}
