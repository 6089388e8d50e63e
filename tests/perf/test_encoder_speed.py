"""Encoder speed: images/s of the bare model forward (preprocessed float input) against the whole encoder
call (uint8 images in, resize/crop/normalise included), float32 against bfloat16 autocast, batch 1 and 32.

DINOv2 and CLIP are ViT-S/14- and CLIP-B/32-sized models with random weights: the same compute as the
real ones, which this machine cannot download. Inputs are at each encoder's native size (cnn 64 px, the
others 224 px; DINOv2 still resizes 224 -> 256 -> crop 224, as its processor does).

Torch runs on PVMBENCH_PERF_THREADS intra-op threads (default 1); see encoder_models.py.

Run: HF_HUB_OFFLINE=1 pytest tests/perf/test_encoder_speed.py --benchmark-enable -s
"""

from __future__ import annotations

import pytest
import torch

from pvmbench.agents.encoders import set_inference_dtype
from tests.perf.encoder_models import (
    BUILDERS,
    THREADS,
    threads,  # noqa: F401  (autouse: pins torch threads)
)
from tests.perf.interleave import interleaved

pytestmark = pytest.mark.perf
RESULTS: dict[tuple[str, int, str], float] = {}


_cache: dict[str, torch.nn.Module] = {}


def encoder(name):
    if name not in _cache:
        _cache.clear()  # one model at a time: CLIP-B/32 alone is 350 MB
        torch.manual_seed(0)
        _cache[name] = BUILDERS[name]().apply_mode().eval()
    return _cache[name]


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("batch", [1, 32])
@pytest.mark.parametrize("name", list(BUILDERS))
def test_encoder_images_per_second(benchmark, name, batch, dtype):
    enc = set_inference_dtype(encoder(name), dtype)
    images = torch.randint(0, 256, (batch, enc.input_size, enc.input_size, 3), dtype=torch.uint8)
    # Exactly what preprocess hands the model (channels-last from the HWC images, which convs run faster on).
    pixels = enc.preprocess(images)
    reps = 8 if batch == 1 else 1  # rounds of a few tenths of a second at least
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=dtype == "bfloat16")

    def bare():
        with torch.no_grad(), autocast:
            for _ in range(reps):
                enc.features(pixels)

    def whole():
        with torch.no_grad():
            for _ in range(reps):
                enc(images)

    rounds = interleaved(benchmark, {"bare": bare, "encoder": whole}, rounds=3)
    rate = {k: batch * reps / rounds.median(k) for k in ("bare", "encoder")}
    overhead = rounds.ratio("encoder", "bare")  # bare images/s / encoder images/s, paired by round
    RESULTS[(name, batch, dtype)] = rate["encoder"]
    benchmark.extra_info.update({f"{k}_images_per_s": r for k, r in rate.items()},
                                encoder_call_vs_bare_forward=overhead)
    line = (f"\n[{name}, batch {batch}, {dtype}, {THREADS} thr] encoder {rate['encoder']:.1f} images/s, "
            f"bare model {rate['bare']:.1f} images/s, overhead x{overhead:.2f}")
    if dtype == "bfloat16" and (name, batch, "float32") in RESULTS:
        line += f"; bfloat16/float32 x{rate['encoder'] / RESULTS[(name, batch, 'float32')]:.2f}"
    print(line)
