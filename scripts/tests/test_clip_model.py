"""scripts/clip_model.py against the published CLIP definitions (fixtures/, written by make_published_fixtures.py from
OpenAI's and OpenCLIP's model.py): the same state-dict keys and shapes for ViT-B/32, B/16 and L/14, the same outputs as
the published classes on the same weights, and checkpoint loading that names every mismatch.

    /usr/bin/python3 -m unittest discover -s scripts/tests -v
"""
import io
import json
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import clip_model  # noqa: E402
sys.path.insert(0, str(HERE / "fixtures"))
from make_published_fixtures import reference_inputs  # noqa: E402

KEYS = json.loads((HERE / "fixtures" / "published_clip_keys.json").read_text())
REFERENCE = json.loads((HERE / "fixtures" / "published_reference_outputs.json").read_text())


def meta_model(config):
    """The module without allocating its weights (L/14 has 428M parameters)."""
    return clip_model.CLIP(config, device="meta")


def published_state(source, key):
    return {k: torch.empty(shape, device="meta") for k, shape in KEYS[source][key]}


class PublishedKeys(unittest.TestCase):
    def test_keys_and_shapes_equal_openai_and_openclip_for_every_published_config(self):
        for source in ("openai", "openclip"):
            for key in ("b32", "b16", "l14"):
                with self.subTest(source=source, config=key):
                    ours = {k: list(v.shape) for k, v in meta_model(clip_model.CONFIGS[key]).state_dict().items()}
                    self.assertEqual(ours, {k: shape for k, shape in KEYS[source][key]})

    def test_the_config_read_off_a_published_state_dict_is_the_named_config(self):
        for source in ("openai", "openclip"):
            for key in ("b32", "b16", "l14"):
                with self.subTest(source=source, config=key):
                    found = clip_model.config_from_state_dict(published_state(source, key), "quick_gelu")
                    self.assertEqual(found, clip_model.CONFIGS[key])

    def test_the_fixture_is_the_real_list(self):
        # 12 blocks x 12 tensors x 2 towers + 14 others for B/32; L/14 has 24 vision blocks
        self.assertEqual(len(KEYS["openai"]["b32"]), 302)
        self.assertEqual(len(KEYS["openai"]["l14"]), 446)
        self.assertIn(["visual.proj", [1024, 768]], KEYS["openai"]["l14"])


class PublishedOutputs(unittest.TestCase):
    def test_outputs_equal_the_published_classes_on_the_same_weights(self):
        pixels, ids = reference_inputs()
        for source in ("openai", "openclip"):
            ref = REFERENCE[source]
            with self.subTest(source=source, activation=ref["activation"]):
                model = clip_model.build(clip_model.CONFIGS["tiny"].with_activation(ref["activation"]), seed=0)
                with torch.no_grad():
                    image, text = model.encode_image(pixels).numpy(), model.encode_text(ids).numpy()
                self.assertLess(np.max(np.abs(image - np.array(ref["image_embeds"]))), 1e-5)
                self.assertLess(np.max(np.abs(text - np.array(ref["text_embeds"]))), 1e-5)

    def test_the_activation_matters(self):
        # otherwise the test above could not tell QuickGELU from GELU
        a, b = (np.array(REFERENCE[s]["image_embeds"]) for s in ("openai", "openclip"))
        self.assertGreater(np.max(np.abs(a - b)), 1e-3)

    def test_the_same_seed_gives_the_same_weights_and_another_seed_others(self):
        tiny = clip_model.CONFIGS["tiny"]
        m = clip_model.CLIP(tiny)
        a, b, c = (clip_model.random_state_dict(m, s) for s in (0, 0, 1))
        self.assertTrue(all(torch.equal(a[k], b[k]) for k in a))
        self.assertFalse(torch.equal(a["visual.conv1.weight"], c["visual.conv1.weight"]))


