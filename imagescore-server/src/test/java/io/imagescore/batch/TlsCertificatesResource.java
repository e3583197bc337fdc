package io.imagescore.batch;

import io.imagescore.testing.TestCertificates;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Self-signed server and client certificates made at test time ({@link TestCertificates}: the JDK's own keytool),
 * and the service configured to serve TLS on its unified gRPC + HTTP server with the server certificate, trusting the
 * client certificate (the profile makes client certificates required: a build-time setting). The
 * plaintext port stays open, so one application serves both a plain and a TLS run of the batch tool.
 */
public class TlsCertificatesResource implements QuarkusTestResourceLifecycleManager {
    static final Path DIR = Path.of("target/tls-test").toAbsolutePath();
    static final Path SERVER_P12 = DIR.resolve("server.p12");
    /** The server's certificate: the CA a client passes with {@code --ca-cert}. */
    static final Path SERVER_PEM = DIR.resolve("server.pem");
    static final Path CLIENT_P12 = DIR.resolve("client.p12");
    static final Path CLIENT_PEM = DIR.resolve("client.pem");
    /** The client's private key as PKCS#8 PEM ({@code --client-key}). */
    static final Path CLIENT_KEY = DIR.resolve("client.key");
    static final String PASSWORD = TestCertificates.PASSWORD;

    @Override
    public Map<String, String> start() {
        try {
            Files.createDirectories(DIR);
            for (Path p : List.of(SERVER_P12, SERVER_PEM, CLIENT_P12, CLIENT_PEM, CLIENT_KEY)) {
                Files.deleteIfExists(p);
            }
            TestCertificates.selfSigned(SERVER_P12, SERVER_PEM, "CN=localhost", "dns:localhost,ip:127.0.0.1");
            TestCertificates.selfSigned(CLIENT_P12, CLIENT_PEM, "CN=imagescore-batch-test", null);
            TestCertificates.writeKey(CLIENT_P12, CLIENT_KEY);
        } catch (IOException e) {
            throw new IllegalStateException("could not make the test certificates", e);
        }
        return Map.of(
                "quarkus.tls.imagescore-test.key-store.p12.path", SERVER_P12.toString(),
                "quarkus.tls.imagescore-test.key-store.p12.password", PASSWORD,
                "quarkus.tls.imagescore-test.trust-store.pem.certs", CLIENT_PEM.toString(),
                "quarkus.http.tls-configuration-name", "imagescore-test",
                // Required client authentication turns the plaintext port off unless this is set explicitly; the test
                // keeps it for its plain baseline run and for a plaintext client against the TLS port.
                "quarkus.http.insecure-requests", "enabled",
                "quarkus.http.test-ssl-port", "0");
    }

    @Override
    public void stop() {
    }
}
