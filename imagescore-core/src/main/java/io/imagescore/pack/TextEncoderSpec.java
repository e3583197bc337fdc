package io.imagescore.pack;

import io.imagescore.model.ModelSpec;

import java.nio.file.Path;

/**
 * The text tower of a CLIP pack: the model (loaded into the same backend as the image encoder), the output holding
 * the text embedding, the BPE merges file of the tokenizer, the context length of {@code input_ids}, and the logit
 * scale CLIP multiplies cosines by before a softmax (100 for OpenAI CLIP).
 */
public record TextEncoderSpec(ModelSpec model, String embeddingOutput, Path tokenizer, int contextLength, double logitScale) {

    public String inputName() {
        return model.inputs().getFirst().name();
    }

    public int embeddingDim() {
        return Math.toIntExact(model.output(embeddingOutput).shape().getLast());
    }
}
