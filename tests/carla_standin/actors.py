"""Stand-in actors and blueprints (NOT CARLA's): vehicles, the camera and collision sensors, and the
blueprint library they are made from, living in a stand-in server (server.py)."""

from __future__ import annotations

import fnmatch
import types

from tests.carla_standin import server as servers
from tests.carla_standin.geometry import Location, Transform, Vector3D


class VehicleControl:
    def __init__(self, throttle: float = 0.0, steer: float = 0.0, brake: float = 0.0, hand_brake: bool = False,
                 reverse: bool = False, manual_gear_shift: bool = False, gear: int = 0):
        self.throttle, self.steer, self.brake = float(throttle), float(steer), float(brake)


class WheelPhysicsControl:
    def __init__(self, max_steer_angle: float = 70.0):
        self.max_steer_angle = max_steer_angle


class VehiclePhysicsControl:
    def __init__(self, wheels, steering_curve):
        self.wheels, self.steering_curve = wheels, steering_curve


class _Attribute(str):
    def __new__(cls, value, recommended=()):
        obj = super().__new__(cls, value)
        obj.recommended_values = list(recommended)
        return obj

    def as_int(self) -> int:
        return int(self)


class ActorBlueprint:
    def __init__(self, id: str, **attributes):
        self.id, self._attributes = id, {k: _Attribute(*v) if isinstance(v, tuple) else _Attribute(v)
                                         for k, v in {"role_name": "", **attributes}.items()}

    def has_attribute(self, key: str) -> bool:
        return key in self._attributes

    def get_attribute(self, key: str) -> _Attribute:
        return self._attributes[key]

    def set_attribute(self, key: str, value: str) -> None:
        if key not in self._attributes:
            raise IndexError(f"no attribute {key!r} in blueprint {self.id}")
        self._attributes[key] = _Attribute(value, self._attributes[key].recommended_values)


COLOURS = ("255,0,0", "0,0,255", "20,20,20")
BLUEPRINTS = {
    "vehicle.tesla.model3": {"number_of_wheels": "4", "color": ("255,0,0", COLOURS)},
    "vehicle.audi.a2": {"number_of_wheels": "4", "color": ("0,0,255", COLOURS)},
    "vehicle.lincoln.mkz_2020": {"number_of_wheels": "4"},
    "vehicle.yamaha.yzf": {"number_of_wheels": "2", "color": ("20,20,20", COLOURS)},
    "sensor.camera.rgb": {"image_size_x": "800", "image_size_y": "600", "fov": "90"},
    "sensor.other.collision": {},
}


class BlueprintLibrary:
    def find(self, id: str) -> ActorBlueprint:
        return ActorBlueprint(id, **BLUEPRINTS[id])

    def filter(self, pattern: str) -> list[ActorBlueprint]:
        return [self.find(i) for i in BLUEPRINTS if fnmatch.fnmatch(i, pattern)]


# -- actors -----------------------------------------------------------------------------------------
class Actor:
    def __init__(self, srv: servers.StandInServer, bp: ActorBlueprint, transform: Transform, parent=None):
        self._srv, self._epoch = srv, srv.epoch
        self.id, srv.next_id = srv.next_id, srv.next_id + 1
        self.type_id, self.parent = bp.id, parent
        self.attributes = {k: str(v) for k, v in bp._attributes.items()}
        self.transform = transform.copy()
        srv.actors[self.id] = self

    @property
    def is_alive(self) -> bool:
        return self._epoch == self._srv.epoch and self.id in self._srv.actors

    def _live(self) -> None:
        self._srv.check(self._epoch)
        if self.id not in self._srv.actors:
            raise RuntimeError(f"trying to operate on a destroyed actor; an actor's function was called, but the "
                               f"actor is already destroyed (id {self.id})")

    def get_transform(self) -> Transform:
        self._live()
        return self.transform.copy()

    def get_location(self) -> Location:
        return self.get_transform().location


class Vehicle(Actor):
    def __init__(self, *args):
        super().__init__(*args)
        self.speed, self.control, self.autopilot_port = 0.0, VehicleControl(), None

    def get_velocity(self) -> Vector3D:
        self._live()
        return self.transform.get_forward_vector() * self.speed

    def set_target_velocity(self, velocity: Vector3D) -> None:
        self._live()
        self.speed = velocity.length()

    def apply_control(self, control: VehicleControl) -> None:
        self._live()
        self.control = control
        self._srv.controls.append(control)

    def get_physics_control(self) -> VehiclePhysicsControl:
        self._live()
        wheels = [WheelPhysicsControl(self._srv.max_steer_angle) for _ in range(2)] + \
                 [WheelPhysicsControl(0.0) for _ in range(2)]
        return VehiclePhysicsControl(wheels, list(self._srv.steering_curve))

    def advance(self, dt: float) -> None:
        """Traffic keeps its speed; the ego car: throttle/brake, then yaw, then position (Highway-v0's order)."""
        if self.autopilot_port is None:
            c = self.control
            self.speed = max(0.0, self.speed + (3.5 * c.throttle - 8.0 * c.brake) * dt)
            self.transform.rotation.yaw += self._srv.wheel_yaw_rate(c.steer, self.speed) * dt
        step = self.transform.get_forward_vector() * (self.speed * dt)
        self.transform.location = self.transform.location + step


class Sensor(Actor):
    def __init__(self, *args):
        super().__init__(*args)
        self.kind = "camera" if self.type_id.startswith("sensor.camera") else "collision"
        self._callback = None

    def listen(self, callback) -> None:
        self._callback = callback

    def stop(self) -> None:
        self._callback = None

    def send(self, data: tuple) -> None:
        if self._callback is None:
            return
        what, frame, impulse = data
        if what == "image":
            w, h = int(self.attributes["image_size_x"]), int(self.attributes["image_size_y"])
            self._callback(types.SimpleNamespace(frame=frame, width=w, height=h, raw_data=bytes(w * h * 4)))
        else:
            self._callback(types.SimpleNamespace(frame=frame, normal_impulse=Vector3D(impulse, 0.0, 0.0)))
