"""CLIP (ViT image tower + causal text transformer) in plain PyTorch, with the parameter names of OpenAI's
clip/model.py, which OpenCLIP's model.py keeps for its ViT CLIPs. So an OpenAI checkpoint (TorchScript .pt) or an
OpenCLIP one (.pt/.bin/.safetensors) loads without renaming; `load_weights` only unwraps containers and names every
missing, unexpected or mis-shaped tensor. Random weights come from NumPy's PCG64 with a seed, so the same seed gives
the same weights with any PyTorch version.

Needs torch (Debian python3-torch 1.13 works) and numpy; nothing from transformers or open_clip.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

CONTEXT_LENGTH = 77
VOCAB_SIZE = 49408
BOS_TOKEN, EOS_TOKEN, PAD_TOKEN = 49406, 49407, 0
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


@dataclass(frozen=True)
class ClipConfig:
    """The shapes of one CLIP; names follow OpenAI's CLIP(...) constructor. Heads: width // 64 as OpenAI's
    build_model derives them (OpenCLIP's configs give the same numbers)."""
    embed_dim: int
    image_size: int
    patch_size: int
    vision_width: int
    vision_layers: int
    vision_heads: int
    text_width: int
    text_layers: int
    text_heads: int
    context_length: int = CONTEXT_LENGTH
    vocab_size: int = VOCAB_SIZE
    activation: str = "quick_gelu"   # OpenAI and OpenCLIP "-quickgelu" weights; most OpenCLIP LAION weights: "gelu"

    @property
    def grid(self) -> int:
        return self.image_size // self.patch_size

    def with_activation(self, activation: str) -> "ClipConfig":
        return ClipConfig(**{**asdict(self), "activation": activation})


CONFIGS = {
    # Small enough that CI exports it in seconds; 512-d projection like ViT-B/32, so the B/32 LAION head attaches.
    "tiny": ClipConfig(embed_dim=512, image_size=224, patch_size=32, vision_width=64, vision_layers=2, vision_heads=1,
                       text_width=32, text_layers=2, text_heads=2),
    "b32": ClipConfig(embed_dim=512, image_size=224, patch_size=32, vision_width=768, vision_layers=12, vision_heads=12,
                      text_width=512, text_layers=12, text_heads=8),
    "b16": ClipConfig(embed_dim=512, image_size=224, patch_size=16, vision_width=768, vision_layers=12, vision_heads=12,
                      text_width=512, text_layers=12, text_heads=8),
    "l14": ClipConfig(embed_dim=768, image_size=224, patch_size=14, vision_width=1024, vision_layers=24,
                      vision_heads=16, text_width=768, text_layers=12, text_heads=12),
}


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Attention(nn.Module):
    """Multi-head self-attention with nn.MultiheadAttention's parameter names (in_proj_weight/bias, out_proj), written
    out batch-first so the ONNX graph is plain MatMul/Softmax."""

    def __init__(self, width: int, heads: int, device=None):
        super().__init__()
        self.heads, self.head_dim = heads, width // heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * width, width, device=device))
        self.in_proj_bias = nn.Parameter(torch.empty(3 * width, device=device))
        self.out_proj = nn.Linear(width, width, device=device)

    def forward(self, x, mask=None):
        n, length, width = x.shape
        q, k, v = F.linear(x, self.in_proj_weight, self.in_proj_bias).chunk(3, dim=-1)
        q, k, v = (t.reshape(n, length, self.heads, self.head_dim).transpose(1, 2) for t in (q, k, v))
        scores = (q * self.head_dim ** -0.5) @ k.transpose(-1, -2)
        if mask is not None:
            scores = scores + mask
        out = (scores.softmax(dim=-1) @ v).transpose(1, 2).reshape(n, length, width)
        return self.out_proj(out)


class ResidualAttentionBlock(nn.Module):
    def __init__(self, width: int, heads: int, activation: str, device=None):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width, device=device)
        self.attn = Attention(width, heads, device=device)
        self.ln_2 = nn.LayerNorm(width, device=device)
        act = QuickGELU() if activation == "quick_gelu" else nn.GELU()
        self.mlp = nn.Sequential()
        self.mlp.add_module("c_fc", nn.Linear(width, 4 * width, device=device))
        self.mlp.add_module("gelu", act)
        self.mlp.add_module("c_proj", nn.Linear(4 * width, width, device=device))

    def forward(self, x, mask=None):
        x = x + self.attn(self.ln_1(x), mask)
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, width: int, layers: int, heads: int, activation: str, device=None):
        super().__init__()
        self.resblocks = nn.ModuleList(ResidualAttentionBlock(width, heads, activation, device) for _ in range(layers))

    def forward(self, x, mask=None):
        for block in self.resblocks:
            x = block(x, mask)
        return x


