"""Agents: the public API third parties write against, and pvmbench's reference agents.

    from pvmbench.agents import Agent, register_agent, save_checkpoint, load_checkpoint
"""

from pvmbench.agents.checkpoint import load_checkpoint, save_checkpoint
from pvmbench.agents.protocol import Agent
from pvmbench.agents.registry import available_agents, get_agent_factory, register_agent

__all__ = ["Agent", "register_agent", "save_checkpoint", "load_checkpoint", "available_agents", "get_agent_factory"]
