"""The held-out demo split: whole episodes on one side only, the asked share of them, fixed by the demo seed;
and the rollout seeds it is reported beside never meet the harness's evaluation seeds."""

import numpy as np
import pytest

from pvmbench.agents.bc.rollouts import rollout_seeds
from pvmbench.agents.bc.split import split_by_episode
from pvmbench.benchmark.episodes import plan_episodes


def _episodes(lengths):
    return np.concatenate([np.full(n, ep) for ep, n in enumerate(lengths)])


def test_split_is_by_episode_and_disjoint():
    episode = _episodes(np.random.default_rng(0).integers(20, 60, 40))
    split = split_by_episode(episode, 0.1, demo_seed=0)
    train_eps, val_eps = set(episode[split.train]), set(episode[split.val])
    assert not train_eps & val_eps
    assert val_eps == set(split.val_episodes) and len(val_eps) == 4
    assert sorted(np.concatenate([split.train, split.val]).tolist()) == list(range(len(episode)))
    for ep in val_eps:  # every frame of a held-out episode is held out
        assert set(np.flatnonzero(episode == ep)) <= set(split.val)


def test_split_depends_on_the_demo_seed_only():
    episode = _episodes([50] * 30)
    assert split_by_episode(episode, 0.2, 0).val_episodes == split_by_episode(episode, 0.2, 0).val_episodes
    assert split_by_episode(episode, 0.2, 0).val_episodes != split_by_episode(episode, 0.2, 1).val_episodes


@pytest.mark.parametrize("episodes, fraction, held", [(2, 0.1, 1), (1, 0.1, 0), (10, 0.0, 0), (3, 0.9, 2)])
def test_at_least_one_and_never_every_episode_is_held_out(episodes, fraction, held):
    split = split_by_episode(_episodes([5] * episodes), fraction, 0)
    assert len(split.val_episodes) == held
    assert len(split.train) > 0


def test_rollout_seeds_are_disjoint_from_evaluation_seeds():
    evaluated = {spec.seed for spec in plan_episodes(["id", "hard"], 500, run_seed=0)}
    assert not set(rollout_seeds(0, "id", 500)) & evaluated
    assert rollout_seeds(0, "id", 5) == rollout_seeds(0, "id", 5)
