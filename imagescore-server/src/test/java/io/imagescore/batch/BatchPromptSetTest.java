package io.imagescore.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.imagescore.api.ClipPackProfile;
import io.imagescore.api.v1.CreatePromptSetVersionRequest;
import io.imagescore.api.v1.ImageInput;
import io.imagescore.api.v1.ImageResult;
import io.imagescore.api.v1.ImageScoreGrpc;
import io.imagescore.api.v1.PromptAttribute;
import io.imagescore.api.v1.PromptPair;
import io.imagescore.api.v1.PromptSetSpec;
import io.imagescore.api.v1.PromptSetsGrpc;
import io.imagescore.api.v1.ScoreOptions;
import io.imagescore.api.v1.ScoreRequest;
import io.imagescore.api.v1.ZeroShotClassifier;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code imagescore batch --target … --prompt-set}: rows carry the prompt set's attribute and classifier columns with
 * the values the Score RPC gives for the same photos, and the run pins the version that was active at its start, so
 * activating a new version mid-run (or before a resume) cannot mix versions in one output.
 */
@QuarkusTest
@TestProfile(ClipPackProfile.class)
class BatchPromptSetTest {
    @TempDir
    Path tmp;

    static PromptSetSpec spec(String positive, String negative) {
        return PromptSetSpec.newBuilder().setPack("clip-tiny")
                .addAttributes(PromptAttribute.newBuilder().setName("good")
                        .addPairs(PromptPair.newBuilder().setPositive(positive).setNegative(negative)))
                .addClassifiers(ZeroShotClassifier.newBuilder().setName("room").addTemplates("a photo of a {}.")
                        .addClasses("kitchen").addClasses("bedroom").addClasses("bathroom"))
                .build();
    }

    @Test
    void rows_carry_prompt_scores_of_the_version_active_at_the_start() throws Exception {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        try {
            var sets = PromptSetsGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
            sets.createPromptSetVersion(CreatePromptSetVersionRequest.newBuilder().setTenant("batch").setName("listing")
                    .setSpec(spec("Good photo.", "Bad photo.")).build());
            Map<String, String> entries = BatchFixtures.photos(4);
            Path manifest = BatchFixtures.csv(tmp.resolve("m.csv"), entries);
            ScoreOptions options = ScoreOptions.newBuilder().setPack("clip-tiny").setTenant("batch").setPromptSet("listing")
                    .setTopK(1).build();
            var settings = new BatchRunner.Settings(new Input(manifest, null, null, null), Shard.ALL, tmp.resolve("run"),
                    OutputFormat.CSV, 2, 8, false, List.of(), "exact", Backoff.DEFAULT, Progress.Mode.NONE, 10_000);
            RemoteTarget target = new RemoteTarget("localhost:" + port, RemoteTarget.Tls.NONE, 1, 8, options, Backoff.DEFAULT);
            BatchSummary summary = new BatchRunner(settings, target, new PrintStream(new ByteArrayOutputStream())).run();
            assertThat(summary.error()).isNull();
            assertThat(summary.exitCode()).isZero();

            JsonNode run = new ObjectMapper().readTree(tmp.resolve("run/run.json").toFile());
            assertThat(run.at("/prompt_set/ref").asText()).isEqualTo("batch/listing@1");
            assertThat(run.at("/schema/scalars").toString()).contains("\"good@1\"");
            assertThat(run.at("/schema/classes").toString()).contains("\"room@1\"");

            // version 2 swaps the poles and becomes active; the batch rows stay those of version 1
            sets.createPromptSetVersion(CreatePromptSetVersionRequest.newBuilder().setTenant("batch").setName("listing")
                    .setSpec(spec("Bad photo.", "Good photo.")).setActivate(true).build());
            // rerunning the same command now resolves version 2: that is a different run, refused, not mixed in
            RemoteTarget again = new RemoteTarget("localhost:" + port, RemoteTarget.Tls.NONE, 1, 8, options, Backoff.DEFAULT);
            BatchSummary rerun = new BatchRunner(settings, again, new PrintStream(new ByteArrayOutputStream())).run();
            assertThat(rerun.exitCode()).isEqualTo(1);
            assertThat(rerun.error()).hasMessageContaining("different run");
            var schema = new OutputSchema(List.of("good@1"), List.of("room@1"), false);
            List<BatchRow> rows = BatchFixtures.rows(tmp.resolve("run"), OutputFormat.CSV, schema);
            assertThat(rows).extracting(BatchRow::id).containsExactlyElementsOf(entries.keySet());
            ScoreRequest.Builder req = ScoreRequest.newBuilder().setOptions(options.toBuilder().setPromptSetVersion("1"));
            for (Map.Entry<String, String> e : entries.entrySet()) {
                req.addImages(ImageInput.newBuilder().setId(e.getKey())
                        .setData(com.google.protobuf.ByteString.copyFrom(Files.readAllBytes(Path.of(e.getValue())))));
            }
            List<ImageResult> direct = ImageScoreGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                    .score(req.build()).getResultsList();
            for (int i = 0; i < rows.size(); i++) {
                BatchRow row = rows.get(i);
                ImageResult r = direct.get(i);
                double good = r.getScores().getScoresList().stream().filter(s -> s.getName().equals("good")).findFirst()
                        .orElseThrow().getValue();
                assertThat(row.scalars().get("good@1")).as(row.id()).isCloseTo(good, within(1e-6));
                assertThat(row.classes().get("room@1").label()).isEqualTo(r.getScores().getClasses(0).getTop(0).getLabel());
            }
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    void embedded_runs_refuse_a_prompt_set_with_a_usage_error() throws Exception {
        java.io.StringWriter err = new java.io.StringWriter();
        int rc = io.imagescore.cli.ImageScoreCli.commandLine(new BatchCommand()).setErr(new java.io.PrintWriter(err)).execute("--manifest",
                BatchFixtures.csv(tmp.resolve("m.csv"), BatchFixtures.photos(1)).toString(), "--embedded",
                "--out", tmp.resolve("run").toString(), "--prompt-set", "listing");
        assertThat(rc).isEqualTo(2);
        assertThat(err.toString()).contains("--prompt-set needs --target");
        assertThat(tmp.resolve("run")).doesNotExist();
    }
}
