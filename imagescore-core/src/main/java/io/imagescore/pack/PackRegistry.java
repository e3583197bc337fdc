package io.imagescore.pack;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.model.ModelBackend;
import io.imagescore.store.HeadFileStore;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;

/**
 * The packs this server serves. Loaded at start-up (a broken pack stops the start with a message naming the file);
 * each pack's encoder is loaded into the backend once. A pack is replaced atomically when a head version is added.
 */
@ApplicationScoped
public class PackRegistry {
    private static final Logger LOG = Logger.getLogger(PackRegistry.class);

    @Inject
    PackConfig config;
    @Inject
    ModelBackend backend;
    @Inject
    io.imagescore.image.Preprocessor preprocessor;
    /** Writable state (fitted heads, prompt sets); local data directory (heads/<pack>/<head>/<version>/). */
    @org.eclipse.microprofile.config.inject.ConfigProperty(name = "imagescore.data-dir", defaultValue = "data")
    Path dataDir;
    /** Fitted head versions: local files or PostgreSQL, by imagescore.store.kind (store/StateStores). */
    @Inject
    HeadFileStore fittedHeads;
    /** Serialises adding head versions (published here or announced by another replica). */
    private final ReentrantLock publish = new ReentrantLock();

    private final Map<String, ModelPack> packs = new ConcurrentHashMap<>();
    /** Per pack, the heads shipped with it (read-only: FitHead may not publish versions of them). */
    private final Map<String, java.util.Set<String>> builtInHeads = new ConcurrentHashMap<>();
    private final List<String> order = new ArrayList<>();
    private PackLoader loader;
    private volatile boolean loaded;

    /** Eager at start-up (standard CDI, no Quarkus annotation in core): observing Startup creates the bean. */
    void onStartup(@Observes Startup startup) {
        // creating the bean to deliver this event ran loadAll()
    }

    @PostConstruct
    void loadAll() {
        loader = new PackLoader(config.sharedDir().toAbsolutePath().normalize());
        for (Path dir : config.dirs()) {
            ModelPack loadedPack = loader.load(dir);
            ModelPack pack = loader.withOverlay(loadedPack, fittedHeads);
            PixelPipelines.requireMatching(pack, preprocessor);
            if (packs.putIfAbsent(pack.name(), pack) != null) {
                throw new ImageScoreException(ErrorCode.INVALID_PACK, dir + ": a pack named '" + pack.name() + "' is already loaded");
            }
            backend.load(pack.encoder());
            if (pack.textEncoder() != null) {
                backend.load(pack.textEncoder().model());
            }
            order.add(pack.name());
            builtInHeads.put(pack.name(), java.util.Set.copyOf(loadedPack.heads().keySet()));
            LOG.infof("pack %s %s loaded from %s (hash %s, %d heads, backend %s)", pack.name(), pack.version(), dir,
                    pack.contentHash().substring(0, 12), pack.heads().size(), backend.kind());
        }
        if (!packs.containsKey(config.defaultPack())) {
            throw new ImageScoreException(ErrorCode.INVALID_PACK, "imagescore.packs.default-pack '" + config.defaultPack()
                    + "' is not among the loaded packs " + order);
        }
        fittedHeads.onCreated(this::publishedElsewhere);
        loaded = true;
    }

    /** A published fitted head version: its number and the pack now serving it. */
    public record Published(String version, ModelPack pack) {
    }

    /**
     * Stores {@code head} as the next free version of its name in {@code packName} (in the configured state store) and
     * serves it from now on. Other replicas sharing the store pick it up through {@link HeadFileStore#onCreated}.
     */
    public Published publish(String packName, io.imagescore.fit.FittedHead head) {
        publish.lock();
        try {
            String version = io.imagescore.fit.HeadStore.publishNext(fittedHeads, get(packName), head);
            ModelPack updated = addVersion(new HeadFileStore.HeadKey(packName, head.name(), version));
            return new Published(version, updated);
        } finally {
            publish.unlock();
        }
    }

    /** A version published by another replica (or this one: then it is here already and nothing happens). */
    void publishedElsewhere(HeadFileStore.HeadKey key) {
        if (!packs.containsKey(key.pack())) {
            return;
        }
        publish.lock();
        try {
            var versions = packs.get(key.pack()).heads().get(key.head());
            if (versions != null && versions.containsKey(key.version())) {
                return;
            }
            addVersion(key);
            LOG.infof("fitted head %s/%s version %s published by another instance is now served", key.pack(), key.head(), key.version());
        } catch (RuntimeException e) {
            LOG.warnf("fitted head %s is not served: %s", key, e.getMessage());
        } finally {
            publish.unlock();
        }
    }

    private ModelPack addVersion(HeadFileStore.HeadKey key) {
        return update(key.pack(), p -> {
            HeadVersion hv = loader.loadHead(p, key, fittedHeads);
            return p.withHeadVersion(key.head(), hv, PackLoader.extendedHash(p.contentHash(), key.head(), hv));
        });
    }

    public boolean loaded() {
        return loaded;
    }

    public String defaultPack() {
        return config.defaultPack();
    }

    /** Whether {@code head} is one of the heads shipped with {@code pack} (not fitted at run time). */
    public boolean builtIn(String pack, String head) {
        return builtInHeads.getOrDefault(pack, java.util.Set.of()).contains(head);
    }

    /** Where heads fitted at run time for this pack are kept with imagescore.store.kind=local: {@code <data-dir>/heads/<pack>/}. */
    public Path fittedHeadsDir(String pack) {
        return dataDir.resolve("heads").resolve(pack);
    }

    public PackLoader loader() {
        return loader;
    }

    /** The named pack, or the default for an empty name; unknown names get NOT_FOUND listing what exists. */
    public ModelPack get(String name) {
        String key = name == null || name.isEmpty() ? config.defaultPack() : name;
        ModelPack pack = packs.get(key);
        if (pack == null) {
            io.imagescore.tenant.TenantNames.check("pack", key); // a malformed name is INVALID_ARGUMENT, not NOT_FOUND
            throw new ImageScoreException(ErrorCode.UNKNOWN_PACK, "unknown pack '" + key + "'; this server serves " + order,
                    Map.of("pack", key), null);
        }
        return pack;
    }

    public List<ModelPack> all() {
        Map<String, ModelPack> ordered = new LinkedHashMap<>();
        order.forEach(n -> ordered.put(n, packs.get(n)));
        return List.copyOf(ordered.values());
    }

    /** Replaces a pack by a changed copy (e.g. with a new head version) atomically. */
    public ModelPack update(String name, UnaryOperator<ModelPack> change) {
        return packs.compute(name, (k, old) -> {
            if (old == null) {
                throw new ImageScoreException(ErrorCode.UNKNOWN_PACK, "unknown pack '" + name + "'");
            }
            return change.apply(old);
        });
    }
}
