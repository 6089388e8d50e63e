"""The Agent protocol: the two methods a third party implements."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Agent(Protocol):
    """Batched: every array has a leading dimension of num_envs.

    A registered agent is a callable (a class works) that builds one:
        make(checkpoint: dict, observation_space, action_space, num_envs: int) -> Agent
    An agent that sets `requires_privileged_state = True` receives obs["privileged"] (the
    simulator state, e.g. for a scripted oracle); others never see it.
    """

    def reset(self, done_mask: np.ndarray) -> None:
        """Slots where done_mask is True start a new episode at the next act()."""

    def act(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """One action per batch slot, shape (num_envs, *action_space.shape)."""
