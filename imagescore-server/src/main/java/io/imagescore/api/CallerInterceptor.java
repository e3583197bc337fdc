package io.imagescore.api;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.tenant.ApiKeys;
import io.imagescore.tenant.Role;
import io.imagescore.tenant.TenantNames;
import io.quarkus.grpc.GlobalInterceptor;
import io.quarkus.runtime.Startup;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.quarkus.tls.TlsConfiguration;
import io.quarkus.tls.TlsConfigurationRegistry;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Identity and tenancy for every RPC, in one place:
 * <ol>
 * <li>a Quarkus {@code SecurityIdentity} per call from the {@code authorization: Bearer <key>} metadata or the TLS
 * client certificate (both mapped by {@link ApiKeys}); no credentials or a bad key → {@code UNAUTHENTICATED}, a
 * trusted certificate no line names → {@code UNAUTHENTICATED / CERTIFICATE_NOT_MAPPED}, a key and a certificate of
 * different tenants → {@code UNAUTHENTICATED / CREDENTIALS_CONFLICT};</li>
 * <li>the role the RPC needs ({@link RpcRoles}) → else {@code PERMISSION_DENIED / ROLE_REQUIRED};</li>
 * <li>every {@code tenant} field of every request message: empty → the caller's tenant; another tenant →
 * {@code PERMISSION_DENIED / TENANT_MISMATCH} unless the caller is admin. So services only ever see the tenant they
 * may act on, and a list shows only the caller's state.</li>
 * </ol>
 * With no keys file the server serves loopback callers only, as the local administrator (tenant "default"), and says
 * so at start-up; health and reflection stay open (probes). Client certificates count only when the HTTP server's
 * TLS configuration (Quarkus TLS registry) has a trust store of its own: with none, the JVM's default trust store
 * would vouch for any public CA's certificate.
 */
@Startup
@GlobalInterceptor
@ApplicationScoped
public class CallerInterceptor implements ServerInterceptor {
    private static final Logger LOG = Logger.getLogger(CallerInterceptor.class);
    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    @Inject
    SecurityConfig config;
    @Inject
    io.imagescore.score.ScoreMetrics metrics;
    @Inject
    TlsConfigurationRegistry tlsRegistry;
    @ConfigProperty(name = "quarkus.http.tls-configuration-name")
    Optional<String> httpTlsConfiguration;

    private ApiKeys keys;
    /** The HTTP server's TLS configuration names its own trust store, so a client certificate it accepted is ours. */
    private boolean certificatesTrusted;
    private final Map<Descriptor, Boolean> hasTenant = new ConcurrentHashMap<>();

