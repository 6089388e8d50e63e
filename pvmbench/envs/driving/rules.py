"""Reward and termination of the driving task, as pure functions shared by both backends.

After the reference study's CARLA task (RL-ViGen wrapper): the simulator ticks at DT = 0.05 s,
each agent action is repeated for ACTION_REPEAT ticks, and per agent step

    reward = forward distance (sum over ticks of forward speed * DT) + throttle
             - COLLISION_COEF * collision intensity - |steer|

where throttle is the positive part of the throttle/brake action. An episode ends after
COLLISION_TICKS consecutive ticks in collision, or when the car is stuck (speed below
STUCK_SPEED for STUCK_TICKS consecutive ticks, after a grace period), and is truncated at
MAX_AGENT_STEPS agent steps.
"""

from __future__ import annotations

import dataclasses

DT = 0.05
ACTION_REPEAT = 2
MAX_AGENT_STEPS = 500
COLLISION_COEF = 1e-4
COLLISION_TICKS = 20
STUCK_SPEED = 0.02  # m/s
STUCK_TICKS = 20  # one second: braking to a standstill ends the episode, a momentary stop does not
GRACE_TICKS = 40  # the first two seconds never count as stuck


def step_reward(tick_forward_speeds: list[float], action: tuple[float, float], collision_intensity: float) -> float:
    steer, throttle_brake = float(action[0]), float(action[1])
    distance = sum(v * DT for v in tick_forward_speeds)
    return distance + max(throttle_brake, 0.0) - COLLISION_COEF * collision_intensity - abs(steer)


@dataclasses.dataclass
class TerminationMonitor:
    """Counts ticks; `update` says whether the episode is over and why."""

    ticks: int = 0
    collision_run: int = 0
    stuck_run: int = 0

    def update(self, speed: float, in_collision: bool) -> str | None:
        self.ticks += 1
        self.collision_run = self.collision_run + 1 if in_collision else 0
        self.stuck_run = self.stuck_run + 1 if (abs(speed) < STUCK_SPEED and self.ticks > GRACE_TICKS) else 0
        if self.collision_run >= COLLISION_TICKS:
            return "collision"
        if self.stuck_run >= STUCK_TICKS:
            return "stuck"
        return None
