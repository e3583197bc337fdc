package io.imagescore.prompt;

import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackRegistry;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Prompt sets of the running service: the durable {@link PromptSetStore} (local files or PostgreSQL), plus
 * compiled sets (text embeddings) per (pack, version). Activating a version computes its text embeddings for every
 * pack it fits right away, so the first request after an activation does not pay for them; a pinned older version is
 * compiled on first use. Image embeddings are not cached here: each request encodes its images once for all prompts.
 */
public class PromptSetRegistry {
    private static final Logger LOG = Logger.getLogger(PromptSetRegistry.class);
    private static final int COMPILED_LIMIT = 256;

    private final PackRegistry packs;
    private final TextEmbedder embedder;
    /** local files or PostgreSQL, by imagescore.store.kind (the server's StateStores) */
    private final PromptSetStore store;
    private final Map<String, CompiledPromptSet> compiled = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, CompiledPromptSet> eldest) {
            return size() > COMPILED_LIMIT;
        }
    };

    public PromptSetRegistry(PackRegistry packs, TextEmbedder embedder, PromptSetStore store) {
        this.packs = packs;
        this.embedder = embedder;
        this.store = store;
        LOG.infof("prompt sets: %d in %s", store.list("").size(), store.describe());
    }

    public PromptSetStore store() {
        return store;
    }

    public PromptSetStore.StoredVersion create(String tenant, String name, PromptSet spec, String notes, boolean activate) {
        PromptSetStore.StoredVersion v = store.create(tenant, name, spec, notes, activate);
        if (store.isActive(v)) {
            warm(v);
        }
        return v;
    }

    public PromptSetStore.StoredVersion activate(String tenant, String name, String version) {
        PromptSetStore.StoredVersion v = store.activate(tenant, name, version);
        warm(v);
        return v;
    }

    /** The set to score with on {@code pack}: the pinned version, or the active one for an empty version. */
    public CompiledPromptSet resolve(ModelPack pack, String tenant, String name, String version, Instant deadline) {
        PromptSetStore.StoredVersion v = store.get(tenant, name, version);
        PromptSetStore.checkPack(v, pack);
        return compiled(v, pack, deadline);
    }

    private CompiledPromptSet compiled(PromptSetStore.StoredVersion v, ModelPack pack, Instant deadline) {
        String key = pack.name() + '\0' + pack.contentHash() + '\0' + v.tenant() + '/' + v.name() + '@' + v.version();
        synchronized (compiled) {
            CompiledPromptSet c = compiled.get(key);
            if (c != null) {
                return c;
            }
        }
        CompiledPromptSet c = CompiledPromptSet.compile(v.ref(), v.spec(), pack, embedder, deadline);
        synchronized (compiled) {
            compiled.put(key, c);
        }
        return c;
    }

    /** Text embeddings of an activated version for every loaded pack it can run on. */
    private void warm(PromptSetStore.StoredVersion v) {
        List<ModelPack> fitting = packs.all(v.tenant()).stream().filter(p -> p.textEncoder() != null)
                .filter(p -> v.spec().pack().isEmpty() || v.spec().pack().equals(p.name())).toList();
        for (ModelPack p : fitting) {
            compiled(v, p, null);
        }
    }
}
