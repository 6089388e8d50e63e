"""Harness speed: worker scaling, and overhead per step against a bare loop.

Run: pytest tests/perf/test_harness_speed.py --benchmark-enable -s
"""

from __future__ import annotations

import time

import gymnasium as gym
import numpy as np
import pytest

import pvmbench.envs  # noqa: F401
from pvmbench.agents.scripted import ScriptedTableTopAgent
from pvmbench.benchmark.episodes import plan_episodes
from pvmbench.benchmark.evaluate import EvalConfig, run_eval
from pvmbench.benchmark.runner import BatchedRunner

ENV = "pvmbench/TableTopPick-v0"
KWARGS = {"image_size": 84, "privileged": True}
RESULTS: dict[str, float] = {}


@pytest.mark.parametrize("workers", [1, 2])
def test_episodes_per_second_by_workers(benchmark, workers):
    """Steady state: env hosts already started and warm, as in any run longer than a few episodes."""
    k, n = 4, 16
    plan = plan_episodes(["id"], n, 1)
    probe = gym.make(ENV, **KWARGS)
    agent = ScriptedTableTopAgent({}, probe.observation_space, probe.action_space, k)
    runner = BatchedRunner(ENV, KWARGS, agent, (4,), num_envs=k, workers=workers)
    benchmark.pedantic(lambda: runner.run(plan, lambda result: None, keep_hosts=True), rounds=3, iterations=1,
                       warmup_rounds=1)
    runner.close()
    eps = n / benchmark.stats.stats.median
    RESULTS[f"workers{workers}"] = eps
    benchmark.extra_info["episodes_per_s"] = eps
    print(f"\n[workers={workers}, num_envs={k}, 84 px, scripted, warm hosts] {eps:.2f} episodes/s")
    if "workers1" in RESULTS and "workers2" in RESULTS:
        print(f"[scaling 1 -> 2 workers] {RESULTS['workers2'] / RESULTS['workers1']:.2f}x")


def test_end_to_end_eval_with_start_up(benchmark, tmp_path):
    """The whole `pvmbench eval` path, host start-up and Parquet writing included."""
    counter = iter(range(100))

    def run():
        out = tmp_path / f"e2e-{next(counter)}.parquet"
        run_eval(EvalConfig(agent="scripted", shift="id", episodes=24, num_envs=2, workers=2, out=out,
                            env_kwargs={"image_size": 84}, progress=False))

    benchmark.pedantic(run, rounds=2, iterations=1)
    eps = 24 / benchmark.stats.stats.median
    benchmark.extra_info["episodes_per_s"] = eps
    print(f"\n[end to end, 24 episodes, workers=2, num_envs=2, 84 px] {eps:.2f} episodes/s incl. start-up")


def _bare_loop(envs, agent, seeds) -> int:
    """The same envs and agent, stepped in one process with no harness: the baseline."""
    k = len(envs)
    steps = 0
    for start in range(0, len(seeds), k):
        batch_seeds = seeds[start : start + k]
        obs = [env.reset(seed=int(s))[0] for env, s in zip(envs, batch_seeds, strict=False)]
        agent.reset(np.ones(k, dtype=bool))
        done = False
        while not done:
            stacked = {key: np.stack([o[key] for o in obs]) for key in obs[0]}
            actions = agent.act(stacked)
            results = [env.step(a) for env, a in zip(envs, actions, strict=False)]
            obs = [r[0] for r in results]
            steps += len(results)
            done = all(r[3] or r[2] for r in results)
    return steps


@pytest.mark.parametrize("workers", [0, 1])
def test_harness_overhead_per_step_vs_bare_loop(benchmark, workers):
    k, n = 2, 8
    plan = plan_episodes(["id"], n, 0)
    seeds = [e.seed for e in plan]
    envs = [gym.make(ENV, shift="id", **KWARGS) for _ in range(k)]
    agent = ScriptedTableTopAgent({}, envs[0].observation_space, envs[0].action_space, k)
    _bare_loop(envs, agent, seeds[:k])  # warm renderers
    start = time.perf_counter()
    bare_steps = _bare_loop(envs, agent, seeds)
    bare = (time.perf_counter() - start) / bare_steps

    runner = BatchedRunner(ENV, KWARGS, agent, (4,), num_envs=k, workers=workers)

    def harness():
        runner.run(plan, lambda result: None, keep_hosts=True)  # warm envs, as the bare loop has

    benchmark.pedantic(harness, rounds=3, iterations=1, warmup_rounds=1)
    runner.close()
    per_step = benchmark.stats.stats.median / (n * 50)
    overhead = per_step / bare - 1
    benchmark.extra_info.update(bare_ms=bare * 1e3, harness_ms=per_step * 1e3, overhead=overhead)
    print(f"\n[overhead, workers={workers} ({'in-process' if workers == 0 else '1 host process'}), k={k}, 84 px] bare {bare * 1e3:.3f} ms/step, harness {per_step * 1e3:.3f} "
          f"ms/step: {100 * overhead:+.1f}%")
