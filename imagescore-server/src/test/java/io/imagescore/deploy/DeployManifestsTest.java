package io.imagescore.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.imagescore.model.ModelSpec;
import io.imagescore.model.TensorSpec;
import io.imagescore.pack.HeadVersion;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackLoader;
import io.imagescore.testing.Shared;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Schema-level checks of deploy/ (Kubernetes, Knative, KServe, compose, Containerfiles) and triton-model-repo/
 * (config.pbtxt), since neither kubectl nor Triton exists here. Cross-file facts are checked too: ports, probe paths,
 * the TensorRT cache mount, and the tensor names of the real ONNX files in ../shared.
 */
class DeployManifestsTest {

    private static final Path DEPLOY = Shared.root().resolve("deploy");
    private static final Path MODEL_REPO = Shared.root().resolve("triton-model-repo");
    private static final Path SHARED = Shared.dir();
    /** The Triton-mode pack written by scripts/export_clip_onnx.py --manifest-only. */
    private static final Path PACK = Shared.root().resolve("packs/clip-vit-b32");

    /** The documented I/O of each Triton model: name -> (dtype, dims without the batch dim). */
    record Io(String name, String type, List<Long> dims) {}

    record Expected(String model, List<Io> inputs, List<Io> outputs) {}

    static Stream<Expected> documentedModels() {
        return Stream.of(
                new Expected("clip-vit-b32-image-u8",
                        List.of(new Io("pixels", "TYPE_UINT8", List.of(3L, 224L, 224L))),
                        List.of(new Io("image_embeds", "TYPE_FP32", List.of(512L)))),
                new Expected("clip-vit-b32-text",
                        List.of(new Io("input_ids", "TYPE_INT64", List.of(77L))),
                        List.of(new Io("text_embeds", "TYPE_FP32", List.of(512L)))),
                new Expected("mobilenetv2-default",
                        List.of(new Io("pixels", "TYPE_UINT8", List.of(3L, 224L, 224L))),
                        List.of(new Io("output", "TYPE_FP32", List.of(1000L)),
                                new Io("features", "TYPE_FP32", List.of(1280L)),
                                new Io("spatial", "TYPE_FP32", List.of(1280L, 7L, 7L)))),
                // each output per orientation: [2, …] after the batch (0 = as sent, 1 = mirrored)
                new Expected("mobilenetv2-default-mirrored",
                        List.of(new Io("pixels", "TYPE_UINT8", List.of(3L, 224L, 224L))),
                        List.of(new Io("output", "TYPE_FP32", List.of(2L, 1000L)),
                                new Io("features", "TYPE_FP32", List.of(2L, 1280L)),
                                new Io("spatial", "TYPE_FP32", List.of(2L, 1280L, 7L, 7L)))));
    }

    private static final ObjectMapper YAML = new YAMLMapper();
    private static Map<Path, List<JsonNode>> yamlDocuments;

