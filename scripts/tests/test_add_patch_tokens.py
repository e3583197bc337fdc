"""scripts/add_patch_tokens.py on ../shared's tiny CLIP image tower: it reproduces the committed edited model byte for
byte, and the new output reads the class token's own hidden state, layer norm and projection (the numbers are checked
in Java: PromptExplanationTest)."""
import unittest
from pathlib import Path


from committed_model import CommittedModel

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SOURCE = ROOT.parent / "shared" / "models" / "clip-tiny" / "tiny-clip-image.onnx"
COMMITTED = ROOT / "imagescore-core" / "src" / "test" / "resources" / "packs" / "clip-tiny" / "tiny-clip-image-spatial.onnx"


class AddPatchTokens(CommittedModel, unittest.TestCase):
    SCRIPT = "add_patch_tokens.py"
    SOURCE = SOURCE
    COMMITTED = COMMITTED

    def test_the_patch_path_reuses_the_class_tokens_hidden_state_norm_and_projection(self):
        g = self.model.graph
        producer = {o: n for n in g.node for o in n.output}
        proj = producer["image_embeds"]
        norm = producer[proj.input[0]]
        pool = producer[norm.input[0]]
        grid = producer["spatial"]
        transpose = producer[grid.input[0]]
        matmul = producer[transpose.input[0]]
        layernorm = producer[matmul.input[0]]
        sliced = producer[layernorm.input[0]]
        self.assertEqual([n.op_type for n in (grid, transpose, matmul, layernorm, sliced)],
                         ["Reshape", "Transpose", "MatMul", "LayerNormalization", "Slice"])
        self.assertEqual(sliced.input[0], pool.input[0])          # the same last hidden state
        self.assertEqual(list(layernorm.input[1:]), list(norm.input[1:]))  # the same ln_post weights
        self.assertEqual(layernorm.attribute, norm.attribute)      # and epsilon / axis
        self.assertEqual(matmul.input[1], proj.input[1])           # the same projection
        dims = [d.dim_value or d.dim_param for d in g.output[-1].type.tensor_type.shape.dim]
        self.assertEqual(dims, ["batch", 16, 7, 7])
        # nothing before the new output changed: the original nodes come first, unchanged
        original = self.source.graph
        self.assertEqual(list(g.node)[:len(original.node)], list(original.node))
        self.assertEqual([o.name for o in g.output], ["image_embeds", "spatial"])


if __name__ == "__main__":
    unittest.main()
