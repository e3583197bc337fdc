#!/usr/bin/env python3
"""Export OpenAI CLIP towers and the LAION aesthetic heads to ONNX for imagescore (embedded ONNX Runtime and Triton).

What it writes, per --config (tiny | b32 | l14):
  * CLIP image tower   pixel_values FP32 [N,3,224,224] -> image_embeds FP32 [N,D]  (projected, not L2-normalised)
  * CLIP text tower    input_ids INT64 [N,77] (0-padded)  -> text_embeds  FP32 [N,D]  (projected, not L2-normalised)
  * LAION heads        image_embeds FP32 [N,D] -> score FP32 [N,1]; the L2 normalisation the heads were trained with
                       is part of the graph, so raw tower output can be fed directly (normalising twice is a no-op)
  into  <triton-repo>/<model>/1/model.onnx (+ config.pbtxt when the folder has none)
  and   <pack-dir>/{image,text,<head>}.onnx + pack-manifest-template.json.

Every export is validated before it is written: the ONNX graph runs (onnxruntime, else onnx.reference) on inputs with a
batch size different from the export's dummy batch, and the largest absolute difference to the PyTorch/transformers
model is printed; above --tolerance the script exits non-zero and writes nothing for that model. Heads are also checked
against ../shared's golden-scores.json (reference CLIP embeddings of rated images) when it is present.

Sources: real weights come from the Hugging Face hub (openai/clip-vit-base-patch32, openai/clip-vit-large-patch14),
so run that where the internet is reachable. --random-init builds the same architecture from a hand-written
CLIPConfig with seeded random weights and downloads nothing; use it to test the plumbing (its scores mean nothing).

Imports are lazy: --manifest-only needs only the standard library, --heads-only needs torch (no transformers).
"""
from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CONTEXT_LENGTH = 77
BOS_TOKEN, EOS_TOKEN, PAD_TOKEN = 49406, 49407, 0
VOCAB_SIZE = 49408
IMAGE_SIZE = 224
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


@dataclass(frozen=True)
class HeadSpec:
    file_stem: str       # name of the .safetensors file in --heads-dir
    triton_name: str     # Triton model folder
    model_key: str       # model id inside the pack ("<pack>/<model_key>"), file "<model_key>.onnx", score id
    kind: str            # "linear" (v1: Linear D->1) or "mlp" (v2: 768-1024-128-64-16-1, no activations)
    score_range: tuple   # documented output range, for the manifest


@dataclass(frozen=True)
class ClipSpec:
    key: str             # pack name and Triton prefix
    hub_id: str | None   # Hugging Face model id for real weights
    embed_dim: int
    vision: dict
    text: dict
    heads: tuple = ()
    image_max_batch: int = 64
    text_max_batch: int = 256


_TEXT_COMMON = dict(vocab_size=VOCAB_SIZE, max_position_embeddings=CONTEXT_LENGTH, hidden_act="quick_gelu",
                    layer_norm_eps=1e-5, bos_token_id=BOS_TOKEN, eos_token_id=EOS_TOKEN, pad_token_id=PAD_TOKEN)
_VISION_COMMON = dict(image_size=IMAGE_SIZE, num_channels=3, hidden_act="quick_gelu", layer_norm_eps=1e-5)

SPECS = {
    # Same shape family as ../shared/models/clip-tiny (hidden 32, 2 layers, projection 16, patch 32).
    "tiny": ClipSpec(
        key="clip-tiny", hub_id=None, embed_dim=16,
        vision=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, patch_size=32),
        text=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4),
        image_max_batch=64, text_max_batch=256),
    # openai/clip-vit-base-patch32
    "b32": ClipSpec(
        key="clip-vit-b32", hub_id="openai/clip-vit-base-patch32", embed_dim=512,
        vision=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12, patch_size=32),
        text=dict(hidden_size=512, intermediate_size=2048, num_hidden_layers=12, num_attention_heads=8),
        heads=(HeadSpec("sa_0_4_vit_b_32_linear", "laion-aesthetic-vit-b32", "aesthetic", "linear", (0, 10)),)),
    # openai/clip-vit-large-patch14 (224 px)
    "l14": ClipSpec(
        key="clip-vit-l14", hub_id="openai/clip-vit-large-patch14", embed_dim=768,
        vision=dict(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24, num_attention_heads=16, patch_size=14),
        text=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12),
        heads=(HeadSpec("sa_0_4_vit_l_14_linear", "laion-aesthetic-vit-l14", "aesthetic", "linear", (0, 10)),
               HeadSpec("sac+logos+ava1-l14-linearMSE", "laion-aesthetic-v2-vit-l14", "aesthetic-v2", "mlp", (1, 10))),
        image_max_batch=32, text_max_batch=256),
}


