"""`pvmbench eval`: resolve the agent and env, plan episodes, run them, store rows, summarise."""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import os
import pathlib
import platform
import secrets
import subprocess
import sys
from typing import Any

import numpy as np
import pandas as pd

import pvmbench
from pvmbench.benchmark.episodes import EpisodeSpec, plan_episodes
from pvmbench.benchmark.results import ResultsStore, write_json
from pvmbench.errors import UserError

DEFAULT_ENV = "pvmbench/TableTopPick-v0"
EXECUTORS = ("local", "ray")


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


def expand_shifts(value: str, levels: tuple[str, ...]) -> list[str]:
    """'all' -> every level; 'severity=0,0.5,1' -> a sweep; 'id,hard' -> those levels."""
    value = value.strip()
    if value == "all":
        return [lvl for lvl in levels if lvl != "train"]
    if value.startswith("severity="):
        numbers = value[len("severity="):].split(",")
        return [f"severity={n.strip()}" for n in numbers if n.strip()]
    return [v.strip() for v in value.split(",") if v.strip()]


def _severity_of(level: str) -> float:
    if level.startswith("severity="):
        return float(level[len("severity="):].split(":")[0])
    return math.nan


def _versions() -> dict[str, str]:
    import gymnasium
    import mujoco

    versions = {"pvmbench": pvmbench.__version__, "mujoco": mujoco.__version__, "gymnasium": gymnasium.__version__,
                "numpy": np.__version__, "python": platform.python_version()}
    try:
        import torch

        versions["torch"] = torch.__version__
    except ImportError:
        versions["torch"] = "not installed"
    return versions


def _git_sha() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=pathlib.Path(pvmbench.__file__).parent)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def _probe_env(env_id: str, level: str, env_kwargs: dict) -> tuple[Any, Any, tuple[float, float], Any]:
    import gymnasium as gym

    import pvmbench.envs  # noqa: F401

    try:  # "module:Env-v0" ids import their module first, as in gym.make
        env = gym.make(env_id, shift=level, **env_kwargs)
    except (gym.error.NameNotFound, gym.error.NamespaceNotFound, gym.error.VersionNotFound, ModuleNotFoundError) as exc:
        known = ", ".join(sorted(k for k in gym.registry if k.startswith("pvmbench/")))
        raise UserError(f"--env {env_id!r}: unknown env ({exc}); accepted: {known}") from None
    try:
        unwrapped = env.unwrapped
        bounds = getattr(unwrapped, "score_bounds", None)
        if bounds is None:
            raise UserError(f"env {env_id} declares no score_bounds, so scores cannot be normalised")
        suite = getattr(getattr(unwrapped, "shift", None), "suite", None)
        return env.observation_space, env.action_space, tuple(float(b) for b in bounds), suite
    finally:
        env.close()


