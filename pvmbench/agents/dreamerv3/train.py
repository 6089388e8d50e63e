"""`pvmbench train --algo dreamerv3`: collect from K envs at the env's training level, learn from replay.

Every loop turn the K envs take one step with sampled actions; then the learner runs as many updates as
the train ratio owes (replayed steps per env step: updates = env_steps * train_ratio / (batch x length)),
once the replay holds a full sequence. Every `eval_every` env steps (and at the end) the deterministic
actor plays `eval_episodes` episodes at `id`, a learning-curve row is written, and the checkpoint, the
replay and the trainer state are saved, so `--resume` continues from the last save.

Given the seed, a run on the CPU is reproducible: model initialisation, action sampling and replay
sampling draw from seeded generators and every env episode has its own seed (vector_envs.py).
"""

from __future__ import annotations

import dataclasses
import pathlib
import time

import gymnasium as gym
import numpy as np
import torch
from tqdm import tqdm

from pvmbench.agents.checkpoint import load_checkpoint, save_checkpoint
from pvmbench.agents.dreamerv3.agent import build_model, load_weights
from pvmbench.agents.dreamerv3.config import SIZES, config_for
from pvmbench.agents.dreamerv3.evaluation import Evaluator
from pvmbench.agents.dreamerv3.replay import Replay
from pvmbench.agents.dreamerv3.run_files import RunFiles
from pvmbench.agents.dreamerv3.vector_envs import VectorEnvs
from pvmbench.agents.encoders import encoder_label
from pvmbench.envs import DEFAULT_ENV
from pvmbench.errors import UserError

TRAIN_STREAM = "dreamerv3-train"
# Options that must match for --resume to continue a run (env_steps may grow; eval settings may change).
RUN_KEYS = ("env", "encoder", "encoder_options", "mode", "size", "seed", "num_envs", "train_ratio", "image_size")