@dataclass
class ExportResult:
    """One exported model, as the manifest and the Triton config describe it."""
    model_key: str        # "image", "text", "aesthetic", ...
    role: str
    triton_name: str
    pack_file: str
    inputs: list          # [(name, type, shape-with--1)]
    outputs: list
    max_batch: int
    validation: dict = field(default_factory=dict)
    sha256: str | None = None
    onnx_bytes: int | None = None


# ----------------------------------------------------------------------------------------------------------- manifest

def tower_results(spec: ClipSpec) -> list[ExportResult]:
    d = spec.embed_dim
    return [
        ExportResult("image", "image-encoder", f"{spec.key}-image", "image.onnx",
                     [("pixel_values", "FP32", [-1, 3, IMAGE_SIZE, IMAGE_SIZE])], [("image_embeds", "FP32", [-1, d])],
                     spec.image_max_batch),
        ExportResult("text", "text-encoder", f"{spec.key}-text", "text.onnx",
                     [("input_ids", "INT64", [-1, CONTEXT_LENGTH])], [("text_embeds", "FP32", [-1, d])],
                     spec.text_max_batch),
    ]


def head_result(spec: ClipSpec, head: HeadSpec) -> ExportResult:
    return ExportResult(head.model_key, "aesthetic-head", head.triton_name, f"{head.model_key}.onnx",
                        [("image_embeds", "FP32", [-1, spec.embed_dim])], [("score", "FP32", [-1, 1])], 1024)


def manifest(spec: ClipSpec, results: list[ExportResult], provenance: dict) -> dict:
    """The pack descriptor template: model facts the Java side needs to build ModelSpec/TensorSpec records
    (id, file, tritonName, tritonVersion, inputs, outputs, maxBatch) plus preprocessing, tokenizer and scores.
    Field names follow the Java records; the lead fixes the final format."""
    models = []
    for r in results:
        models.append({
            "id": f"{spec.key}/{r.model_key}",
            "role": r.role,
            "file": r.pack_file,
            "tritonName": r.triton_name,
            "tritonVersion": "1",
            "inputs": [{"name": n, "type": t, "shape": s} for n, t, s in r.inputs],
            "outputs": [{"name": n, "type": t, "shape": s} for n, t, s in r.outputs],
            "maxBatch": r.max_batch,
            "sha256": r.sha256,
            "validation": r.validation or None,
        })
    heads = [h for h in spec.heads if any(r.model_key == h.model_key for r in results)]
    return {
        "format": "imagescore-pack-manifest-template/0",
        "name": spec.key,
        "version": "1",
        "provenance": provenance,
        "preprocess": {
            "channels": "RGB", "layout": "NCHW", "resize": "shortest-side", "size": IMAGE_SIZE,
            "interpolation": "bicubic", "crop": "center", "cropSize": IMAGE_SIZE, "scale": 1 / 255,
            "mean": CLIP_MEAN, "std": CLIP_STD,
        },
        "tokenizer": {
            "kind": "clip-bpe", "merges": "../shared/models/clip-tokenizer/bpe_simple_vocab_16e6.txt.gz",
            "contextLength": CONTEXT_LENGTH, "startOfText": BOS_TOKEN, "endOfText": EOS_TOKEN, "pad": PAD_TOKEN,
        },
        "models": models,
        "scores": [
            {"id": h.model_key, "model": f"{spec.key}/{h.model_key}", "output": "score",
             "range": list(h.score_range), "higherIsBetter": True,
             "input": f"{spec.key}/image:image_embeds (the head L2-normalises inside its graph)"}
            for h in heads
        ],
    }


