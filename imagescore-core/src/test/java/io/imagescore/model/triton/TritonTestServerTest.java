package io.imagescore.model.triton;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.imagescore.model.Tensor;
import io.imagescore.model.triton.v2.GRPCInferenceServiceGrpc;
import io.imagescore.model.triton.v2.GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub;
import io.imagescore.model.triton.v2.InferTensorContents;
import io.imagescore.model.triton.v2.ModelConfigRequest;
import io.imagescore.model.triton.v2.ModelInferRequest;
import io.imagescore.model.triton.v2.ModelInferResponse;
import io.imagescore.model.triton.v2.ModelMetadataRequest;
import io.imagescore.model.triton.v2.ModelReadyRequest;
import io.imagescore.model.triton.v2.ModelStatisticsRequest;
import io.imagescore.model.triton.v2.ServerReadyRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The stand-in enforces Triton's request rules with Triton's codes and message templates. */
class TritonTestServerTest {

    private static TritonTestServer server;
    private static ManagedChannel channel;
    private static GRPCInferenceServiceBlockingStub stub;

    @BeforeAll
    static void start() {
        server = TritonTestServer.start()
                .addModel("mobilenet", TritonTestModels.MOBILENET, 8)
                .addModel("clip_text", TritonTestModels.CLIP_TEXT, 16);
        channel = ManagedChannelBuilder.forTarget(server.target()).usePlaintext().maxInboundMessageSize(64 << 20).build();
        stub = GRPCInferenceServiceGrpc.newBlockingStub(channel);
    }

    @AfterAll
    static void stop() {
        channel.shutdownNow();
        server.close();
    }

    @AfterEach
    void reset() {
        server.faults().reset();
        server.setModelReady("mobilenet", true);
        server.setServerReady(true);
    }

    private static ByteString ids(long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return ByteString.copyFrom(b.array());
    }

    /** A valid clip_text request for one text, editable by the test. */
    private static ModelInferRequest textRequest(UnaryOperator<ModelInferRequest.Builder> edit) {
        long[] row = new long[77];
        row[0] = 49406;
        row[1] = 49407;
        ModelInferRequest.Builder b = ModelInferRequest.newBuilder().setModelName("clip_text").setId("r1");
        b.addInputsBuilder().setName("input_ids").setDatatype("INT64").addShape(1).addShape(77);
        b.addRawInputContents(ids(row));
        return edit.apply(b).build();
    }

    private static Status statusOf(ModelInferRequest request) {
        try {
            stub.modelInfer(request);
        } catch (StatusRuntimeException e) {
            return e.getStatus();
        }
        throw new AssertionError("the request was accepted");
    }

    @Test
    void valid_raw_request_answers_in_raw_output_contents_and_echoes_the_id() {
        ModelInferResponse r = stub.modelInfer(textRequest(b -> b));
        assertThat(r.getId()).isEqualTo("r1");
        assertThat(r.getModelVersion()).isEqualTo("1");
        assertThat(r.getOutputs(0).getName()).isEqualTo("text_embeds");
        assertThat(r.getOutputs(0).getDatatype()).isEqualTo("FP32");
        assertThat(r.getOutputs(0).getShapeList()).containsExactly(1L, 16L);
        assertThat(r.getRawOutputContents(0).size()).isEqualTo(16 * 4);
        assertThat(r.getOutputs(0).hasContents()).isFalse();
    }

    @Test
    void typed_contents_give_the_same_answer_as_raw_contents() {
        long[] row = new long[77];
        row[0] = 49406;
        row[1] = 49407;
        ModelInferRequest.Builder typed = ModelInferRequest.newBuilder().setModelName("clip_text");
        var contents = InferTensorContents.newBuilder();
        for (long v : row) {
            contents.addInt64Contents(v);
        }
        typed.addInputsBuilder().setName("input_ids").setDatatype("INT64").addShape(1).addShape(77).setContents(contents);
        assertThat(stub.modelInfer(typed.build()).getRawOutputContents(0))
                .isEqualTo(stub.modelInfer(textRequest(b -> b)).getRawOutputContents(0));
    }

