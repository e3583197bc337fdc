package io.imagescore.batch;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.imagescore.batch.TlsCertificatesResource.CLIENT_KEY;
import static io.imagescore.batch.TlsCertificatesResource.CLIENT_PEM;
import static io.imagescore.batch.TlsCertificatesResource.SERVER_PEM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The batch command line ({@code imagescore batch --tls ...}) against the real service serving TLS with certificates
 * made at test time ({@link TlsCertificatesResource}; mutual TLS required). A TLS run scores real photos exactly like a
 * plaintext run on the same service; every misconfiguration — untrusted server certificate, no client certificate, a
 * wrong server name, plaintext to the TLS port — fails the run (exit 1) quickly with a message that names the cause,
 * instead of retrying a failure that is not transient.
 */
@QuarkusTest
@TestProfile(BatchTlsTest.TlsProfile.class)
class BatchTlsTest {

    public static class TlsProfile implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(TlsCertificatesResource.class));
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.http.ssl.client-auth", "required"); // build-time: a test resource cannot set it
        }
    }

    /** A failing run must not sit in backoff: 10 attempts of 250 ms doubling sleep at least 46 s before giving up. */
    static final long FAIL_FAST_MILLIS = 20_000;

    @TempDir
    Path tmp;

    record Run(int exitCode, String log, long millis) {
    }

    @Test
    void tls_run_scores_photos_like_a_plain_run_and_misconfigured_runs_fail_fast_with_the_cause() throws Exception {
        int plainPort = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        int tlsPort = ConfigProvider.getConfig().getValue("quarkus.http.test-ssl-port", Integer.class);
        assertThat(tlsPort).isPositive().isNotEqualTo(plainPort);
        Map<String, String> photos = BatchFixtures.photos(4);
        Path manifest = BatchFixtures.csv(tmp.resolve("m.csv"), photos);
        String tls = "localhost:" + tlsPort;
        List<String> mutual = List.of("--tls", "--ca-cert", SERVER_PEM.toString(), "--client-cert", CLIENT_PEM.toString(),
                "--client-key", CLIENT_KEY.toString());

        Run plain = batch(manifest, "plain", "localhost:" + plainPort, List.of());
        assertThat(plain.exitCode()).as(plain.log()).isZero();
        Run secure = batch(manifest, "tls", tls, mutual);
        assertThat(secure.exitCode()).as(secure.log()).isZero();
        List<BatchRow> p = BatchFixtures.rows(tmp.resolve("plain"), OutputFormat.CSV, BatchFixtures.IMAGENET);
        List<BatchRow> s = BatchFixtures.rows(tmp.resolve("tls"), OutputFormat.CSV, BatchFixtures.IMAGENET);
        assertThat(s).extracting(BatchRow::id).containsExactlyElementsOf(photos.keySet());
        assertThat(s).extracting(BatchRow::failed).containsOnly(false);
        for (int i = 0; i < s.size(); i++) {
            BatchRow a = s.get(i);
            BatchRow b = p.get(i);
            assertThat(a.sha256()).isEqualTo(b.sha256()).matches("[0-9a-f]{64}");
            assertThat(a.packHash()).isEqualTo(b.packHash());
            assertThat(a.classes().get("imagenet@1").label()).isEqualTo(b.classes().get("imagenet@1").label()).isNotBlank();
            assertThat(a.classes().get("imagenet@1").probability()).isCloseTo(b.classes().get("imagenet@1").probability(), within(1e-5));
        }

        // The JVM's trust store does not know the self-signed server certificate.
        assertFailsFast(batch(manifest, "no-ca", tls, List.of("--tls", "--client-cert", CLIENT_PEM.toString(),
                "--client-key", CLIENT_KEY.toString())), "TLS", "PKIX");
        // The server requires a client certificate.
        assertFailsFast(batch(manifest, "no-client-cert", tls, List.of("--tls", "--ca-cert", SERVER_PEM.toString())),
                "TLS", "certificate");
        // --authority is the name checked against the certificate (SAN localhost, 127.0.0.1).
        List<String> wrongName = new ArrayList<>(mutual);
        wrongName.addAll(List.of("--authority", "not-the-server.example"));
        assertFailsFast(batch(manifest, "wrong-name", tls, wrongName), "TLS", "not-the-server.example");
        // TLS options without --tls would silently talk plaintext.
        assertFailsFast(batch(manifest, "ca-without-tls", "localhost:" + plainPort, List.of("--ca-cert", SERVER_PEM.toString())),
                "need --tls");
        // Plaintext HTTP/2 to the TLS port: the server just closes the connection, which looks like a restarting
        // service and is retried like one (two attempts here), then named with the likely cause.
        assertFailsFast(batch(manifest, "plaintext-to-tls", tls, List.of("--max-attempts", "2")), "UNAVAILABLE", "add --tls");
    }

    static void assertFailsFast(Run run, String... inLog) {
        assertThat(run.exitCode()).as(run.log()).isEqualTo(1);
        assertThat(run.log()).contains("STOPPED").contains(inLog);
        assertThat(run.millis()).as(run.log()).isLessThan(FAIL_FAST_MILLIS);
    }

    /** {@code imagescore batch} as a user types it; its stderr (progress, summary, error) is captured. */
    Run batch(Path manifest, String out, String target, List<String> options) throws Exception {
        List<String> args = new ArrayList<>(List.of("--manifest", manifest.toString(), "--target", target,
                "--out", tmp.resolve(out).toString(), "--scores", "imagenet", "--progress", "none", "--chunk-size", "2"));
        args.addAll(options);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream err = System.err;
        long start = System.nanoTime();
        int code;
        System.setErr(new PrintStream(log, true));
        try {
            code = io.imagescore.cli.ImageScoreCli.commandLine(new BatchCommand()).execute(args.toArray(String[]::new));
        } finally {
            System.setErr(err);
        }
        Run run = new Run(code, log.toString(), (System.nanoTime() - start) / 1_000_000);
        err.printf("batch %s: exit %d in %d ms%n%s", out, run.exitCode(), run.millis(), run.log());
        return run;
    }
}
