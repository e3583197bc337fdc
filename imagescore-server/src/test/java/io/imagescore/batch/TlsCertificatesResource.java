package io.imagescore.batch;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Self-signed server and client certificates made at test time with the running JDK's own {@code keytool} (no
 * openssl), and the service configured to serve TLS on its unified gRPC + HTTP server with the server certificate,
 * trusting the client certificate (the profile makes client certificates required: a build-time setting). The
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
    static final String PASSWORD = "imagescore-test";

    @Override
    public Map<String, String> start() {
        try {
            Files.createDirectories(DIR);
            for (Path p : List.of(SERVER_P12, SERVER_PEM, CLIENT_P12, CLIENT_PEM, CLIENT_KEY)) {
                Files.deleteIfExists(p);
            }
            selfSigned(SERVER_P12, SERVER_PEM, "CN=localhost", "SAN=dns:localhost,ip:127.0.0.1");
            selfSigned(CLIENT_P12, CLIENT_PEM, "CN=imagescore-batch-test", null);
            writePkcs8Key(CLIENT_P12, CLIENT_KEY);
        } catch (IOException | InterruptedException | java.security.GeneralSecurityException e) {
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

    private static void selfSigned(Path keystore, Path pem, String dname, String san) throws IOException, InterruptedException {
        List<String> gen = new ArrayList<>(List.of("-genkeypair", "-alias", "key", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", dname, "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(),
                "-storepass", PASSWORD, "-keypass", PASSWORD));
        if (san != null) {
            gen.addAll(List.of("-ext", san));
        }
        keytool(gen);
        keytool(List.of("-exportcert", "-rfc", "-alias", "key", "-keystore", keystore.toString(), "-storepass", PASSWORD,
                "-file", pem.toString()));
    }

    /** keytool cannot export a private key; the keystore's PKCS#8 encoding, base64 in PEM armour, is what gRPC reads. */
    private static void writePkcs8Key(Path keystore, Path pem) throws IOException, java.security.GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        PrivateKey key = (PrivateKey) ks.getKey("key", PASSWORD.toCharArray());
        Files.writeString(pem, "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key.getEncoded())
                + "\n-----END PRIVATE KEY-----\n");
    }

    private static void keytool(List<String> args) throws IOException, InterruptedException {
        Path java = Path.of(ProcessHandle.current().info().command().orElseThrow(() -> new IllegalStateException("no java command")));
        List<String> cmd = new ArrayList<>();
        cmd.add(java.resolveSibling("keytool").toString());
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("keytool " + args.getFirst() + " failed: " + out);
        }
    }
}