@dataclasses.dataclass
class DreamerTrainConfig:
    env: str = DEFAULT_ENV
    encoder: str = "cnn"
    encoder_options: dict = dataclasses.field(default_factory=dict)
    mode: str = "scratch"
    size: str = "12m"
    env_steps: int = 100_000
    num_envs: int = 1
    train_ratio: float | None = None  # None: the preset's (32)
    seed: int = 0
    device: str = "cpu"
    resume: bool = False
    image_size: int = 64
    eval_every: int = 10_000  # env steps between evaluations and saves; 0: only at the end
    eval_episodes: int = 4

    def validate(self) -> None:
        if self.size not in SIZES:
            raise UserError(f"--size {self.size!r}: accepted: {', '.join(SIZES)}")
        for name, value, low in (("--env-steps", self.env_steps, 1), ("--num-envs", self.num_envs, 1),
                                 ("--eval-every", self.eval_every, 0), ("--eval-episodes", self.eval_episodes, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise UserError(f"{name} {value!r}: accepted: an integer >= {low}")
        if self.train_ratio is not None and not self.train_ratio > 0:
            raise UserError(f"--train-ratio {self.train_ratio!r}: accepted: a number > 0")
        if self.device not in ("cpu", "cuda"):
            raise UserError(f"--device {self.device!r}: accepted: cpu, cuda")
        if self.device == "cuda" and not torch.cuda.is_available():
            raise UserError("--device 'cuda': torch sees no CUDA device here; use --device cpu")

    def run_identity(self) -> dict:
        return {k: getattr(self, k) for k in RUN_KEYS}


def _spaces(cfg: DreamerTrainConfig):
    """(train level, score bounds, action dim, state dim, image shape), checked before anything is built."""
    from pvmbench.envs.contract import env_contract

    contract = env_contract(cfg.env, {"image_size": cfg.image_size})
    action = contract.action_space
    if not (isinstance(action, gym.spaces.Box) and len(action.shape) == 1 and np.all(action.low == -1)
            and np.all(action.high == 1)):
        raise UserError(f"--env {cfg.env}: dreamerv3 needs a Box[-1, 1] action vector, the env has {action}")
    spaces = contract.observation_space.spaces
    state = spaces.get("state")
    state_dim = int(state.shape[0]) if state is not None else 0
    return contract.train_level, contract.score_bounds, int(action.shape[0]), state_dim, spaces["image"].shape


def _encoder_options(cfg: DreamerTrainConfig, depth: int) -> dict:
    # The CNN's width follows the size preset unless the user set it.
    if cfg.encoder == "cnn" and "depth" not in cfg.encoder_options:
        return {**cfg.encoder_options, "depth": depth}
    return dict(cfg.encoder_options)


def _probe_env(env_id: str, level: str, image_size: int) -> None:
    """Make one env here, so a bad make argument is a one-line error rather than a worker's traceback."""
    import pvmbench.envs  # noqa: F401

    gym.make(env_id, shift=level, image_size=image_size).close()


def train_dreamerv3(cfg: DreamerTrainConfig, out: pathlib.Path, progress: bool = True) -> dict:
    cfg.validate()
    files = RunFiles(out)
    files.check_writable()
    if cfg.resume:
        files.check_resumable()
    dcfg = config_for(cfg.size, train_ratio=cfg.train_ratio)
    level, bounds, action_dim, state_dim, image_shape = _spaces(cfg)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    device = torch.device(cfg.device)
    if device.type == "cuda":
        torch.set_float32_matmul_precision("high")  # TF32 matmuls: the float32 model at tensor-core speed
    options = _encoder_options(cfg, dcfg.depth)
    config = {"encoder": cfg.encoder, "encoder_options": options, "mode": cfg.mode, "action_dim": action_dim,
              "state_dim": state_dim, "env_kwargs": {"image_size": cfg.image_size}, "dreamer": dcfg.to_dict()}
    model = build_model(config).to(device)  # a bad encoder or mode fails here, before any env starts
    label = f"dreamerv3-{encoder_label(cfg.encoder)}/{cfg.mode}"
    _probe_env(cfg.env, level, cfg.image_size)
    optimizer = model.make_optimizer()
    replay = Replay(cfg.num_envs, dcfg.replay_capacity, image_shape, action_dim, state_dim)
    state = {"env_steps": 0, "updates": 0, "episodes": [0] * cfg.num_envs, "curve": [], "wall_s": 0.0,
             "eval": None}
    if cfg.resume:
        state = _resume(cfg, files, model, optimizer, replay, rng, label)
    loop = _Loop(cfg, dcfg, model, optimizer, replay, rng, files, state, level, bounds, device, config, label)
    try:
        loop.run(progress)
    except KeyboardInterrupt:  # keep what was learnt: --resume continues from here
        loop.save()
        raise
    finally:
        loop.close()
    return {"label": label, "out": str(files.checkpoint), "env_steps": state["env_steps"], "updates": state["updates"],
            "eval": state["eval"], "curve": str(files.curve), "losses": loop.last_losses}


def _resume(cfg, files: RunFiles, model, optimizer, replay: Replay, rng, label: str) -> dict:
    checkpoint = load_checkpoint(files.checkpoint)
    trainer = files.load_trainer()
    saved = trainer["run"]
    differ = [k for k in RUN_KEYS if saved.get(k) != cfg.run_identity()[k]]
    if differ:
        k = differ[0]
        raise UserError(f"--resume: this run's {k} is {cfg.run_identity()[k]!r} but the saved run's is "
                        f"{saved.get(k)!r}; resume with the same options")
    load_weights(model, checkpoint["state_dict"], label)
    optimizer.load_state_dict(trainer["optimizer"])
    replay_steps = replay.load(files.replay)
    steps = {trainer["env_steps"], replay_steps, checkpoint["meta"].get("env_steps")}
    if len(steps) != 1:
        raise UserError(f"--resume: {files.checkpoint}, {files.replay} and {files.trainer} come from different "
                        f"saves (env steps {sorted(s for s in steps if s is not None)}); cannot resume")
    torch.set_rng_state(trainer["torch_rng"])
    if trainer.get("cuda_rng") is not None and cfg.device == "cuda":
        torch.cuda.set_rng_state(trainer["cuda_rng"])
    rng.bit_generator.state = trainer["numpy_rng"]
    return {k: trainer[k] for k in ("env_steps", "updates", "episodes", "curve", "wall_s", "eval")}


class _Loop:
    def __init__(self, cfg, dcfg, model, optimizer, replay, rng, files, state, level, bounds, device, config, label):
        self.cfg, self.dcfg, self.model, self.optimizer, self.replay, self.rng = cfg, dcfg, model, optimizer, replay, rng
        self.files, self.state, self.level, self.bounds, self.device = files, state, level, bounds, device
        self.config, self.label = config, label  # the checkpoint's config (less the encoder identity) and label
        self.envs = VectorEnvs(cfg.env, level, cfg.image_size, cfg.num_envs, cfg.seed, TRAIN_STREAM, state["episodes"])
        self.evaluator = Evaluator(cfg.env, cfg.image_size, min(cfg.num_envs, max(1, cfg.eval_episodes)), cfg.seed,
                                   bounds) if cfg.eval_episodes else None
        self.losses: list[dict] = []
        self.returns: list[float] = []
        self.last_losses: dict = {}

    def close(self) -> None:
        self.envs.close()
        if self.evaluator is not None:
            self.evaluator.close()

    def run(self, progress: bool) -> None:
        cfg, st = self.cfg, self.state
        k = cfg.num_envs
        session_start = time.perf_counter()
        start_wall, start_steps, start_updates = session_start - st["wall_s"], st["env_steps"], st["updates"]
        obs = self.envs.reset()
        self._store(obs, np.arange(k), np.zeros((k, self.model.action_dim), np.float32), np.zeros(k, np.float32),
                    first=True, last=np.zeros(k, bool), terminal=np.zeros(k, bool))
        carry, is_first = self.model.initial_carry(k), np.ones(k, bool)
        episode_return = np.zeros(k)
        next_eval = (st["env_steps"] // cfg.eval_every + 1) * cfg.eval_every if cfg.eval_every else None
        bar = tqdm(total=cfg.env_steps, initial=min(st["env_steps"], cfg.env_steps), desc=f"dreamerv3 {self.label}",
                   unit="step", disable=not progress, dynamic_ncols=True, smoothing=0.05,
                   bar_format="{desc}: {n}/{total} env steps |{bar}| {rate_fmt} ETA {remaining} {postfix}")
        while st["env_steps"] < cfg.env_steps:
            action, carry = self.model.act(self._tensors(obs), carry, torch.as_tensor(is_first, device=self.device),
                                           deterministic=False)
            action = action.cpu().numpy()
            obs, reward, terminated, truncated = self.envs.step(action)
            done = terminated | truncated
            self._store(obs, np.arange(k), action, reward, first=False, last=done, terminal=terminated)
            episode_return += reward
            st["env_steps"] += k
            bar.update(k)
            if done.any():
                self.returns.extend(episode_return[done].tolist())
                episode_return[done] = 0.0
                obs = self.envs.reset(done)
                slots = np.flatnonzero(done)
                self._store({key: v[slots] for key, v in obs.items()}, slots,
                            np.zeros((len(slots), self.model.action_dim), np.float32), np.zeros(len(slots), np.float32),
                            first=True, last=np.zeros(len(slots), bool), terminal=np.zeros(len(slots), bool))
            is_first = done
            self._learn()
            bar.set_postfix_str(self._postfix(st["updates"] - start_updates, time.perf_counter() - session_start),
                                refresh=False)
            if next_eval is not None and st["env_steps"] >= next_eval and st["env_steps"] < cfg.env_steps:
                self._checkpoint(time.perf_counter() - start_wall)
                next_eval += cfg.eval_every
        bar.close()
        if st["env_steps"] > start_steps or not self.files.checkpoint.exists():
            self._checkpoint(time.perf_counter() - start_wall)

    # -- pieces ---------------------------------------------------------------------------------------
    def _tensors(self, obs: dict) -> dict:
        return {k: torch.as_tensor(v, device=self.device) for k, v in obs.items()}

    def _store(self, obs, slots, prev_action, reward, first: bool, last, terminal) -> None:
        n = len(slots)
        rows = {"image": obs["image"], "prev_action": prev_action, "reward": reward,
                "is_first": np.full(n, first), "is_last": last, "is_terminal": terminal}
        if "state" in self.replay.fields:
            rows["state"] = obs["state"]
        self.replay.add(rows, slots)

    def _learn(self) -> None:
        d, st = self.dcfg, self.state
        if not self.replay.can_sample(d.batch_length):
            return
        owed = int(st["env_steps"] * d.train_ratio / (d.batch_size * d.batch_length)) - st["updates"]
        for _ in range(max(0, owed)):
            batch = self.replay.sample(d.batch_size, d.batch_length, self.rng)
            tensors = {k: torch.as_tensor(v, device=self.device) for k, v in batch.items()}
            self.losses.append(self.model.train_step(tensors, self.optimizer))
            st["updates"] += 1

    def _postfix(self, updates: int, wall: float) -> str:
        parts = [f"{updates / max(wall, 1e-9):.2f} upd/s", f"{self.state['updates']} upd"]
        if self.losses:
            parts.append(f"loss {np.mean([m['loss'] for m in self.losses[-20:]]):.1f}")
        if self.returns:
            parts.append(f"return {np.mean(self.returns[-10:]):.1f}")
        if self.state["eval"]:
            parts.append(f"score {self.state['eval']['score_mean']:.3f}")
        return ", ".join(parts)

    def _checkpoint(self, wall: float) -> None:
        st, cfg = self.state, self.cfg
        row = {"env_steps": st["env_steps"], "updates": st["updates"], "wall_s": round(wall, 3)}
        if self.losses:
            self.last_losses = {k: float(np.mean([m[k] for m in self.losses])) for k in self.losses[0]}
            row.update(self.last_losses)
        self.losses = []
        if self.returns:
            row["train_return"] = float(np.mean(self.returns))
        self.returns = []
        if self.evaluator is not None:
            st["eval"] = self.evaluator.run(self.model, cfg.eval_episodes)
            e = st["eval"]
            row.update(eval_episodes=e["episodes"], eval_return=e["return_mean"], eval_score=e["score_mean"],
                       eval_score_ci_low=e["score_ci_low"], eval_score_ci_high=e["score_ci_high"])
        st["curve"].append(row)
        st["wall_s"] = wall
        self.save()

    def save(self) -> None:
        st, cfg, files = self.state, self.cfg, self.files
        self.replay.save(files.replay, st["env_steps"])
        files.save_trainer({"run": cfg.run_identity(), "optimizer": self.optimizer.state_dict(),
                            "torch_rng": torch.get_rng_state(), "numpy_rng": self.rng.bit_generator.state,
                            "cuda_rng": torch.cuda.get_rng_state() if self.device.type == "cuda" else None,
                            **{k: st[k] for k in ("env_steps", "updates", "curve", "wall_s", "eval")},
                            "episodes": list(self.envs.episodes)})
        files.write_curve(st["curve"])
        encoder = self.model.encoder
        config = {**self.config, "encoder_identity": encoder.identity()}
        meta = {"label": self.label, "algo": "dreamerv3", "size": cfg.size, "env_steps": st["env_steps"],
                "updates": st["updates"], "seed": cfg.seed, "num_envs": cfg.num_envs, "train_level": self.level,
                "train_ratio": self.dcfg.train_ratio, "device": self.device.type, "lr": self.dcfg.lr,
                "pretrained_lr": self.dcfg.pretrained_lr, "eval": st["eval"], "replay": files.replay.name,
                "curve": files.curve.name, "optimizer": "LaProp (pvmbench.agents.dreamerv3.optim)"}
        save_checkpoint(files.checkpoint, agent="dreamerv3", env=cfg.env, config=config,
                        state_dict=self.model.checkpoint_state(), meta=meta)
