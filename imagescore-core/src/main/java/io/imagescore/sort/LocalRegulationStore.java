package io.imagescore.sort;

import io.imagescore.tenant.TenantNames;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.pack.ModelPack;
import io.imagescore.store.DurableFiles;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Regulations on disk (imagescore.store.kind=local): {@code <data-dir>/regulations/<tenant>/<name>/<version>.json}. A version is
 * immutable once written; putting a regulation writes the next version (1, 2, …), so a sort can pin what it used.
 * Writes go through {@link DurableFiles#createFile}: written under a temporary name, forced, then linked to its final
 * name, which fails instead of replacing when another writer (another process, too) took that version first; then the
 * next is tried. Readers skip temporaries (stale ones are removed when the store opens) and skip, with a warning, a
 * version file that cannot be read, so a damaged file is never served and never stops the service.
 */
public final class LocalRegulationStore implements RegulationStore {
    public static final String SUBDIR = "regulations";

    private static final Logger LOG = Logger.getLogger(LocalRegulationStore.class);

    private final Path root;

    /** @param dataDir the service's data directory ({@code imagescore.data-dir}) */
    public LocalRegulationStore(Path dataDir) {
        this.root = dataDir.resolve(SUBDIR);
        DurableFiles.removeStaleTemporaries(root);
    }

    @Override
    public Stored put(String tenant, String name, Regulation regulation) {
        regulation.validated();
        Path dir = dir(tenant, name);
        try {
            for (int attempt = 0; attempt < 1000; attempt++) {
                List<String> versions = Files.isDirectory(dir) ? versions(dir) : List.of();
                String version = Long.toString(versions.isEmpty() ? 1 : Long.parseLong(versions.getLast()) + 1);
                Stored stored = new Stored(tenant, name, version, Instant.now().toString(), regulation);
                if (DurableFiles.createFile(dir.resolve(version + ".json"), JSON.writeValueAsBytes(stored))) {
                    return stored;
                }
                // another writer took this version: try the next
            }
            throw new ImageScoreException(ErrorCode.INTERNAL, "could not allocate a version for regulation " + tenant + "/" + name);
        } catch (IOException e) {
            throw new ImageScoreException(ErrorCode.INTERNAL, "cannot write regulation " + tenant + "/" + name + ": " + e.getMessage(), e);
        }
    }

    /** One version; null or empty version = the newest readable one. */
    @Override
    public Stored get(String tenant, String name, String version) {
        Path dir = dir(tenant, name);
        List<String> names = Files.isDirectory(dir) ? versions(dir) : List.of();
        if (version == null || version.isEmpty()) {
            for (String v : names.reversed()) {
                Stored stored = read(dir, v);
                if (stored != null) {
                    return stored;
                }
            }
            throw RegulationStore.unknown(this, tenant, name);
        }
        Stored stored = names.contains(version) ? read(dir, version) : null;
        if (stored == null) {
            List<String> readable = Files.isDirectory(dir) ? readableVersions(dir) : List.of();
            if (readable.isEmpty()) {
                throw RegulationStore.unknown(this, tenant, name);
            }
            throw RegulationStore.unknownVersion(tenant, name, version, readable);
        }
        return stored;
    }

    @Override
    public List<Summary> list(String tenant) {
        Path dir = root.resolve(TenantNames.check("tenant", tenant));
        List<Summary> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(Files::isDirectory).filter(p -> TenantNames.isValid(p.getFileName().toString())).sorted().toList()) {
                List<String> versions = readableVersions(p);
                if (!versions.isEmpty()) {
                    out.add(new Summary(p.getFileName().toString(), versions.getLast(), versions));
                }
            }
        } catch (IOException e) {
            throw new ImageScoreException(ErrorCode.INTERNAL, "cannot list regulations of " + tenant + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** Removes every version; returns how many there were (0 = there was no such regulation). */
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
            throw new ImageScoreException(ErrorCode.INTERNAL, "cannot delete regulation " + tenant + "/" + name + ": " + e.getMessage(), e);
        }
        return n;
    }

    private Path dir(String tenant, String name) {
        return root.resolve(TenantNames.check("tenant", tenant)).resolve(TenantNames.check("regulation name", name));
    }

    /** Versions whose file reads back as a regulation of this tenant/name/version, ascending. */
    private static List<String> readableVersions(Path dir) {
        return versions(dir).stream().filter(v -> read(dir, v) != null).toList();
    }

    /** The stored version, or null with a warning when its file is unreadable or does not belong at its path. */
    private static Stored read(Path dir, String version) {
        Path f = dir.resolve(version + ".json");
        try {
            Stored s = JSON.readValue(f.toFile(), Stored.class);
            if (s == null || s.regulation() == null || !version.equals(s.version())
                    || !dir.getFileName().toString().equals(s.name()) || !dir.getParent().getFileName().toString().equals(s.tenant())) {
                LOG.warnf("regulation store: skipping %s: its tenant/name/version does not match its path", f);
                return null;
            }
            return s;
        } catch (IOException e) {
            LOG.warnf("regulation store: skipping %s: not a readable regulation: %s", f, e.getMessage());
            return null;
        }
    }

    /** Version numbers whose names are taken (readable or not), ascending. */
    private static List<String> versions(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(f -> f.matches("[0-9]+\\.json"))
                    .map(f -> f.substring(0, f.length() - 5)).sorted(ModelPack.VERSION_ORDER).toList();
        } catch (IOException e) {
            throw new ImageScoreException(ErrorCode.INTERNAL, "cannot list " + dir + ": " + e.getMessage(), e);
        }
    }
}
