package io.imagescore.api;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.experiment.Experiment;
import io.imagescore.experiment.ExperimentStore;
import io.imagescore.pack.PackRegistry;
import io.imagescore.prompt.PromptSetRegistry;
import io.imagescore.prompt.PromptSetStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Retention after each new version (api/RetentionConfig): a head keeps its active (newest) version and the
 * {@code head-versions} newest before it; a prompt set keeps its active version and the {@code prompt-set-versions}
 * newest others. Deleting what falls out runs after the new version is acknowledged as stored, so a crash in between
 * leaves extra versions (pruned by the next write), never fewer.
 * <p>
 * A version that any stored version of one of the tenant's experiments pins (a head version in a variant's scores, a
 * prompt-set version) is pinned: retention keeps it beyond the limit, and deleting it is refused (VERSION_PINNED), so
 * an A/B variant never loses what it was defined on.
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
    @Inject
    ExperimentStore experiments;

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
        Map<String, String> pinned = pinnedHeadVersions(tenant, pack, name);
        List<String> drop = old.subList(0, old.size() - keep).stream().filter(v -> !pinned.containsKey(v)).toList();
        int n = drop.isEmpty() ? 0 : packs.delete(tenant, pack, name, drop);
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
        Map<String, String> pinned = pinnedPromptSetVersions(tenant, name);
        for (String v : others.subList(0, Math.max(0, others.size() - config.promptSetVersions()))) {
            if (!pinned.containsKey(v)) {
                store.deleteVersion(tenant, name, v);
                n++;
            }
        }
        return n;
    }

    /** Refuses to delete a head version an experiment pins. */
    public void requireUnpinnedHead(String tenant, String pack, String name, List<String> versions) {
        requireUnpinned(pinnedHeadVersions(tenant, pack, name), "head '" + name + "'", versions);
    }

    /** Refuses to delete a prompt-set version an experiment pins. */
    public void requireUnpinnedPromptSet(String tenant, String name, String version) {
        requireUnpinned(pinnedPromptSetVersions(tenant, name), "prompt set '" + name + "'", List.of(version));
    }

    private static void requireUnpinned(Map<String, String> pinned, String what, List<String> versions) {
        for (String v : versions) {
            String experiment = pinned.get(v);
            if (experiment != null) {
                throw new ImageScoreException(ErrorCode.VERSION_PINNED, "version " + v + " of " + what + " is pinned by experiment "
                        + experiment + "; change the experiment first", Map.of("version", v, "experiment", experiment), null);
            }
        }
    }

    /** Version → the first experiment ("name@version") pinning it, of tenant's head {@code name} in {@code pack}. */
    private Map<String, String> pinnedHeadVersions(String tenant, String pack, String name) {
        String prefix = name + "@";
        return pinned(tenant, p -> !p.pack().equals(pack) ? List.of()
                : p.scores().stream().filter(s -> s.startsWith(prefix)).map(s -> s.substring(prefix.length())).toList());
    }

    private Map<String, String> pinnedPromptSetVersions(String tenant, String name) {
        return pinned(tenant, p -> p.promptSet().equals(name) && !p.promptSetVersion().isEmpty()
                ? List.of(p.promptSetVersion()) : List.of());
    }

    /**
     * Every version {@code refs} reads from any variant of any stored version of the tenant's experiments, read in one
     * pass ({@code VersionedDocuments.all}: one query on PostgreSQL, one directory walk locally) instead of a get per
     * version. Not a maintained pins index: the versions are the one source of truth (an index written next to them
     * could disagree after a crash on the local store, which has no transaction across files), and the pass is bounded
     * by the experiment quotas (experiments × experiment-versions small documents per tenant).
     */
    private Map<String, String> pinned(String tenant, Function<Experiment.Pins, List<String>> refs) {
        Map<String, String> out = new LinkedHashMap<>();
        for (ExperimentStore.Stored e : experiments.documents().all(tenant)) {
            for (Experiment.Variant v : e.experiment().variants()) {
                refs.apply(v.pins()).forEach(r -> out.putIfAbsent(r, e.name() + "@" + e.version()));
            }
        }
        return out;
    }
}
