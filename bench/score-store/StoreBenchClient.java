import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.imagescore.api.v1.ImageInput;
import io.imagescore.api.v1.ImageScoreGrpc;
import io.imagescore.api.v1.ScoreOptions;
import io.imagescore.api.v1.ScoreRequest;
import io.imagescore.api.v1.ScoreResponse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Score answered from the score store vs recomputed, same images and options. A recomputation uses a tenant never
 * seen before (the store's key includes the tenant, so it misses); a stored answer repeats a warmed tenant's call.
 * Args: host:port, images dir, image count, rounds. Prints medians and the ratio.
 */
public class StoreBenchClient {
    public static void main(String[] args) throws Exception {
        String[] hp = args[0].split(":");
        Path dir = Path.of(args[1]);
        int count = Integer.parseInt(args[2]);
        int rounds = Integer.parseInt(args[3]);
        List<ImageInput> images = new ArrayList<>();
        try (var s = Files.list(dir)) {
            for (Path f : s.sorted().limit(count).toList()) {
                images.add(ImageInput.newBuilder().setId(f.getFileName().toString()).setData(ByteString.copyFrom(Files.readAllBytes(f))).build());
            }
        }
        ManagedChannel ch = ManagedChannelBuilder.forAddress(hp[0], Integer.parseInt(hp[1])).usePlaintext()
                .maxInboundMessageSize(64 << 20).build();
        var stub = ImageScoreGrpc.newBlockingStub(ch);
        ScoreOptions.Builder opts = ScoreOptions.newBuilder().addScores("quality").addScores("room_type");
        // warm-up: JIT, ONNX Runtime, and the stored entries of tenant "warm"
        for (int i = 0; i < 3; i++) {
            stub.score(ScoreRequest.newBuilder().addAllImages(images).setOptions(opts.clone().setTenant("miss-warm-" + i)).build());
        }
        ScoreResponse stored = stub.score(ScoreRequest.newBuilder().addAllImages(images).setOptions(opts.clone().setTenant("warm")).build());
        double[] recompute = new double[rounds];
        double[] fromStore = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            ScoreResponse fresh = stub.score(ScoreRequest.newBuilder().addAllImages(images).setOptions(opts.clone().setTenant("miss-" + r)).build());
            recompute[r] = (System.nanoTime() - t0) / 1e6;
            t0 = System.nanoTime();
            ScoreResponse hit = stub.score(ScoreRequest.newBuilder().addAllImages(images).setOptions(opts.clone().setTenant("warm")).build());
            fromStore[r] = (System.nanoTime() - t0) / 1e6;
            if (!hit.getResultsList().equals(fresh.getResultsList()) || !hit.getResultsList().equals(stored.getResultsList())) {
                throw new IllegalStateException("stored answer differs from the recomputed one");
            }
        }
        Arrays.sort(recompute);
        Arrays.sort(fromStore);
        double mr = recompute[rounds / 2];
        double ms = fromStore[rounds / 2];
        System.out.printf("images=%d rounds=%d%nrecompute.median_ms=%.2f (min %.2f, max %.2f)%nstore.median_ms=%.2f (min %.2f, max %.2f)%nspeedup=%.1fx%n",
                count, rounds, mr, recompute[0], recompute[rounds - 1], ms, fromStore[0], fromStore[rounds - 1], mr / ms);
        ch.shutdownNow();
    }
}