    @Test
    void unknown_model_is_not_found() {
        Status s = statusOf(textRequest(b -> b.setModelName("nope")));
        assertThat(s.getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(s.getDescription()).isEqualTo("Request for unknown model: 'nope' is not found");
        assertThatThrownBy(() -> stub.modelReady(ModelReadyRequest.newBuilder().setName("nope").build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }

    @Test
    void unknown_or_malformed_version_is_refused() {
        Status unknown = statusOf(textRequest(b -> b.setModelVersion("3")));
        assertThat(unknown.getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(unknown.getDescription()).isEqualTo("Request for unknown model: 'clip_text' version 3 is not found");
        Status malformed = statusOf(textRequest(b -> b.setModelVersion("latest")));
        assertThat(malformed.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(malformed.getDescription()).startsWith("failed to get model version from specified version string 'latest'");
    }

    @Test
    void wrong_datatype_is_invalid_argument() {
        Status s = statusOf(textRequest(b -> {
            b.getInputsBuilder(0).setDatatype("FP64");
            return b;
        }));
        assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(s.getDescription())
                .isEqualTo("[request id: r1] inference input 'input_ids' data-type is 'FP64', but model 'clip_text' expects 'INT64'");
        Status missing = statusOf(textRequest(b -> {
            b.getInputsBuilder(0).clearDatatype();
            return b.clearId();
        }));
        assertThat(missing.getDescription()).isEqualTo(
                "[request id: <id_unknown>] inference input 'input_ids' data-type is '<invalid>', but model 'clip_text' expects 'INT64'");
    }

    @Test
    void wrong_shape_is_invalid_argument_with_the_batch_note() {
        // the doc's own example: an image without its batch dimension
        ModelInferRequest.Builder b = ModelInferRequest.newBuilder().setModelName("mobilenet").setId("r1");
        b.addInputsBuilder().setName("input").setDatatype("FP32").addAllShape(List.of(3L, 224L, 224L));
        b.addRawInputContents(ByteString.copyFrom(new byte[3 * 224 * 224 * 4]));
        Status s = statusOf(b.build());
        assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(s.getDescription()).startsWith(
                "[request id: r1] unexpected shape for input 'input' for model 'mobilenet'. Expected [-1,3,224,224], "
                        + "got [3,224,224]. NOTE: Setting a non-zero max_batch_size");
    }

    @Test
    void raw_byte_size_mismatch_is_invalid_argument() {
        Status s = statusOf(textRequest(b -> b.setRawInputContents(0, ids(1, 2, 3))));
        assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(s.getDescription())
                .isEqualTo("input byte size mismatch for input 'input_ids' for model 'clip_text'. Expected 616, got 24");
    }

    @Test
    void raw_and_typed_contents_must_not_be_mixed() {
        Status s = statusOf(textRequest(b -> {
            b.getInputsBuilder(0).setContents(InferTensorContents.newBuilder().addInt64Contents(1));
            return b;
        }));
        assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(s.getDescription()).isEqualTo(
                "contents field must not be specified when using raw_input_contents for 'input_ids' for model 'clip_text'");
    }

    @Test
    void typed_contents_of_another_type_are_invalid_argument() {
        ModelInferRequest.Builder b = ModelInferRequest.newBuilder().setModelName("clip_text");
        var contents = InferTensorContents.newBuilder();
        for (int i = 0; i < 77; i++) {
            contents.addIntContents(i);
        }
        b.addInputsBuilder().setName("input_ids").setDatatype("INT64").addShape(1).addShape(77).setContents(contents);
        Status s = statusOf(b.build());
        assertThat(s.getDescription()).isEqualTo("unexpected explicit tensor data for input tensor 'input_ids' for model "
                + "'clip_text' of type 'INT32', expected datatype 'INT64'");
    }

    @Test
    void missing_input_data_and_missing_inputs_are_invalid_argument() {
        Status noData = statusOf(ModelInferRequest.newBuilder().setModelName("clip_text").addInputs(
                ModelInferRequest.InferInputTensor.newBuilder().setName("input_ids").setDatatype("INT64").addShape(1).addShape(77))
                .build());
        assertThat(noData.getDescription())
                .isEqualTo("unable to find data for input tensor 'input_ids' for model 'clip_text' in request.");
        Status noInput = statusOf(ModelInferRequest.newBuilder().setModelName("clip_text").setId("r2").build());
        assertThat(noInput.getDescription()).isEqualTo("[request id: r2] expected 1 inputs but got 0 inputs for model "
                + "'clip_text'. Got input(s) [], but missing required input(s) ['input_ids']. Please provide all required input(s).");
        Status unknown = statusOf(textRequest(b -> {
            b.addInputsBuilder().setName("attention_mask").setDatatype("INT64").addShape(1).addShape(77);
            return b;
        }));
        assertThat(unknown.getDescription()).isEqualTo("unexpected inference input 'attention_mask' for model 'clip_text'");
    }

    @Test
    void batch_above_max_batch_size_is_invalid_argument() {
        long[] rows = new long[17 * 77];
        Status s = statusOf(textRequest(b -> {
            b.getInputsBuilder(0).setShape(0, 17);
            return b.setRawInputContents(0, ids(rows));
        }));
        assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(s.getDescription()).isEqualTo("inference request batch-size must be <= 16 for 'clip_text'");
    }

    @Test
    void unknown_requested_output_is_invalid_argument() {
        Status s = statusOf(textRequest(b -> {
            b.addOutputsBuilder().setName("logits");
            return b;
        }));
        assertThat(s.getDescription()).isEqualTo("unexpected inference output 'logits' for model 'clip_text'");
    }

    @Test
    void model_not_ready_is_unavailable_and_server_readiness_follows_it() {
        server.setModelReady("mobilenet", false);
        ModelInferRequest r = ModelInferRequest.newBuilder().setModelName("mobilenet").build();
        Status s = statusOf(r);
        assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(s.getDescription()).isEqualTo("Request for unknown model: 'mobilenet' version 1 is not at ready state");
        assertThat(stub.modelReady(ModelReadyRequest.newBuilder().setName("mobilenet").build()).getReady()).isFalse();
        assertThat(stub.serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isFalse();
    }

    @Test
    void metadata_and_config_describe_the_onnx_file_with_a_batch_dimension() {
        var md = stub.modelMetadata(ModelMetadataRequest.newBuilder().setName("mobilenet").build());
        assertThat(md.getPlatform()).isEqualTo("onnxruntime_onnx");
        assertThat(md.getInputs(0).getName()).isEqualTo("input");
        assertThat(md.getInputs(0).getDatatype()).isEqualTo("FP32");
        assertThat(md.getInputs(0).getShapeList()).containsExactly(-1L, 3L, 224L, 224L);
        assertThat(md.getOutputsList()).extracting(o -> o.getName()).containsExactlyInAnyOrder("output", "features");
        var config = stub.modelConfig(ModelConfigRequest.newBuilder().setName("mobilenet").build()).getConfig();
        assertThat(config.getMaxBatchSize()).isEqualTo(8);
        assertThat(config.getInput(0).getDimsList()).containsExactly(3L, 224L, 224L);
    }

    @Test
    void statistics_count_executions_by_batch_size() {
        server.resetStatistics();
        long[] rows = new long[3 * 77];
        stub.modelInfer(textRequest(b -> {
            b.getInputsBuilder(0).setShape(0, 3);
            return b.setRawInputContents(0, ids(rows));
        }));
        stub.modelInfer(textRequest(b -> b));
        var stats = stub.modelStatistics(ModelStatisticsRequest.newBuilder().setName("clip_text").build()).getModelStats(0);
        assertThat(stats.getInferenceCount()).isEqualTo(4);
        assertThat(stats.getExecutionCount()).isEqualTo(2);
        assertThat(stats.getBatchStatsList()).extracting(b -> b.getBatchSize()).containsExactly(1L, 3L);
    }

    @Test
    void injected_failures_come_before_validation_and_run_out() {
        server.faults().failNext(2, Status.UNAVAILABLE.withDescription("burst"));
        assertThat(statusOf(textRequest(b -> b)).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(statusOf(textRequest(b -> b)).getDescription()).isEqualTo("burst");
        assertThat(stub.modelInfer(textRequest(b -> b)).getOutputsCount()).isEqualTo(1);
    }

    @Test
    void fp32_rows_from_tensor_codec_are_accepted() {
        Tensor photos = TritonTestModels.roomPhotos(1);
        ModelInferRequest.Builder b = ModelInferRequest.newBuilder().setModelName("mobilenet");
        b.addInputsBuilder().setName("input").setDatatype("FP32").addAllShape(List.of(1L, 3L, 224L, 224L));
        b.addRawInputContents(KserveTensors.encode(List.of(photos), "FP32"));
        b.addOutputsBuilder().setName("features");
        ModelInferResponse r = stub.modelInfer(b.build());
        assertThat(r.getOutputsList()).extracting(o -> o.getName()).containsExactly("features");
        assertThat(r.getOutputs(0).getShapeList()).containsExactly(1L, 1280L);
    }
}