def write_pack(spec: ClipSpec, pack_dir: Path, heads_dir: Path, image_file: str | None) -> None:
    """Writes the pack in the format io.imagescore.pack.PackLoader reads: pack.json (the image tower as the encoder)
    and heads/<name>/1/head.json with the head's safetensors copied beside it (heads run in Java, as in every pack).
    Without image_file the pack is Triton-only (the encoder lives only in the Triton repository)."""
    encoder = {"file": image_file} if image_file else {}
    encoder.update({
        "triton_model": f"{spec.key}-image", "triton_version": "1", "max_batch": spec.image_max_batch,
        "input": {"name": "pixel_values", "datatype": "FP32", "shape": [-1, 3, IMAGE_SIZE, IMAGE_SIZE]},
        "outputs": [{"name": "image_embeds", "datatype": "FP32", "shape": [-1, spec.embed_dim]}],
        "embedding_output": "image_embeds",
        "preprocessing": {"size": IMAGE_SIZE, "resize": "clip", "mean": CLIP_MEAN, "std": CLIP_STD,
                          "color_order": "RGB", "views": ["center"]},
    })
    # The text tower for prompt scores and label tuning (io.imagescore.prompt). logit_scale: OpenAI CLIP's trained
    # exp(logit_scale) is 100 (clamped there in training); a random-init export has 1/0.07 but is only for plumbing.
    text_encoder = {"file": image_file.replace("image", "text")} if image_file else {}
    text_encoder.update({
        "triton_model": f"{spec.key}-text", "triton_version": "1", "max_batch": spec.text_max_batch,
        "input": {"name": "input_ids", "datatype": "INT64", "shape": [-1, CONTEXT_LENGTH]},
        "output": {"name": "text_embeds", "datatype": "FP32", "shape": [-1, spec.embed_dim]},
        "tokenizer": "${shared}/models/clip-tokenizer/bpe_simple_vocab_16e6.txt.gz",
        "context_length": CONTEXT_LENGTH, "logit_scale": 100.0,
    })
    pack = {"name": spec.key, "version": "1.0.0",
            "description": f"OpenAI CLIP {spec.hub_id or spec.key} image tower as the encoder "
                           f"({spec.embed_dim}-d image_embeds) with the LAION aesthetic head. Written by "
                           "scripts/export_clip_onnx.py" + ("" if image_file else "; Triton-only: no local model file."),
            "encoder": encoder, "text_encoder": text_encoder}
    pack_dir.mkdir(parents=True, exist_ok=True)
    (pack_dir / "pack.json").write_text(json.dumps(pack, indent=2) + "\n")
    for head in spec.heads:
        version_dir = pack_dir / "heads" / head.model_key / "1"
        version_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(heads_dir / f"{head.file_stem}.safetensors", version_dir / "weights.safetensors")
        head_json = {"type": head.kind, "weights": "weights.safetensors", "l2_normalize": True,
                     "score": {"kind": "scalar", "range": list(head.score_range), "range_approximate": True,
                               "higher_is_better": True, "unit": "LAION aesthetic rating",
                               "description": f"LAION aesthetic predictor ({head.file_stem}) on the L2-normalised "
                                              f"CLIP image embedding."}}
        if head.kind == "mlp":
            head_json["activation"] = "none"
        (version_dir / "head.json").write_text(json.dumps(head_json, indent=2) + "\n")


# ------------------------------------------------------------------------------------------------------ triton config

_PBTXT_TYPES = {"FP32": "TYPE_FP32", "INT64": "TYPE_INT64"}


