package io.imagescore.api;

import io.grpc.Context;
import io.imagescore.tenant.Role;
import io.quarkus.security.identity.SecurityIdentity;

/**
 * The identity of the current gRPC call as the services see it: its tenant and roles, from the call's Quarkus
 * {@link SecurityIdentity} (principal name = tenant, roles = {@link Role} ids). Set by {@link CallerInterceptor}.
 */
public record Caller(SecurityIdentity identity, String tenant) {
    static final Context.Key<Caller> KEY = Context.key("imagescore.caller");

    public boolean has(Role role) {
        return identity.hasRole(role.id()) || identity.hasRole(Role.ADMIN.id());
    }

    public boolean admin() {
        return identity.hasRole(Role.ADMIN.id());
    }

    /** The caller of the current call (null outside a call). */
    public static Caller current() {
        return KEY.get();
    }
}
