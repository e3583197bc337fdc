package io.imagescore.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.imagescore.fit.FittedHead;
import io.imagescore.head.Safetensors;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackLoader;
import io.imagescore.prompt.PromptSet;
import io.imagescore.sort.Regulation;
import io.imagescore.testing.Shared;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What the state-store tests write: a small prompt set, a regulation, a linear head for the default pack. */
final class StoreFixtures {
    static final String TENANT = "crash";
    static final String SET = "listing";
    static final String REGULATION = "rooms";
    static final String HEAD = "crash_head";
    static final Path DEFAULT_PACK = Path.of("packs/mobilenetv2-default");

    static final Regulation RULES = new Regulation("room_type",
            List.of("living_room", "kitchen", "dining_room", "bedroom", "bathroom", "entrance_hall"),
            List.of("living_room", "kitchen"), "quality", 0.4, 0.1, Regulation.Placement.BEFORE, true);

    private StoreFixtures() {
    }

    static PromptSet promptSet(long n) {
        return new PromptSet("", "", List.of(new PromptSet.Attribute("bright", "",
                List.of(new PromptSet.Pair("Bright photo number " + n + ".", "Dark photo.")), null, null, null)), List.of());
    }

    static ModelPack defaultPack() {
        return new PackLoader(Shared.dir()).load(DEFAULT_PACK);
    }

    /** A scalar linear head over the pack's 1280-d embedding; {@code seq} goes into its training metadata. */
    static FittedHead head(long seq) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode m = json.createObjectNode();
        m.put("type", "linear");
        m.put("weights", "weights.safetensors");
        ObjectNode score = m.putObject("score");
        score.put("kind", "scalar");
        score.putArray("range").add(0.0).add(1.0);
        m.putObject("training").put("seq", seq);
        float[] w = new float[1280];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) Math.sin(i + seq);
        }
        Map<String, Safetensors.F32> weights = new LinkedHashMap<>();
        weights.put("weight", new Safetensors.F32(new long[]{1, 1280}, w));
        weights.put("bias", new Safetensors.F32(new long[]{1}, new float[]{(float) seq}));
        return new FittedHead(HEAD, m, weights);
    }
}
