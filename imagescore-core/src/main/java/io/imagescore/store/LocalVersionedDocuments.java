package io.imagescore.store;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.pack.ModelPack;
import io.imagescore.tenant.TenantNames;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Versioned documents on disk (imagescore.store.kind=local): {@code <root>/<tenant>/<name>/<version>.json}, the stored
 * record as JSON. A version is immutable once written; a put writes the next version through
 * {@link DurableFiles#createFile}: under a temporary name, forced, then linked to its final name, which fails instead
 * of replacing when another writer (another process, too) took that version first; then the next is tried. Readers
 * skip temporaries (stale ones are removed when the store opens) and skip, with a warning, a version file that cannot
 * be read or does not belong at its path, so a damaged file is never served and never stops the service.
 */
public final class LocalVersionedDocuments<S extends VersionedDocuments.Document> implements VersionedDocuments<S> {
    private static final Logger LOG = Logger.getLogger(LocalVersionedDocuments.class);

    private final Path root;
    private final Kind<S> kind;

    public LocalVersionedDocuments(Path root, Kind<S> kind) {
        this.root = root;
        this.kind = kind;
        DurableFiles.removeStaleTemporaries(root);
    }

    @Override
    public S put(String tenant, String name, Maker<S> maker) {
        Path dir = dir(tenant, name);
        try {
            for (int attempt = 0; attempt < 1000; attempt++) {
                List<String> versions = versions(dir);
                String version = Long.toString(versions.isEmpty() ? 1 : Long.parseLong(versions.getLast()) + 1);
                S stored = maker.make(version, VersionedDocuments.now());
                if (DurableFiles.createFile(dir.resolve(version + ".json"), kind.json().writeValueAsBytes(stored))) {
                    return stored;
                }
                // another writer took this version: try the next
            }
            throw new ImageScoreException(ErrorCode.INTERNAL, "could not allocate a version for " + kind.label() + " " + tenant + "/" + name);
        } catch (IOException e) {
            throw new ImageScoreException(ErrorCode.INTERNAL, "cannot write " + kind.label() + " " + tenant + "/" + name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public S get(String tenant, String name, String version) {
        Path dir = dir(tenant, name);
        List<String> names = versions(dir);
        if (version == null || version.isEmpty()) {
            for (String v : names.reversed()) {
                S stored = read(dir, v);
                if (stored != null) {
                    return stored;
                }
            }
            throw unknown(tenant, name);
        }
        S stored = names.contains(version) ? read(dir, version) : null;
        if (stored == null) {
            List<String> readable = readableVersions(dir);
            if (readable.isEmpty()) {
                throw unknown(tenant, name);
            }
            throw kind.unknownVersion(tenant, name, version, readable);
        }
        return stored;
    }

    @Override
    public List<Summary> list(String tenant) {
        Path dir = root.resolve(TenantNames.check("tenant", tenant));
        List<Summary> out = new ArrayList<>();
        for (Path p : children(dir)) {
            List<String> versions = readableVersions(p);
            if (!versions.isEmpty()) {
                out.add(new Summary(p.getFileName().toString(), versions.getLast(), versions));
            }
        }
        return out;
    }

    @Override
    public List<S> all(String tenant) {
        List<S> out = new ArrayList<>();
        for (Path p : children(root.resolve(TenantNames.check("tenant", tenant)))) {
            for (String v : versions(p)) {
                S stored = read(p, v);
                if (stored != null) {
                    out.add(stored);
                }
            }
        }
        return out;
    }

    @Override
    public int delete(String tenant, String name) {
        Path dir = dir(tenant, name);
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        int n = versions(dir).size();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            throw new ImageScoreException(ErrorCode.INTERNAL, "cannot delete " + kind.label() + " " + tenant + "/" + name + ": " + e.getMessage(), e);
        }
        return n;
    }

    /** The sizes of the tenant's version files (readable or not: they take the space either way). */
    @Override
    public long bytes(String tenant) {
        long total = 0;
        for (Path d : children(root.resolve(TenantNames.check("tenant", tenant)))) {
            for (String v : versions(d)) {
                try {
                    total += Files.size(d.resolve(v + ".json"));
                } catch (IOException e) {
                    // deleted meanwhile: it takes no space
                }
            }
        }
        return total;
    }

    private ImageScoreException unknown(String tenant, String name) {
        return kind.unknown(tenant, name, list(tenant).stream().map(Summary::name).toList());
    }

    private Path dir(String tenant, String name) {
        return root.resolve(TenantNames.check("tenant", tenant)).resolve(TenantNames.check(kind.label() + " name", name));
    }

    /** The document directories under a tenant's directory, by name (none when it does not exist). */
    private List<Path> children(Path tenantDir) {
        if (!Files.isDirectory(tenantDir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(tenantDir)) {
            return s.filter(Files::isDirectory).filter(p -> TenantNames.isValid(p.getFileName().toString())).sorted().toList();
        } catch (IOException e) {
            throw new ImageScoreException(ErrorCode.INTERNAL, "cannot list " + kind.label() + "s of " + tenantDir.getFileName()
                    + ": " + e.getMessage(), e);
        }
    }

    /** Versions whose file reads back as a document of this tenant/name/version, ascending. */
    private List<String> readableVersions(Path dir) {
        return versions(dir).stream().filter(v -> read(dir, v) != null).toList();
    }

    /** The stored version, or null with a warning when its file is unreadable or does not belong at its path. */
    private S read(Path dir, String version) {
        Path f = dir.resolve(version + ".json");
        try {
            S s = kind.json().readValue(f.toFile(), kind.type());
            if (s == null || !kind.complete().test(s) || !version.equals(s.version())
                    || !dir.getFileName().toString().equals(s.name()) || !dir.getParent().getFileName().toString().equals(s.tenant())) {
                LOG.warnf("%s store: skipping %s: its tenant/name/version does not match its path", kind.label(), f);
                return null;
            }
            return s;
        } catch (IOException e) {
            LOG.warnf("%s store: skipping %s: not a readable %s: %s", kind.label(), f, kind.label(), e.getMessage());
            return null;
        }
    }

    /** Version numbers whose names are taken (readable or not), ascending. */
    private static List<String> versions(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(f -> f.matches("[0-9]+\\.json"))
                    .map(f -> f.substring(0, f.length() - 5)).sorted(ModelPack.VERSION_ORDER).toList();
        } catch (IOException e) {
            throw new ImageScoreException(ErrorCode.INTERNAL, "cannot list " + dir + ": " + e.getMessage(), e);
        }
    }
}