def triton_config(r: ExportResult) -> str:
    """A config.pbtxt for a model folder that has none yet (the committed ones are hand-tuned and kept)."""
    def tensors(items):
        return ",\n".join(
            f'  {{\n    name: "{n}"\n    data_type: {_PBTXT_TYPES[t]}\n    dims: [ {", ".join(str(x) for x in s[1:])} ]\n  }}'
            for n, t, s in items)
    preferred = [b for b in (16, 32, 64, 128, 256) if b <= r.max_batch][-3:]
    return (f"# Generated by scripts/export_clip_onnx.py ({r.role}); see triton-model-repo/README.md.\n"
            f'name: "{r.triton_name}"\nplatform: "onnxruntime_onnx"\nmax_batch_size: {r.max_batch}\n'
            f"input [\n{tensors(r.inputs)}\n]\noutput [\n{tensors(r.outputs)}\n]\n"
            f"dynamic_batching {{\n  preferred_batch_size: [ {', '.join(map(str, preferred))} ]\n"
            f"  max_queue_delay_microseconds: 500\n}}\n"
            f"instance_group [\n  {{\n    count: 1\n    kind: KIND_GPU\n  }}\n]\n")


# ------------------------------------------------------------------------------------------------------------- models

def build_clip(spec: ClipSpec, random_init: bool, seed: int, hub_id: str | None):
    import torch
    from transformers import CLIPConfig, CLIPModel
    if random_init:
        torch.manual_seed(seed)
        config = CLIPConfig(text_config=dict(_TEXT_COMMON, **spec.text),
                            vision_config=dict(_VISION_COMMON, **spec.vision),
                            projection_dim=spec.embed_dim)
        model = CLIPModel(config)
        source = f"random-init (CLIPConfig by hand, seed {seed})"
    else:
        hub_id = hub_id or spec.hub_id
        if hub_id is None:
            raise SystemExit(f"--config {spec.key} has no published weights: use --random-init")
        model = CLIPModel.from_pretrained(hub_id).float()  # float32 whatever dtype the checkpoint declares
        source = hub_id
    model.eval()
    return model, source


def tower_modules(clip):
    """Towers as explicit pooled-output -> projection, so the graph does not depend on what a given transformers
    version returns from get_image_features/get_text_features."""
    import torch

    class ImageTower(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.vision_model, self.visual_projection = clip.vision_model, clip.visual_projection

        def forward(self, pixel_values):
            return self.visual_projection(self.vision_model(pixel_values=pixel_values).pooler_output)

    class TextTower(torch.nn.Module):
        # No attention mask: CLIP's causal mask keeps padding after <end_of_text> out of the pooled position.
        def __init__(self):
            super().__init__()
            self.text_model, self.text_projection = clip.text_model, clip.text_projection

        def forward(self, input_ids):
            return self.text_projection(self.text_model(input_ids=input_ids).pooler_output)

    return ImageTower().eval(), TextTower().eval()


def load_safetensors(path: Path) -> dict:
    """safetensors.torch.load_file when installed; otherwise a reader of the (tiny, fixed) file format: u64 LE header
    length, JSON header {name: {dtype, shape, data_offsets}}, raw little-endian data. Debian ships no safetensors."""
    try:
        from safetensors.torch import load_file
        return load_file(str(path))
    except ImportError:
        pass
    import numpy as np
    import torch
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    dtypes = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64}
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        begin, end = meta["data_offsets"]
        array = np.frombuffer(raw[8 + n + begin:8 + n + end], dtype=dtypes[meta["dtype"]]).reshape(meta["shape"])
        out[name] = torch.from_numpy(array.copy())
    return out


