package io.imagescore.pack;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.model.ModelBackend;
import io.imagescore.store.HeadFileStore;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The packs this server serves. Loaded at start-up (a broken pack stops the start with a message naming the file);
 * each pack's encoder is loaded into the backend once.
 * <p>
 * Fitted heads live in their tenant's namespace: a tenant sees each pack as its built-in heads plus the heads it
 * fitted ({@link #get(String, String)}), never another tenant's. Each (pack, tenant) view is an immutable
 * {@link ModelPack} replaced atomically when a head version is added or deleted, so a request sees one consistent pack.
 */
public class PackRegistry {
    private static final Logger LOG = Logger.getLogger(PackRegistry.class);

    private final Settings config;
    private final ModelBackend backend;
    private final io.imagescore.image.Preprocessor preprocessor;
    /** Fitted head versions: local files or PostgreSQL, by imagescore.store.kind (the server's StateStores). */
    private final HeadFileStore fittedHeads;
    /** Serialises changing head versions (published or deleted here, or announced by another replica). */
    private final ReentrantLock publish = new ReentrantLock();

    /** Per pack, as loaded: its built-in heads only. */
    private final Map<String, ModelPack> packs = new ConcurrentHashMap<>();
    /** Per pack, per tenant with fitted heads: the built-in pack plus the tenant's heads. */
    private final Map<String, Map<String, ModelPack>> tenantPacks = new ConcurrentHashMap<>();
    private final List<String> order = new ArrayList<>();
    private PackLoader loader;
    private volatile boolean loaded;
    /** Completes when {@link #loadAll} has finished, exceptionally with its error. */
    private final java.util.concurrent.CompletableFuture<Void> loading = new java.util.concurrent.CompletableFuture<>();
    private volatile Thread loadingThread;

    /**
     * The packs to serve ({@code imagescore.packs.*} in the server).
     *
     * @param dirs        pack directories, each holding a pack.json
     * @param defaultPack the pack a request naming none gets; must be among those loaded
     * @param sharedDir   what {@code ${shared}} in a manifest means
     * @param dataDir     the local data directory (its heads/&lt;pack&gt;/ hold fitted heads of the local store)
     */
    public record Settings(List<Path> dirs, String defaultPack, Path sharedDir, Path dataDir) {
    }

    /** Loads every pack now (a broken pack throws, naming the file) and its encoders into {@code backend}. */
    public PackRegistry(Settings settings, ModelBackend backend, io.imagescore.image.Preprocessor preprocessor,
                        HeadFileStore fittedHeads) {
        this(settings, backend, preprocessor, fittedHeads, false);
    }

    /**
     * With {@code inBackground}, loads on a thread of its own and returns at once, so that the server's start-up goes
     * on meanwhile (bench/README.md, "Cold start"): {@link #loaded()} tells whether it has finished, {@link #awaitLoaded()}
     * waits and throws what a load in the constructor would have thrown, and every other method but
     * {@link #defaultPack()} and {@link #fittedHeadsDir} waits for the load first.
     */
    public PackRegistry(Settings settings, ModelBackend backend, io.imagescore.image.Preprocessor preprocessor,
                        HeadFileStore fittedHeads, boolean inBackground) {
        this.config = settings;
        this.backend = backend;
        this.preprocessor = preprocessor;
        this.fittedHeads = fittedHeads;
        if (!inBackground) {
            load();
            awaitLoaded();
        } else {
            Thread.ofPlatform().name("pack-load").daemon().start(this::load);
        }
    }

    private void load() {
        loadingThread = Thread.currentThread();
        try {
            loadAll();
            loading.complete(null);
        } catch (Throwable e) {
            loading.completeExceptionally(e);
        } finally {
            loadingThread = null;
        }
    }

    /**
     * Waits until every pack is loaded; throws the load's error (a broken pack names its file). Returns at once on the
     * loading thread itself: a store listener registered during the load may call back on it.
     */
    public void awaitLoaded() {
        if (Thread.currentThread() == loadingThread) {
            return;
        }
        try {
            loading.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    private void loadAll() {
        loader = new PackLoader(config.sharedDir().toAbsolutePath().normalize());
        for (Path dir : config.dirs()) {
            long started = System.nanoTime();
            long[] models = new long[1];
            // the models load into the backend while the pack's files are hashed (PackLoader)
            ModelPack pack = loader.load(dir, specs -> {
                long t = System.nanoTime();
                specs.forEach(backend::load);
                models[0] = System.nanoTime() - t;
            });
            PixelPipelines.requireMatching(pack, preprocessor);
            if (packs.putIfAbsent(pack.name(), pack) != null) {
                throw new ImageScoreException(ErrorCode.INVALID_PACK, dir + ": a pack named '" + pack.name() + "' is already loaded");
            }
            Map<String, ModelPack> views = new ConcurrentHashMap<>();
            for (HeadFileStore.HeadKey key : fittedHeads.list(pack.name())) {
                views.put(key.tenant(), loader.withStored(views.getOrDefault(key.tenant(), pack), key, fittedHeads));
            }
            tenantPacks.put(pack.name(), views);
            order.add(pack.name());
            // start-up phases of bench/README.md ("Cold start"): the whole load, and the models within it
            LOG.infof("pack %s %s loaded from %s (hash %s, %d heads, fitted heads of %d tenants, backend %s) in %d ms,"
                    + " models %d ms of it", pack.name(), pack.version(), dir, pack.contentHash().substring(0, 12),
                    pack.heads().size(), views.size(), backend.kind(), (System.nanoTime() - started) / 1_000_000,
                    models[0] / 1_000_000);
        }
        if (!packs.containsKey(config.defaultPack())) {
            throw new ImageScoreException(ErrorCode.INVALID_PACK, "imagescore.packs.default-pack '" + config.defaultPack()
                    + "' is not among the loaded packs " + order);
        }
        fittedHeads.onCreated(this::publishedElsewhere);
        fittedHeads.onDeleted(this::deletedElsewhere);
        loaded = true;
    }

    /** A published fitted head version: its number and the tenant's pack now serving it. */
    public record Published(String version, ModelPack pack) {
    }

    /**
     * Stores {@code head} as the next free version of its name in {@code tenant}'s namespace of {@code packName} (in the
     * configured state store) and serves it to that tenant from now on. Other replicas sharing the store pick it up
     * through {@link HeadFileStore#onCreated}.
     */
    public Published publish(String tenant, String packName, io.imagescore.fit.FittedHead head) {
        awaitLoaded();
        publish.lock();
        try {
            String version = io.imagescore.fit.HeadStore.publishNext(fittedHeads, get(tenant, packName), tenant, head);
            ModelPack updated = addVersion(HeadFileStore.HeadKey.of(tenant, packName, head.name(), version));
            return new Published(version, updated);
        } finally {
            publish.unlock();
        }
    }

    /**
     * Deletes {@code versions} of {@code tenant}'s fitted head {@code head} from the store and stops serving them;
     * returns how many were stored. Callers decide what may go (built-ins, the active version: fit/TenantHeads; the
     * server's retention).
     */
    public int delete(String tenant, String packName, String head, java.util.Collection<String> versions) {
        awaitLoaded();
        publish.lock();
        try {
            int deleted = 0;
            for (String v : versions) {
                HeadFileStore.HeadKey key = HeadFileStore.HeadKey.of(tenant, packName, head, v);
                if (fittedHeads.delete(key)) {
                    deleted++;
                }
                removeVersion(key);
            }
            return deleted;
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
            var versions = get(key.tenant(), key.pack()).heads().get(key.name());
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

    /** A version deleted by another replica (or this one: then it is gone already). */
    void deletedElsewhere(HeadFileStore.HeadKey key) {
        if (!packs.containsKey(key.pack())) {
            return;
        }
        publish.lock();
        try {
            removeVersion(key);
        } finally {
            publish.unlock();
        }
    }

    private ModelPack addVersion(HeadFileStore.HeadKey key) {
        ModelPack updated = loader.withStored(get(key.tenant(), key.pack()), key, fittedHeads);
        tenantPacks.get(key.pack()).put(key.tenant(), updated);
        return updated;
    }

    /** The tenant's pack without {@code key}: rebuilt from the built-in pack, so its content hash is what a fresh start computes. */
    private void removeVersion(HeadFileStore.HeadKey key) {
        ModelPack current = get(key.tenant(), key.pack());
        var versions = current.heads().get(key.name());
        if (versions == null || !versions.containsKey(key.version()) || builtIn(key.pack(), key.name())) {
            return;
        }
        ModelPack rebuilt = packs.get(key.pack());
        for (var head : current.heads().entrySet()) {
            if (builtIn(key.pack(), head.getKey())) {
                continue;
            }
            for (HeadVersion hv : head.getValue().values()) {
                if (!(head.getKey().equals(key.name()) && hv.version().equals(key.version()))) {
                    rebuilt = rebuilt.withHeadVersion(head.getKey(), hv, PackLoader.extendedHash(rebuilt.contentHash(), head.getKey(), hv));
                }
            }
        }
        tenantPacks.get(key.pack()).put(key.tenant(), rebuilt);
    }

    public boolean loaded() {
        return loaded;
    }

    public String defaultPack() {
        return config.defaultPack();
    }

    /** Whether {@code head} is one of the heads shipped with {@code pack} (not fitted at run time). */
    public boolean builtIn(String pack, String head) {
        awaitLoaded();
        ModelPack p = packs.get(pack);
        return p != null && p.heads().containsKey(head);
    }

    /** Where heads fitted at run time for this pack are kept with imagescore.store.kind=local: {@code <data-dir>/heads/<pack>/}. */
    public Path fittedHeadsDir(String pack) {
        return config.dataDir().resolve("heads").resolve(pack);
    }

    public PackLoader loader() {
        awaitLoaded();
        return loader;
    }

    /**
     * The named pack as {@code tenant} sees it (built-in heads plus the tenant's fitted heads), or the default pack for
     * an empty name; unknown names get NOT_FOUND listing what exists.
     */
    public ModelPack get(String tenant, String name) {
        ModelPack pack = builtInPack(name);
        ModelPack own = tenantPacks.get(pack.name()).get(tenant);
        return own == null ? pack : own;
    }

    /** The named pack with its built-in heads only (no tenant's fitted heads), or the default for an empty name. */
    public ModelPack builtInPack(String name) {
        awaitLoaded();
        String key = name == null || name.isEmpty() ? config.defaultPack() : name;
        ModelPack pack = packs.get(key);
        if (pack == null) {
            io.imagescore.tenant.TenantNames.check("pack", key); // a malformed name is INVALID_ARGUMENT, not NOT_FOUND
            throw new ImageScoreException(ErrorCode.UNKNOWN_PACK, "unknown pack '" + key + "'; this server serves " + order,
                    Map.of("pack", key), null);
        }
        return pack;
    }

    /** Every pack as {@code tenant} sees it, in configuration order. */
    public List<ModelPack> all(String tenant) {
        awaitLoaded();
        return order.stream().map(n -> get(tenant, n)).toList();
    }

    /** Every pack with its built-in heads only, in configuration order. */
    public List<ModelPack> builtInPacks() {
        awaitLoaded();
        return order.stream().map(packs::get).toList();
    }
}
