"""carla.Vector3D / Location / Rotation / Transform / Vector2D stand-ins: CARLA's frame (x forward,
y right, z up; yaw in degrees, clockwise seen from above), as much of it as the env uses."""

from __future__ import annotations

import math


class Vector3D:
    def __init__(self, x: float = 0.0, y: float = 0.0, z: float = 0.0):
        self.x, self.y, self.z = float(x), float(y), float(z)

    def __add__(self, o):
        return type(self)(self.x + o.x, self.y + o.y, self.z + o.z)

    def __sub__(self, o):
        return type(self)(self.x - o.x, self.y - o.y, self.z - o.z)

    def __mul__(self, k: float):
        return type(self)(self.x * k, self.y * k, self.z * k)

    def length(self) -> float:
        return math.sqrt(self.x**2 + self.y**2 + self.z**2)

    def distance(self, o) -> float:
        return (self - o).length()


class Location(Vector3D):
    pass


class Vector2D:
    def __init__(self, x: float = 0.0, y: float = 0.0):
        self.x, self.y = float(x), float(y)


class Rotation:
    def __init__(self, pitch: float = 0.0, yaw: float = 0.0, roll: float = 0.0):
        self.pitch, self.yaw, self.roll = float(pitch), float(yaw), float(roll)


class Transform:
    def __init__(self, location: Location | None = None, rotation: Rotation | None = None):
        self.location = location if location is not None else Location()
        self.rotation = rotation if rotation is not None else Rotation()

    def get_forward_vector(self) -> Vector3D:
        yaw, pitch = math.radians(self.rotation.yaw), math.radians(self.rotation.pitch)
        return Vector3D(math.cos(yaw) * math.cos(pitch), math.sin(yaw) * math.cos(pitch), math.sin(pitch))

    def get_right_vector(self) -> Vector3D:
        yaw = math.radians(self.rotation.yaw)
        return Vector3D(-math.sin(yaw), math.cos(yaw), 0.0)

    def copy(self) -> Transform:
        loc, rot = self.location, self.rotation
        return Transform(Location(loc.x, loc.y, loc.z), Rotation(rot.pitch, rot.yaw, rot.roll))
