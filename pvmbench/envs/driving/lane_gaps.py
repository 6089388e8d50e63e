"""Gaps to the cars around the ego car, per lane: the privileged state of Highway-v1's scripted driver.

A lane change needs to know the neighbouring lanes, not only the car ahead; Highway-v0's privileged
state had the lane ahead only, so its driver could not change lane. Gaps are bumper to bumper, capped at
NO_CAR_GAP (nothing in sight); a lane that does not exist reports NO_LANE for its gaps.
"""

from __future__ import annotations

import numpy as np

from pvmbench.envs.driving.traffic import CAR_LENGTH, LANE_WIDTH, Ego, Traffic, lane_centre

NO_CAR_GAP, NO_CAR_SPEED, NO_LANE = 200.0, 30.0, -1.0
# How far ahead the scripted driver sees: about where a car is still a few pixels wide in a 64 px frame
# (2 m at 60 m is 1.9 deg of the 60 deg view, 2 px). An expert that reacted to cars the camera cannot show would
# teach an imitating policy to swerve at nothing; the driver reads cars behind at any range (mirrors).
SIGHT_AHEAD = 60.0  # m
# [gap ahead, speed of the car ahead, gap behind, speed of the car behind] for the left and right lanes.
NEIGHBOUR_FIELDS = ("gap_ahead", "lead_v", "gap_behind", "follow_v")


def ego_lane(ego: Ego, lanes: int) -> int:
    return int(np.clip(np.round(ego.y / LANE_WIDTH + (lanes - 1) / 2), 0, lanes - 1))


def lane_gaps(ego: Ego, traffic: Traffic, lane: int) -> tuple[float, float, float, float]:
    """(gap ahead, lead speed, gap behind, follower speed) in ``lane``; a car changing lane counts in both."""
    if not 0 <= lane < traffic.lanes:
        return NO_LANE, NO_CAR_SPEED, NO_LANE, NO_CAR_SPEED
    inside = np.abs(traffic.y - lane_centre(lane, traffic.lanes)) < LANE_WIDTH * 0.75
    dx = traffic.x - ego.x
    ahead, behind = inside & (dx >= 0) & (dx - CAR_LENGTH <= SIGHT_AHEAD), inside & (dx < 0)
    gap_ahead = lead_v = None
    if ahead.any():
        j = np.flatnonzero(ahead)[np.argmin(dx[ahead])]
        gap_ahead, lead_v = max(dx[j] - CAR_LENGTH, 0.0), traffic.v[j]
    gap_behind = follow_v = None
    if behind.any():
        j = np.flatnonzero(behind)[np.argmax(dx[behind])]
        gap_behind, follow_v = max(-dx[j] - CAR_LENGTH, 0.0), traffic.v[j]
    return (min(gap_ahead, NO_CAR_GAP) if gap_ahead is not None else NO_CAR_GAP,
            lead_v if lead_v is not None else NO_CAR_SPEED,
            min(gap_behind, NO_CAR_GAP) if gap_behind is not None else NO_CAR_GAP,
            follow_v if follow_v is not None else NO_CAR_SPEED)


def neighbour_state(ego: Ego, traffic: Traffic) -> np.ndarray:
    """The 8 values NEIGHBOUR_FIELDS for the left lane (y + LANE_WIDTH), then the right one."""
    lane = ego_lane(ego, traffic.lanes)
    return np.array([*lane_gaps(ego, traffic, lane + 1), *lane_gaps(ego, traffic, lane - 1)], dtype=np.float32)
