"""pvmbench/TableTopPick-v1: v0's pick-and-lift task with a robot `state` vector and a turning wrist.

Observation (a dict):
  image       uint8 (image_size, image_size, 3), the wrist (or front) camera, as v0.
  state       float32 (13,), what the robot itself knows, laid out as STATE_LAYOUT:
                tcp_pos          3  TCP position (m, world frame: table top at z = 0)
                tcp_yaw_cos_sin  2  cos and sin of the wrist yaw (0 at home; the jaws close along
                                    (-sin, cos) in the table plane)
                finger_width     1  opening between the fingers (m, 0 closed .. 0.08 open)
                is_grasped       1  1.0 while both fingers touch the target, else 0.0
                goal_pos         3  the goal marker's position, the one the reward measures against
                goal_minus_tcp   3  goal_pos - tcp_pos
              Never the object's pose: a policy must find the object in the pixels. This is the
              information ManiSkill3's PickSingleYCB gives every observation mode (tcp_pose,
              goal_pos, is_grasped), restricted to what this controller can change.
  proprio     (with proprio=True) float32 (12,): arm joints, finger joints, TCP position, as v0.
  privileged  (with privileged=True, oracles only) float32 (21,), laid out as PRIVILEGED_LAYOUT:
              v0's 12 values, then the wrist yaw and a top-down grasp planned from the target's
              collision hull as it rests (grasp_planner.py).

Action: [dx, dy, dz, dyaw, grip] in [-1, 1]: TCP motion of up to 5 cm per axis, wrist turn of up to
0.25 rad per 10 Hz step (within +-90 degrees), and the gripper (-1 open, +1 closed). v0 has no dyaw.
Why v1 does (measured, YCB_PICKABILITY.md): a parallel gripper whose jaws always close along world y
meets a 7 x 16 cm box at a random yaw; the planned oracle with the wrist held picked the cracker box
in 6 of 15 and the mustard bottle in 9 of 17 id episodes, and with the wrist free in 15/15 and 17/17.

Reward, episode length, R_max, cameras and speed are v0's. The default suite is tabletop-v2, whose
YCB splits hold only objects the gripper can pick (pickability.py).
"""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np

from pvmbench.envs.tabletop import reward as rw
from pvmbench.envs.tabletop.controller import tcp_yaw
from pvmbench.envs.tabletop.env import TableTopPickEnv
from pvmbench.envs.tabletop.grasp_planner import GraspPlan, hull_edges, plan_grasp

STATE_LAYOUT: tuple[tuple[str, int], ...] = (
    ("tcp_pos", 3),
    ("tcp_yaw_cos_sin", 2),
    ("finger_width", 1),
    ("is_grasped", 1),
    ("goal_pos", 3),
    ("goal_minus_tcp", 3),
)
PRIVILEGED_LAYOUT: tuple[tuple[str, int], ...] = (
    ("tcp", 3), ("object", 3), ("goal", 3), ("finger_width", 1), ("grasped", 1), ("object_height", 1),  # v0's
    ("tcp_yaw", 1),
    ("grasp_tcp", 3),  # where the TCP closes the fingers
    ("grasp_yaw", 1),  # the wrist yaw to close at
    ("grasp_width", 1),  # the object's width across the jaws above the fingertips
    ("grasp_feasible", 1),  # 1.0 if the planned grasp fits the open fingers
    ("object_top", 1),  # the target's highest point: the fingers must pass above it
    ("neighbour_top", 1),  # the highest point of any other object on the table (0 if none)
)  # fmt: skip


def layout_slices(layout: tuple[tuple[str, int], ...]) -> dict[str, slice]:
    """{name: slice} into a vector laid out as `layout`."""
    out, start = {}, 0
    for name, size in layout:
        out[name] = slice(start, start + size)
        start += size
    return out


STATE_SLICES = layout_slices(STATE_LAYOUT)
STATE_DIM = sum(size for _, size in STATE_LAYOUT)
PRIVILEGED_SLICES = layout_slices(PRIVILEGED_LAYOUT)
PRIVILEGED_DIM_V1 = sum(size for _, size in PRIVILEGED_LAYOUT)
ACTION_DIM = 5
# Mean return of the uniform random policy over 200 ID episodes (seeds 0-199, action_space.seed(0), image_size
# 64; 8.160 +- 0.478 s.e.m.), v0's procedure (`pvmbench.benchmark.measure_bounds.tabletop_random_returns`) run on
# this class: `python -m pvmbench.benchmark.measure_bounds --env pvmbench/TableTopPick-v1`. v0's 7.95 +- 0.43 and this agree within their errors; the random wrist turn does not score.
# R_max stays the analytic 202 (reward.py): the reward is v0's.
R_RANDOM_V1 = 8.16


