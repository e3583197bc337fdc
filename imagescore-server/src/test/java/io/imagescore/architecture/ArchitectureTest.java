package io.imagescore.architecture;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.EvaluationResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

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
    static final String[] CORE = {"io.imagescore.error..", "io.imagescore.image..", "io.imagescore.model", "io.imagescore.model.onnx..",
            "io.imagescore.model.triton",
            "io.imagescore.head..", "io.imagescore.pack..", "io.imagescore.score..", "io.imagescore.fit..",
            "io.imagescore.sort..", "io.imagescore.prompt..", "io.imagescore.text..", "io.imagescore.eval..",
            "io.imagescore.tenant..", "io.imagescore.store.."};
    /** io.imagescore.api without its generated subpackage v1 (imagescore-api), and health. */
    static final String[] SERVER = {"io.imagescore.api", "io.imagescore.health.."};
    static final String[] CLI = {"io.imagescore.cli..", "io.imagescore.batch.."};

    static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        // main classes only: not this module's test classes, nor core's and cli's test jars
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(location -> !location.contains("-tests.jar") && !location.contains("/test-classes/"))
                .importPackages("io.imagescore");
        // the import saw every module (an empty import would pass every rule below)
        assertThat(classes.contain("io.imagescore.score.ScoringPipeline")).isTrue();
        assertThat(classes.contain("io.imagescore.api.ScoreGrpcService")).isTrue();
        assertThat(classes.contain("io.imagescore.cli.ImageScoreCli")).isTrue();
        assertThat(classes.contain("io.imagescore.bench.LoadGenerator")).isTrue();
        assertThat(classes.contain("io.imagescore.api.v1.ImageScoreGrpc")).isTrue();
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
