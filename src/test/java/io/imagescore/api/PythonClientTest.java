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
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A plain Python client with stubs generated from proto/ calls DescribePacks and Score (CI installs python3-grpcio). */
@QuarkusTest
class PythonClientTest {
    static final String PYTHON = "/usr/bin/python3";

    @TempDir
    Path stubs;

    @Test
    void python_grpc_client_can_call_describe_packs_and_score() throws Exception {
        assumeTrue(run(List.of(PYTHON, "-c", "import grpc, grpc_tools")).exitCode == 0,
                "Debian python3-grpcio and python3-grpc-tools are not installed (.ci/run installs them)");
        Result gen = run(List.of(PYTHON, "-m", "grpc_tools.protoc", "-Iproto", "--python_out=" + stubs,
                "--grpc_python_out=" + stubs, "imagescore/v1/imagescore.proto"));
        assertThat(gen.exitCode).as(gen.output).isZero();
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        Result client = run(List.of(PYTHON, "src/test/resources/python/score_client.py", stubs.toString(),
                "localhost:" + port, Shared.path("data/rooms/eval/bathroom/Places365_val_00000172.jpg").toString()));
        assertThat(client.exitCode).as(client.output).isZero();
        assertThat(client.output).contains("PACK mobilenetv2-default").contains("RESULT photo bathtub")
                .contains("ERROR junk UNSUPPORTED_FORMAT").contains("STATUS NOT_FOUND");
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
