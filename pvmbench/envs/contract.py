"""The pvmbench env contract: what the harness, the trainers and the reports rely on beyond gymnasium.Env.

An env class declares, as class attributes (so that they can be read from its registration without
building an env, which for the table-top means compiling a MuJoCo model):

- ``score_bounds = (R_random, R_max)``: the normalised score is (R - R_random) / (R_max - R_random);
- ``default_suite``: the shift suite it draws scenarios from unless made with ``suite=``;
- ``load_suite(name) -> Suite``: that suite, validated for this env (a classmethod);
- ``make_spaces(**make_kwargs) -> (observation_space, action_space)``: the spaces an env made with
  those kwargs has (a classmethod; the env builds its own spaces with it);
- ``expert_agent``: the registered agent that solves the task from privileged state (demonstrations);
- ``train_level``: the level demonstrations and training draw from;
- ``blind_grid``: constant actions the `blind` baseline chooses among (optional; `train --algo blind`).

An instance has ``shift`` (with ``.suite``, ``.spec`` and ``.sample(seed)``), puts the scenario in
``info["scenario"]`` at reset (replaying it with ``reset(options={"scenario": ...})`` gives the same
first frame), and ``info["is_success"]`` at reset and at every step. Observations are a dict:
``image`` (uint8 HxWx3); ``state`` where an env has one (a float32 vector of what the robot itself
knows); ``privileged`` only when made with ``privileged=True``. `check_pvm_env` checks all of it.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
from typing import Any, ClassVar, Protocol

import gymnasium as gym
import numpy as np

from pvmbench.errors import UserError
from pvmbench.shifts.suite import Suite

CONTRACT_ATTRIBUTES = ("score_bounds", "default_suite", "load_suite", "make_spaces", "expert_agent", "train_level")


class PvmEnv(Protocol):
    """For type checkers and readers; `missing_attributes` and `check_pvm_env` check it at run time."""

    score_bounds: ClassVar[tuple[float, float]]
    default_suite: ClassVar[str]
    expert_agent: ClassVar[str]
    train_level: ClassVar[str]

    @classmethod
    def load_suite(cls, name: str) -> Suite: ...

    @classmethod
    def make_spaces(cls, **make_kwargs: Any) -> tuple[gym.Space, gym.Space]: ...


@dataclasses.dataclass(frozen=True)
class EnvContract:
    """An env id's contract, resolved from its registration and suite file; no env is built."""

    env_id: str
    env_class: type
    suite: Suite
    score_bounds: tuple[float, float]
    expert_agent: str
    train_level: str
    observation_space: gym.Space
    action_space: gym.Space


def env_class(env_id: str) -> type:
    """The class a registered id makes ("module:Env-v0" imports its module first, as gym.make does)."""
    from gymnasium.envs.registration import load_env_creator

    import pvmbench.envs  # noqa: F401  (registers the pvmbench/ namespace)

    module, _, name = env_id.rpartition(":")
    try:
        if module:
            importlib.import_module(module)
        spec = gym.spec(name)
    except (gym.error.Error, ModuleNotFoundError) as exc:
        known = ", ".join(sorted(k for k in gym.registry if k.startswith("pvmbench/")))
        raise UserError(f"--env {env_id!r}: unknown env ({str(exc).splitlines()[0]}); accepted: {known}") from None
    creator = load_env_creator(spec.entry_point) if isinstance(spec.entry_point, str) else spec.entry_point
    if not isinstance(creator, type):
        raise UserError(f"--env {env_id!r}: its entry point is not a class, so it declares no pvmbench contract "
                        f"({', '.join(CONTRACT_ATTRIBUTES)}; see pvmbench.envs.contract)")
    return creator


def missing_attributes(cls: type) -> list[str]:
    return [name for name in CONTRACT_ATTRIBUTES if not hasattr(cls, name)]


def env_contract(env_id: str, make_kwargs: dict[str, Any] | None = None) -> EnvContract:
    make_kwargs = dict(make_kwargs or {})
    cls = env_class(env_id)
    missing = missing_attributes(cls)
    if missing:
        raise UserError(f"env {env_id} does not declare {', '.join(missing)} (the pvmbench env contract: "
                        "see pvmbench.envs.contract)")
    suite = cls.load_suite(make_kwargs.get("suite", cls.default_suite))
    observation_space, action_space = cls.make_spaces(**make_kwargs)
    bounds = tuple(float(b) for b in cls.score_bounds)
    return EnvContract(env_id, cls, suite, bounds, cls.expert_agent, cls.train_level, observation_space, action_space)


def check_pvm_env(env: gym.Env, seeds: tuple[int, ...] = (0, 1)) -> None:
    """Gymnasium's env checker, then pvmbench's contract; the first broken rule raises AssertionError."""
    from gymnasium.utils.env_checker import check_env

    from pvmbench.shifts.spec import LEVELS

    unwrapped = env.unwrapped
    cls = type(unwrapped)
    missing = missing_attributes(cls)
    assert not missing, f"{cls.__name__} does not declare {', '.join(missing)}"
    check_env(unwrapped, skip_render_check=unwrapped.render_mode is None)

    low, high = cls.score_bounds
    assert math.isfinite(low) and math.isfinite(high) and low < high, f"score_bounds {cls.score_bounds}: need R_random < R_max"
    suite = unwrapped.shift.suite
    assert isinstance(suite, Suite), f"env.shift.suite is {type(suite).__name__}, not a Suite"
    assert set(LEVELS) <= set(suite.levels), f"suite {suite.name} lacks levels {set(LEVELS) - set(suite.levels)}"
    assert cls.train_level in suite.levels, f"train_level {cls.train_level!r} is not a level of suite {suite.name}"

    make_kwargs = dict(env.spec.kwargs) if env.spec is not None else {}
    declared_obs, declared_act = cls.make_spaces(**make_kwargs)
    assert declared_obs == unwrapped.observation_space, "make_spaces() disagrees with the env's observation_space"
    assert declared_act == unwrapped.action_space, "make_spaces() disagrees with the env's action_space"
    keys = set(unwrapped.observation_space.spaces)
    assert "image" in keys, "observations need an 'image'"
    assert ("privileged" in keys) == bool(make_kwargs.get("privileged", False)), \
        "'privileged' must be in observations exactly when the env is made with privileged=True"
    if "state" in keys:
        state = unwrapped.observation_space["state"]
        assert state.dtype == np.float32 and len(state.shape) == 1, "'state' must be a float32 vector"

    for seed in seeds:
        obs, info = env.reset(seed=seed)
        scenario = info.get("scenario")
        assert isinstance(scenario, dict), "reset's info needs the 'scenario' dict"
        assert json.loads(json.dumps(scenario)) == scenario, "the scenario must survive a JSON round trip"
        assert isinstance(info.get("is_success"), bool), "reset's info needs 'is_success' (a bool)"
        again, info_again = env.reset(seed=seed)
        assert info_again["scenario"] == scenario, f"seed {seed} drew two different scenarios"
        assert np.array_equal(again["image"], obs["image"]), f"seed {seed} gave two different first frames"
        replayed, _ = env.reset(seed=seed + 10_000, options={"scenario": scenario})
        assert np.array_equal(replayed["image"], obs["image"]), "replaying the scenario gave another first frame"
        _, _, _, _, step_info = env.step(env.action_space.sample())
        assert isinstance(step_info.get("is_success"), bool), "step's info needs 'is_success' (a bool)"
