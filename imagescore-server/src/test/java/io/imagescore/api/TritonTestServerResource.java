package io.imagescore.api;

import io.imagescore.model.triton.TritonTestServer;
import io.imagescore.testing.Shared;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.Map;

/**
 * Starts the Triton-protocol test server serving the default pack's encoder, and points the service at it. A test
 * class gets the server in any field of type {@link TritonTestServer}.
 */
public class TritonTestServerResource implements QuarkusTestResourceLifecycleManager {
    private TritonTestServer server;

    @Override
    public Map<String, String> start() {
        server = TritonTestServer.start().addDefaultPackModels();
        return Map.of("imagescore.backend.kind", "triton", "imagescore.backend.triton.endpoints", server.target());
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(server, new TestInjector.MatchesType(TritonTestServer.class));
    }

    @Override
    public void stop() {
        if (server != null) {
            server.close();
        }
    }
}
