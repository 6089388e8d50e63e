"""Physical contact for Highway-v1, as CARLA resolves it: cars do not pass through or shove each other.

Highway-v0's `traffic.collisions` teleported a rear-ended car ahead of the ego car, so contact broke every
tick and the study's 20-consecutive-tick rule never fired: full throttle won blind. Here contact is
resolved by moving only the ego car back out of the overlap (the struck car keeps its course; a car is
far heavier than the impulse a bumper passes on in one 50 ms tick), and the ego car loses its closing
speed. An ego car that keeps pushing is back in contact on the next tick, so the 20-tick rule ends the
episode, as in CARLA. Side contact deflects: the ego car is pushed out sideways and its heading damped.
The guard rail holds as in v0.
"""

from __future__ import annotations

import numpy as np

from pvmbench.envs.driving.traffic import CAR_LENGTH, CAR_MASS, CAR_WIDTH, Ego, Traffic, _overlap, guard_rail

# Contact counts within this distance: a car held against another at rest is touching, not separated
# by floating-point dust.
CONTACT_MARGIN = 0.05  # m


def collisions_physical(ego: Ego, traffic: Traffic, rail_y: float) -> tuple[float, bool]:
    """Collision intensity this tick (N*s, mass times closing speed) and whether the ego car touches a car
    or a guard rail; resolves the contact on the ego car only."""
    corners = ego.corners()
    intensity = guard_rail(ego, corners, rail_y)
    touching = intensity > 0
    dx, dy = traffic.x - ego.x, traffic.y - ego.y
    reach = CAR_LENGTH + 2 * CONTACT_MARGIN
    for i in np.flatnonzero((np.abs(dx) < reach) & (np.abs(dy) < CAR_WIDTH + 2 * CONTACT_MARGIN)):
        if not _overlap(_inflated(ego.corners(), CONTACT_MARGIN), _box(traffic.x[i], traffic.y[i])):
            continue
        touching = True
        forward = ego.speed * np.cos(ego.heading)
        longitudinal = abs(dx[i]) - CAR_LENGTH  # < 0: overlapping along the road
        lateral = abs(dy[i]) - CAR_WIDTH
        if longitudinal <= lateral:  # side contact: more overlap along the road than across it
            push = np.sign(ego.y - traffic.y[i]) or 1.0
            lateral_speed = ego.speed * np.sin(ego.heading)
            closing = abs(lateral_speed) if np.sign(lateral_speed) != push else 0.0
            intensity += CAR_MASS * max(closing, 0.5)
            # Out past the margin: a glancing touch ends unless the ego car keeps steering into the car.
            ego.y = float(traffic.y[i] + push * (CAR_WIDTH + 2.5 * CONTACT_MARGIN))
            ego.heading *= 0.5
        else:
            ahead = dx[i] > 0
            closing = max(forward - traffic.v[i], 0.0) if ahead else max(traffic.v[i] - forward, 0.0)
            intensity += CAR_MASS * max(closing, 0.5)
            # The ego car stays touching (inside the margin) and takes the struck car's speed.
            ego.x = float(traffic.x[i] + (-1 if ahead else 1) * (CAR_LENGTH + 0.5 * CONTACT_MARGIN))
            ego.speed = float(min(ego.speed, traffic.v[i]) if ahead else max(ego.speed, traffic.v[i]))
    return intensity, touching


def _box(x: float, y: float) -> np.ndarray:
    return np.array([[x + sx * CAR_LENGTH / 2, y + sy * CAR_WIDTH / 2] for sx, sy in ((1, 1), (1, -1), (-1, -1), (-1, 1))])


def _inflated(corners: np.ndarray, margin: float) -> np.ndarray:
    centre = corners.mean(axis=0)
    offsets = corners - centre
    scale = 1 + margin / np.maximum(np.linalg.norm(offsets, axis=1, keepdims=True), 1e-9)
    return centre + offsets * scale
