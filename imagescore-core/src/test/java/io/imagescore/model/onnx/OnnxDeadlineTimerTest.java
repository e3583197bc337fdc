package io.imagescore.model.onnx;

import io.imagescore.model.ModelSpec;
import io.imagescore.model.Tensor;
import io.imagescore.pack.PackLoader;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The terminate timer a run with a deadline arms is gone once the run has ended in time. */
class OnnxDeadlineTimerTest {
    @Test
    void runs_that_end_in_time_leave_no_timer_behind() {
        ModelSpec encoder = new PackLoader(Shared.dir()).load(Shared.root().resolve("packs/mobilenetv2-default")).encoder();
        try (OnnxBackend backend = new OnnxBackend(new OnnxBackend.Config(1))) {
            backend.load(encoder);
            int before = OnnxBackend.pendingDeadlines();
            Tensor image = Tensor.ofFloats(new long[] {1, 3, 224, 224}, new float[3 * 224 * 224]);
            for (int i = 0; i < 5; i++) {
                Map<String, Tensor> out = backend.infer(encoder.id(), Map.of("input", image), Set.of("output"),
                        Instant.now().plus(Duration.ofMinutes(2)));
                assertThat(out.get("output").shape()).containsExactly(1, 1000);
            }
            // with the executor's default policy each cancelled timer stayed queued until its deadline: before + 5
            assertThat(OnnxBackend.pendingDeadlines()).isEqualTo(before);
        }
    }
}
