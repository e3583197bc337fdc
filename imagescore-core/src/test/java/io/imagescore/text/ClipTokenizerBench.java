package io.imagescore.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Throughput of {@link ClipTokenizer} in prompts per second (a benchmark, not a test). Usage, from the project root:
 * {@code java -cp imagescore-core/target/classes:imagescore-core/target/test-classes:$(cat target/cp.txt) io.imagescore.text.ClipTokenizerBench [shared-dir]}
 * (see bench/README.md, section "CLIP tokenizer").
 */
public final class ClipTokenizerBench {

    private static final long WARMUP_NANOS = 3_000_000_000L;
    private static final long MEASURE_NANOS = 5_000_000_000L;

    private static volatile long sink;

    public static void main(String[] args) throws Exception {
        Path shared = Path.of(args.length > 0 ? args[0] : "../shared");
        Path dir = shared.resolve("models/clip-tokenizer");

        long t0 = System.nanoTime();
        ClipTokenizer loaded = ClipTokenizer.load(dir.resolve("bpe_simple_vocab_16e6.txt.gz"));
        double loadMs = (System.nanoTime() - t0) / 1e6;
        sink += loaded.vocabSize();

        List<String> golden = new ArrayList<>();
        for (JsonNode c : new ObjectMapper().readTree(dir.resolve("clip-tokenizer-golden.json").toFile()).get("cases")) {
            golden.add(c.get("text").asText());
        }
        List<String> unique = pseudoWordPrompts(200_000, new Random(42));

        System.out.printf("load (gunzip + vocab + merge table): %.0f ms%n%n", loadMs);
        System.out.println("| workload | threads | prompts/s | µs/prompt |");
        System.out.println("|---|---|---|---|");
        for (int threads : new int[] {1, 2}) {
            ClipTokenizer tok = ClipTokenizer.load(dir.resolve("bpe_simple_vocab_16e6.txt.gz"));
            report("golden prompts (122 strings, cached words), encode()", threads,
                    run(threads, i -> tok.encode(golden.get(i % golden.size())).length));
            report("golden prompts, encodeBatch() of 64 -> INT64 [64,77]", threads,
                    run(threads, i -> batchOf64(tok, golden, i)) * 64);
            // a fresh tokenizer per run so the word cache starts empty; 200k prompts of never-seen pseudo-words
            ClipTokenizer cold = ClipTokenizer.load(dir.resolve("bpe_simple_vocab_16e6.txt.gz"));
            report("unseen pseudo-word prompts (mostly cache misses), encode()", threads,
                    run(threads, i -> cold.encode(unique.get(i % unique.size())).length));
        }
        System.out.println();
        System.out.println("sink " + (sink & 1));
    }

    private static int batchOf64(ClipTokenizer tok, List<String> texts, int i) {
        List<String> batch = new ArrayList<>(64);
        for (int k = 0; k < 64; k++) {
            batch.add(texts.get((i * 64 + k) % texts.size()));
        }
        return tok.encodeBatch(batch).longs().length;
    }

    interface Op {
        int apply(int i);
    }

    /** Operations per second over {@link #MEASURE_NANOS} after {@link #WARMUP_NANOS}, summed over threads. */
    private static double run(int threads, Op op) throws Exception {
        measure(threads, op, WARMUP_NANOS);
        return measure(threads, op, MEASURE_NANOS);
    }

    private static double measure(int threads, Op op, long nanos) throws Exception {
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<long[]>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int offset = t * 1_000_003;
                futures.add(pool.submit(() -> {
                    long start = System.nanoTime();
                    long count = 0;
                    long acc = 0;
                    while (System.nanoTime() - start < nanos) {
                        for (int k = 0; k < 64; k++) {
                            acc += op.apply((int) (offset + count++));
                        }
                    }
                    sink += acc;
                    return new long[] {count, System.nanoTime() - start};
                }));
            }
            double total = 0;
            for (Future<long[]> f : futures) {
                long[] r = f.get();
                total += r[0] * 1e9 / r[1];
            }
            return total;
        }
    }

    private static void report(String workload, int threads, double perSecond) {
        System.out.printf("| %s | %d | %,.0f | %.2f |%n", workload, threads, perSecond, threads * 1e6 / perSecond);
    }

    /** Prompts like "a photo of a {w1} {w2} ..." with random letter strings, so BPE runs on words it has not seen. */
    private static List<String> pseudoWordPrompts(int count, Random random) {
        List<String> prompts = new ArrayList<>(count);
        for (int p = 0; p < count; p++) {
            StringBuilder b = new StringBuilder("a photo of a");
            int words = 2 + random.nextInt(4);
            for (int w = 0; w < words; w++) {
                b.append(' ');
                int len = 4 + random.nextInt(8);
                for (int c = 0; c < len; c++) {
                    b.append((char) ('a' + random.nextInt(26)));
                }
            }
            prompts.add(b.append('.').toString());
        }
        return prompts;
    }
}
