package io.imagescore.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates made at test time with the running JDK's own {@code keytool} (no openssl, no extra library): self-signed
 * ones, a CA and certificates it signs. Each key pair lives in a PKCS#12 keystore (password {@link #PASSWORD}, alias
 * {@code key}); {@link #writeKey} exports its private key as the PKCS#8 PEM file gRPC and the TLS registry read.
 */
public final class TestCertificates {
    public static final String PASSWORD = "imagescore-test";

    private TestCertificates() {
    }

    /**
     * A self-signed certificate for {@code dname} (optional {@code san}, e.g. {@code dns:localhost,ip:127.0.0.1}),
     * exported to {@code pem} unless that is null.
     */
    public static void selfSigned(Path keystore, Path pem, String dname, String san) throws IOException {
        keyPair(keystore, dname, san == null ? List.of() : List.of("-ext", "SAN=" + san));
        if (pem != null) {
            export(keystore, pem);
        }
    }

    private static void export(Path keystore, Path pem) throws IOException {
        keytool(List.of("-exportcert", "-rfc", "-alias", "key", "-keystore", keystore.toString(), "-storepass", PASSWORD,
                "-file", pem.toString()));
    }

    /** A self-signed CA (basic constraints CA:true) that {@link #signed} uses. */
    public static void certificateAuthority(Path keystore, Path pem, String dname) throws IOException {
        keyPair(keystore, dname, List.of("-ext", "bc:c", "-ext", "KeyUsage=keyCertSign,cRLSign"));
        export(keystore, pem);
    }

    /** A key pair for {@code dname} whose certificate {@code ca} signs ({@code pem}: the certificate alone). */
    public static void signed(Path ca, Path keystore, Path pem, String dname, String san) throws IOException {
        keyPair(keystore, dname, List.of());
        Path request = Path.of(keystore + ".csr");
        keytool(List.of("-certreq", "-alias", "key", "-keystore", keystore.toString(), "-storepass", PASSWORD,
                "-file", request.toString()));
        List<String> gen = new ArrayList<>(List.of("-gencert", "-rfc", "-alias", "key", "-keystore", ca.toString(),
                "-storepass", PASSWORD, "-infile", request.toString(), "-outfile", pem.toString(), "-validity", "2"));
        if (san != null) {
            gen.addAll(List.of("-ext", "SAN=" + san));
        }
        keytool(gen);
    }

    /** keytool cannot export a private key; the keystore's PKCS#8 encoding, base64 in PEM armour, is what gRPC reads. */
    public static void writeKey(Path keystore, Path pem) throws IOException {
        try (InputStream in = Files.newInputStream(keystore)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, PASSWORD.toCharArray());
            PrivateKey key = (PrivateKey) ks.getKey("key", PASSWORD.toCharArray());
            Files.writeString(pem, "-----BEGIN PRIVATE KEY-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key.getEncoded())
                    + "\n-----END PRIVATE KEY-----\n");
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read the key of " + keystore, e);
        }
    }

    private static void keyPair(Path keystore, String dname, List<String> ext) throws IOException {
        Files.deleteIfExists(keystore);
        List<String> gen = new ArrayList<>(List.of("-genkeypair", "-alias", "key", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", dname, "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(),
                "-storepass", PASSWORD, "-keypass", PASSWORD));
        gen.addAll(ext);
        keytool(gen);
    }

    private static void keytool(List<String> args) throws IOException {
        Path java = Path.of(ProcessHandle.current().info().command().orElseThrow(() -> new IllegalStateException("no java command")));
        List<String> cmd = new ArrayList<>();
        cmd.add(java.resolveSibling("keytool").toString());
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("keytool " + args.getFirst() + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
