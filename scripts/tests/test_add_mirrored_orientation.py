"""scripts/add_mirrored_orientation.py on the default pack's UINT8 Triton model: it reproduces the committed mirrored
model byte for byte, leaves the network itself unchanged, and gives every output the orientation axis (the numbers are
checked in Java: TritonMirroredModelTest, bit for bit against the plain model on mirrored pixels)."""
import unittest
from pathlib import Path

from onnx import numpy_helper

from committed_model import CommittedModel

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
MODELS = ROOT / "packs" / "mobilenetv2-default" / "models"
SOURCE = MODELS / "mobilenetv2-12-int8-spatial-u8.onnx"
COMMITTED = MODELS / "mobilenetv2-12-int8-spatial-u8-mirrored.onnx"


class AddMirroredOrientation(CommittedModel, unittest.TestCase):
    SCRIPT = "add_mirrored_orientation.py"
    SOURCE = SOURCE
    COMMITTED = COMMITTED

    def test_every_output_gains_the_orientation_axis_after_the_batch(self):
        def dims(vi):
            return [d.dim_param or d.dim_value for d in vi.type.tensor_type.shape.dim]
        before = {o.name: dims(o) for o in self.source.graph.output}
        after = {o.name: dims(o) for o in self.model.graph.output}
        self.assertEqual(set(before), set(after))
        for name, d in before.items():
            self.assertEqual(after[name][1:], [2] + d[1:], name)
        self.assertEqual([dims(i) for i in self.model.graph.input], [dims(i) for i in self.source.graph.input])

    def test_the_network_is_unchanged_and_fed_the_views_then_their_mirrors(self):
        g = self.model.graph
        ops = [n.op_type for n in g.node]
        self.assertEqual(ops[:2], ["Slice", "Concat"])
        self.assertEqual(ops[2:len(self.source.graph.node) + 2], [n.op_type for n in self.source.graph.node])
        inits = {i.name: numpy_helper.to_array(i).tolist() for i in g.initializer}
        slice_node, concat = g.node[0], g.node[1]
        self.assertEqual(inits[slice_node.input[3]], [3])  # the width axis of NCHW
        self.assertEqual(inits[slice_node.input[4]], [-1])
        self.assertEqual(list(concat.input), ["pixels", slice_node.output[0]])  # orientation 0 = as sent
        for src in self.source.graph.initializer:
            self.assertIn(src.name, inits)


if __name__ == "__main__":
    unittest.main()
