package io.imagescore.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Merges the run directories of one batch (typically the n shards of one manifest) into a single output file. It
 * refuses runs that differ in anything but the shard, an incomplete or missing shard, and a repeated id, so the
 * merged file has every id of the manifest exactly once.
 */
public final class Merger {
    private Merger() {
    }

    public record Result(long rows, long failed, int runs) {
    }

    public static Result merge(List<Path> runDirs, Path out, OutputFormat outFormat) throws IOException {
        if (runDirs.isEmpty()) {
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "name at least one run directory");
        }
        JsonNode reference = null;
        TreeMap<Integer, Path> shards = new TreeMap<>();
        int shardCount = -1;
        for (Path dir : runDirs) {
            ObjectNode run = (ObjectNode) RunDirectory.describe(dir);
            Path summary = dir.resolve("summary.json");
            if (!Files.exists(summary) || !new com.fasterxml.jackson.databind.ObjectMapper().readTree(summary.toFile())
                    .path("complete").asBoolean()) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, dir + " is not complete (no summary.json with complete=true); rerun its batch command first");
            }
            Shard shard = Shard.parse(run.get("shard").asText());
            ObjectNode withoutShard = run.deepCopy();
            withoutShard.remove("shard");
            if (reference == null) {
                reference = withoutShard;
                shardCount = shard.count();
            } else if (!reference.equals(withoutShard) || shard.count() != shardCount) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, dir + " belongs to a different run than " + runDirs.getFirst());
            }
            if (shards.put(shard.index(), dir) != null) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "shard " + shard + " is given twice");
            }
        }
        if (shards.size() != shardCount) {
            List<Integer> missing = new ArrayList<>();
            for (int i = 0; i < shardCount; i++) {
                if (!shards.containsKey(i)) {
                    missing.add(i);
                }
            }
            throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "shards " + missing + " of " + shardCount + " are missing");
        }
        JsonNode s = reference.get("schema");
        List<String> scalars = new ArrayList<>();
        s.get("scalars").forEach(n -> scalars.add(n.asText()));
        List<String> classes = new ArrayList<>();
        s.get("classes").forEach(n -> classes.add(n.asText()));
        OutputSchema schema = new OutputSchema(scalars, classes, s.get("embedding").asBoolean());
        OutputFormat inFormat = OutputFormat.parse(reference.get("format").asText());

        IdSet ids = new IdSet();
        long rows = 0;
        long failed = 0;
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        try (RowWriter w = outFormat.writer(tmp, schema)) {
            for (Path dir : shards.values()) {
                for (Path part : RunDirectory.partFiles(dir)) {
                    try (RowReader r = inFormat.reader(part, schema)) {
                        for (BatchRow row; (row = r.read()) != null; ) {
                            if (!ids.add(Shard.hash(row.id()))) {
                                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "id '" + row.id() + "' appears twice (again in " + part + ")");
                            }
                            w.write(row);
                            rows++;
                            failed += row.failed() ? 1 : 0;
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, out, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return new Result(rows, failed, shards.size());
    }
}
