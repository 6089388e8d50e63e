"""pvmbench's Gymnasium environments, registered under the `pvmbench/` namespace."""

from __future__ import annotations

import gymnasium as gym

from pvmbench.envs import gl_backend  # noqa: F401  (must run before anything imports mujoco)

TABLETOP_ID = "pvmbench/TableTopPick-v0"
HIGHWAY_ID = "pvmbench/Highway-v0"
CARLA_HIGHWAY_ID = "pvmbench/CarlaHighway-v0"


def register_envs() -> None:
    """Called by gymnasium through the `gymnasium.envs` entry point, and on `import pvmbench.envs`."""
    if TABLETOP_ID not in gym.registry:
        gym.register(
            id=TABLETOP_ID,
            entry_point="pvmbench.envs.tabletop.env:TableTopPickEnv",
            max_episode_steps=50,
            disable_env_checker=True,
        )
    if HIGHWAY_ID not in gym.registry:
        gym.register(id=HIGHWAY_ID, entry_point="pvmbench.envs.driving.env:HighwayEnv", disable_env_checker=True)
    if CARLA_HIGHWAY_ID not in gym.registry:  # the module imports carla only when an env is made
        gym.register(id=CARLA_HIGHWAY_ID, entry_point="pvmbench.envs.carla.env:CarlaHighwayEnv",
                     disable_env_checker=True)


register_envs()
