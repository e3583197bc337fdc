package io.imagescore.batch;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.imagescore.error.ImageScoreException;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/** The end of a run: totals over every invocation, this invocation's rate, errors by code, and the exit code. */
public record BatchSummary(long rows, long failed, Map<String, Long> errorsByCode, long duplicates, long processedNow,
                           double seconds, Throwable error) {

    public int exitCode() {
        return error != null ? 1 : failed > 0 ? 2 : 0;
    }

    public double rate() {
        return processedNow / Math.max(seconds, 1e-9);
    }

    public void print(PrintStream out) {
        out.printf("%s: %,d images in the output, %,d scored, %,d failed; %,d duplicate ids skipped%n",
                error != null ? "STOPPED" : "done", rows, rows - failed, failed, duplicates);
        out.printf("this invocation: %,d images in %.1f s = %.1f images/s%n", processedNow, seconds, rate());
        errorsByCode.forEach((code, n) -> out.printf("  %-20s %,d%n", code, n));
        if (error != null) {
            Throwable root = error;
            while (root.getCause() != null && !(root instanceof ImageScoreException)) {
                root = root.getCause();
            }
            out.println("error: " + (root instanceof ImageScoreException ? "" : root.getClass().getName() + ": ") + root.getMessage());
            out.println("the output so far is safe; rerun the same command to resume");
        }
    }

    ObjectNode toJson() {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("complete", error == null);
        n.put("rows", rows).put("scored", rows - failed).put("failed", failed).put("duplicates_skipped", duplicates);
        ObjectNode e = n.putObject("errors_by_code");
        errorsByCode.forEach(e::put);
        return n;
    }

    static final class Builder {
        private long duplicates;

        void duplicate(SourceEntry e, PrintStream log) {
            duplicates++;
            if (log != null) {
                log.printf("duplicate id '%s' at %s: skipped (the first occurrence is scored)%n", e.id(), e.where());
            }
        }

        long duplicates() {
            return duplicates;
        }

        BatchSummary finish(List<RunDirectory.ChunkStats> chunks, long processedNow, long nanos, Throwable error) {
            long rows = chunks.stream().mapToLong(RunDirectory.ChunkStats::rows).sum();
            long failed = chunks.stream().mapToLong(RunDirectory.ChunkStats::failed).sum();
            return new BatchSummary(rows, failed, BatchRunner.errorsByCode(chunks), duplicates, processedNow, nanos / 1e9, error);
        }
    }
}
