"""`tests.carla_standin.hosted:CarlaStandIn-v0`: pvmbench/CarlaHighway-v0 driving the stand-in for a
CARLA server (NOT CARLA), for harness tests whose env hosts are spawned processes.

Importing this module changes nothing (the harness's parent imports it to read the class); making the
env puts the stand-in where `import carla` finds it, in that host process only, and starts that
process's stand-in server on the env's port with the `standin` behaviours (server.StandInServer).
"""

from __future__ import annotations

import sys

import gymnasium as gym

from pvmbench.envs.carla.env import CarlaHighwayEnv
from tests.carla_standin import api, server


class StandInCarlaEnv(CarlaHighwayEnv):
    reset_timeout = 30.0  # still longer than the tests' --step-timeout, and a hung test ends sooner

    def __init__(self, standin: dict | None = None, **kwargs):
        sys.modules["carla"] = api
        if kwargs["port"] not in server.SERVERS:
            server.serve(kwargs["port"], **(standin or {}))
        super().__init__(**kwargs)


if "CarlaStandIn-v0" not in gym.registry:
    gym.register("CarlaStandIn-v0", entry_point=StandInCarlaEnv)
