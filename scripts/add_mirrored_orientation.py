#!/usr/bin/python3
"""Makes the mirrored variant of a Triton image model: the same input, and every output gains an orientation axis
after the batch, [N, 2, ...]: orientation 0 is the view as sent, 1 the view mirrored left-right. A `*_flip` view is
exactly its base view's pixels reversed along the width, so the front end sends each base view once and this model
computes both (half the bytes on the wire for the default score set; bench/README.md "Triton wire bytes").

The graph: Slice(step -1 on the width axis) of the input, Concat with the input along the batch ([2N, ...]: all the
views as sent, then all mirrored), the original network unchanged, then each output Reshape [2, N, ...] and Transpose
to [N, 2, ...]. The batch axis stays the first, so Triton's dynamic batcher splits the outputs per request as usual.
Each row is computed as by the original model (its rows do not depend on each other), so the outputs are bit-identical
to running the original on the views and on their mirrored pixels (TritonMirroredModelTest). Only the width is
reversed, before the graph's own first node (for the UINT8 models, before the Cast and the normalisation: reversing
commutes with per-channel arithmetic). Deterministic (onnx 1.12, Debian python3-onnx).

    /usr/bin/python3 scripts/add_mirrored_orientation.py \\
        packs/mobilenetv2-default/models/mobilenetv2-12-int8-spatial-u8.onnx \\
        packs/mobilenetv2-default/models/mobilenetv2-12-int8-spatial-u8-mirrored.onnx
"""
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

from onnx_save import check_and_save

SUFFIX = "_both"  # the original tensors, now over both orientations ([2N, ...])


def main(src, dst):
    model = onnx.load(src)
    g = model.graph
    if len(g.input) != 1 or len(g.input[0].type.tensor_type.shape.dim) != 4:
        sys.exit(f"{src}: expected one NCHW image input, found {[i.name for i in g.input]}")
    x = g.input[0]
    batch = x.type.tensor_type.shape.dim[0].dim_param or "N"
    outputs = list(g.output)
    for o in outputs:
        dims = o.type.tensor_type.shape.dim
        if len(dims) < 2 or any(not d.HasField("dim_value") for d in dims[1:]):
            sys.exit(f"{src}: output '{o.name}' needs a batch axis and fixed other dims")
    renamed = {x.name: x.name + SUFFIX}
    renamed.update({o.name: o.name + SUFFIX for o in outputs})
    taken = {t for n in g.node for t in list(n.input) + list(n.output)} | {i.name for i in g.initializer}
    clash = [t for t in renamed.values() if t in taken]
    if clash:
        sys.exit(f"{src} already has tensors {clash}")
    for n in g.node:
        for k, t in enumerate(n.input):
            n.input[k] = renamed.get(t, t)
        for k, t in enumerate(n.output):
            n.output[k] = renamed.get(t, t)
    # shape hints over the batch axis no longer hold (it is 2N inside); ONNX Runtime infers them again
    kept = [v for v in g.value_info if v.name not in renamed
            and not any(d.dim_param for d in v.type.tensor_type.shape.dim)]
    del g.value_info[:]
    g.value_info.extend(kept)

    mirrored = x.name + "_mirrored"
    prefix = [
        helper.make_node("Slice", [x.name, "mirror_starts", "mirror_ends", "mirror_axes", "mirror_steps"], [mirrored],
                         name="mirror_width"),
        helper.make_node("Concat", [x.name, mirrored], [x.name + SUFFIX], name="mirror_concat", axis=0),
    ]
    inits = [
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "mirror_starts"),
        numpy_helper.from_array(np.array([np.iinfo(np.int64).min], dtype=np.int64), "mirror_ends"),
        numpy_helper.from_array(np.array([3], dtype=np.int64), "mirror_axes"),
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "mirror_steps"),
    ]
    suffix = []
    new_outputs = []
    for o in outputs:
        dims = [d.dim_value for d in o.type.tensor_type.shape.dim[1:]]
        shape = o.name + "_orientation_shape"
        inits.append(numpy_helper.from_array(np.array([2, -1] + dims, dtype=np.int64), shape))
        suffix.append(helper.make_node("Reshape", [o.name + SUFFIX, shape], [o.name + "_by_orientation"],
                                       name=o.name + "_split_orientation"))
        suffix.append(helper.make_node("Transpose", [o.name + "_by_orientation"], [o.name],
                                       name=o.name + "_orientation_second", perm=[1, 0] + list(range(2, len(dims) + 2))))
        new_outputs.append(helper.make_tensor_value_info(o.name, o.type.tensor_type.elem_type, [batch, 2] + dims))
    g.initializer.extend(inits)
    nodes = prefix + list(g.node) + suffix
    del g.node[:]
    g.node.extend(nodes)
    del g.output[:]
    g.output.extend(new_outputs)
    check_and_save(model, dst)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
