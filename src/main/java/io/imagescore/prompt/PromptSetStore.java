package io.imagescore.prompt;

import io.imagescore.tenant.TenantNames;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.pack.ModelPack;
import io.imagescore.store.DurableFiles;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Prompt sets on disk: {@code <root>/<tenant>/<name>/<version>.json} holds one immutable version (never rewritten),
 * {@code <root>/<tenant>/<name>/ACTIVE} the active version number. Files are written through {@link DurableFiles}
 * (temporary name, forced, atomic rename, directory forced), so a crash leaves either the old or the new state, never a
 * torn file. Versions are numbered 1, 2, 3… per set; a version file is created only under a free name, so two writers
 * (two instances, two processes) never get the same number and never overwrite each other. All state is read back from
 * disk at construction (a restart): temporaries are skipped (stale ones removed), and an unreadable version file is
 * skipped with a warning instead of failing the start. Thread-safe: writes are serialised on the instance.
 */
public final class PromptSetStore {
    private static final Logger LOG = Logger.getLogger(PromptSetStore.class);
    static final String ACTIVE = "ACTIVE";
    /** The JSON form of prompt sets and tuning reports (snake_case keys, ordered, strict on reading). */
    public static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** One stored version. {@code created} is ISO-8601; {@code contentHash} is sha256 over the spec's canonical JSON. */
    public record StoredVersion(String tenant, String name, String version, String created, String notes,
                                String contentHash, PromptSet spec) {
        public PromptSetRef ref() {
            return new PromptSetRef(tenant, name, version, contentHash);
        }
    }

    /** A set's versions (ascending) and its active version. */
    public record Summary(String tenant, String name, String activeVersion, List<String> versions) {
    }

    private record SetState(NavigableMap<Integer, StoredVersion> versions, int active) {
    }

    private final Path root;
    private final Map<String, SetState> sets = new java.util.concurrent.ConcurrentHashMap<>();

    public PromptSetStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
        loadAll();
    }

    public Path root() {
        return root;
    }

    /**
     * Stores {@code spec} (validated) as the next version of tenant/name. The first version of a set becomes active;
     * later ones only when {@code activate}.
     */
    public synchronized StoredVersion create(String tenant, String name, PromptSet spec, String notes, boolean activate) {
        TenantNames.check("tenant", tenant);
        TenantNames.check("prompt_set", name);
        spec.validate();
        SetState state = sets.get(key(tenant, name));
        NavigableMap<Integer, StoredVersion> versions = state == null ? new TreeMap<>() : new TreeMap<>(state.versions());
        Path dir = root.resolve(tenant).resolve(name);
        int next = versions.isEmpty() ? 1 : versions.lastKey() + 1;
        StoredVersion v;
        for (int attempt = 0; ; attempt++, next++) {
            if (attempt == 1000) {
                throw new ImageScoreException(ErrorCode.INTERNAL, "prompt-set store: no free version number under " + dir);
            }
            v = new StoredVersion(tenant, name, Integer.toString(next), Instant.now().toString(),
                    notes == null ? "" : notes, contentHash(spec), spec);
            Path file = dir.resolve(next + ".json");
            if (write(file, toJson(v), false)) {
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
        sets.put(key(tenant, name), new SetState(versions, active));
        return v;
    }

    /** Makes an existing version the active one (durably). */
    public synchronized StoredVersion activate(String tenant, String name, String version) {
        StoredVersion v = get(tenant, name, version);
        if (version == null || version.isEmpty()) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "name the version to activate");
        }
        write(root.resolve(tenant).resolve(name).resolve(ACTIVE), v.version().getBytes(StandardCharsets.UTF_8), true);
        SetState s = sets.get(key(tenant, name));
        sets.put(key(tenant, name), new SetState(s.versions(), Integer.parseInt(v.version())));
        return v;
    }

    /** The named version, or the active one for an empty version. */
    public StoredVersion get(String tenant, String name, String version) {
        SetState s = state(tenant, name);
        if (version == null || version.isEmpty()) {
            return s.versions().get(s.active());
        }
        StoredVersion v = version.chars().allMatch(Character::isDigit) && version.length() < 10
                ? s.versions().get(Integer.parseInt(version)) : null;
        if (v == null) {
            throw new ImageScoreException(ErrorCode.UNKNOWN_PROMPT_SET, "prompt set '" + tenant + "/" + name
                    + "' has no version '" + version + "'; versions: " + s.versions().keySet(),
                    Map.of("tenant", tenant, "prompt_set", name, "version", version), null);
        }
        return v;
    }

    public boolean isActive(StoredVersion v) {
        SetState s = sets.get(key(v.tenant(), v.name()));
        return s != null && Integer.toString(s.active()).equals(v.version());
    }

    /** Every set of a tenant (all tenants for an empty tenant), by tenant then name. */
    public List<Summary> list(String tenant) {
        List<Summary> out = new ArrayList<>();
        new TreeMap<>(sets).forEach((k, s) -> {
            StoredVersion any = s.versions().firstEntry().getValue();
            if (tenant == null || tenant.isEmpty() || any.tenant().equals(tenant)) {
                out.add(new Summary(any.tenant(), any.name(), Integer.toString(s.active()),
                        s.versions().keySet().stream().map(String::valueOf).toList()));
            }
        });
        return out;
    }

    private SetState state(String tenant, String name) {
        SetState s = sets.get(key(tenant, name));
        if (s == null) {
            List<String> names = list(tenant).stream().map(Summary::name).toList();
            throw new ImageScoreException(ErrorCode.UNKNOWN_PROMPT_SET, "tenant '" + tenant + "' has no prompt set '" + name
                    + "'" + (names.isEmpty() ? " (it has none)" : "; it has " + names),
                    Map.of("tenant", String.valueOf(tenant), "prompt_set", String.valueOf(name)), null);
        }
        return s;
    }

    private static String key(String tenant, String name) {
        return tenant + "/" + name;
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
                sets.put(key(tenant, name), new SetState(versions, activeVersion(setDir.resolve(ACTIVE), versions)));
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

    public static byte[] toJson(Object o) {
        try {
            return JSON.writeValueAsBytes(o);
        } catch (IOException e) {
            throw new ImageScoreException(ErrorCode.INTERNAL, "cannot serialise " + o.getClass().getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /** sha256 of the spec's canonical JSON (keys ordered, fixed formatting), hex. */
    static String contentHash(PromptSet spec) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(toJson(spec)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
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

    /** Rejects a set meant for another pack, or any pack without a text encoder. */
    public static void checkPack(StoredVersion v, ModelPack pack) {
        TextEmbedder.textEncoder(pack);
        if (!v.spec().pack().isEmpty() && !v.spec().pack().equals(pack.name())) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "prompt set " + v.ref() + " was written for pack '"
                    + v.spec().pack() + "', not '" + pack.name() + "' (text embeddings and calibration belong to one model)",
                    Map.of("pack", pack.name(), "prompt_set", v.name()), null);
        }
    }
}
