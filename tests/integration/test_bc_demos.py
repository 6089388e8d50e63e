"""DART demonstrations: the stored labels are the expert's clean actions on the states it visited, the executed
actions are those labels plus noise on the motion dimensions only, drawn from the demo seed (so a demo set is
the same on every collection), and the cache key changes with anything that changes the data."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import pvmbench.envs  # noqa: F401
from pvmbench.agents.bc import demos
from pvmbench.agents.bc.dart import NoiseSpec, noise_rng, noise_spec
from pvmbench.agents.registry import get_agent_factory
from pvmbench.seeding import episode_seed

ENV = "pvmbench/TableTopPick-v0"
NOISE = NoiseSpec(0.2, (0, 1, 2))
STEPS = 12


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PVMBENCH_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "demos"


def _collect(seed=0, noise=NOISE, episodes=2):
    return demos.collect(ENV, episodes, seed, 64, noise=noise, max_steps=STEPS, progress=False)


def test_labels_are_the_clean_expert_actions_and_executed_ones_carry_seeded_noise(cache):
    data = _collect()
    assert data["images"].shape == (2 * STEPS, 64, 64, 3) and data["images"].dtype == np.uint8
    env = gym.make(ENV, shift="id", image_size=64, privileged=True)
    expert = get_agent_factory("scripted")({}, env.observation_space, env.action_space, 1)
    for ep in range(2):
        frames = np.flatnonzero(data["episode"] == ep)
        obs, _ = env.reset(seed=episode_seed(0, "demo-id", ep))
        expert.reset(np.array([True]))
        rng = noise_rng(0, "id", ep)
        for i in frames:
            np.testing.assert_array_equal(data["images"][i], obs["image"])
            clean = expert.act({k: v[None] for k, v in obs.items()})[0]
            np.testing.assert_array_equal(data["actions"][i], clean)  # the label: what the expert asked for
            expected = clean.copy()
            expected[:3] += rng.normal(0.0, 0.2, 3).astype(np.float32)
            np.testing.assert_array_equal(data["executed"][i], np.clip(expected, -1, 1))
            obs, *_ = env.step(data["executed"][i])  # the demo went where the noisy action took it
    env.close()
    assert np.array_equal(data["executed"][:, 3], data["actions"][:, 3])  # the gripper command is never noised
    moved = data["executed"][:, :3] - data["actions"][:, :3]
    free = np.abs(data["actions"][:, :3]) < 0.5  # away from the clip at +-1
    assert 0.1 < moved[free].std() < 0.3 and np.all(moved[free] != 0)


def test_a_demo_set_is_the_same_on_every_collection_and_differs_by_seed(cache, tmp_path, monkeypatch):
    first = _collect()
    monkeypatch.setenv("PVMBENCH_CACHE", str(tmp_path / "elsewhere"))  # collected again, not read back
    second = _collect()
    assert first.keys() == second.keys()
    for key in first:
        np.testing.assert_array_equal(first[key], second[key], err_msg=key)
    other = _collect(seed=1)
    assert not np.array_equal(first["executed"] - first["actions"], other["executed"] - other["actions"])


def test_the_cache_key_covers_noise_seed_and_size(cache):
    _collect()
    assert len(list(cache.glob("*.npz"))) == 1
    _collect()  # read back
    assert len(list(cache.glob("*.npz"))) == 1
    _collect(noise=NoiseSpec(0.1, (0, 1, 2)))
    _collect(noise=NoiseSpec(0.0, ()))
    _collect(seed=3)
    assert len(list(cache.glob("*.npz"))) == 4
    key = demos.cache_path(ENV, "id", 2, 0, 64, NOISE, STEPS)
    assert key != demos.cache_path(ENV, "id", 2, 0, 96, NOISE, STEPS)
    assert key != demos.cache_path("pvmbench/TableTopPick-v1", "id", 2, 0, 64, NOISE, STEPS)
    assert key != demos.cache_path(ENV, "easy", 2, 0, 64, NOISE, STEPS)
    assert key != demos.cache_path(ENV, "id", 3, 0, 64, NOISE, STEPS)


def test_without_noise_executed_equals_labels_and_phases_follow_the_grasp(cache):
    data = demos.collect(ENV, 1, 0, 64, noise=NoiseSpec(0.0, ()), progress=False)
    np.testing.assert_array_equal(data["executed"], data["actions"])
    names = list(data["phase_names"])
    assert names == ["reach", "grasp", "carry", "hold"]
    phase = data["phase"]
    assert phase[0] == names.index("reach")
    # The expert's episode goes reach -> grasp -> carry -> hold, in that order, each phase present.
    order = [p for i, p in enumerate(phase) if i == 0 or p != phase[i - 1]]
    assert order == [0, 1, 2, 3], order
    assert np.all(data["grasped"][phase >= 2]) and not np.any(data["grasped"][phase <= 1])
    stats = demos.demo_stats(data)
    assert stats["expert_success"] == 1.0 and stats["objects_covered"] == "1/60"


def test_noise_defaults_per_expert():
    assert noise_spec("scripted", 4) == NoiseSpec(0.2, (0, 1, 2))
    assert noise_spec("scripted", 5).dims == (0, 1, 2)  # v1: not the wrist turn, not the grip
    assert noise_spec("scripted-driver", 2) == NoiseSpec(0.05, (0,))
    assert noise_spec("scripted-driver", 2, 0.3).sigma == 0.3


def test_episodes_are_added_until_every_id_object_was_a_target():
    draws = {ep: "abcdefgh"[ep % 3] if ep < 40 else "abcdefgh"[ep % 8] for ep in range(1000)}  # d..h only late
    recorded: list[str] = []
    chosen = []
    for ep in demos._episode_indices(8, list("abcdefgh"), recorded, draws.__getitem__):
        recorded.append(draws[ep])
        chosen.append(ep)
    assert chosen[:8] == list(range(8)) and set(recorded) == set("abcdefgh")
    assert len(chosen) == 8 + 5 and all(draws[ep] in "defgh" for ep in chosen[8:])
    # Fewer episodes than objects (a smoke run): nothing is added.
    assert list(demos._episode_indices(2, list("abcdefgh"), [], draws.__getitem__)) == [0, 1]


def test_a_level_other_than_the_training_level_draws_its_own_scenarios(cache):
    """`--level hard`: the demos are that level's episodes (its seeds and its shift), cached apart from id's."""
    at_id = _collect(episodes=1)
    at_hard = demos.collect(ENV, 1, 0, 64, noise=NOISE, max_steps=STEPS, progress=False, level="hard")
    assert len(list(cache.glob("*.npz"))) == 2
    assert not np.array_equal(at_id["images"][0], at_hard["images"][0])
    env = gym.make(ENV, shift="hard", image_size=64, privileged=True)
    try:
        obs, _ = env.reset(seed=episode_seed(0, "demo-hard", 0))
        np.testing.assert_array_equal(at_hard["images"][0], obs["image"])
    finally:
        env.close()


def _collect_beside_another(barrier, results, who, cache_dir):
    """A training seed's demo collection, held after writing its file until the other seed has written too:
    the moment where seeds trained side by side overwrite or move each other's file."""
    import os

    os.environ["PVMBENCH_CACHE"] = cache_dir
    save = np.savez_compressed

    def save_then_wait(*args, **kwargs):
        save(*args, **kwargs)
        barrier.wait(timeout=120)

    np.savez_compressed = save_then_wait
    try:
        results.put((who, int(len(_collect()["actions"]))))
    except Exception as error:  # reported to the parent, which names it in the assertion
        results.put((who, repr(error)))


def test_seeds_collecting_the_same_demos_side_by_side_both_succeed(cache):
    import multiprocessing

    # spawn, not fork: a child forked from a process that has rendered inherits its GL state and hangs.
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    workers = [ctx.Process(target=_collect_beside_another, args=(barrier, results, i, str(cache.parent)))
               for i in range(2)]
    for w in workers:
        w.start()
    got = dict(results.get(timeout=300) for _ in workers)
    for w in workers:
        w.join(60)
    assert got == {0: 2 * STEPS, 1: 2 * STEPS}, [w.exitcode for w in workers]
    assert [p.name for p in cache.iterdir()] == [p.name for p in cache.glob("*.npz") if ".tmp" not in p.name]
    assert _collect()["actions"].shape[0] == 2 * STEPS  # the file they left loads
