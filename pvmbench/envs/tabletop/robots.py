"""Which Panda the table-top model uses: the shipped one, or MuJoCo Menagerie's when a user has it.

Set MENAGERIE_ROOT to a MuJoCo Menagerie checkout and TableTopPick-v0 builds its arm from
`$MENAGERIE_ROOT/franka_emika_panda/panda.xml` (full meshes, standard Franka link frames,
tendon-driven gripper) instead of the shipped decimated model. Both expose the same TCP site
and wrist camera, so the task, controller and observations are unchanged; frames differ, so
results name the robot in the scenario's `robot` field.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib

import mujoco
import numpy as np

from pvmbench.envs.tabletop.panda_xml import FINGER_MAX
from pvmbench.errors import UserError

MENAGERIE_ROOT_ENV = "MENAGERIE_ROOT"
MENAGERIE_PANDA = pathlib.Path("franka_emika_panda") / "panda.xml"


@dataclasses.dataclass(frozen=True)
class RobotLayout:
    source: str
    arm_joints: tuple[str, ...]
    finger_joints: tuple[str, ...]
    finger_bodies: tuple[str, str]
    arm_actuators: tuple[str, ...]
    gripper_actuators: tuple[str, ...]
    gripper_ctrl_per_metre: float  # actuator ctrl per metre of per-finger travel
    ik_seed: tuple[float, ...]  # a bent-elbow pose near "TCP above the table, pointing down"
    tcp_site: str = "tcp"
    wrist_camera: str = "wrist"


SHIPPED = RobotLayout(
    source="shipped",
    arm_joints=tuple(f"panda_joint{i}" for i in range(1, 8)),
    finger_joints=("panda_finger_left", "panda_finger_right"),
    finger_bodies=("panda_leftfinger", "panda_rightfinger"),
    arm_actuators=tuple(f"act_panda_joint{i}" for i in range(1, 8)),
    gripper_actuators=("act_panda_finger_left", "act_panda_finger_right"),
    gripper_ctrl_per_metre=1.0,
    ik_seed=(0.0, -0.3, 0.0, -2.2, 0.0, 0.5, 0.0),
)

_P = "menagerie_"  # prefix of every name attached from Menagerie's file
MENAGERIE = RobotLayout(
    source="menagerie",
    arm_joints=tuple(f"{_P}joint{i}" for i in range(1, 8)),
    finger_joints=(f"{_P}finger_joint1", f"{_P}finger_joint2"),
    finger_bodies=(f"{_P}left_finger", f"{_P}right_finger"),
    arm_actuators=tuple(f"{_P}actuator{i}" for i in range(1, 8)),
    gripper_actuators=(f"{_P}actuator8",),
    gripper_ctrl_per_metre=255.0 / FINGER_MAX,  # Menagerie maps 0..0.04 m of travel onto ctrl 0..255
    ik_seed=(0.0, -0.3, 0.0, -2.2, 0.0, 1.9, 0.785),
    tcp_site=f"{_P}tcp",
    wrist_camera=f"{_P}wrist",
)

# The TCP sits between the fingertip pads, and the wrist camera looks past the fingers, at the
# same places relative to the hand as on the shipped model.
_MENAGERIE_TCP = (0.0, 0.0, 0.1034)
_MENAGERIE_CAMERA_POS = (0.085, 0.0, -0.007)
_MENAGERIE_CAMERA_LOOK_AT = (0.0, 0.0, 0.233)


def menagerie_panda() -> pathlib.Path | None:
    root = os.environ.get(MENAGERIE_ROOT_ENV)
    if not root:
        return None
    path = pathlib.Path(root) / MENAGERIE_PANDA
    if not path.is_file():
        raise UserError(f"{MENAGERIE_ROOT_ENV}={root}: no {MENAGERIE_PANDA} there; point it at a MuJoCo Menagerie "
                        "checkout, or unset it to use the shipped Panda")
    return path


def attach_menagerie_panda(spec: mujoco.MjSpec, path: pathlib.Path, base: tuple[float, float, float]) -> None:
    try:
        child = mujoco.MjSpec.from_file(str(path))
    except Exception as exc:  # MuJoCo reports XML and mesh problems as assorted errors
        raise UserError(f"{path}: MuJoCo could not load it ({str(exc).splitlines()[0]})") from None
    for light in list(child.lights):
        child.delete(light)  # the scene's lighting is a shift factor; the robot brings none
    for body in child.bodies:
        if body.name != "world":
            body.gravcomp = 1.0  # as on the shipped arm: servos track IK targets without sag
    hand = child.body("hand")
    if hand is None:
        raise UserError(f"{path}: no body named 'hand'; is this Menagerie's franka_emika_panda/panda.xml?")
    hand.add_site(name="tcp", pos=list(_MENAGERIE_TCP), size=[0.005, 0.005, 0.005], group=4)
    hand.add_camera(name="wrist", pos=list(_MENAGERIE_CAMERA_POS), quat=_look_at_quat(), fovy=70)
    frame = spec.worldbody.add_frame(pos=list(base))
    spec.attach(child, frame=frame, prefix=_P)


def _look_at_quat() -> list[float]:
    """Camera orientation (MuJoCo cameras look along -z) with image x along the finger axis."""
    c, p = np.array(_MENAGERIE_CAMERA_POS), np.array(_MENAGERIE_CAMERA_LOOK_AT)
    z = (c - p) / np.linalg.norm(c - p)
    x = np.array([0.0, 1.0, 0.0]) - z[1] * z
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    quat = np.zeros(4)
    mujoco.mju_mat2Quat(quat, np.column_stack([x, y, z]).ravel())
    return quat.tolist()
