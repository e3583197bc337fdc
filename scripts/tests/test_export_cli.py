"""scripts/export_clip_onnx.py end to end with a checkpoint file (the path real weights take) and its refusals.
The served result (ONNX Runtime vs torch, both backends) is checked by the Java ExportedClipBackendsTest."""
import contextlib
import io
import json
import sys
import tempfile
import unittest
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import clip_model  # noqa: E402
import export_clip_onnx  # noqa: E402

HEADS = HERE.parent.parent.parent / "shared" / "models" / "laion-aesthetic"


def run(*args):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = export_clip_onnx.main([str(a) for a in args])
    return code, out.getvalue()


class ExportFromCheckpoint(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)
        tiny = clip_model.CONFIGS["tiny"]
        self.state = clip_model.random_state_dict(clip_model.CLIP(tiny), 5)

    def tearDown(self):
        self.tmp.cleanup()

    def test_an_openclip_checkpoint_exports_into_a_pack_and_a_triton_repo(self):
        ckpt = self.dir / "epoch_1.pt"
        torch.save({"epoch": 1, "state_dict": {f"module.{k}": v for k, v in self.state.items()}}, ckpt)
        code, out = run("--config", "tiny", "--weights", ckpt, "--variants", "u8", "--heads-dir", HEADS,
                        "--pack-dir", self.dir / "pack", "--triton-repo", self.dir / "repo")
        self.assertEqual(code, 0, out)
        pack = json.loads((self.dir / "pack" / "pack.json").read_text())
        self.assertEqual(pack["encoder"]["file"], "image.onnx")
        self.assertAlmostEqual(pack["text_encoder"]["logit_scale"], 1 / 0.07, places=4)
        self.assertNotIn("RANDOM", pack["description"])
        # Triton serves the UINT8 image tower and the text tower; the FP32 image tower and the head are the pack's
        self.assertEqual(sorted(p.name for p in (self.dir / "repo").iterdir()), ["clip-tiny-image-u8", "clip-tiny-text"])
        for model in ("clip-tiny-image-u8", "clip-tiny-text"):
            self.assertTrue((self.dir / "repo" / model / "1" / "model.onnx").is_file(), model)
        self.assertEqual(pack["encoder"]["triton_model"], "clip-tiny-image-u8")
        self.assertEqual(pack["encoder"]["triton_input"], {"name": "pixels", "datatype": "UINT8", "shape": [-1, 3, 224, 224]})
        self.assertTrue((self.dir / "pack" / "heads" / "aesthetic" / "1" / "weights.safetensors").is_file())
        self.assertFalse((self.dir / "pack" / "aesthetic.onnx").exists())
        config = (self.dir / "repo" / "clip-tiny-image-u8" / "config.pbtxt").read_text()
        self.assertIn("data_type: TYPE_UINT8", config)
        self.assertIn("max_batch_size: 16", config)
        manifest = json.loads((self.dir / "pack" / "pack-manifest-template.json").read_text())
        self.assertEqual(manifest["provenance"]["source"], "epoch_1.pt (quick_gelu)")
        self.assertEqual([m["id"] for m in manifest["models"]], ["clip-tiny/image", "clip-tiny/text", "clip-tiny/image-u8"])
        self.assertEqual([m["tritonName"] for m in manifest["models"]], [None, "clip-tiny-text", "clip-tiny-image-u8"])
        self.assertEqual(manifest["scores"][0]["head"], "heads/aesthetic/1")
        self.assertLess(manifest["provenance"]["heads"]["aesthetic"]["torchVsGoldenMaxAbsDiff"], 1e-3)

    def test_a_checkpoint_of_another_size_is_refused_with_the_differences(self):
        ckpt = self.dir / "b32-shaped.pt"
        state = dict(self.state)
        state["text_projection"] = torch.zeros(32, 768)
        torch.save(state, ckpt)
        with self.assertRaises(SystemExit) as e:
            run("--config", "tiny", "--weights", ckpt, "--pack-dir", self.dir / "p", "--triton-repo", self.dir / "r")
        self.assertIn("the checkpoint is not --config tiny: (checkpoint, config) {'embed_dim': (768, 512)}",
                      str(e.exception))

    def test_a_head_for_another_embedding_size_is_refused(self):
        head = export_clip_onnx.SPECS["l14"].heads[0]
        weights = clip_model.read_safetensors(HEADS / f"{head.file_stem}.safetensors")
        with self.assertRaises(SystemExit) as e:
            export_clip_onnx.build_head(head, weights, 512)
        self.assertIn("takes 768-d image embeddings (first weight [1, 768]) but the towers output 512-d", str(e.exception))

    def test_weights_that_do_not_exist_are_named(self):
        for weights, message in (("openai", "OpenAI published no checkpoint for --config tiny"),
                                 (self.dir / "missing.pt", "missing.pt: no such file")):
            with self.assertRaises(SystemExit) as e:
                run("--config", "tiny", "--weights", weights, "--pack-dir", self.dir / "p", "--triton-repo", self.dir / "r")
            self.assertIn(message, str(e.exception))

    def test_a_wrong_openai_download_is_refused_by_its_sha256(self):
        fake = self.dir / "ViT-B-32.pt"
        fake.write_bytes(b"not the checkpoint")
        with self.assertRaises(SystemExit) as e:
            run("--config", "b32", "--weights", fake, "--pack-dir", self.dir / "p", "--triton-repo", self.dir / "r")
        self.assertIn("is not the published 40d36571", str(e.exception))


if __name__ == "__main__":
    unittest.main()
