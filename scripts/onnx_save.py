"""What every script that edits an ONNX graph does last: check the model, save it, print the file's sha256 (the
digest a pack's README or test compares against)."""
import hashlib

import onnx


def check_and_save(model, dst, what=""):
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    with open(dst, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    print(f"{dst}: {what + ', ' if what else ''}sha256 {digest}")
