"""The scripted table-top oracle: hover, descend, close, carry to the goal, hold.

It reads privileged simulator state (object, goal and TCP positions), which the env exposes
only when made with privileged=True; the harness does that for agents that ask.

On TableTopPick-v0 (4-D action) it grips the object's centre with the wrist held, as it always has,
so v0's published rows stay reproducible. On v1 (5-D action) it executes the grasp the env plans
from the target's geometry (scripted_grasp.py).
"""

from __future__ import annotations

import numpy as np

from pvmbench.envs.tabletop.controller import MAX_DELTA

APPROACH, DESCEND, CLOSE, CARRY = 0, 1, 2, 3
HOVER = 0.07  # metres above the grasp point before descending
MIN_GRASP_Z = 0.018  # TCP height that keeps the fingertips just off the table
CLOSE_STEPS = 3
GAIN = 1.5


class ScriptedTableTopAgent:
    requires_privileged_state = True

    def __init__(self, checkpoint: dict, observation_space, action_space, num_envs: int):
        if "privileged" not in observation_space.spaces:
            raise ValueError("the scripted agent needs an env made with privileged=True")
        self.num_envs = num_envs
        self._planned = None
        if action_space.shape == (5,):  # TableTopPick-v1: [dx, dy, dz, dyaw, grip]
            from pvmbench.agents.scripted_grasp import PlannedGraspOracle

            self._planned = PlannedGraspOracle(num_envs)
        self.phase = np.zeros(num_envs, dtype=np.int64)
        self.timer = np.zeros(num_envs, dtype=np.int64)

    def reset(self, done_mask: np.ndarray) -> None:
        if self._planned is not None:
            self._planned.reset(done_mask)
        self.phase[done_mask] = APPROACH
        self.timer[done_mask] = 0

    def act(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        if self._planned is not None:
            return self._planned.act(obs["privileged"])
        state = np.asarray(obs["privileged"], dtype=np.float64)
        return np.stack([self._act_one(i, state[i]) for i in range(self.num_envs)]).astype(np.float32)

    def _act_one(self, i: int, s: np.ndarray) -> np.ndarray:
        tcp, obj, goal, grasped = s[0:3], s[3:6], s[6:9], s[10] > 0.5
        grasp_point = np.array([obj[0], obj[1], max(obj[2], MIN_GRASP_Z)])
        xy_err = np.linalg.norm(grasp_point[:2] - tcp[:2])
        if self.phase[i] == APPROACH:
            target, grip = grasp_point + [0, 0, HOVER], -1.0
            if xy_err < 0.01 and abs(tcp[2] - target[2]) < 0.03:
                self.phase[i] = DESCEND
        if self.phase[i] == DESCEND:
            target, grip = grasp_point, -1.0
            if xy_err > 0.03:
                self.phase[i] = APPROACH
            elif abs(tcp[2] - grasp_point[2]) < 0.008:
                self.phase[i], self.timer[i] = CLOSE, 0
        if self.phase[i] == CLOSE:
            target, grip = grasp_point, 1.0
            self.timer[i] += 1
            if self.timer[i] >= CLOSE_STEPS:
                self.phase[i] = CARRY
        if self.phase[i] == CARRY:
            # Carry the object, not the TCP, to the goal: the grasp may sit off the object's centre.
            target, grip = tcp + (goal - obj), 1.0
            if not grasped and np.linalg.norm(obj - tcp) > 0.04:
                self.phase[i] = APPROACH
                target, grip = grasp_point + [0, 0, HOVER], -1.0
        move = np.clip(GAIN * (target - tcp) / MAX_DELTA, -1.0, 1.0)
        return np.array([*move, grip])
