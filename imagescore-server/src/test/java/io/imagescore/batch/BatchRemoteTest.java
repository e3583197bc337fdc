package io.imagescore.batch;

import io.imagescore.api.v1.ScoreOptions;
import io.imagescore.image.PreprocessMode;
import io.imagescore.testing.Shared;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The batch tool against the real service over ScoreStream, compared row by row with the embedded pipeline. */
@QuarkusTest
class BatchRemoteTest {
    // The served pack may carry head versions fitted by other tests in this application (its hash then differs from
    // the plain pack directory the embedded run loads): remote rows must name the pack the service really serves to
    // this caller (loopback without keys: the default tenant).
    @jakarta.inject.Inject
    io.imagescore.pack.PackRegistry packs;
    @TempDir
    Path tmp;

    @Test
    void remote_rows_equal_embedded_rows_for_the_same_photos_and_bad_files() throws Exception {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        Map<String, String> entries = new LinkedHashMap<>(BatchFixtures.photos(9));
        entries.put("text", BatchFixtures.notAnImage(tmp).toString());
        entries.put("missing", tmp.resolve("gone.jpg").toString());
        Path m = BatchFixtures.csv(tmp.resolve("m.csv"), entries);

        var remoteSettings = new BatchRunner.Settings(new Input(m, null, null, null), Shard.ALL, tmp.resolve("remote"),
                OutputFormat.PARQUET, 4, 16, true, List.of("imagenet"), "exact", Backoff.DEFAULT, Progress.Mode.NONE, 10_000);
        RemoteTarget remote = new RemoteTarget("localhost:" + port, RemoteTarget.Tls.NONE, 2, 8,
                ScoreOptions.newBuilder().addScores("imagenet").setIncludeEmbedding(true).setTopK(1).build(), Backoff.DEFAULT);
        BatchSummary rs = new BatchRunner(remoteSettings, remote, new PrintStream(new ByteArrayOutputStream())).run();
        assertThat(rs.error()).isNull();
        assertThat(rs.exitCode()).isEqualTo(2);

        var embeddedSettings = new BatchRunner.Settings(new Input(m, null, null, null), Shard.ALL, tmp.resolve("embedded"),
                OutputFormat.PARQUET, 4, 16, true, List.of("imagenet"), "exact", Backoff.DEFAULT, Progress.Mode.NONE, 10_000);
        EmbeddedTarget embedded = new EmbeddedTarget(Shared.root().resolve("packs/mobilenetv2-default"), Shared.dir(), 2, 1, 8,
                List.of("imagenet"), true, PreprocessMode.EXACT);
        assertThat(new BatchRunner(embeddedSettings, embedded, new PrintStream(new ByteArrayOutputStream())).run().exitCode()).isEqualTo(2);

        OutputSchema schema = new OutputSchema(List.of(), List.of("imagenet@1"), true);
        List<BatchRow> r = BatchFixtures.rows(tmp.resolve("remote"), OutputFormat.PARQUET, schema);
        List<BatchRow> e = BatchFixtures.rows(tmp.resolve("embedded"), OutputFormat.PARQUET, schema);
        assertThat(r).extracting(BatchRow::id).containsExactlyElementsOf(entries.keySet());
        assertThat(r).hasSameSizeAs(e);
        for (int i = 0; i < r.size(); i++) {
            BatchRow a = r.get(i);
            BatchRow b = e.get(i);
            assertThat(a.errorCode()).as(a.id()).isEqualTo(b.errorCode());
            if (a.packHash() == null) { // rows of files the client could not read name no pack
                assertThat(b.packHash()).isNull();
            } else {
                assertThat(a.packHash()).isEqualTo(packs.get(io.imagescore.tenant.TenantNames.DEFAULT_TENANT, "mobilenetv2-default").contentHash());
                assertThat(b.packHash()).matches("[0-9a-f]{64}");
            }
            assertThat(a.preprocessingId()).isEqualTo(b.preprocessingId());
            assertThat(a.sha256()).isEqualTo(b.sha256());
            if (!a.failed()) {
                assertThat(a.classes().get("imagenet@1").label()).isEqualTo(b.classes().get("imagenet@1").label());
                assertThat(a.classes().get("imagenet@1").probability()).isCloseTo(b.classes().get("imagenet@1").probability(), within(1e-4));
                assertThat(a.embedding()).hasSize(1280).containsExactly(b.embedding(), org.assertj.core.data.Offset.offset(1e-4f));
            }
        }
    }
    @Test
    void naming_no_score_writes_the_packs_default_set_remote_and_embedded_alike() throws Exception {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        Path m = BatchFixtures.csv(tmp.resolve("d.csv"), BatchFixtures.photos(2));
        var remoteSettings = new BatchRunner.Settings(new Input(m, null, null, null), Shard.ALL, tmp.resolve("remote-default"),
                OutputFormat.CSV, 4, 16, false, List.of(), "exact", Backoff.DEFAULT, Progress.Mode.NONE, 10_000);
        RemoteTarget remote = new RemoteTarget("localhost:" + port, RemoteTarget.Tls.NONE, 1, 8,
                ScoreOptions.newBuilder().setTopK(1).build(), Backoff.DEFAULT);
        assertThat(new BatchRunner(remoteSettings, remote, new PrintStream(new ByteArrayOutputStream())).run().exitCode()).isZero();
        var embeddedSettings = new BatchRunner.Settings(new Input(m, null, null, null), Shard.ALL, tmp.resolve("embedded-default"),
                OutputFormat.CSV, 4, 16, false, List.of(), "exact", Backoff.DEFAULT, Progress.Mode.NONE, 10_000);
        EmbeddedTarget embedded = new EmbeddedTarget(Shared.root().resolve("packs/mobilenetv2-default"), Shared.dir(), 1, 1, 8,
                List.of(), false, PreprocessMode.EXACT);
        assertThat(new BatchRunner(embeddedSettings, embedded, new PrintStream(new ByteArrayOutputStream())).run().exitCode()).isZero();

        OutputSchema schema = new OutputSchema(List.of("quality_fast@1"), List.of("imagenet@1"), false);
        for (String run : List.of("remote-default", "embedded-default")) {
            var written = RunDirectory.describe(tmp.resolve(run)).get("schema");
            assertThat(written.get("scalars").toString()).as(run).isEqualTo("[\"quality_fast@1\"]");
            assertThat(written.get("classes").toString()).as(run).isEqualTo("[\"imagenet@1\"]");
        }
        List<BatchRow> r = BatchFixtures.rows(tmp.resolve("remote-default"), OutputFormat.CSV, schema);
        List<BatchRow> e = BatchFixtures.rows(tmp.resolve("embedded-default"), OutputFormat.CSV, schema);
        assertThat(r).hasSize(2).hasSameSizeAs(e);
        for (int i = 0; i < r.size(); i++) {
            assertThat(r.get(i).scalars().get("quality_fast@1")).as(r.get(i).id())
                    .isNotNull().isCloseTo(e.get(i).scalars().get("quality_fast@1"), within(1e-3));
            assertThat(r.get(i).classes().get("imagenet@1").label()).isEqualTo(e.get(i).classes().get("imagenet@1").label());
        }
    }
}
