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
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Identity and tenancy for every RPC, in one place:
 * <ol>
 * <li>a Quarkus {@code SecurityIdentity} per call from the {@code authorization: Bearer <key>} metadata (keys from
 * {@link ApiKeys}); no key or a bad one → {@code UNAUTHENTICATED};</li>
 * <li>the role the RPC needs ({@link RpcRoles}) → else {@code PERMISSION_DENIED / ROLE_REQUIRED};</li>
 * <li>every {@code tenant} field of every request message: empty → the caller's tenant; another tenant →
 * {@code PERMISSION_DENIED / TENANT_MISMATCH} unless the caller is admin. So services only ever see the tenant they
 * may act on, and a list shows only the caller's state.</li>
 * </ol>
 * With no keys file the server serves loopback callers only, as the local administrator (tenant "default"), and says
 * so at start-up; health and reflection stay open (probes).
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

    private ApiKeys keys;
    private final Map<Descriptor, Boolean> hasTenant = new ConcurrentHashMap<>();

    @PostConstruct
    void init() {
        if (config.apiKeysFile().isPresent()) {
            keys = new ApiKeys(config.apiKeysFile().get());
            LOG.infof("API keys required on every RPC (%d keys in %s)", keys.size(), keys.file());
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
            caller = authenticate(headers.get(AUTHORIZATION), call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
            if (!caller.has(needed)) {
                throw new ImageScoreException(ErrorCode.ROLE_REQUIRED, call.getMethodDescriptor().getBareMethodName()
                        + " needs the role '" + needed.id() + "'; this key has " + caller.identity().getRoles(),
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

    private Caller authenticate(String authorization, SocketAddress peer) {
        if (keys == null) {
            if (peer instanceof InetSocketAddress isa && isa.getAddress() != null && isa.getAddress().isLoopbackAddress()) {
                return caller(TenantNames.DEFAULT_TENANT, java.util.Set.of(Role.ADMIN), "local");
            }
            throw new ImageScoreException(ErrorCode.UNAUTHENTICATED, "this server has no API keys configured and serves"
                    + " loopback callers only");
        }
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new ImageScoreException(ErrorCode.UNAUTHENTICATED, "send an API key as 'authorization: Bearer <key>' metadata");
        }
        ApiKeys.Entry entry = keys.lookup(authorization.substring(7).strip())
                .orElseThrow(() -> new ImageScoreException(ErrorCode.UNAUTHENTICATED, "unknown API key"));
        return caller(entry.tenant(), entry.roles(), "api-key");
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
