"""The encoders the speed tests time, built in memory, and the torch thread count they run on.

DINOv2 and CLIP are ViT-S/14- and CLIP-B/32-sized models with random weights: the same compute as the
real ones, which this machine cannot download.

Torch runs on PVMBENCH_PERF_THREADS intra-op threads (default 1): per-core figures, and the only ones that
hold while anything else runs on the machine. With 2 threads on 2 busy cores every parallel op waits a
scheduler slice for its second thread: CLIP-B/32 at batch 1 took 1.9 s instead of 0.11 s here.
"""

from __future__ import annotations

import os

import pytest
import torch

from pvmbench.agents.encoders import Encoder, build_encoder

THREADS = int(os.environ.get("PVMBENCH_PERF_THREADS", "1"))


# Autouse in every module that imports it: the module's timings run on THREADS threads.
@pytest.fixture(scope="module", autouse=True)
def threads():
    before = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    yield
    torch.set_num_threads(before)


def dinov2_s14(mode: str = "frozen") -> Encoder:
    transformers = pytest.importorskip("transformers")
    from pvmbench.agents.encoders.hf_vit import DINOv2Encoder

    config = transformers.Dinov2Config(hidden_size=384, num_hidden_layers=12, num_attention_heads=6,
                                       patch_size=14, image_size=224)
    return DINOv2Encoder.from_model(transformers.Dinov2Model(config), mode, source="random ViT-S/14")


def clip_b32(mode: str = "frozen") -> Encoder:
    transformers = pytest.importorskip("transformers")
    from pvmbench.agents.encoders.hf_vit import CLIPEncoder

    config = transformers.CLIPVisionConfig()  # the defaults are CLIP ViT-B/32 at 224 px
    return CLIPEncoder.from_model(transformers.CLIPVisionModel(config), mode, source="random CLIP-B/32")


def hf_vit_s16(mode: str = "frozen") -> Encoder:
    """A ViT-S/16-sized model through the `hf:` adapter, from a directory written by save_pretrained: the
    adapter's whole path (AutoModel load, layout probe, preprocessing), as a user's own model takes it."""
    transformers = pytest.importorskip("transformers")
    import tempfile

    folder = os.path.join(tempfile.gettempdir(), "pvmbench-perf-vit-s16")
    if not os.path.isfile(os.path.join(folder, "config.json")):
        torch.manual_seed(0)
        config = transformers.ViTConfig(hidden_size=384, num_hidden_layers=12, num_attention_heads=6,
                                        intermediate_size=1536, patch_size=16, image_size=224)
        transformers.ViTModel(config, add_pooling_layer=False).save_pretrained(folder)
    return build_encoder(f"hf:{folder}", mode)


# The encoder's own .name and .mode are what a checkpoint of it records.
BUILDERS = {
    "cnn": lambda: build_encoder("cnn", "scratch"),
    "efficientnet-lite0": lambda: build_encoder("efficientnet-lite0", "frozen"),
    "dinov2-s14": dinov2_s14,
    "clip-b32": clip_b32,
    "hf-vit-s16": hf_vit_s16,
}