class VisionTransformer(nn.Module):
    def __init__(self, c: ClipConfig, device=None):
        super().__init__()
        w = c.vision_width
        self.conv1 = nn.Conv2d(3, w, kernel_size=c.patch_size, stride=c.patch_size, bias=False, device=device)
        self.class_embedding = nn.Parameter(torch.empty(w, device=device))
        self.positional_embedding = nn.Parameter(torch.empty(c.grid ** 2 + 1, w, device=device))
        self.ln_pre = nn.LayerNorm(w, device=device)
        self.transformer = Transformer(w, c.vision_layers, c.vision_heads, c.activation, device)
        self.ln_post = nn.LayerNorm(w, device=device)
        self.proj = nn.Parameter(torch.empty(w, c.embed_dim, device=device))
        self.grid = c.grid

    def forward(self, pixel_values):
        return self.ln_post(self.tokens(pixel_values)[:, 0]) @ self.proj      # the class token, projected

    def tokens(self, pixel_values):
        """The last layer's tokens [N, 1 + grid², width]: the class token, then the patches row by row."""
        x = self.conv1(pixel_values).flatten(2).transpose(1, 2)             # [N, grid², width]
        cls = self.class_embedding.reshape(1, 1, -1).expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], dim=1) + self.positional_embedding
        return self.transformer(self.ln_pre(x))

    def embeds_and_patches(self, pixel_values):
        """(image_embeds [N, D], spatial [N, D, grid, grid]): the class token and every patch token through the same
        ln_post and projection, so each patch has an embedding in the text embeddings' space (explanations of prompt
        scores; the plain form, not MaskCLIP's value-path variant). The patch map is laid out like a CNN's."""
        x = self.ln_post(self.tokens(pixel_values)) @ self.proj              # [N, 1 + grid², D]
        # sizes from the config, not from x.shape (traced shapes are tensors; -1 keeps the batch axis dynamic)
        return x[:, 0], x[:, 1:].transpose(1, 2).reshape(-1, self.proj.shape[1], self.grid, self.grid)


class CLIP(nn.Module):
    """State-dict keys equal OpenAI's CLIP for ViT models: visual.*, token_embedding, positional_embedding,
    transformer.resblocks.*, ln_final, text_projection, logit_scale."""

    def __init__(self, c: ClipConfig, device=None):
        super().__init__()
        self.config = c
        self.visual = VisionTransformer(c, device)
        self.token_embedding = nn.Embedding(c.vocab_size, c.text_width, device=device)
        self.positional_embedding = nn.Parameter(torch.empty(c.context_length, c.text_width, device=device))
        self.transformer = Transformer(c.text_width, c.text_layers, c.text_heads, c.activation, device)
        self.ln_final = nn.LayerNorm(c.text_width, device=device)
        self.text_projection = nn.Parameter(torch.empty(c.text_width, c.embed_dim, device=device))
        self.logit_scale = nn.Parameter(torch.empty((), device=device))
        # additive causal mask; not persistent (neither checkpoint format stores it)
        mask = torch.full((c.context_length, c.context_length), float("-inf"), device=device).triu(1)
        self.register_buffer("attn_mask", mask, persistent=False)

    def encode_image(self, pixel_values):
        return self.visual(pixel_values)

    def encode_text(self, input_ids):
        x = self.token_embedding(input_ids) + self.positional_embedding
        x = self.ln_final(self.transformer(x, self.attn_mask))
        # pooled at <end_of_text>, the highest id in each row (OpenAI: text.argmax(dim=-1)); int32 because ONNX
        # Runtime's ArgMax has no int64 kernel on every build
        eot = input_ids.to(torch.int32).argmax(dim=-1)
        # [:, 0] rather than squeeze(1): with a dynamic batch the exporter turns squeeze into an If subgraph
        pooled = x.gather(1, eot.reshape(-1, 1, 1).expand(-1, 1, x.shape[-1]))[:, 0]
        return pooled @ self.text_projection


