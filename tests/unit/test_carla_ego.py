"""pvmbench/envs/carla/ego.py: the CARLA ego car's steer, speed and collisions in Highway-v0's terms."""

from __future__ import annotations

import math
import types

import pytest

from pvmbench.envs.carla import ego
from pvmbench.envs.driving.traffic import MAX_STEER


def vec(x=0.0, y=0.0, z=0.0):
    return types.SimpleNamespace(x=x, y=y, z=z, length=lambda: math.sqrt(x * x + y * y + z * z))


def test_max_steer_angle_is_the_front_wheels_with_a_fallback():
    wheels = [types.SimpleNamespace(max_steer_angle=a) for a in (69.0, 69.0, 0.0, 0.0)]
    assert ego.max_steer_angle(types.SimpleNamespace(wheels=wheels)) == 69.0
    assert ego.max_steer_angle(types.SimpleNamespace(wheels=[])) == ego.FALLBACK_MAX_STEER_DEG == 70.0
    assert ego.max_steer_angle(types.SimpleNamespace(wheels=wheels[2:])) == 70.0  # no wheel steers: not believed


def test_steering_factor_interpolates_in_km_per_h_and_is_flat_beyond_the_ends():
    curve = [vec(0.0, 1.0), vec(20.0, 0.9), vec(60.0, 0.8)]
    assert ego.steering_factor(curve, 0.0) == 1.0
    assert ego.steering_factor(curve, 40.0) == pytest.approx(0.85)
    assert ego.steering_factor(curve, 500.0) == 0.8
    assert ego.steering_factor([], 50.0) == 1.0


def test_steer_command_turns_the_wheels_by_highways_angle_and_flips_the_sign():
    # steer 1 turns Highway-v0's wheels MAX_STEER rad; CARLA's by max_steer_angle * factor degrees per unit.
    command = ego.steer_command(1.0, 70.0, 0.8)
    assert command * ego.STEER_SIGN * 70.0 * 0.8 == pytest.approx(math.degrees(MAX_STEER))
    assert ego.steer_command(-0.5, 70.0) == pytest.approx(-ego.steer_command(0.5, 70.0))
    assert ego.steer_command(1.0, 2.0) == ego.STEER_SIGN * 1.0  # a car that cannot turn that far: clipped
    assert ego.steer_command(1.0, 70.0, 0.0) == ego.steer_command(1.0, 70.0)  # a zero factor is not believed


def test_forward_speed_is_along_the_road_in_the_ground_plane():
    assert ego.forward_speed(vec(3.0, 4.0, 9.0), vec(2.0, 0.0, 0.0)) == pytest.approx(3.0)
    assert ego.forward_speed(vec(0.0, 10.0), vec(1.0, 0.0)) == 0.0
    assert ego.forward_speed(vec(1.0, 1.0), vec(0.0, 0.0)) == 0.0


def test_collision_log_buckets_by_frame():
    log = ego.CollisionLog()
    log.start(10)  # frames up to 10 were before the episode
    for frame, impulse in ((10, 1.0), (11, 2.0), (12, 4.0), (13, 8.0)):
        log.listen(types.SimpleNamespace(frame=frame, normal_impulse=vec(impulse)))
    assert log.take(12) == (6.0, True)  # 10 dropped, 11 (late) and 12 counted, 13 waits for its tick
    assert log.take(12) == (0.0, False)
    assert log.take(13) == (8.0, True)
