package io.imagescore.architecture;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.lang.EvaluationResult;
import io.imagescore.api.ScoreGrpcService;
import io.imagescore.api.v1.ImageScoreGrpc;
import io.imagescore.bench.LoadGenerator;
import io.imagescore.cli.ImageScoreCli;
import io.imagescore.score.ScoringPipeline;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The module arrows of the build (docs/architecture.md) on the compiled main classes of every module (this module's
 * test classpath holds them all): api stubs ← core ← bench ← cli, core ← server; nothing depends on cli or server,
 * and core uses no Quarkus, Vert.x or gRPC-server class (its CDI beans carry only jakarta/MicroProfile annotations).
 */
class ArchitectureTest {
    /** Core's packages; the generated Triton stubs (io.imagescore.model.triton.v2) are imagescore-api's. */
    static final String[] CORE = {"io.imagescore.error..", "io.imagescore.image..", "io.imagescore.model",
            "io.imagescore.model.onnx..", "io.imagescore.model.triton", "io.imagescore.head..", "io.imagescore.pack..", "io.imagescore.score..", "io.imagescore.fit..",
            "io.imagescore.sort..", "io.imagescore.prompt..", "io.imagescore.text..", "io.imagescore.eval..",
            "io.imagescore.tenant..", "io.imagescore.store.."};
    /** io.imagescore.api without its generated subpackage v1 (imagescore-api), and health. */
    static final String[] SERVER = {"io.imagescore.api", "io.imagescore.health.."};
    static final String[] CLI = {"io.imagescore.cli..", "io.imagescore.batch.."};

    static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        // each module's main classes (directory or jar), found through one class of it: not the test classes or
        // test jars, and not the third-party jars (scanning all of them takes most of a minute)
        Set<Location> modules = Stream.of(ImageScoreGrpc.class, ScoringPipeline.class, LoadGenerator.class,
                        ImageScoreCli.class, ScoreGrpcService.class)
                .map(c -> Location.of(c.getProtectionDomain().getCodeSource().getLocation()))
                .collect(Collectors.toSet());
        classes = new ClassFileImporter().importLocations(modules);
        // five distinct modules were seen (an empty import would pass every rule below)
        assertThat(modules).hasSize(5);
        assertThat(classes.contain("io.imagescore.model.triton.v2.GRPCInferenceServiceGrpc")).isTrue();
    }

    @Test
    void layersPointOneWay() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("Stubs").definedBy("io.imagescore.api.v1..", "io.imagescore.model.triton.v2..")
                .layer("Core").definedBy(CORE)
                .layer("Bench").definedBy("io.imagescore.bench..")
                .layer("Cli").definedBy(CLI)
                .layer("Server").definedBy(SERVER)
                .whereLayer("Server").mayNotBeAccessedByAnyLayer()
                .whereLayer("Cli").mayNotBeAccessedByAnyLayer()
                .whereLayer("Bench").mayOnlyBeAccessedByLayers("Cli")
                .whereLayer("Core").mayOnlyBeAccessedByLayers("Bench", "Cli", "Server")
                .whereLayer("Stubs").mayOnlyBeAccessedByLayers("Core", "Bench", "Cli", "Server")
                .check(classes);
    }

    @Test
    void coreUsesNoQuarkusVertxOrGrpcServerClass() {
        noClasses().that().resideInAnyPackage(CORE)
                .should().dependOnClassesThat(QUARKUS_VERTX_OR_GRPC_SERVER)
                .check(classes);
    }

    @Test
    void theRulesSeeAViolation() {
        // the server's gRPC edge does use gRPC server classes: the predicate is not vacuous
        EvaluationResult edge = noClasses().that().resideInAnyPackage(SERVER)
                .should().dependOnClassesThat(QUARKUS_VERTX_OR_GRPC_SERVER).evaluate(classes);
        assertThat(edge.hasViolation()).isTrue();
    }

    static final DescribedPredicate<JavaClass> QUARKUS_VERTX_OR_GRPC_SERVER =
            resideInAnyPackage("io.quarkus..", "io.vertx..", "io.smallrye.mutiny..", "io.grpc.services..",
                    "io.grpc.protobuf.services..")
                    .or(DescribedPredicate.describe("a gRPC server class", (JavaClass c) -> c.getPackageName().startsWith("io.grpc")
                            && (c.getSimpleName().startsWith("Server") || c.getSimpleName().equals("BindableService")
                            || c.getName().equals("io.grpc.stub.ServerCalls"))))
                    .as("Quarkus, Vert.x, Mutiny or gRPC-server classes");
}
