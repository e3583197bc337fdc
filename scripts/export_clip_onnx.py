#!/usr/bin/env python3
"""Export CLIP towers to ONNX for imagescore, with the LAION aesthetic heads as in-process pack heads: a pack and
Triton model repository entries.

The towers are built in plain PyTorch (scripts/clip_model.py; no transformers, no open_clip) from a config (tiny, b32,
b16, l14) and get either real weights from an OpenAI or OpenCLIP checkpoint (--weights FILE) or seeded random weights
(--random-init --seed S: no download, meaningless scores, every later step real).

Per config it writes
  * image tower  pixel_values FP32 [N,3,224,224] -> image_embeds FP32 [N,D]   image.onnx       (projected, not L2-normalised)
  * UINT8 image  pixels UINT8 [N,3,224,224] (RGB 0..255 after resize/crop) -> image_embeds    image-u8.onnx (normalises inside)
  * text tower   input_ids INT64 [N,77] (0-padded) -> text_embeds FP32 [N,D]  text.onnx        (projected, not L2-normalised)
  * FP16 towers  the same graphs with FP16 weights and arithmetic, FP32 inputs/outputs   image-fp16.onnx, text-fp16.onnx
into <pack-dir> (pack.json with the image and text towers, heads/<head>/1/{head.json,weights.safetensors}, the ONNX files,
pack-manifest-template.json) and <triton-repo>/<model>/{config.pbtxt,1/model.onnx}. All exports have a dynamic batch axis.
With the UINT8 variant (the default) the pack's Triton encoder is the UINT8 tower and the FP32 image tower goes to the pack
only (the embedded backend runs it): the front end then sends 1 byte per value to Triton instead of 4.
The LAION heads run in the front end (heads/<head>/1: one image encoding feeds every score, on both backends); they are
checked against ../shared's golden scores here, but not exported to ONNX or Triton.

Every export is validated before it is written when a Python ONNX runner exists (onnxruntime, else onnx.reference):
max |ONNX - torch| on batches other than the export's dummy batch, above --tolerance the script exits non-zero. Where no
Python runner exists (Debian has none), --verify-dir writes the inputs and torch outputs as .npy so that ONNX Runtime
elsewhere (the project's Java tests) checks them; --no-validate skips the check and says so in the manifest.

Imports are lazy: --manifest-only needs only the standard library; everything else needs torch and numpy (and onnx
for the FP16 variants).
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
IMAGE_SIZE = 224
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]

# sha256 of OpenAI's published checkpoints: the hex folder of each URL in clip/clip.py's _MODELS (github.com/openai/CLIP)
OPENAI_CHECKPOINTS = {
    "b32": ("https://openaipublic.azureedge.net/clip/models/40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af/ViT-B-32.pt",
            "40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af"),
    "b16": ("https://openaipublic.azureedge.net/clip/models/5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f/ViT-B-16.pt",
            "5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f"),
    "l14": ("https://openaipublic.azureedge.net/clip/models/b8cca3fd41ae0c99ba7e8951adf17d267cdb84cd88be6f7c2e0eca1737a03836/ViT-L-14.pt",
            "b8cca3fd41ae0c99ba7e8951adf17d267cdb84cd88be6f7c2e0eca1737a03836"),
}


@dataclass(frozen=True)
class HeadSpec:
    file_stem: str       # name of the .safetensors file in --heads-dir
    model_key: str       # the pack's head (score) name: heads/<model_key>/1
    kind: str            # "linear" (v1: Linear D->1) or "mlp" (v2: 768-1024-128-64-16-1, no activations)
    score_range: tuple   # documented output range, for the manifest


@dataclass(frozen=True)
class ClipSpec:
    key: str             # pack name and Triton prefix
    config: str          # scripts/clip_model.py CONFIGS key
    embed_dim: int
    description: str
    heads: tuple = ()
    image_max_batch: int = 64
    text_max_batch: int = 256
    grid: int = 7        # patches per side (image size / patch size): the `spatial` output's H = W


def _b32_head():
    return HeadSpec("sa_0_4_vit_b_32_linear", "aesthetic", "linear", (0, 10))


SPECS = {
    # Random weights only; 512-d like B/32 so the real B/32 LAION head runs on its (meaningless) embeddings in CI.
    "tiny": ClipSpec("clip-tiny", "tiny", 512, "tiny CLIP (ViT 64-wide, 2+2 layers)", (_b32_head(),),
                     image_max_batch=16, text_max_batch=64),
    "b32": ClipSpec("clip-vit-b32", "b32", 512, "ViT-B/32", (_b32_head(),)),
    "b16": ClipSpec("clip-vit-b16", "b16", 512, "ViT-B/16",
                    (HeadSpec("sa_0_4_vit_b_16_linear", "aesthetic", "linear", (0, 10)),), grid=14),
    "l14": ClipSpec("clip-vit-l14", "l14", 768, "ViT-L/14",
                    (HeadSpec("sa_0_4_vit_l_14_linear", "aesthetic", "linear", (0, 10)),
                     HeadSpec("sac+logos+ava1-l14-linearMSE", "aesthetic-v2", "mlp", (1, 10))),
                    image_max_batch=32, grid=16),
}


@dataclass
class ExportResult:
    """One exported model, as the manifest and the Triton config describe it."""
    model_key: str        # "image", "image-u8", "text", "image-fp16", "text-fp16"
    role: str
    triton_name: str | None  # None: pack file only (the FP32 image tower when Triton serves the UINT8 one)
    pack_file: str
    inputs: list          # [(name, type, shape-with--1)]
    outputs: list
    max_batch: int
    precision: str = "fp32"
    validation: dict = field(default_factory=dict)
    sha256: str | None = None
    onnx_bytes: int | None = None


# ----------------------------------------------------------------------------------------------------------- manifest

def image_outputs(spec: ClipSpec, patch_tokens: bool) -> list:
    """image_embeds, and with patch_tokens the projected patch tokens as `spatial` [N, D, grid, grid] (the map
    explanations read; clip_model.VisionTransformer.embeds_and_patches)."""
    out = [("image_embeds", "FP32", [-1, spec.embed_dim])]
    if patch_tokens:
        out.append(("spatial", "FP32", [-1, spec.embed_dim, spec.grid, spec.grid]))
    return out


def tower_results(spec: ClipSpec, variants: set, patch_tokens: bool = False) -> list[ExportResult]:
    d, s = spec.embed_dim, IMAGE_SIZE
    image_out = image_outputs(spec, patch_tokens)
    text_in, text_out = [("input_ids", "INT64", [-1, CONTEXT_LENGTH])], [("text_embeds", "FP32", [-1, d])]
    # Triton serves the UINT8 tower when there is one (a quarter of the bytes); the FP32 one is the embedded backend's
    out = [ExportResult("image", "image-encoder", None if "u8" in variants else f"{spec.key}-image", "image.onnx",
                        [("pixel_values", "FP32", [-1, 3, s, s])], image_out, spec.image_max_batch),
           ExportResult("text", "text-encoder", f"{spec.key}-text", "text.onnx", text_in, text_out, spec.text_max_batch)]
    if "u8" in variants:
        out.append(ExportResult("image-u8", "image-encoder-uint8", f"{spec.key}-image-u8", "image-u8.onnx",
                                [("pixels", "UINT8", [-1, 3, s, s])], image_out, spec.image_max_batch))
    if "fp16" in variants:
        out.append(ExportResult("image-fp16", "image-encoder", f"{spec.key}-image-fp16", "image-fp16.onnx",
                                [("pixel_values", "FP32", [-1, 3, s, s])], image_out, spec.image_max_batch, "fp16"))
        out.append(ExportResult("text-fp16", "text-encoder", f"{spec.key}-text-fp16", "text-fp16.onnx", text_in,
                                text_out, spec.text_max_batch, "fp16"))
    return out


def manifest(spec: ClipSpec, results: list[ExportResult], provenance: dict) -> dict:
    """The pack descriptor template: model facts the Java side needs to build ModelSpec/TensorSpec records
    (id, file, tritonName, tritonVersion, inputs, outputs, maxBatch) plus preprocessing, tokenizer and scores."""
    models = [{
        "id": f"{spec.key}/{r.model_key}", "role": r.role, "precision": r.precision, "file": r.pack_file,
        "tritonName": r.triton_name, "tritonVersion": "1",
        "inputs": [{"name": n, "type": t, "shape": s} for n, t, s in r.inputs],
        "outputs": [{"name": n, "type": t, "shape": s} for n, t, s in r.outputs],
        "maxBatch": r.max_batch, "sha256": r.sha256, "validation": r.validation or None,
    } for r in results]
    preprocess = {"channels": "RGB", "layout": "NCHW", "resize": "shortest-side", "size": IMAGE_SIZE,
                  "interpolation": "bicubic", "crop": "center", "cropSize": IMAGE_SIZE, "scale": 1 / 255,
                  "mean": CLIP_MEAN, "std": CLIP_STD}
    if any(r.model_key == "image-u8" for r in results):
        preprocess["uint8Model"] = f"{spec.key}/image-u8 takes the resized, cropped RGB bytes; scale/mean/std are in its graph"
    return {
        "format": "imagescore-pack-manifest-template/0",
        "name": spec.key,
        "version": "1",
        "provenance": provenance,
        "preprocess": preprocess,
        "tokenizer": {
            "kind": "clip-bpe", "merges": "../shared/models/clip-tokenizer/bpe_simple_vocab_16e6.txt.gz",
            "contextLength": CONTEXT_LENGTH, "startOfText": BOS_TOKEN, "endOfText": EOS_TOKEN, "pad": PAD_TOKEN,
        },
        "models": models,
        "scores": [
            {"id": h.model_key, "head": f"heads/{h.model_key}/1", "kind": h.kind, "range": list(h.score_range),
             "higherIsBetter": True, "runs": "in the front end, on both backends",
             "input": f"{spec.key}/image:image_embeds (L2-normalised by the head)"}
            for h in spec.heads
        ],
    }


def write_pack(spec: ClipSpec, pack_dir: Path, heads_dir: Path, local_files: bool, logit_scale: float,
               description: str, variants: set, patch_tokens: bool = False) -> None:
    """Writes the pack in the format io.imagescore.pack.PackLoader reads: pack.json (image tower as the encoder, text
    tower for prompt scores) and heads/<name>/1/head.json with the head's safetensors copied beside it (heads run in
    Java, as in every pack). Without local_files the pack is Triton-only (the towers live only in the Triton repo)."""
    encoder = {"file": "image.onnx"} if local_files else {}
    u8 = "u8" in variants
    encoder.update({
        "triton_model": f"{spec.key}-image-u8" if u8 else f"{spec.key}-image", "triton_version": "1",
        "max_batch": spec.image_max_batch,
        "input": {"name": "pixel_values", "datatype": "FP32", "shape": [-1, 3, IMAGE_SIZE, IMAGE_SIZE]},
        "outputs": [{"name": n, "datatype": t, "shape": shape} for n, t, shape in image_outputs(spec, patch_tokens)],
        "embedding_output": "image_embeds",
        "preprocessing": {"size": IMAGE_SIZE, "resize": "clip", "mean": CLIP_MEAN, "std": CLIP_STD,
                          "color_order": "RGB", "views": ["center"]},
    })
    if u8:
        encoder["triton_input"] = {"name": "pixels", "datatype": "UINT8", "shape": [-1, 3, IMAGE_SIZE, IMAGE_SIZE]}
    text_encoder = {"file": "text.onnx"} if local_files else {}
    text_encoder.update({
        "triton_model": f"{spec.key}-text", "triton_version": "1", "max_batch": spec.text_max_batch,
        "input": {"name": "input_ids", "datatype": "INT64", "shape": [-1, CONTEXT_LENGTH]},
        "output": {"name": "text_embeds", "datatype": "FP32", "shape": [-1, spec.embed_dim]},
        "tokenizer": "${shared}/models/clip-tokenizer/bpe_simple_vocab_16e6.txt.gz",
        "context_length": CONTEXT_LENGTH, "logit_scale": logit_scale,
    })
    pack = {"name": spec.key, "version": "1.0.0", "description": description,
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

_PBTXT_TYPES = {"FP32": "TYPE_FP32", "INT64": "TYPE_INT64", "UINT8": "TYPE_UINT8"}


def triton_config(r: ExportResult) -> str:
    """A config.pbtxt for a model folder that has none yet (the committed ones are hand-tuned and kept)."""
    def tensors(items):
        return ",\n".join(
            f'  {{\n    name: "{n}"\n    data_type: {_PBTXT_TYPES[t]}\n    dims: [ {", ".join(str(x) for x in s[1:])} ]\n  }}'
            for n, t, s in items)
    preferred = [b for b in (16, 32, 64, 128, 256) if b <= r.max_batch][-3:] or [r.max_batch]
    return (f"# Generated by scripts/export_clip_onnx.py ({r.role}, {r.precision}); see triton-model-repo/README.md.\n"
            f'name: "{r.triton_name}"\nplatform: "onnxruntime_onnx"\nmax_batch_size: {r.max_batch}\n'
            f"input [\n{tensors(r.inputs)}\n]\noutput [\n{tensors(r.outputs)}\n]\n"
            f"dynamic_batching {{\n  preferred_batch_size: [ {', '.join(map(str, preferred))} ]\n"
            f"  max_queue_delay_microseconds: 500\n}}\n"
            f"instance_group [\n  {{\n    count: 1\n    kind: KIND_GPU\n  }}\n]\n")


# ------------------------------------------------------------------------------------------------------------- models

def load_clip(spec: ClipSpec, args):
    """The CLIP module and a provenance line: checkpoint weights (shapes checked against the config) or random."""
    import clip_model
    config = clip_model.CONFIGS[spec.config].with_activation(args.activation)
    if args.random_init:
        return clip_model.build(config, seed=args.seed), f"random-init (numpy PCG64, seed {args.seed})"
    known = OPENAI_CHECKPOINTS.get(spec.config)
    if str(args.weights) == "openai":
        if known is None:
            raise SystemExit(f"--weights openai: OpenAI published no checkpoint for --config {spec.config}; "
                             f"choose one of {sorted(OPENAI_CHECKPOINTS)}")
        args.weights = download_openai(spec.config, args.cache_dir)
    elif not args.weights.is_file():
        raise SystemExit(f"--weights {args.weights}: no such file")
    elif known and args.weights.name == Path(known[0]).name:
        digest = sha256(args.weights)
        if digest != known[1]:
            raise SystemExit(f"{args.weights}: sha256 {digest} is not the published {known[1]} (partial download?)")
    state = clip_model.read_checkpoint(args.weights)
    try:
        found = clip_model.config_from_state_dict(state, args.activation)
    except (KeyError, ValueError) as e:
        raise SystemExit(f"{args.weights}: {e}")
    # head counts are not in the tensors (found has OpenAI's width // 64): the named config gives them
    diff = {k: (getattr(found, k), getattr(config, k)) for k in config.__dataclass_fields__
            if k not in ("vision_heads", "text_heads") and getattr(found, k) != getattr(config, k)}
    if diff:
        raise SystemExit(f"{args.weights}: the checkpoint is not --config {spec.config}: (checkpoint, config) {diff}")
    try:
        return clip_model.build(config, state=state), f"{args.weights.name} ({args.activation})"
    except ValueError as e:
        raise SystemExit(f"{args.weights}: {e}")


def download_openai(config: str, cache_dir: Path) -> Path:
    """OpenAI's published checkpoint for `config` in cache_dir (downloaded once, sha256 checked before it is used)."""
    import urllib.request
    url, digest = OPENAI_CHECKPOINTS[config]
    target = cache_dir / Path(url).name
    if target.exists() and sha256(target) == digest:
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    part = target.with_suffix(".part")
    print(f"downloading {url} -> {target}", flush=True)
    try:
        urllib.request.urlretrieve(url, part)
    except OSError as e:
        raise SystemExit(f"cannot download {url}: {e} (no internet here? download it elsewhere and pass --weights FILE)")
    if sha256(part) != digest:
        part.unlink()
        raise SystemExit(f"{url}: the download's sha256 is not the published {digest}")
    part.rename(target)
    return target


