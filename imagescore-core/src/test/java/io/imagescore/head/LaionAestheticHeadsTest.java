package io.imagescore.head;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagescore.testing.Shared;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The LAION aesthetic heads, read from safetensors, reproduce the shared golden scores on real CLIP embeddings. */
class LaionAestheticHeadsTest {

    @ParameterizedTest
    @CsvSource({
            "sa_0_4_vit_b_32_linear, vit_b_32",
            "sa_0_4_vit_l_14_linear, vit_l_14",
            "sac+logos+ava1-l14-linearMSE, vit_l_14"})
    void head_reproduces_golden_scores_on_reference_embeddings(String head, String embeddings) throws Exception {
        Path dir = Shared.path("models/laion-aesthetic");
        Map<String, Safetensors.F32> w = Safetensors.read(dir.resolve(head + ".safetensors"));
        Head h = w.containsKey("weight") ? HeadWeights.linear(w, true) : HeadWeights.mlp(w, true, MlpHead.Activation.NONE);
        JsonNode golden = new ObjectMapper().readTree(dir.resolve("golden-scores.json").toFile()).get(head);
        assertThat(golden.get("embeddings").asText()).isEqualTo(embeddings);
        JsonNode expected = golden.get("scores_for_rating0_to_9");
        for (int rating = 0; rating <= 9; rating++) {
            float[] e = Shared.npyFloats(dir.resolve("reference-embeddings/" + embeddings + "/rating" + rating + ".npy"));
            assertThat(e).hasSize(h.inputDim());
            assertThat((double) h.apply(e)[0]).as("%s rating %d", head, rating)
                    .isCloseTo(expected.get(rating).asDouble(), within(1e-3));
        }
    }
}
