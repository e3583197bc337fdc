package io.imagescore.model.triton;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.model.ModelSpec;
import io.imagescore.model.TensorSpec;
import io.imagescore.model.triton.v2.GRPCInferenceServiceGrpc;
import io.imagescore.model.triton.v2.GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub;
import io.imagescore.model.triton.v2.ModelConfigRequest;
import io.imagescore.model.triton.v2.ModelMetadataRequest;
import io.imagescore.model.triton.v2.ModelMetadataResponse;
import io.imagescore.model.triton.v2.ModelMetadataResponse.TensorMetadata;
import io.imagescore.model.triton.v2.ModelReadyRequest;
import io.imagescore.model.triton.v2.ServerReadyRequest;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import static io.imagescore.model.triton.TritonErrors.tritonModel;
import static io.imagescore.model.triton.TritonErrors.translate;

/**
 * Checks a pack's model against what one Triton endpoint serves (ServerReady, ModelReady, ModelMetadata, ModelConfig).
 * A difference is {@link ErrorCode#INVALID_PACK} with every problem listed; an unreachable or not-ready server or model
 * is another code (the caller retries those in the background).
 */
final class TritonModelValidator {

    private static final Logger LOG = Logger.getLogger(TritonModelValidator.class);

    private final TritonConfig config;

    TritonModelValidator(TritonConfig config) {
        this.config = config;
    }

    /** True for the failure that must stop start-up: Triton serves the model, but not the way the pack declares it. */
    static boolean isMismatch(ImageScoreException e) {
        return e.code() == ErrorCode.INVALID_PACK;
    }

    /** Checks one endpoint; returns the datatype each input travels as (FP32 inputs may be FP16 on Triton). */
    Map<String, String> validate(TritonEndpoint ep, ModelSpec spec) {
        String name = spec.tritonName();
        String version = spec.tritonVersion() == null ? "" : spec.tritonVersion();
        Supplier<GRPCInferenceServiceBlockingStub> stub = () -> GRPCInferenceServiceGrpc.newBlockingStub(ep.nextChannel())
                .withDeadlineAfter(config.loadTimeout().toNanos(), TimeUnit.NANOSECONDS);

        if (!call(ep, spec, () -> stub.get().serverReady(ServerReadyRequest.getDefaultInstance())).getReady()) {
            throw new ImageScoreException(ErrorCode.BACKEND_UNAVAILABLE, "Triton at " + ep.address
                    + " is not ready (ServerReady = false; with --strict-readiness every model in its repository must be READY)");
        }
        ModelReadyRequest readyRequest = ModelReadyRequest.newBuilder().setName(name).setVersion(version).build();
        if (!call(ep, spec, () -> stub.get().modelReady(readyRequest)).getReady()) {
            throw new ImageScoreException(ErrorCode.MODEL_NOT_READY, tritonModel(spec) + " at " + ep.address
                    + " is not ready (ModelReady = false)");
        }
        ModelMetadataResponse metadata = call(ep, spec, () -> stub.get().modelMetadata(
                ModelMetadataRequest.newBuilder().setName(name).setVersion(version).build()));

        List<String> problems = new ArrayList<>();
        Map<String, String> wireTypes = new LinkedHashMap<>();
        Map<String, TensorMetadata> tritonInputs = byName(metadata.getInputsList());
        for (TensorSpec in : spec.tritonInputs()) {
            TensorMetadata t = tritonInputs.get(in.name());
            if (t == null) {
                problems.add("input '" + in.name() + "' does not exist on Triton (inputs " + tritonInputs.keySet() + ")");
                continue;
            }
            if (!KserveTensors.carries(t.getDatatype(), in.type())) {
                problems.add("input '" + in.name() + "' is " + t.getDatatype() + " on Triton, the pack sends " + in.type());
            }
            checkShape("input", in, t, problems);
            wireTypes.put(in.name(), t.getDatatype());
        }
        Set<String> specInputs = spec.tritonInputs().stream().map(TensorSpec::name).collect(Collectors.toSet());
        tritonInputs.keySet().stream().filter(n -> !specInputs.contains(n))
                .forEach(n -> problems.add("Triton requires input '" + n + "', which the pack does not declare"));
        Map<String, TensorMetadata> tritonOutputs = byName(metadata.getOutputsList());
        for (TensorSpec out : spec.outputs()) {
            TensorMetadata t = tritonOutputs.get(out.name());
            if (t == null) {
                problems.add("output '" + out.name() + "' does not exist on Triton (outputs " + tritonOutputs.keySet() + ")");
                continue;
            }
            if (!KserveTensors.decodable(t.getDatatype(), out.type())) {
                problems.add("output '" + out.name() + "' is " + t.getDatatype() + " on Triton, the pack reads " + out.type());
            }
            checkShape("output", out, t, problems);
        }
        checkMaxBatch(ep, spec, stub, problems);
        if (!problems.isEmpty()) {
            throw new ImageScoreException(ErrorCode.INVALID_PACK, "model " + spec.id() + " does not match "
                    + tritonModel(spec) + " at " + ep.address + ": " + String.join("; ", problems));
        }
        return wireTypes;
    }

    private void checkMaxBatch(TritonEndpoint ep, ModelSpec spec, Supplier<GRPCInferenceServiceBlockingStub> stub,
                               List<String> problems) {
        int tritonMax;
        try {
            tritonMax = call(ep, spec, () -> stub.get().modelConfig(ModelConfigRequest.newBuilder()
                    .setName(spec.tritonName()).setVersion(spec.tritonVersion() == null ? "" : spec.tritonVersion())
                    .build())).getConfig().getMaxBatchSize();
        } catch (ImageScoreException e) {
            if (Status.Code.UNIMPLEMENTED.name().equals(e.metadata().get("grpc_status"))) {
                // plain KServe runtimes serve only the 6 core RPCs; the -1 batch dimension in the metadata must do
                LOG.warnf("%s at %s has no ModelConfig RPC; max batch %d not verified", tritonModel(spec), ep.address,
                        spec.maxBatch());
                return;
            }
            throw e;
        }
        if (tritonMax == 0) {
            problems.add("Triton has max_batch_size 0 (no batch dimension), the pack sends batches of up to " + spec.maxBatch());
        } else if (spec.maxBatch() > tritonMax) {
            problems.add("the pack's max batch " + spec.maxBatch() + " exceeds Triton's max_batch_size " + tritonMax);
        }
    }

    private static void checkShape(String kind, TensorSpec ours, TensorMetadata theirs, List<String> problems) {
        List<Long> s = ours.shape();
        List<Long> t = theirs.getShapeList();
        boolean ok = s.size() == t.size();
        for (int i = 0; ok && i < s.size(); i++) {
            ok = s.get(i) < 0 || t.get(i) < 0 || s.get(i).equals(t.get(i));
        }
        if (!ok) {
            problems.add(kind + " '" + ours.name() + "' has shape " + t + " on Triton, the pack declares " + s);
        }
    }

    private static Map<String, TensorMetadata> byName(List<TensorMetadata> tensors) {
        Map<String, TensorMetadata> m = new LinkedHashMap<>();
        tensors.forEach(t -> m.put(t.getName(), t));
        return m;
    }

    /** A blocking start-up or health RPC; its failure goes through {@link TritonBackend#translate}. */
    private <T> T call(TritonEndpoint ep, ModelSpec spec, Supplier<T> rpc) {
        try {
            return rpc.get();
        } catch (StatusRuntimeException e) {
            throw translate(e, spec, ep.address, 1);
        }
    }

}
