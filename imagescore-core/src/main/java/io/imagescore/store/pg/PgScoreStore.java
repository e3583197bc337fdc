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
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The score store's shared tier in PostgreSQL (table {@code score_results}): one row per {@link ScoreKey}, found by
 * the sha256 of the whole key and served only when every field of the key matches. The result is stored as JSON in
 * which every {@code float[]} is the base64 of its IEEE-754 bits and every double is Java's shortest round-trip
 * decimal (NaN as "NaN"), so what is read back is bit-identical to what was put.
 *
 * <p>One statement per lookup of many keys (a call's memory misses), which also marks the rows found as used (at
 * most once per {@code touchAfter} per row, and never waiting for a row another transaction holds).
 *
 * <p>Bounded exactly by {@code maxBytes} of stored results: the sum of {@code result_bytes} is kept in the one row of
 * {@code score_results_usage}, which every writing transaction locks first, so writers of all replicas take turns and
 * each sees the true total. A write that would pass the bound evicts the least recently used rows in the same
 * transaction, down to 15/16 of the bound (so eviction runs once per 1/16 of new results, not on every write); no
 * committed state holds more than {@code maxBytes}. A single result larger than the bound is not stored.
 */
public final class PgScoreStore implements SharedScores {
    static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .registerModule(new SimpleModule("exact-floats")
                    .addSerializer(float[].class, new FloatBits())
                    .addDeserializer(float[].class, new FloatBitsReader()));
    /** How often a row's last_used is refreshed at most: LRU to the minute, and a hot row is not rewritten per read. */
    public static final Duration DEFAULT_TOUCH_AFTER = Duration.ofMinutes(1);
    /** Rows an eviction statement considers at a time (oldest first); it repeats until enough is freed. */
    private static final int EVICT_BATCH = 10_000;

    private final DataSource ds;
    private final long maxBytes;
    private final double touchAfterSeconds;

    public PgScoreStore(DataSource ds, long maxBytes) {
        this(ds, maxBytes, DEFAULT_TOUCH_AFTER);
    }

