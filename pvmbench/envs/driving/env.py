"""pvmbench/Highway-v0: drive along a busy four-lane highway from a forward camera.

A MuJoCo-rendered embedded scene (no server): IDM/MOBIL traffic in numpy, a kinematic-bicycle
ego car, CARLA-style weather, and the reference study's reward and termination (rules.py).
"""

from __future__ import annotations

import copy
import functools
import math
from typing import Any

import gymnasium as gym
import mujoco
import numpy as np

from pvmbench.envs import rendering
from pvmbench.envs.driving import interface, rules
from pvmbench.envs.driving.scene import (
    LAMP_SPACING,
    N_LAMP_LIGHTS,
    N_TREES_PER_SIDE,
    ROAD_TILE,
    TREE_SPACING,
    HighwayModel,
    build_highway,
    road_half_width,
)
from pvmbench.envs.driving.traffic import Ego, Traffic, collisions, lane_centre, step_ego
from pvmbench.envs.driving.weather_render import Rain, apply_weather, fog_settings
from pvmbench.shifts.spec import ShiftSpec
from pvmbench.shifts.weather import DrivingShift, validate_weather

# Mean returns over 50 `id` episodes each (seeds 0-49; random -8.80 +- 7.43, scripted 800.73 +- 12.59 s.e.m.), measured with
# `python -m pvmbench.benchmark.measure_bounds --env pvmbench/Highway-v0`: the uniform random policy and the scripted
# driver (lane keeping + IDM). See README "Score bounds".
R_RANDOM = -8.80
R_SCRIPTED = 800.73


