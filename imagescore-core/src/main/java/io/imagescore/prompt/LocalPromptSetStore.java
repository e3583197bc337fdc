package io.imagescore.prompt;

import io.imagescore.tenant.TenantNames;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.store.DurableFiles;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Prompt sets on disk (imagescore.store.kind=local): {@code <root>/<tenant>/<name>/<version>.json} holds one immutable version (never rewritten),
 * {@code <root>/<tenant>/<name>/ACTIVE} the active version number. Files are written through {@link DurableFiles}
 * (temporary name, forced, atomic rename, directory forced), so a crash leaves either the old or the new state, never a
 * torn file. Versions are numbered 1, 2, 3… per set; a version file is created only under a free name, so two writers
 * (two instances, two processes) never get the same number and never overwrite each other. All state is read back from
 * disk at construction (a restart): temporaries are skipped (stale ones removed), and an unreadable version file is
 * skipped with a warning instead of failing the start. Thread-safe: writes are serialised on the instance.
 */
public final class LocalPromptSetStore implements PromptSetStore {
    private static final Logger LOG = Logger.getLogger(LocalPromptSetStore.class);
    static final String ACTIVE = "ACTIVE";

    private final Path root;
    private final PromptSetIndex sets = new PromptSetIndex();

    public LocalPromptSetStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
        loadAll();
    }

    public Path root() {
        return root;
    }

    @Override
    public String describe() {
        return "directory " + root;
    }

    /**
     * Stores {@code spec} (validated) as the next version of tenant/name. The first version of a set becomes active;
     * later ones only when {@code activate}.
     */
    @Override
    public synchronized StoredVersion create(String tenant, String name, PromptSet spec, String notes, boolean activate) {
        TenantNames.check("tenant", tenant);
        TenantNames.check("prompt_set", name);
        spec.validate();
        PromptSetIndex.SetState state = sets.find(tenant, name);
        NavigableMap<Integer, StoredVersion> versions = state == null ? new TreeMap<>() : new TreeMap<>(state.versions());
        Path dir = root.resolve(tenant).resolve(name);
        int next = versions.isEmpty() ? 1 : versions.lastKey() + 1;
        StoredVersion v;
        for (int attempt = 0; ; attempt++, next++) {
            if (attempt == 1000) {
                throw new ImageScoreException(ErrorCode.INTERNAL, "prompt-set store: no free version number under " + dir);
            }
            v = new StoredVersion(tenant, name, Integer.toString(next), Instant.now().toString(),
                    notes == null ? "" : notes, PromptSetStore.contentHash(spec), spec);
            Path file = dir.resolve(next + ".json");
            if (write(file, PromptSetStore.toJson(v), false)) {
                break;
            }
            // Taken: by another writer sharing the directory (then learn its version) or by a skipped, unreadable file.
            StoredVersion other = readOrNull(file, tenant, name);
            if (other != null) {
                versions.put(next, other);
            }
        }
        versions.put(next, v);
        int active = state == null ? 0 : state.active();
        if (activate || active == 0) {
            write(dir.resolve(ACTIVE), Integer.toString(next).getBytes(StandardCharsets.UTF_8), true);
            active = next;
        }
        sets.put(tenant, name, new PromptSetIndex.SetState(versions, active));
        return v;
    }

    /** Makes an existing version the active one (durably). */
    @Override
    public synchronized StoredVersion activate(String tenant, String name, String version) {
        StoredVersion v = get(tenant, name, version);
        if (version == null || version.isEmpty()) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "name the version to activate");
        }
        write(root.resolve(tenant).resolve(name).resolve(ACTIVE), v.version().getBytes(StandardCharsets.UTF_8), true);
        PromptSetIndex.SetState s = sets.find(tenant, name);
        sets.put(tenant, name, new PromptSetIndex.SetState(s.versions(), Integer.parseInt(v.version())));
        return v;
    }

    @Override
    public synchronized List<String> deleteVersion(String tenant, String name, String version) {
        StoredVersion v = get(tenant, name, TenantNames.checkVersion("version", version));
        PromptSetIndex.SetState s = sets.find(tenant, name);
        int number = Integer.parseInt(v.version());
        if (s.active() == number) {
            throw PromptSetStore.activeVersion(tenant, name, v.version());
        }
        Path dir = root.resolve(tenant).resolve(name);
        try {
            Files.deleteIfExists(dir.resolve(number + ".json"));
            DurableFiles.forceDirectory(dir);
        } catch (IOException e) {
            throw new ImageScoreException(ErrorCode.INTERNAL, "cannot delete " + dir.resolve(number + ".json") + ": " + e.getMessage(), e);
        }
        NavigableMap<Integer, StoredVersion> left = new TreeMap<>(s.versions());
        left.remove(number);
        sets.put(tenant, name, new PromptSetIndex.SetState(left, s.active()));
        return left.keySet().stream().map(String::valueOf).toList();
    }

    @Override
    public StoredVersion get(String tenant, String name, String version) {
        return sets.get(tenant, name, version);
    }

    @Override
    public boolean isActive(StoredVersion v) {
        return sets.isActive(v);
    }

    @Override
    public List<Summary> list(String tenant) {
        return sets.list(tenant);
    }

    /** The sizes of the tenant's version files (readable or not: they take the space either way). */
    @Override
    public long bytes(String tenant) {
        Path dir = root.resolve(TenantNames.check("tenant", tenant));
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        long total = 0;
        for (Path setDir : children(dir)) {
            try (Stream<Path> s = Files.list(setDir)) {
                for (Path f : s.filter(p -> p.getFileName().toString().matches("[0-9]{1,9}\\.json")).toList()) {
                    total += Files.size(f);
                }
            } catch (IOException gone) {
                // deleted meanwhile: it takes no space
            }
        }
        return total;
    }

    private void loadAll() {
        if (!Files.isDirectory(root)) {
            return;
        }
        DurableFiles.removeStaleTemporaries(root);
        for (Path tenantDir : children(root)) {
            for (Path setDir : children(tenantDir)) {
                String tenant = tenantDir.getFileName().toString();
                String name = setDir.getFileName().toString();
                NavigableMap<Integer, StoredVersion> versions = new TreeMap<>();
                List<Path> files;
                try (Stream<Path> s = Files.list(setDir)) {
                    files = s.filter(p -> p.getFileName().toString().matches("[0-9]{1,9}\\.json")).toList();
                } catch (IOException e) {
                    LOG.warnf("prompt-set store: skipping %s: cannot list it: %s", setDir, e.getMessage());
                    continue;
                }
                for (Path f : files) {
                    StoredVersion v = readOrNull(f, tenant, name);
                    if (v != null) {
                        versions.put(Integer.parseInt(v.version()), v);
                    }
                }
                if (versions.isEmpty()) {
                    continue;
                }
                sets.put(tenant, name, new PromptSetIndex.SetState(versions, activeVersion(setDir.resolve(ACTIVE), versions)));
            }
        }
    }

    /**
     * The version ACTIVE names. Without an ACTIVE file (a crash between a set's first version and its ACTIVE file) the
     * first version is active, as {@link #create} makes it; an ACTIVE naming no readable version falls back the same
     * way, with a warning.
     */
    private static int activeVersion(Path activeFile, NavigableMap<Integer, StoredVersion> versions) {
        if (!Files.exists(activeFile)) {
            return versions.firstKey();
        }
        try {
            int active = Integer.parseInt(Files.readString(activeFile).strip());
            if (versions.containsKey(active)) {
                return active;
            }
            LOG.warnf("prompt-set store: %s names version %d, which is not readable; serving version %d (versions: %s)",
                    activeFile, active, versions.firstKey(), versions.keySet());
        } catch (IOException | NumberFormatException e) {
            LOG.warnf("prompt-set store: %s must hold a version number (%s); serving version %d", activeFile,
                    e.getMessage(), versions.firstKey());
        }
        return versions.firstKey();
    }

    /** The version in {@code f}, or null with a warning when it is unreadable or does not belong at its path. */
    private static StoredVersion readOrNull(Path f, String tenant, String name) {
        StoredVersion v;
        try {
            v = JSON.readValue(f.toFile(), StoredVersion.class);
        } catch (IOException e) {
            LOG.warnf("prompt-set store: skipping %s: not a valid prompt-set version: %s", f, e.getMessage());
            return null;
        }
        if (v == null || !tenant.equals(v.tenant()) || !name.equals(v.name()) || v.spec() == null
                || !(v.version() + ".json").equals(f.getFileName().toString())) {
            LOG.warnf("prompt-set store: skipping %s: its tenant/name/version (%s/%s@%s) does not match its path", f,
                    v == null ? null : v.tenant(), v == null ? null : v.name(), v == null ? null : v.version());
            return null;
        }
        return v;
    }

    private static List<Path> children(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).filter(p -> TenantNames.isValid(p.getFileName().toString()))
                    .sorted().toList();
        } catch (IOException e) {
            throw corrupt(dir, e.getMessage());
        }
    }

    private static ImageScoreException corrupt(Path f, String problem) {
        return new ImageScoreException(ErrorCode.INTERNAL, "prompt-set store: " + f + ": " + problem);
    }

    /** Durable write of one file: replacing, or only under a free name (false when the name is taken). */
    private static boolean write(Path target, byte[] content, boolean replace) {
        try {
            if (replace) {
                DurableFiles.replaceFile(target, content);
                return true;
            }
            return DurableFiles.createFile(target, content);
        } catch (IOException e) {
            throw new ImageScoreException(ErrorCode.INTERNAL, "cannot write " + target + ": " + e.getMessage(), e);
        }
    }
}
