"""The ego car's CARLA numbers in Highway-v0's terms: steer command, forward speed, collisions per frame.

Pure functions of what the carla client returns, so that they are tested without a server.
"""

from __future__ import annotations

import collections
import itertools
import math

from pvmbench.envs.driving.traffic import MAX_STEER

# Highway-v0's positive steer turns left (heading counter-clockwise); CARLA's VehicleControl.steer turns
# right. Negated so that one policy means the same thing on both backends.
STEER_SIGN = -1.0
# CARLA's WheelPhysicsControl.max_steer_angle default (degrees), which the stock cars keep: used when the
# ego car's physics control cannot be read or names no steering wheel.
FALLBACK_MAX_STEER_DEG = 70.0


def max_steer_angle(physics_control) -> float:
    """The largest wheel steer angle (degrees) of a carla.VehiclePhysicsControl; the rear wheels' is 0."""
    angles = [float(w.max_steer_angle) for w in getattr(physics_control, "wheels", None) or []]
    return max(angles) if angles and max(angles) > 0 else FALLBACK_MAX_STEER_DEG


def steering_factor(curve, speed_kmh: float) -> float:
    """The steering curve at this speed: UE4's PhysX vehicle multiplies the steer input by it (its x is
    forward speed in km/h, its y a factor in [0, 1]), linearly between points, flat beyond the ends."""
    points = sorted((float(p.x), min(max(float(p.y), 0.0), 1.0)) for p in curve or [])
    if not points:
        return 1.0
    if speed_kmh <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        if speed_kmh <= x1:
            return y0 + (y1 - y0) * (speed_kmh - x0) / (x1 - x0) if x1 > x0 else y1
    return points[-1][1]


def steer_command(steer: float, max_steer_deg: float, factor: float = 1.0) -> float:
    """VehicleControl.steer that turns the front wheels by Highway-v0's angle, MAX_STEER * steer (rad).

    CARLA turns them by steer * max_steer_angle * steering factor; its stock cars allow about 70 degrees,
    so the raw action would turn several times harder than on Highway-v0 (0.15 rad = 8.6 degrees)."""
    wheel = max_steer_deg * (factor if factor > 0 else 1.0)
    return STEER_SIGN * min(max(steer * math.degrees(MAX_STEER) / wheel, -1.0), 1.0)


def forward_speed(velocity, road_forward) -> float:
    """Speed along the road (the lane's direction at the car), in the ground plane, as Highway-v0 counts
    progress (speed * cos(heading to the road)) and RL-ViGen did: driving in circles earns nothing."""
    norm = math.hypot(road_forward.x, road_forward.y)
    return (velocity.x * road_forward.x + velocity.y * road_forward.y) / norm if norm > 0 else 0.0


class CollisionLog:
    """Collision events bucketed by the frame they happened in, not by when they arrived.

    The collision sensor's events come on their own stream, apart from the camera's, so an event can
    arrive after the frame it belongs to was stepped. Each tick takes the events of its frame and of
    earlier frames of this episode that came late; events of frames before the episode (settling onto
    the road, a previous episode) are dropped, and events of later frames wait for their tick."""

    def __init__(self):
        self._events: collections.deque = collections.deque()  # appended by the sensor's thread
        self.since = 0  # the first frame that counts

    def listen(self, event) -> None:
        self._events.append((int(event.frame), float(event.normal_impulse.length())))

    def start(self, frame: int) -> None:
        """Count only events of frames after `frame` (the last frame before the episode's first step)."""
        self.since = frame + 1

    def take(self, frame: int) -> tuple[float, bool]:
        """(summed normal impulse in N*s, whether any event) of frames since start() up to `frame`."""
        intensity, hit, keep = 0.0, False, []
        while self._events:
            event_frame, impulse = self._events.popleft()
            if event_frame > frame:
                keep.append((event_frame, impulse))
            elif event_frame >= self.since:
                intensity, hit = intensity + impulse, True
        self._events.extendleft(reversed(keep))
        return intensity, hit
