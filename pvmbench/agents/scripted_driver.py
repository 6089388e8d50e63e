"""The scripted highway driver: lane keeping plus IDM car following, from privileged state.

It holds its lane (PD on lateral offset and heading) and sets throttle/brake from the IDM
acceleration towards the car ahead. It defines R_max of Highway-v0's score bounds.
"""

from __future__ import annotations

import numpy as np

from pvmbench.envs.driving.traffic import MAX_ACCEL, MAX_BRAKE, Traffic

DESIRED_SPEED = 28.0  # m/s, about 100 km/h
STEER_GAIN_OFFSET, STEER_GAIN_HEADING = 0.35, 3.0


class ScriptedDriver:
    requires_privileged_state = True

    def __init__(self, checkpoint: dict, observation_space, action_space, num_envs: int):
        if "privileged" not in getattr(observation_space, "spaces", {}):
            raise ValueError("the scripted driver needs an env made with privileged=True")
        self.num_envs = num_envs

    def reset(self, done_mask: np.ndarray) -> None:
        pass  # stateless: each action depends only on the current state

    def act(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        s = np.asarray(obs["privileged"], dtype=np.float64)
        y, heading, speed, lane_y, gap, lead_v = s.T
        steer = -STEER_GAIN_OFFSET * (y - lane_y) - STEER_GAIN_HEADING * heading
        accel = Traffic.idm(speed, np.full_like(speed, DESIRED_SPEED), np.where(gap < 199, gap, np.inf), lead_v)
        throttle = np.where(accel >= 0, accel / MAX_ACCEL + 0.15 * (speed < DESIRED_SPEED), accel / MAX_BRAKE)
        return np.clip(np.column_stack([steer, throttle]), -1.0, 1.0).astype(np.float32)
