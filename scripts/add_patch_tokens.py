#!/usr/bin/python3
"""Adds a CLIP image tower's projected patch tokens as an extra graph output `spatial` (float32 [N,D,G,G]).

A CLIP ViT pools its image by taking the class token of the last transformer layer, then post-layer-norm, then the
visual projection: Gather(hidden, 0, axis=1) -> LayerNormalization -> MatMul(proj) -> `image_embeds` [N,D]. This
script sends the other G*G tokens of the same hidden state through the same LayerNormalization (same weights and
epsilon) and the same projection matrix: Slice(hidden, 1:, axis=1) -> LayerNormalization -> MatMul -> Transpose ->
Reshape, giving each patch an embedding in the text embeddings' space, laid out like a CNN map ([N, D, G, G],
row-major patches; D = the embedding length), which is the convention explanations read (docs/explain.md). This is
the plain "patch tokens after ln_post and proj" form; MaskCLIP's variant (the last block's value path without
query-key attention) is not used. No existing node, initializer or output changes, so `image_embeds` stays
bit-identical (PromptExplanationTest). Deterministic: the same input gives the same bytes (onnx 1.12, Debian
python3-onnx). Written for the Hugging Face CLIPVisionModel export of ../shared/models/clip-tiny; the checks below
refuse any other graph shape instead of guessing.

    /usr/bin/python3 scripts/add_patch_tokens.py ../shared/models/clip-tiny/tiny-clip-image.onnx \\
        imagescore-core/src/test/resources/packs/clip-tiny/tiny-clip-image-spatial.onnx

scripts/export_clip_onnx.py --patch-tokens exports the same output straight from PyTorch for our own CLIP exports.
"""
import math
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from onnx_save import check_and_save

EMBEDS = "image_embeds"
OUTPUT = "spatial"


def only(nodes, what):
    if len(nodes) != 1:
        sys.exit(f"expected one {what}, found {len(nodes)}")
    return nodes[0]


def constant_value(g, name):
    for n in g.node:
        if n.op_type == "Constant" and name in n.output:
            return numpy_helper.to_array(n.attribute[0].t)
    for t in g.initializer:
        if t.name == name:
            return numpy_helper.to_array(t)
    sys.exit(f"'{name}' is not a constant")


def main(src, dst):
    model = onnx.load(src)
    g = model.graph
    if any(o.name == OUTPUT for o in g.output):
        sys.exit(f"{src} already has an output '{OUTPUT}'")
    inits = {t.name: t for t in g.initializer}
    proj = only([n for n in g.node if EMBEDS in n.output and n.op_type == "MatMul"], f"MatMul producing {EMBEDS}")
    norm = only([n for n in g.node if proj.input[0] in n.output and n.op_type == "LayerNormalization"],
                "LayerNormalization before the projection")
    pool = only([n for n in g.node if norm.input[0] in n.output and n.op_type == "Gather"], "class-token Gather")
    axis = [a.i for a in pool.attribute if a.name == "axis"]
    if axis != [1] or int(constant_value(g, pool.input[1])) != 0:
        sys.exit(f"{src}: the pooling Gather is not token 0 of axis 1")
    if proj.input[1] not in inits or len(inits[proj.input[1]].dims) != 2:
        sys.exit(f"{src}: the projection is not a 2-d initializer")
    width, dim = inits[proj.input[1]].dims
    positions = only([t for t in g.initializer if "position_embedding" in t.name and len(t.dims) == 2],
                     "position embedding initializer")
    grid = math.isqrt(positions.dims[0] - 1)
    if grid * grid != positions.dims[0] - 1 or positions.dims[1] != width:
        sys.exit(f"{src}: {positions.dims[0]} positions are not a class token plus a square grid of patches")

    hidden = pool.input[0]
    p = "patch_tokens_"
    g.initializer.extend([
        numpy_helper.from_array(np.array([1], dtype=np.int64), p + "start"),
        numpy_helper.from_array(np.array([np.iinfo(np.int64).max], dtype=np.int64), p + "end"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), p + "axis"),
        numpy_helper.from_array(np.array([0, dim, grid, grid], dtype=np.int64), p + "shape"),
    ])
    g.node.extend([
        helper.make_node("Slice", [hidden, p + "start", p + "end", p + "axis"], [p + "tokens"], name=p + "slice"),
        helper.make_node("LayerNormalization", [p + "tokens", norm.input[1], norm.input[2]], [p + "normed"],
                         name=p + "layernorm", **{a.name: helper.get_attribute_value(a) for a in norm.attribute}),
        helper.make_node("MatMul", [p + "normed", proj.input[1]], [p + "projected"], name=p + "projection"),
        helper.make_node("Transpose", [p + "projected"], [p + "channels_first"], name=p + "transpose", perm=[0, 2, 1]),
        helper.make_node("Reshape", [p + "channels_first", p + "shape"], [OUTPUT], name=p + "grid"),
    ])
    batch = g.output[0].type.tensor_type.shape.dim[0].dim_param or "N"
    g.output.append(helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, [batch, dim, grid, grid]))
    check_and_save(model, dst, f"{OUTPUT} [{batch},{dim},{grid},{grid}]")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
