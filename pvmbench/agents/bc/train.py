"""`pvmbench train --algo bc`: behaviour cloning of the scripted expert, saved as a v1 checkpoint.

What goes in: image features, joined with a small MLP over the normalised robot `state` where the env
has one (policy.py). What it learns from: a few hundred demonstrations at the env's training level with
DART noise on the executed actions and the expert's clean actions as labels (demos.py, dart.py). How:
DrQ random shifts on every batch (augment.py; cached shifted copies for the frozen parts, inputs.py), AdamW
with linear warm-up and cosine decay (schedule.py), pretrained layers at a tenth of the head's rate.
What it reports, in the progress output and the checkpoint's meta: the held-out episodes' loss per task
phase (split.py, phases.py) and, every `eval_every` steps, rollouts at the training level (rollouts.py).
With `dagger_rounds`, the policy also drives that many times during training and the expert labels the
states it reached, which join the training set (dagger.py).

Learning rates keep the reference study's 10:1 ratio between the head and the pretrained layers it tunes
(4e-5 : 4e-6 there) at values that converge in minutes: 1e-3 : 1e-4. Defaults per mode and env, and the
CPU speeds behind them, are in recipes.py.

`seed` seeds training only; the demonstrations and the held-out split come from `demo_seed`, so that
seeds of one configuration, and configurations with each other, differ in training and not in their data,
as in the reference study. `device` ("cpu" or "cuda") is where training runs; checkpoints are always saved
on the CPU, and a GPU-trained checkpoint evaluates on the CPU like any other.
"""

from __future__ import annotations

import dataclasses
import math
import pathlib
import sys
import time

import numpy as np
import torch
from tqdm import tqdm

from pvmbench.agents.bc import recipes
from pvmbench.agents.bc.dagger import dagger_seeds, on_policy_frames, round_steps
from pvmbench.agents.bc.dart import noise_spec
from pvmbench.agents.bc.demos import collect, demo_stats
from pvmbench.agents.bc.inputs import make_inputs
from pvmbench.agents.bc.policy import NECKS, BCPolicy
from pvmbench.agents.bc.rollouts import Rollouts
from pvmbench.agents.bc.schedule import warmup_cosine, warmup_steps
from pvmbench.agents.bc.split import split_by_episode
from pvmbench.agents.bc.validation import held_out_loss, val_subset
from pvmbench.agents.checkpoint import save_checkpoint
from pvmbench.agents.encoders import build_encoder, encoder_label, param_groups
from pvmbench.envs import DEFAULT_ENV
from pvmbench.errors import UserError

MAX_AUG_PAD = 16


@dataclasses.dataclass
class BCConfig:
    env: str = DEFAULT_ENV
    encoder: str = "cnn"  # a registered name or an adapter spec such as hf:/path/to/model_dir
    mode: str = "scratch"
    encoder_options: dict = dataclasses.field(default_factory=dict)
    demos: int | None = None  # None: the env's default (recipes.ENV_RECIPES)
    steps: int | None = None  # None: the mode's default (recipes.MODE_RECIPES), as are batch and aug_copies
    batch: int | None = None
    lr: float = 1e-3
    pretrained_lr: float = 1e-4
    image_size: int = recipes.IMAGE_SIZE
    seed: int = 0
    demo_seed: int = 0
    hidden: int = 256
    neck: str = "none"  # policy.NECKS: trainable layers between a spatial feature map and the head
    device: str = "cpu"
    demo_noise: float | None = None  # DART sigma; None: the expert's measured default (dart.py)
    aug_pad: int | None = None  # DrQ shift in pixels; 0 turns augmentation off; None: the env's default
    aug_copies: int | None = None  # frozen/partial: shifted copies cached per frame
    use_state: bool = True  # join the env's `state` vector, if it has one
    val_fraction: float = 0.1  # of the demo episodes, held out
    eval_every: int | None = None  # steps between held-out loss + rollouts; 0: only at the end
    eval_episodes: int | None = None  # rollout episodes per round; 0: no rollouts
    dagger_rounds: int | None = None  # DAgger rounds during training (dagger.py); 0: demos only; None: the env's
    dagger_episodes: int | None = None  # policy episodes per round; None: the env's default (recipes)
    level: str | None = None  # the shift level demos, DAgger and rollouts draw from; None: the env's default (recipes)