class ImageTower(nn.Module):
    """pixel_values FP32 [N,3,H,W] (CLIP-normalised) -> image_embeds [N,D], not L2-normalised; with patch_tokens also
    spatial [N,D,grid,grid] (VisionTransformer.embeds_and_patches)."""

    def __init__(self, clip: CLIP, patch_tokens: bool = False):
        super().__init__()
        self.visual = clip.visual
        self.patch_tokens = patch_tokens

    def forward(self, pixel_values):
        return self.visual.embeds_and_patches(pixel_values) if self.patch_tokens else self.visual(pixel_values)


class Uint8ImageTower(ImageTower):
    """pixels UINT8 [N,3,H,W] (RGB after resize and crop) -> image_embeds (and spatial): the /255 and CLIP mean/std
    happen in the graph, so a client sends 1 byte per value instead of 4."""

    def __init__(self, clip: CLIP, patch_tokens: bool = False):
        super().__init__(clip, patch_tokens)
        self.register_buffer("mean", torch.tensor(CLIP_MEAN).reshape(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(CLIP_STD).reshape(1, 3, 1, 1), persistent=False)

    def forward(self, pixels):
        return super().forward((pixels.to(torch.float32) / 255.0 - self.mean) / self.std)


class TextTower(nn.Module):
    """input_ids INT64 [N,77], 0-padded -> text_embeds [N,D], not L2-normalised. No attention mask input: the causal
    mask keeps the padding after <end_of_text> out of the pooled position."""

    def __init__(self, clip: CLIP):
        super().__init__()
        self.clip = clip

    def forward(self, input_ids):
        return self.clip.encode_text(input_ids)


# ------------------------------------------------------------------------------------------------------------- weights

def random_state_dict(model: CLIP, seed: int) -> dict:
    """Seeded random weights with roughly OpenAI's initial scales (so activations stay in range), drawn from NumPy's
    PCG64 in state-dict order: the same seed gives the same tensors on any machine and PyTorch version. LayerNorm
    weights and all biases are random too, so a loader that drops or swaps one of them changes the outputs."""
    rng = np.random.default_rng(seed)
    c = model.config
    out = {}
    for name, t in model.state_dict().items():
        shape = tuple(t.shape)
        leaf = name.rsplit(".", 1)[-1]
        width = shape[-1] if shape else 1
        if name == "logit_scale":
            value = np.asarray(math.log(1 / 0.07))
        elif ".ln_" in name or name.startswith("ln_") or "visual.ln_" in name:
            value = (1.0 if leaf == "weight" else 0.0) + 0.1 * rng.standard_normal(shape)
        elif leaf in ("bias", "in_proj_bias"):
            value = 0.02 * rng.standard_normal(shape)
        elif name.endswith("positional_embedding"):
            value = 0.01 * rng.standard_normal(shape)
        elif name in ("visual.proj", "text_projection"):
            value = shape[0] ** -0.5 * rng.standard_normal(shape)
        elif name == "visual.class_embedding" or leaf == "in_proj_weight":
            value = width ** -0.5 * rng.standard_normal(shape)
        elif name.endswith("c_fc.weight"):
            value = (2 * width) ** -0.5 * rng.standard_normal(shape)
        elif name.endswith("c_proj.weight") or name.endswith("out_proj.weight"):
            layers = c.vision_layers if name.startswith("visual.") else c.text_layers
            value = width ** -0.5 * (2 * layers) ** -0.5 * rng.standard_normal(shape)
        else:  # token_embedding, conv1
            value = 0.02 * rng.standard_normal(shape)
        out[name] = torch.from_numpy(np.asarray(value, dtype=np.float32).reshape(shape))
    return out


# OpenAI's TorchScript archives carry these three ints next to the weights (clip/model.py build_model drops them).
_OPENAI_EXTRA_KEYS = ("input_resolution", "context_length", "vocab_size")


def read_checkpoint(path: Path) -> dict:
    """The raw tensors of an OpenAI .pt (a TorchScript archive), an OpenCLIP .pt/.bin (a pickled state dict, possibly
    inside {"state_dict": ...} with DistributedDataParallel's "module." prefix) or a .safetensors file."""
    path = Path(path)
    if path.suffix == ".safetensors":
        state = read_safetensors(path)
    else:
        try:
            state = torch.jit.load(str(path), map_location="cpu").state_dict()
        except RuntimeError:
            state = torch.load(str(path), map_location="cpu")
        if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
            state = state["state_dict"]
    if not isinstance(state, dict):
        raise ValueError(f"{path}: not a state dict (got {type(state).__name__})")
    if state and all(k.startswith("module.") for k in state):
        state = {k[len("module."):]: v for k, v in state.items()}
    return {k: v for k, v in state.items() if k not in _OPENAI_EXTRA_KEYS}


def config_from_state_dict(state: dict, activation: str) -> ClipConfig:
    """The shapes, read off the tensors the way OpenAI's build_model does (heads = width // 64)."""
    if "visual.proj" not in state:
        raise ValueError("not a ViT CLIP state dict: no 'visual.proj' (ResNet and custom-tower CLIPs are not supported)")
    conv = state["visual.conv1.weight"].shape
    vision_layers = len({k.split(".")[3] for k in state if k.startswith("visual.transformer.resblocks.")})
    text_layers = len({k.split(".")[2] for k in state if k.startswith("transformer.resblocks.")})
    grid = round((state["visual.positional_embedding"].shape[0] - 1) ** 0.5)
    vision_width, text_width = conv[0], state["ln_final.weight"].shape[0]
    return ClipConfig(embed_dim=state["text_projection"].shape[1], image_size=conv[-1] * grid, patch_size=conv[-1],
                      vision_width=vision_width, vision_layers=vision_layers, vision_heads=vision_width // 64,
                      text_width=text_width, text_layers=text_layers, text_heads=text_width // 64,
                      context_length=state["positional_embedding"].shape[0],
                      vocab_size=state["token_embedding.weight"].shape[0], activation=activation)


def load_weights(model: CLIP, state: dict) -> None:
    """Loads `state` (float32) into `model`; every difference is named, not just the first."""
    expected = model.state_dict()
    problems = [f"missing '{k}' {list(v.shape)}" for k, v in expected.items() if k not in state]
    problems += [f"unexpected '{k}'" for k in state if k not in expected]
    problems += [f"'{k}' has shape {list(state[k].shape)}, the config needs {list(v.shape)}"
                 for k, v in expected.items() if k in state and tuple(state[k].shape) != tuple(v.shape)]
    if problems:
        shown = "; ".join(problems[:12]) + (f"; and {len(problems) - 12} more" if len(problems) > 12 else "")
        raise ValueError(f"the checkpoint does not fit the CLIP config: {shown}")
    model.load_state_dict({k: v.to(torch.float32) for k, v in state.items()})


def build(config: ClipConfig, seed: int | None = None, state: dict | None = None) -> CLIP:
    """A CLIP in eval mode with either the checkpoint `state` or seeded random weights."""
    model = CLIP(config)
    load_weights(model, state if state is not None else random_state_dict(model, seed))
    return model.eval()


def read_safetensors(path: Path) -> dict:
    """safetensors.torch.load_file when installed; otherwise a reader of the (small, fixed) format: u64 LE header
    length, JSON header {name: {dtype, shape, data_offsets}}, raw little-endian data. Debian ships no safetensors."""
    try:
        from safetensors.torch import load_file
        return load_file(str(path))
    except ImportError:
        pass
    raw = Path(path).read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    dtypes = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32}
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        if meta["dtype"] not in dtypes:
            raise ValueError(f"{path}: tensor '{name}' has dtype {meta['dtype']}, which this reader does not handle "
                             "(install python3-safetensors or convert to F32)")
        begin, end = meta["data_offsets"]
        array = np.frombuffer(raw[8 + n + begin:8 + n + end], dtype=dtypes[meta["dtype"]]).reshape(meta["shape"])
        out[name] = torch.from_numpy(array.copy())
    return out