    @PostConstruct
    void init() {
        if (config.apiKeysFile().isPresent()) {
            keys = new ApiKeys(config.apiKeysFile().get());
            LOG.infof("Credentials required on every RPC (%d API keys, %d client-certificate lines in %s)", keys.size(),
                    keys.certificateLines(), keys.file());
            Optional<TlsConfiguration> tls = TlsConfiguration.from(tlsRegistry, httpTlsConfiguration);
            certificatesTrusted = tls.map(t -> t.getTrustStoreOptions() != null && !t.isTrustAll()).orElse(false);
            if (certificatesTrusted) {
                LOG.infof("Client certificates: issuers trusted by TLS configuration '%s'; 'cert' lines of %s map them to"
                        + " tenants", tls.get().getName(), keys.file());
            } else if (keys.certificateLines() > 0) {
                LOG.warnf("Client certificates are ignored: the HTTP TLS configuration has no trust store of its own"
                        + " (quarkus.tls.<name>.trust-store.*), so the 'cert' lines of %s map nothing", keys.file());
            }
        } else if (config.requireKeys()) {
            throw new IllegalStateException("imagescore.security.require-keys is true but imagescore.security.api-keys-file is not set");
        } else {
            LOG.warn("No API keys configured (imagescore.security.api-keys-file): only loopback callers are served,"
                    + " as the local administrator; calls from other hosts get UNAUTHENTICATED");
        }
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        Role needed = RpcRoles.required(call.getMethodDescriptor().getFullMethodName());
        if (needed == null) {
            return next.startCall(call, headers); // health, reflection
        }
        Caller caller;
        try {
            caller = authenticate(headers.get(AUTHORIZATION), call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR),
                    call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
            if (!caller.has(needed)) {
                throw new ImageScoreException(ErrorCode.ROLE_REQUIRED, call.getMethodDescriptor().getBareMethodName()
                        + " needs the role '" + needed.id() + "'; this caller has " + caller.identity().getRoles(),
                        Map.of("role", needed.id()), null);
            }
        } catch (ImageScoreException e) {
            reject(call, e);
            return new ServerCall.Listener<>() {
            };
        }
        Context context = Context.current().withValue(Caller.KEY, caller);
        ServerCall.Listener<Q> delegate = Contexts.interceptCall(context, call, headers, next);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
            private boolean rejected;

            @Override
            @SuppressWarnings("unchecked")
            public void onMessage(Q message) {
                if (rejected) {
                    return;
                }
                try {
                    Q bound = message instanceof Message m ? (Q) bindTenant(m, caller) : message;
                    super.onMessage(bound);
                } catch (ImageScoreException e) {
                    rejected = true;
                    reject(call, e);
                }
            }

            @Override
            public void onHalfClose() {
                if (!rejected) {
                    super.onHalfClose();
                }
            }
        };
    }

    /**
     * The caller from its API key or its client certificate. Both may come together: then they must name the same
     * tenant (a key used from another tenant's machine is refused, not silently preferred) and the key's roles apply,
     * since the key is the narrower, per-client credential. A certificate no line names does not block a valid key.
     */
    Caller authenticate(String authorization, SocketAddress peer, SSLSession tls) {
        if (keys == null) {
            if (peer instanceof InetSocketAddress isa && isa.getAddress() != null && isa.getAddress().isLoopbackAddress()) {
                return caller(TenantNames.DEFAULT_TENANT, java.util.Set.of(Role.ADMIN), "local");
            }
            throw new ImageScoreException(ErrorCode.UNAUTHENTICATED, "this server has no API keys configured and serves"
                    + " loopback callers only");
        }
        X509Certificate cert = certificatesTrusted ? peerCertificate(tls) : null;
        Optional<ApiKeys.Entry> byCert = cert == null ? Optional.empty() : keys.lookup(cert);
        if (authorization == null && cert != null) {
            ApiKeys.Entry entry = byCert.orElseThrow(() -> new ImageScoreException(ErrorCode.CERTIFICATE_NOT_MAPPED,
                    "the client certificate '" + cert.getSubjectX500Principal().getName() + "' is trusted but mapped to no"
                            + " tenant (no 'cert' line of the keys file names its subject or a SAN)"));
            return caller(entry.tenant(), entry.roles(), "client-certificate");
        }
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new ImageScoreException(ErrorCode.UNAUTHENTICATED, "send an API key as 'authorization: Bearer <key>' metadata"
                    + (certificatesTrusted ? " or connect with a client certificate" : ""));
        }
        String key = authorization.substring(7).strip();
        ApiKeys.Entry entry = keys.lookup(key).orElseThrow(() -> new ImageScoreException(ErrorCode.UNAUTHENTICATED,
                key.startsWith(RatingService.TOKEN_PREFIX) ? "a rater token (rtk_…) opens only its campaign's rating page;"
                        + " this call needs an API key" : "unknown API key"));
        if (byCert.isPresent() && !byCert.get().tenant().equals(entry.tenant())) {
            throw new ImageScoreException(ErrorCode.CREDENTIALS_CONFLICT, "the API key belongs to tenant '" + entry.tenant()
                    + "' but the client certificate to tenant '" + byCert.get().tenant() + "'; send credentials of one tenant",
                    Map.of("key_tenant", entry.tenant(), "certificate_tenant", byCert.get().tenant()), null);
        }
        return caller(entry.tenant(), entry.roles(), "api-key");
    }

    /** The verified leaf certificate the client presented, or null (plaintext, or TLS without a client certificate). */
    private static X509Certificate peerCertificate(SSLSession tls) {
        if (tls == null) {
            return null;
        }
        try {
            Certificate[] chain = tls.getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x ? x : null;
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }

    private static Caller caller(String tenant, java.util.Set<Role> roles, String mechanism) {
        QuarkusSecurityIdentity.Builder b = QuarkusSecurityIdentity.builder().setPrincipal(new QuarkusPrincipal(tenant))
                .addAttribute("tenant", tenant).addAttribute("mechanism", mechanism);
        roles.forEach(r -> b.addRole(r.id()));
        return new Caller(b.build(), tenant);
    }

    private void reject(ServerCall<?, ?> call, ImageScoreException e) {
        metrics.request(call.getMethodDescriptor().getBareMethodName(), e.code().name());
        StatusRuntimeException s = GrpcErrors.toStatus(e);
        call.close(s.getStatus(), s.getTrailers() == null ? new Metadata() : s.getTrailers());
    }

    /** Sets every empty {@code tenant} field to the caller's; refuses another tenant unless the caller is admin. */
    Message bindTenant(Message message, Caller caller) {
        if (!containsTenant(message.getDescriptorForType())) {
            return message;
        }
        Message.Builder b = null;
        for (FieldDescriptor f : message.getDescriptorForType().getFields()) {
            if (f.getName().equals("tenant") && f.getJavaType() == FieldDescriptor.JavaType.STRING && !f.isRepeated()) {
                String requested = (String) message.getField(f);
                if (requested.isEmpty()) {
                    b = b == null ? message.toBuilder() : b;
                    b.setField(f, caller.tenant());
                } else if (!requested.equals(caller.tenant()) && !caller.admin()) {
                    throw new ImageScoreException(ErrorCode.TENANT_MISMATCH, "this key belongs to tenant '" + caller.tenant()
                            + "' and cannot act on tenant " + TenantNames.quote(requested), Map.of("tenant", caller.tenant()), null);
                }
            } else if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && containsTenant(f.getMessageType())) {
                if (f.isRepeated()) {
                    int n = message.getRepeatedFieldCount(f);
                    for (int i = 0; i < n; i++) {
                        Message item = (Message) message.getRepeatedField(f, i);
                        Message bound = bindTenant(item, caller);
                        if (bound != item) {
                            b = b == null ? message.toBuilder() : b;
                            b.setRepeatedField(f, i, bound);
                        }
                    }
                } else if (message.hasField(f)) {
                    Message item = (Message) message.getField(f);
                    Message bound = bindTenant(item, caller);
                    if (bound != item) {
                        b = b == null ? message.toBuilder() : b;
                        b.setField(f, bound);
                    }
                }
            }
        }
        return b == null ? message : b.build();
    }

    private boolean containsTenant(Descriptor d) {
        Boolean known = hasTenant.get(d);
        if (known != null) {
            return known;
        }
        hasTenant.put(d, false); // recursion guard for self-referencing messages
        boolean found = false;
        for (FieldDescriptor f : d.getFields()) {
            if (f.getName().equals("tenant") || f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && containsTenant(f.getMessageType())) {
                found = true;
                break;
            }
        }
        hasTenant.put(d, found);
        return found;
    }
}