def run_eval(cfg: EvalConfig) -> tuple[pd.DataFrame, dict]:
    if cfg.executor not in EXECUTORS:
        raise UserError(f"--executor {cfg.executor!r}: accepted: {', '.join(EXECUTORS)}")
    if cfg.episodes < 1:
        raise UserError(f"--episodes {cfg.episodes}: accepted: an integer >= 1")
    if cfg.retries < 0:
        raise UserError(f"--retries {cfg.retries}: accepted: an integer >= 0")
    if not isinstance(cfg.torch_threads, int) or cfg.torch_threads < 1:
        raise UserError(f"--torch-threads {cfg.torch_threads!r}: accepted: an integer >= 1")
    if cfg.inference_dtype not in ("float32", "bfloat16"):
        raise UserError(f"--inference-dtype {cfg.inference_dtype!r}: accepted: float32, bfloat16")
    resolved = resolve_agent(cfg.agent, cfg.env)
    if cfg.inference_dtype != "float32":
        resolved = dataclasses.replace(resolved, label=f"{resolved.label}+bf16")
    env_id = cfg.env or resolved.checkpoint["env"]
    env_kwargs = dict(resolved.checkpoint.get("config", {}).get("env_kwargs", {}))
    env_kwargs.update(cfg.env_kwargs)
    if getattr(resolved.factory, "requires_privileged_state", False):
        env_kwargs["privileged"] = True
    from pvmbench.shifts.spec import LEVELS

    suite_levels = LEVELS
    probe_level = expand_shifts(cfg.shift, suite_levels)
    if not probe_level:
        raise UserError(f"--shift {cfg.shift!r}: accepted: id, easy, hard, all, severity=<0..1>[,<0..1>...]")
    obs_space, act_space, bounds, suite = _probe_env(env_id, probe_level[0], env_kwargs)
    if suite is not None:
        suite_levels = suite.levels
    levels = expand_shifts(cfg.shift, suite_levels)
    for level in levels:  # validate every level before any episode runs
        from pvmbench.shifts.spec import parse_shift

        parse_shift(level, suite_levels)
    plan = plan_episodes(levels, cfg.episodes, cfg.seed)
    out = cfg.out or pathlib.Path("results") / f"{resolved.label.replace('/', '-')}_{cfg.shift.replace('=', '-').replace(',', '_')}_seed{cfg.seed}.parquet"
    store = ResultsStore(pathlib.Path(out))
    identity = {"agent": resolved.name, "checkpoint_sha256": resolved.sha256, "env_id": env_id, "seed": cfg.seed,
                "suite": getattr(suite, "name", None), "suite_hash": getattr(suite, "content_hash", None),
                "env_kwargs": env_kwargs, "inference_dtype": cfg.inference_dtype,
                "torch_threads": cfg.torch_threads}
    store.out.parent.mkdir(parents=True, exist_ok=True)
    done = _prepare_store(store, cfg.resume, identity)
    run_id = done["run_id"]
    todo = [e for e in plan if e.key not in done["keys"]]
    manifest = {
        "run_id": run_id, "status": "running", "command": cfg.command or sys.argv, "identity": identity,
        "levels": levels, "episodes_per_level": cfg.episodes, "num_envs": cfg.num_envs, "workers": cfg.workers,
        "executor": cfg.executor, "score_bounds": list(bounds), "versions": _versions(), "git_sha": _git_sha(),
        "host": platform.node(), "started": _now(), "resumed_from_rows": len(done["keys"]),
        # Settings read from the environment that change what an env renders or loads.
        "environment": {k: os.environ.get(k) for k in ("MUJOCO_GL", "MENAGERIE_ROOT", "PVMBENCH_YCB_DIR")},
    }
    write_json(store.manifest_path, manifest)

    row_base = {"run_id": run_id, "agent": resolved.name, "agent_label": resolved.label,
                "checkpoint_sha256": resolved.sha256, "env_id": env_id, "suite": identity["suite"] or "",
                "suite_hash": identity["suite_hash"] or "", "pvmbench_version": pvmbench.__version__}
    from pvmbench.benchmark.progress import Progress

    with Progress(total=len(plan), done=len(plan) - len(todo), enabled=cfg.progress) as progress:
        def on_result(result) -> None:
            store.append(_row(row_base, result, bounds))
            progress.update(result.status)

        checkpoint = {**resolved.checkpoint, "device": cfg.device, "inference_dtype": cfg.inference_dtype,
                      "torch_threads": cfg.torch_threads}
        if cfg.executor == "local":
            from pvmbench.benchmark.runner import BatchedRunner
            from pvmbench.benchmark.threads import pin_torch_threads

            agent = resolved.factory(checkpoint, obs_space, act_space, min(cfg.num_envs, max(1, len(todo))))
            pin_torch_threads(cfg.torch_threads)
            BatchedRunner(env_id, env_kwargs, agent, act_space.shape, min(cfg.num_envs, max(1, len(todo))),
                          cfg.workers, cfg.step_timeout, cfg.retries).run(todo, on_result)
        else:
            from pvmbench.benchmark.ray_executor import run_with_ray

            run_with_ray(cfg, env_id, env_kwargs, checkpoint, todo, on_result)
    rows = store.consolidate(e.key for e in plan)
    manifest.update(status="complete", finished=_now(), rows=len(rows))
    write_json(store.manifest_path, manifest)
    return rows, {"levels": levels, "out": str(store.out), "manifest": str(store.manifest_path), "bounds": bounds}


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def _prepare_store(store: ResultsStore, resume: bool, identity: dict) -> dict:
    has_rows = store.out.exists() or store.parts.exists()
    if has_rows and not resume:
        raise UserError(f"{store.out} already has results; pass --resume to continue that run, or choose another --out")
    if not resume or not has_rows:
        return {"run_id": f"{datetime.datetime.now(datetime.UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}", "keys": set()}
    try:
        manifest = json.loads(store.manifest_path.read_text())
    except (OSError, ValueError) as exc:
        raise UserError(f"{store.manifest_path}: cannot resume without a readable run manifest ({exc})") from exc
    for key, value in identity.items():
        if manifest.get("identity", {}).get(key) != value:
            raise UserError(f"--resume: {key} differs from the run in {store.manifest_path} "
                            f"({manifest.get('identity', {}).get(key)!r} there, {value!r} now)")
    rows = store.existing()
    return {"run_id": manifest["run_id"], "keys": {(lvl, int(i)) for lvl, i in zip(rows["level"], rows["episode_index"], strict=True)}}


def _row(base: dict, result, bounds: tuple[float, float]) -> dict:
    from pvmbench.benchmark.statistics import normalised_score

    spec: EpisodeSpec = result.spec
    ret = float(result.episode_return)
    return {
        **base,
        "level": spec.level,
        "severity": _severity_of(spec.level),
        "episode_index": spec.index,
        "episode_seed": spec.seed,
        "scenario": json.dumps(result.scenario, sort_keys=True) if result.scenario is not None else "",
        "return": ret,
        "normalised_score": float(normalised_score(ret, *bounds)) if math.isfinite(ret) else math.nan,
        "success": bool(result.success),
        "length": int(result.length),
        "status": result.status,
        "error": result.error or "",
        "attempts": int(result.attempts),
        "wall_s": float(result.wall_s),
    }

