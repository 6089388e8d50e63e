"""pvmbench/TableTopPick-v0: pick the target object and lift it to a visible goal marker.

It keeps the pvmbench env contract (envs/contract.py): score bounds, suite, spaces, expert and training
level are class attributes; the scenario and `is_success` are in `info`.
"""

from __future__ import annotations

import copy
import functools
import os
from typing import Any

import gymnasium as gym
import mujoco
import numpy as np

from pvmbench.envs import rendering
from pvmbench.envs.tabletop import reward as rw
from pvmbench.envs.tabletop.controller import EndEffectorController, home_qpos, set_gripper
from pvmbench.envs.tabletop.model import PHYSICS_TIMESTEP, TableTopModel, build_model
from pvmbench.envs.tabletop.object_asset import ObjectAsset
from pvmbench.envs.tabletop.panda_xml import FINGER_MAX
from pvmbench.envs.tabletop.scenario_apply import ScenarioApplier
from pvmbench.errors import UserError
from pvmbench.shifts.spec import ShiftSpec
from pvmbench.shifts.tabletop import TableTopShift, load_tabletop_suite

CONTROL_HZ = 10
SUBSTEPS = int(round(1.0 / (CONTROL_HZ * PHYSICS_TIMESTEP)))
CAMERAS = ("wrist", "front")
MIN_IMAGE, MAX_IMAGE = 64, 512
# Mean return of the uniform random policy over 200 ID episodes (seeds 0-199; 7.951 +- 0.431 s.e.m.), measured with
# `python -m pvmbench.benchmark.measure_bounds`; see README "Score bounds".
R_RANDOM = 7.95
PRIVILEGED_DIM = 12
MAX_SANE_VELOCITY = 200.0  # m/s or rad/s: nothing in this task moves like that unless physics blew up


class PhysicsDivergedError(RuntimeError):
    """The simulation went unstable (NaN or huge accelerations); the episode is void."""


