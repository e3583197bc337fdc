package io.imagescore.batch;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code imagescore merge}: one output file from the run directories of a batch's shards. */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "Merge complete batch run directories (e.g. all shards i/n of one manifest) into one file; every id exactly once.")
public final class MergeCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "output file; its extension (.csv, .jsonl, .parquet) picks the format")
    Path out;
    @Parameters(arity = "1..*", description = "run directories")
    List<Path> runs;

    @Override
    public Integer call() throws Exception {
        Merger.Result r = Merger.merge(runs, out, OutputFormat.of(out));
        System.err.printf("merged %d run(s): %,d rows (%,d failed) -> %s%n", r.runs(), r.rows(), r.failed(), out);
        return 0;
    }
}
