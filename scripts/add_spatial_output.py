#!/usr/bin/python3
"""Adds MobileNetV2's last spatial feature map as an extra graph output `spatial` (float32 [N,1280,7,7]).

The shared int8 model already dequantizes the last 1x1 conv's map (tensor '627', [N,1280,7,7]) for its Shape
node; its `features` output is QLinearGlobalAveragePool over the same quantized map. This script only adds an
Identity node '627' -> 'spatial' and a graph output: no existing node, initializer or output changes, so
`output` and `features` stay bit-identical (checked by SpatialOutputModelTest). Deterministic: the same input
gives the same bytes (onnx 1.12, Debian python3-onnx).

    /usr/bin/python3 scripts/add_spatial_output.py \
        ../shared/models/mobilenetv2/mobilenetv2-12-int8-features.onnx \
        packs/mobilenetv2-default/models/mobilenetv2-12-int8-spatial.onnx
"""
import sys

import onnx
from onnx import TensorProto, helper

from onnx_save import check_and_save

SOURCE_TENSOR = "627"  # DequantizeLinear(627_quantized): the map QLinearGlobalAveragePool reads
OUTPUT = "spatial"


def main(src, dst):
    model = onnx.load(src)
    g = model.graph
    if any(o.name == OUTPUT for o in g.output):
        sys.exit(f"{src} already has an output '{OUTPUT}'")
    producers = [n for n in g.node if SOURCE_TENSOR in n.output]
    if len(producers) != 1 or producers[0].op_type != "DequantizeLinear":
        sys.exit(f"{src}: expected one DequantizeLinear producing '{SOURCE_TENSOR}', found {producers}")
    pool = [n for n in g.node if n.op_type == "QLinearGlobalAveragePool"]
    if len(pool) != 1 or pool[0].input[0] != producers[0].input[0]:
        sys.exit(f"{src}: '{SOURCE_TENSOR}' is not the dequantized input of the global average pool")
    g.node.append(helper.make_node("Identity", [SOURCE_TENSOR], [OUTPUT], name="spatial_output"))
    g.output.append(helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["N", 1280, 7, 7]))
    check_and_save(model, dst)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
