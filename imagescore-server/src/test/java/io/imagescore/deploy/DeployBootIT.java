package io.imagescore.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.imagescore.api.v1.DescribePacksRequest;
import io.imagescore.api.v1.ImageInput;
import io.imagescore.api.v1.ImageResult;
import io.imagescore.api.v1.ImageScoreGrpc;
import io.imagescore.api.v1.ScoreOptions;
import io.imagescore.api.v1.ScoreRequest;
import io.imagescore.api.v1.ScoreResponse;
import io.imagescore.model.triton.TritonTestServer;
import io.imagescore.store.PgTestDatabase;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.fail;

/**
 * Boots the packaged application ({@code target/quarkus-app/quarkus-run.jar}, a child JVM started with the JVM options
 * of the image's ENTRYPOINT) with exactly the environment a manifest gives its container — nothing inherited from the
 * test — and checks what it really does: it calls Triton at the manifest's endpoints (KServe-v2 test servers stand
 * in, one per endpoint; host:port is the only thing rewritten), reads packs from the image's working directory and
 * models and keys from the manifest's volume mounts (absolute paths are rebased onto a temporary root where each
 * mount is a link to what the volume holds), answers its probes on the manifest's paths, and keeps state where the
 * manifest says (PostgreSQL: IMAGESCORE_TEST_PG_URL, a fresh schema, delivered through the manifest's Secret
 * references). CPU and memory limits are given to the JVM as -XX:ActiveProcessorCount / -XX:MaxRAM, as a container
 * would. Every variable a manifest sets must be one the application reads ({@link AppConfigKeys}).
 *
 * <p>An integration test (maven-failsafe-plugin, {@code ./mvnw verify}): the jar exists only after {@code package}.
 */
@Tag("slow")
class DeployBootIT {

    private static final Path REPO = io.imagescore.testing.Shared.root();
    private static final io.imagescore.tenant.ApiKeys.NewKey KEY = io.imagescore.tenant.ApiKeys.create("default",
            java.util.Set.of(io.imagescore.tenant.Role.SCORE));

    @TempDir
    Path tmp;

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeAll
    static void manifests() throws IOException {
        DeployManifestsTest.read_every_yaml_document();
    }

    // ------------------------------------------------------------------------------------------------------- tests

