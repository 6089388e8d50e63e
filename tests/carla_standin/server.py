"""The stand-in server's state (NOT a CARLA server): one per port, in the process that talks to it.

A straight road of `lanes` lanes one way along `road_yaw`, spawn points every 20 m on each lane,
vehicles that keep their speed (Traffic Manager cars) or follow VehicleControl (the ego car: a
kinematic bicycle whose wheels turn by steer * max_steer_angle * steering curve, as UE4's PhysX
vehicle does), a frame counter, world settings, and behaviours a test switches on.
"""

from __future__ import annotations

import itertools
import math
import pathlib
import time

from tests.carla_standin.geometry import Location, Rotation, Transform, Vector2D, Vector3D

LANE_WIDTH = 3.5
WHEELBASE = 2.7  # Highway-v0's, so that a test can compare the two backends' turning
DEFAULT_CURVE = ((0.0, 1.0), (20.0, 0.9), (60.0, 0.8), (120.0, 0.7))  # (km/h, factor), like the stock cars'
TIMEOUT_MESSAGE = "time-out of 10000ms while waiting for the simulator, make sure the simulator is ready and connected"

SERVERS: dict[int, StandInServer] = {}  # this process's stand-in servers, by port


class StandInServer:
    def __init__(self, port: int, lanes: int = 4, road_yaw: float = 0.0, max_steer_angle: float = 70.0,
                 steering_curve=DEFAULT_CURVE, no_rendering_mode: bool = False, refuses_settings: bool = False,
                 load_delay: float = 0.0, die_after_ticks: int | None = None, die_once_marker: str | None = None):
        self.port, self.lanes, self.road_yaw = port, lanes, road_yaw
        self.max_steer_angle, self.steering_curve = max_steer_angle, [Vector2D(*p) for p in steering_curve]
        self.refuses_settings, self.load_delay = refuses_settings, load_delay
        self.die_after_ticks, self.die_once_marker = die_after_ticks, die_once_marker
        self.settings = {"synchronous_mode": False, "fixed_delta_seconds": None, "no_rendering_mode": no_rendering_mode}
        self.map_name = "Carla/Maps/Town10HD_Opt"  # CARLA's start-up map; the env must load Town04
        self.epoch = 0  # bumped when the server dies and comes back: what was made before is dead
        self.frame, self.ticks, self.next_id = 1000, 0, 1
        self.actors: dict[int, object] = {}
        self.weather = None
        self.collisions: list[tuple[int, int, float]] = []  # (frame it is delivered at, event frame, impulse)
        self.controls: list = []  # every VehicleControl applied, for tests to read

    # -- life and death --------------------------------------------------------------------------
    def check(self, epoch: int) -> None:
        if epoch != self.epoch:
            raise RuntimeError(f"{TIMEOUT_MESSAGE} to 127.0.0.1:{self.port}")

    def die(self) -> None:
        """The server crashes and is started again (by the user or carla_cmd): a fresh, empty world."""
        self.epoch += 1
        self.actors.clear()
        self.map_name = "Carla/Maps/Town10HD_Opt"
        self.settings.update(synchronous_mode=False, fixed_delta_seconds=None)

    def _dies_now(self) -> bool:
        if self.die_after_ticks is None or self.ticks < self.die_after_ticks:
            return False
        if self.die_once_marker:  # die only the first time, across processes
            marker = pathlib.Path(self.die_once_marker)
            if marker.exists():
                return False
            marker.touch()
        self.die_after_ticks = None
        return True

    # -- the world ---------------------------------------------------------------------------------
    def load(self, town: str) -> None:
        time.sleep(self.load_delay)  # a cold map load
        self.map_name = f"Carla/Maps/{town}"
        self.actors.clear()
        self.settings.update(synchronous_mode=False, fixed_delta_seconds=None)  # load_world(reset_settings=True)

    def apply_settings(self, values: dict) -> None:
        if not self.refuses_settings:
            self.settings.update(values)

    def tick(self, epoch: int) -> int:
        self.check(epoch)
        self.ticks += 1
        if self._dies_now():
            self.die()
            raise RuntimeError(f"{TIMEOUT_MESSAGE} to 127.0.0.1:{self.port}")
        self.frame += 1
        dt = self.settings["fixed_delta_seconds"] or 0.05
        for actor in list(self.actors.values()):
            if hasattr(actor, "advance"):
                actor.advance(dt)
        due = [c for c in self.collisions if c[0] <= self.frame]
        self.collisions = [c for c in self.collisions if c[0] > self.frame]
        for actor in list(self.actors.values()):  # collision events first, then the camera frame
            if getattr(actor, "kind", None) == "collision":
                for _, frame, impulse in due:
                    actor.send(("collision", frame, impulse))
        for actor in list(self.actors.values()):
            if getattr(actor, "kind", None) == "camera":
                actor.send(("image", self.frame, None))
        return self.frame

    def schedule_collision(self, frame: int, impulse: float, delivered_at: int | None = None) -> None:
        """A collision of the ego car in `frame`, whose event reaches the client at tick `delivered_at`."""
        self.collisions.append((frame if delivered_at is None else delivered_at, frame, impulse))

    def ego(self):
        return next(a for a in self.actors.values() if a.attributes.get("role_name", "").endswith("_hero"))

    # -- the road ----------------------------------------------------------------------------------
    def road(self) -> tuple[Vector3D, Vector3D]:
        frame = Transform(rotation=Rotation(yaw=self.road_yaw))
        return frame.get_forward_vector(), frame.get_right_vector()

    def lane_point(self, s: float, lane: int) -> Transform:
        fwd, right = self.road()
        p = fwd * s + right * (lane * LANE_WIDTH)
        return Transform(Location(p.x, p.y, 0.3), Rotation(yaw=self.road_yaw))

    def spawn_points(self) -> list[Transform]:
        return [self.lane_point(20.0 * i, lane) for lane in range(self.lanes) for i in range(12)]

    def project(self, location) -> tuple[float, int]:
        """(distance along the road, nearest lane) of a location."""
        fwd, right = self.road()
        s = location.x * fwd.x + location.y * fwd.y
        lateral = location.x * right.x + location.y * right.y
        return s, min(max(round(lateral / LANE_WIDTH), 0), self.lanes - 1)

    def steer_factor(self, speed_kmh: float) -> float:
        points = [(p.x, p.y) for p in self.steering_curve]
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            if speed_kmh <= x1:
                return y0 + (y1 - y0) * (max(speed_kmh, x0) - x0) / (x1 - x0)
        return points[-1][1]

    def wheel_yaw_rate(self, steer: float, speed: float) -> float:
        """deg/s of yaw (CARLA's: positive turns right) of a bicycle at `speed` with this steer input."""
        wheel = math.radians(steer * self.max_steer_angle * self.steer_factor(3.6 * speed))
        return math.degrees(speed / WHEELBASE * math.tan(wheel))


def serve(port: int, **behaviour) -> StandInServer:
    """Start (replace) this process's stand-in server on `port`."""
    SERVERS[port] = StandInServer(port, **behaviour)
    return SERVERS[port]
