package io.imagescore.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code imagescore} command line (run through {@code bin/imagescore}). It uses the same classes as the service
 * (packs, backend, pipeline, fitting, sorting) without starting a server. Subcommands register here.
 */
@Command(name = "imagescore", mixinStandardHelpOptions = true, version = "imagescore 0.1.0",
        description = "Score, fit, evaluate, sort and batch-process images with imagescore model packs.",
        subcommands = {
                CommandLine.HelpCommand.class,
                io.imagescore.batch.BatchCommand.class,
                io.imagescore.batch.MergeCommand.class,
                io.imagescore.bench.LoadGenerator.class,
                OrderCommand.class,
                OrderEvalCommand.class,
                SortCommand.class,
                TuneCommand.class,
        })
public final class ImageScoreCli {

    public static void main(String[] args) {
        System.exit(new CommandLine(new ImageScoreCli()).execute(args));
    }
}