    @BeforeAll
    static void read_every_yaml_document() throws IOException {
        yamlDocuments = new LinkedHashMap<>();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(DEPLOY)) {
            // deploy/validate/node_modules (the schema validator's packages) holds YAML of its own
            files = walk.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                    .filter(p -> !p.toString().contains("node_modules")).sorted().toList();
        }
        for (Path file : files) {
            List<JsonNode> docs = new ArrayList<>();
            try (var parser = new YAMLFactory().createParser(file.toFile());
                 var it = YAML.readValues(parser, JsonNode.class)) {
                while (it.hasNext()) {
                    JsonNode doc = it.next();
                    if (doc != null && !doc.isMissingNode() && !doc.isNull()) {
                        docs.add(doc);
                    }
                }
            }
            yamlDocuments.put(file, docs);
        }
    }

    static List<JsonNode> kubernetesObjects() {
        return yamlDocuments.values().stream().flatMap(List::stream).filter(d -> d.has("apiVersion")).toList();
    }

    static JsonNode object(String apiVersion, String kind, String name) {
        return kubernetesObjects().stream()
                .filter(d -> d.path("apiVersion").asText().equals(apiVersion) && d.path("kind").asText().equals(kind)
                        && d.path("metadata").path("name").asText().equals(name))
                .findFirst().orElseThrow(() -> new AssertionError("no " + apiVersion + " " + kind + " '" + name + "' under deploy/"));
    }

    static JsonNode compose() {
        return yamlDocuments.get(DEPLOY.resolve("docker-compose.yml")).getFirst();
    }

    // ------------------------------------------------------------------------------------------------- Kubernetes

    @Test
    void every_yaml_document_is_a_named_kubernetes_object_or_the_compose_file() {
        assertThat(yamlDocuments).containsKey(DEPLOY.resolve("docker-compose.yml"));
        assertThat(kubernetesObjects()).hasSizeGreaterThanOrEqualTo(4);
        yamlDocuments.forEach((file, docs) -> {
            assertThat(docs).as(file + " documents").isNotEmpty();
            for (JsonNode doc : docs) {
                if (file.getFileName().toString().equals("docker-compose.yml")) {
                    assertThat(doc.path("services").isObject()).as("compose services").isTrue();
                    continue;
                }
                assertThat(doc.path("apiVersion").asText()).as(file + " apiVersion").isNotBlank();
                assertThat(doc.path("kind").asText()).as(file + " kind").isNotBlank();
                assertThat(doc.path("metadata").path("name").asText()).as(file + " metadata.name")
                        .matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
            }
        });
    }

    @Test
    void every_annotation_label_and_env_value_is_a_string() {
        // Kubernetes rejects non-string values in these maps (e.g. an unquoted min-scale: 0); YAML makes that easy.
        List<String> offenders = new ArrayList<>();
        for (JsonNode doc : kubernetesObjects()) {
            collectNonStrings(doc, "", offenders);
        }
        assertThat(offenders).isEmpty();
    }

    private static void collectNonStrings(JsonNode node, String path, List<String> offenders) {
        if (node.isObject()) {
            node.properties().forEach(e -> {
                String p = path + "/" + e.getKey();
                if (Set.of("annotations", "labels", "matchLabels", "selector").contains(e.getKey()) && e.getValue().isObject()
                        && !e.getValue().has("matchLabels")) {
                    e.getValue().properties().forEach(kv -> {
                        if (!kv.getValue().isTextual()) {
                            offenders.add(p + "/" + kv.getKey());
                        }
                    });
                }
                collectNonStrings(e.getValue(), p, offenders);
            });
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                JsonNode item = node.get(i);
                if (path.endsWith("/env") && item.has("value") && !item.get("value").isTextual()) {
                    offenders.add(path + "[" + i + "]/value");
                }
                collectNonStrings(item, path + "[" + i + "]", offenders);
            }
        }
    }

    @Test
    void knative_service_scales_to_zero_with_a_target_below_its_hard_concurrency_limit() {
        JsonNode template = object("serving.knative.dev/v1", "Service", "imagescore").path("spec").path("template");
        JsonNode annotations = template.path("metadata").path("annotations");
        assertThat(annotations.path("autoscaling.knative.dev/min-scale").asText()).isEqualTo("0");
        assertThat(annotations.path("autoscaling.knative.dev/metric").asText()).isEqualTo("concurrency");
        int maxScale = Integer.parseInt(annotations.path("autoscaling.knative.dev/max-scale").asText());
        int target = Integer.parseInt(annotations.path("autoscaling.knative.dev/target").asText());
        int containerConcurrency = template.path("spec").path("containerConcurrency").asInt(-1);
        assertThat(maxScale).isPositive();
        assertThat(containerConcurrency).isPositive();
        assertThat(target).isPositive().isLessThanOrEqualTo(containerConcurrency);
    }

    @Test
    void knative_service_serves_http_and_grpc_on_one_h2c_port_with_quarkus_health_probes() {
        JsonNode spec = object("serving.knative.dev/v1", "Service", "imagescore").path("spec").path("template").path("spec");
        JsonNode containers = spec.path("containers");
        assertThat(containers.size()).as("Knative allows one serving container").isEqualTo(1);
        JsonNode c = containers.get(0);
        assertThat(c.path("image").asText()).isNotBlank();
        assertThat(c.path("ports").size()).as("Knative allows one port").isEqualTo(1);
        assertThat(c.path("ports").get(0).path("containerPort").asInt()).isEqualTo(8080);
        assertThat(c.path("ports").get(0).path("name").asText()).as("gRPC needs HTTP/2 cleartext").isEqualTo("h2c");
        assertThat(c.path("readinessProbe").path("httpGet").path("path").asText()).isEqualTo("/q/health/ready");
        assertThat(c.path("livenessProbe").path("httpGet").path("path").asText()).isEqualTo("/q/health/live");
        for (String probe : List.of("readinessProbe", "livenessProbe")) {
            JsonNode port = c.path(probe).path("httpGet").path("port");
            assertThat(port.isMissingNode() || port.asInt() == 8080).as(probe + " port (Knative: omit or the serving port)").isTrue();
        }
        assertThat(env(c)).containsEntry("IMAGESCORE_BACKEND_KIND", "triton").containsKey("IMAGESCORE_BACKEND_TRITON_ENDPOINTS");
    }

    @Test
    void knative_front_end_lists_every_triton_replica_by_its_stable_name_behind_the_headless_service() {
        JsonNode c = object("serving.knative.dev/v1", "Service", "imagescore").path("spec").path("template").path("spec")
                .path("containers").get(0);
        JsonNode service = object("v1", "Service", "triton");
        JsonNode statefulSet = object("apps/v1", "StatefulSet", "triton");
        assertThat(service.path("spec").path("clusterIP").asText()).as("headless").isEqualTo("None");
        assertThat(statefulSet.path("spec").path("serviceName").asText()).isEqualTo(service.path("metadata").path("name").asText());
        int replicas = statefulSet.path("spec").path("replicas").asInt();
        assertThat(replicas).as("several Triton replicas").isGreaterThanOrEqualTo(2);
        String namespace = service.path("metadata").path("namespace").asText();
        List<String> endpoints = resolved(env(c)).getConfigMapping(io.imagescore.config.ImageScoreConfig.class).backend().triton().endpoints().orElseThrow();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < replicas; i++) {
            expected.add(statefulSet.path("metadata").path("name").asText() + "-" + i + "." + service.path("metadata").path("name").asText()
                    + "." + namespace + ".svc.cluster.local:" + servicePort(service, "grpc").path("port").asInt());
        }
        assertThat(endpoints).as("one endpoint per replica (per-replica health and breaker)").containsExactlyElementsOf(expected);
    }

    @Test
    void every_kubernetes_object_lives_in_the_namespace_the_in_cluster_names_use() {
        assertThat(kubernetesObjects()).allSatisfy(o ->
                assertThat(o.path("metadata").path("namespace").asText()).as(o.path("kind") + " " + o.path("metadata").path("name"))
                        .isEqualTo("imagescore"));
    }

    /**
     * The front end's resources agree with its pools and budgets: a CPU limit (the JVM sizes its preprocess pool and
     * inference concurrency from the cores it sees), memory request = limit, and the requests a pod may hold at once
     * (containerConcurrency x imagescore.limits.max-request-bytes, each held whole while scored) within half the heap
     * the image's -XX:MaxRAMPercentage gives; the byte budget (a quarter of the heap, at least one request) then admits
     * at least one request.
     */
    @Test
    void knative_resources_agree_with_pool_sizing_and_admission_budgets() throws IOException {
        JsonNode spec = object("serving.knative.dev/v1", "Service", "imagescore").path("spec").path("template").path("spec");
        JsonNode c = spec.path("containers").get(0);
        JsonNode limits = c.path("resources").path("limits");
        JsonNode requests = c.path("resources").path("requests");
        assertThat(limits.path("cpu").asText()).as("CPU limit").isNotBlank();
        assertThat(requests.path("memory").asText()).as("memory request = limit").isEqualTo(limits.path("memory").asText());
        int cpus = (int) Math.ceil(quantity(limits.path("cpu").asText()));
        long memory = (long) quantity(limits.path("memory").asText());
        var config = resolved(env(c));
        var limitsConfig = config.getConfigMapping(io.imagescore.config.ImageScoreConfig.class).limits();
        assertThat(limitsConfig.maxConcurrentInference()).as("inference concurrency within the cores").isLessThanOrEqualTo(Math.max(2, cpus));
        java.util.regex.Matcher ram = java.util.regex.Pattern.compile("-XX:MaxRAMPercentage=(\\d+)")
                .matcher(Files.readString(DEPLOY.resolve("Containerfile.jvm")));
        assertThat(ram.find()).as("the image sizes the heap from the container limit").isTrue();
        long heap = memory * Integer.parseInt(ram.group(1)) / 100;
        long held = (long) spec.path("containerConcurrency").asInt() * limitsConfig.maxRequestBytes();
        assertThat(held).as("containerConcurrency x max-request-bytes within half the heap (%d MiB)", heap >> 20)
                .isLessThanOrEqualTo(heap / 2);
        assertThat(Math.max(heap / 4, limitsConfig.maxRequestBytes())).as("byte budget admits a largest request")
                .isGreaterThanOrEqualTo(limitsConfig.maxRequestBytes());
    }

    /** Kubernetes quantities as used here: plain or milli CPUs, Ki/Mi/Gi bytes. */
    static double quantity(String q) {
        for (var unit : List.of(Map.entry("Ki", 1L << 10), Map.entry("Mi", 1L << 20), Map.entry("Gi", 1L << 30), Map.entry("m", -1000L))) {
            if (q.endsWith(unit.getKey())) {
                double v = Double.parseDouble(q.substring(0, q.length() - unit.getKey().length()));
                return unit.getValue() < 0 ? v / 1000 : v * unit.getValue();
            }
        }
        return Double.parseDouble(q);
    }

    @Test
    void batch_streams_are_rotated_before_the_knative_request_timeout_cuts_them() {
        JsonNode knative = object("serving.knative.dev/v1", "Service", "imagescore").path("spec").path("template").path("spec");
        int timeout = knative.path("timeoutSeconds").asInt();
        assertThat(timeout).as("Knative's default max-revision-timeout-seconds").isBetween(1, 600);
        List<String> args = new ArrayList<>();
        object("batch/v1", "Job", "imagescore-batch").path("spec").path("template").path("spec").path("containers").get(0)
                .path("args").forEach(a -> args.add(a.asText()));
        int rotate = Integer.parseInt(args.stream().filter(a -> a.startsWith("--stream-max-seconds=")).findFirst()
                .orElseThrow(() -> new AssertionError("the batch Job sets no --stream-max-seconds")).substring("--stream-max-seconds=".length()));
        long maxCall = resolved(env(knative.path("containers").get(0))).getConfigMapping(io.imagescore.config.ImageScoreConfig.class).limits()
                .maxDeadline().toSeconds();
        assertThat(rotate).isPositive();
        assertThat(rotate + maxCall).as("rotation + the longest pipeline call (%d s) within timeoutSeconds", maxCall)
                .isLessThanOrEqualTo(timeout);
    }

    @Test
    void triton_statefulset_requests_a_gpu_and_probes_triton_health_endpoints_on_port_8000() {
        JsonNode deployment = object("apps/v1", "StatefulSet", "triton");
        JsonNode pod = deployment.path("spec").path("template");
        JsonNode selector = deployment.path("spec").path("selector").path("matchLabels");
        assertThat(selector.size()).isPositive();
        selector.properties().forEach(e ->
                assertThat(pod.path("metadata").path("labels").path(e.getKey()).asText()).as("template label " + e.getKey())
                        .isEqualTo(e.getValue().asText()));

        JsonNode c = pod.path("spec").path("containers").get(0);
        assertThat(c.path("image").asText()).matches("nvcr\\.io/nvidia/tritonserver:2[5-6]\\.\\d\\d-py3");
        assertThat(c.path("resources").path("limits").path("nvidia.com/gpu").asInt()).isPositive();
        Map<String, Integer> ports = containerPorts(c);
        assertThat(ports).containsEntry("http", 8000).containsEntry("grpc", 8001).containsEntry("metrics", 8002);

        assertThat(c.path("livenessProbe").path("httpGet").path("path").asText()).isEqualTo("/v2/health/live");
        assertThat(c.path("readinessProbe").path("httpGet").path("path").asText()).isEqualTo("/v2/health/ready");
        for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
            assertThat(resolvePort(c.path(probe).path("httpGet").path("port"), ports)).as(probe + " port").isEqualTo(8000);
        }
        assertThat(c.path("args").toString()).contains("--model-repository=/models");
        assertThat(mountPaths(c)).contains("/models");
    }

    @Test
    void triton_service_selects_the_deployment_and_targets_its_ports() {
        JsonNode deployment = object("apps/v1", "StatefulSet", "triton");
        JsonNode service = object("v1", "Service", "triton");
        JsonNode labels = deployment.path("spec").path("template").path("metadata").path("labels");
        service.path("spec").path("selector").properties().forEach(e ->
                assertThat(labels.path(e.getKey()).asText()).as("selector " + e.getKey()).isEqualTo(e.getValue().asText()));
        Map<String, Integer> ports = containerPorts(deployment.path("spec").path("template").path("spec").path("containers").get(0));
        for (String name : List.of("http", "grpc", "metrics")) {
            JsonNode port = servicePort(service, name);
            assertThat(resolvePort(port.path("targetPort"), ports)).as("targetPort of " + name).isEqualTo(ports.get(name));
            assertThat(port.path("port").asInt()).isEqualTo(ports.get(name));
        }
    }

    @Test
    void kserve_inference_service_runs_the_triton_runtime_on_a_gpu() {
        JsonNode predictor = object("serving.kserve.io/v1beta1", "InferenceService", "imagescore-triton").path("spec").path("predictor");
        JsonNode model = predictor.path("model");
        assertThat(model.path("modelFormat").path("name").asText()).isEqualTo("triton");
        assertThat(model.path("protocolVersion").asText()).isEqualTo("v2");
        assertThat(model.path("storageUri").asText()).matches("(pvc|s3|gs|https?)://.+");
        assertThat(model.path("resources").path("limits").path("nvidia.com/gpu").asInt()).isPositive();
        assertThat(model.path("ports").get(0).path("name").asText()).isEqualTo("h2c");
        assertThat(model.path("ports").get(0).path("containerPort").asInt()).as("KServe Triton runtime gRPC port").isEqualTo(9000);
        Set<String> volumes = new TreeSet<>();
        predictor.path("volumes").forEach(v -> volumes.add(v.path("name").asText()));
        model.path("volumeMounts").forEach(m -> assertThat(volumes).as("volume of mount " + m).contains(m.path("name").asText()));
    }

    @Test
    void batch_indexed_job_runs_one_resumable_shard_per_completion_index_against_the_front_end() {
        JsonNode job = object("batch/v1", "Job", "imagescore-batch");
        JsonNode spec = job.path("spec");
        assertThat(spec.path("completionMode").asText()).isEqualTo("Indexed");
        int completions = spec.path("completions").asInt();
        assertThat(completions).isPositive();
        assertThat(spec.path("parallelism").asInt()).isBetween(1, completions);
        JsonNode pod = spec.path("template").path("spec");
        // podFailurePolicy needs restartPolicy Never; exit 1 (run failed) must be retried so the shard resumes
        assertThat(pod.path("restartPolicy").asText()).isEqualTo("Never");
        assertThat(spec.path("podFailurePolicy").toString()).contains("\"Count\"");
        JsonNode c = pod.path("containers").get(0);
        assertThat(c.path("command").toString()).contains("io.imagescore.cli.ImageScoreCli").contains("--enable-native-access=ALL-UNNAMED")
                .contains("--add-modules=jdk.incubator.vector").contains("-Xss16m").contains("/deployments/imagescore-cli.jar");
        assertThat(c.path("image").asText()).as("the CLI's image (Containerfile.cli)").contains("imagescore-cli");
        List<String> args = new ArrayList<>();
        c.path("args").forEach(a -> args.add(a.asText()));
        assertThat(args.getFirst()).isEqualTo("batch");
        Map<String, String> env = env(c);
        assertThat(env.get("SHARD_COUNT")).as("SHARD_COUNT equals completions").isEqualTo(String.valueOf(completions));
        JsonNode index = c.path("env").findParent("fieldRef");
        assertThat(index.path("fieldRef").path("fieldPath").asText())
                .isEqualTo("metadata.annotations['batch.kubernetes.io/job-completion-index']");
        assertThat(args).contains("--shard=$(SHARD_INDEX)/$(SHARD_COUNT)");
        assertThat(args.stream().filter(a -> a.startsWith("--out=")).findFirst().orElseThrow())
                .as("each shard its own run directory").contains("$(SHARD_INDEX)");
        // the picocli command accepts these arguments (with the variables substituted)
        List<String> resolved = args.stream().map(a -> a.replace("$(SHARD_INDEX)", "3").replace("$(SHARD_COUNT)", env.get("SHARD_COUNT"))).toList();
        var parsed = io.imagescore.cli.ImageScoreCli.commandLine(new io.imagescore.batch.BatchCommand()).parseArgs(resolved.subList(1, resolved.size()).toArray(String[]::new));
        assertThat(parsed.matchedOptionValue("--shard", "")).isEqualTo("3/" + completions);
        // the target is the in-cluster address of the Knative front end, whose pods use the Triton backend
        String target = args.stream().filter(a -> a.startsWith("--target=")).findFirst().orElseThrow().substring("--target=".length());
        assertThat(target).startsWith(object("serving.knative.dev/v1", "Service", "imagescore").path("metadata").path("name").asText() + ".");
        Set<String> volumes = new TreeSet<>();
        pod.path("volumes").forEach(v -> volumes.add(v.path("name").asText()));
        c.path("volumeMounts").forEach(m -> assertThat(volumes).contains(m.path("name").asText()));
        assertThat(mountPaths(c)).contains("/out");
    }

    @Test
    void compose_mounts_the_model_repository_and_points_imagescore_at_triton() {
        JsonNode services = compose().path("services");
        JsonNode triton = services.path("triton");
        assertThat(triton.path("image").asText()).matches("nvcr\\.io/nvidia/tritonserver:2[5-6]\\.\\d\\d-py3");
        assertThat(triton.path("command").toString()).contains("--model-repository=/models").contains("--grpc-port=8001");
        String repoMount = volumeSources(triton).get("/models");
        assertThat(repoMount).as("host path mounted at /models").isNotNull();
        assertThat(DEPLOY.resolve(repoMount).normalize()).isEqualTo(MODEL_REPO.normalize());
        assertThat(triton.path("deploy").path("resources").path("reservations").path("devices").get(0)
                .path("capabilities").toString()).contains("gpu");
        assertThat(triton.path("healthcheck").path("test").toString()).contains("/v2/health/ready");

        JsonNode app = services.path("imagescore");
        assertThat(DEPLOY.resolve(app.path("build").path("context").asText()).resolve(app.path("build").path("dockerfile").asText()))
                .exists();
        JsonNode env = app.path("environment");
        assertThat(env.path("IMAGESCORE_BACKEND_KIND").asText()).isEqualTo("triton");
        assertThat(env.path("IMAGESCORE_BACKEND_TRITON_ENDPOINTS").asText()).isEqualTo("triton:8001");
        assertThat(triton.path("ports").toString()).contains("8001:8001");
        assertThat(app.path("depends_on").path("triton").path("condition").asText()).isEqualTo("service_healthy");
    }

    @Test
    void every_triton_runner_mounts_the_tensorrt_engine_cache_the_configs_write_to() throws IOException {
        Set<String> cachePaths = new TreeSet<>();
        for (Expected m : documentedModels().toList()) {
            for (Object accel : path(pbtxt(m.model()), "optimization", "execution_accelerators", "gpu_execution_accelerator")) {
                for (Object p : list((Map<?, ?>) accel, "parameters")) {
                    Map<?, ?> param = (Map<?, ?>) p;
                    if (one(param, "key").equals("trt_engine_cache_path")) {
                        cachePaths.add(one(param, "value"));
                    }
                }
            }
        }
        assertThat(cachePaths).as("at least one model uses the TensorRT engine cache").isNotEmpty();
        Set<String> composeMounts = volumeSources(compose().path("services").path("triton")).keySet();
        Set<String> deploymentMounts = mountPaths(object("apps/v1", "StatefulSet", "triton").path("spec").path("template")
                .path("spec").path("containers").get(0));
        Set<String> kserveMounts = mountPaths(object("serving.kserve.io/v1beta1", "InferenceService", "imagescore-triton")
                .path("spec").path("predictor").path("model"));
        for (String cache : cachePaths) {
            for (Set<String> mounts : List.of(composeMounts, deploymentMounts, kserveMounts)) {
                assertThat(mounts.stream().anyMatch(m -> cache.equals(m) || cache.startsWith(m + "/")))
                        .as(cache + " under one of " + mounts).isTrue();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ config.pbtxt

    @Test
    void the_model_repository_holds_exactly_the_documented_models() throws IOException {
        Set<String> dirs = new TreeSet<>();
        try (Stream<Path> list = Files.list(MODEL_REPO)) {
            list.filter(Files::isDirectory).forEach(d -> dirs.add(d.getFileName().toString()));
        }
        assertThat(dirs).containsExactlyInAnyOrderElementsOf(documentedModels().map(Expected::model).toList());
    }

    @ParameterizedTest
    @MethodSource("documentedModels")
    void model_config_declares_the_documented_tensors_with_gpu_dynamic_batching(Expected expected) throws IOException {
        Map<String, List<Object>> config = pbtxt(expected.model());
        assertThat(one(config, "name")).isEqualTo(expected.model());
        assertThat(one(config, "platform")).isEqualTo("onnxruntime_onnx");
        assertThat(Files.isDirectory(MODEL_REPO.resolve(expected.model()).resolve("1"))).as("version folder 1/").isTrue();
        int maxBatch = Integer.parseInt(one(config, "max_batch_size"));
        assertThat(maxBatch).isPositive();

        assertThat(tensors(config, "input")).containsExactlyElementsOf(expected.inputs());
        assertThat(tensors(config, "output")).containsExactlyElementsOf(expected.outputs());

        Map<?, ?> batching = (Map<?, ?>) single(config, "dynamic_batching");
        List<Object> preferred = list(batching, "preferred_batch_size");
        assertThat(preferred).isNotEmpty();
        preferred.forEach(b -> assertThat(Integer.parseInt((String) b)).isBetween(1, maxBatch));
        assertThat(Long.parseLong(one(batching, "max_queue_delay_microseconds"))).isBetween(1L, 100_000L);

        List<Object> groups = list(config, "instance_group");
        assertThat(groups).isNotEmpty();
        groups.forEach(g -> assertThat(one((Map<?, ?>) g, "kind")).isEqualTo("KIND_GPU"));

        for (Object accel : path(config, "optimization", "execution_accelerators", "gpu_execution_accelerator")) {
            Map<String, String> params = new LinkedHashMap<>();
            list((Map<?, ?>) accel, "parameters").forEach(p -> params.put(one((Map<?, ?>) p, "key"), one((Map<?, ?>) p, "value")));
            assertThat(one((Map<?, ?>) accel, "name")).isEqualTo("tensorrt");
            assertThat(params).containsEntry("precision_mode", "FP16").containsKey("trt_engine_cache_path");
        }
        Set<String> inputNames = new TreeSet<>(expected.inputs().stream().map(Io::name).toList());
        for (Object warmup : list(config, "model_warmup")) {
            for (Object in : list((Map<?, ?>) warmup, "inputs")) {
                assertThat(inputNames).contains(one((Map<?, ?>) in, "key"));
            }
        }
    }

    @Test
    void mobilenet_config_matches_the_pack_onnx_file_it_serves() throws Exception {
        Map<String, List<Object>> config = pbtxt("mobilenetv2-default");
        assertOnnxMatches(io.imagescore.testing.Shared.defaultPackTritonModel(), config, true);
        assertOnnxMatches(io.imagescore.testing.Shared.defaultPackMirroredTritonModel(),
                pbtxt("mobilenetv2-default-mirrored"), true);
    }

    @Test
    void default_pack_addresses_both_mobilenet_models_as_configured() throws IOException {
        ModelSpec encoder = new PackLoader(SHARED).load(Shared.root().resolve("packs/mobilenetv2-default")).encoder();
        for (ModelSpec model : List.of(encoder, encoder.mirrored())) {
            Map<String, List<Object>> config = pbtxt(model.tritonName());
            assertThat(model.maxBatch()).as(model.id()).isBetween(1, Integer.parseInt(one(config, "max_batch_size")));
            assertThat(model.tritonInputs()).map(DeployManifestsTest::asIo).containsExactlyElementsOf(tensors(config, "input"));
            assertThat(model.outputs()).map(DeployManifestsTest::asIo).containsExactlyInAnyOrderElementsOf(tensors(config, "output"));
        }
        assertThat(encoder.mirrored().tritonName()).isEqualTo("mobilenetv2-default-mirrored");
    }

    @Test
    void clip_configs_use_the_tensor_names_and_types_of_the_shared_clip_exports() throws Exception {
        // The shared tiny CLIP was exported with the same code path as scripts/export_clip_onnx.py; only D differs.
        // (It has no UINT8 image tower; ExportedClipBackendsTest serves the exporter's own, with its generated config.)
        assertOnnxMatches(SHARED.resolve("models/clip-tiny/tiny-clip-text.onnx"), pbtxt("clip-vit-b32-text"), false);
    }

    private static void assertOnnxMatches(Path onnx, Map<String, List<Object>> config, boolean compareDims) throws Exception {
        var env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(onnx.toString(), new OrtSession.SessionOptions())) {
            assertSame(session.getInputInfo(), tensors(config, "input"), compareDims, onnx);
            assertSame(session.getOutputInfo(), tensors(config, "output"), compareDims, onnx);
        }
    }

    private static void assertSame(Map<String, NodeInfo> actual, List<Io> declared, boolean compareDims, Path onnx) {
        assertThat(actual.keySet()).as(onnx + " tensor names").containsExactlyInAnyOrderElementsOf(declared.stream().map(Io::name).toList());
        for (Io io : declared) {
            TensorInfo info = (TensorInfo) actual.get(io.name()).getInfo();
            assertThat(info.type).as(io.name() + " type").isEqualTo(switch (io.type()) {
                case "TYPE_INT64" -> OnnxJavaType.INT64;
                case "TYPE_UINT8" -> OnnxJavaType.UINT8;
                default -> OnnxJavaType.FLOAT;
            });
            long[] shape = info.getShape();
            assertThat(shape[0]).as(io.name() + " batch dim must be dynamic").isEqualTo(-1L);
            if (compareDims) {
                assertThat(Arrays.stream(shape).skip(1).boxed().toList()).as(io.name() + " dims").isEqualTo(io.dims());
            } else {
                assertThat(shape.length - 1).as(io.name() + " rank").isEqualTo(io.dims().size());
            }
        }
    }

    @Test
    void pack_manifest_template_agrees_with_the_model_configs() throws IOException {
        JsonNode manifest = JsonMapper.builder().build().readTree(PACK.resolve("pack-manifest-template.json").toFile());
        // the FP32 image tower is pack-only (tritonName null): Triton serves the UINT8 one and the text tower
        List<JsonNode> served = new ArrayList<>();
        manifest.path("models").forEach(m -> {
            if (!m.path("tritonName").isNull()) {
                served.add(m);
            }
        });
        assertThat(served).extracting(m -> m.path("tritonName").asText()).containsExactly("clip-vit-b32-text", "clip-vit-b32-image-u8");
        for (JsonNode model : served) {
            Map<String, List<Object>> config = pbtxt(model.path("tritonName").asText());
            int maxBatch = Integer.parseInt(one(config, "max_batch_size"));
            assertThat(model.path("maxBatch").asInt()).as(model.path("id").asText() + " maxBatch").isEqualTo(maxBatch);
            for (String direction : List.of("input", "output")) {
                List<Io> fromManifest = new ArrayList<>();
                model.path(direction + "s").forEach(t -> {
                    List<Long> shape = new ArrayList<>();
                    t.path("shape").forEach(d -> shape.add(d.asLong()));
                    assertThat(shape.getFirst()).as("batch dim").isEqualTo(-1L);
                    fromManifest.add(new Io(t.path("name").asText(), "TYPE_" + t.path("type").asText(), shape.subList(1, shape.size())));
                });
                assertThat(fromManifest).as(model.path("id") + " " + direction + "s").isEqualTo(tensors(config, direction));
            }
        }
        // the aesthetic score is the pack's in-process head, not a served model
        assertThat(manifest.path("scores").get(0).path("head").asText()).isEqualTo("heads/aesthetic/1");
        assertThat(PACK.resolve("heads/aesthetic/1/head.json")).isRegularFile();
    }

    @Test
    void triton_mode_pack_loads_and_addresses_the_triton_image_tower_as_configured() throws IOException {
        ModelPack pack = new PackLoader(SHARED).load(PACK);
        ModelSpec encoder = pack.encoder();
        assertThat(encoder.file()).as("Triton-only pack: no local model file").isNull();
        Map<String, List<Object>> config = pbtxt(encoder.tritonName());
        assertThat(encoder.maxBatch()).isBetween(1, Integer.parseInt(one(config, "max_batch_size")));
        assertThat(encoder.tritonInputs()).map(DeployManifestsTest::asIo).containsExactlyElementsOf(tensors(config, "input"));
        assertThat(encoder.outputs()).map(DeployManifestsTest::asIo).containsExactlyElementsOf(tensors(config, "output"));
        assertThat(pack.embeddingOutput()).isEqualTo("image_embeds");
        assertThat(pack.preprocessing().size()).isEqualTo(224);
    }

    @Test
    void triton_mode_pack_aesthetic_head_reproduces_the_golden_laion_scores() throws IOException {
        ModelPack pack = new PackLoader(SHARED).load(PACK);
        HeadVersion head = pack.heads().get("aesthetic").lastEntry().getValue();
        JsonNode golden = JsonMapper.builder().build()
                .readTree(SHARED.resolve("models/laion-aesthetic/golden-scores.json").toFile())
                .path("sa_0_4_vit_b_32_linear").path("scores_for_rating0_to_9");
        assertThat(golden.size()).isEqualTo(10);
        for (int rating = 0; rating < 10; rating++) {
            float[] embedding = Shared.npyFloats(SHARED.resolve("models/laion-aesthetic/reference-embeddings/vit_b_32/rating" + rating + ".npy"));
            // raw (unnormalised) reference embedding: the head's l2_normalize must do the normalisation
            assertThat(head.head().apply(embedding)[0]).as("rating " + rating).isCloseTo((float) golden.get(rating).asDouble(), within(1e-3f));
        }
    }

    private static Io asIo(TensorSpec t) {
        return new Io(t.name(), "TYPE_" + t.type().name(), t.shape().subList(1, t.shape().size()));
    }

    @Test
    void containerfiles_use_glibc_bases_and_enable_native_access() throws IOException {
        String jvm = Files.readString(DEPLOY.resolve("Containerfile.jvm"));
        assertThat(jvm).contains("target/quarkus-app/").contains("--enable-native-access=ALL-UNNAMED")
                .contains("--add-modules=jdk.incubator.vector").contains("-Xss16m").containsPattern("FROM \\S+:25");
        // the image trains its JDK AOT cache as bin/serve does (bench/README.md, "Cold start") and starts with it;
        // .ci/jvm-image-aot-check runs both steps
        assertThat(jvm).contains("aot-train.sh app.aot").contains("-XX:AOTCache=app.aot");
        // compose builds the image with every named build context its RUN steps mount
        JsonNode build = compose().path("services").path("imagescore").path("build");
        assertThat(build.path("dockerfile").asText()).isEqualTo("deploy/Containerfile.jvm");
        java.util.regex.Matcher context = java.util.regex.Pattern.compile("--mount=type=bind,from=([\\w-]+)").matcher(jvm);
        List<String> contexts = new ArrayList<>();
        while (context.find()) {
            contexts.add(context.group(1));
        }
        assertThat(contexts).contains("shared");
        contexts.forEach(c -> assertThat(build.path("additional_contexts").has(c)).as("compose build context " + c).isTrue());
        // ONNX Runtime's native library and libturbojpeg need glibc: no musl (Alpine) base image
        assertThat(jvm.lines().filter(l -> l.startsWith("FROM"))).noneMatch(l -> l.toLowerCase().contains("alpine"));
        // the CLI's image: its jar (manifest Class-Path lib/) where the batch job's command looks for it
        String cli = Files.readString(DEPLOY.resolve("Containerfile.cli"));
        assertThat(cli).contains("imagescore-cli/target/imagescore-cli.jar /deployments/imagescore-cli.jar")
                .contains("imagescore-cli/target/lib/ /deployments/lib/").contains("--enable-native-access=ALL-UNNAMED")
                .containsPattern("FROM \\S+:25");
        assertThat(cli.lines().filter(l -> l.startsWith("FROM"))).noneMatch(l -> l.toLowerCase().contains("alpine"));
        String nativeFile = Files.readString(DEPLOY.resolve("Containerfile.native"));
        assertThat(nativeFile).containsPattern("FROM quay\\.io/quarkus/ubi9-quarkus-mandrel-builder-image:jdk-25 AS build")
                .containsPattern("FROM \\S*ubi9/ubi-minimal").contains("-Dnative").contains("--enable-native-access=ALL-UNNAMED").contains("--add-modules=jdk.incubator.vector");
    }

    // --------------------------------------------------------------------------------------------------- helpers

    static io.smallrye.config.SmallRyeConfig resolved(Map<String, String> env) {
        return AppConfigKeys.resolved(env);
    }

    @Test
    void every_variable_a_manifest_sets_is_one_the_application_reads_and_resolves_to_the_intended_value() {
        JsonNode knative = object("serving.knative.dev/v1", "Service", "imagescore").path("spec").path("template").path("spec")
                .path("containers").get(0);
        Map<String, String> compose = new LinkedHashMap<>();
        compose().path("services").path("imagescore").path("environment").fields()
                .forEachRemaining(e -> compose.put(e.getKey(), e.getValue().asText()));
        assertThat(AppConfigKeys.properties()).contains("imagescore.backend.triton.endpoints", "imagescore.packs.shared-dir",
                "imagescore.security.api-keys-file", "imagescore.store.kind", "imagescore.limits.max-request-bytes");
        assertThat(AppConfigKeys.reads("IMAGESCORE_BACKEND_TRITON_ENDPOINT")).as("a misspelt variable is refused").isFalse();
        assertThat(AppConfigKeys.reads("QUARKUS_GRPC_CLIENTS_TRITON_HOST")).as("a Quarkus variable no boot proves").isFalse();
        for (Map<String, String> env : List.of(env(knative), compose)) {
            assertThat(env.keySet()).as("variables the application reads").allSatisfy(name -> assertThat(AppConfigKeys.reads(name)).as(name).isTrue());
            var config = resolved(env);
            var backend = config.getConfigMapping(io.imagescore.config.ImageScoreConfig.class).backend();
            assertThat(backend.kind()).isEqualTo("triton");
            assertThat(backend.triton().endpoints()).as("Triton endpoints").hasValueSatisfying(e -> assertThat(e).isNotEmpty());
        }
        var k = resolved(env(knative));
        assertThat(k.getConfigMapping(io.imagescore.config.ImageScoreConfig.class).security().requireKeys()).isTrue();
        assertThat(k.getConfigMapping(io.imagescore.config.ImageScoreConfig.class).security().apiKeysFile()).hasValue(Path.of("/etc/imagescore/keys/api-keys.txt"));
        assertThat(k.getConfigMapping(io.imagescore.config.ImageScoreConfig.class).packs().sharedDir()).isEqualTo(Path.of("/shared"));
        assertThat(knative.path("volumeMounts").toString()).contains("/shared/models").contains("/etc/imagescore/keys");
    }

    static Map<String, String> env(JsonNode container) {
        Map<String, String> env = new LinkedHashMap<>();
        container.path("env").forEach(e -> env.put(e.path("name").asText(), e.path("value").asText()));
        return env;
    }

    private static Map<String, Integer> containerPorts(JsonNode container) {
        Map<String, Integer> ports = new LinkedHashMap<>();
        container.path("ports").forEach(p -> ports.put(p.path("name").asText(), p.path("containerPort").asInt()));
        return ports;
    }

    private static int resolvePort(JsonNode port, Map<String, Integer> named) {
        assertThat(port.isMissingNode()).as("port given").isFalse();
        if (port.isInt()) {
            assertThat(named).containsValue(port.asInt());
            return port.asInt();
        }
        assertThat(named).as("named port " + port.asText()).containsKey(port.asText());
        return named.get(port.asText());
    }

    private static JsonNode servicePort(JsonNode service, String name) {
        for (JsonNode p : service.path("spec").path("ports")) {
            if (p.path("name").asText().equals(name)) {
                return p;
            }
        }
        throw new AssertionError("service has no port " + name);
    }

    private static Set<String> mountPaths(JsonNode container) {
        Set<String> paths = new TreeSet<>();
        container.path("volumeMounts").forEach(m -> paths.add(m.path("mountPath").asText()));
        return paths;
    }

    /** Compose short volume syntax "source:target[:mode]" as target -> source. */
    private static Map<String, String> volumeSources(JsonNode composeService) {
        Map<String, String> byTarget = new LinkedHashMap<>();
        composeService.path("volumes").forEach(v -> {
            String[] parts = v.asText().split(":");
            byTarget.put(parts[1], parts[0]);
        });
        return byTarget;
    }

    private static Map<String, List<Object>> pbtxt(String model) throws IOException {
        return TextProto.parse(Files.readString(MODEL_REPO.resolve(model).resolve("config.pbtxt")));
    }

    private static List<Io> tensors(Map<String, List<Object>> config, String field) {
        return list(config, field).stream().map(o -> {
            Map<?, ?> t = (Map<?, ?>) o;
            return new Io(one(t, "name"), one(t, "data_type"), list(t, "dims").stream().map(d -> Long.parseLong((String) d)).toList());
        }).toList();
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Map<?, ?> message, String field) {
        return (List<Object>) ((Map<String, List<Object>>) message).getOrDefault(field, List.of());
    }

    private static Object single(Map<?, ?> message, String field) {
        List<Object> values = list(message, field);
        assertThat(values).as("field " + field).hasSize(1);
        return values.getFirst();
    }

    private static String one(Map<?, ?> message, String field) {
        return (String) single(message, field);
    }

    /** Follows nested messages; an absent field yields no values. */
    private static List<Object> path(Map<?, ?> message, String... fields) {
        List<Object> current = List.of(message);
        for (String f : fields) {
            List<Object> next = new ArrayList<>();
            current.forEach(m -> next.addAll(list((Map<?, ?>) m, f)));
            current = next;
        }
        return current;
    }

    /**
     * The subset of protobuf text format that config.pbtxt files use: scalar fields, nested messages, lists in [ ],
     * comments. A field maps to all its values in order (repeated fields and [ ] lists alike); a value is a String
     * (strings unquoted, enums and numbers as written) or a nested message. Protobuf's own TextFormat would need the
     * ModelConfig descriptor, which this test deliberately does not depend on.
     */
    static final class TextProto {
        private final List<String> tokens = new ArrayList<>();
        private int pos;

        static Map<String, List<Object>> parse(String text) {
            TextProto p = new TextProto(text);
            Map<String, List<Object>> message = p.message();
            if (p.pos != p.tokens.size()) {
                throw new IllegalArgumentException("unexpected '" + p.tokens.get(p.pos) + "' at top level");
            }
            return message;
        }

        private TextProto(String text) {
            int i = 0;
            while (i < text.length()) {
                char c = text.charAt(i);
                if (Character.isWhitespace(c)) {
                    i++;
                } else if (c == '#') {
                    while (i < text.length() && text.charAt(i) != '\n') i++;
                } else if ("{}[]:,".indexOf(c) >= 0) {
                    tokens.add(String.valueOf(c));
                    i++;
                } else if (c == '"') {
                    StringBuilder s = new StringBuilder("\"");
                    i++;
                    while (text.charAt(i) != '"') {
                        if (text.charAt(i) == '\\') i++;
                        s.append(text.charAt(i++));
                    }
                    i++;
                    tokens.add(s.toString());
                } else {
                    int start = i;
                    while (i < text.length() && (Character.isLetterOrDigit(text.charAt(i)) || "_.+-".indexOf(text.charAt(i)) >= 0)) i++;
                    if (start == i) throw new IllegalArgumentException("unexpected character '" + c + "'");
                    tokens.add(text.substring(start, i));
                }
            }
        }

        private Map<String, List<Object>> message() {
            Map<String, List<Object>> fields = new LinkedHashMap<>();
            while (pos < tokens.size() && !tokens.get(pos).equals("}")) {
                String name = tokens.get(pos++);
                if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) throw new IllegalArgumentException("bad field name " + name);
                boolean colon = accept(":");
                List<Object> values = fields.computeIfAbsent(name, k -> new ArrayList<>());
                if (accept("[")) {
                    while (!accept("]")) {
                        values.add(value());
                        accept(",");
                    }
                } else if (!colon && !tokens.get(pos).equals("{")) {
                    throw new IllegalArgumentException("field " + name + " needs ':' or '{'");
                } else {
                    values.add(value());
                }
            }
            return fields;
        }

        private Object value() {
            if (accept("{")) {
                Map<String, List<Object>> nested = message();
                expect("}");
                return nested;
            }
            String token = tokens.get(pos++);
            if ("{}[]:,".contains(token)) throw new IllegalArgumentException("value expected, got '" + token + "'");
            return token.startsWith("\"") ? token.substring(1) : token;
        }

        private boolean accept(String t) {
            if (pos < tokens.size() && tokens.get(pos).equals(t)) {
                pos++;
                return true;
            }
            return false;
        }

        private void expect(String t) {
            if (!accept(t)) throw new IllegalArgumentException("expected '" + t + "' at token " + pos);
        }
    }
}
