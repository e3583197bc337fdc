package io.imagescore.experiment;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.pack.ModelPack;
import io.imagescore.store.DurableFiles;
import io.imagescore.tenant.TenantNames;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Experiments on disk (imagescore.store.kind=local): {@code <data-dir>/experiments/<tenant>/<name>/<version>.json},
 * written like regulations ({@link io.imagescore.sort.LocalRegulationStore}): through {@link DurableFiles#createFile},
 * which fails instead of replacing when another writer took the version first (then the next is tried); an unreadable
 * file is skipped with a warning.
 */
public final class LocalExperimentStore implements ExperimentStore {
    public static final String SUBDIR = "experiments";
    private static final Logger LOG = Logger.getLogger(LocalExperimentStore.class);

    private final Path root;

    public LocalExperimentStore(Path dataDir) {
        this.root = dataDir.resolve(SUBDIR);
        DurableFiles.removeStaleTemporaries(root);
    }

    @Override
    public Stored put(String tenant, String name, Experiment experiment) {
        Path dir = dir(tenant, name);
        String hash = ExperimentStore.contentHash(experiment);
        try {
            for (int attempt = 0; attempt < 1000; attempt++) {
                List<String> versions = versions(dir);
                String version = Long.toString(versions.isEmpty() ? 1 : Long.parseLong(versions.getLast()) + 1);
                Stored stored = new Stored(tenant, name, version, Instant.now().toString(), hash, experiment);
                if (DurableFiles.createFile(dir.resolve(version + ".json"), JSON.writeValueAsBytes(stored))) {
                    return stored;
                }
            }
            throw new ImageScoreException(ErrorCode.INTERNAL, "could not allocate a version for experiment " + tenant + "/" + name);
        } catch (IOException e) {
            throw new ImageScoreException(ErrorCode.INTERNAL, "cannot write experiment " + tenant + "/" + name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Stored get(String tenant, String name, String version) {
        Path dir = dir(tenant, name);
        List<String> readable = versions(dir).stream().filter(v -> read(dir, v) != null).toList();
        if (readable.isEmpty()) {
            throw ExperimentStore.unknown(this, tenant, name);
        }
        if (version == null || version.isEmpty()) {
            return read(dir, readable.getLast());
        }
        if (!readable.contains(version)) {
            throw ExperimentStore.unknownVersion(tenant, name, version, readable);
        }
        return read(dir, version);
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
                List<String> versions = versions(p).stream().filter(v -> read(p, v) != null).toList();
                if (!versions.isEmpty()) {
                    out.add(new Summary(p.getFileName().toString(), versions.getLast(), versions));
                }
            }
        } catch (IOException e) {
            throw new ImageScoreException(ErrorCode.INTERNAL, "cannot list experiments of " + tenant + ": " + e.getMessage(), e);
        }
        return out;
    }

    private Path dir(String tenant, String name) {
        return root.resolve(TenantNames.check("tenant", tenant)).resolve(TenantNames.check("experiment name", name));
    }

    /** The stored version, or null with a warning when its file is unreadable or does not belong at its path. */
    private static Stored read(Path dir, String version) {
        Path f = dir.resolve(version + ".json");
        try {
            Stored s = JSON.readValue(f.toFile(), Stored.class);
            if (s == null || s.experiment() == null || !version.equals(s.version())
                    || !dir.getFileName().toString().equals(s.name()) || !dir.getParent().getFileName().toString().equals(s.tenant())) {
                LOG.warnf("experiment store: skipping %s: its tenant/name/version does not match its path", f);
                return null;
            }
            return s;
        } catch (IOException e) {
            LOG.warnf("experiment store: skipping %s: not a readable experiment: %s", f, e.getMessage());
            return null;
        }
    }

    /** Version numbers whose names are taken, ascending. */
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
