"""BC agent speed: images/s through the real `BCAgent.act` (uint8 numpy observations in, actions out) against
the bare model forward (`encoder.features` on the tensor that preprocessing hands it), float32 against
bfloat16 autocast (`pvmbench eval --inference-dtype bfloat16`), batch 1 and 32.

The agent is built the way `pvmbench eval` builds it: from a checkpoint written with save_checkpoint as
`pvmbench train --algo bc` writes one (head weights; encoder weights too unless frozen), read back with
load_checkpoint, plus the "device" and "inference_dtype" keys the evaluator adds. DINOv2 and CLIP are
random-weight models of the real sizes (encoder_models.py), which `build_encoder` cannot load offline, so
BCAgent's call to build_encoder is pointed at the encoder built here; everything else is production code.

Observations are 96 px (the table-top checkpoints' image size) and each encoder's native size (cnn 64 px,
the others 224 px). Each round also times preprocessing alone and the head alone on the same batch, so an
overhead above the bare forward can be put down to its parts; act/bare is the figure to compare.

The cnn at 96 px, batch 32, float32, 1 thread (a shared 2-core EPYC): act/bare x1.42 when CNNEncoder.preprocess
converted the frame to float before resizing it to 64 px (preprocess 8.9 ms of a 61 ms call), x1.09 since it
resizes in uint8 (1.1 ms of 38 ms). At batch 1 the ratio (x1.46 before, x1.48 after, +-0.2 between runs on
that machine) is the fixed cost of a call around a 4 ms forward, not preprocessing (0.3 -> 0.07 ms).

Run: HF_HUB_OFFLINE=1 PVMBENCH_PERF_THREADS=1 pytest tests/perf/test_agent_act_speed.py --benchmark-enable -s
"""

from __future__ import annotations

import math
import time

import gymnasium as gym
import numpy as np
import pytest
import torch

import pvmbench.agents.bc.agent as bc_agent
from pvmbench.agents.bc.agent import BCAgent
from pvmbench.agents.bc.policy import BCPolicy
from pvmbench.agents.checkpoint import load_checkpoint, save_checkpoint
from tests.perf.encoder_models import (
    BUILDERS,
    THREADS,
    threads,  # noqa: F401  (autouse: pins torch threads)
)
from tests.perf.interleave import interleaved, repeated

pytestmark = pytest.mark.perf
ENV = "pvmbench/TableTopPick-v0"
ENV_IMAGE_SIZE = 96
ACTION_DIM, HIDDEN = 4, 256  # TableTopPick's action and train.py's default head width
RESULTS: dict[tuple, float] = {}


_cache: dict[str, tuple] = {}


def encoder_and_checkpoint(name: str, tmp_path_factory) -> tuple:
    """The encoder and its checkpoint, as train.py saves it and pvmbench eval loads it (one model at a time)."""
    if name not in _cache:
        _cache.clear()  # CLIP-B/32 alone is 350 MB, DINOv2's patch-feature head another 100 MB
        torch.manual_seed(0)
        enc = BUILDERS[name]().apply_mode().eval()
        policy = BCPolicy(enc, ACTION_DIM, HIDDEN)
        state = {f"head.{k}": v for k, v in policy.head.state_dict().items()}
        if enc.mode != "frozen":
            state.update({f"encoder.{k}": v for k, v in enc.state_dict().items()})
        path = tmp_path_factory.mktemp("ckpt") / f"bc_{name}.pt"
        save_checkpoint(
            path, agent="bc", env=ENV,
            config={"encoder": enc.name, "mode": enc.mode, "hidden": HIDDEN, "action_dim": ACTION_DIM,
                    "env_kwargs": {"image_size": ENV_IMAGE_SIZE}, "encoder_identity": enc.identity()},
            state_dict=state, meta={"label": f"{enc.name}/{enc.mode}", "algo": "bc"},
        )
        _cache[name] = (enc, load_checkpoint(path))
        path.unlink()
    return _cache[name]


def make_agent(enc, checkpoint: dict, dtype: str, batch: int, size: int) -> BCAgent:
    def build_encoder(name, mode):
        assert (name, mode) == (enc.name, enc.mode), (name, mode)
        return enc

    obs_space = gym.spaces.Dict({"image": gym.spaces.Box(0, 255, (size, size, 3), np.uint8)})
    act_space = gym.spaces.Box(-1.0, 1.0, (ACTION_DIM,), np.float32)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bc_agent, "build_encoder", build_encoder)
        # The keys pvmbench eval adds to the loaded checkpoint (evaluate.run_eval).
        return BCAgent({**checkpoint, "device": "cpu", "inference_dtype": dtype}, obs_space, act_space, batch)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("batch", [1, 32])
@pytest.mark.parametrize("size", ["env", "native"])
@pytest.mark.parametrize("name", list(BUILDERS))
def test_act_images_per_second(benchmark, tmp_path_factory, name, size, batch, dtype):
    enc, checkpoint = encoder_and_checkpoint(name, tmp_path_factory)
    side = ENV_IMAGE_SIZE if size == "env" else enc.input_size
    agent = make_agent(enc, checkpoint, dtype, batch, side)
    # Stacked per-env frames, as the runner hands them to the agent.
    obs = {"image": np.random.default_rng(0).integers(0, 256, (batch, side, side, 3), dtype=np.uint8)}
    images = torch.as_tensor(obs["image"])
    with torch.no_grad():
        pixels = enc.preprocess(images)  # exactly what the model gets inside act
        features = enc.features(pixels).float()
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=dtype == "bfloat16")

    def bare():
        with torch.no_grad(), autocast:
            enc.features(pixels)

    def act():
        agent.act(obs)

    def preprocess():
        with torch.no_grad():
            enc.preprocess(images)

    def head():
        with torch.no_grad():
            agent.policy.head(features)

    act()  # first call pays one-off costs (allocator, oneDNN primitives)
    start = time.perf_counter()
    act()
    reps = max(1, math.ceil(0.3 / (time.perf_counter() - start)))  # rounds of 0.3 s at least
    parts = {"bare": bare, "act": act, "preprocess": preprocess, "head": head}
    sides = {k: repeated(fn, reps) for k, fn in parts.items()}
    rounds = interleaved(benchmark, sides, rounds=3)
    median = {k: rounds.median(k) / reps for k in parts}  # seconds per call
    rate = {k: batch / median[k] for k in ("bare", "act")}
    ratio = rounds.ratio("act", "bare")  # bare images/s / act images/s, paired by round
    RESULTS[(name, size, batch, dtype)] = rate["act"]
    benchmark.extra_info.update(act_images_per_s=rate["act"], bare_images_per_s=rate["bare"],
                                agent_act_vs_bare_forward=ratio, preprocess_ms=1000 * median["preprocess"],
                                head_ms=1000 * median["head"], image_size=side, threads=THREADS)
    line = (f"\n[{name}, {side} px, batch {batch}, {dtype}, {THREADS} thr] act {rate['act']:.1f} images/s, "
            f"bare {rate['bare']:.1f} images/s, act/bare x{ratio:.2f} (preprocess {1000 * median['preprocess']:.2f}"
            f" ms, head {1000 * median['head']:.2f} ms, call {1000 * median['act']:.2f} ms)")
    if dtype == "bfloat16" and (name, size, batch, "float32") in RESULTS:
        line += f"; act bfloat16/float32 x{rate['act'] / RESULTS[(name, size, batch, 'float32')]:.2f}"
    print(line)