def resolve(cfg: BCConfig, expert: str, train_level: str = "id", levels: tuple[str, ...] | None = None) -> BCConfig:
    """cfg with every None default filled in for its mode and env, after checking the given values.
    `train_level` is the env's own training level (its contract), used where neither cfg nor the recipe
    names one; `levels`, the suite's levels, are what --level accepts."""
    mode = recipes.MODE_RECIPES.get(cfg.mode, recipes.MODE_RECIPES["full"])
    env = recipes.ENV_RECIPES.get(expert, recipes.OTHER_ENV)
    steps = round(mode.steps * env.steps_factor) if cfg.steps is None else cfg.steps
    aug_pad = env.aug_pad if cfg.aug_pad is None else cfg.aug_pad
    # Without a shift every cached copy of a frame would be the same: one is enough.
    copies = mode.aug_copies if aug_pad else min(mode.aug_copies, 1)
    filled = dataclasses.replace(
        cfg, steps=steps, demos=env.demos if cfg.demos is None else cfg.demos,
        batch=mode.batch if cfg.batch is None else cfg.batch,
        aug_copies=copies if cfg.aug_copies is None else cfg.aug_copies,
        eval_episodes=env.eval_episodes if cfg.eval_episodes is None else cfg.eval_episodes,
        dagger_episodes=env.dagger_episodes if cfg.dagger_episodes is None else cfg.dagger_episodes,
        dagger_rounds=env.dagger_rounds if cfg.dagger_rounds is None else cfg.dagger_rounds,
        aug_pad=aug_pad, level=cfg.level or env.level or train_level,
        eval_every=math.ceil(_positive(steps) / recipes.EVAL_ROUNDS) if cfg.eval_every is None else cfg.eval_every)
    check(filled)
    if levels is not None and filled.level not in levels:
        raise UserError(f"--level {filled.level!r}: accepted: one of the env's levels: {', '.join(levels)}")
    return filled


def _positive(value) -> int:
    return value if isinstance(value, int) and value > 0 else 1


