"""pvmbench's Gymnasium environments, registered under the `pvmbench/` namespace on `import pvmbench`.

Every env keeps the contract in `pvmbench.envs.contract` (checked by `check_pvm_env`).
"""

from __future__ import annotations

import gymnasium as gym

from pvmbench.envs import gl_backend  # noqa: F401  (must run before anything imports mujoco)

TABLETOP_ID = "pvmbench/TableTopPick-v0"
TABLETOP_V1_ID = "pvmbench/TableTopPick-v1"  # + `state`, wrist yaw, tabletop-v2 suite (envs/tabletop/env_v1.py)
HIGHWAY_ID = "pvmbench/Highway-v0"
HIGHWAY_V1_ID = "pvmbench/Highway-v1"  # physical contact, stalled cars, driving-v2 suite (envs/driving/env_v1.py)
CARLA_HIGHWAY_ID = "pvmbench/CarlaHighway-v0"
DEFAULT_ENV = TABLETOP_V1_ID  # what `pvmbench train`, `shifts list` and a bare agent name run on


def register_envs() -> None:
    """Registers every pvmbench env id once (entry points are strings: nothing heavy is imported here)."""
    if TABLETOP_ID not in gym.registry:
        gym.register(id=TABLETOP_ID, entry_point="pvmbench.envs.tabletop.env:TableTopPickEnv", max_episode_steps=50)
    if TABLETOP_V1_ID not in gym.registry:
        gym.register(id=TABLETOP_V1_ID, entry_point="pvmbench.envs.tabletop.env_v1:TableTopPickV1Env",
                     max_episode_steps=50)
    if HIGHWAY_ID not in gym.registry:
        gym.register(id=HIGHWAY_ID, entry_point="pvmbench.envs.driving.env:HighwayEnv")
    if HIGHWAY_V1_ID not in gym.registry:
        gym.register(id=HIGHWAY_V1_ID, entry_point="pvmbench.envs.driving.env_v1:HighwayEnvV1")
    if CARLA_HIGHWAY_ID not in gym.registry:  # the module imports carla only when an env is made
        gym.register(id=CARLA_HIGHWAY_ID, entry_point="pvmbench.envs.carla.env:CarlaHighwayEnv")


register_envs()
