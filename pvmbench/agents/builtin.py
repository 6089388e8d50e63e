"""pvmbench's built-in agents: `random`, the table-top `scripted` oracle, the `scripted-driver`, `blind`
(the best constant action), `bc`
(behaviour cloning; its checkpoint names the encoder) and `dreamerv3` (a world-model agent, agents/dreamerv3/)."""

from __future__ import annotations

import numpy as np

from pvmbench.agents.registry import register_agent
from pvmbench.agents.scripted import ScriptedTableTopAgent


@register_agent("random")
class RandomAgent:
    """Uniform random actions. Each batch slot draws from a generator seeded with its episode's
    seed, so an episode's actions do not depend on how episodes are batched or sharded."""

    def __init__(self, checkpoint: dict, observation_space, action_space, num_envs: int):
        self.space = action_space
        self.num_envs = num_envs
        self._rngs = [np.random.default_rng(i) for i in range(num_envs)]

    def set_episode_seeds(self, done_mask: np.ndarray, seeds: np.ndarray) -> None:
        for i in np.flatnonzero(done_mask):
            self._rngs[i] = np.random.default_rng([int(seeds[i]), 0x5EED])

    def reset(self, done_mask: np.ndarray) -> None:
        pass

    def act(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        low, high = self.space.low, self.space.high
        return np.stack([rng.uniform(low, high).astype(self.space.dtype) for rng in self._rngs])


register_agent("scripted")(ScriptedTableTopAgent)


@register_agent("scripted-driver")
def _scripted_driver(checkpoint, observation_space, action_space, num_envs):
    from pvmbench.agents.scripted_driver import ScriptedDriver  # keeps the table-top path light

    return ScriptedDriver(checkpoint, observation_space, action_space, num_envs)


_scripted_driver.requires_privileged_state = True


@register_agent("blind")
def _blind(checkpoint, observation_space, action_space, num_envs):
    from pvmbench.agents.blind.agent import BlindAgent

    return BlindAgent(checkpoint, observation_space, action_space, num_envs)


@register_agent("bc")
def _bc(checkpoint, observation_space, action_space, num_envs):
    from pvmbench.agents.bc.agent import BCAgent  # torch and encoders load only when asked for

    return BCAgent(checkpoint, observation_space, action_space, num_envs)


@register_agent("dreamerv3")
def _dreamerv3(checkpoint, observation_space, action_space, num_envs):
    from pvmbench.agents.dreamerv3.agent import DreamerV3Agent  # torch and encoders load only when asked for

    return DreamerV3Agent(checkpoint, observation_space, action_space, num_envs)
