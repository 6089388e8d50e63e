"""An offline labelled probe set: the 74 procedural objects rendered alone, labelled by shape kind.

Procedural object i is a box, cylinder, superquadric or convex hull (kind i % 4), with its own
random size and colour; those four kinds are the classes. Each object is rendered `views` times with the
checkpoints' env settings, at a random yaw, small position jitter, hue shift (so colour is no
shortcut to the class) and id table texture. The camera is the agent's, moved 0.18 m along its
axis: from the home pose an object is about 8 px wide at 96 px, too small for its shape to be a
fair question; closer, it is about 15 px, and still clear of the camera's near clipping plane.
`groups` names the object behind each image, so k-NN can leave a whole object out.
"""

from __future__ import annotations

import dataclasses
import math

import mujoco
import numpy as np

from pvmbench.analysis.scenes import level_scenario, make_env
from pvmbench.envs.tabletop.procedural_objects import N_PROCEDURAL, SHAPE_KINDS, procedural_name

OUT_OF_VIEW_GOAL = [2.0, 2.0, 0.0]  # the goal marker is not part of what is being classified
ZOOM = 0.18  # metres along the camera axis
JITTER = 0.015  # metres of position jitter around where the camera axis meets the table


@dataclasses.dataclass
class ProbeSet:
    images: np.ndarray  # uint8 (N, H, W, 3)
    labels: np.ndarray  # int (N,), index into classes
    groups: np.ndarray  # int (N,), the procedural object index
    classes: tuple[str, ...]


def render_probe_set(env_id: str, env_kwargs: dict, views: int = 4, objects: int = N_PROCEDURAL,
                     seed: int = 0, progress=None) -> ProbeSet:
    rng = np.random.default_rng(seed)
    env = make_env(env_id, env_kwargs)
    closer, look_at = _close_up(env, ZOOM)
    try:
        images, labels, groups = [], [], []
        for index in range(objects):
            for view in range(views):
                scenario = level_scenario(env, "id", seed * 100_000 + index * views + view)
                x, y = np.add(look_at, rng.uniform(-JITTER, JITTER, size=2))
                scenario["objects"].update(target=procedural_name(index), distractors=[])
                scenario["layout"].update(target=[float(x), float(y), float(rng.uniform(0, 2 * math.pi))],
                                          goal=OUT_OF_VIEW_GOAL, distractors=[])
                scenario["object_appearance"] = {"hue_shift": float(rng.uniform(-0.5, 0.5)),
                                                 "brightness": float(rng.uniform(0.8, 1.1))}
                scenario["camera"] = {"position_offset": closer, "rotation_offset_deg": [0.0, 0.0, 0.0]}
                obs, _ = env.reset(options={"scenario": scenario})
                images.append(obs["image"])
                labels.append(index % len(SHAPE_KINDS))
                groups.append(index)
                if progress is not None:
                    progress.update(1)
    finally:
        env.close()
    return ProbeSet(np.stack(images), np.array(labels), np.array(groups), SHAPE_KINDS)


def _close_up(env, distance: float) -> tuple[list[float], np.ndarray]:
    """Camera position offset (in its body's frame, as scenarios apply it) along the view axis,
    and the table point (x, y) on that axis at the home pose."""
    unwrapped = env.unwrapped
    env.reset(seed=0)
    cam = unwrapped.tm.cameras[unwrapped.camera]
    axis = np.zeros(3)
    # MuJoCo cameras look down their own -z axis.
    mujoco.mju_rotVecQuat(axis, np.array([0.0, 0.0, -1.0]), unwrapped.model.cam_quat[cam])
    origin, world_axis = unwrapped.data.cam_xpos[cam], -unwrapped.data.cam_xmat[cam].reshape(3, 3)[:, 2]
    look_at = origin[:2] + world_axis[:2] * (origin[2] / -world_axis[2])
    return [float(v) for v in axis * distance], look_at
