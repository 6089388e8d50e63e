"""pvmbench/CarlaHighway-v0: Highway-v0's driving task on a CARLA 0.9.15/0.9.16 server's Town04 highway.

Same observation ({"image"}, plus "privileged" on request), action ([steer, throttle/brake] in
[-1, 1], each repeated for rules.ACTION_REPEAT ticks), reward and termination (rules.py) and
scenarios (driving-v1 weather) as Highway-v0. The server is the user's: pass host/port, or
carla_cmd to have pvmbench launch and supervise one. One env drives a server at a time: reset
clears every actor pvmbench spawned there, so envs share a server only one after another.
"""

from __future__ import annotations

import contextlib
import math
import os
import queue
from typing import Any

import gymnasium as gym
import numpy as np

from pvmbench.envs.carla import ego, supervisor
from pvmbench.envs.carla.supervisor import ServerLost
from pvmbench.envs.carla.weather import import_carla, to_weather_parameters
from pvmbench.envs.driving import interface, rules
from pvmbench.errors import UserError
from pvmbench.shifts.spec import ShiftSpec
from pvmbench.shifts.weather import DrivingShift

TOWN = "Town04"  # the study's CARLA map: a four-lane highway loop
EGO_BLUEPRINT = "vehicle.tesla.model3"
ROLE = "pvmbench"  # role_name prefix of every actor we spawn, so that any reset can clear leftovers
START_SPEED = 15.0  # m/s, as Highway-v0 starts its ego car
# Highway-v0's "front" camera: 1.3 m ahead of the car's origin, 1.55 m up, 5 degrees down, 60 degree fov
# (MuJoCo's fovy is vertical, CARLA's fov horizontal: equal for the square image).
CAMERA = {"x": 1.3, "z": 1.55, "pitch": -5.0, "fov": 60}
NO_LEAD = (200.0, 30.0)  # gap and lead speed Highway-v0 reports when no car is ahead
# The study's CARLA score bounds (Jones, Zhou & Pattinson, arXiv 2509.12531), copied, NOT measured
# here: this backend has not been run against a CARLA server in this project's CI. R_MAX is out of
# reach under these rules: 500 steps of 0.1 s earn at most 500 for throttle, so 2,780 needs 2,280 m
# in 50 s, a mean 45.6 m/s (164 km/h) along the road from a 15 m/s start, in traffic (README).
R_RANDOM, R_MAX = -37.4, 2780.0


