"""Operational-space control: damped-least-squares IK onto joint position servos.

Each 10 Hz control step moves a Cartesian TCP target by at most MAX_DELTA per axis, keeps the
gripper pointing straight down, solves one damped-least-squares IK step from the measured joint
state, and hands the result to the arm's position actuators. Physics then integrates it; bodies
are never teleported.

TableTopPick-v0's action is [dx, dy, dz, grip] with the fingers always closing along world y. v1's is
[dx, dy, dz, dyaw, grip]: the wrist also turns about the vertical, because a parallel gripper that
cannot turn picks a long box only when it happens to lie across the jaws.
"""

from __future__ import annotations

import functools
import math

import mujoco
import numpy as np

from pvmbench.envs.tabletop.model import TableTopModel
from pvmbench.envs.tabletop.panda_xml import FINGER_MAX

MAX_DELTA = 0.05  # metres per control step at action 1.0 (0.5 m/s)
# Where the TCP may go: above the table and within reach; keeps IK away from singular poses.
WORKSPACE_LOW = np.array([-0.25, -0.3, 0.015])  # fingertips 1.5 cm below the TCP touch the table
WORKSPACE_HIGH = np.array([0.25, 0.3, 0.45])
HOME_TCP = np.array([0.0, 0.0, 0.25])
# Gripper pointing down (TCP z = world -z), fingers opening along world y.
TARGET_ROTATION = np.array([[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]])
MAX_YAW_DELTA = 0.25  # radians per control step at dyaw 1.0 (v1): a quarter turn in about 6 steps
# The jaws are symmetric, so +-90 degrees from home reaches every closing direction while joint 7
# stays far from its limits.
YAW_LIMIT = math.pi / 2
_DAMPING = 1e-2
_ROT_WEIGHT = 0.5


def gripper_target(command: float) -> float:
    """Per-finger target travel: -1 opens fully, +1 closes fully."""
    return float(np.clip((1.0 - command) / 2.0, 0.0, 1.0) * FINGER_MAX)


def gripper_rotation(yaw: float) -> np.ndarray:
    """The TCP orientation pointing down, turned by `yaw` about world z (yaw 0: TARGET_ROTATION)."""
    c, s = math.cos(yaw), math.sin(yaw)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]) @ TARGET_ROTATION


def tcp_yaw(data: mujoco.MjData, tm: TableTopModel) -> float:
    """The TCP's measured yaw: the angle of its x axis in the table plane (0 at home)."""
    rot = data.site_xmat[tm.tcp_site].reshape(3, 3)
    return math.atan2(rot[1, 0], rot[0, 0])


def set_gripper(tm: TableTopModel, data: mujoco.MjData, travel: float) -> None:
    data.ctrl[tm.gripper_actuators] = travel * tm.robot.gripper_ctrl_per_metre


