"""BC training speed on the CPU: steps/s of `pvmbench train --algo bc`'s training step against the bare
forward + backward of the model it trains, batch 32 and 64.

The step is the loop body of pvmbench/agents/bc/train.py, made of the same calls: BCPolicy, the AdamW
optimiser over param_groups at BCConfig's learning rates, `_batches`' random indices, indexing the frames,
mse_loss, `_step` (zero_grad, backward, optimiser step), the running loss and the progress bar (written to
a buffer). Frozen trains the head on features cached by `_encode_all`, as train.py does.

Baseline, in the same rounds: `encoder.features` + backward of their sum on a fixed preprocessed batch
(cnn/scratch, partial, full), or for frozen, whose encoder does not train, the head's forward + backward
on a fixed batch of cached features. step/bare is then what BC adds: preprocessing (96 -> 64 px for the
cnn, 96 -> 256 -> crop 224 for EfficientNet), the head, the loss, indexing and the optimiser step.

Frames are random 96 px images (the table-top checkpoints' size; compute does not depend on content):
3000 of them as in the reference checkpoints, 256 for frozen, whose features this process must encode
first. Torch runs on PVMBENCH_PERF_THREADS threads (default 1; see encoder_models.py).

Run: PVMBENCH_PERF_THREADS=1 pytest tests/perf/test_bc_train_speed.py --benchmark-enable -s
"""

from __future__ import annotations

import io
import math
import time

import numpy as np
import pytest
import torch
from tqdm import tqdm

from pvmbench.agents.bc.policy import BCPolicy
from pvmbench.agents.bc.train import BCConfig, _batches, _encode_all, _step
from pvmbench.agents.encoders import build_encoder, param_groups
from tests.perf.encoder_models import (
    THREADS,
    threads,  # noqa: F401  (autouse: pins torch threads)
)
from tests.perf.interleave import interleaved, repeated

pytestmark = pytest.mark.perf
ACTION_DIM = 4
CONFIGS = [("cnn", "scratch"), ("efficientnet-lite0", "frozen"), ("efficientnet-lite0", "partial"),
           ("efficientnet-lite0", "full")]


@pytest.mark.parametrize("batch", [32, 64])
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "/".join(c))
def test_bc_steps_per_second(benchmark, config, batch):
    encoder_name, mode = config
    cfg = BCConfig(encoder=encoder_name, mode=mode, batch=batch)
    frames = 256 if mode == "frozen" else 3000
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    images = torch.as_tensor(rng.integers(0, 256, (frames, cfg.image_size, cfg.image_size, 3), dtype=np.uint8))
    actions = torch.as_tensor(rng.uniform(-1, 1, (frames, ACTION_DIM)).astype(np.float32))
    encoder = build_encoder(cfg.encoder, cfg.mode)
    policy = BCPolicy(encoder, ACTION_DIM, cfg.hidden)
    optimizer = torch.optim.AdamW(param_groups(encoder, list(policy.head.parameters()), cfg.lr, cfg.pretrained_lr),
                                  weight_decay=1e-4)
    indices = _batches(frames, cfg.batch, 10**9, rng)
    losses: list[float] = []
    bar = tqdm(total=10**9, file=io.StringIO(), unit="step", dynamic_ncols=True)

    if mode == "frozen":
        features = _encode_all(encoder, images, progress=False)
        fixed = features[:batch].clone()

        def step():
            idx = torch.as_tensor(next(indices))
            loss = torch.nn.functional.mse_loss(policy.head_from_features(features[idx]), actions[idx])
            losses.append(_step(optimizer, loss))
            bar.update(1)
            bar.set_postfix_str(f"loss {np.mean(losses[-50:]):.4f}", refresh=False)

        def bare():
            policy.head.zero_grad(set_to_none=True)
            policy.head(fixed).sum().backward()
    else:
        policy.train()
        with torch.no_grad():
            pixels = encoder.preprocess(images[:batch])

        def step():
            idx = torch.as_tensor(np.sort(next(indices)))
            loss = torch.nn.functional.mse_loss(policy(images[idx]), actions[idx])
            losses.append(_step(optimizer, loss))
            bar.update(1)
            bar.set_postfix_str(f"loss {np.mean(losses[-50:]):.4f}", refresh=False)

        def bare():
            encoder.zero_grad(set_to_none=True)
            encoder.features(pixels).sum().backward()

    step()  # first calls pay one-off costs (allocator, oneDNN primitives, AdamW state)
    bare()
    start = time.perf_counter()
    step()
    reps = max(1, math.ceil(0.3 / (time.perf_counter() - start)))  # rounds of 0.3 s at least
    rounds = interleaved(benchmark, {"bare": repeated(bare, reps), "step": repeated(step, reps)}, rounds=3)
    bar.close()
    rate = {k: reps / rounds.median(k) for k in ("bare", "step")}
    ratio = rounds.ratio("step", "bare")  # bare/s over steps/s, paired by round
    benchmark.extra_info.update(steps_per_s=rate["step"], bare_per_s=rate["bare"], step_over_bare=ratio,
                                threads=THREADS)
    baseline = "head fwd+bwd" if mode == "frozen" else "encoder fwd+bwd"
    print(f"\n[{encoder_name}/{mode}, batch {batch}, {THREADS} thr] BC step {rate['step']:.2f} steps/s "
          f"({rate['step'] * batch:.0f} images/s), bare {baseline} {rate['bare']:.2f}/s, step/bare x{ratio:.2f}")
    assert np.isfinite(losses).all()  # not a timing check: the steps really trained
