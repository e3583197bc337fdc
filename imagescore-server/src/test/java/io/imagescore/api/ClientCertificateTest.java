package io.imagescore.api;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.imagescore.api.v1.GetRegulationRequest;
import io.imagescore.api.v1.ImageSortGrpc;
import io.imagescore.api.v1.ListRegulationsRequest;
import io.imagescore.api.v1.PutRegulationRequest;
import io.imagescore.api.v1.Regulation;
import io.imagescore.tenant.ApiKeys;
import io.imagescore.testing.TestCertificates;
import io.netty.handler.ssl.SslContextBuilder;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.X509ExtendedKeyManager;

import static io.imagescore.api.ScoreGrpcServiceTest.assertStatus;
import static io.imagescore.api.TenancyTest.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The TLS-only production profile ({@code tls}, application.properties) with client certificates made in the test by
 * a test CA: no plaintext listener; a certificate maps to its tenant through a {@code cert} line (by subject or by
 * SAN) and sees only that tenant's state; a trusted but unmapped certificate is refused with a stable reason until a
 * line for it is appended to the running server's keys file; a forged certificate with a mapped subject fails the
 * handshake; an API key and a certificate of different tenants are refused.
 */
@QuarkusTest
@TestProfile(ClientCertificateTest.TlsOnly.class)
class ClientCertificateTest {
    static final Path DIR = Path.of("target/mtls-test").toAbsolutePath();
    static final Path KEYS = DIR.resolve("keys.txt");
    static final String KEY_B = "isk_mtls-tenant-b-key";

