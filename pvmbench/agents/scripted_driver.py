"""The scripted highway driver: lane keeping, IDM car following and, where the state allows, lane changes.

It holds its lane (PD on lateral offset and heading) and sets throttle/brake from the IDM acceleration
towards the car ahead. On Highway-v1, whose privileged state adds the neighbouring lanes' gaps
(envs/driving/lane_gaps.py), it changes lane as MOBIL would: when the IDM acceleration it would have
behind the new lane's leader beats the current one by LANE_CHANGE_GAIN, and the new lane's follower
would not have to brake harder than SAFE_FOLLOWER_BRAKE. On v1 it sees cars ahead only within
lane_gaps.SIGHT_AHEAD (60 m), about as far as a 64 px camera shows them, so the behaviour it demonstrates is
one an image policy can imitate. It defines R_max of both Highway versions' score bounds. It is stateless: a lane change in progress is re-decided every step from the state.
"""

from __future__ import annotations

import numpy as np

from pvmbench.envs.driving.lane_gaps import NO_CAR_GAP
from pvmbench.envs.driving.traffic import LANE_WIDTH, MAX_ACCEL, MAX_BRAKE, Traffic

DESIRED_SPEED = 28.0  # m/s, about 100 km/h
STEER_GAIN_OFFSET, STEER_GAIN_HEADING = 0.35, 3.0
# The lateral error the PD sees is capped, so a lane change is a smooth ~1 s manoeuvre at speed rather
# than a swerve (an uncapped 3.5 m error asks for a 23 degree heading at 28 m/s).
MAX_OFFSET_ERROR = 1.0  # m
LANE_CHANGE_GAIN = 1.0  # m/s^2 of IDM acceleration to gain before changing lane
# m/s^2: the new follower must not need to brake harder. Firmer than MOBIL's 3: merging past a stalled car
# in slow traffic needs the follower to yield, as drivers do at a lane closure.
SAFE_FOLLOWER_BRAKE = -4.5
MIN_SIDE_GAP = 2.0  # m, bumper to bumper, ahead of and behind the ego car in the target lane
# A car that cannot change lane yet stops this far short of a standing car ahead: at full lock (0.15 rad)
# it needs about 11 m of road to move one lane across from a standstill.
STOP_BUFFER = 10.0  # m
STANDING = 1.0  # m/s: a car ahead this slow is treated as standing
CLEAR_AHEAD = 12.0  # m: nearer than this to the car ahead, a lane change does not speed up
# Waiting for a gap, it inches forward rather than standing: the study's rules end an episode after one
# second below 0.02 m/s (stuck), and a driver waiting to merge keeps rolling.
CREEP_SPEED, CREEP_ROOM = 0.3, 6.0  # m/s; m of gap it keeps while creeping


def _idm(speed, gap, lead_v):
    return Traffic.idm(speed, np.full_like(speed, DESIRED_SPEED), np.where(gap < NO_CAR_GAP - 1, gap, np.inf), lead_v)


def lane_choice(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lateral offset of the lane to drive in, relative to the current lane: 0, +LANE_WIDTH (left) or
    -LANE_WIDTH (right); the IDM acceleration in that lane), per row of a v1 privileged state."""
    speed, gap, lead_v = s[:, 2], s[:, 4], s[:, 5]
    here = _idm(speed, np.where(lead_v < STANDING, np.maximum(gap - STOP_BUFFER, 0.1), gap), lead_v)
    best_gain, offset, accel = np.full(len(s), LANE_CHANGE_GAIN), np.zeros(len(s)), here.copy()
    for first, side in ((6, 1.0), (10, -1.0)):
        gap_ahead, side_lead_v, gap_behind, follow_v = s[:, first:first + 4].T
        exists = gap_ahead >= 0
        there = _idm(speed, np.maximum(gap_ahead, 0.0), side_lead_v)
        follower = Traffic.idm(follow_v, np.full_like(follow_v, 30.0),
                               np.where(gap_behind < NO_CAR_GAP - 1, np.maximum(gap_behind, 0.1), np.inf), speed)
        safe = exists & (gap_ahead > MIN_SIDE_GAP) & (gap_behind > MIN_SIDE_GAP) & (follower > SAFE_FOLLOWER_BRAKE)
        gain = there - here
        better = safe & (gain > best_gain)
        best_gain, offset = np.where(better, gain, best_gain), np.where(better, side * LANE_WIDTH, offset)
        # Changing lane, it follows the new lane's leader, but does not speed up on the old one's bumper.
        accel = np.where(better, np.where(gap > CLEAR_AHEAD, there, np.minimum(there, here)), accel)
    return offset, accel


class ScriptedDriver:
    requires_privileged_state = True

    def __init__(self, checkpoint: dict, observation_space, action_space, num_envs: int):
        if "privileged" not in getattr(observation_space, "spaces", {}):
            raise ValueError("the scripted driver needs an env made with privileged=True")
        self.num_envs = num_envs

    def reset(self, done_mask: np.ndarray) -> None:
        pass  # stateless: each action depends only on the current state

    def act(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        s = np.asarray(obs["privileged"], dtype=np.float64)
        y, heading, speed, lane_y, gap, lead_v = s[:, :6].T
        if s.shape[1] > 6:  # v1: lanes can be changed; a car changing lane follows the new lane's leader
            offset, accel = lane_choice(s)
            error = np.clip(y - (lane_y + offset), -MAX_OFFSET_ERROR, MAX_OFFSET_ERROR)
            accel = np.where((speed < CREEP_SPEED) & (gap > CREEP_ROOM), np.maximum(accel, CREEP_SPEED), accel)
        else:
            error, accel = y - lane_y, _idm(speed, gap, lead_v)
        steer = -STEER_GAIN_OFFSET * error - STEER_GAIN_HEADING * heading
        throttle = np.where(accel >= 0, accel / MAX_ACCEL + 0.15 * (speed < DESIRED_SPEED), accel / MAX_BRAKE)
        return np.clip(np.column_stack([steer, throttle]), -1.0, 1.0).astype(np.float32)



