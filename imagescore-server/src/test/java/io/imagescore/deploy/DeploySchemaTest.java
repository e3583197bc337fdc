package io.imagescore.deploy;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Every object in deploy/k8s validated against the official schemas: the Kubernetes OpenAPI (kubernetes-models), the
 * Knative CRDs (@kubernetes-models/knative), both pinned in deploy/validate/package-lock.json, and KServe's
 * InferenceService CRD schema (extracted from KServe's published CRD into deploy/validate/schemas, checked with ajv),
 * run by deploy/validate/validate.mjs under node. No object may go unchecked.
 *
 * <p>Needs {@code npm ci} in deploy/validate (.ci/run does it). Without node_modules the test fails when CI is set and
 * is skipped otherwise.
 */
class DeploySchemaTest {

    private static final Path VALIDATE = io.imagescore.testing.Shared.root().resolve("deploy/validate");

    @TempDir
    Path tmp;

    record Run(int exit, List<String> lines) {}

    private static Run validate(List<Path> files) throws IOException, InterruptedException {
        if (!Files.isDirectory(VALIDATE.resolve("node_modules"))) {
            String how = "deploy/validate/node_modules is missing: run (cd deploy/validate && npm ci)";
            String ci = System.getenv("CI");
            if (ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false")) {
                fail("CI is set but " + how + "; .ci/run does this before ./mvnw verify");
            }
            Assumptions.abort("skipped: " + how);
        }
        List<String> cmd = new ArrayList<>(List.of("node", "validate.mjs"));
        files.forEach(f -> cmd.add(f.toAbsolutePath().toString()));
        Process p = new ProcessBuilder(cmd).directory(VALIDATE.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("validator finished").isTrue();
        return new Run(p.exitValue(), out.lines().toList());
    }

    private static List<Path> manifests() throws IOException {
        try (Stream<Path> s = Files.list(io.imagescore.testing.Shared.root().resolve("deploy/k8s"))) {
            return s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
    }

    @org.junit.jupiter.api.BeforeAll
    static void readManifests() throws IOException {
        DeployManifestsTest.read_every_yaml_document();
    }

    @Test
    void every_manifest_object_matches_the_kubernetes_and_knative_schemas() throws Exception {
        Run run = validate(manifests());
        assertThat(run.lines()).as("validator output").noneMatch(l -> l.startsWith("invalid") || l.startsWith("unreadable"));
        assertThat(run.exit()).as(String.join("\n", run.lines())).isZero();
        assertThat(run.lines()).filteredOn(l -> l.startsWith("ok "))
                .anyMatch(l -> l.contains(" serving.knative.dev/v1 Service imagescore"))
                .anyMatch(l -> l.contains(" apps/v1 StatefulSet triton"))
                .anyMatch(l -> l.contains(" v1 Service triton"))
                .anyMatch(l -> l.contains(" batch/v1 Job imagescore-batch"))
                .anyMatch(l -> l.contains(" serving.kserve.io/v1beta1 InferenceService imagescore-triton"));
        assertThat(run.lines()).noneMatch(l -> l.startsWith("no-schema "));
        assertThat(run.lines()).hasSize(DeployManifestsTest.kubernetesObjects().size());
    }

    @Test
    void a_broken_manifest_is_rejected_with_the_field_at_fault() throws Exception {
        String knative = Files.readString(io.imagescore.testing.Shared.root().resolve("deploy/k8s/imagescore-knative.yaml"));
        // a Knative-specific field with the wrong type, and a core field the Knative CRD requires removed
        Path broken = tmp.resolve("broken-knative.yaml");
        Files.writeString(broken, knative.replace("containerConcurrency: 16", "containerConcurrency: sixteen")
                .replaceFirst("\\n\\s+# Knative accepts only the serving port here; its CRD schema requires the field\\n\\s+port: 8080", ""));
        String triton = Files.readString(io.imagescore.testing.Shared.root().resolve("deploy/k8s/triton.yaml"));
        Path brokenTriton = tmp.resolve("broken-triton.yaml");
        Files.writeString(brokenTriton, triton.replace("replicas: 2", "replicas: \"2\""));
        String kserve = Files.readString(io.imagescore.testing.Shared.root().resolve("deploy/k8s/kserve-inferenceservice.yaml"));
        Path brokenKserve = tmp.resolve("broken-kserve.yaml");
        Files.writeString(brokenKserve, kserve.replace("containerPort: 9000", "containerPort: h2c"));

        Run run = validate(List.of(broken, brokenTriton, brokenKserve));
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.lines()).anySatisfy(l -> assertThat(l).startsWith("invalid").contains("Service imagescore")
                .contains("/spec/template/spec/containerConcurrency must be integer")
                .contains("/spec/template/spec/containers/0/readinessProbe/httpGet must have required property port"));
        assertThat(run.lines()).anySatisfy(l -> assertThat(l).startsWith("invalid").contains("StatefulSet triton")
                .contains("/spec/replicas must be integer"));
        assertThat(run.lines()).anySatisfy(l -> assertThat(l).startsWith("invalid").contains("InferenceService imagescore-triton")
                .contains("/spec/predictor/model/ports/0/containerPort must be integer"));
    }
}
