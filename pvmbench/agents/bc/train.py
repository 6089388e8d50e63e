"""`pvmbench train --algo bc`: behaviour cloning of the scripted expert, saved as a v1 checkpoint.

Learning rates keep the reference study's 10:1 ratio between the head and the pretrained layers
it tunes (4e-5 : 4e-6 there) at values that converge in minutes: 1e-3 : 1e-4. A frozen encoder
is run once over all frames and the head trains on cached features.

`seed` seeds training only; the demonstrations come from `demo_seed`, so that seeds of one
configuration, and configurations with each other, differ in training and not in their data, as in
the reference study. `device` ("cpu" or "cuda") is where training runs; checkpoints are always saved
on the CPU, and a GPU-trained checkpoint evaluates on the CPU like any other.
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
from pvmbench.agents.encoders import build_encoder, encoder_label, param_groups
from pvmbench.envs import DEFAULT_ENV
from pvmbench.errors import UserError


@dataclasses.dataclass
class BCConfig:
    env: str = DEFAULT_ENV
    encoder: str = "cnn"  # a registered name or an adapter spec such as hf:/path/to/model_dir
    mode: str = "scratch"
    encoder_options: dict = dataclasses.field(default_factory=dict)
    demos: int = 60
    steps: int = 1500
    batch: int = 64
    lr: float = 1e-3
    pretrained_lr: float = 1e-4
    image_size: int = 96
    seed: int = 0
    demo_seed: int = 0
    hidden: int = 256
    device: str = "cpu"


def _batches(n: int, batch: int, steps: int, rng: np.random.Generator):
    for _ in range(steps):
        yield rng.integers(0, n, batch)


def train_bc(cfg: BCConfig, out: pathlib.Path, progress: bool = True) -> dict:
    device = _device(cfg.device)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    encoder = build_encoder(cfg.encoder, cfg.mode, **cfg.encoder_options)  # before the demos: a bad name fails in a second, not minutes
    data = collect(cfg.env, cfg.demos, cfg.demo_seed, cfg.image_size, progress=progress)
    images = torch.as_tensor(data["images"], device=device)
    actions = torch.as_tensor(data["actions"], device=device)
    policy = BCPolicy(encoder, actions.shape[1], cfg.hidden).to(device)
    head_params = list(policy.head.parameters())
    optimizer = torch.optim.AdamW(param_groups(encoder, head_params, cfg.lr, cfg.pretrained_lr), weight_decay=1e-4)
    losses: list[float] = []
    label = f"{encoder_label(cfg.encoder)}/{cfg.mode}"
    bar = tqdm(total=cfg.steps, desc=f"bc {label}", unit="step", disable=not progress,
               dynamic_ncols=True)
    if cfg.mode == "frozen":
        features = _encode_all(encoder, images, progress)
        for idx in _batches(len(images), cfg.batch, cfg.steps, rng):
            idx = torch.as_tensor(idx, device=device)
            loss = torch.nn.functional.mse_loss(policy.head_from_features(features[idx]), actions[idx])
            losses.append(_step(optimizer, loss))
            bar.update(1)
            bar.set_postfix_str(f"loss {np.mean(losses[-50:]):.4f}", refresh=False)
    else:
        policy.train()
        for idx in _batches(len(images), cfg.batch, cfg.steps, rng):
            idx = torch.as_tensor(np.sort(idx), device=device)
            loss = torch.nn.functional.mse_loss(policy(images[idx]), actions[idx])
            losses.append(_step(optimizer, loss))
            bar.update(1)
            bar.set_postfix_str(f"loss {np.mean(losses[-50:]):.4f}", refresh=False)
    bar.close()
    policy.to("cpu")
    state = {f"head.{k}": v for k, v in policy.head.state_dict().items()}
    if cfg.mode != "frozen":
        state.update({f"encoder.{k}": v for k, v in encoder.state_dict().items()})
    save_checkpoint(
        out, agent="bc", env=cfg.env,
        # The encoder spec and options rebuild it; a frozen pretrained encoder is stored as its identity
        # (source and sha256), never as a copy of its weights.
        config={"encoder": cfg.encoder, "encoder_options": dict(cfg.encoder_options), "mode": cfg.mode, "hidden": cfg.hidden, "action_dim": int(actions.shape[1]),
                "env_kwargs": {"image_size": cfg.image_size}, "encoder_identity": encoder.identity()},
        state_dict=state,
        meta={"label": label, "algo": "bc", "demos": cfg.demos, "frames": len(images), "steps": cfg.steps,
              "seed": cfg.seed, "demo_seed": cfg.demo_seed, "device": device.type, "final_loss": float(np.mean(losses[-50:])), "lr": cfg.lr,
              "pretrained_lr": cfg.pretrained_lr},
    )
    return {"label": label, "frames": len(images), "final_loss": float(np.mean(losses[-50:])), "out": str(out)}


def _device(name: str) -> torch.device:
    if name not in ("cpu", "cuda"):
        raise UserError(f"device={name!r}: accepted: cpu, cuda")
    if name == "cuda" and not torch.cuda.is_available():
        raise UserError("device='cuda': torch sees no CUDA device here; use --device cpu")
    return torch.device(name)


def _step(optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> float:
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return float(loss.detach())


@torch.no_grad()
def _encode_all(encoder, images: torch.Tensor, progress: bool, batch: int = 64) -> torch.Tensor:
    chunks = []
    for start in tqdm(range(0, len(images), batch), desc="features", unit="batch", disable=not progress,
                      dynamic_ncols=True):
        chunks.append(encoder(images[start : start + batch]))
    return torch.cat(chunks)
