"""DreamerV3's hyperparameters (the 2024 release) and the model-size presets.

One dataclass holds everything a run and its checkpoint need to rebuild the networks and continue
training. The presets follow DreamerV3's `size12m`/`size25m`/`size50m` (deter, hidden, classes, CNN depth
and MLP units scale together; 32 latents throughout). `debug` is small enough to learn on a laptop CPU.
"""

from __future__ import annotations

import dataclasses

from pvmbench.errors import UserError

# deter / hidden / stoch x classes / units / CNN depth, as DreamerV3's configs.yaml names them.
SIZES: dict[str, dict] = {
    "debug": {"deter": 256, "hidden": 128, "stoch": 16, "classes": 16, "units": 128, "depth": 16,
              "batch_size": 8, "batch_length": 32, "warmup": 100},
    "12m": {"deter": 2048, "hidden": 256, "stoch": 32, "classes": 16, "units": 256, "depth": 16},
    "25m": {"deter": 3072, "hidden": 384, "stoch": 32, "classes": 24, "units": 384, "depth": 24},
    "50m": {"deter": 4096, "hidden": 512, "stoch": 32, "classes": 32, "units": 512, "depth": 32},
}


@dataclasses.dataclass
class DreamerConfig:
    size: str = "12m"
    # World model.
    deter: int = 2048
    hidden: int = 256
    stoch: int = 32
    classes: int = 16
    units: int = 256
    depth: int = 16  # CNN channels of the first stage (the `cnn` encoder and the pixel decoder)
    blocks: int = 8  # block-diagonal GRU groups
    mlp_layers: int = 3  # actor, critic, state encoder and decoder
    head_layers: int = 1  # reward and continue heads
    bins: int = 255
    unimix: float = 0.01
    recon_size: int = 64  # the pixel decoder reconstructs the image resized to this square
    free_nats: float = 1.0
    # Loss scales.
    rec_scale: float = 1.0
    reward_scale: float = 1.0
    continue_scale: float = 1.0
    dyn_scale: float = 1.0
    rep_scale: float = 0.1
    policy_scale: float = 1.0
    value_scale: float = 1.0
    repval_scale: float = 0.3
    # Actor-critic in imagination.
    imag_horizon: int = 15
    horizon: int = 333  # discount 1 - 1/333 = 0.997, folded into the continue target
    lam: float = 0.95
    actent: float = 3e-4
    slowreg: float = 1.0
    slow_rate: float = 0.02
    retnorm_rate: float = 0.01  # EMA decay 0.99
    retnorm_low: float = 5.0
    retnorm_high: float = 95.0
    retnorm_limit: float = 1.0
    minstd: float = 0.1
    maxstd: float = 1.0
    # Optimiser (LaProp with adaptive gradient clipping).
    lr: float = 4e-5
    pretrained_lr: float = 4e-6
    agc: float = 0.3
    eps: float = 1e-20
    beta1: float = 0.9
    beta2: float = 0.999
    warmup: int = 1000
    # Replay and training schedule.
    batch_size: int = 16
    batch_length: int = 64
    train_ratio: float = 32.0  # replayed steps per env step
    replay_capacity: int = 1_000_000

    @property
    def discount(self) -> float:
        return 1.0 - 1.0 / self.horizon

    @property
    def feat_dim(self) -> int:
        return self.deter + self.stoch * self.classes

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> DreamerConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UserError(f"dreamerv3 config has unknown key(s) {', '.join(unknown)}: written by a newer pvmbench?")
        return cls(**data)


def config_for(size: str, **overrides) -> DreamerConfig:
    """The preset `size` with `overrides` (None values are ignored); a bad size is a one-line UserError."""
    if size not in SIZES:
        raise UserError(f"--size {size!r}: accepted: {', '.join(SIZES)}")
    values = {**SIZES[size], **{k: v for k, v in overrides.items() if v is not None}}
    cfg = DreamerConfig(size=size, **values)
    if cfg.deter % cfg.blocks:
        raise UserError(f"deter={cfg.deter} must be a multiple of blocks={cfg.blocks}")
    if cfg.train_ratio <= 0:
        raise UserError(f"--train-ratio {cfg.train_ratio:g}: accepted: a number > 0")
    if cfg.recon_size % 16 or cfg.recon_size < 16:
        raise UserError(f"recon_size={cfg.recon_size}: accepted: a multiple of 16")
    return cfg
