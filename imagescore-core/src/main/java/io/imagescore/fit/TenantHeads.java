package io.imagescore.fit;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.pack.HeadVersion;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackRegistry;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A tenant's fitted heads on the running packs: fit and publish a new version, delete a head or one version. Built-in
 * heads are read-only for everyone (what one tenant fits never changes what another gets), and an existing head keeps
 * its kind. The server adds its {@link Policy} (quotas, retention, experiment pins); its gRPC edge only translates.
 */
public final class TenantHeads {

    /** What the service adds around these operations; each method throws to refuse. */
    public interface Policy {
        /** Before fitting {@code head} (e.g. the tenant's quotas). */
        void beforeFit(String tenant, ModelPack pack, String head);

        /** Right after a version was published, still under the publish lock (e.g. retention of old versions). */
        void afterPublish(String tenant, String pack, String head);

        /** Before deleting {@code versions} (e.g. versions an experiment pins). */
        void beforeDelete(String tenant, String pack, String head, List<String> versions);
    }

    /** A published fit: its version, the tenant's pack now serving it, and what the fit found. */
    public record Published(String version, ModelPack pack, FittedHead head, FitReport report) {
        /** Every version of the head now, oldest first. */
        public List<String> versions() {
            return List.copyOf(pack.heads().get(head.name()).keySet());
        }
    }

    private final PackRegistry packs;
    private final FitService fitting;
    private final Policy policy;
    /** Version numbering + write + swap + retention happen one fit at a time. */
    private final ReentrantLock publish = new ReentrantLock();

    public TenantHeads(PackRegistry packs, FitService fitting, Policy policy) {
        this.packs = packs;
        this.fitting = fitting;
        this.policy = policy;
    }

    /** Fits {@code spec} on the tenant's labels and serves it to that tenant as the head's next version. */
    public Published fit(String tenant, ModelPack pack, FitSpec spec, List<LabelledImage> images,
                         List<Comparison> comparisons, Instant deadline) {
        requireWritable(pack, spec.name(), spec.kind());
        policy.beforeFit(tenant, pack, spec.name());
        FittedHead head = fitting.scoped(tenant).fit(pack, spec, images, comparisons, deadline, null);
        publish.lock();
        try {
            String version = packs.publish(tenant, pack.name(), head).version();
            policy.afterPublish(tenant, pack.name(), head.name());
            return new Published(version, packs.get(tenant, pack.name()), head, head.report());
        } finally {
            publish.unlock();
        }
    }

    /** Deletes every version of the tenant's head {@code name}; returns how many were stored. */
    public int delete(String tenant, ModelPack pack, String name) {
        List<String> versions = List.copyOf(fittedVersions(pack, name, "delete").keySet());
        policy.beforeDelete(tenant, pack.name(), name, versions);
        return packs.delete(tenant, pack.name(), name, versions);
    }

    /** Deletes one version that is not the active (newest) one; returns how many were stored and the versions left. */
    public Deleted deleteVersion(String tenant, ModelPack pack, String name, String version) {
        NavigableMap<String, HeadVersion> versions = fittedVersions(pack, name, "delete its versions");
        if (!versions.containsKey(version)) {
            throw new ImageScoreException(ErrorCode.UNKNOWN_HEAD_VERSION, "head '" + name + "' has no version " + version
                    + "; it has " + versions.keySet(), Map.of("head", name, "version", version), null);
        }
        if (versions.lastKey().equals(version)) {
            throw new ImageScoreException(ErrorCode.ACTIVE_VERSION, "version " + version + " of head '" + name
                    + "' is the active (newest) one; delete the head, or fit a newer version first",
                    Map.of("head", name, "version", version), null);
        }
        policy.beforeDelete(tenant, pack.name(), name, List.of(version));
        int deleted = packs.delete(tenant, pack.name(), name, List.of(version));
        var left = packs.get(tenant, pack.name()).heads().get(name);
        return new Deleted(deleted, left == null ? List.of() : List.copyOf(left.keySet()));
    }

    /** How many versions were stored, and the versions the head has left. */
    public record Deleted(int versions, List<String> left) {
    }

    private void requireWritable(ModelPack pack, String name, FitKind kind) {
        requireNotBuiltIn(pack, name, "fit your head under another name");
        var versions = pack.heads().get(name);
        if (versions != null && !versions.isEmpty()) {
            FitKind existing = FitKind.of(versions.lastEntry().getValue());
            if (existing != kind) {
                // a new version of "quality" fitted from comparisons would silently change what it means
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "head '" + name + "' was fitted as "
                        + existing.name().toLowerCase(Locale.ROOT) + "; a new version cannot be "
                        + kind.name().toLowerCase(Locale.ROOT) + " (fit it under another name)",
                        Map.of("field", "kind"), null);
            }
        }
    }

    private void requireNotBuiltIn(ModelPack pack, String name, String advice) {
        if (packs.builtIn(pack.name(), name)) {
            throw new ImageScoreException(ErrorCode.BUILTIN_READ_ONLY, "'" + name + "' is a built-in head of pack "
                    + pack.name() + " and read-only; " + advice, Map.of("head", name), null);
        }
    }

    /** The versions of the tenant's fitted head {@code name}: built-ins are read-only, another tenant's heads absent. */
    private NavigableMap<String, HeadVersion> fittedVersions(ModelPack pack, String name, String what) {
        requireNotBuiltIn(pack, name, "only heads you fitted can be deleted");
        var versions = pack.heads().get(name);
        if (versions == null) {
            throw new ImageScoreException(ErrorCode.UNKNOWN_SCORE, "no fitted head '" + name + "' in pack " + pack.name()
                    + " to " + what, Map.of("head", name), null);
        }
        return versions;
    }
}
