"""The table-top reward, as pure functions of distances and the grasp flag.

Per step, four terms in [0, 1] add up to a dense reward in [0, 4]:
  reach   1 - tanh(5 * |tcp - object|)
  grasp   1 while both fingers touch the object
  place   (1 - tanh(5 * |object - goal|)) while grasped
  at_goal 1 while the object is within GOAL_THRESHOLD of the goal (the success test)
On the episode's last step a success pays SUCCESS_BONUS instead of its dense reward, so over 50
steps R_max = 4 * 49 + 6 = 202, the reference study's value for ManiSkill3 PickSingleYCB.
"""

from __future__ import annotations

import math

GOAL_THRESHOLD = 0.025  # metres, as ManiSkill3's PickSingleYCB
MAX_DENSE = 4.0
SUCCESS_BONUS = 6.0
EPISODE_STEPS = 50
R_MAX = MAX_DENSE * (EPISODE_STEPS - 1) + SUCCESS_BONUS


def is_success(object_to_goal: float) -> bool:
    return object_to_goal <= GOAL_THRESHOLD


def dense_reward(tcp_to_object: float, object_to_goal: float, grasped: bool) -> float:
    reach = 1.0 - math.tanh(5.0 * tcp_to_object)
    grasp = 1.0 if grasped else 0.0
    place = (1.0 - math.tanh(5.0 * object_to_goal)) * grasp
    at_goal = 1.0 if is_success(object_to_goal) else 0.0
    return reach + grasp + place + at_goal


def step_reward(tcp_to_object: float, object_to_goal: float, grasped: bool, last_step: bool) -> float:
    if last_step and is_success(object_to_goal):
        return SUCCESS_BONUS
    return dense_reward(tcp_to_object, object_to_goal, grasped)
