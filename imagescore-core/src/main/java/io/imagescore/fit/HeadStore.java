package io.imagescore.fit;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.head.Safetensors;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackLoader;
import io.imagescore.store.HeadFileStore;
import io.imagescore.store.LocalHeadFileStore;
import io.imagescore.tenant.TenantNames;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Publishes fitted heads as immutable versions (head.json + weights.safetensors) in a {@link HeadFileStore}: the local
 * directory layout {@code <root>/<head>/<version>/} (the CLI; {@link LocalHeadFileStore}) or whichever store the
 * service is configured with. The bytes depend only on the fitted head (no timestamps), so a refit reproduces them.
 * {@link #publishNext} allocates the version number: when another writer (another process or replica) takes a number
 * first, the next is tried; the store's create is all-or-nothing and never replaces a version.
 */
public final class HeadStore {
    public static final String WEIGHTS_FILE = "weights.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper();

    private HeadStore() {
    }

    /** Writes {@code version} under {@code root}; INVALID_REQUEST if it exists (versions are immutable). */
    public static Path write(Path root, FittedHead head, String version) {
        LocalHeadFileStore store = LocalHeadFileStore.forPackDir(root);
        HeadFileStore.HeadKey key = new HeadFileStore.HeadKey("", head.name(), version);
        if (!store.create(key, files(head))) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "head " + head.name() + " version " + version
                    + " already exists at " + store.directory(key) + "; versions are immutable");
        }
        return store.directory(key);
    }

    /** Writes the next free version under {@code root} ({@link #nextVersion} or later, if taken meanwhile); returns its directory. */
    public static Path writeNext(ModelPack pack, Path root, FittedHead head) {
        LocalHeadFileStore store = LocalHeadFileStore.forPackDir(root);
        String tenant = TenantNames.DEFAULT_TENANT;
        return store.directory(HeadFileStore.HeadKey.of(tenant, pack.name(), head.name(), publishNext(store, pack, tenant, head)));
    }

    /**
     * Publishes the next free version of {@code tenant}'s {@code head} for {@code pack} (as the tenant sees it) in
     * {@code store}; returns the version.
     */
    public static String publishNext(HeadFileStore store, ModelPack pack, String tenant, FittedHead head) {
        Map<String, byte[]> files = files(head);
        long next = Long.parseLong(nextVersion(pack, store, tenant, head.name()));
        for (int attempt = 0; attempt < 1000; attempt++, next++) {
            if (store.create(HeadFileStore.HeadKey.of(tenant, pack.name(), head.name(), Long.toString(next)), files)) {
                return Long.toString(next);
            }
        }
        throw new ImageScoreException(ErrorCode.INTERNAL, "no free version number for head " + head.name() + " in " + store.describe());
    }

    /** The files of a head version: head.json (the manifest, indented, newline-terminated) and the weights. */
    public static Map<String, byte[]> files(FittedHead head) {
        try {
            DefaultPrettyPrinter pp = new DefaultPrettyPrinter().withObjectIndenter(new DefaultIndenter("  ", "\n"));
            String json = JSON.writer(pp).writeValueAsString(head.manifest()) + "\n";
            Map<String, byte[]> files = new LinkedHashMap<>();
            files.put(PackLoader.HEAD_MANIFEST, json.getBytes(StandardCharsets.UTF_8));
            files.put(WEIGHTS_FILE, Safetensors.toBytes(head.weights()));
            return files;
        } catch (IOException e) {
            throw new ImageScoreException(ErrorCode.INTERNAL, "cannot serialise head " + head.name() + ": " + e.getMessage(), e);
        }
    }

    /** One more than the highest numeric version of the head in the pack or on disk under {@code root}; "1" if none. */
    public static String nextVersion(ModelPack pack, Path root, String head) {
        return nextVersion(pack, LocalHeadFileStore.forPackDir(root), TenantNames.DEFAULT_TENANT, head);
    }

    /** One more than the highest numeric version of {@code tenant}'s head in the pack or in {@code store}; "1" if none. */
    public static String nextVersion(ModelPack pack, HeadFileStore store, String tenant, String head) {
        long max = 0;
        var versions = pack.heads().get(head);
        if (versions != null) {
            for (String v : versions.keySet()) {
                max = Math.max(max, numeric(v));
            }
        }
        for (HeadFileStore.HeadKey k : store.list(pack.name())) {
            if (k.head().equals(HeadFileStore.HeadKey.stored(tenant, head))) {
                max = Math.max(max, numeric(k.version()));
            }
        }
        return Long.toString(max + 1);
    }

    private static long numeric(String v) {
        return v.matches("\\d{1,18}") ? Long.parseLong(v) : 0;
    }
}