def build_head(head: HeadSpec, state: dict, embed_dim: int):
    """The LAION head with the L2 normalisation it was trained with inside the module. Its input width must equal
    the towers' embedding size (a B/32 head on L/14 embeddings is refused here, before anything is written)."""
    import torch
    from torch import nn

    first = state["weight"] if head.kind == "linear" else state["layers.0.weight"]
    if first.shape[-1] != embed_dim:
        raise SystemExit(f"head {head.file_stem} takes {first.shape[-1]}-d image embeddings (first weight "
                         f"{list(first.shape)}) but the towers output {embed_dim}-d: wrong head for this CLIP")
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

def export_onnx(module, dummy, input_name: str, output_names: tuple, path: Path, opset: int):
    import torch
    kwargs = dict(input_names=[input_name], output_names=list(output_names), opset_version=opset,
                  dynamic_axes={input_name: {0: "batch"}, **{o: {0: "batch"} for o in output_names}},
                  do_constant_folding=True)
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # the TorchScript exporter honours dynamic_axes/names exactly as given
    with torch.no_grad():
        torch.onnx.export(module, (dummy,), str(path), **kwargs)


def to_fp16(src: Path, dst: Path) -> None:
    """FP16 weights and arithmetic with FP32 graph inputs/outputs (a Cast after each input, before each output), so
    clients and pack specs stay as they are. Done on the ONNX graph because torch 1.13 cannot trace a half model on
    the CPU. Float initializers, Constant/ConstantOfShape values and Cast-to-float targets become FP16."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(src))
    g = model.graph
    nested = sorted({n.op_type for n in g.node if any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS)
                                                       for a in n.attribute)})
    if nested:
        raise SystemExit(f"{src.name}: FP16 conversion handles flat graphs only; this one has {nested} subgraphs")

    def half(t):
        return numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float16), t.name)

    for i, t in enumerate(g.initializer):
        if t.data_type == TensorProto.FLOAT:
            g.initializer[i].CopyFrom(half(t))
    for node in g.node:
        for a in node.attribute:
            if node.op_type in ("Constant", "ConstantOfShape") and a.name == "value" and a.t.data_type == TensorProto.FLOAT:
                a.t.CopyFrom(half(a.t))
            if node.op_type == "Cast" and a.name == "to" and a.i == TensorProto.FLOAT:
                a.i = TensorProto.FLOAT16
    casts_in = []
    for inp in g.input:
        if inp.type.tensor_type.elem_type == TensorProto.FLOAT:
            inner = inp.name + "_fp16"
            for node in g.node:
                node.input[:] = [inner if x == inp.name else x for x in node.input]
            casts_in.append(helper.make_node("Cast", [inp.name], [inner], to=TensorProto.FLOAT16))
    for out in g.output:
        if out.type.tensor_type.elem_type == TensorProto.FLOAT:
            inner = out.name + "_fp16"
            for node in g.node:
                node.output[:] = [inner if x == out.name else x for x in node.output]
            g.node.append(helper.make_node("Cast", [inner], [out.name], to=TensorProto.FLOAT))
    for n in reversed(casts_in):
        g.node.insert(0, n)
    del g.value_info[:]
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))


def run_onnx(path: Path, feeds: dict, output_names: tuple):
    """([outputs], runner) with onnxruntime or onnx.reference; (None, None) when Python has neither."""
    try:
        import onnxruntime as ort
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        return session.run(list(output_names), feeds), f"onnxruntime {ort.__version__} (CPU)"
    except ImportError:
        pass
    try:
        import onnx
        from onnx.reference import ReferenceEvaluator
        return ReferenceEvaluator(str(path)).run(list(output_names), feeds), f"onnx.reference {onnx.__version__}"
    except ImportError:
        return None, None


def as_tuple(outputs):
    """A module's output(s) as a tuple of numpy arrays (image towers with patch tokens return two)."""
    return tuple(o.numpy() for o in (outputs if isinstance(outputs, tuple) else (outputs,)))


