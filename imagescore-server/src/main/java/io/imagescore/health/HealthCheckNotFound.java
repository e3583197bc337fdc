package io.imagescore.health;

import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.imagescore.tenant.TenantNames;
import io.quarkus.grpc.GlobalInterceptor;
import io.quarkus.grpc.runtime.health.GrpcHealthStorage;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * grpc.health.v1 {@code Check} of a service the server does not know fails with NOT_FOUND, as the health protocol
 * says. Quarkus' built-in health service answers such a check with an OK reply of status UNKNOWN; this interceptor
 * answers it instead. Known services are those with a status in {@link GrpcHealthStorage} ("" and the imagescore
 * services, published by {@link PacksReadinessCheck}). {@code Watch} is left as it is (the protocol wants
 * SERVICE_UNKNOWN updates there, not an error).
 */
@GlobalInterceptor
@ApplicationScoped
public class HealthCheckNotFound implements ServerInterceptor {
    static final String CHECK = "grpc.health.v1.Health/Check";

    @Inject
    GrpcHealthStorage storage;

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        ServerCall.Listener<Q> delegate = next.startCall(call, headers);
        if (!CHECK.equals(call.getMethodDescriptor().getFullMethodName())) {
            return delegate;
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
            private boolean refused;

            @Override
            public void onMessage(Q message) {
                if (message instanceof HealthCheckRequest r && !storage.getStatuses().containsKey(r.getService())) {
                    refused = true;
                    call.close(Status.NOT_FOUND.withDescription("unknown service " + TenantNames.quote(r.getService())
                            + "; this server reports health for " + storage.getStatuses().keySet()), new Metadata());
                    return;
                }
                super.onMessage(message);
            }

            @Override
            public void onHalfClose() {
                if (!refused) {
                    super.onHalfClose();
                }
            }
        };
    }
}
