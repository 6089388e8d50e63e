"""Task phases of demonstration frames, so that the held-out loss can say where a clone goes wrong.

A single mean loss hides the failure that matters: on the table-top almost every frame is reaching or
carrying, and a policy that never learns when to close the gripper loses little on average. Phases come
from what a demonstration stores, the clean action label and the env's own per-step info:

  table-top (expert `scripted`): reach  gripper commanded open, object not grasped
                                 grasp  gripper commanded closed, not grasped yet (the closing steps)
                                 carry  grasped, object not at the goal
                                 hold   grasped and at the goal (info["is_success"])
  driving (`scripted-driver`):   lane-keep    |steer| <= LANE_CHANGE_STEER
                                 lane-change  |steer| above it (the expert steers that hard only to
                                              change lane or swerve; lane keeping stays well below)
  any other expert:              all
"""

from __future__ import annotations

import numpy as np

TABLETOP_PHASES = ("reach", "grasp", "carry", "hold")
DRIVING_PHASES = ("lane-keep", "lane-change")
LANE_CHANGE_STEER = 0.1


def phase_names(expert: str) -> tuple[str, ...]:
    return {"scripted": TABLETOP_PHASES, "scripted-driver": DRIVING_PHASES}.get(expert, ("all",))


def frame_phases(expert: str, labels: np.ndarray, grasped: np.ndarray, at_goal: np.ndarray) -> np.ndarray:
    """int8 phase index (into phase_names(expert)) per frame, from the clean labels (N, A) and the per-frame
    info flags (N,) the frame was observed with."""
    labels = np.asarray(labels)
    if expert == "scripted":
        grasped, at_goal = np.asarray(grasped, bool), np.asarray(at_goal, bool)
        closing = labels[:, -1] > 0
        phase = np.where(grasped, np.where(at_goal, 3, 2), np.where(closing, 1, 0))
    elif expert == "scripted-driver":
        phase = (np.abs(labels[:, 0]) > LANE_CHANGE_STEER).astype(int)
    else:
        phase = np.zeros(len(labels), dtype=int)
    return phase.astype(np.int8)
