"""DreamerV3 speed on the CPU, `debug` and `12m`, the cnn encoder on 64 px frames:

- updates/s of the training step as train.py runs it (replay.sample, tensors, Dreamer.train_step: world
  model, imagination, actor-critic, LaProp) against the world model's loss forward + backward alone on
  the same batch; update/world-model says what imagination, the actor-critic and the optimiser add;
- actor steps/s: `DreamerV3Agent.act` (numpy observations in, actions out, built from a checkpoint as
  `pvmbench eval` builds it) against the bare actor forward, the same network calls on ready tensors
  (encoder, token norm, one posterior step, the actor's mode), batch 1 and 16. act/bare is the
  `dreamerv3_act_vs_bare_forward` target (tests/perf/targets.py).

Run: PVMBENCH_PERF_THREADS=1 pytest tests/perf/test_dreamerv3_speed.py --benchmark-enable -s
"""

from __future__ import annotations

import math
import time

import gymnasium as gym
import numpy as np
import pytest
import torch

from pvmbench.agents.checkpoint import load_checkpoint, save_checkpoint
from pvmbench.agents.dreamerv3.agent import DreamerV3Agent, build_model
from pvmbench.agents.dreamerv3.config import config_for
from pvmbench.agents.dreamerv3.replay import Replay
from tests.perf.encoder_models import (
    THREADS,
    threads,  # noqa: F401  (autouse: pins torch threads)
)
from tests.perf.interleave import interleaved, repeated

pytestmark = pytest.mark.perf
ACTION_DIM, SIZE = 2, 64  # Highway's action and the debug run's frames


def _config(size: str) -> dict:
    cfg = config_for(size)
    return {"encoder": "cnn", "encoder_options": {"depth": cfg.depth}, "mode": "scratch", "action_dim": ACTION_DIM,
            "state_dim": 0, "env_kwargs": {"image_size": SIZE}, "dreamer": cfg.to_dict()}


def _filled_replay(cfg, rng: np.random.Generator) -> Replay:
    steps = cfg.batch_length * 4
    replay = Replay(1, steps, (SIZE, SIZE, 3), ACTION_DIM)
    for t in range(steps):
        replay.add({"image": rng.integers(0, 256, (1, SIZE, SIZE, 3), dtype=np.uint8),
                    "prev_action": rng.uniform(-1, 1, (1, ACTION_DIM)).astype(np.float32),
                    "reward": rng.normal(size=1).astype(np.float32), "is_first": np.array([t == 0]),
                    "is_last": np.zeros(1, bool), "is_terminal": np.zeros(1, bool)}, np.array([0]))
    return replay


@pytest.mark.parametrize("size", ["debug", "12m"])
def test_update_speed(benchmark, size):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    config = _config(size)
    model = build_model(config)
    cfg = model.cfg
    optimizer = model.make_optimizer()
    replay = _filled_replay(cfg, rng)
    fixed = {k: torch.as_tensor(v) for k, v in replay.sample(cfg.batch_size, cfg.batch_length, rng).items()}
    losses: list[float] = []

    def update():  # train.py's _learn, one update
        batch = replay.sample(cfg.batch_size, cfg.batch_length, rng)
        losses.append(model.train_step({k: torch.as_tensor(v) for k, v in batch.items()}, optimizer)["loss"])

    def world_model():
        model.zero_grad(set_to_none=True)
        model.world_model.loss(fixed)[0].backward()

    rounds = interleaved(benchmark, {"world_model": world_model, "update": update}, rounds=3 if size == "debug" else 2)
    rate = {k: 1 / rounds.median(k) for k in ("update", "world_model")}
    ratio = rounds.ratio("update", "world_model")
    frames = cfg.batch_size * cfg.batch_length
    benchmark.extra_info.update(updates_per_s=rate["update"], world_model_per_s=rate["world_model"],
                                update_over_world_model=ratio, replayed_frames_per_s=rate["update"] * frames,
                                threads=THREADS)
    print(f"\n[dreamerv3 {size}, batch {cfg.batch_size}x{cfg.batch_length}, {THREADS} thr] {rate['update']:.3f} "
          f"updates/s ({rate['update'] * frames:.0f} replayed frames/s), world model fwd+bwd "
          f"{rate['world_model']:.3f}/s, update/world-model x{ratio:.2f}")
    assert np.isfinite(losses).all()  # not a timing check: the updates really ran


def _agent(size: str, batch: int, tmp_path) -> DreamerV3Agent:
    torch.manual_seed(0)
    config = _config(size)
    model = build_model(config)
    path = tmp_path / f"{size}.pt"
    save_checkpoint(path, agent="dreamerv3", env="pvmbench/Highway-v1", config=config,
                    state_dict=model.checkpoint_state(), meta={"label": "dreamerv3-cnn/scratch"})
    checkpoint = {**load_checkpoint(path), "device": "cpu", "inference_dtype": "float32"}  # as evaluate adds
    obs_space = gym.spaces.Dict({"image": gym.spaces.Box(0, 255, (SIZE, SIZE, 3), np.uint8)})
    act_space = gym.spaces.Box(-1.0, 1.0, (ACTION_DIM,), np.float32)
    return DreamerV3Agent(checkpoint, obs_space, act_space, batch)


@pytest.mark.parametrize("batch", [1, 16])
@pytest.mark.parametrize("size", ["debug", "12m"])
def test_act_vs_bare_forward(benchmark, tmp_path, size, batch):
    agent = _agent(size, batch, tmp_path)
    model = agent.model
    wm, rssm, actor = model.world_model, model.world_model.rssm, model.actor_critic
    obs = {"image": np.random.default_rng(0).integers(0, 256, (batch, SIZE, SIZE, 3), dtype=np.uint8)}
    image = torch.as_tensor(obs["image"])
    deter, stoch, prev_action = model.initial_carry(batch)
    first = torch.zeros(batch, dtype=torch.bool)
    agent.reset(np.ones(batch, bool))

    def bare():
        with torch.no_grad():
            embed = wm.embed(image)
            d, s, _ = rssm.observe_step(deter, stoch, prev_action, embed, first, sample=False)
            actor.policy(torch.cat([d, s], -1)).mode()

    def act():
        agent.act(obs)

    act()  # first calls pay one-off costs (allocator, oneDNN primitives)
    bare()
    start = time.perf_counter()
    act()
    reps = max(1, math.ceil(0.3 / (time.perf_counter() - start)))  # rounds of 0.3 s at least
    rounds = interleaved(benchmark, {"bare": repeated(bare, reps), "act": repeated(act, reps)}, rounds=9)
    rate = {k: reps * batch / rounds.median(k) for k in ("bare", "act")}  # env steps acted per second
    ratio = rounds.ratio("act", "bare")  # bare steps/s over act steps/s, paired by round
    benchmark.extra_info.update(act_steps_per_s=rate["act"], bare_steps_per_s=rate["bare"],
                                dreamerv3_act_vs_bare_forward=ratio, threads=THREADS)
    print(f"\n[dreamerv3 {size}, batch {batch}, {THREADS} thr] Agent.act {rate['act']:.1f} actor steps/s, bare "
          f"forward {rate['bare']:.1f}/s, act/bare x{ratio:.2f}")
