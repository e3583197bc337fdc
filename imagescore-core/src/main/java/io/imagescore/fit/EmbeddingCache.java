package io.imagescore.fit;

import io.imagescore.image.View;
import io.imagescore.score.ScoringPipeline;
import io.imagescore.store.DurableFiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Encoder outputs per (encoder + pixel pipeline, image content sha256, view), so a refit on the same images costs no
 * encoder pass and clients can name images they sent before by hash. Bounded: least recently used entries go first
 * (the JDK's access-ordered LinkedHashMap). Optionally mirrored to a directory (the CLI uses it so that repeated
 * fits and evaluations of the same photos skip the encoder across runs); the files hold the exact floats, written
 * through {@link DurableFiles} (a crash leaves no torn entry; stale temporaries are removed when the cache opens), and a
 * file whose length does not fit the format is a miss.
 */
public final class EmbeddingCache {

    /** {@code encoder} identifies encoder, pixel pipeline and output, e.g. "mobilenetv2-default/encoder|…|features". */
    public record Key(String encoder, String sha256, View view) {
    }

    /** The view's output averaged over its {@code tensors} tensors (9 for a grid): views combine with that weight. */
    public record Entry(int tensors, float[] mean) {
    }

    private final int maxEntries;
    private final Path dir;
    private final Map<Key, Entry> entries;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();

    public EmbeddingCache(int maxEntries, Path dir) {
        this.maxEntries = maxEntries;
        this.dir = dir;
        if (dir != null) {
            DurableFiles.removeStaleTemporaries(dir);
        }
        this.entries = new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, EmbeddingCache.Entry> eldest) {
                return size() > EmbeddingCache.this.maxEntries;
            }
        };
    }

    public Entry get(Key key) {
        Entry e;
        synchronized (entries) {
            e = entries.get(key);
        }
        if (e == null && dir != null) {
            e = readFile(key);
            if (e != null) {
                synchronized (entries) {
                    entries.put(key, e);
                }
            }
        }
        (e == null ? misses : hits).incrementAndGet();
        return e;
    }

    public void put(Key key, Entry entry) {
        synchronized (entries) {
            entries.put(key, entry);
        }
        if (dir != null) {
            writeFile(key, entry);
        }
    }

    public int size() {
        synchronized (entries) {
            return entries.size();
        }
    }

    public long hits() {
        return hits.get();
    }

    public long misses() {
        return misses.get();
    }

    /** The key's file, or null when its sha256 is not 64 lowercase hex (then it must never become a path). */
    private Path file(Key key) {
        if (!ImageRef.isSha256(key.sha256())) {
            return null;
        }
        String enc = ScoringPipeline.sha256(key.encoder().getBytes(java.nio.charset.StandardCharsets.UTF_8)).substring(0, 16);
        return dir.resolve(enc).resolve(key.sha256().substring(0, 2)).resolve(key.sha256() + "." + key.view().id() + ".f32");
    }

    private Entry readFile(Key key) {
        Path f = file(key);
        if (f == null || !Files.isRegularFile(f)) {
            return null;
        }
        try {
            byte[] bytes = Files.readAllBytes(f);
            if (bytes.length < 8 || bytes.length % 4 != 0) {
                return null; // not an entry this class wrote: only a miss
            }
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            int tensors = b.getInt();
            if (tensors <= 0) {
                return null;
            }
            float[] mean = new float[b.remaining() / 4];
            b.asFloatBuffer().get(mean);
            return new Entry(tensors, mean);
        } catch (IOException e) {
            return null; // a damaged cache file is only a miss
        }
    }

    private void writeFile(Key key, Entry entry) {
        Path f = file(key);
        if (f == null) {
            return;
        }
        try {
            ByteBuffer b = ByteBuffer.allocate(4 + 4 * entry.mean().length).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(entry.tensors());
            b.asFloatBuffer().put(entry.mean());
            DurableFiles.replaceFile(f, b.array());
        } catch (IOException e) {
            // the disk mirror is an optimisation; the in-memory entry stands
        }
    }
}
