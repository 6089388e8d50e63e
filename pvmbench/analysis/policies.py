"""Load BC checkpoints for analysis: the policy (its encoder inside) and the env it was trained on."""

from __future__ import annotations

import dataclasses
import os
import pathlib

from pvmbench.agents.bc.agent import BCAgent
from pvmbench.agents.bc.policy import BCPolicy
from pvmbench.agents.checkpoint import load_checkpoint
from pvmbench.agents.encoders import encoder_label
from pvmbench.errors import UserError

TABLETOP = "pvmbench/TableTopPick-v1"  # what the analyses render when no checkpoint names an env
TABLETOP_IDS = ("pvmbench/TableTopPick-v0", "pvmbench/TableTopPick-v1")  # v0: the retired task's checkpoints


@dataclasses.dataclass
class LoadedPolicy:
    label: str  # e.g. "efficientnet-lite0/partial"
    path: pathlib.Path
    policy: BCPolicy
    env_id: str
    env_kwargs: dict


def load_policy(path: str | os.PathLike) -> LoadedPolicy:
    """A bc checkpoint's policy in eval mode; anything else is a one-line UserError."""
    ckpt = load_checkpoint(path)
    if ckpt["agent"] != "bc":
        raise UserError(f"{os.fspath(path)}: agent {ckpt['agent']!r}: accepted: bc checkpoints")
    if ckpt["env"] not in TABLETOP_IDS:
        raise UserError(f"{os.fspath(path)}: env {ckpt['env']!r}: the analyses accept checkpoints of "
                        f"{' or '.join(TABLETOP_IDS)}")
    # BCAgent is the one place that knows how a bc checkpoint becomes a policy; spaces are unused by it.
    policy = BCAgent(ckpt, None, None, num_envs=1).policy.eval()
    config = ckpt["config"]
    return LoadedPolicy(f"{encoder_label(config['encoder'])}/{config['mode']}", pathlib.Path(path), policy, ckpt["env"],
                        dict(config.get("env_kwargs", {})))


def load_policies(paths: list[pathlib.Path]) -> list[LoadedPolicy]:
    """Several checkpoints that must share one env setup, since their frames are rendered once."""
    if not paths:
        raise UserError("--checkpoint: give at least one bc checkpoint file (.pt)")
    loaded = [load_policy(p) for p in paths]
    first = loaded[0]
    for other in loaded[1:]:
        if other.env_id != first.env_id:
            raise UserError(f"{other.path}: env {other.env_id} differs from {first.path}'s {first.env_id}; "
                            "analyse checkpoints of one env together")
        if other.env_kwargs != first.env_kwargs:
            raise UserError(f"{other.path}: env_kwargs {other.env_kwargs} differ from {first.path}'s "
                            f"{first.env_kwargs}; analyse checkpoints trained on the same env setup together")
    labels = [p.label for p in loaded]
    for p in loaded:
        if labels.count(p.label) > 1:  # two seeds of one setup: keep rows apart
            p.label = f"{p.label} ({p.path.stem})"
    return loaded
