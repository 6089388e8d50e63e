"""`pvmbench train --algo bc`: behaviour cloning of the scripted expert, saved as a v1 checkpoint.

Learning rates keep the reference study's 10:1 ratio between the head and the pretrained layers
it tunes (4e-5 : 4e-6 there) at values that converge in minutes: 1e-3 : 1e-4. A frozen encoder
is run once over all frames and the head trains on cached features.
"""

from __future__ import annotations

import dataclasses
import pathlib

import numpy as np
import torch
from tqdm import tqdm

from pvmbench.agents.bc.demos import collect
from pvmbench.agents.bc.policy import BCPolicy
from pvmbench.agents.checkpoint import save_checkpoint
from pvmbench.agents.encoders import build_encoder, param_groups


@dataclasses.dataclass
class BCConfig:
    env: str = "pvmbench/TableTopPick-v0"
    encoder: str = "cnn"
    mode: str = "scratch"
    demos: int = 60
    steps: int = 1500
    batch: int = 64
    lr: float = 1e-3
    pretrained_lr: float = 1e-4
    image_size: int = 96
    seed: int = 0
    hidden: int = 256


def _batches(n: int, batch: int, steps: int, rng: np.random.Generator):
    for _ in range(steps):
        yield rng.integers(0, n, batch)


def train_bc(cfg: BCConfig, out: pathlib.Path, progress: bool = True) -> dict:
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    data = collect(cfg.env, cfg.demos, cfg.seed, cfg.image_size)
    images, actions = data["images"], torch.as_tensor(data["actions"])
    encoder = build_encoder(cfg.encoder, cfg.mode)
    policy = BCPolicy(encoder, actions.shape[1], cfg.hidden)
    head_params = list(policy.head.parameters())
    optimizer = torch.optim.AdamW(param_groups(encoder, head_params, cfg.lr, cfg.pretrained_lr), weight_decay=1e-4)
    losses: list[float] = []
    bar = tqdm(total=cfg.steps, desc=f"bc {cfg.encoder}/{cfg.mode}", unit="step", disable=not progress,
               dynamic_ncols=True)
    if cfg.mode == "frozen":
        features = _encode_all(encoder, images, progress)
        for idx in _batches(len(images), cfg.batch, cfg.steps, rng):
            loss = torch.nn.functional.mse_loss(policy.head_from_features(features[idx]), actions[idx])
            losses.append(_step(optimizer, loss))
            bar.update(1)
            bar.set_postfix_str(f"loss {np.mean(losses[-50:]):.4f}", refresh=False)
    else:
        policy.train()
        for idx in _batches(len(images), cfg.batch, cfg.steps, rng):
            prediction = policy(torch.as_tensor(images[np.sort(idx)]))
            loss = torch.nn.functional.mse_loss(prediction, actions[np.sort(idx)])
            losses.append(_step(optimizer, loss))
            bar.update(1)
            bar.set_postfix_str(f"loss {np.mean(losses[-50:]):.4f}", refresh=False)
    bar.close()
    state = {f"head.{k}": v for k, v in policy.head.state_dict().items()}
    if cfg.mode != "frozen":
        state.update({f"encoder.{k}": v for k, v in encoder.state_dict().items()})
    label = f"{cfg.encoder}/{cfg.mode}"
    save_checkpoint(
        out, agent="bc", env=cfg.env,
        config={"encoder": cfg.encoder, "mode": cfg.mode, "hidden": cfg.hidden, "action_dim": int(actions.shape[1]),
                "env_kwargs": {"image_size": cfg.image_size}, "encoder_identity": encoder.identity()},
        state_dict=state,
        meta={"label": label, "algo": "bc", "demos": cfg.demos, "frames": len(images), "steps": cfg.steps,
              "seed": cfg.seed, "final_loss": float(np.mean(losses[-50:])), "lr": cfg.lr,
              "pretrained_lr": cfg.pretrained_lr},
    )
    return {"label": label, "frames": len(images), "final_loss": float(np.mean(losses[-50:])), "out": str(out)}


def _step(optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> float:
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return float(loss.detach())


@torch.no_grad()
def _encode_all(encoder, images: np.ndarray, progress: bool, batch: int = 64) -> torch.Tensor:
    chunks = []
    for start in tqdm(range(0, len(images), batch), desc="features", unit="batch", disable=not progress,
                      dynamic_ncols=True):
        chunks.append(encoder(torch.as_tensor(images[start : start + batch])))
    return torch.cat(chunks)
