package io.imagescore.rating;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.store.DurableFiles;
import io.imagescore.tenant.TenantNames;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Campaigns on disk (imagescore.store.kind=local), under {@code <data-dir>/rating/<tenant>/}:
 * {@code images/<sha256>} (content-addressed), {@code campaigns/<name>/campaign.json} and one file per judgement,
 * {@code campaigns/<name>/judgements/<seq>.json}. Every file is written by {@link DurableFiles#createFile} (temporary,
 * fsync, hard link or rename, directory fsync), which also allocates the sequence number: it fails instead of
 * replacing when another writer took that number first, and the next is tried. An unreadable file is skipped with a
 * warning.
 *
 * <p>Creating a campaign stores its new images first and its {@code campaign.json} last, and deleting one removes the
 * campaign before its images; a crash between the two steps leaves images that no campaign names. They are swept when
 * the store opens ({@link #sweepOrphanImages}), before this process serves anything (one writing server per data
 * directory), so they stop counting towards the tenant's image bytes.
 */
public final class LocalCampaignStore implements CampaignStore {
    public static final String SUBDIR = "rating";
    private static final Logger LOG = Logger.getLogger(LocalCampaignStore.class);
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern SEQ_FILE = Pattern.compile("[0-9]{1,18}\\.json");

    private final Path root;
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    public LocalCampaignStore(Path dataDir) {
        this.root = dataDir.resolve(SUBDIR);
        DurableFiles.removeStaleTemporaries(root);
        sweepOrphanImages();
    }

    /**
     * Deletes every tenant's images that none of its campaigns names: what a crash between storing a new campaign's
     * images and its record, or between deleting a campaign and its images, left behind. A tenant with a campaign file
     * that cannot be read keeps all its images (the file may name them). Returns how many were deleted.
     */
    int sweepOrphanImages() {
        if (!Files.isDirectory(root)) {
            return 0;
        }
        int swept = 0;
        try (Stream<Path> tenants = Files.list(root)) {
            for (Path tenantDir : tenants.filter(Files::isDirectory).toList()) {
                String tenant = tenantDir.getFileName().toString();
                if (TenantNames.isValid(tenant)) {
                    swept += sweepOrphanImages(tenant);
                }
            }
        } catch (IOException e) {
            LOG.warnf("campaign store: cannot list tenants to sweep leftover images: %s", e.toString());
        }
        return swept;
    }

    private int sweepOrphanImages(String tenant) throws IOException {
        Path images = root.resolve(tenant).resolve("images");
        if (!Files.isDirectory(images)) {
            return 0;
        }
        java.util.Set<String> named = new java.util.HashSet<>();
        try {
            for (String name : list(tenant)) {
                get(tenant, name).images().forEach(im -> named.add(im.sha256()));
            }
        } catch (ImageScoreException e) {
            LOG.warnf("campaign store: tenant %s has an unreadable campaign; its images are not swept", tenant);
            return 0;
        }
        int swept = 0;
        try (Stream<Path> files = Files.list(images)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (SHA256.matcher(name).matches() && !named.contains(name) && Files.deleteIfExists(f)) {
                    swept++;
                }
            }
        }
        if (swept > 0) {
            DurableFiles.forceDirectory(images);
            LOG.infof("campaign store: deleted %d image(s) of tenant %s that no campaign names (left by an interrupted"
                    + " create or delete)", swept, tenant);
        }
        return swept;
    }

    @Override
    public void create(String tenant, Campaign campaign, Map<String, byte[]> uploads) {
        Path dir = campaignDir(tenant, campaign.name());
        locked(tenant, () -> {
            if (Files.exists(dir.resolve("campaign.json"))) {
                throw Campaign.exists(campaign.name());
            }
            for (Campaign.Image im : campaign.images()) {
                if (!uploads.containsKey(im.sha256()) && !Files.isRegularFile(imageFile(tenant, im.sha256()))) {
                    throw Campaign.notStored(tenant, im);
                }
            }
            for (var e : uploads.entrySet()) {
                DurableFiles.createFile(imageFile(tenant, e.getKey()), e.getValue()); // false = already there
            }
            if (!DurableFiles.createFile(dir.resolve("campaign.json"), JSON.writeValueAsBytes(campaign))) {
                throw Campaign.exists(campaign.name());
            }
            return null;
        }, "store campaign " + tenant + "/" + campaign.name());
    }

    @Override
    public Campaign update(String tenant, String name, UnaryOperator<Campaign> change) {
        return locked(tenant, () -> {
            Campaign changed = change.apply(get(tenant, name));
            DurableFiles.replaceFile(campaignDir(tenant, name).resolve("campaign.json"), JSON.writeValueAsBytes(changed));
            return changed;
        }, "update campaign " + tenant + "/" + name);
    }

    /** Under the tenant's lock, which appends take too: the idle check sees every acknowledged entry. */
    @Override
    public Deleted delete(String tenant, String name, java.time.Duration idle) {
        return locked(tenant, () -> {
            Campaign c = get(tenant, name);
            if (idle != null && !lastActivity(tenant, c).isBefore(now().minus(idle))) {
                return null;
            }
            long entries = seqFiles(campaignDir(tenant, name).resolve("judgements")).size();
            // one rename takes the campaign and its log away together; a crash after it leaves a temporary only
            DurableFiles.deleteDirectory(campaignDir(tenant, name));
            java.util.Set<String> used = new java.util.HashSet<>();
            for (String other : list(tenant)) {
                get(tenant, other).images().forEach(im -> used.add(im.sha256()));
            }
            int images = 0;
            long bytes = 0;
            for (Campaign.Image im : c.images()) {
                Path f = imageFile(tenant, im.sha256());
                if (!used.contains(im.sha256()) && Files.isRegularFile(f)) {
                    long size = Files.size(f);
                    if (Files.deleteIfExists(f)) {
                        images++;
                        bytes += size;
                    }
                }
            }
            DurableFiles.forceDirectory(imageFile(tenant, c.images().getFirst().sha256()).getParent());
            return new Deleted(entries, images, bytes);
        }, "delete campaign " + tenant + "/" + name);
    }

    @Override
    public Campaign get(String tenant, String name) {
        Path f = campaignDir(tenant, name).resolve("campaign.json");
        if (!Files.isRegularFile(f)) {
            throw Campaign.unknown(tenant, name);
        }
        try {
            return JSON.readValue(f.toFile(), Campaign.class);
        } catch (IOException e) {
            throw io("read campaign " + tenant + "/" + name, e);
        }
    }

    @Override
    public List<Activity> activity() {
        List<Activity> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (Stream<Path> tenants = Files.list(root)) {
            for (String tenant : tenants.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .filter(TenantNames::isValid).sorted().toList()) {
                for (String name : list(tenant)) {
                    out.add(new Activity(tenant, name, lastActivity(tenant, get(tenant, name))));
                }
            }
        } catch (IOException e) {
            throw io("list the campaigns' activity", e);
        }
        return out;
    }

    /** The campaign's creation or its newest log entry's time, whichever is later. */
    private Instant lastActivity(String tenant, Campaign c) {
        List<Path> log = seqFiles(campaignDir(tenant, c.name()).resolve("judgements"));
        List<Judgement> newest = new ArrayList<>();
        boolean entry = !log.isEmpty() && read(log.getLast(), newest) && !newest.isEmpty();
        return Activity.last(c.created(), entry ? newest.getFirst().created() : null);
    }

    @Override
    public List<String> list(String tenant) {
        Path dir = root.resolve(TenantNames.check("tenant", tenant)).resolve("campaigns");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> Files.isRegularFile(p.resolve("campaign.json"))).map(p -> p.getFileName().toString())
                    .filter(TenantNames::isValid).sorted().toList();
        } catch (IOException e) {
            throw io("list campaigns of " + tenant, e);
        }
    }

    @Override
    public void putImage(String tenant, String sha256, byte[] content) {
        try {
            DurableFiles.createFile(imageFile(tenant, sha256), content); // false = already there, same content
        } catch (IOException e) {
            throw io("store an image of " + tenant, e);
        }
    }

    @Override
    public byte[] image(String tenant, String sha256) {
        Path f = imageFile(tenant, sha256);
        try {
            return Files.isRegularFile(f) ? Files.readAllBytes(f) : null;
        } catch (IOException e) {
            throw io("read an image of " + tenant, e);
        }
    }

    @Override
    public long imageSize(String tenant, String sha256) {
        Path f = imageFile(tenant, sha256);
        try {
            return Files.size(f);
        } catch (java.nio.file.NoSuchFileException e) {
            return -1;
        } catch (IOException e) {
            throw io("measure an image of " + tenant, e);
        }
    }

    @Override
    public long imageBytes(String tenant) {
        Path dir = root.resolve(TenantNames.check("tenant", tenant)).resolve("images");
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(dir)) {
            long total = 0;
            for (Path p : s.filter(p -> !DurableFiles.isTemporary(p)).toList()) {
                total += Files.size(p);
            }
            return total;
        } catch (IOException e) {
            throw io("measure the images of " + tenant, e);
        }
    }

    @Override
    public Judgement append(String tenant, String campaign, Judgement j) {
        // under the tenant's lock: a delete cannot run between the check and the write and leave an orphan log behind
        return locked(tenant, () -> appendLocked(tenant, campaign, j), "store a judgement of " + tenant + "/" + campaign);
    }

    private Judgement appendLocked(String tenant, String campaign, Judgement j) {
        get(tenant, campaign); // UNKNOWN_CAMPAIGN before anything is written
        Path dir = campaignDir(tenant, campaign).resolve("judgements");
        try {
            long next = lastSeq(dir) + 1;
            for (int attempt = 0; attempt < 1000; attempt++, next++) {
                Judgement stored = j.stored(next, now().toString());
                if (DurableFiles.createFile(dir.resolve(next + ".json"), JSON.writeValueAsBytes(stored))) {
                    return stored;
                }
            }
            throw new ImageScoreException(ErrorCode.INTERNAL, "could not allocate a judgement number in " + tenant + "/" + campaign);
        } catch (IOException e) {
            throw io("store a judgement of " + tenant + "/" + campaign, e);
        }
    }

    @Override
    public List<Judgement> judgements(String tenant, String campaign) {
        return judgementsAfter(tenant, campaign, 0);
    }

    /**
     * From the start: the log's directory listed. After a number: the files after it read one by one until one is
     * missing, without listing the directory (a rater's request at 20,000 entries): numbers are contiguous, each
     * append taking the last number + 1 under the tenant's lock, and a file appears whole or not at all.
     */
    @Override
    public List<Judgement> judgementsAfter(String tenant, String campaign, long after) {
        get(tenant, campaign);
        Path dir = campaignDir(tenant, campaign).resolve("judgements");
        List<Judgement> out = new ArrayList<>();
        if (after <= 0) {
            seqFiles(dir).forEach(f -> read(f, out));
        } else {
            for (long seq = after + 1; read(dir.resolve(seq + ".json"), out); seq++) {
                // read appends what it finds
            }
        }
        return out;
    }

    /** Adds the judgement in {@code f} to {@code out}; false when there is no such file (an unreadable one is skipped). */
    private static boolean read(Path f, List<Judgement> out) {
        if (!Files.isRegularFile(f)) {
            return false;
        }
        try {
            Judgement j = JSON.readValue(f.toFile(), Judgement.class);
            if ((j.seq() + ".json").equals(f.getFileName().toString())) {
                out.add(j);
            } else {
                LOG.warnf("campaign store: skipping %s: its number does not match its name", f);
            }
        } catch (IOException e) {
            LOG.warnf("campaign store: skipping %s: not a readable judgement: %s", f, e.getMessage());
        }
        return true;
    }

    private static long lastSeq(Path dir) {
        List<Path> files = seqFiles(dir);
        return files.isEmpty() ? 0 : seqOf(files.getLast());
    }

    /** Judgement files, by number. */
    private static List<Path> seqFiles(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> SEQ_FILE.matcher(p.getFileName().toString()).matches())
                    .sorted(Comparator.comparingLong(LocalCampaignStore::seqOf)).toList();
        } catch (IOException e) {
            throw io("list " + dir.getFileName(), e);
        }
    }

    private static long seqOf(Path p) {
        String n = p.getFileName().toString();
        return Long.parseLong(n.substring(0, n.length() - 5));
    }

    /**
     * The tenant's writers in this process take turns (create, update, delete, append). The data directory has one
     * writing server: appends of two processes would still get distinct numbers, but deletes assume one process.
     */
    private <T> T locked(String tenant, IoWork<T> work, String what) {
        ReentrantLock lock = locks.computeIfAbsent(TenantNames.check("tenant", tenant), t -> new ReentrantLock());
        lock.lock();
        try {
            return work.run();
        } catch (IOException e) {
            throw io(what, e);
        } finally {
            lock.unlock();
        }
    }

    @FunctionalInterface
    private interface IoWork<T> {
        T run() throws IOException;
    }

    private Path campaignDir(String tenant, String name) {
        return root.resolve(TenantNames.check("tenant", tenant)).resolve("campaigns").resolve(TenantNames.check("campaign", name));
    }

    private Path imageFile(String tenant, String sha256) {
        if (sha256 == null || !SHA256.matcher(sha256).matches()) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "an image id must be 64 lowercase hex digits (SHA-256)");
        }
        return root.resolve(TenantNames.check("tenant", tenant)).resolve("images").resolve(sha256);
    }

    /** An I/O failure as INTERNAL: the message names the operation, never the server path. */
    private static ImageScoreException io(String what, IOException e) {
        LOG.warnf("campaign store: cannot %s: %s", what, e.toString());
        return new ImageScoreException(ErrorCode.INTERNAL, "campaign store: cannot " + what, e);
    }
}
