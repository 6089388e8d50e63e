"""BC training speed on the CPU: steps/s of `pvmbench train --algo bc`'s training step per encoder and mode,
at the defaults recipes.py chose for them, against the bare forward + backward of the part that trains.

The step is train.py's own `train_step` on batches from `sample_positions`, fed by `make_inputs` as
train_bc builds it: BCPolicy with the table-top v1 robot state (13-d, normalised), AdamW over param_groups
at BCConfig's learning rates, the warm-up + cosine schedule, DrQ shifts. Per mode that is:
  cnn/scratch, efficientnet-lite0/full   the whole encoder on frames shifted afresh each batch
  efficientnet-lite0/frozen              the head on cached features of shifted copies of each frame
  efficientnet-lite0/partial             the last 4 MBConv blocks + head conv + head on the cached output of
                                         the frozen trunk (trunk_split.py)
The cached modes also time building the cache (frames/s through the frozen part, once per run; the
run-time cost that replaces the per-step trunk or encoder forward).

Baseline, in the same rounds: the bare forward + backward of what trains on a fixed batch: `encoder.features`
on a preprocessed batch (scratch, full), the head on cached features (frozen), the tail on cached trunk
output (partial). step/bare is what BC adds on top: augmentation, preprocessing (96 -> 64 px for the cnn,
96 -> 256 -> crop 224 for EfficientNet), the state MLP and head, the loss, the optimiser step.

Frames are random 96 px images (recipes.IMAGE_SIZE; compute does not depend on content): 3000 as in a
60-episode table-top demo set for the fresh-shift modes; 128 for the cached ones, whose cache this process
must build first. Torch runs on PVMBENCH_PERF_THREADS threads (default 1; see encoder_models.py).

Run: PVMBENCH_PERF_THREADS=1 pytest tests/perf/test_bc_train_speed.py --benchmark-enable -s
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
import torch

from pvmbench.agents.bc.inputs import make_inputs
from pvmbench.agents.bc.policy import BCPolicy
from pvmbench.agents.bc.recipes import ENV_RECIPES, IMAGE_SIZE, MODE_RECIPES
from pvmbench.agents.bc.schedule import warmup_cosine
from pvmbench.agents.bc.train import BCConfig, sample_positions, train_step
from pvmbench.agents.encoders import build_encoder, param_groups
from tests.perf.encoder_models import (
    THREADS,
    threads,  # noqa: F401  (autouse: pins torch threads)
)
from tests.perf.interleave import interleaved, repeated

pytestmark = pytest.mark.perf
ACTION_DIM, STATE_DIM = 5, 13  # TableTopPick-v1
CONFIGS = [("cnn", "scratch"), ("efficientnet-lite0", "frozen"), ("efficientnet-lite0", "partial"),
           ("efficientnet-lite0", "full")]


@pytest.mark.parametrize("batch", [32, 64])
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "/".join(c))
def test_bc_steps_per_second(benchmark, config, batch):
    encoder_name, mode = config
    recipe = MODE_RECIPES[mode]
    cfg = BCConfig(encoder=encoder_name, mode=mode, batch=batch)
    cached = recipe.aug_copies > 0
    frames = 128 if cached else 3000
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    images = torch.as_tensor(rng.integers(0, 256, (frames, IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.uint8))
    train = {"actions": torch.as_tensor(rng.uniform(-1, 1, (frames, ACTION_DIM)).astype(np.float32)),
             "state": torch.as_tensor(rng.normal(0, 1, (frames, STATE_DIM)).astype(np.float32))}
    encoder = build_encoder(cfg.encoder, cfg.mode)
    policy = BCPolicy(encoder, ACTION_DIM, cfg.hidden, STATE_DIM)
    policy.state_norm.fit(train["state"])
    start = time.perf_counter()
    inputs = make_inputs(encoder, images, images[:0], ENV_RECIPES["scripted"].aug_pad, recipe.aug_copies,
                         torch.Generator().manual_seed(cfg.seed), progress=False)
    cache_rate = recipe.aug_copies * frames / (time.perf_counter() - start) if cached else None
    optimizer = torch.optim.AdamW(param_groups(encoder, policy.head_parameters(), cfg.lr, cfg.pretrained_lr),
                                  weight_decay=1e-4)
    scheduler = warmup_cosine(optimizer, 10**9)
    policy.train()
    losses: list[float] = []

    def step():
        losses.append(train_step(policy, inputs, train, sample_positions(rng, frames, batch), optimizer, scheduler))

    fixed_state = train["state"][:batch]
    if mode == "frozen":
        fixed = inputs.train.values[0, :batch]

        def bare():
            policy.zero_grad(set_to_none=True)
            policy.head_from_features(fixed, fixed_state).sum().backward()
    elif mode == "partial":
        fixed = inputs.train.values[0, :batch]

        def bare():
            policy.zero_grad(set_to_none=True)
            inputs.split.tail(fixed).sum().backward()
    else:
        with torch.no_grad():
            pixels = encoder.preprocess(images[:batch])

        def bare():
            encoder.zero_grad(set_to_none=True)
            encoder.features(pixels).sum().backward()

    step()  # first calls pay one-off costs (allocator, oneDNN primitives, AdamW state)
    bare()
    start = time.perf_counter()
    step()
    reps = max(1, math.ceil(0.3 / (time.perf_counter() - start)))  # rounds of 0.3 s at least
    rounds = interleaved(benchmark, {"bare": repeated(bare, reps), "step": repeated(step, reps)}, rounds=3)
    rate = {k: reps / rounds.median(k) for k in ("bare", "step")}
    ratio = rounds.ratio("step", "bare")  # bare/s over steps/s, paired by round
    benchmark.extra_info.update(steps_per_s=rate["step"], bare_per_s=rate["bare"], step_over_bare=ratio,
                                cache_frames_per_s=cache_rate, image_size=IMAGE_SIZE, threads=THREADS)
    baseline = {"frozen": "head fwd+bwd", "partial": "tail fwd+bwd"}.get(mode, "encoder fwd+bwd")
    cache = f", cache built at {cache_rate:.1f} frames/s" if cached else ""
    print(f"\n[{encoder_name}/{mode}, {IMAGE_SIZE} px, batch {batch}, {THREADS} thr] BC step {rate['step']:.2f} "
          f"steps/s ({rate['step'] * batch:.0f} images/s), bare {baseline} {rate['bare']:.2f}/s, "
          f"step/bare x{ratio:.2f}{cache}")
    assert np.isfinite(losses).all()  # not a timing check: the steps really trained
