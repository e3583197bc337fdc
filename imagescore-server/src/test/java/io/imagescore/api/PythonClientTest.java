package io.imagescore.api;

import io.imagescore.testing.Shared;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's Python route: stubs for every proto file generated with Debian's grpc-tools (and checked to compile
 * with Debian's plain {@code protoc} too), then a plain Python client calls every service (CI installs
 * python3-grpcio, python3-grpc-tools and protobuf-compiler).
 */
@QuarkusTest
class PythonClientTest {
    static final String PYTHON = "/usr/bin/python3";

    @TempDir
    Path stubs;

    @Test
    void python_grpc_client_can_call_describe_packs_and_score() throws Exception {
        assertThat(run(List.of(PYTHON, "-c", "import grpc, grpc_tools")).exitCode)
                .as("Debian python3-grpcio and python3-grpc-tools are installed (.ci/run installs them)").isZero();
        Result gen = run(List.of(PYTHON, "-m", "grpc_tools.protoc", "-I" + Shared.root().resolve("proto"), "--python_out=" + stubs,
                "--grpc_python_out=" + stubs, "imagescore/v1/imagescore.proto", "imagescore/v1/imagesort.proto",
                "imagescore/v1/head_fitting.proto", "imagescore/v1/rating.proto"));
        assertThat(gen.exitCode).as(gen.output).isZero();
        java.nio.file.Files.createDirectories(stubs.resolve("plain"));
        Result plain = run(List.of("protoc", "-I" + Shared.root().resolve("proto"), "--python_out=" + stubs.resolve("plain"),
                "imagescore/v1/imagescore.proto", "imagescore/v1/imagesort.proto", "imagescore/v1/head_fitting.proto",
                "imagescore/v1/rating.proto"));
        assertThat(plain.exitCode).as("Debian protoc (protobuf-compiler): " + plain.output).isZero();
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        Result client = run(List.of(PYTHON, "src/test/resources/python/score_client.py", stubs.toString(),
                "localhost:" + port, Shared.path("data/rooms/eval/bathroom/Places365_val_00000172.jpg").toString()));
        assertThat(client.exitCode).as(client.output).isZero();
        assertThat(client.output).contains("PACK mobilenetv2-default").contains("RESULT photo bathtub")
                .contains("ERROR junk UNSUPPORTED_FORMAT").contains("STATUS NOT_FOUND")
                .contains("REGULATIONS ").contains("PROMPT_SETS ").contains("TARGET_PRESENT True False")
                .contains("EVALUATE_STATUS NOT_FOUND").contains("DELETE_HEAD_STATUS NOT_FOUND")
                .contains("DELETE_PROMPT_SET_VERSION_STATUS NOT_FOUND").contains("DELETE_CAMPAIGN_STATUS NOT_FOUND");
    }

    record Result(int exitCode, String output) {
    }

    static Result run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out);
    }
}
