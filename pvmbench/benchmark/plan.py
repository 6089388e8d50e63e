"""Planning an eval run: check the flags, resolve the agent and the env contract, parse --shift once,
and list the episodes. Nothing runs and no env is built; `evaluate.run_eval` executes a plan."""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Any

from pvmbench.benchmark.episodes import EpisodeSpec, plan_episodes
from pvmbench.envs import DEFAULT_ENV
from pvmbench.envs.contract import EnvContract, env_contract
from pvmbench.errors import UserError
from pvmbench.shifts.spec import ShiftSpec

EXECUTORS = ("local", "ray")
INFERENCE_DTYPES = ("float32", "bfloat16")


@dataclasses.dataclass
class EvalConfig:
    agent: str
    shift: str
    env: str | None = None
    episodes: int = 20
    seed: int = 0
    num_envs: int = 2
    workers: int = 2
    executor: str = "local"
    out: pathlib.Path | None = None
    resume: bool = False
    device: str = "cpu"
    # "bfloat16": agents that run a vision encoder do so under bf16 autocast. It changes scores (slightly),
    # so it is part of the run's identity and of the agent label ("cnn/scratch+bf16").
    inference_dtype: str = "float32"
    torch_threads: int = 1  # the agent's intra-op threads: part of the run's identity (see threads.py)
    retries: int = 1
    step_timeout: float = 60.0
    ray_address: str | None = None
    env_kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    progress: bool = True
    command: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class ResolvedAgent:
    name: str
    label: str
    checkpoint: dict
    sha256: str
    factory: Any


@dataclasses.dataclass
class EvalPlan:
    cfg: EvalConfig
    agent: ResolvedAgent
    contract: EnvContract
    env_kwargs: dict[str, Any]
    shifts: list[ShiftSpec]
    episodes: list[EpisodeSpec]
    out: pathlib.Path
    identity: dict[str, Any]  # what a --resume must match

    @property
    def env_id(self) -> str:
        return self.contract.env_id

    @property
    def levels(self) -> list[str]:
        return [s.label for s in self.shifts]

    @property
    def agent_checkpoint(self) -> dict:
        """The checkpoint dict the agent factory gets, with the run's device, dtype and threads."""
        cfg = self.cfg
        return {**self.agent.checkpoint, "device": cfg.device, "inference_dtype": cfg.inference_dtype,
                "torch_threads": cfg.torch_threads}


def resolve_agent(agent: str, env: str | None) -> ResolvedAgent:
    from pvmbench.agents.checkpoint import checkpoint_sha256, load_checkpoint
    from pvmbench.agents.registry import get_agent_factory

    path = pathlib.Path(agent)
    if path.suffix in (".pt", ".pth") or path.is_file():
        checkpoint = load_checkpoint(path)
        sha = checkpoint_sha256(path)
    else:
        checkpoint = {"format": "pvmbench", "version": 1, "agent": agent, "env": env or DEFAULT_ENV,
                      "config": {}, "state_dict": {}, "meta": {}}
        sha = ""
    factory = get_agent_factory(checkpoint["agent"])
    label = str(checkpoint.get("meta", {}).get("label") or checkpoint["agent"])
    return ResolvedAgent(checkpoint["agent"], label, checkpoint, sha, factory)


def check_flags(cfg: EvalConfig) -> None:
    """Every flag that needs no agent or env, each with its own one-line error."""
    if cfg.executor not in EXECUTORS:
        raise UserError(f"--executor {cfg.executor!r}: accepted: {', '.join(EXECUTORS)}")
    for flag, value, low in (("--episodes", cfg.episodes, 1), ("--retries", cfg.retries, 0),
                             ("--torch-threads", cfg.torch_threads, 1), ("--num-envs", cfg.num_envs, 1),
                             ("--workers", cfg.workers, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise UserError(f"{flag} {value!r}: accepted: an integer >= {low}")
    if cfg.inference_dtype not in INFERENCE_DTYPES:
        raise UserError(f"--inference-dtype {cfg.inference_dtype!r}: accepted: {', '.join(INFERENCE_DTYPES)}")
    if not cfg.step_timeout > 0:
        raise UserError(f"--step-timeout {cfg.step_timeout!r}: accepted: seconds > 0")


def default_out(label: str, shift: str, seed: int) -> pathlib.Path:
    return pathlib.Path("results") / f"{label.replace('/', '-')}_{shift.replace('=', '-').replace(',', '_')}_seed{seed}.parquet"


def plan_eval(cfg: EvalConfig) -> EvalPlan:
    check_flags(cfg)
    agent = resolve_agent(cfg.agent, cfg.env)
    if cfg.inference_dtype != "float32":
        agent = dataclasses.replace(agent, label=f"{agent.label}+bf16")
    env_id = cfg.env or agent.checkpoint["env"]
    env_kwargs = dict(agent.checkpoint.get("config", {}).get("env_kwargs", {}))
    env_kwargs.update(cfg.env_kwargs)
    if getattr(agent.factory, "requires_privileged_state", False):
        env_kwargs["privileged"] = True
    contract = env_contract(env_id, env_kwargs)
    shifts = contract.suite.parse_many(cfg.shift)  # the one parse of --shift; specs travel from here on
    identity = {"agent": agent.name, "checkpoint_sha256": agent.sha256, "env_id": env_id, "seed": cfg.seed,
                "suite": contract.suite.name, "suite_hash": contract.suite.content_hash, "env_kwargs": env_kwargs,
                "inference_dtype": cfg.inference_dtype, "torch_threads": cfg.torch_threads}
    return EvalPlan(cfg=cfg, agent=agent, contract=contract, env_kwargs=env_kwargs, shifts=shifts,
                    episodes=plan_episodes(shifts, cfg.episodes, cfg.seed),
                    out=pathlib.Path(cfg.out or default_out(agent.label, cfg.shift, cfg.seed)), identity=identity)
