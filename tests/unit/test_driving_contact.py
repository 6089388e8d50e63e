"""Highway-v1's contact: a rear-ended car is not shoved ahead, so pushing keeps the ego car in contact."""

from __future__ import annotations

import numpy as np
import pytest

from pvmbench.envs.driving.contact import CONTACT_MARGIN, collisions_physical
from pvmbench.envs.driving.rules import COLLISION_TICKS, TerminationMonitor
from pvmbench.envs.driving.traffic import CAR_LENGTH, CAR_WIDTH, Ego, Traffic, step_ego


def _one_car(x: float, y: float, v: float, stalled: bool = False) -> Traffic:
    traffic = Traffic(1, 4, seed=0, ego=Ego(x=-500.0))
    traffic.x[:], traffic.y[:], traffic.v[:] = x, y, v
    traffic.stalled[:] = stalled
    return traffic


def test_a_rear_end_stops_the_ego_car_and_leaves_the_struck_car_in_place():
    ego, traffic = Ego(x=0.0, y=0.0, speed=20.0), _one_car(x=CAR_LENGTH - 0.3, y=0.0, v=0.0, stalled=True)
    intensity, touching = collisions_physical(ego, traffic, rail_y=10.0)
    assert touching and np.isclose(intensity, 1500.0 * 20.0)  # mass x closing speed, as CARLA reports
    assert traffic.x[0] == CAR_LENGTH - 0.3 and traffic.v[0] == 0.0  # not shoved
    assert ego.speed == 0.0 and traffic.x[0] - ego.x < CAR_LENGTH + CONTACT_MARGIN  # held, still touching


def test_pushing_against_a_standing_car_ends_the_episode_by_the_20_tick_rule():
    ego, traffic = Ego(x=0.0, y=0.0, speed=20.0), _one_car(x=15.0, y=0.0, v=0.0, stalled=True)
    monitor, reason, ticks = TerminationMonitor(ticks=100), None, 0
    while reason is None and ticks < 200:
        step_ego(ego, 0.0, 1.0, 0.05)  # full throttle, never steering: the blind policy
        _, touching = collisions_physical(ego, traffic, rail_y=10.0)
        reason, ticks = monitor.update(ego.speed, touching), ticks + 1
    assert reason == "collision" and monitor.collision_run == COLLISION_TICKS


def test_side_contact_deflects_the_ego_car():
    ego = Ego(x=0.0, y=0.0, heading=0.05, speed=20.0)
    traffic = _one_car(x=0.5, y=CAR_WIDTH - 0.2, v=20.0)
    _, touching = collisions_physical(ego, traffic, rail_y=10.0)
    assert touching and ego.speed == 20.0 and traffic.y[0] == CAR_WIDTH - 0.2  # no one shoved along the road
    assert ego.y < -CONTACT_MARGIN and ego.heading == 0.025  # pushed out beyond the margin, heading damped
    _, touching = collisions_physical(ego, traffic, rail_y=10.0)
    assert not touching  # a glancing touch ends unless the driver keeps steering into it


def test_the_guard_rail_holds_the_car_on_the_road_and_counts_as_contact():
    """Both physics versions share the rail: a car past it is put back inside, turned towards the road's
    axis and slowed, and the contact has at least one car mass times 1 m/s of intensity."""
    from pvmbench.envs.driving.traffic import CAR_MASS, CAR_WIDTH

    ego = Ego(x=0.0, y=9.5, heading=0.2, speed=20.0)
    intensity, touching = collisions_physical(ego, _one_car(x=500.0, y=0.0, v=0.0), rail_y=10.0)
    assert touching and intensity == pytest.approx(CAR_MASS * 20.0 * np.sin(0.2))
    assert ego.y == pytest.approx(10.0 - CAR_WIDTH / 2) and ego.heading == pytest.approx(0.1)
    assert ego.speed == pytest.approx(18.0)
    inside = Ego(x=0.0, y=0.0, heading=0.0, speed=20.0)
    assert collisions_physical(inside, _one_car(x=500.0, y=0.0, v=0.0), rail_y=10.0) == (0.0, False)
