"""`--executor ray`: episode shards as Ray tasks, on an existing cluster or a local one.

Each task builds its own agent and env hosts (in-process: a Ray worker is already a process)
and runs the same batched loop as local execution, so rows are identical to a local run.
"""

from __future__ import annotations

from collections.abc import Callable

from pvmbench.benchmark.episodes import EpisodeSpec
from pvmbench.errors import UserError


def _run_shard(env_id: str, env_kwargs: dict, checkpoint: dict, shard: list[EpisodeSpec], num_envs: int,
               retries: int) -> list:
    import gymnasium as gym

    import pvmbench.envs  # noqa: F401
    from pvmbench.agents.registry import get_agent_factory
    from pvmbench.benchmark.runner import BatchedRunner

    probe = gym.make(env_id, shift=shard[0].level, **env_kwargs)
    obs_space, act_space = probe.observation_space, probe.action_space
    probe.close()
    k = min(num_envs, len(shard))
    agent = get_agent_factory(checkpoint["agent"])(checkpoint, obs_space, act_space, k)
    from pvmbench.benchmark.threads import pin_torch_threads

    pin_torch_threads(int(checkpoint.get("torch_threads", 1)))
    results: list = []
    BatchedRunner(env_id, env_kwargs, agent, act_space.shape, k, workers=0, retries=retries).run(shard, results.append)
    return results


def run_with_ray(cfg, env_id: str, env_kwargs: dict, checkpoint: dict, todo: list[EpisodeSpec],
                 on_result: Callable) -> None:
    try:
        import ray
    except ImportError:
        raise UserError("--executor ray needs Ray: pip install 'pvmbench[ray]'") from None
    if not todo:
        return
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
        pending = [remote.remote(env_id, env_kwargs, checkpoint, shard, cfg.num_envs, cfg.retries) for shard in shards]
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            for result in ray.get(ready[0]):
                on_result(result)
    finally:
        if started_here:
            ray.shutdown()