    @Test
    void knative_service_boots_on_both_triton_replicas_postgresql_mounted_models_and_keys() throws Exception {
        JsonNode spec = DeployManifestsTest.object("serving.knative.dev/v1", "Service", "imagescore").path("spec").path("template").path("spec");
        JsonNode c = spec.path("containers").get(0);

        PGSimpleDataSource schema = PgTestDatabase.freshSchema();
        Map<String, Map<String, String>> secrets = Map.of(
                "imagescore-postgres", Map.of("jdbc-url", PgTestDatabase.jdbcUrl(schema), "username", "imagescore", "password", "unused-trust-auth"),
                "imagescore-api-keys", Map.of("api-keys.txt", KEY.line() + "\n"));
        Map<String, Path> claims = Map.of("imagescore-shared-models", Shared.path("models"));
        Map<String, String> env = kubernetesEnv(c, secrets);
        assertEveryVariableIsRead(env);

        List<TritonTestServer> tritons = new ArrayList<>();
        try (AutoCloseable stopServers = () -> tritons.forEach(TritonTestServer::close)) {
            env.put("IMAGESCORE_BACKEND_TRITON_ENDPOINTS", standIns(env.get("IMAGESCORE_BACKEND_TRITON_ENDPOINTS"), tritons));
            JsonNode limits = c.path("resources").path("limits");
            Booted app = boot(env, kubernetesMounts(spec, c, secrets, claims),
                    (int) Math.ceil(DeployManifestsTest.quantity(limits.path("cpu").asText())),
                    (long) DeployManifestsTest.quantity(limits.path("memory").asText()));
            try (app) {
                String ready = c.path("readinessProbe").path("httpGet").path("path").asText();
                app.awaitStatus(ready, 200);
                assertThat(app.get(c.path("livenessProbe").path("httpGet").path("path").asText())).startsWith("200");

                ManagedChannel ch = app.channel();
                try {
                    ImageScoreGrpc.ImageScoreBlockingStub anonymous = ImageScoreGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS);
                    StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class, () -> anonymous.score(photo(0)));
                    assertThat(refused.getStatus().getCode()).as("require-keys: no key, no call").isEqualTo(Status.Code.UNAUTHENTICATED);

                    Metadata bearer = new Metadata();
                    bearer.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + KEY.key());
                    var stub = ImageScoreGrpc.newBlockingStub(ch).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer));
                    for (int i = 0; i < 6; i++) {
                        assertScored(stub.withDeadlineAfter(60, TimeUnit.SECONDS).score(photo(1 + i)));
                    }
                    for (TritonTestServer t : tritons) {
                        assertThat(t.inferCalls()).as("ModelInfer calls on the stand-in for %s", t.target()).isPositive();
                    }

                    // one replica gone: still ready, still scoring
                    tritons.getFirst().kill();
                    for (int i = 0; i < 4; i++) {
                        assertScored(stub.withDeadlineAfter(60, TimeUnit.SECONDS).score(photo(7 + i)));
                    }
                    assertThat(app.get(ready)).startsWith("200");
                } finally {
                    ch.shutdownNow();
                }

                // the state store is the PostgreSQL of the Secret: the schema was migrated into it at start-up
                try (Connection db = schema.getConnection(); ResultSet rs = db.getMetaData().getTables(null, schema.getCurrentSchema(), "%", new String[] {"TABLE"})) {
                    List<String> tables = new ArrayList<>();
                    while (rs.next()) {
                        tables.add(rs.getString("TABLE_NAME"));
                    }
                    assertThat(tables).as("tables in the manifest's database").isNotEmpty();
                }
            }
        } finally {
            PgTestDatabase.dropSchema(schema);
        }
    }

    @Test
    void compose_service_boots_with_its_packs_shared_models_and_triton_endpoint() throws Exception {
        JsonNode service = DeployManifestsTest.compose().path("services").path("imagescore");
        Map<String, String> env = new LinkedHashMap<>();
        service.path("environment").properties().forEach(e -> env.put(e.getKey(), e.getValue().asText()));
        assertEveryVariableIsRead(env);
        Map<String, Path> mounts = new LinkedHashMap<>();
        service.path("volumes").forEach(v -> {
            String[] parts = v.asText().split(":");
            mounts.put(parts[1], REPO.resolve("deploy").resolve(parts[0]).normalize());
        });

        List<TritonTestServer> tritons = new ArrayList<>();
        try (AutoCloseable stopServers = () -> tritons.forEach(TritonTestServer::close)) {
            env.put("IMAGESCORE_BACKEND_TRITON_ENDPOINTS", standIns(env.get("IMAGESCORE_BACKEND_TRITON_ENDPOINTS"), tritons));
            try (Booted app = boot(env, mounts, 0, 0)) {
                // the stand-in serves MobileNetV2 only: the CLIP pack's model is missing there, so the service runs
                // not ready and says which model at which endpoint (a real Triton serves both, see deploy/README.md)
                String notReady = app.awaitStatus("/q/health/ready", 503);
                assertThat(notReady).contains("clip-vit-b32-image-u8").contains(tritons.getFirst().target());

                ManagedChannel ch = app.channel();
                try {
                    var stub = ImageScoreGrpc.newBlockingStub(ch).withDeadlineAfter(60, TimeUnit.SECONDS);
                    assertThat(stub.describePacks(DescribePacksRequest.getDefaultInstance()).getPacksList())
                            .extracting(p -> p.getRef().getName()).contains("mobilenetv2-default", "clip-vit-b32");
                    assertScored(stub.score(photo(0)));
                    assertThat(tritons.getFirst().inferCalls()).isPositive();
                } finally {
                    ch.shutdownNow();
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------- manifest reading

    private static void assertEveryVariableIsRead(Map<String, String> env) {
        assertThat(env.keySet()).allSatisfy(name -> assertThat(AppConfigKeys.reads(name)).as("the application reads " + name).isTrue());
    }

    /** The container's env with Secret references resolved from {@code secrets}. */
    private static Map<String, String> kubernetesEnv(JsonNode container, Map<String, Map<String, String>> secrets) {
        Map<String, String> env = new LinkedHashMap<>();
        container.path("env").forEach(e -> {
            JsonNode ref = e.path("valueFrom").path("secretKeyRef");
            String value = ref.isMissingNode() ? e.path("value").asText() : secret(secrets, ref.path("name").asText(), ref.path("key").asText());
            env.put(e.path("name").asText(), value);
        });
        return env;
    }

    private static String secret(Map<String, Map<String, String>> secrets, String name, String key) {
        String value = secrets.getOrDefault(name, Map.of()).get(key);
        assertThat(value).as("the test provides Secret %s key %s", name, key).isNotNull();
        return value;
    }

    /** mountPath -> what the volume holds: a PVC's content from {@code claims}, a Secret's keys as files. */
    private Map<String, Path> kubernetesMounts(JsonNode podSpec, JsonNode container, Map<String, Map<String, String>> secrets,
                                               Map<String, Path> claims) throws IOException {
        Map<String, Path> mounts = new LinkedHashMap<>();
        for (JsonNode m : container.path("volumeMounts")) {
            String name = m.path("name").asText();
            JsonNode volume = null;
            for (JsonNode v : podSpec.path("volumes")) {
                if (v.path("name").asText().equals(name)) {
                    volume = v;
                }
            }
            assertThat(volume).as("volume " + name).isNotNull();
            Path source;
            if (volume.has("persistentVolumeClaim")) {
                source = claims.get(volume.path("persistentVolumeClaim").path("claimName").asText());
                assertThat(source).as("the test provides the content of claim " + volume.path("persistentVolumeClaim")).isNotNull();
            } else if (volume.has("secret")) {
                String secretName = volume.path("secret").path("secretName").asText();
                source = Files.createDirectories(tmp.resolve("secret-" + secretName));
                for (var e : secrets.getOrDefault(secretName, Map.of()).entrySet()) {
                    Files.writeString(source.resolve(e.getKey()), e.getValue());
                }
            } else {
                throw new AssertionError("volume kind not handled by this test: " + volume);
            }
            mounts.put(m.path("mountPath").asText(), source);
        }
        return mounts;
    }

    /** Starts one KServe-v2 stand-in per endpoint (the default pack's model) and returns their addresses, in order. */
    private static String standIns(String endpoints, List<TritonTestServer> started) {
        List<String> local = new ArrayList<>();
        for (String endpoint : endpoints.split(",")) {
            assertThat(endpoint.trim()).matches("[a-z0-9.-]+:\\d+");
            TritonTestServer t = TritonTestServer.start().addDefaultPackModels();
            started.add(t);
            local.add(t.target());
        }
        return String.join(",", local);
    }

    // ------------------------------------------------------------------------------------------------- the process

    /** The java options of the image's ENTRYPOINT (deploy/Containerfile.jvm), between "java" and "-jar". */
    static List<String> imageJvmOptions() throws IOException {
        Matcher m = Pattern.compile("exec java (.*?) -jar (\\S+)\"").matcher(Files.readString(REPO.resolve("deploy/Containerfile.jvm")));
        assertThat(m.find()).as("ENTRYPOINT exec java ... -jar ... in Containerfile.jvm").isTrue();
        return List.of(m.group(1).split("\\s+")).stream().filter(o -> !o.startsWith("$")).toList();
    }

    record Booted(Process process, Path log, int port, HttpClient http) implements AutoCloseable {
        String output() {
            try {
                return Files.exists(log) ? Files.readString(log) : "";
            } catch (IOException e) {
                return "(unreadable: " + e + ")";
            }
        }

        /** "status body" of GET path, or "-1" while the port is closed. */
        String get(String path) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                return r.statusCode() + " " + r.body();
            } catch (ConnectException e) {
                return "-1";
            } catch (IOException e) {
                return "-2 " + e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "-3";
            }
        }

        /** Polls {@code path} until it answers {@code status}; the process must not exit meanwhile. */
        String awaitStatus(String path, int status) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            String last = get(path);
            while (!last.startsWith(status + " ")) {
                if (!process.isAlive()) {
                    fail("exited with %d (last %s: %s):%n%s", process.exitValue(), path, last, output());
                }
                if (System.nanoTime() > deadline) {
                    fail("no %d on %s after 120 s (last: %s):%n%s", status, path, last, output());
                }
                Thread.sleep(100);
                last = get(path);
            }
            return last;
        }

        ManagedChannel channel() {
            return ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    /**
     * Starts the packaged application as the image would: working directory {@code <root>/deployments} holding the
     * image's {@code packs/}, every absolute path in {@code env} rebased onto {@code <root>}, each mount a link there;
     * the environment is exactly {@code env}. {@code cpus}/{@code memoryBytes} &gt; 0 emulate the container limits.
     */
    Booted boot(Map<String, String> env, Map<String, Path> mounts, int cpus, long memoryBytes) throws Exception {
        Path jar = REPO.resolve("imagescore-server/target/quarkus-app/quarkus-run.jar");
        assertThat(jar).as("run ./mvnw package (or verify) first").exists();
        Path root = Files.createDirectories(tmp.resolve("root"));
        Path workdir = Files.createDirectories(root.resolve("deployments"));
        Files.createSymbolicLink(workdir.resolve("packs"), REPO.resolve("packs"));
        for (var m : mounts.entrySet()) {
            assertThat(m.getValue()).as("content of mount " + m.getKey()).exists();
            Path at = root.resolve(m.getKey().substring(1));
            Files.createDirectories(at.getParent());
            Files.createSymbolicLink(at, m.getValue().toAbsolutePath());
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(imageJvmOptions());
        if (cpus > 0) {
            cmd.add("-XX:ActiveProcessorCount=" + cpus);
        }
        if (memoryBytes > 0) {
            cmd.add("-XX:MaxRAM=" + memoryBytes);
        }
        cmd.addAll(List.of("-Dquarkus.http.port=" + port, "-Dquarkus.http.host=127.0.0.1", "-jar", jar.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workdir.toFile()).redirectErrorStream(true);
        Path log = tmp.resolve("server-" + port + ".log");
        pb.redirectOutput(log.toFile());
        pb.environment().clear();
        env.forEach((k, v) -> pb.environment().put(k, rebase(v, root)));
        return new Booted(pb.start(), log, port, http);
    }

    /** Absolute paths (also in comma-separated lists) are container paths: rebased onto {@code root}. */
    private static String rebase(String value, Path root) {
        List<String> parts = new ArrayList<>();
        for (String p : value.split(",", -1)) {
            parts.add(p.startsWith("/") ? root.resolve(p.substring(1)).toString() : p);
        }
        return String.join(",", parts);
    }

    // ------------------------------------------------------------------------------------------------------ calls

    /**
     * One request of the {@code i}-th CLIVE photo: each call a different photo, so the score store (on in these
     * environments) cannot answer a repeat without the backend.
     */
    private static ScoreRequest photo(int i) throws IOException {
        Path photo;
        try (var files = Files.list(Shared.path("data/clive/images"))) {
            photo = files.sorted().skip(i).findFirst().orElseThrow();
        }
        return ScoreRequest.newBuilder().setOptions(ScoreOptions.newBuilder().setPack("mobilenetv2-default"))
                .addImages(ImageInput.newBuilder().setId("p").setData(ByteString.copyFrom(Files.readAllBytes(photo)))).build();
    }

    /** Scored, with ImageNet labels read from the mounted shared models (not bare class indices). */
    private static void assertScored(ScoreResponse r) {
        assertThat(r.getResultsList()).hasSize(1);
        ImageResult result = r.getResults(0);
        assertThat(result.hasScores()).as("scored: " + result).isTrue();
        assertThat(result.getScores().getClassesList()).isNotEmpty();
        assertThat(result.getScores().getClasses(0).getTop(0).getLabel()).matches(".*[a-z].*");
    }
}
