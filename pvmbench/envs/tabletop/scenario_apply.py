"""Writes a table-top Scenario into a compiled model and its data, in place (never recompiles).

Appearance (texture, colours, lights, cameras) is model state that persists between resets, so
every reset first restores the defaults captured at build time and then applies the scenario:
a scenario's frames never depend on the scenario before it.
"""

from __future__ import annotations

import colorsys
import functools
import math

import mujoco
import numpy as np

from pvmbench.envs.tabletop.model import HIDDEN_GROUP, N_SLOTS, VISIBLE_GROUP, TableTopModel
from pvmbench.shifts.textures import make_texture

REST_CLEARANCE = 0.002  # metres above the table, so objects settle rather than start in contact


class ScenarioApplier:
    def __init__(self, tm: TableTopModel):
        self.tm = tm
        m = tm.model
        self._defaults = {
            "mat_rgba": m.mat_rgba.copy(),
            "cam_pos": m.cam_pos.copy(),
            "cam_quat": m.cam_quat.copy(),
        }
        self._slot_object = [-1] * N_SLOTS
        self._scratch = mujoco.MjData(m)  # mj_setConst works on a data of its own
        self._masses_changed = False
        tex = tm.table_texture
        self._tex_slice = slice(m.tex_adr[tex], m.tex_adr[tex] + m.tex_height[tex] * m.tex_width[tex] * m.tex_nchannel[tex])
        self._tex_shape = (int(m.tex_height[tex]), int(m.tex_width[tex]), int(m.tex_nchannel[tex]))
        self.texture_dirty = True
        self._texture_key: tuple | None = None

    def apply(self, data: mujoco.MjData, scenario: dict) -> None:
        objects = scenario["objects"]
        layout = scenario["layout"]
        names = [objects["target"], *objects["distractors"]]
        poses = [layout["target"], *layout["distractors"]]
        for slot in range(N_SLOTS):
            if slot < len(names):
                self._place(data, slot, self.tm.object_index(names[slot]), poses[slot])
            else:
                self._park(data, slot)
        if self._masses_changed:
            # Contact softness scales with each body's inverse weight, computed from its mass and
            # inertia; stale values from another object make contacts too stiff or too soft.
            mujoco.mj_setConst(self.tm.model, self._scratch)
            self._masses_changed = False
        self._set_goal(data, names[0], layout["goal"])
        self._set_texture(scenario["table_texture"])
        self._set_appearance(names, scenario["object_appearance"])
        self._set_lighting(scenario["lighting"])
        self._set_camera(scenario["camera"])

    # -- objects ---------------------------------------------------------------------------
    def _show(self, slot: int, index: int) -> None:
        m, geoms = self.tm.model, self.tm.slot_geoms[slot]
        previous = self._slot_object[slot]
        if previous == index:
            return
        if previous >= 0:
            viz, col = geoms[previous]
            m.geom_group[[viz, col]] = HIDDEN_GROUP
            m.geom_contype[col] = m.geom_conaffinity[col] = 0
        if index >= 0:
            viz, col = geoms[index]
            m.geom_group[viz] = VISIBLE_GROUP
            m.geom_contype[col] = m.geom_conaffinity[col] = 1
            props = self.tm.object_inertia[self.tm.objects[index].name]
            body = self.tm.slot_bodies[slot]
            m.body_mass[body] = props[0]
            m.body_ipos[body] = props[1:4]
            m.body_iquat[body] = props[4:8]
            m.body_inertia[body] = props[8:11]
            self._masses_changed = True
        self._slot_object[slot] = index

    def _place(self, data: mujoco.MjData, slot: int, index: int, pose: list[float]) -> None:
        self._show(slot, index)
        self.tm.model.body_gravcomp[self.tm.slot_bodies[slot]] = 0.0
        x, y, yaw = pose
        adr, dof = self.tm.slot_qpos[slot], self.tm.slot_dof[slot]
        data.qpos[adr : adr + 3] = (x, y, REST_CLEARANCE)
        data.qpos[adr + 3 : adr + 7] = (math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2))
        data.qvel[dof : dof + 6] = 0.0

    def _park(self, data: mujoco.MjData, slot: int) -> None:
        """An unused slot hangs, hidden and weightless, far from everything."""
        self._show(slot, -1)
        body = self.tm.slot_bodies[slot]
        self.tm.model.body_gravcomp[body] = 1.0
        adr, dof = self.tm.slot_qpos[slot], self.tm.slot_dof[slot]
        data.qpos[adr : adr + 7] = (2.0 + slot, 2.0, -0.5, 1.0, 0.0, 0.0, 0.0)
        data.qvel[dof : dof + 6] = 0.0

    def object_height(self, name: str) -> float:
        v = self.tm.objects[self.tm.object_index(name)].collision_vertices
        return float(np.max(v[:, 2]))

    def _set_goal(self, data: mujoco.MjData, target: str, goal: list[float]) -> None:
        # "Object height + U(0, 0.3)": the goal starts at the object's resting centre height.
        z = REST_CLEARANCE + self.object_height(target) / 2 + goal[2]
        data.mocap_pos[self.tm.goal_mocap] = (goal[0], goal[1], z)

    # -- appearance ------------------------------------------------------------------------
    def _set_texture(self, spec: dict) -> None:
        key = (spec["family"], spec["seed"], None if spec["overlay"] is None else tuple(sorted(spec["overlay"].items())))
        if key == self._texture_key:
            return
        size = self._tex_shape[0]
        image = _texture(spec["family"], spec["seed"], size)
        overlay = spec["overlay"]
        if overlay is not None:
            top = _texture(overlay["family"], overlay["seed"], size)
            w = float(overlay["blend"])
            image = (image * (1.0 - w) + top * w + 0.5).astype(np.uint8)
        self.tm.model.tex_data[self._tex_slice] = image.reshape(-1)
        self._texture_key = key
        self.texture_dirty = True

    def _set_appearance(self, names: list[str], spec: dict) -> None:
        m = self.tm.model
        m.mat_rgba[:] = self._defaults["mat_rgba"]
        for name in names:
            mat = self.tm.object_materials[self.tm.object_index(name)]
            r, g, b, a = self._defaults["mat_rgba"][mat]
            shift, gain = spec["hue_shift"], spec["brightness"]
            if self.tm.objects[self.tm.object_index(name)].texture_png is not None:
                # A texture map keeps its pattern; the shift tints it through the material colour.
                rgb = colorsys.hsv_to_rgb(shift % 1.0, min(1.0, 2 * abs(shift)), min(1.0, gain))
            else:
                h, s, v = colorsys.rgb_to_hsv(r, g, b)
                rgb = colorsys.hsv_to_rgb((h + shift) % 1.0, s, min(1.0, v * gain))
            m.mat_rgba[mat] = (*rgb, a)

    def _set_lighting(self, spec: dict) -> None:
        m, light = self.tm.model, self.tm.key_light
        az, el = math.radians(spec["azimuth_deg"]), math.radians(spec["elevation_deg"])
        # Light travels down towards the table from the given azimuth and elevation.
        m.light_dir[light] = (-math.cos(el) * math.cos(az), -math.cos(el) * math.sin(az), -math.sin(el))
        warmth = spec["warmth"]
        tint = np.array([1.0 + 0.35 * warmth, 1.0, 1.0 - 0.35 * warmth])
        m.light_diffuse[light] = np.clip(spec["intensity"] * tint, 0.0, 1.0)
        m.light_ambient[light] = np.clip(spec["ambient"] * tint, 0.0, 1.0)
        m.vis.headlight.ambient[:] = 0.0
        m.vis.headlight.diffuse[:] = 0.25 * spec["intensity"]

    def _set_camera(self, spec: dict) -> None:
        m = self.tm.model
        m.cam_pos[:] = self._defaults["cam_pos"]
        m.cam_quat[:] = self._defaults["cam_quat"]
        offset_quat = np.zeros(4)
        mujoco.mju_euler2Quat(offset_quat, np.radians(spec["rotation_offset_deg"]), "xyz")
        for cam in self.tm.cameras.values():
            m.cam_pos[cam] += spec["position_offset"]
            out = np.zeros(4)
            mujoco.mju_mulQuat(out, m.cam_quat[cam], offset_quat)
            m.cam_quat[cam] = out


@functools.lru_cache(maxsize=64)
def _texture(family: str, seed: int, size: int) -> np.ndarray:
    image = make_texture(family, seed, size).astype(np.float32)
    image.setflags(write=False)
    return image