class EndEffectorController:
    """Cartesian TCP target -> IK on a kinematic scratch copy -> joint position servo targets.

    IK is solved on a private MjData (kinematics only), seeded with the last solution, so the
    servo targets do not inherit the arm's tracking lag. With `yaw_control` the action is
    [dx, dy, dz, dyaw, grip] (v1), else [dx, dy, dz, grip] with the yaw held at 0 (v0).
    """

    def __init__(self, tm: TableTopModel, yaw_control: bool = False):
        self._tm = tm
        self.yaw_control = yaw_control
        self.yaw = 0.0
        self._rotation = TARGET_ROTATION
        self._ik = mujoco.MjData(tm.model)
        self._jacp = np.zeros((3, tm.model.nv))
        self._jacr = np.zeros((3, tm.model.nv))
        self._lo, self._hi = tm.model.jnt_range[tm.model.dof_jntid[tm.arm_dof]].T
        self.target = HOME_TCP.copy()
        self.q_target = np.zeros(len(tm.arm_qpos))

    def reset(self, data: mujoco.MjData) -> None:
        self.target = data.site_xpos[self._tm.tcp_site].copy()
        self.q_target = data.qpos[self._tm.arm_qpos].copy()
        if self.yaw_control:
            self.yaw = tcp_yaw(data, self._tm)
            self._rotation = gripper_rotation(self.yaw)

    def apply(self, data: mujoco.MjData, action: np.ndarray) -> None:
        tcp = data.site_xpos[self._tm.tcp_site]
        step = np.clip(action[:3], -1.0, 1.0) * MAX_DELTA
        # The target may lead the TCP by a little but not run away while the arm is blocked.
        self.target = np.clip(self.target + step, tcp - 2 * MAX_DELTA, tcp + 2 * MAX_DELTA)
        self.target = np.clip(self.target, WORKSPACE_LOW, WORKSPACE_HIGH)
        if self.yaw_control:
            # Same rule for the wrist: lead the measured yaw by at most two steps, within the limit.
            measured = tcp_yaw(data, self._tm)
            yaw = self.yaw + float(np.clip(action[3], -1.0, 1.0)) * MAX_YAW_DELTA
            yaw = min(max(yaw, measured - 2 * MAX_YAW_DELTA), measured + 2 * MAX_YAW_DELTA)
            self.yaw = min(max(yaw, -YAW_LIMIT), YAW_LIMIT)
            self._rotation = gripper_rotation(self.yaw)
        self.q_target = self.solve_ik(self.target, self.q_target)
        data.ctrl[self._tm.arm_actuators] = self.q_target
        set_gripper(self._tm, data, gripper_target(float(action[-1])))

    def solve_ik(self, target: np.ndarray, seed: np.ndarray, iterations: int = 4, tol: float = 2e-4) -> np.ndarray:
        tm, ik = self._tm, self._ik
        q = seed.copy()
        for _ in range(iterations):
            ik.qpos[tm.arm_qpos] = q
            mujoco.mj_kinematics(tm.model, ik)
            rot = ik.site_xmat[tm.tcp_site].reshape(3, 3)
            err_pos = target - ik.site_xpos[tm.tcp_site]
            err_rot = 0.5 * np.cross(rot.T, self._rotation.T).sum(axis=0)
            if max(np.abs(err_pos).max(), np.abs(err_rot).max()) < tol:
                break  # seeded with the last solution, one or two iterations usually suffice
            mujoco.mj_comPos(tm.model, ik)  # the Jacobian needs the com-based motion axes
            mujoco.mj_jacSite(tm.model, ik, self._jacp, self._jacr, tm.tcp_site)
            jac = np.vstack([self._jacp[:, tm.arm_dof], _ROT_WEIGHT * self._jacr[:, tm.arm_dof]])
            err = np.concatenate([err_pos, _ROT_WEIGHT * err_rot])
            dq = jac.T @ np.linalg.solve(jac @ jac.T + _DAMPING**2 * np.eye(6), err)
            q = np.clip(q + dq, self._lo, self._hi)
        return q


@functools.lru_cache(maxsize=8)
def _home_qpos_cached(model_key: int, model: mujoco.MjModel, arm_qpos: tuple, tcp_site: int, seed: tuple) -> np.ndarray:
    del model_key
    return _solve_home(model, np.array(arm_qpos), tcp_site, seed)


def home_qpos(tm: TableTopModel) -> np.ndarray:
    """Arm joint angles that put the TCP at HOME_TCP pointing down (solved once per model)."""
    return _home_qpos_cached(id(tm.model), tm.model, tuple(tm.arm_qpos), tm.tcp_site, tm.robot.ik_seed)


def _solve_home(model: mujoco.MjModel, arm_qpos: np.ndarray, tcp_site: int, seed: tuple) -> np.ndarray:
    data = mujoco.MjData(model)
    arm_joints = [j for j in range(model.njnt) if model.jnt_qposadr[j] in set(arm_qpos.tolist())]
    arm_dof = model.jnt_dofadr[arm_joints]
    lo, hi = model.jnt_range[arm_joints].T
    data.qpos[arm_qpos] = seed
    jacp, jacr = np.zeros((3, model.nv)), np.zeros((3, model.nv))
    for _ in range(500):
        mujoco.mj_kinematics(model, data)
        mujoco.mj_comPos(model, data)  # the Jacobian needs the com-based motion axes
        rot = data.site_xmat[tcp_site].reshape(3, 3)
        err = np.concatenate(
            [HOME_TCP - data.site_xpos[tcp_site], 0.5 * sum(np.cross(rot[:, i], TARGET_ROTATION[:, i]) for i in range(3))]
        )
        if np.linalg.norm(err) < 1e-7:
            break
        mujoco.mj_jacSite(model, data, jacp, jacr, tcp_site)
        jac = np.vstack([jacp[:, arm_dof], jacr[:, arm_dof]])
        dq = jac.T @ np.linalg.solve(jac @ jac.T + 1e-4 * np.eye(6), err)
        data.qpos[arm_qpos] = np.clip(data.qpos[arm_qpos] + dq, lo, hi)
    return data.qpos[arm_qpos].copy()