def build_head(head: HeadSpec, state: dict, embed_dim: int):
    import torch
    from torch import nn

    if head.kind == "linear":
        layers = nn.Sequential(nn.Linear(embed_dim, 1))
        layers.load_state_dict({"0.weight": state["weight"], "0.bias": state["bias"]})
    else:
        # Layer indices match the improved-aesthetic-predictor's checkpoint keys (dropout only while training).
        layers = nn.Sequential(nn.Linear(embed_dim, 1024), nn.Dropout(0.2), nn.Linear(1024, 128), nn.Dropout(0.2),
                               nn.Linear(128, 64), nn.Dropout(0.1), nn.Linear(64, 16), nn.Linear(16, 1))
        layers.load_state_dict({k.removeprefix("layers."): v for k, v in state.items()})

    class NormalisedHead(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = layers

        def forward(self, image_embeds):
            return self.layers(torch.nn.functional.normalize(image_embeds, dim=-1))

    return NormalisedHead().eval()


# ---------------------------------------------------------------------------------------------------- export/validate

def export_onnx(module, dummy, input_name: str, output_name: str, path: Path, opset: int):
    import torch
    kwargs = dict(input_names=[input_name], output_names=[output_name], opset_version=opset,
                  dynamic_axes={input_name: {0: "batch"}, output_name: {0: "batch"}}, do_constant_folding=True)
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # the TorchScript exporter honours dynamic_axes/names exactly as given
    with torch.no_grad():
        torch.onnx.export(module, (dummy,), str(path), **kwargs)


def run_onnx(path: Path, feeds: dict, output_name: str):
    try:
        import onnxruntime as ort
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        return session.run([output_name], feeds)[0], f"onnxruntime {ort.__version__} (CPU)"
    except ImportError:
        pass
    try:
        import onnx
        from onnx.reference import ReferenceEvaluator
        return ReferenceEvaluator(str(path)).run([output_name], feeds)[0], f"onnx.reference {onnx.__version__}"
    except ImportError:
        raise SystemExit("no ONNX runner to validate with: install onnxruntime (or onnx>=1.13 for onnx.reference), "
                         "or pass --no-validate")


def compare(name: str, onnx_path: Path, module, inputs: list, input_name: str, output_name: str, tolerance: float):
    """Runs the ONNX graph and the torch module on each input batch; returns the validation record or exits."""
    import numpy as np
    import torch
    worst, runner, shapes = 0.0, None, []
    t0 = time.perf_counter()
    for x in inputs:
        with torch.no_grad():
            expected = module(x).numpy()
        actual, runner = run_onnx(onnx_path, {input_name: x.numpy()}, output_name)
        if actual.shape != expected.shape:
            raise SystemExit(f"{name}: ONNX output shape {actual.shape} != torch {expected.shape}")
        worst = max(worst, float(np.max(np.abs(actual - expected))))
        shapes.append(list(x.shape))
    seconds = time.perf_counter() - t0
    status = "OK" if worst <= tolerance else "FAIL"
    print(f"  validate {name}: max|onnx - torch| = {worst:.3e} (tolerance {tolerance:g}) over input shapes {shapes}"
          f" with {runner}, {seconds:.2f} s -> {status}", flush=True)
    if status == "FAIL":
        raise SystemExit(f"{name}: export differs from the source model by {worst:.3e} > {tolerance:g}")
    return {"maxAbsDiff": worst, "tolerance": tolerance, "inputShapes": shapes, "runner": runner}


def check_golden(head: HeadSpec, module, heads_dir: Path, spec: ClipSpec, onnx_path: Path | None):
    """Scores ../shared's reference embeddings (rated 0..9) and compares with golden-scores.json (1e-3)."""
    import numpy as np
    import torch
    golden_file = heads_dir / "golden-scores.json"
    emb_dir = heads_dir / "reference-embeddings" / ("vit_b_32" if spec.embed_dim == 512 else "vit_l_14")
    if not golden_file.exists() or not emb_dir.exists():
        print(f"  golden {head.file_stem}: no golden data under {heads_dir}, skipped")
        return None
    golden = json.loads(golden_file.read_text())[head.file_stem]["scores_for_rating0_to_9"]
    x = np.concatenate([np.load(emb_dir / f"rating{i}.npy") for i in range(10)]).astype(np.float32)
    with torch.no_grad():
        torch_scores = module(torch.from_numpy(x)).numpy()[:, 0]
    result = {"torchVsGoldenMaxAbsDiff": float(np.max(np.abs(torch_scores - golden)))}
    if onnx_path is not None:
        onnx_scores = run_onnx(onnx_path, {"image_embeds": x}, "score")[0][:, 0]
        result["onnxVsGoldenMaxAbsDiff"] = float(np.max(np.abs(onnx_scores - golden)))
    print(f"  golden {head.file_stem}: {result} (tolerance 1e-3, golden values are rounded to 4 decimals)")
    if max(result.values()) > 1e-3:
        raise SystemExit(f"{head.file_stem}: does not reproduce golden-scores.json")
    return result


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def publish(tmp: Path, r: ExportResult, args) -> None:
    """Copies a validated export into the Triton repository layout and the pack directory."""
    r.sha256, r.onnx_bytes = sha256(tmp), tmp.stat().st_size
    model_dir = args.triton_repo / r.triton_name
    (model_dir / "1").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tmp, model_dir / "1" / "model.onnx")
    config = model_dir / "config.pbtxt"
    if args.overwrite_config or not config.exists():
        config.write_text(triton_config(r))
    args.pack_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tmp, args.pack_dir / r.pack_file)
    print(f"  wrote {model_dir / '1' / 'model.onnx'} and {args.pack_dir / r.pack_file} ({r.onnx_bytes:,} bytes)")


