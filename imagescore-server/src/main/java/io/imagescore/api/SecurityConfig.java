package io.imagescore.api;

import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.util.Optional;

/** Who may call: API keys (docs/security.md). */
public interface SecurityConfig {

    /**
     * The API keys file ({@code <sha256> <tenant> <roles>} lines, see tenant/ApiKeys); re-read when it changes. Unset:
     * no keys, and only loopback callers are served (as the local administrator).
     */
    Optional<Path> apiKeysFile();

    /** true (the deploy/ profile): refuse to start without an API keys file. */
    @WithDefault("false")
    boolean requireKeys();

    /**
     * Where the TLS-only profile ({@code QUARKUS_PROFILE=prod,tls}) reads the server certificate ({@code tls.crt},
     * {@code tls.key}) and the CA that signs client certificates ({@code ca.crt}); application.properties passes it to
     * the TLS registry ({@code quarkus.tls.imagescore.*}).
     */
    @WithDefault("/etc/imagescore/tls")
    Path tlsDir();
}
