"""Harness speed: worker scaling, and overhead per step against a bare loop.

Run: pytest tests/perf/test_harness_speed.py --benchmark-enable -s
Compared runs take turns in the same rounds (interleave.py); the ratios go to extra_info under the
keys in targets.py.
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
from tests.perf.interleave import interleaved

ENV = "pvmbench/TableTopPick-v0"
KWARGS = {"image_size": 84, "privileged": True}


def test_worker_scaling(benchmark):
    """Steady state: env hosts already started and warm, as in any run longer than a few episodes.
    The 1- and 2-worker runners take turns, so load from elsewhere on the machine hits both alike."""
    k, n = 4, 8  # short rounds, many of them: load here swings within seconds
    plan = plan_episodes(["id"], n, 1)
    probe = gym.make(ENV, **KWARGS)
    runners = {}
    for workers in (1, 2):
        agent = ScriptedTableTopAgent({}, probe.observation_space, probe.action_space, k)
        runners[workers] = BatchedRunner(ENV, KWARGS, agent, (4,), num_envs=k, workers=workers)
    rounds = interleaved(benchmark, {f"{w} workers": (lambda r=r: r.run(plan, lambda result: None, keep_hosts=True))
                                     for w, r in runners.items()}, rounds=7)
    for runner in runners.values():
        runner.close()
    eps = {w: n / rounds.median(f"{w} workers") for w in runners}
    scaling = rounds.ratio("1 workers", "2 workers")  # 2 workers' episodes/s over 1's, paired by round
    benchmark.extra_info.update(episodes_per_s_1_worker=eps[1], episodes_per_s_2_workers=eps[2],
                                harness_scaling_1_to_2_workers=scaling)
    print(f"\n[num_envs={k}, 84 px, scripted, warm hosts] 1 worker {eps[1]:.2f} episodes/s, "
          f"2 workers {eps[2]:.2f} episodes/s, scaling {scaling:.2f}x")


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
    k, n = 2, 4  # short rounds, many of them: load here swings within seconds
    plan = plan_episodes(["id"], n, 0)
    seeds = [e.seed for e in plan]
    envs = [gym.make(ENV, shift="id", **KWARGS) for _ in range(k)]
    agent = ScriptedTableTopAgent({}, envs[0].observation_space, envs[0].action_space, k)
    runner = BatchedRunner(ENV, KWARGS, agent, (4,), num_envs=k, workers=workers)

    # Each side returns its own seconds per step, so the two are compared step for step.
    def bare() -> float:
        start = time.perf_counter()
        steps = _bare_loop(envs, agent, seeds)
        return (time.perf_counter() - start) / steps

    def harness() -> float:
        lengths = []
        start = time.perf_counter()
        runner.run(plan, lambda result: lengths.append(result.length), keep_hosts=True)  # warm envs, as the bare loop's
        return (time.perf_counter() - start) / sum(lengths)

    rounds = interleaved(benchmark, {"bare": bare, "harness": harness}, rounds=9)
    runner.close()
    bare_s, harness_s = rounds.median("bare"), rounds.median("harness")
    ratio = rounds.ratio("harness", "bare")  # per step, paired by round
    # Only the in-process figure has a target (targets.py); the host-process one is informative.
    key = "harness_vs_bare_loop_in_process" if workers == 0 else "harness_vs_bare_loop_1_host_process"
    benchmark.extra_info.update({"bare_ms": bare_s * 1e3, "harness_ms": harness_s * 1e3, key: ratio})
    print(f"\n[overhead, workers={workers} ({'in-process' if workers == 0 else '1 host process'}), k={k}, 84 px] "
          f"bare {bare_s * 1e3:.3f} ms/step, harness {harness_s * 1e3:.3f} ms/step: {100 * (ratio - 1):+.1f}%")
