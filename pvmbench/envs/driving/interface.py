"""What every driving backend shares with its users: the env contract, make-time checks, spaces and action.

Highway-v0 and CarlaHighway-v0 must accept the same arguments and actions and expose the same spaces,
so that an agent trained on one evaluates on the other; they take them from here.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from pvmbench.errors import UserError
from pvmbench.shifts.weather import load_driving_suite

MIN_IMAGE, MAX_IMAGE = 64, 512
PRIVILEGED_DIM = 6  # [y, heading, speed, lane_y, gap, lead_v], lane-relative
# Highway-v1 adds the left and right lanes' gaps and speeds (lane_gaps.NEIGHBOUR_FIELDS) for lane changes.
PRIVILEGED_DIM_V1 = PRIVILEGED_DIM + 8


def check_make_args(image_size, render_mode) -> None:
    if not isinstance(image_size, int) or not MIN_IMAGE <= image_size <= MAX_IMAGE:
        raise UserError(f"image_size={image_size!r}: accepted: an integer from {MIN_IMAGE} to {MAX_IMAGE}")
    if render_mode not in (None, "rgb_array"):
        raise UserError(f"render_mode={render_mode!r}: accepted: None, 'rgb_array'")


# Highway-v1's `state`: what the car itself measures, its speedometer (m/s), as Conditional Imitation
# Learning (Codevilla et al., 2018) feeds the measured speed beside the camera. One frame cannot show
# speed, and both the expert's throttle and how early it must steer around a standing car depend on it.
STATE_LAYOUT_V1 = (("speed", 1),)
STATE_DIM_V1 = 1


def spaces(image_size: int, privileged: bool, privileged_dim: int = PRIVILEGED_DIM,
           state_dim: int = 0) -> tuple[gym.spaces.Dict, gym.spaces.Box]:
    """(observation_space, action_space): the image, the car's own `state` where the version has one,
    plus simulator state for oracles if privileged; the action is [steer, throttle/brake] in [-1, 1]."""
    observation = {"image": gym.spaces.Box(0, 255, (image_size, image_size, 3), np.uint8)}
    if state_dim:
        observation["state"] = gym.spaces.Box(-np.inf, np.inf, (state_dim,), np.float32)
    if privileged:
        observation["privileged"] = gym.spaces.Box(-np.inf, np.inf, (privileged_dim,), np.float32)
    return gym.spaces.Dict(observation), gym.spaces.Box(-1.0, 1.0, (2,), np.float32)


def parse_action(action) -> tuple[float, float]:
    """(steer, throttle) clipped to [-1, 1]; a wrong shape or a non-finite value is the caller's bug."""
    action = np.asarray(action, dtype=np.float64)
    if action.shape != (2,) or not np.all(np.isfinite(action)):
        raise ValueError(f"action must be 2 finite numbers in [-1, 1], got {action!r}")
    steer, throttle = np.clip(action, -1.0, 1.0)
    return float(steer), float(throttle)


class DrivingContract:
    """The pvmbench env contract's class attributes (envs/contract.py), the same for every driving backend."""

    default_suite = "driving-v1"
    privileged_dim = PRIVILEGED_DIM
    state_dim = 0  # v1: STATE_DIM_V1
    # The blind baseline's candidates: 5 steer x 5 throttle/brake constant actions.
    blind_grid = tuple((s, t) for s in (-1.0, -0.5, 0.0, 0.5, 1.0) for t in (-1.0, -0.5, 0.0, 0.5, 1.0))
    expert_agent = "scripted-driver"
    train_level = "train"
    load_suite = staticmethod(load_driving_suite)

    @classmethod
    def make_spaces(cls, image_size: int = 224, privileged: bool = False,
                    **_other_make_kwargs) -> tuple[gym.spaces.Dict, gym.spaces.Box]:
        return spaces(image_size, privileged, cls.privileged_dim, cls.state_dim)
