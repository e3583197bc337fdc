#!/usr/bin/python3
"""Gives an image model a UINT8 pixel input `pixels` [N,3,S,S] that it normalises inside its graph, for Triton:
one byte per value on the wire instead of four.

The prefix is Cast(float32) -> Div(255) -> Sub(mean) -> Div(std), per channel, in float32: exactly the arithmetic of
the front end's TensorWriter, `(v / 255f - mean[c]) / std[c]`, in the same order with the same float32 constants
(read from the pack's preprocessing, as the Java side reads them), so the tensor the original graph sees is
bit-identical (checked over all 256 values of every channel and on real photos by Uint8InputModelTest). No other
node, initializer or output changes. The original FP32 input becomes an internal tensor of the same name.
Deterministic (onnx 1.12, Debian python3-onnx).

    /usr/bin/python3 scripts/add_uint8_input.py packs/mobilenetv2-default/pack.json \\
        packs/mobilenetv2-default/models/mobilenetv2-12-int8-spatial.onnx \\
        packs/mobilenetv2-default/models/mobilenetv2-12-int8-spatial-u8.onnx

With `--prefix-only` instead of the source model it writes the normalisation alone (`pixels` in, the model's FP32
input out), which tests run to compare its floats with the front end's bit for bit:

    /usr/bin/python3 scripts/add_uint8_input.py packs/mobilenetv2-default/pack.json --prefix-only \
        imagescore-core/src/test/resources/uint8-input/mobilenetv2-default-prefix.onnx
"""
import json
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from onnx_save import check_and_save

PIXELS = "pixels"


def prefix_nodes(input_name):
    return [
        helper.make_node("Cast", [PIXELS], ["pixels_f32"], name="pixels_cast", to=TensorProto.FLOAT),
        helper.make_node("Div", ["pixels_f32", "pixels_scale"], ["pixels_scaled"], name="pixels_div255"),
        helper.make_node("Sub", ["pixels_scaled", "pixels_mean"], ["pixels_centred"], name="pixels_sub_mean"),
        helper.make_node("Div", ["pixels_centred", "pixels_std"], [input_name], name="pixels_div_std"),
    ]


def prefix_initializers(mean, std):
    return [
        numpy_helper.from_array(np.array(255, dtype=np.float32), "pixels_scale"),
        numpy_helper.from_array(mean, "pixels_mean"),
        numpy_helper.from_array(std, "pixels_std"),
    ]


def main(pack_json, src, dst):
    with open(pack_json) as f:
        encoder = json.load(f)["encoder"]
    pre = encoder["preprocessing"]
    if pre.get("color_order", "RGB") not in ("RGB", "BGR"):
        sys.exit(f"{pack_json}: unknown color_order {pre.get('color_order')}")
    input_name = encoder["input"]["name"]
    size = pre["size"]
    # Python floats (doubles) rounded once to float32: what Java's (float) of the parsed double gives
    mean = np.array(pre["mean"], dtype=np.float32).reshape(1, 3, 1, 1)
    std = np.array(pre["std"], dtype=np.float32).reshape(1, 3, 1, 1)

    if src == "--prefix-only":
        graph = helper.make_graph(
            prefix_nodes(input_name), "uint8_prefix",
            [helper.make_tensor_value_info(PIXELS, TensorProto.UINT8, ["N", 3, size, size])],
            [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, ["N", 3, size, size])],
            prefix_initializers(mean, std))
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="add_uint8_input")
        onnx.checker.check_model(model)
        onnx.save(model, dst)
        print(f"{dst}: normalisation prefix only")
        return
    model = onnx.load(src)
    g = model.graph
    inputs = [i for i in g.input if i.name == input_name]
    if len(inputs) != 1 or inputs[0].type.tensor_type.elem_type != TensorProto.FLOAT:
        sys.exit(f"{src}: expected one FP32 graph input '{input_name}'")
    if any(i.name == PIXELS for i in g.input) or any(PIXELS in n.output for n in g.node):
        sys.exit(f"{src} already has a tensor '{PIXELS}'")
    batch = inputs[0].type.tensor_type.shape.dim[0]
    batch_dim = batch.dim_param or "N"
    g.input.remove(inputs[0])
    g.input.insert(0, helper.make_tensor_value_info(PIXELS, TensorProto.UINT8, [batch_dim, 3, size, size]))
    g.initializer.extend(prefix_initializers(mean, std))
    nodes = prefix_nodes(input_name) + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    check_and_save(model, dst)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
