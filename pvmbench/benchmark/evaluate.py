"""`pvmbench eval`: plan (plan.py), then execute: run the episodes, store one row each, consolidate."""

from __future__ import annotations

import datetime
import json
import math
import secrets
from collections.abc import Callable

import pandas as pd

import pvmbench
from pvmbench.benchmark.episodes import EpisodeSpec
from pvmbench.benchmark.manifest import now, run_manifest
from pvmbench.benchmark.plan import EvalConfig, EvalPlan, plan_eval
from pvmbench.benchmark.results import ResultsStore, write_json
from pvmbench.errors import UserError

__all__ = ["EvalConfig", "EvalPlan", "plan_eval", "run_eval", "execute"]


def run_eval(cfg: EvalConfig) -> tuple[pd.DataFrame, dict]:
    plan = plan_eval(cfg)
    rows = execute(plan)
    return rows, {"levels": plan.levels, "out": str(plan.out), "manifest": str(ResultsStore(plan.out).manifest_path),
                  "bounds": plan.contract.score_bounds}


def execute(plan: EvalPlan) -> pd.DataFrame:
    """Runs the plan's episodes not already in its results file (--resume), then consolidates the file."""
    cfg = plan.cfg
    store = ResultsStore(plan.out)
    store.out.parent.mkdir(parents=True, exist_ok=True)
    done = _prepare_store(store, cfg.resume, plan.identity)
    todo = [e for e in plan.episodes if e.key not in done["keys"]]
    manifest = run_manifest(plan, done["run_id"], len(done["keys"]))
    write_json(store.manifest_path, manifest)

    row_base = {"run_id": done["run_id"], "agent": plan.agent.name, "agent_label": plan.agent.label,
                "checkpoint_sha256": plan.agent.sha256, "env_id": plan.env_id, "suite": plan.contract.suite.name,
                "suite_hash": plan.contract.suite.content_hash, "pvmbench_version": pvmbench.__version__}
    from pvmbench.benchmark.progress import Progress

    with Progress(total=len(plan.episodes), done=len(plan.episodes) - len(todo), enabled=cfg.progress) as progress:
        def on_result(result) -> None:
            store.append(_row(row_base, result, plan.contract.score_bounds))
            progress.update(result.status)

        _executor(cfg.executor)(plan, todo, on_result)
    rows = store.consolidate(e.key for e in plan.episodes)
    manifest.update(status="complete", finished=now(), rows=len(rows))
    write_json(store.manifest_path, manifest)
    return rows


def run_local(plan: EvalPlan, todo: list[EpisodeSpec], on_result: Callable) -> None:
    if not todo:
        return
    from pvmbench.benchmark.runner import build_runner

    cfg = plan.cfg
    runner = build_runner(plan.agent_checkpoint, plan.contract, plan.env_kwargs, min(cfg.num_envs, len(todo)),
                          cfg.workers, cfg.step_timeout, cfg.retries)
    runner.run(todo, on_result)


def _executor(name: str) -> Callable:
    if name == "ray":
        from pvmbench.benchmark.ray_executor import run_with_ray

        return run_with_ray
    return run_local


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
        # Severity sweeps only: a factor level's position is in its label (factor=<name>@<s>), so that the
        # severity figures never mix one factor's ladder into the all-factor sweep.
        "severity": spec.shift.severity if spec.shift.severity is not None and spec.shift.factor is None else math.nan,
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