def token_batch(rng, lengths):
    """Synthetic CLIP token rows: <start_of_text>, random ordinary ids, <end_of_text>, zero padding to 77."""
    import torch
    rows = []
    for n in lengths:
        body = rng.integers(1, BOS_TOKEN, size=n - 2).tolist()
        rows.append(([BOS_TOKEN] + body + [EOS_TOKEN] + [PAD_TOKEN] * CONTEXT_LENGTH)[:CONTEXT_LENGTH])
    return torch.tensor(rows, dtype=torch.int64)


# --------------------------------------------------------------------------------------------------------------- main

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", choices=sorted(SPECS), default="b32")
    p.add_argument("--random-init", action="store_true",
                   help="random weights of the same architecture, no download (plumbing tests only)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--hub-id", help="override the Hugging Face model id (or a local snapshot directory)")
    p.add_argument("--heads-dir", type=Path, default=Path("../shared/models/laion-aesthetic"))
    p.add_argument("--triton-repo", type=Path, default=Path("triton-model-repo"))
    p.add_argument("--pack-dir", type=Path, help="default: packs/<pack-name>")
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--tolerance", type=float, default=1e-4, help="max abs diff for the towers")
    p.add_argument("--head-tolerance", type=float, default=1e-5)
    p.add_argument("--heads-only", action="store_true", help="skip the towers (needs torch, not transformers)")
    p.add_argument("--towers-only", action="store_true")
    p.add_argument("--no-validate", action="store_true",
                   help="write exports without running them (only when no ONNX runner exists; recorded in the manifest)")
    p.add_argument("--overwrite-config", action="store_true", help="replace existing config.pbtxt files")
    p.add_argument("--copy-mobilenet", type=Path, metavar="ONNX",
                   help="also copy the MobileNetV2 features model to <triton-repo>/mobilenetv2-default/1/model.onnx")
    p.add_argument("--manifest-only", action="store_true",
                   help="write only the pack files (pack.json, heads, pack-manifest-template.json) into --pack-dir, "
                        "without exporting: a Triton-only pack (no torch needed)")
    args = p.parse_args(argv)
    spec = SPECS[args.config]
    args.pack_dir = args.pack_dir or Path("packs") / spec.key

    if args.manifest_only:
        results = tower_results(spec) + [head_result(spec, h) for h in spec.heads]
        provenance = {"source": "template (no export ran)", "exporter": "scripts/export_clip_onnx.py"}
        write_pack(spec, args.pack_dir, args.heads_dir, None)
        (args.pack_dir / "pack-manifest-template.json").write_text(
            json.dumps(manifest(spec, results, provenance), indent=2) + "\n")
        print(f"wrote the Triton-only pack {args.pack_dir}")
        return 0

    import numpy as np
    import torch
    torch.set_grad_enabled(False)
    rng = np.random.default_rng(args.seed)
    results: list[ExportResult] = []
    provenance = {"exporter": "scripts/export_clip_onnx.py", "config": args.config, "opset": args.opset,
                  "torch": torch.__version__, "randomInit": args.random_init,
                  "seed": args.seed if args.random_init else None, "validated": not args.no_validate}
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="imagescore-export-"))
    try:
        if not args.heads_only:
            import transformers
            provenance["transformers"] = transformers.__version__
            t0 = time.perf_counter()
            clip, provenance["source"] = build_clip(spec, args.random_init, args.seed, args.hub_id)
            print(f"{spec.key}: model from {provenance['source']} in {time.perf_counter() - t0:.1f} s "
                  f"(transformers {transformers.__version__}, torch {torch.__version__})", flush=True)
            image_tower, text_tower = tower_modules(clip)
            pixels = [torch.from_numpy(rng.standard_normal((n, 3, IMAGE_SIZE, IMAGE_SIZE), dtype=np.float32))
                      for n in (1, 3)]
            tokens = [token_batch(rng, [7]), token_batch(rng, [5, 20, CONTEXT_LENGTH])]
            towers = {"image": (image_tower, torch.zeros(2, 3, IMAGE_SIZE, IMAGE_SIZE), pixels,
                                        "pixel_values", "image_embeds"),
                      "text": (text_tower, token_batch(rng, [9, 12]), tokens, "input_ids", "text_embeds")}
            for r in tower_results(spec):
                module, dummy, checks, in_name, out_name = towers[r.model_key]
                tmp = work / r.pack_file
                t0 = time.perf_counter()
                export_onnx(module, dummy, in_name, out_name, tmp, args.opset)
                print(f"  export {r.triton_name}: {time.perf_counter() - t0:.1f} s, {tmp.stat().st_size:,} bytes",
                      flush=True)
                if not args.no_validate:
                    r.validation = compare(r.triton_name, tmp, module, checks, in_name, out_name, args.tolerance)
                publish(tmp, r, args)
                results.append(r)

        if not args.towers_only:
            if not spec.heads:
                print(f"{spec.key}: no LAION head exists for embedding size {spec.embed_dim}; heads skipped")
            for head in spec.heads:
                r = head_result(spec, head)
                module = build_head(head, load_safetensors(args.heads_dir / f"{head.file_stem}.safetensors"),
                                    spec.embed_dim)
                tmp = work / r.pack_file
                t0 = time.perf_counter()
                export_onnx(module, torch.randn(2, spec.embed_dim), "image_embeds", "score", tmp, args.opset)
                print(f"  export {r.triton_name}: {time.perf_counter() - t0:.1f} s, {tmp.stat().st_size:,} bytes")
                if not args.no_validate:
                    checks = [torch.randn(n, spec.embed_dim, generator=torch.Generator().manual_seed(args.seed + n))
                              for n in (1, 5)]
                    r.validation = compare(r.triton_name, tmp, module, checks, "image_embeds", "score",
                                           args.head_tolerance)
                golden = check_golden(head, module, args.heads_dir, spec, None if args.no_validate else tmp)
                if golden:
                    r.validation = {**r.validation, **golden}
                publish(tmp, r, args)
                results.append(r)

        if args.copy_mobilenet:
            target = args.triton_repo / "mobilenetv2-default" / "1" / "model.onnx"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(args.copy_mobilenet, target)
            print(f"  copied {args.copy_mobilenet} -> {target}")

        out = args.pack_dir / "pack-manifest-template.json"
        write_pack(spec, args.pack_dir, args.heads_dir,
                   "image.onnx" if any(r.model_key == "image" for r in results) else None)
        out.write_text(json.dumps(manifest(spec, results, provenance), indent=2) + "\n")
        print(f"{spec.key}: {len(results)} model(s) exported in {time.perf_counter() - started:.1f} s;"
              f" manifest {out}" + ("  [NOT VALIDATED: --no-validate]" if args.no_validate else ""))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
