"""Agents: the protocol third parties implement, and pvmbench's reference agents."""

from pvmbench.agents.protocol import Agent

__all__ = ["Agent"]