def check(cfg: BCConfig) -> None:
    """One UserError naming the first bad option and what it accepts."""
    for flag, value, low in (("--demos", cfg.demos, 1), ("--steps", cfg.steps, 1), ("--batch", cfg.batch, 1),
                             ("--aug-copies", cfg.aug_copies, 0), ("--eval-every", cfg.eval_every, 0),
                             ("--eval-episodes", cfg.eval_episodes, 0), ("--aug-pad", cfg.aug_pad, 0),
                             ("--dagger-rounds", cfg.dagger_rounds, 0), ("--dagger-episodes", cfg.dagger_episodes, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise UserError(f"{flag} {value!r}: accepted: an integer >= {low}")
    if cfg.aug_pad > MAX_AUG_PAD:
        raise UserError(f"--aug-pad {cfg.aug_pad!r}: accepted: an integer from 0 to {MAX_AUG_PAD} (pixels)")
    if cfg.mode in ("frozen", "partial") and cfg.aug_copies < 1:
        raise UserError(f"--aug-copies {cfg.aug_copies!r}: accepted: an integer >= 1 for mode {cfg.mode} "
                        "(shifted copies cached per frame)")
    if not (isinstance(cfg.val_fraction, (int, float)) and 0 <= cfg.val_fraction < 1):
        raise UserError(f"--val-fraction {cfg.val_fraction!r}: accepted: a number from 0 to below 1")
    if cfg.neck not in NECKS:
        raise UserError(f"--neck {cfg.neck!r}: accepted: {', '.join(NECKS)}")
    for flag, value in (("--lr", cfg.lr), ("--pretrained-lr", cfg.pretrained_lr)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise UserError(f"{flag} {value!r}: accepted: a number > 0")


def train_bc(cfg: BCConfig, out: pathlib.Path, progress: bool = True) -> dict:
    from pvmbench.envs.contract import env_contract

    device = _device(cfg.device)
    pathlib.Path(out).parent.mkdir(parents=True, exist_ok=True)  # not found out only after training
    contract = env_contract(cfg.env)
    cfg = resolve(cfg, contract.expert_agent, contract.train_level, tuple(contract.suite.levels))
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    generator = torch.Generator().manual_seed(cfg.seed)  # augmentation draws, on the CPU wherever training runs
    encoder = build_encoder(cfg.encoder, cfg.mode, **cfg.encoder_options)  # before the demos: a bad name fails in a second, not minutes
    if cfg.neck == "conv" and getattr(encoder, "feature_shape", None) is None:
        raise UserError(f"--neck conv: accepted only with features that keep a spatial map, and {cfg.encoder}'s "
                        f"do not (efficientnet-lite0: --encoder-option features=map or map14)")
    action_dim = int(contract.action_space.shape[0])
    noise = noise_spec(contract.expert_agent, action_dim, cfg.demo_noise)
    started = time.perf_counter()
    data = collect(cfg.env, cfg.demos, cfg.demo_seed, cfg.image_size, noise=noise, progress=progress, level=cfg.level)
    stats = demo_stats(data)
    if progress:
        tqdm.write(f"demos: {stats['episodes']} episodes, {stats['frames']} frames, expert success "
                   f"{stats['expert_success']:.0%} under noise sigma {noise.sigma:g}"
                   + (f", ID objects covered {stats['objects_covered']}" if "objects_covered" in stats else ""),
                   file=sys.stderr)  # beside the progress bars, unbuffered
    split = split_by_episode(data["episode"], cfg.val_fraction, cfg.demo_seed)
    shown = val_subset(len(split.val))
    use_state = cfg.use_state and "state" in data
    train, val = _frames(data, split.train, device, use_state), _frames(data, split.val[shown], device, use_state)
    names = [str(n) for n in data["phase_names"]]
    del data

    policy = BCPolicy(encoder, action_dim, cfg.hidden, train["state"].shape[1] if use_state else 0, cfg.neck)
    if use_state:
        policy.state_norm.fit(train["state"])
    policy.to(device)
    inputs = make_inputs(encoder, train.pop("images"), val.pop("images"), cfg.aug_pad, cfg.aug_copies,
                         generator, progress)
    optimizer = torch.optim.AdamW(param_groups(encoder, policy.head_parameters(), cfg.lr, cfg.pretrained_lr),
                                  weight_decay=1e-4)
    scheduler = warmup_cosine(optimizer, cfg.steps)
    label = f"{encoder_label(cfg.encoder)}/{cfg.mode}"
    rollouts = (Rollouts(cfg.env, cfg.level, cfg.image_size, cfg.eval_episodes, cfg.seed,
                         contract.score_bounds, use_state) if cfg.eval_episodes else None)
    losses: list[float] = []
    history: list[dict] = []
    dagger_at = round_steps(cfg.steps, cfg.dagger_rounds)
    dagger_log: list[dict] = []
    bar = tqdm(total=cfg.steps, desc=f"bc {label}", unit="step", disable=not progress, dynamic_ncols=True)
    try:
        policy.train()
        for step in range(1, cfg.steps + 1):
            losses.append(train_step(policy, inputs, train, sample_positions(rng, len(train["actions"]), cfg.batch),
                                     optimizer, scheduler))
            bar.update(1)
            bar.set_postfix_str(f"loss {np.mean(losses[-50:]):.4f} lr {scheduler.get_last_lr()[-1]:.1e}",
                                refresh=False)
            if step in dagger_at:
                new = on_policy_frames(policy, device, cfg.env, cfg.level, cfg.image_size,
                                       dagger_seeds(cfg.demo_seed, cfg.level, len(dagger_log),
                                                    cfg.dagger_episodes), contract.expert_agent, use_state, progress,
                                       reuse=inputs.reuse_at_act())
                train = _appended(train, new, device, use_state)
                inputs.extend(torch.as_tensor(new["images"], device=device), new.get("frozen"))
                dagger_log.append({"step": step, "episodes": len(new["episode_return"]), "frames": len(new["actions"]),
                                   "policy_success": float(np.mean(new["episode_success"])),
                                   "policy_mean_return": float(np.mean(new["episode_return"])),
                                   "training_frames": len(train["actions"])})
                if progress:
                    tqdm.write(_describe_round(dagger_log[-1]), file=sys.stderr)
            if step == cfg.steps or (cfg.eval_every and step % cfg.eval_every == 0):
                record = _evaluate(policy, inputs, val, names, rollouts, device, step, float(np.mean(losses[-50:])))
                history.append(record)
                if progress:
                    tqdm.write(_describe(record, cfg.steps, cfg.level), file=sys.stderr)
    finally:
        bar.close()
        if rollouts is not None:
            rollouts.close()
    seconds = time.perf_counter() - started
    policy.to("cpu")
    state = {k: v for k, v in policy.state_dict().items() if not k.startswith("encoder.")}
    if cfg.mode != "frozen":
        state.update({f"encoder.{k}": v for k, v in encoder.state_dict().items()})
    final = history[-1]
    config = {"encoder": cfg.encoder, "encoder_options": dict(cfg.encoder_options), "mode": cfg.mode,
              "hidden": cfg.hidden, "action_dim": action_dim, "env_kwargs": {"image_size": cfg.image_size},
              # The encoder spec and options rebuild it; a frozen pretrained encoder is stored as its identity
              # (source and sha256), never as a copy of its weights.
              "encoder_identity": encoder.identity()}
    if use_state:
        config.update(state_dim=int(policy.state_dim), state_key="state")
    if cfg.neck != "none":  # checkpoints without the key are the MLP-only policies published before it
        config["neck"] = cfg.neck
    meta = {"label": label, "algo": "bc", "demos": cfg.demos, "frames": stats["frames"], "steps": cfg.steps,
            "batch": cfg.batch, "seed": cfg.seed, "demo_seed": cfg.demo_seed, "level": cfg.level, "device": device.type,
            "final_loss": final["train_loss"], "lr": cfg.lr, "pretrained_lr": cfg.pretrained_lr,
            "schedule": {"kind": "linear warm-up, cosine to 0", "warmup_steps": warmup_steps(cfg.steps)},
            "demo_noise": noise.describe(), "augmentation": inputs.describe(), "uses_state": use_state,
            "demo_stats": stats, "val_fraction": cfg.val_fraction, "val_episodes": list(split.val_episodes),
            "val_loss": final["val_loss"], "val_loss_by_phase": final["val_loss_by_phase"],
            "rollout": final.get("rollout"), "history": history, "train_seconds": round(seconds, 1),
            "dagger": {"rounds": cfg.dagger_rounds, "episodes_per_round": cfg.dagger_episodes, "log": dagger_log}}
    save_checkpoint(out, agent="bc", env=cfg.env, config=config, state_dict=state, meta=meta)
    return {"label": label, "frames": stats["frames"], "final_loss": final["train_loss"], "val_loss": final["val_loss"],
            "rollout": final.get("rollout"), "out": str(out)}


def sample_positions(rng: np.random.Generator, frames: int, batch: int) -> torch.Tensor:
    """A batch of training-frame positions, with replacement; sorted, so that gathering them reads memory in order."""
    return torch.as_tensor(np.sort(rng.integers(0, frames, batch)))


def train_step(policy: BCPolicy, inputs, train: dict, positions: torch.Tensor, optimizer: torch.optim.Optimizer,
               scheduler: torch.optim.lr_scheduler.LRScheduler) -> float:
    """One optimiser step on the training frames at `positions`; the loss before it."""
    pred = policy.head_from_features(inputs.train_features(positions), _rows(train.get("state"), positions))
    loss = _step(optimizer, torch.nn.functional.mse_loss(pred, train["actions"][positions.to(pred.device)]))
    scheduler.step()
    return loss


def _frames(data: dict, index: np.ndarray, device: torch.device, use_state: bool) -> dict:
    out = {"images": torch.as_tensor(data["images"][index], device=device),
           "actions": torch.as_tensor(data["actions"][index], device=device), "phase": data["phase"][index]}
    if use_state:
        out["state"] = torch.as_tensor(data["state"][index], device=device)
    return out


def _appended(train: dict, new: dict, device: torch.device, use_state: bool) -> dict:
    """The training frames (actions, phase, state) with a DAgger round's appended; images go to the inputs."""
    out = {"actions": torch.cat([train["actions"], torch.as_tensor(new["actions"], device=device)]),
           "phase": np.concatenate([train["phase"], new["phase"]])}
    if use_state:
        out["state"] = torch.cat([train["state"], torch.as_tensor(new["state"], device=device)])
    return out


def _describe_round(entry: dict) -> str:
    return (f"dagger round at step {entry['step']}: the policy drove {entry['episodes']} episodes (success "
            f"{entry['policy_success']:.0%}, return {entry['policy_mean_return']:.1f}); {entry['frames']} frames "
            f"labelled by the expert, {entry['training_frames']} training frames now")


def _rows(values: torch.Tensor | None, positions: torch.Tensor) -> torch.Tensor | None:
    return None if values is None else values[positions.to(values.device)]


def _evaluate(policy: BCPolicy, inputs, val: dict, names: list[str], rollouts, device: torch.device, step: int,
              train_loss: float) -> dict:
    policy.eval()

    def predict(positions: torch.Tensor) -> torch.Tensor:
        return policy.head_from_features(inputs.val_features(positions), _rows(val.get("state"), positions))

    held = held_out_loss(predict, val["actions"], val["phase"], names)
    record = {"step": step, "train_loss": train_loss, "val_loss": held["loss"], "val_loss_by_phase": held["by_phase"],
              "val_frames_by_phase": held["frames_by_phase"]}
    if rollouts is not None:
        record["rollout"] = rollouts(policy, device)
    policy.train()
    return record


def _describe(record: dict, steps: int, level: str) -> str:
    line = f"step {record['step']}/{steps}: train loss {record['train_loss']:.4f}"
    if record["val_loss"] is not None:
        phases = ", ".join(f"{k} {v:.4f}" for k, v in record["val_loss_by_phase"].items() if v is not None)
        line += f", held-out {record['val_loss']:.4f} ({phases})"
    if "rollout" in record:
        r = record["rollout"]
        grasp = f", grasp {r['grasp']:.0%}" if "grasp" in r else ""
        line += (f"; rollouts at {level} ({r['episodes']} ep): success {r['success']:.0%}{grasp}, "
                 f"return {r['mean_return']:.1f}, score {r['score']:.2f}")
    return line


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