class CarlaHighwayEnv(interface.DrivingContract, gym.Env):
    metadata = {"render_modes": ["rgb_array"], "render_fps": int(1 / (rules.DT * rules.ACTION_REPEAT))}
    score_bounds = (R_RANDOM, R_MAX)
    # The harness waits this long for a reset, not --step-timeout: a first reset may launch the server,
    # connect and load Town04 (supervisor.RESET_TIMEOUT adds up their budgets).
    reset_timeout = supervisor.RESET_TIMEOUT

    def __init__(self, shift: str | ShiftSpec = "id", image_size: int = 224, render_mode: str | None = None,
                 host: str | None = None, port: int = supervisor.DEFAULT_PORT, carla_cmd: str | None = None,
                 privileged: bool = False, timeout: float = 10.0, tm_port: int | None = None,
                 suite: str = interface.DrivingContract.default_suite):
        interface.check_make_args(image_size, render_mode)
        if not isinstance(port, int) or not 0 < port < 65536:
            raise UserError(f"port={port!r}: accepted: an integer from 1 to 65535")
        if not isinstance(timeout, int | float) or timeout <= 0:
            raise UserError(f"timeout={timeout!r}: accepted: seconds > 0")
        # Derived from port by default, so that clients of two servers on one machine do not both bind 8000.
        tm_port = supervisor.check_tm_port(supervisor.tm_port_for(port) if tm_port is None else tm_port, port)
        self.carla = import_carla()  # fail at make time, not at the first reset, without the extra
        self.shift = DrivingShift(shift, suite)
        self.host = host or os.environ.get("PVMBENCH_CARLA_HOST") or "localhost"
        self.port, self.carla_cmd, self.timeout, self.tm_port = port, carla_cmd, float(timeout), tm_port
        self.where = f"{self.host}:{self.port}"
        self.image_size, self.render_mode, self._privileged = image_size, render_mode, privileged
        self.observation_space, self.action_space = self.make_spaces(image_size=image_size, privileged=privileged)
        # Nothing connects or launches before the first reset: making an env to read its spaces is free.
        self._server: supervisor.ServerProcess | None = None
        self._client = self._world = self._map = self._spawns = self._ego = self._image = self._scenario = None
        self._sensors, self._traffic, self._images, self._collisions = [], [], queue.Queue(), ego.CollisionLog()
        self._max_steer_deg, self._steer_curve = ego.FALLBACK_MAX_STEER_DEG, []

    # -- gymnasium API -------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        scenario = (options or {}).get("scenario")
        if scenario is None:
            scenario = self.shift.sample(seed if seed is not None else int(self.np_random.integers(2**31 - 1)))
        weather = to_weather_parameters(scenario["weather"])  # a bad scenario fails before any server work
        # No retry here after a lost server: this process's Traffic Manager died with it (ServerLost).
        self._reset(weather, scenario["traffic"])
        self.monitor, self._steps, self._scenario = rules.TerminationMonitor(), 0, scenario
        return self._observation(), {"scenario": scenario, "is_success": False}

    def step(self, action):
        if self._scenario is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        steer, throttle = interface.parse_action(action)
        speeds, intensity, reason = [], 0.0, None
        with self._guard():
            if not self._ego.is_alive:  # the server is fine: this process may go on driving it
                raise ServerLost(f"the ego car on the CARLA server at {self.where} was removed mid-episode "
                                 f"(another env reset that server?); one env drives a server at a time",
                                 poisons_process=False)
            v = self._ego.get_velocity()
            factor = ego.steering_factor(self._steer_curve, 3.6 * math.sqrt(v.x**2 + v.y**2 + v.z**2))
            self._ego.apply_control(self.carla.VehicleControl(
                throttle=float(max(throttle, 0.0)), brake=float(max(-throttle, 0.0)),
                steer=float(ego.steer_command(steer, self._max_steer_deg, factor))))
            for _ in range(rules.ACTION_REPEAT):
                frame = self._tick()
                velocity, location = self._ego.get_velocity(), self._ego.get_location()
                speed = math.sqrt(velocity.x**2 + velocity.y**2 + velocity.z**2)
                road = self._map.get_waypoint(location).transform.get_forward_vector()  # client-side: no RPC
                speeds.append(ego.forward_speed(velocity, road))
                hit, touching = self._collisions.take(frame)
                intensity += hit
                reason = self.monitor.update(speed, touching) or reason
                if reason:
                    break
            obs = self._observation()
            lane_offset = float(self.privileged_state()[0])
        self._steps += 1
        reward = rules.step_reward(speeds, (steer, throttle), intensity)
        truncated = self._steps >= rules.MAX_AGENT_STEPS and reason is None
        info = {"collision_intensity": intensity, "speed": speed, "end": reason, "lane_offset": lane_offset,
                "is_success": truncated}
        return obs, float(reward), reason is not None, truncated, info

    def render(self):
        return self._image if self.render_mode == "rgb_array" else None

    def close(self):
        # After a lost server every call would wait out its timeout (and touch the dead Traffic Manager).
        if self._client is not None and not supervisor.process_lost():
            try:
                self._clear(tick=False)
                supervisor.release_world(self._client, self._world, self.tm_port)
            except RuntimeError:  # the server is gone already; nothing left to tidy
                pass
        self._client = None
        if self._server is not None:
            supervisor.release(self._server)
            self._server = None

    # -- lane-relative state, in Highway-v0's privileged layout -----------------------------------
    def privileged_state(self) -> np.ndarray:
        tf = self._ego.get_transform()
        lane = self._map.get_waypoint(tf.location).transform
        right = lane.get_right_vector()
        d = tf.location - lane.location
        y = -(d.x * right.x + d.y * right.y)  # Highway-v0's y points left; CARLA's right vector points right
        heading = -math.radians((tf.rotation.yaw - lane.rotation.yaw + 180.0) % 360.0 - 180.0)
        v = self._ego.get_velocity()
        fwd, side = tf.get_forward_vector(), tf.get_right_vector()
        gap, lead_v = NO_LEAD
        for car in self._traffic:
            r = car.get_location() - tf.location
            ahead, lateral = r.x * fwd.x + r.y * fwd.y, r.x * side.x + r.y * side.y
            if ahead > 0 and abs(lateral) < 2.5 and ahead - 4.6 < gap:  # 4.6 m: Highway-v0's car length
                cv = car.get_velocity()
                gap, lead_v = ahead - 4.6, math.hypot(cv.x, cv.y)
        return np.array([y, heading, math.hypot(v.x, v.y), 0.0, gap, lead_v], dtype=np.float32)

    # -- internals --------------------------------------------------------------------------------
    def _reset(self, weather, traffic: dict) -> None:
        supervisor.check_not_lost(self.where)
        with self._guard():
            if self._client is None:
                if self.carla_cmd and self._server is None:  # shared per command line, see supervisor.acquire
                    self._server = supervisor.acquire(self.carla_cmd, self.host, self.port)
                fresh = self._server is not None and self._server.ensure()  # (re)started: allow it time to warm up
                self._client = supervisor.connect(self.host, self.port,
                                                  max(self.timeout, supervisor.READY_TIMEOUT) if fresh else self.timeout)
                self._world = supervisor.setup_world(self._client, TOWN, self.timeout)
                self._map = self._world.get_map()  # fetched once: it downloads the whole OpenDRIVE
                self._spawns = highway_spawn_points(self.carla, self._map, int(traffic["lanes"]))
            supervisor.apply_sync(self._world, self.where)  # every reset: another client may have changed them
            self._clear(tick=True)
            self._world.set_weather(weather)
            tm = supervisor.traffic_manager(self._client, self.tm_port, traffic["seed"])
            self._spawn(traffic, tm)

    def _spawn(self, traffic: dict, tm) -> None:
        c, world, rng = self.carla, self._world, np.random.default_rng(int(traffic["seed"]))
        lib = world.get_blueprint_library()
        start = self._spawns[int(traffic["seed"]) % len(self._spawns)]
        ego_bp = lib.find(EGO_BLUEPRINT)
        ego_bp.set_attribute("role_name", f"{ROLE}_hero")
        self._ego = world.try_spawn_actor(ego_bp, start)
        if self._ego is None:
            raise LookupError(f"CARLA server at {self.where}: the ego spawn point is occupied by a vehicle "
                              f"pvmbench did not spawn; clear the world or restart the server")
        physics = self._ego.get_physics_control()  # to turn the wheels as far as Highway-v0 does (ego.py)
        self._max_steer_deg, self._steer_curve = ego.max_steer_angle(physics), list(physics.steering_curve)
        camera, collision = lib.find("sensor.camera.rgb"), lib.find("sensor.other.collision")
        for bp, key, value in ((camera, "image_size_x", self.image_size), (camera, "image_size_y", self.image_size),
                               (camera, "fov", CAMERA["fov"]), (camera, "role_name", f"{ROLE}_camera"),
                               (collision, "role_name", f"{ROLE}_collision")):
            bp.set_attribute(key, str(value))
        mount = c.Transform(c.Location(x=CAMERA["x"], z=CAMERA["z"]), c.Rotation(pitch=CAMERA["pitch"]))
        camera = world.spawn_actor(camera, mount, attach_to=self._ego)
        collision = world.spawn_actor(collision, c.Transform(), attach_to=self._ego)
        self._images, self._collisions = queue.Queue(), ego.CollisionLog()
        camera.listen(self._images.put)
        collision.listen(self._collisions.listen)
        self._sensors = [camera, collision]
        # Traffic on the highway spawn points nearest the ego, blueprints and colours from the seed.
        near = sorted((t for t in self._spawns if t.location.distance(start.location) > 8.0),
                      key=lambda t: t.location.distance(start.location))[:int(traffic["vehicles"])]
        bps = sorted((b for b in lib.filter("vehicle.*") if b.get_attribute("number_of_wheels").as_int() == 4),
                     key=lambda b: b.id)
        batch = []
        for i, point in enumerate(near):
            bp = bps[int(rng.integers(len(bps)))]
            if bp.has_attribute("color"):
                colours = bp.get_attribute("color").recommended_values
                bp.set_attribute("color", colours[int(rng.integers(len(colours)))])
            bp.set_attribute("role_name", f"{ROLE}_traffic_{i}")
            batch.append(c.command.SpawnActor(bp, point).then(
                c.command.SetAutopilot(c.command.FutureActor, True, tm.get_port())))
        ids = [r.actor_id for r in self._client.apply_batch_sync(batch, False) if not r.error]
        self._traffic = list(world.get_actors(ids))
        self._tick()  # the actors exist from this frame on; velocities set before it would be dropped
        for car in [self._ego, *self._traffic]:
            f = car.get_transform().get_forward_vector()
            car.set_target_velocity(c.Vector3D(f.x * START_SPEED, f.y * START_SPEED, 0.0))
        # A touch while settling onto the road is not the agent's, even if its event arrives later.
        self._collisions.start(self._tick())

    def _clear(self, tick: bool) -> None:
        """Destroy every actor any pvmbench env spawned on this server (ours, or a crashed run's leftovers)."""
        for sensor in self._sensors:
            if sensor.is_alive:
                sensor.stop()
        ours = [a.id for a in self._world.get_actors() if a.attributes.get("role_name", "").startswith(ROLE)]
        self._client.apply_batch_sync([self.carla.command.DestroyActor(i) for i in ours], False)
        self._ego, self._sensors, self._traffic, self._scenario = None, [], [], None
        if tick:
            self._tick()

    def _tick(self) -> int:
        """Advance one rules.DT step and wait for that frame's image, so sensor data is in step with it."""
        frame = supervisor.tick(self._world, self.timeout, self.where)
        while self._sensors:
            try:
                image = self._images.get(timeout=self.timeout)
            except queue.Empty:
                raise ServerLost(f"CARLA server at {self.where} sent no camera frame within "
                                 f"{self.timeout:g} s; this episode is lost") from None
            if image.frame >= frame:
                bgra = np.frombuffer(image.raw_data, np.uint8).reshape(image.height, image.width, 4)
                self._image = np.ascontiguousarray(bgra[:, :, 2::-1])
                break
        return frame

    def _observation(self) -> dict[str, np.ndarray]:
        obs = {"image": self._image.copy()}
        if self._privileged:
            obs["privileged"] = self.privileged_state()
        return obs

    @contextlib.contextmanager
    def _guard(self):
        """Any carla RuntimeError inside means the server is gone: drop the connection, raise ServerLost,
        and mark this process as unable to drive CARLA again (see ServerLost)."""
        try:
            yield
        except RuntimeError as exc:
            self._client, self._ego, self._sensors, self._traffic, self._scenario = None, None, [], [], None
            lost = exc if isinstance(exc, ServerLost) else ServerLost(
                f"CARLA server at {self.where} stopped answering ({exc}); this episode is lost")
            supervisor.mark_lost(lost)
            if lost is exc:
                raise
            raise lost from None


def highway_spawn_points(carla, cmap, lanes: int) -> list:
    """Spawn points on Town04's highway: outside junctions, on a carriageway of at least `lanes` driving
    lanes one way (only the highway has four), in a fixed order so that a seed always picks the same one."""
    def lanes_one_way(wp) -> int:
        n = 1
        for side in ("get_left_lane", "get_right_lane"):
            w = getattr(wp, side)()
            while w is not None and w.lane_type == carla.LaneType.Driving and w.lane_id * wp.lane_id > 0 and n < 12:
                n, w = n + 1, getattr(w, side)()
        return n

    points = []
    for point in cmap.get_spawn_points():
        wp = cmap.get_waypoint(point.location, project_to_road=True, lane_type=carla.LaneType.Driving)
        if wp is not None and not wp.is_junction and lanes_one_way(wp) >= lanes:
            points.append(point)
    if not points:
        raise LookupError(f"map {cmap.name}: no spawn point on a road with {lanes}+ lanes one way; is this {TOWN}?")
    return sorted(points, key=lambda t: (round(t.location.x, 1), round(t.location.y, 1), round(t.rotation.yaw)))
