"""The TableTopPick-v1 oracle: the grasp the env plans from the target's hull, executed top-down.

Phases per batch slot: APPROACH (rise to a height where the fingertips clear the object, move over
the grasp point, turn the wrist to the grasp yaw), DESCEND (straight down to the grasp point, wrist
held), CLOSE, CARRY (move so the object, not the TCP, reaches the goal). A grasp that fails (the
object slips out) starts over from APPROACH. Every number here is about the gripper and the
controller, none about an object: the plan (privileged `grasp_*` values) carries the geometry.
When the plan is infeasible (the object does not fit, see pickability.py) it still tries the
narrowest grasp found: reaching the object scores, and a nudge sometimes turns it into one that fits.
"""

from __future__ import annotations

import math

import numpy as np

from pvmbench.envs.tabletop.controller import MAX_DELTA, MAX_YAW_DELTA, YAW_LIMIT
from pvmbench.envs.tabletop.env_v1 import PRIVILEGED_SLICES
from pvmbench.envs.tabletop.grasp_planner import PANDA_GRIPPER

APPROACH, DESCEND, CLOSE, CARRY = 0, 1, 2, 3
HOVER = 0.05  # metres above the grasp point to start descending from
TOP_CLEARANCE = 0.02  # fingertips above the object's top while moving sideways
APPROACH_RADIUS = 0.02  # metres from above the grasp point where the TCP starts down to its clearing height
# Start down once this close above the grasp point; the descent converges on it (measured: at most 1.8 mm
# off when closing, inside the 2 mm a side the planner keeps between object and open fingers).
XY_TOLERANCE = 0.004
YAW_TOLERANCE = math.radians(2.0)
Z_TOLERANCE = 0.006
REPLAN_SHIFT = 0.015  # the object moved this far from the latched plan: approach again
CLOSE_STEPS = 3  # 0.3 s: the fingers close from fully open
LOST_STEPS = 2  # steps in a row without a grasp while carrying before starting over
GAIN = 1.5
OFFSET_SMOOTHING = 0.2  # per step, how far the carried object's offset estimate follows the measured one
CARRY_SPEED = 0.5  # of the controller's top speed: a heavy object gripped near its top swings out at full speed
YAW_GAIN = 1.0


class PlannedGraspOracle:
    def __init__(self, num_envs: int):
        self.num_envs = num_envs
        self.phase = np.zeros(num_envs, dtype=np.int64)
        self.timer = np.zeros(num_envs, dtype=np.int64)
        self.latched = np.zeros((num_envs, 4))  # grasp TCP xyz and yaw fixed when the descent starts
        self.offset = np.zeros((num_envs, 3))  # object centre minus TCP, as gripped

    def reset(self, done_mask: np.ndarray) -> None:
        self.phase[done_mask] = APPROACH
        self.timer[done_mask] = 0

    def act(self, privileged: np.ndarray) -> np.ndarray:
        state = np.asarray(privileged, dtype=np.float64)
        return np.stack([self._act_one(i, state[i]) for i in range(self.num_envs)]).astype(np.float32)

    def _act_one(self, i: int, s: np.ndarray) -> np.ndarray:
        p = {name: s[sl] for name, sl in PRIVILEGED_SLICES.items()}
        tcp, obj, goal, yaw = p["tcp"], p["object"], p["goal"], float(p["tcp_yaw"][0])
        plan_tcp, plan_yaw = p["grasp_tcp"], _nearest_equivalent_yaw(float(p["grasp_yaw"][0]), yaw)
        clear_z = max(plan_tcp[2] + HOVER, p["object_top"][0] + PANDA_GRIPPER.tip_below_tcp + TOP_CLEARANCE)
        travel_z = p["neighbour_top"][0] + PANDA_GRIPPER.tip_below_tcp + TOP_CLEARANCE
        grasped = p["grasped"][0] > 0.5
        target_yaw = yaw
        if self.phase[i] == APPROACH:
            target, grip, target_yaw = np.array([plan_tcp[0], plan_tcp[1], clear_z]), -1.0, plan_yaw
            xy_err = np.linalg.norm(plan_tcp[:2] - tcp[:2])
            if xy_err > APPROACH_RADIUS:
                # Travel with the fingertips above every object and rise before moving sideways:
                # never sweep through the target or a taller neighbour.
                target[2] = max(clear_z, travel_z)
                if tcp[2] < target[2] - Z_TOLERANCE:
                    target[:2] = tcp[:2]
            elif xy_err < XY_TOLERANCE and abs(plan_yaw - yaw) < YAW_TOLERANCE and abs(tcp[2] - clear_z) < 0.03:
                self.phase[i] = DESCEND
                self.latched[i] = [*plan_tcp, plan_yaw]
        if self.phase[i] == DESCEND:
            target, grip, target_yaw = self.latched[i, :3].copy(), -1.0, self.latched[i, 3]
            if np.linalg.norm(plan_tcp[:2] - self.latched[i, :2]) > REPLAN_SHIFT:
                self.phase[i] = APPROACH  # the object was knocked: plan again from above
                target, target_yaw = np.array([tcp[0], tcp[1], clear_z]), yaw
            elif abs(tcp[2] - target[2]) < Z_TOLERANCE:
                self.phase[i], self.timer[i] = CLOSE, 0
        if self.phase[i] == CLOSE:
            target, grip, target_yaw = self.latched[i, :3].copy(), 1.0, self.latched[i, 3]
            self.timer[i] += 1
            if self.timer[i] >= CLOSE_STEPS:
                self.phase[i], self.timer[i] = CARRY, 0
                self.offset[i] = obj - tcp
        if self.phase[i] == CARRY:
            # Carry the object, not the TCP, to the goal: the grasp sits off the object's centre. The
            # offset is followed slowly, not step by step: an object hanging from its top swings, and
            # chasing the swing feeds it.
            self.offset[i] += OFFSET_SMOOTHING * ((obj - tcp) - self.offset[i])
            target, grip, target_yaw = goal - self.offset[i], 1.0, yaw
            self.timer[i] = 0 if grasped else self.timer[i] + 1
            if self.timer[i] >= LOST_STEPS:
                self.phase[i] = APPROACH
                target, grip = np.array([tcp[0], tcp[1], clear_z]), -1.0
        limit = CARRY_SPEED if self.phase[i] == CARRY else 1.0
        move = np.clip(GAIN * (target - tcp) / MAX_DELTA, -limit, limit)
        turn = float(np.clip(YAW_GAIN * (target_yaw - yaw) / MAX_YAW_DELTA, -1.0, 1.0))
        return np.array([*move, turn, grip])


def _nearest_equivalent_yaw(plan_yaw: float, current: float) -> float:
    """The jaws are symmetric, so yaw and yaw +- pi grip alike: take the one the wrist reaches soonest
    (a plan near +-90 degrees would otherwise flip the wrist half a turn)."""
    candidates = np.array([plan_yaw - math.pi, plan_yaw, plan_yaw + math.pi])
    best = candidates[np.argmin(np.abs(candidates - current))]
    return float(np.clip(best, -YAW_LIMIT, YAW_LIMIT))
