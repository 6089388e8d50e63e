"""Shared by the Highway-v1 feature probes: the BC demo set, its subsample, the head and its held-out report.

The subsample: every 5th frame of the training episodes and every 4th of the held-out ones (the BC
trainer's episode split, split.py), so each probe trains in minutes on one CPU thread."""

from __future__ import annotations

import os
import pathlib

import numpy as np
import torch
from torch import nn

OUT = pathlib.Path(os.environ.get("PROBE_OUT", "/tmp/pvmbench-probe"))
ENV = "pvmbench/Highway-v1"


def demo_set(episodes: int = 100, image_size: int = 96) -> dict[str, np.ndarray]:
    """The Highway-v1 BC recipe's demo set (id, demo seed 0, DART sigma 0.05), from the cache or recorded."""
    from pvmbench.agents.bc.dart import noise_spec
    from pvmbench.agents.bc.demos import collect

    return collect(ENV, episodes, 0, image_size, noise_spec("scripted-driver", 2), level="id")


def subsample(data: dict[str, np.ndarray]) -> tuple[np.ndarray, int]:
    """(frame indices: training frames first, then held-out ones; how many are training frames)."""
    from pvmbench.agents.bc.split import split_by_episode

    split = split_by_episode(data["episode"], 0.1, 0)
    train, val = split.train[::5], split.val[::4]
    return np.concatenate([train, val]), len(train)


def head(dim: int) -> tuple[nn.Module, nn.Module, nn.Module]:
    """BCPolicy's head with a state: LayerNorm(features), state MLP, two SiLU layers, tanh."""
    state_mlp = nn.Sequential(nn.Linear(1, 64), nn.SiLU(), nn.Linear(64, 64), nn.SiLU())
    mlp = nn.Sequential(nn.Linear(dim + 64, 256), nn.SiLU(), nn.Linear(256, 256), nn.SiLU(), nn.Linear(256, 2),
                        nn.Tanh())
    return nn.LayerNorm(dim), state_mlp, mlp


def report(name: str, errors: torch.Tensor, phase: np.ndarray, seconds: float | None = None) -> None:
    """Held-out MSE overall, in lane keeping (steer and throttle apart) and in lane changes."""
    keep = phase == 0
    took = f"  [{seconds:.0f}s]" if seconds is not None else ""
    print(f"{name:32s} held-out {errors.mean():.4f}  lane-keep {errors[keep].mean():.4f} "
          f"(steer {errors[keep, 0].mean():.4f}, throttle {errors[keep, 1].mean():.4f})  "
          f"lane-change {errors[~keep].mean():.4f}{took}", flush=True)
