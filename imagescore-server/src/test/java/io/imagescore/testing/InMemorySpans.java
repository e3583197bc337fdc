package io.imagescore.testing;

import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.quarkus.arc.Unremovable;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * Finished spans kept in memory: Quarkus exports to every SpanExporter bean. Records only in test profiles that enable
 * the SDK ({@code quarkus.otel.sdk.disabled=false}); elsewhere it stays empty.
 */
@ApplicationScoped
public class InMemorySpans {
    @Produces
    @Singleton
    @Unremovable
    InMemorySpanExporter exporter() {
        return InMemorySpanExporter.create();
    }
}