class HighwayEnv(interface.DrivingContract, gym.Env):
    metadata = {"render_modes": ["rgb_array"], "render_fps": int(1 / (rules.DT * rules.ACTION_REPEAT))}
    score_bounds = (R_RANDOM, R_SCRIPTED)
    # v0's contact teleports a rear-ended car ahead (traffic.collisions); v1 resolves contact physically.
    resolve_contact = staticmethod(collisions)
    START_SPEED = 15.0  # m/s
    STALLED_COLOUR = (0.95, 0.45, 0.05)  # hazard-light orange: a broken-down car is marked, as on a road

    def __init__(self, shift: str | ShiftSpec = "id", image_size: int = 224, render_mode: str | None = None,
                 privileged: bool = False, suite: str | None = None):
        interface.check_make_args(image_size, render_mode)
        self.shift = DrivingShift(shift, suite or self.default_suite)
        traffic = self.shift.suite.data.get("traffic", {})
        self.hm = _highway(int(traffic.get("lanes", 4)), int(traffic.get("vehicles", 40)))
        self.model = self.hm.model
        self.data = mujoco.MjData(self.model)
        self.image_size, self.render_mode, self._privileged = image_size, render_mode, privileged
        self.rail_y = road_half_width(self.hm.lanes) + 0.5
        self._renderer: rendering.OffscreenRenderer | None = None
        self._texture: np.ndarray | None = None
        self._scenario: dict | None = None
        self.observation_space, self.action_space = self.make_spaces(image_size=image_size, privileged=privileged)
        # A suite's traffic can add stalled cars, which only v1's physical contact makes an obstacle.

    # -- gymnasium API -------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        scenario = (options or {}).get("scenario")
        if scenario is None:
            scenario = self.shift.sample(seed if seed is not None else int(self.np_random.integers(2**31 - 1)))
        weather = validate_weather(scenario["weather"], "scenario.weather")
        traffic_seed = int(scenario["traffic"]["seed"])
        start_lane = traffic_seed % self.hm.lanes
        self.ego = Ego(x=0.0, y=float(lane_centre(start_lane, self.hm.lanes)), heading=0.0, speed=self.START_SPEED)
        stalled = int(self.shift.suite.data.get("traffic", {}).get("stalled", 0))
        self.traffic = Traffic(self.hm.n_cars, self.hm.lanes, traffic_seed, self.ego, stalled=stalled)
        car_rng = np.random.default_rng(traffic_seed)
        self.model.geom_rgba[self.hm.car_body_geoms, :3] = car_rng.uniform(0.1, 0.9, (self.hm.n_cars, 3))
        self.model.geom_rgba[np.asarray(self.hm.car_body_geoms)[self.traffic.stalled], :3] = self.STALLED_COLOUR
        self._texture = apply_weather(self.hm, weather, traffic_seed)
        self._texture_dirty = True
        self._weather = weather
        self._rain = Rain(self.image_size, weather["precipitation"], weather["wind_intensity"], traffic_seed)
        self.monitor = rules.TerminationMonitor()
        self._steps, self._scenario = 0, scenario
        self._place()
        return self._observation(), {"scenario": scenario, "is_success": False}

    def step(self, action):
        if self._scenario is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        steer, throttle = interface.parse_action(action)
        speeds, intensity, reason = [], 0.0, None
        for _ in range(rules.ACTION_REPEAT):
            step_ego(self.ego, steer, throttle, rules.DT)
            self.traffic.step(self.ego, rules.DT)
            hit, touching = self.resolve_contact(self.ego, self.traffic, self.rail_y)
            intensity += hit
            speeds.append(self.ego.speed * math.cos(self.ego.heading))
            reason = self.monitor.update(self.ego.speed, touching) or reason
            if reason:
                break
        self._steps += 1
        reward = rules.step_reward(speeds, (steer, throttle), intensity)
        self._place()
        truncated = self._steps >= rules.MAX_AGENT_STEPS and reason is None
        info = {"collision_intensity": intensity, "speed": self.ego.speed, "end": reason,
                "lane_offset": self._lane_offset(), "is_success": truncated}
        return self._observation(), float(reward), reason is not None, truncated, info

    def render(self):
        return self._frame() if self.render_mode == "rgb_array" else None

    def close(self):
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    # -- state for the scripted driver ----------------------------------------------------------
    def _lane_offset(self) -> float:
        lane = np.clip(np.round(self.ego.y / 3.5 + (self.hm.lanes - 1) / 2), 0, self.hm.lanes - 1)
        return float(self.ego.y - lane_centre(lane, self.hm.lanes))

    def privileged_state(self) -> np.ndarray:
        e, t = self.ego, self.traffic
        ahead = (np.abs(t.y - e.y) < 2.5) & (t.x > e.x)
        gap = float((t.x[ahead] - e.x).min() - 4.6) if ahead.any() else 200.0
        lead_v = float(t.v[ahead][np.argmin(t.x[ahead])]) if ahead.any() else 30.0
        return np.array([e.y, e.heading, e.speed, e.y - self._lane_offset(), gap, lead_v], dtype=np.float32)

    # -- internals --------------------------------------------------------------------------------
    def _place(self) -> None:
        m, d, hm, e, t = self.model, self.data, self.hm, self.ego, self.traffic
        d.mocap_pos[hm.mocap["ego"]] = (e.x, e.y, 0.0)
        d.mocap_quat[hm.mocap["ego"]] = (math.cos(e.heading / 2), 0, 0, math.sin(e.heading / 2))
        d.mocap_pos[hm.mocap["road"]] = (math.floor(e.x / ROAD_TILE) * ROAD_TILE + 80.0, 0, 0)
        d.mocap_pos[hm.mocap["ground"]] = (e.x, 0, 0)
        d.mocap_pos[hm.mocap["sky"]] = (e.x, 0, 0)
        d.mocap_pos[hm.cars, 0], d.mocap_pos[hm.cars, 1], d.mocap_pos[hm.cars, 2] = t.x, t.y, 0.0
        first_tree = math.ceil((e.x - 20) / TREE_SPACING) * TREE_SPACING
        xs = first_tree + TREE_SPACING * np.arange(N_TREES_PER_SIDE)
        side = road_half_width(hm.lanes) + 6.0
        d.mocap_pos[hm.trees[:N_TREES_PER_SIDE]] = np.column_stack([xs, np.full_like(xs, side), np.zeros_like(xs)])
        d.mocap_pos[hm.trees[N_TREES_PER_SIDE:]] = np.column_stack([xs + TREE_SPACING / 2, np.full_like(xs, -side),
                                                                    np.zeros_like(xs)])
        first_lamp = math.ceil((e.x - 10) / LAMP_SPACING) * LAMP_SPACING
        lamp_x = first_lamp + LAMP_SPACING * np.arange(len(hm.lamps))
        lamp_y = road_half_width(hm.lanes) + 2.5
        d.mocap_pos[hm.lamps] = np.column_stack([lamp_x, np.full_like(lamp_x, lamp_y), np.zeros_like(lamp_x)])
        m.light_pos[hm.lamp_lights] = np.column_stack([lamp_x[:N_LAMP_LIGHTS], np.full(N_LAMP_LIGHTS, lamp_y - 2.6),
                                                       np.full(N_LAMP_LIGHTS, 8.6)])
        mujoco.mj_kinematics(m, d)
        mujoco.mj_camlight(m, d)

    def _frame(self) -> np.ndarray:
        if self._renderer is None:
            self._renderer = rendering.OffscreenRenderer(self.model, self.image_size, sky=True)
            self._texture_dirty = True
        if self._texture_dirty:
            self.model.tex_data[_texture_slice(self.model, self.hm.road_texture)] = self._texture.reshape(-1)
            self._renderer.upload_texture(self.hm.road_texture)
            self._renderer.set_fog(*fog_settings(self._weather))
            self._texture_dirty = False
        frame = self._renderer.render(self.data, self.hm.camera)
        return self._rain.draw(frame, self._steps)

    def _observation(self) -> dict[str, np.ndarray]:
        obs = {"image": self._frame()}
        if self._privileged:
            obs["privileged"] = self.privileged_state()
        return obs


def _texture_slice(model: mujoco.MjModel, tex: int) -> slice:
    start = model.tex_adr[tex]
    return slice(start, start + model.tex_height[tex] * model.tex_width[tex] * model.tex_nchannel[tex])


@functools.lru_cache(maxsize=2)
def _highway_template(lanes: int, n_cars: int) -> HighwayModel:
    return build_highway(lanes, n_cars)


def _highway(lanes: int, n_cars: int) -> HighwayModel:
    """Each env owns its model (weather edits it in place); compiling is cached, copying is cheap."""
    own = copy.copy(_highway_template(lanes, n_cars))
    own.model = copy.deepcopy(own.model)
    return own