    public static class TlsOnly implements QuarkusTestProfile {
        @Override
        public String getConfigProfile() {
            return "test,tls";
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(Certificates.class));
        }
    }

    /**
     * tls.crt/tls.key/ca.crt where the profile reads them (imagescore.security.tls-dir); clients a (mapped by subject),
     * b (by SAN), c (signed by the CA, mapped by no line yet) and a forged a (self-signed, a's subject).
     */
    public static class Certificates implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            try {
                Files.createDirectories(DIR);
                Path ca = DIR.resolve("ca.p12");
                TestCertificates.certificateAuthority(ca, DIR.resolve("ca.crt"), "CN=imagescore test CA");
                // keytool is a JVM start per step: the independent chains run side by side
                try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                    List<Future<?>> steps = List.of(
                            pool.submit(() -> {
                                TestCertificates.selfSigned(DIR.resolve("server.p12"), DIR.resolve("tls.crt"), "CN=localhost",
                                        "dns:localhost,ip:127.0.0.1");
                                TestCertificates.writeKey(DIR.resolve("server.p12"), DIR.resolve("tls.key"));
                                return null;
                            }),
                            pool.submit(() -> client(ca, "a", "CN=client-a,O=imagescore test", null)),
                            pool.submit(() -> client(ca, "b", "CN=batch,O=imagescore test", "dns:batch.tenant-b.test")),
                            pool.submit(() -> client(ca, "c", "CN=client-c,O=imagescore test", null)),
                            // the forged client reads its keystore directly (forged()), so no PEM files
                            pool.submit(() -> {
                                TestCertificates.selfSigned(DIR.resolve("forged.p12"), null, "CN=client-a,O=imagescore test", null);
                                return null;
                            }));
                    for (Future<?> f : steps) {
                        f.get();
                    }
                } catch (InterruptedException | ExecutionException e) {
                    throw new IllegalStateException("could not make the test certificates", e);
                }
                Files.writeString(KEYS, String.join("\n",
                        "# subject lines match in RFC 2253 canonical form: case and spacing do not matter",
                        "cert tenant-a score,configure subject=cn=Client-A, o=Imagescore Test",
                        "cert tenant-b score,configure san=dns:BATCH.tenant-b.test",
                        ApiKeys.hash(KEY_B) + " tenant-b score,configure", ""));
                Files.setLastModifiedTime(KEYS, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 10_000));
                String plainPort;
                try (ServerSocket s = new ServerSocket(0)) {
                    plainPort = Integer.toString(s.getLocalPort());
                }
                return Map.of(
                        "imagescore.security.tls-dir", DIR.toString(),
                        "imagescore.security.api-keys-file", KEYS.toString(),
                        "imagescore.data-dir", Files.createTempDirectory("imagescore-mtls").toString(),
                        // a fixed plaintext port, so the test can show that nothing listens there
                        "quarkus.http.test-port", plainPort,
                        "%test.quarkus.http.test-port", plainPort,
                        "quarkus.http.test-ssl-port", "0");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void stop() {
        }

        static Void client(Path ca, String name, String dname, String san) throws IOException {
            TestCertificates.signed(ca, DIR.resolve(name + ".p12"), DIR.resolve(name + ".pem"), dname, san);
            TestCertificates.writeKey(DIR.resolve(name + ".p12"), DIR.resolve(name + ".key"));
            return null;
        }
    }

    final List<ManagedChannel> channels = new ArrayList<>();

    @AfterEach
    void close() throws InterruptedException {
        for (ManagedChannel c : channels) {
            c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    static int tlsPort() {
        return ConfigProvider.getConfig().getValue("quarkus.http.test-ssl-port", Integer.class);
    }

    /** A channel to the TLS port trusting the test server certificate, presenting {@code client}'s certificate if any. */
    ImageSortGrpc.ImageSortBlockingStub sort(String client, String key) {
        SslContextBuilder ssl = GrpcSslContexts.forClient().trustManager(DIR.resolve("tls.crt").toFile());
        if (client != null) {
            ssl.keyManager(DIR.resolve(client + ".pem").toFile(), DIR.resolve(client + ".key").toFile());
        }
        try {
            ManagedChannel c = NettyChannelBuilder.forAddress("localhost", tlsPort()).sslContext(ssl.build()).build();
            channels.add(c);
            return as(key, ImageSortGrpc.newBlockingStub(c));
        } catch (SSLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A channel presenting the forged certificate whatever issuers the server asks for. */
    ImageSortGrpc.ImageSortBlockingStub forged() throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(DIR.resolve("forged.p12"))) {
            ks.load(in, TestCertificates.PASSWORD.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, TestCertificates.PASSWORD.toCharArray());
        X509ExtendedKeyManager km = (X509ExtendedKeyManager) kmf.getKeyManagers()[0];
        X509ExtendedKeyManager always = new X509ExtendedKeyManager() {
            public String[] getClientAliases(String type, Principal[] issuers) {
                return new String[] {"key"};
            }

            public String chooseClientAlias(String[] type, Principal[] issuers, Socket socket) {
                return "key";
            }

            public String chooseEngineClientAlias(String[] type, Principal[] issuers, SSLEngine engine) {
                return "key";
            }

            public String[] getServerAliases(String type, Principal[] issuers) {
                return null;
            }

            public String chooseServerAlias(String type, Principal[] issuers, Socket socket) {
                return null;
            }

            public X509Certificate[] getCertificateChain(String alias) {
                return km.getCertificateChain(alias);
            }

            public PrivateKey getPrivateKey(String alias) {
                return km.getPrivateKey(alias);
            }
        };
        ManagedChannel c = NettyChannelBuilder.forAddress("localhost", tlsPort()).sslContext(GrpcSslContexts.forClient()
                .trustManager(DIR.resolve("tls.crt").toFile()).keyManager(always).build()).build();
        channels.add(c);
        return as("", ImageSortGrpc.newBlockingStub(c));
    }

    static final Regulation ROOMS = TenancyTest.ROOMS;

    @Test
    void the_tls_profile_leaves_no_plaintext_listener_and_tls_with_a_key_works() {
        int plainPort = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        assertThat(tlsPort()).isPositive().isNotEqualTo(plainPort);
        // the configured plaintext port: nothing accepts a connection there
        assertThatThrownBy(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("localhost", plainPort), 2_000);
            }
        }).isInstanceOf(ConnectException.class);
        // plaintext HTTP/2 to the TLS port: the server only speaks TLS there
        ManagedChannel plain = ManagedChannelBuilder.forAddress("localhost", tlsPort()).usePlaintext().build();
        channels.add(plain);
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> as(KEY_B, ImageSortGrpc.newBlockingStub(plain)).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .listRegulations(ListRegulationsRequest.getDefaultInstance()));
        assertThat(e).isNotNull();
        assertThat(e.getStatus().getCode()).isIn(Status.Code.UNAVAILABLE, Status.Code.INTERNAL);

        // server-only TLS: credentials are still required, and an API key is enough
        assertStatus(() -> sort(null, "").listRegulations(ListRegulationsRequest.getDefaultInstance()),
                Status.Code.UNAUTHENTICATED, "UNAUTHENTICATED", "or connect with a client certificate");
        assertThat(sort(null, KEY_B).listRegulations(ListRegulationsRequest.getDefaultInstance()).getRegulationsList())
                .noneMatch(r -> r.getName().equals("rooms-mtls"));
    }

    @Test
    void a_client_certificate_acts_as_its_tenant_and_a_new_mapping_line_works_without_a_restart() throws Exception {
        var a = sort("a", "");
        var b = sort("b", "");
        var stored = a.putRegulation(PutRegulationRequest.newBuilder().setName("rooms-mtls").setRegulation(ROOMS).build());
        assertThat(stored.getTenant()).as("the certificate's tenant, from its subject line").isEqualTo("tenant-a");
        assertThat(a.listRegulations(ListRegulationsRequest.getDefaultInstance()).getRegulationsList())
                .extracting(r -> r.getName()).contains("rooms-mtls");
        // b is tenant-b through its SAN line: it sees none of tenant-a's state and cannot name tenant-a
        assertThat(b.listRegulations(ListRegulationsRequest.getDefaultInstance()).getRegulationsList())
                .noneMatch(r -> r.getName().equals("rooms-mtls"));
        assertStatus(() -> b.getRegulation(GetRegulationRequest.newBuilder().setTenant("tenant-a").setName("rooms-mtls").build()),
                Status.Code.PERMISSION_DENIED, "TENANT_MISMATCH", "tenant-a");
        // a key and a certificate of one tenant agree; of two tenants they are refused
        assertThat(sort("b", KEY_B).listRegulations(ListRegulationsRequest.getDefaultInstance()).getRegulationsCount())
                .isEqualTo(b.listRegulations(ListRegulationsRequest.getDefaultInstance()).getRegulationsCount());
        assertStatus(() -> sort("a", KEY_B).listRegulations(ListRegulationsRequest.getDefaultInstance()),
                Status.Code.UNAUTHENTICATED, "CREDENTIALS_CONFLICT", "tenant 'tenant-b' but the client certificate to tenant 'tenant-a'");
        // a certificate with a's subject that the CA did not sign never gets past the handshake (sent even though the
        // server's list of accepted issuers does not name its issuer, as an attacker's client would)
        StatusRuntimeException forged = catchThrowableOfType(StatusRuntimeException.class,
                () -> forged().listRegulations(ListRegulationsRequest.getDefaultInstance()));
        assertThat(forged).isNotNull();
        assertThat(forged.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);

        // c is trusted (the CA signed it) but no line names it, until one is appended to the running server's file
        var c = sort("c", "");
        assertStatus(() -> c.listRegulations(ListRegulationsRequest.getDefaultInstance()),
                Status.Code.UNAUTHENTICATED, "CERTIFICATE_NOT_MAPPED", "CN=client-c");
        Files.writeString(KEYS, "cert tenant-c score subject=CN=client-c,O=imagescore test\n", StandardOpenOption.APPEND);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            try {
                assertThat(c.listRegulations(ListRegulationsRequest.getDefaultInstance()).getRegulationsList()).isEmpty();
                break;
            } catch (StatusRuntimeException e) {
                if (System.nanoTime() > until) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
        assertStatus(() -> c.putRegulation(PutRegulationRequest.newBuilder().setName("x").setRegulation(ROOMS).build()),
                Status.Code.PERMISSION_DENIED, "ROLE_REQUIRED", "needs the role 'configure'");
    }
}
