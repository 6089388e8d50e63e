"""pvmbench: does a visuomotor agent still work when the world looks different?

Importing it registers the envs (`gym.make("pvmbench/TableTopPick-v0")`), so `gym.register_envs(pvmbench)`
works as with ale_py and gymnasium_robotics.
"""

__version__ = "0.1.0"

from pvmbench import envs as _envs  # noqa: E402,F401  (registers the pvmbench/ namespace)
