package io.imagescore.api;

import io.imagescore.pack.PackRegistry;
import io.imagescore.prompt.PromptSetRegistry;
import io.imagescore.prompt.PromptSetStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;

/**
 * Retention after each new version (api/RetentionConfig): a head keeps its active (newest) version and the
 * {@code head-versions} newest before it; a prompt set keeps its active version and the {@code prompt-set-versions}
 * newest others. Deleting what falls out runs after the new version is acknowledged as stored, so a crash in between
 * leaves extra versions (pruned by the next write), never fewer.
 */
@ApplicationScoped
public class Retention {
    private static final Logger LOG = Logger.getLogger(Retention.class);

    @Inject
    RetentionConfig config;
    @Inject
    PackRegistry packs;
    @Inject
    PromptSetRegistry promptSets;

    /** Deletes the versions of tenant's head {@code name} in {@code pack} past the limit; returns how many. */
    public int pruneHead(String tenant, String pack, String name) {
        var versions = packs.get(tenant, pack).heads().get(name);
        if (config.headVersions() <= 0 || versions == null || packs.builtIn(pack, name)) {
            return 0;
        }
        List<String> old = new ArrayList<>(versions.keySet()); // ascending: the active version is the last
        int keep = config.headVersions() + 1;
        if (old.size() <= keep) {
            return 0;
        }
        int n = packs.delete(tenant, pack, name, old.subList(0, old.size() - keep));
        LOG.debugf("retention: deleted %d old versions of head %s/%s of tenant %s", n, pack, name, tenant);
        return n;
    }

    /** Deletes the versions of tenant's prompt set {@code name} past the limit; returns how many. */
    public int prunePromptSet(String tenant, String name) {
        if (config.promptSetVersions() <= 0) {
            return 0;
        }
        PromptSetStore store = promptSets.store();
        PromptSetStore.Summary set = store.list(tenant).stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
        if (set == null) {
            return 0;
        }
        List<String> others = new ArrayList<>(set.versions());
        others.remove(set.activeVersion());
        int n = 0;
        // versions are ascending: all but the newest prompt-set-versions others go
        for (String v : others.subList(0, Math.max(0, others.size() - config.promptSetVersions()))) {
            store.deleteVersion(tenant, name, v);
            n++;
        }
        return n;
    }
}
