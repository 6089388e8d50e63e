"""Agent registry: built-ins registered with a decorator, third parties through entry points.

A third-party package declares
    [project.entry-points."pvmbench.agents"]
    my-agent = "my_pkg.agent:MyAgent"
and `pvmbench agents` lists it, with no change to pvmbench. Entry points are imported only
when that agent is asked for, so one broken plugin cannot break the others.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from typing import Any

from pvmbench.errors import UserError

ENTRY_POINT_GROUP = "pvmbench.agents"
AgentFactory = Callable[..., Any]  # make(checkpoint, observation_space, action_space, num_envs) -> Agent

_REGISTRY: dict[str, AgentFactory] = {}


def register_agent(name: str) -> Callable[[AgentFactory], AgentFactory]:
    """Decorator: `@register_agent("my-agent")` on a class or function that builds an Agent."""
    if not isinstance(name, str) or not name:
        raise UserError(f"register_agent: name must be a non-empty string, got {name!r}")

    def decorate(factory: AgentFactory) -> AgentFactory:
        existing = _REGISTRY.get(name)
        if existing is not None and existing is not factory:
            raise UserError(f"agent name {name!r} is already registered by {_where(existing)}")
        _REGISTRY[name] = factory
        return factory

    return decorate


def _where(obj: Any) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"


def _entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}


def _builtins() -> None:
    import pvmbench.agents.builtin  # noqa: F401  (registers random, scripted, scripted-driver, blind and bc)


def available_agents() -> dict[str, str]:
    """name -> where it comes from ('pvmbench' or the distribution that declares the entry point)."""
    _builtins()
    found = {name: "pvmbench" if f.__module__.startswith("pvmbench.") else f.__module__ for name, f in _REGISTRY.items()}
    for name, ep in _entry_points().items():
        dist = ep.dist.name if ep.dist is not None else ep.value
        found.setdefault(name, f"{dist} (entry point {ep.value})")
    return dict(sorted(found.items()))


def get_agent_factory(name: str) -> AgentFactory:
    _builtins()
    if name in _REGISTRY:
        return _REGISTRY[name]
    ep = _entry_points().get(name)
    if ep is None:
        raise UserError(f"unknown agent {name!r}; accepted: {', '.join(available_agents())}")
    try:
        factory = ep.load()
    except Exception as exc:  # a plugin's import error is the plugin's problem: report it in one line
        raise UserError(f"agent {name!r}: entry point {ep.value} failed to import: {exc}") from exc
    if not callable(factory):
        raise UserError(f"agent {name!r}: entry point {ep.value} is not callable")
    _REGISTRY[name] = factory
    return factory