class TableTopPickEnv(gym.Env):
    metadata = {"render_modes": ["rgb_array"], "render_fps": CONTROL_HZ}
    score_bounds = (R_RANDOM, rw.R_MAX)
    default_suite = "tabletop-v1"
    # The blind baseline's candidates: every constant TCP motion with each axis in {-1, 0, 1}, gripper open
    # or closed (54 actions).
    blind_grid = tuple((x, y, z, g) for x in (-1.0, 0.0, 1.0) for y in (-1.0, 0.0, 1.0) for z in (-1.0, 0.0, 1.0)
                       for g in (-1.0, 1.0))
    expert_agent = "scripted"
    train_level = "id"
    load_suite = staticmethod(load_tabletop_suite)
    yaw_control = False  # v0's action has no wrist rotation (v1's has: see env_v1.py)

    def __init__(
        self,
        shift: str | ShiftSpec = "id",
        image_size: int = 224,
        camera: str = "wrist",
        objects: str = "procedural",
        render_mode: str | None = None,
        proprio: bool = False,
        privileged: bool = False,
        suite: str = default_suite,
    ):
        if not isinstance(image_size, int) or not MIN_IMAGE <= image_size <= MAX_IMAGE:
            raise UserError(f"image_size={image_size!r}: accepted: an integer from {MIN_IMAGE} to {MAX_IMAGE}")
        if camera not in CAMERAS:
            raise UserError(f"camera={camera!r}: accepted: {', '.join(CAMERAS)}")
        if render_mode not in (None, "rgb_array"):
            raise UserError(f"render_mode={render_mode!r}: accepted: None, 'rgb_array'")
        suite_obj = load_tabletop_suite(suite)
        assets = _object_assets(objects, suite_obj)
        self.shift = TableTopShift(shift, objects, [a.name for a in assets], suite_obj)
        if objects == "ycb":
            _require_objects_for_level(self.shift)
        self.tm = _compiled(objects, tuple(a.name for a in assets), assets)
        self.model = self.tm.model
        self.data = mujoco.MjData(self.model)
        self.image_size, self.camera, self.render_mode = image_size, camera, render_mode
        self._proprio, self._privileged = proprio, privileged
        self._controller = EndEffectorController(self.tm, yaw_control=self.yaw_control)
        self._applier = ScenarioApplier(self.tm)
        self._home = home_qpos(self.tm)
        self._renderer: rendering.OffscreenRenderer | None = None
        self._scenario: dict | None = None
        self._steps = 0
        self._target_slot_geom = -1

        self.observation_space, self.action_space = self.make_spaces(image_size=image_size, proprio=proprio,
                                                                     privileged=privileged)

    @classmethod
    def make_spaces(cls, image_size: int = 224, proprio: bool = False, privileged: bool = False,
                    **_other_make_kwargs) -> tuple[gym.spaces.Dict, gym.spaces.Box]:
        """The spaces of an env made with these kwargs: the wrist (or front) image, optional joint
        proprioception and, for oracles only, privileged state; the action is [dx, dy, dz, grip] in [-1, 1]."""
        spaces: dict[str, gym.Space] = {"image": gym.spaces.Box(0, 255, (image_size, image_size, 3), np.uint8)}
        if proprio:
            spaces["proprio"] = gym.spaces.Box(-np.inf, np.inf, (12,), np.float32)
        if privileged:
            spaces["privileged"] = gym.spaces.Box(-np.inf, np.inf, (PRIVILEGED_DIM,), np.float32)
        return gym.spaces.Dict(spaces), gym.spaces.Box(-1.0, 1.0, (4,), np.float32)

    # -- gymnasium API -------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        scenario = (options or {}).get("scenario")
        if scenario is None:
            scenario_seed = seed if seed is not None else int(self.np_random.integers(2**31 - 1))
            scenario = self.shift.sample(scenario_seed)
        self._load_scenario(scenario)
        obs = self._observation()
        return obs, {"scenario": scenario, "is_success": False, "is_grasped": False}

    def step(self, action):
        if self._scenario is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        action = np.asarray(action, dtype=np.float64)
        if action.shape != self.action_space.shape or not np.all(np.isfinite(action)):
            raise ValueError(f"action must be {self.action_space.shape[0]} finite numbers in [-1, 1], got {action!r}")
        self._controller.apply(self.data, np.clip(action, -1.0, 1.0))
        mujoco.mj_step(self.model, self.data, nstep=SUBSTEPS)
        self._steps += 1
        if (
            self.data.warning[mujoco.mjtWarning.mjWARN_BADQACC].number
            or self.data.warning[mujoco.mjtWarning.mjWARN_BADQVEL].number
            or np.abs(self.data.qvel).max() > MAX_SANE_VELOCITY
        ):
            # MuJoCo silently resets diverged state; carrying on would score a different episode.
            raise PhysicsDivergedError(f"physics diverged at step {self._steps} of scenario seed {self._scenario['seed']}")
        tcp, obj, goal = self._positions()
        grasped = self._is_grasped()
        to_obj, to_goal = float(np.linalg.norm(tcp - obj)), float(np.linalg.norm(obj - goal))
        last = self._steps >= rw.EPISODE_STEPS
        reward = rw.step_reward(to_obj, to_goal, grasped, last)
        info = {"is_success": bool(rw.is_success(to_goal)), "is_grasped": grasped}
        return self._observation(), reward, False, last, info

    def render(self):
        if self.render_mode != "rgb_array":
            return None
        return self._render(self.tm.cameras["front"])

    def close(self):
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    # -- privileged state, for agents that ask for it (the scripted oracle) ------------------------
    def privileged_state(self) -> dict[str, np.ndarray]:
        tcp, obj, goal = self._positions()
        return {
            "tcp": tcp,
            "object": obj,
            "goal": goal,
            "finger_width": np.array([self.data.qpos[self.tm.finger_qpos].sum()]),
            "grasped": np.array([float(self._is_grasped())]),
            "object_height": np.array([self._applier.object_height(self._scenario["objects"]["target"])]),
        }

    # -- internals -------------------------------------------------------------------------------
    def _load_scenario(self, scenario: dict) -> None:
        mujoco.mj_resetData(self.model, self.data)
        self._applier.apply(self.data, scenario)
        self.data.qpos[self.tm.arm_qpos] = self._home
        self.data.qpos[self.tm.finger_qpos] = FINGER_MAX
        self.data.ctrl[self.tm.arm_actuators] = self._home
        set_gripper(self.tm, self.data, FINGER_MAX)
        mujoco.mj_forward(self.model, self.data)
        self._controller.reset(self.data)
        self._scenario = scenario
        self._steps = 0
        target = self.tm.object_index(scenario["objects"]["target"])
        self._target_slot_geom = int(self.tm.slot_geoms[0, target, 1])

    def _positions(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        tcp = self.data.site_xpos[self.tm.tcp_site].copy()
        body = self.tm.slot_bodies[0]
        half = self._applier.object_height(self._scenario["objects"]["target"]) / 2
        obj = self.data.xpos[body] + self.data.xmat[body].reshape(3, 3)[:, 2] * half
        return tcp, obj, self.data.mocap_pos[self.tm.goal_mocap].copy()

    def _is_grasped(self) -> bool:
        n = self.data.ncon
        if n == 0:
            return False
        g1, g2 = self.data.contact.geom1[:n], self.data.contact.geom2[:n]
        target = self._target_slot_geom
        other = np.where(g1 == target, g2, np.where(g2 == target, g1, -1))
        return bool(np.isin(other, self.tm.finger_geoms["left"]).any() and np.isin(other, self.tm.finger_geoms["right"]).any())

    def _render(self, camera: int) -> np.ndarray:
        if self._renderer is None:
            self._renderer = rendering.OffscreenRenderer(self.model, self.image_size)
            self._applier.texture_dirty = True
        if self._applier.texture_dirty:
            self._renderer.upload_texture(self.tm.table_texture)
            self._applier.texture_dirty = False
        return self._renderer.render(self.data, camera)

    def _observation(self) -> dict[str, np.ndarray]:
        obs = {"image": self._render(self.tm.cameras[self.camera])}
        if self._proprio:
            q = self.data.qpos
            obs["proprio"] = np.concatenate(
                [q[self.tm.arm_qpos], q[self.tm.finger_qpos], self.data.site_xpos[self.tm.tcp_site]]
            ).astype(np.float32)
        if self._privileged:
            obs["privileged"] = np.concatenate([v.ravel() for v in self.privileged_state().values()]).astype(np.float32)
        return obs


def _object_assets(objects: str, suite) -> tuple[ObjectAsset, ...]:
    if objects == "procedural":
        from pvmbench.envs.tabletop.procedural_objects import procedural_objects

        return procedural_objects()
    if objects == "ycb":
        from pvmbench.envs.tabletop.ycb import load_ycb_objects

        splits = suite.data["objects"]["ycb"]
        return tuple(load_ycb_objects(splits["id"] + splits["heldout"]))
    raise UserError(f"objects={objects!r}: accepted: procedural, ycb")


def _require_objects_for_level(shift: TableTopShift) -> None:
    """A level whose split has no object left in the user's YCB directory cannot be run."""
    from pvmbench.envs.tabletop.ycb import YCB_DIR_ENV

    probs = (shift.ladder.start["objects"]["heldout_prob"], shift.ladder.end["objects"]["heldout_prob"])
    needed = (["id"] if min(probs) < 1 else []) + (["heldout"] if max(probs) > 0 else [])
    for split in needed:
        if not shift.splits[split]:
            raise UserError(
                f"shift {shift.shift_label!r} needs YCB {split} objects but none were found in "
                f"{os.environ.get(YCB_DIR_ENV)} (the suite lists them under objects.ycb.{split})"
            )


@functools.lru_cache(maxsize=4)
def _compiled_template(source: str, names: tuple[str, ...], assets: tuple[ObjectAsset, ...], robot: str) -> TableTopModel:
    del robot  # part of the cache key: MENAGERIE_ROOT may change between envs in one process
    return build_model(assets)


def _compiled(source: str, names: tuple[str, ...], assets: tuple[ObjectAsset, ...]) -> TableTopModel:
    """Each env owns its model (resets edit it in place); compiling is cached, copying is cheap."""
    from pvmbench.envs.tabletop.robots import menagerie_panda

    template = _compiled_template(source, names, assets, str(menagerie_panda()))
    own = copy.copy(template)
    own.model = copy.deepcopy(template.model)
    own.__post_init__()
    return own
