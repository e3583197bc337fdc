#!/usr/bin/env python3
"""Rewrites src/test/resources/clip-export/clip-tiny-seed0-golden.json from an export's --verify-dir (the torch
outputs of `export_clip_onnx.py --config tiny --random-init --seed 0`; ExportedClipBackendsTest leaves them in
target/clip-export/verify). Only for an intended change of the exporter's weights or architecture.

    python3 scripts/tests/make_export_golden.py target/clip-export/verify
"""
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import clip_model  # noqa: E402


def digits7(values):
    return [float(f"{v:.7g}") for v in values]


def main(verify_dir: str, heads_dir: str = str(ROOT.parent / "shared" / "models" / "laion-aesthetic")):
    v = Path(verify_dir)
    image, text = np.load(v / "image.npy"), np.load(v / "text.npy")
    head = clip_model.read_safetensors(Path(heads_dir) / "sa_0_4_vit_b_32_linear.safetensors")
    unit = image / np.linalg.norm(image, axis=1, keepdims=True)
    score = unit @ head["weight"].numpy().T + head["bias"].numpy()
    golden = {
        "what": "scripts/export_clip_onnx.py --config tiny --random-init --seed 0: torch outputs on its verification "
                "inputs (--verify-dir, inputs drawn with seed 1). Rows: first 8 values and the L2 norm of each "
                "embedding; aesthetic: the pack's LAION B/32 head on the image embeddings. "
                "Written by scripts/tests/make_export_golden.py.",
        "image_embeds_first8": [digits7(r[:8]) for r in image],
        "image_embeds_norm": digits7(np.linalg.norm(image, axis=1)),
        "text_embeds_first8": [digits7(r[:8]) for r in text],
        "text_embeds_norm": digits7(np.linalg.norm(text, axis=1)),
        "aesthetic": digits7(score[:, 0]),
    }
    out = ROOT / "src/test/resources/clip-export/clip-tiny-seed0-golden.json"
    out.write_text(json.dumps(golden, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main(*sys.argv[1:])
