"""`pvmbench train --algo bc` defaults per env and mode: what a user gets without flags, and flags win."""

from __future__ import annotations

import pytest

from pvmbench.agents.bc.dart import noise_spec
from pvmbench.agents.bc.train import BCConfig, resolve
from pvmbench.errors import UserError


def test_driving_defaults_are_dagger_at_id_without_shifts_and_more_steps():
    cfg = resolve(BCConfig(env="pvmbench/Highway-v1"), "scripted-driver", "train")
    assert (cfg.demos, cfg.aug_pad, cfg.dagger_rounds, cfg.dagger_episodes, cfg.steps) == (100, 0, 10, 30, 10000)
    assert cfg.level == "id"  # not the env's `train` weather: the clone is scored at clear noon
    assert resolve(BCConfig(mode="partial"), "scripted-driver", "train").steps == 10000  # 3000 x 10/3, rounded
    assert noise_spec("scripted-driver", 2).sigma == 0.05


def test_table_top_defaults_are_shifted_demos_without_dagger():
    cfg = resolve(BCConfig(env="pvmbench/TableTopPick-v1"), "scripted")
    assert (cfg.demos, cfg.aug_pad, cfg.dagger_rounds, cfg.steps, cfg.aug_copies) == (300, 4, 0, 3000, 0)
    assert resolve(BCConfig(mode="frozen"), "scripted").aug_copies == 2
    partial = resolve(BCConfig(mode="partial"), "scripted")  # the published partial checkpoints' recipe
    assert (partial.steps, partial.batch, partial.aug_copies) == (3000, 32, 2)


def test_without_a_shift_a_cached_mode_keeps_one_copy_per_frame():
    assert resolve(BCConfig(mode="frozen"), "scripted-driver").aug_copies == 1
    assert resolve(BCConfig(mode="partial", aug_pad=0), "scripted").aug_copies == 1


def test_given_values_win_over_the_env_defaults():
    cfg = resolve(BCConfig(aug_pad=2, dagger_rounds=0, steps=10, demos=3), "scripted-driver")
    assert (cfg.aug_pad, cfg.dagger_rounds, cfg.steps, cfg.demos) == (2, 0, 10, 3)


@pytest.mark.parametrize("field, value", [("dagger_rounds", -1), ("dagger_episodes", 0), ("aug_pad", -1)])
def test_bad_values_name_their_flag(field, value):
    with pytest.raises(UserError, match=f"--{field.replace('_', '-')}"):
        resolve(BCConfig(**{field: value}), "scripted-driver")


def test_the_data_level_is_the_envs_training_level_unless_a_flag_names_another():
    levels = ("id", "easy", "hard", "train")
    assert resolve(BCConfig(), "scripted", "id", levels).level == "id"
    assert resolve(BCConfig(level="easy"), "scripted", "id", levels).level == "easy"
    with pytest.raises(UserError, match="--level 'night': accepted: one of the env's levels: id, easy, hard, train"):
        resolve(BCConfig(level="night"), "scripted", "id", levels)
