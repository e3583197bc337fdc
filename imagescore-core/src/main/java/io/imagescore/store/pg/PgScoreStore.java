package io.imagescore.store.pg;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.imagescore.score.ScoredImage;
import io.imagescore.scorecache.ScoreKey;
import io.imagescore.scorecache.SharedScores;
import io.imagescore.store.HeadFileStore;

import javax.sql.DataSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The score store's shared tier in PostgreSQL (table {@code score_results}): one row per {@link ScoreKey}, found by
 * the sha256 of the whole key and served only when every field of the key matches. The result is stored as JSON in
 * which every {@code float[]} is the base64 of its IEEE-754 bits and every double is Java's shortest round-trip
 * decimal (NaN as "NaN"), so what is read back is bit-identical to what was put.
 *
 * <p>Bounded by {@code maxBytes} of stored results: after each {@code maxBytes / 16} of its own new results, a store
 * deletes the oldest rows beyond the bound (one statement; replicas prune independently, so the table holds at most
 * {@code maxBytes} plus 1/16 of it per replica writing at that moment). A single result larger than the bound is not
 * stored.
 */
public final class PgScoreStore implements SharedScores {
    static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .registerModule(new SimpleModule("exact-floats")
                    .addSerializer(float[].class, new FloatBits())
                    .addDeserializer(float[].class, new FloatBitsReader()));

    private final DataSource ds;
    private final long maxBytes;
    private final AtomicLong sincePrune = new AtomicLong();
    private final ReentrantLock pruning = new ReentrantLock();

    public PgScoreStore(DataSource ds, long maxBytes) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("the shared score store needs a positive bound, got " + maxBytes);
        }
        this.ds = ds;
        this.maxBytes = maxBytes;
    }

    @Override
    public ScoredImage get(ScoreKey key) {
        return PgJdbc.inTransaction(ds, "read a stored score", c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT tenant, image_sha256, pack_hash, selection, preprocessing, result"
                    + " FROM score_results WHERE key_sha256 = ?")) {
                ps.setString(1, keySha256(key));
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next() || !key.equals(new ScoreKey(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                            rs.getString(5)))) {
                        return null;
                    }
                    return JSON.readValue(rs.getBytes(6), ScoredImage.class);
                } catch (IOException e) {
                    throw new SQLException("a stored score cannot be read: " + e.getMessage(), e);
                }
            }
        });
    }

    @Override
    public void put(ScoreKey key, ScoredImage value) {
        byte[] result;
        try {
            result = JSON.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise a score: " + e.getMessage(), e);
        }
        if (result.length > maxBytes) {
            return;
        }
        boolean inserted = PgJdbc.inTransaction(ds, "store a score", c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO score_results (key_sha256, tenant, image_sha256, pack_hash,"
                    + " selection, preprocessing, result, result_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key_sha256) DO NOTHING")) {
                ps.setString(1, keySha256(key));
                ps.setString(2, key.tenant());
                ps.setString(3, key.imageSha256());
                ps.setString(4, key.packContentHash());
                ps.setString(5, key.selection());
                ps.setString(6, key.preprocessingId());
                ps.setBytes(7, result);
                ps.setInt(8, result.length);
                return ps.executeUpdate() == 1;
            }
        });
        if (inserted && sincePrune.addAndGet(result.length) >= Math.max(1, maxBytes / 16)) {
            prune();
        }
    }

    /** Deletes the oldest results beyond the bound (skipped when this store is pruning already). */
    public void prune() {
        if (!pruning.tryLock()) {
            return;
        }
        try {
            sincePrune.set(0);
            PgJdbc.inTransaction(ds, "prune stored scores", c -> {
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM score_results WHERE key_sha256 IN (SELECT key_sha256 FROM"
                        + " (SELECT key_sha256, sum(result_bytes) OVER (ORDER BY stored_at DESC, key_sha256 DESC) AS newer"
                        + " FROM score_results) t WHERE newer > ?)")) {
                    ps.setLong(1, maxBytes);
                    return ps.executeUpdate();
                }
            });
        } finally {
            pruning.unlock();
        }
    }

    /** Bytes of stored results (what the bound counts). */
    public long bytes() {
        return PgJdbc.inTransaction(ds, "measure stored scores", c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(sum(result_bytes), 0) FROM score_results");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    @Override
    public String describe() {
        return "PostgreSQL table score_results";
    }

    /** sha256 of the key's fields, each prefixed by its length (no two keys share an encoding). */
    static String keySha256(ScoreKey k) {
        StringBuilder b = new StringBuilder();
        for (String f : new String[]{k.tenant(), k.imageSha256(), k.packContentHash(), k.selection(), k.preprocessingId()}) {
            b.append(f.length()).append(':').append(f);
        }
        return HeadFileStore.sha256(b.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** A float[] as the base64 of its big-endian IEEE-754 bits: exact, unlike a decimal read back through a double. */
    private static final class FloatBits extends JsonSerializer<float[]> {
        @Override
        public void serialize(float[] v, JsonGenerator g, SerializerProvider p) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(4 * v.length);
            b.asFloatBuffer().put(v);
            g.writeBinary(b.array());
        }
    }

    private static final class FloatBitsReader extends JsonDeserializer<float[]> {
        @Override
        public float[] deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            byte[] bits = p.getBinaryValue();
            if (bits.length % 4 != 0) {
                throw new IOException("a float array of " + bits.length + " bytes");
            }
            float[] out = new float[bits.length / 4];
            ByteBuffer.wrap(bits).asFloatBuffer().get(out);
            return out;
        }
    }
}
