"""`--executor ray`: episode shards as Ray tasks, on an existing cluster or a local one.

Each task builds its agent and runner with `runner.build_runner`, as the local executor does, so it
honours the same flags (--num-envs, --retries, --step-timeout, --torch-threads) and its rows are
identical to a local run. Its envs live in one host process of its own, so that a hung env is killed
after --step-timeout here too; --workers is the number of tasks that run at once.
"""

from __future__ import annotations

from collections.abc import Callable

from pvmbench.benchmark.episodes import EpisodeSpec
from pvmbench.errors import UserError

HOSTS_PER_TASK = 1


def _run_shard(plan, shard: list[EpisodeSpec]) -> list:
    from pvmbench.benchmark.runner import build_runner

    cfg = plan.cfg
    runner = build_runner(plan.agent_checkpoint, plan.contract, plan.env_kwargs, min(cfg.num_envs, len(shard)),
                          HOSTS_PER_TASK, cfg.step_timeout, cfg.retries)
    results: list = []
    runner.run(shard, results.append)
    return results


def run_with_ray(plan, todo: list[EpisodeSpec], on_result: Callable) -> None:
    try:
        import ray
    except ImportError:
        raise UserError("--executor ray needs Ray: pip install 'pvmbench[ray]'") from None
    if not todo:
        return
    cfg = plan.cfg
    started_here = not ray.is_initialized()
    if started_here:
        if cfg.ray_address:
            ray.init(address=cfg.ray_address, log_to_driver=False)
        else:
            ray.init(num_cpus=max(1, cfg.workers), include_dashboard=False, log_to_driver=False)
    try:
        tasks = max(1, cfg.workers)
        # Several shards per task slot keep progress and load balance fine-grained.
        n_shards = min(len(todo), tasks * 4)
        shards = [todo[i::n_shards] for i in range(n_shards)]
        remote = ray.remote(num_cpus=1, max_retries=2)(_run_shard)
        plan_ref = ray.put(plan)
        pending = [remote.remote(plan_ref, shard) for shard in shards]
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            for result in ray.get(ready[0]):
                on_result(result)
    finally:
        if started_here:
            ray.shutdown()