    public PgScoreStore(DataSource ds, long maxBytes, Duration touchAfter) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("the shared score store needs a positive bound, got " + maxBytes);
        }
        this.ds = ds;
        this.maxBytes = maxBytes;
        this.touchAfterSeconds = touchAfter.toNanos() / 1e9;
    }

    @Override
    public Map<ScoreKey, ScoredImage> getAll(Collection<ScoreKey> keys) {
        if (keys.isEmpty()) {
            return Map.of();
        }
        Map<String, ScoreKey> bySha = new HashMap<>();
        keys.forEach(k -> bySha.put(keySha256(k), k));
        return PgJdbc.inTransaction(ds, "read stored scores", c -> {
            // the touch is a data-modifying CTE: it runs once, whether or not the SELECT reads it
            try (PreparedStatement ps = c.prepareStatement("WITH touched AS (UPDATE score_results SET last_used = clock_timestamp()"
                    + " WHERE key_sha256 IN (SELECT key_sha256 FROM score_results WHERE key_sha256 = ANY(?)"
                    + " AND last_used < clock_timestamp() - make_interval(secs => ?) FOR UPDATE SKIP LOCKED))"
                    + " SELECT key_sha256, tenant, image_sha256, pack_hash, selection, preprocessing, result FROM score_results"
                    + " WHERE key_sha256 = ANY(?)")) {
                Array shas = c.createArrayOf("text", bySha.keySet().toArray());
                ps.setArray(1, shas);
                ps.setDouble(2, touchAfterSeconds);
                ps.setArray(3, shas);
                Map<ScoreKey, ScoredImage> out = new HashMap<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ScoreKey key = bySha.get(rs.getString(1));
                        if (key != null && key.equals(new ScoreKey(rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                                rs.getString(6)))) {
                            out.put(key, JSON.readValue(rs.getBytes(7), ScoredImage.class));
                        }
                    }
                } catch (IOException e) {
                    throw new SQLException("a stored score cannot be read: " + e.getMessage(), e);
                }
                return out;
            }
        });
    }

    @Override
    public void putAll(Map<ScoreKey, ScoredImage> results) {
        List<ScoreKey> keys = new ArrayList<>();
        List<byte[]> bodies = new ArrayList<>();
        results.forEach((key, value) -> {
            byte[] body;
            try {
                body = JSON.writeValueAsBytes(value);
            } catch (IOException e) {
                throw new IllegalStateException("cannot serialise a score: " + e.getMessage(), e);
            }
            if (body.length <= maxBytes) {
                keys.add(key);
                bodies.add(body);
            }
        });
        if (keys.isEmpty()) {
            return;
        }
        PgJdbc.inTransaction(ds, "store scores", c -> {
            long total;
            // the turn of this writer: every writer locks the usage row before it inserts or evicts
            try (PreparedStatement ps = c.prepareStatement("SELECT bytes FROM score_results_usage FOR UPDATE");
                 ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("score_results_usage has no row");
                }
                total = rs.getLong(1);
            }
            int[] inserted;
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO score_results (key_sha256, tenant, image_sha256, pack_hash,"
                    + " selection, preprocessing, result, result_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key_sha256) DO NOTHING")) {
                for (int i = 0; i < keys.size(); i++) {
                    ScoreKey key = keys.get(i);
                    ps.setString(1, keySha256(key));
                    ps.setString(2, key.tenant());
                    ps.setString(3, key.imageSha256());
                    ps.setString(4, key.packContentHash());
                    ps.setString(5, key.selection());
                    ps.setString(6, key.preprocessingId());
                    ps.setBytes(7, bodies.get(i));
                    ps.setInt(8, bodies.get(i).length);
                    ps.addBatch();
                }
                inserted = ps.executeBatch();
            }
            boolean counted = true;
            for (int i = 0; i < inserted.length; i++) {
                counted &= inserted[i] >= 0;
                total += inserted[i] > 0 ? bodies.get(i).length : 0;
            }
            if (!counted) {
                total = sum(c); // a driver setting that batches without row counts: count from the table instead
            }
            if (total > maxBytes) {
                total -= evict(c, total - (maxBytes - maxBytes / 16));
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE score_results_usage SET bytes = ?")) {
                ps.setLong(1, total);
                ps.executeUpdate();
            }
            return total;
        });
    }

    /** Deletes the least recently used rows until at least {@code atLeast} bytes are freed (or none is left); returns the bytes freed. */
    private static long evict(Connection c, long atLeast) throws SQLException {
        long freed = 0;
        while (freed < atLeast) {
            try (PreparedStatement ps = c.prepareStatement("WITH victims AS (SELECT key_sha256,"
                    + " sum(result_bytes) OVER (ORDER BY last_used, key_sha256) - result_bytes AS freed_before"
                    + " FROM (SELECT key_sha256, result_bytes, last_used FROM score_results ORDER BY last_used, key_sha256 LIMIT ?) oldest),"
                    + " gone AS (DELETE FROM score_results d USING victims v WHERE d.key_sha256 = v.key_sha256 AND v.freed_before < ?"
                    + " RETURNING d.result_bytes) SELECT count(*), coalesce(sum(result_bytes), 0) FROM gone")) {
                ps.setInt(1, EVICT_BATCH);
                ps.setLong(2, atLeast - freed);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) == 0) {
                        return freed;
                    }
                    freed += rs.getLong(2);
                }
            }
        }
        return freed;
    }

    private static long sum(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(sum(result_bytes), 0) FROM score_results");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Bytes of stored results, summed over the rows (what the bound counts). */
    public long bytes() {
        return PgJdbc.inTransaction(ds, "measure stored scores", PgScoreStore::sum);
    }

    /** The running total the writers keep ({@code score_results_usage}); equals {@link #bytes()}. */
    public long usage() {
        return PgJdbc.inTransaction(ds, "read the stored scores' usage", c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT bytes FROM score_results_usage"); ResultSet rs = ps.executeQuery()) {
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