def compare(name: str, onnx_path: Path, module, inputs: list, input_name: str, output_names: tuple, tolerance: float,
            relative: bool = False):
    """Runs the ONNX graph and the torch module on each input batch; returns the validation record or exits.
    relative: the tolerance is a fraction of the largest |torch output| (FP16 exports)."""
    import numpy as np
    import torch
    worst, scale, runner, shapes = 0.0, 0.0, None, []
    t0 = time.perf_counter()
    for x in inputs:
        with torch.no_grad():
            expected_all = as_tuple(module(x))
        actual_all, runner = run_onnx(onnx_path, {input_name: x.numpy()}, output_names)
        if actual_all is None:
            print(f"  validate {name}: no Python ONNX runner here (onnxruntime / onnx.reference): not checked in "
                  "this script; --verify-dir writes the data for ONNX Runtime elsewhere", flush=True)
            return {"runner": None, "note": "no Python ONNX runner here; see --verify-dir"}
        for out_name, actual, expected in zip(output_names, actual_all, expected_all):
            if actual.shape != expected.shape:
                raise SystemExit(f"{name}: ONNX {out_name} shape {actual.shape} != torch {expected.shape}")
            worst = max(worst, float(np.max(np.abs(actual - expected))))
            scale = max(scale, float(np.max(np.abs(expected))))
        shapes.append(list(x.shape))
    bound = tolerance * scale if relative else tolerance
    status = "OK" if worst <= bound else "FAIL"
    print(f"  validate {name}: max|onnx - torch| = {worst:.3e} (bound {bound:.3g}) over input shapes {shapes}"
          f" with {runner}, {time.perf_counter() - t0:.2f} s -> {status}", flush=True)
    if status == "FAIL":
        raise SystemExit(f"{name}: export differs from the source model by {worst:.3e} > {bound:.3g}")
    return {"maxAbsDiff": worst, "bound": bound, "inputShapes": shapes, "runner": runner}


