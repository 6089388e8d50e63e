"""Frozen EfficientNet-Lite0 block outputs for the probe's subsample of the Highway-v1 demo set.

    python encode.py crop     # the encoder's own preprocessing: shorter side to 256, centre crop 224
    python encode.py nocrop   # the whole 96 px frame squashed to 224 (nothing cut off)

Saves blocks 10 (112 x 14 x 14) and 15 (320 x 7 x 7, the `features=map` layout) in float16, with the
frames' labels, to $PROBE_OUT/feat_<variant>.pt."""

import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from common import OUT, demo_set, subsample

from pvmbench.agents.encoders.efficientnet import EfficientNetLite0Encoder

BLOCKS = (10, 15)


def block_outputs(encoder: EfficientNetLite0Encoder, x: torch.Tensor) -> dict[int, torch.Tensor]:
    m = encoder.model
    x = m._swish(m._bn0(m._conv_stem(x)))
    out = {}
    for i, block in enumerate(m._blocks):
        x = block(x, drop_connect_rate=0)
        if i in BLOCKS:
            out[i] = x.half()
    return out


def preprocess(encoder: EfficientNetLite0Encoder, images: torch.Tensor, variant: str) -> torch.Tensor:
    if variant == "crop":
        return encoder.preprocess(images)
    x = F.interpolate(images.permute(0, 3, 1, 2).float(), size=(224, 224), mode="bilinear", antialias=True,
                      align_corners=False)
    return (x - encoder.mean) / encoder.std


def encode(images: np.ndarray, variant: str) -> dict[int, torch.Tensor]:
    encoder = EfficientNetLite0Encoder("frozen", features="map").eval()
    out = {b: [] for b in BLOCKS}
    start = time.time()
    with torch.no_grad():
        for s in range(0, len(images), 64):
            for b, v in block_outputs(encoder, preprocess(encoder, torch.as_tensor(images[s:s + 64]), variant)).items():
                out[b].append(v)
            print(f"{variant}: {s + 64}/{len(images)} frames, {(s + 64) / (time.time() - start):.1f} frames/s",
                  flush=True)
    return {b: torch.cat(v) for b, v in out.items()}


if __name__ == "__main__":
    torch.set_num_threads(1)
    variant = sys.argv[1]
    data = demo_set()
    idx, n_train = subsample(data)
    features = encode(data["images"][idx], variant)
    OUT.mkdir(parents=True, exist_ok=True)
    torch.save({"blocks": features, "n_train": n_train, "actions": data["actions"][idx],
                "state": data["state"][idx], "phase": data["phase"][idx]}, OUT / f"feat_{variant}.pt")