class CheckpointLoading(unittest.TestCase):
    def setUp(self):
        self.tiny = clip_model.CONFIGS["tiny"]
        self.state = clip_model.random_state_dict(clip_model.CLIP(self.tiny), 3)

    def roundtrip(self, obj, suffix=".pt"):
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / f"ckpt{suffix}"
            torch.save(obj, path)
            return clip_model.read_checkpoint(path)

    def test_openclip_wrappers_and_openai_extra_keys_are_unwrapped(self):
        wrapped = {"epoch": 3, "state_dict": {f"module.{k}": v for k, v in self.state.items()}}
        loaded = self.roundtrip(wrapped)
        self.assertEqual(set(loaded), set(self.state))
        extra = dict(self.state, input_resolution=torch.tensor(224), context_length=torch.tensor(77),
                     vocab_size=torch.tensor(49408))
        self.assertEqual(set(self.roundtrip(extra)), set(self.state))

    def test_an_openai_style_torchscript_archive_loads(self):
        model = clip_model.build(self.tiny, state=self.state)
        scripted = torch.jit.trace(clip_model.ImageTower(model), torch.zeros(1, 3, 224, 224))
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "ViT-tiny.pt"
            scripted.save(str(path))
            loaded = clip_model.read_checkpoint(path)
        # the image tower's keys, prefixed as in OpenAI's archive (visual.*)
        self.assertTrue(torch.equal(loaded["visual.conv1.weight"], self.state["visual.conv1.weight"]))

    def test_loading_names_every_missing_unexpected_and_misshaped_tensor(self):
        broken = dict(self.state)
        del broken["ln_final.bias"]
        broken["visual.extra"] = torch.zeros(1)
        broken["text_projection"] = torch.zeros(32, 256)
        with self.assertRaises(ValueError) as e:
            clip_model.load_weights(clip_model.CLIP(self.tiny), broken)
        message = str(e.exception)
        self.assertIn("missing 'ln_final.bias' [32]", message)
        self.assertIn("unexpected 'visual.extra'", message)
        self.assertIn("'text_projection' has shape [32, 256], the config needs [32, 512]", message)

    def test_a_loaded_checkpoint_gives_the_same_outputs_as_the_module_it_came_from(self):
        pixels, ids = reference_inputs()
        a = clip_model.build(self.tiny, state=self.state)
        b = clip_model.build(self.tiny, state=self.roundtrip(a.state_dict()))
        with torch.no_grad():
            self.assertTrue(torch.equal(a.encode_text(ids), b.encode_text(ids)))

    def test_safetensors_reader(self):
        header = json.dumps({"w": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}).encode()
        raw = len(header).to_bytes(8, "little") + header + np.array([1.5, -2], dtype=np.float16).tobytes()
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "x.safetensors"
            path.write_bytes(raw)
            self.assertEqual(clip_model.read_safetensors(path)["w"].tolist(), [1.5, -2.0])


class TextPooling(unittest.TestCase):
    def test_padding_after_end_of_text_does_not_change_the_embedding(self):
        model = clip_model.build(clip_model.CONFIGS["tiny"], seed=0)
        ids = torch.zeros(2, 77, dtype=torch.int64)
        ids[:, :4] = torch.tensor([clip_model.BOS_TOKEN, 320, 1125, clip_model.EOS_TOKEN])
        ids[1, 10:] = 999  # garbage after <end_of_text> (lower ids than EOT): masked by causality
        with torch.no_grad():
            out = model.encode_text(ids)
        self.assertLess(float((out[0] - out[1]).abs().max()), 1e-5)


class PatchTokens(unittest.TestCase):
    def test_patch_tokens_are_each_patch_through_ln_post_and_the_projection(self):
        model = clip_model.build(clip_model.CONFIGS["tiny"], seed=0)
        pixels, _ = reference_inputs()
        v = model.visual
        with torch.no_grad():
            embeds, spatial = clip_model.ImageTower(model, patch_tokens=True)(pixels)
            plain = clip_model.ImageTower(model)(pixels)
            tokens = v.tokens(pixels)
        grid = clip_model.CONFIGS["tiny"].grid
        self.assertEqual(tuple(spatial.shape), (pixels.shape[0], 512, grid, grid))
        self.assertLess(float((embeds - plain).abs().max()), 1e-5)
        # patch (row r, column c) is token 1 + r·grid + c, written out here one at a time
        for r, c in ((0, 0), (0, grid - 1), (3, 4), (grid - 1, 2)):
            with torch.no_grad():
                expected = torch.nn.functional.layer_norm(tokens[:, 1 + r * grid + c], (v.proj.shape[0],),
                                                          v.ln_post.weight, v.ln_post.bias, 1e-5) @ v.proj
            self.assertLess(float((spatial[:, :, r, c] - expected).abs().max()), 1e-5, (r, c))
        # patches differ from each other and from the class token (the checks above see different vectors)
        self.assertGreater(float((spatial[:, :, 0, 0] - spatial[:, :, 3, 4]).abs().max()), 1e-3)


if __name__ == "__main__":
    unittest.main()