def check_golden(head: HeadSpec, module, heads_dir: Path, spec: ClipSpec):
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
    """Copies a validated export into the Triton repository layout (unless it is pack-only) and the pack directory."""
    r.sha256, r.onnx_bytes = sha256(tmp), tmp.stat().st_size
    written = []
    if r.triton_name is not None:
        model_dir = args.triton_repo / r.triton_name
        (model_dir / "1").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tmp, model_dir / "1" / "model.onnx")
        config = model_dir / "config.pbtxt"
        if args.overwrite_config or not config.exists():
            config.write_text(triton_config(r))
        written.append(model_dir / "1" / "model.onnx")
    args.pack_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tmp, args.pack_dir / r.pack_file)
    written.append(args.pack_dir / r.pack_file)
    print(f"  wrote {' and '.join(map(str, written))} ({r.onnx_bytes:,} bytes)")


def token_batch(rng, lengths):
    """Synthetic CLIP token rows: <start_of_text>, random ordinary ids, <end_of_text>, zero padding to 77."""
    import torch
    rows = []
    for n in lengths:
        body = rng.integers(1, BOS_TOKEN, size=n - 2).tolist()
        rows.append(([BOS_TOKEN] + body + [EOS_TOKEN] + [PAD_TOKEN] * CONTEXT_LENGTH)[:CONTEXT_LENGTH])
    return torch.tensor(rows, dtype=torch.int64)


