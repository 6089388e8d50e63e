"""DART (Laskey et al., 2017): demonstrations with noise injected into the actions the expert executes.

A clone of a noise-free expert only ever sees states on the expert's own path; its first small error
takes it somewhere no demonstration went, and errors compound. Executing expert + N(0, sigma) instead
makes the demonstrations wander a little off that path, and the oracle (which reads privileged state)
labels every such state with its clean action: the labels teach the way back. What is stored as the label
is always the clean expert action; the noisy one is only executed (and kept, for checks).

Noise goes on the continuous motion dimensions only: a gripper command is a binary choice, and flipping
it at random would drop objects rather than perturb the path. The noise of episode i is drawn from its
own stream of the demo seed, so a demo set is the same whatever order or process collects it.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from pvmbench.errors import UserError
from pvmbench.seeding import episode_seed

# Per expert: the action dimensions that take noise, and a sigma measured to keep the expert succeeding
# while its demos wander off its own path (seed 0, the env's training level):
#   scripted         table-top [dx, dy, dz, (dyaw,) grip]: the TCP motion, not the wrist turn or the grip.
#                    TableTopPick-v1, 300 episodes at sigma 0.2: 88% expert success (100% without noise).
#   scripted-driver  [steer, throttle]: the steering. Highway-v1, 100 episodes: expert success 92% at sigma
#                    0.05, 93% at 0.2; but at 0.2 the clean steering labels are mostly corrections of the
#                    injected noise (label variance 0.023, against 0.008 at 0.05), which buries the lane
#                    changes a clone must learn. Driving clones get their recovery states from DAgger
#                    rounds instead (recipes.py), so the noise stays small.
NOISE_DIMS = {"scripted": (0, 1, 2), "scripted-driver": (0,)}
DEFAULT_SIGMA = {"scripted": 0.2, "scripted-driver": 0.05}


@dataclasses.dataclass(frozen=True)
class NoiseSpec:
    sigma: float
    dims: tuple[int, ...]

    def describe(self) -> dict:
        return {"sigma": self.sigma, "dims": list(self.dims)}


def noise_spec(expert: str, action_dim: int, sigma: float | None = None) -> NoiseSpec:
    """The DART noise for demonstrations of `expert`; sigma None takes its measured default.

    An expert this module does not know gets noise on every action dimension (and sigma 0 unless given):
    pvmbench cannot tell which of a third-party env's actions are continuous.
    """
    if sigma is not None and (isinstance(sigma, bool) or not np.isfinite(sigma) or not 0 <= sigma <= 1):
        raise UserError(f"--demo-noise {sigma!r}: accepted: a number from 0 to 1 (the std of the executed noise)")
    dims = NOISE_DIMS.get(expert, tuple(range(action_dim)))
    dims = tuple(d for d in dims if d < action_dim)
    return NoiseSpec(float(DEFAULT_SIGMA.get(expert, 0.0) if sigma is None else sigma), dims)


def noise_rng(demo_seed: int, level: str, episode: int) -> np.random.Generator:
    return np.random.default_rng(episode_seed(demo_seed, f"demo-noise-{level}", episode))


def executed_action(label: np.ndarray, spec: NoiseSpec, rng: np.random.Generator) -> np.ndarray:
    """The action sent to the env: the clean label plus noise on spec.dims, clipped to the action box."""
    action = np.array(label, dtype=np.float32, copy=True)
    if spec.sigma > 0 and spec.dims:
        dims = list(spec.dims)
        action[dims] += rng.normal(0.0, spec.sigma, len(dims)).astype(np.float32)
    return np.clip(action, -1.0, 1.0)