class TableTopPickV1Env(TableTopPickEnv):
    score_bounds = (R_RANDOM_V1, rw.R_MAX)
    default_suite = "tabletop-v2"
    yaw_control = True
    # v0's 54 constant TCP motions and grip commands, with the wrist still: a constant turn only spins
    # the camera, and the reward does not depend on the wrist's yaw.
    blind_grid = tuple((x, y, z, 0.0, g) for (x, y, z, g) in TableTopPickEnv.blind_grid)

    def __init__(self, *args, suite: str = default_suite, **kwargs):
        super().__init__(*args, suite=suite, **kwargs)
        self._hull_edges: dict[str, np.ndarray] = {}

    @classmethod
    def make_spaces(cls, image_size: int = 224, proprio: bool = False, privileged: bool = False,
                    **_other_make_kwargs) -> tuple[gym.spaces.Dict, gym.spaces.Box]:
        """v0's image (and optional proprio), plus `state` (STATE_LAYOUT) and, for oracles, the longer
        `privileged` vector (PRIVILEGED_LAYOUT); the action is [dx, dy, dz, dyaw, grip] in [-1, 1]."""
        v0_obs, _ = super().make_spaces(image_size=image_size, proprio=proprio, privileged=False)
        spaces = dict(v0_obs.spaces)
        spaces["state"] = gym.spaces.Box(-np.inf, np.inf, (STATE_DIM,), np.float32)
        if privileged:
            spaces["privileged"] = gym.spaces.Box(-np.inf, np.inf, (PRIVILEGED_DIM_V1,), np.float32)
        return gym.spaces.Dict(spaces), gym.spaces.Box(-1.0, 1.0, (ACTION_DIM,), np.float32)

    def robot_state(self) -> np.ndarray:
        """The `state` observation (STATE_LAYOUT), from the simulator's own TCP, fingers and goal."""
        tcp, _, goal = self._positions()
        yaw = tcp_yaw(self.data, self.tm)
        width = self.data.qpos[self.tm.finger_qpos].sum()
        return np.concatenate(
            [tcp, [math.cos(yaw), math.sin(yaw)], [width], [float(self._is_grasped())], goal, goal - tcp]
        ).astype(np.float32)

    def grasp_plan(self, neighbours: tuple[np.ndarray, ...] = ()) -> GraspPlan:
        """A top-down grasp of the target planned from its collision hull where it is now, clear of the
        `neighbours` (world points of the other objects)."""
        name = self._scenario["objects"]["target"]
        if name not in self._hull_edges:
            self._hull_edges[name] = hull_edges(self._object_points(0, name, local=True))
        return plan_grasp(self._object_points(0, name), self._hull_edges[name], self.data.xipos[self.tm.slot_bodies[0]][:2],
                          prefer_yaw=tcp_yaw(self.data, self.tm), neighbours=neighbours)

    def _object_points(self, slot: int, name: str, local: bool = False) -> np.ndarray:
        """An object's collision vertices, in the world (or, with local, its own frame)."""
        vertices = np.asarray(self.tm.objects[self.tm.object_index(name)].collision_vertices)
        if local:
            return vertices
        body = self.tm.slot_bodies[slot]
        return self.data.xpos[body] + vertices @ self.data.xmat[body].reshape(3, 3).T

    def privileged_state(self) -> dict[str, np.ndarray]:
        state = super().privileged_state()
        distractors = self._scenario["objects"]["distractors"]
        neighbours = tuple(self._object_points(slot, other) for slot, other in enumerate(distractors, 1))
        plan = self.grasp_plan(neighbours)
        state.update({
            "tcp_yaw": np.array([tcp_yaw(self.data, self.tm)]),
            "grasp_tcp": plan.tcp,
            "grasp_yaw": np.array([plan.yaw]),
            "grasp_width": np.array([plan.width]),
            "grasp_feasible": np.array([float(plan.feasible)]),
            "object_top": np.array([plan.top]),
            "neighbour_top": np.array([max((float(n[:, 2].max()) for n in neighbours), default=0.0)]),
        })  # fmt: skip
        return state

    def _observation(self) -> dict[str, np.ndarray]:
        obs = super()._observation()
        obs["state"] = self.robot_state()
        return obs