def write_verification(verify_dir: Path, towers: dict, rng) -> dict:
    """Inputs and torch outputs for a runner outside Python (float32 .npy; ids and bytes are exact in float32):
    pixels-u8.npy [3,3,224,224] (0..255), input-ids.npy [4,77], and per tower <model>.npy with its output on them."""
    import numpy as np
    import torch
    import clip_model
    verify_dir.mkdir(parents=True, exist_ok=True)
    u8 = torch.from_numpy(rng.integers(0, 256, size=(3, 3, IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8))
    mean = torch.tensor(clip_model.CLIP_MEAN).reshape(1, 3, 1, 1)
    std = torch.tensor(clip_model.CLIP_STD).reshape(1, 3, 1, 1)
    pixels = (u8.to(torch.float32) / 255.0 - mean) / std
    ids = token_batch(rng, [2, 7, 30, CONTEXT_LENGTH])
    np.save(verify_dir / "pixels-u8.npy", u8.numpy().astype(np.float32))
    np.save(verify_dir / "input-ids.npy", ids.numpy().astype(np.float32))
    feeds = {"pixel_values": pixels, "pixels": u8, "input_ids": ids}
    written = {}
    for key, (module, in_name) in towers.items():
        with torch.no_grad():
            outputs = as_tuple(module(feeds[in_name]))
        # the first output as <key>.npy; an image tower's patch tokens as <key>-spatial.npy
        for suffix, array in zip(("", "-spatial"), outputs):
            np.save(verify_dir / f"{key}{suffix}.npy", array)
            written[key + suffix] = f"{key}{suffix}.npy"
    return written


# --------------------------------------------------------------------------------------------------------------- main

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", choices=sorted(SPECS), default="b32")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--weights", type=Path, metavar="CHECKPOINT",
                        help="OpenAI .pt (TorchScript archive) or OpenCLIP .pt/.bin/.safetensors of this --config; "
                             "'openai' downloads OpenAI's published checkpoint (b32, b16, l14) into --cache-dir")
    source.add_argument("--random-init", action="store_true",
                        help="seeded random weights of the same architecture, no download (plumbing tests only)")
    p.add_argument("--activation", choices=["quick_gelu", "gelu"], default="quick_gelu",
                   help="quick_gelu: OpenAI and OpenCLIP '-quickgelu'/openai/metaclip weights; gelu: most OpenCLIP "
                        "LAION/DataComp weights (their model config has no quick_gelu)")
    p.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "imagescore" / "clip")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--patch-tokens", action="store_true",
                   help="image towers also output `spatial` [N,D,grid,grid]: every patch token through ln_post and the "
                        "projection, for explanations of prompt scores (docs/explain.md); listed in pack.json and in "
                        "generated config.pbtxt files (a hand-tuned one must list it too)")
    p.add_argument("--variants", default="u8,fp16",
                   help="comma list of extra tower exports beside FP32: u8 (UINT8 image input), fp16; '' for none")
    p.add_argument("--heads-dir", type=Path, default=Path("../shared/models/laion-aesthetic"))
    p.add_argument("--triton-repo", type=Path, default=Path("triton-model-repo"))
    p.add_argument("--pack-dir", type=Path, help="default: packs/<pack-name>")
    p.add_argument("--verify-dir", type=Path, help="also write inputs and torch outputs (.npy) for ONNX Runtime elsewhere")
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--tolerance", type=float, default=1e-4, help="max abs diff for the FP32 towers")
    p.add_argument("--fp16-tolerance", type=float, default=1e-2,
                   help="FP16 towers: max abs diff as a fraction of the largest |output|")
    p.add_argument("--heads-only", action="store_true", help="skip the towers: check the heads, write the pack")
    p.add_argument("--towers-only", action="store_true")
    p.add_argument("--no-validate", action="store_true",
                   help="write exports without running them (recorded in the manifest)")
    p.add_argument("--overwrite-config", action="store_true", help="replace existing config.pbtxt files")
    p.add_argument("--copy-mobilenet", type=Path, metavar="ONNX",
                   help="also copy the default pack's Triton model (packs/mobilenetv2-default/models/"
                        "mobilenetv2-12-int8-spatial-u8.onnx) to <triton-repo>/mobilenetv2-default/1/model.onnx, and "
                        "its mirrored variant beside it (<ONNX stem>-mirrored.onnx) to "
                        "<triton-repo>/mobilenetv2-default-mirrored/1/model.onnx")
    p.add_argument("--manifest-only", action="store_true",
                   help="write only the pack files (pack.json, heads, pack-manifest-template.json) into --pack-dir, "
                        "without exporting: a Triton-only pack (no torch needed)")
    args = p.parse_args(argv)
    spec = SPECS[args.config]
    args.pack_dir = args.pack_dir or Path("packs") / spec.key
    variants = {v for v in args.variants.split(",") if v}
    if variants - {"u8", "fp16"}:
        p.error(f"--variants: unknown {sorted(variants - {'u8', 'fp16'})}; choose from u8, fp16")
    if not (args.manifest_only or args.heads_only or args.weights or args.random_init):
        p.error("choose the weights: --weights CHECKPOINT or --random-init (or --manifest-only / --heads-only)")
    real = f"CLIP {spec.description} image tower as the encoder ({spec.embed_dim}-d image_embeds) and text tower"
    if spec.heads:
        real += " with the LAION aesthetic head"

    if args.manifest_only:
        results = tower_results(spec, variants, args.patch_tokens)
        provenance = {"source": "template (no export ran)", "exporter": "scripts/export_clip_onnx.py"}
        write_pack(spec, args.pack_dir, args.heads_dir, False, 100.0,
                   real + ". Written by scripts/export_clip_onnx.py; Triton-only: no local model file.", variants,
                   args.patch_tokens)
        (args.pack_dir / "pack-manifest-template.json").write_text(
            json.dumps(manifest(spec, results, provenance), indent=2) + "\n")
        print(f"wrote the Triton-only pack {args.pack_dir}")
        return 0

    import numpy as np
    import torch
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import clip_model
    torch.set_grad_enabled(False)
    torch.manual_seed(args.seed)  # export tracing draws nothing, but keep any stray randomness fixed
    rng = np.random.default_rng(args.seed)
    results: list[ExportResult] = []
    provenance = {"exporter": "scripts/export_clip_onnx.py", "config": args.config, "opset": args.opset,
                  "torch": torch.__version__, "randomInit": args.random_init, "activation": args.activation,
                  "seed": args.seed if args.random_init else None, "validated": not args.no_validate,
                  "patchTokens": args.patch_tokens}
    logit_scale = 100.0
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="imagescore-export-"))
    try:
        if not args.heads_only:
            t0 = time.perf_counter()
            clip, provenance["source"] = load_clip(spec, args)
            # OpenAI CLIP's trained exp(logit_scale) is 100 (clamped there in training); random init has 1/0.07
            logit_scale = float(min(clip.logit_scale.exp().item(), 100.0))
            print(f"{spec.key}: model from {provenance['source']} in {time.perf_counter() - t0:.1f} s "
                  f"(torch {torch.__version__})", flush=True)
            image = clip_model.ImageTower(clip, args.patch_tokens).eval()
            image_u8 = clip_model.Uint8ImageTower(clip, args.patch_tokens).eval()
            text = clip_model.TextTower(clip).eval()
            s = IMAGE_SIZE
            pixels = [torch.from_numpy(rng.standard_normal((n, 3, s, s), dtype=np.float32)) for n in (1, 3)]
            u8 = [torch.from_numpy(rng.integers(0, 256, size=(n, 3, s, s), dtype=np.uint8)) for n in (1, 3)]
            tokens = [token_batch(rng, [7]), token_batch(rng, [5, 20, CONTEXT_LENGTH])]
            image_names = tuple(n for n, _, _ in image_outputs(spec, args.patch_tokens))
            towers = {"image": (image, torch.zeros(2, 3, s, s), pixels, "pixel_values", image_names),
                      "image-u8": (image_u8, torch.zeros(2, 3, s, s, dtype=torch.uint8), u8, "pixels", image_names),
                      "text": (text, token_batch(rng, [9, 12]), tokens, "input_ids", ("text_embeds",))}
            fp32_files = {}
            for r in tower_results(spec, variants, args.patch_tokens):
                base = r.model_key.removesuffix("-fp16")
                module, dummy, checks, in_name, out_names = towers[base]
                tmp = work / r.pack_file
                t0 = time.perf_counter()
                if r.precision == "fp16":
                    to_fp16(fp32_files[base], tmp)
                else:
                    export_onnx(module, dummy, in_name, out_names, tmp, args.opset)
                    fp32_files[r.model_key] = tmp
                print(f"  export {r.pack_file}: {time.perf_counter() - t0:.1f} s, {tmp.stat().st_size:,} bytes",
                      flush=True)
                if not args.no_validate:
                    fp16 = r.precision == "fp16"
                    r.validation = compare(r.pack_file, tmp, module, checks, in_name, out_names,
                                           args.fp16_tolerance if fp16 else args.tolerance, relative=fp16)
                publish(tmp, r, args)
                results.append(r)
            if args.verify_dir:
                provenance["verification"] = write_verification(
                    args.verify_dir, {"image": (image, "pixel_values"), "image-u8": (image_u8, "pixels"),
                                      "text": (text, "input_ids")}, np.random.default_rng(args.seed + 1))
                print(f"  wrote the verification inputs and torch outputs to {args.verify_dir}")

        if not args.towers_only:
            # the heads run in the front end from their safetensors (written by write_pack); here the weights are
            # checked against the published golden scores, refused for another embedding size
            for head in spec.heads:
                module = build_head(head, clip_model.read_safetensors(args.heads_dir / f"{head.file_stem}.safetensors"),
                                    spec.embed_dim)
                golden = check_golden(head, module, args.heads_dir, spec)
                if golden:
                    provenance.setdefault("heads", {})[head.model_key] = golden

        if args.copy_mobilenet:
            mirrored = args.copy_mobilenet.with_name(args.copy_mobilenet.stem + "-mirrored.onnx")
            if not mirrored.is_file():
                sys.exit(f"--copy-mobilenet: {mirrored} (the mirrored variant the pack names) is missing")
            for model, src in (("mobilenetv2-default", args.copy_mobilenet), ("mobilenetv2-default-mirrored", mirrored)):
                target = args.triton_repo / model / "1" / "model.onnx"
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, target)
                print(f"  copied {src} -> {target}")

        out = args.pack_dir / "pack-manifest-template.json"
        towers_here = any(r.model_key == "image" for r in results)
        description = (f"{spec.description} with RANDOM weights (seed {args.seed}): tests the export and serving "
                       "path; its scores mean nothing" if args.random_init else real) + \
            ". Written by scripts/export_clip_onnx.py."
        write_pack(spec, args.pack_dir, args.heads_dir, towers_here, logit_scale, description, variants,
                   args.patch_tokens)
        out.write_text(json.dumps(manifest(spec, results, provenance), indent=2) + "\n")
        print(f"{spec.key}: {len(results)} model(s) exported in {time.perf_counter() - started:.1f} s;"
              f" manifest {out}" + ("  [NOT VALIDATED: --no-validate]" if args.no_validate else ""))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
