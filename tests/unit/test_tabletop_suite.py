"""tabletop-v1 sampling: pure, complete, and shaped as the suite says."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pvmbench.envs.tabletop.reward import R_MAX, dense_reward, step_reward
from pvmbench.shifts.spec import ShiftSpec, parse_shift
from pvmbench.shifts.tabletop import TableTopShift

CENTRE, HALF = 0.0894, 0.1


def test_sample_is_pure_and_json_serialisable():
    a, b = TableTopShift("hard"), TableTopShift("hard")
    for seed in range(20):
        s = a.sample(seed)
        assert s == b.sample(seed) == a.sample(seed)
        assert json.loads(json.dumps(s)) == s


def test_id_positions_in_centre_square_and_ood_in_ring():
    ident, easy = TableTopShift("id"), TableTopShift("easy")
    for seed in range(200):
        for key in ("target", "goal"):
            x, y = ident.sample(seed)["layout"][key][:2]
            assert max(abs(x), abs(y)) <= CENTRE
            x, y = easy.sample(seed)["layout"][key][:2]
            assert CENTRE <= max(abs(x), abs(y)) <= HALF


def test_goal_lift_within_suite_range():
    lifts = [TableTopShift("id").sample(s)["layout"]["goal"][2] for s in range(200)]
    assert min(lifts) >= 0.0 and max(lifts) <= 0.3 and np.std(lifts) > 0.05


def test_severity_zero_is_id_and_one_reaches_hard_factors():
    for seed in range(10):
        zero, ident = TableTopShift("severity=0").sample(seed), TableTopShift("id").sample(seed)
        for factor in ("objects", "layout", "table_texture", "object_appearance", "lighting", "camera"):
            assert zero[factor] == ident[factor]
    one = [TableTopShift("severity=1").sample(s) for s in range(50)]
    assert all(s["objects"]["split"] == "heldout" and s["layout"]["region"] == "ring" for s in one)
    assert all(1 <= len(s["objects"]["distractors"]) <= 3 for s in one)
    assert all(s["table_texture"]["overlay"]["blend"] == 1.0 for s in one)


def test_severity_keeps_the_seed_s_texture_seed_and_poses_draws():
    low, high = TableTopShift("severity=0.2").sample(7), TableTopShift("severity=0.8").sample(7)
    assert low["table_texture"]["seed"] == high["table_texture"]["seed"]
    assert low["table_texture"]["overlay"]["blend"] == 0.2 and high["table_texture"]["overlay"]["blend"] == 0.8


def test_per_factor_severity_leaves_other_factors_at_id():
    s = TableTopShift("severity=1:lighting").sample(3)
    ident = TableTopShift("id").sample(3)
    assert s["objects"] == ident["objects"] and s["table_texture"] == ident["table_texture"]
    assert s["lighting"] != ident["lighting"]


def test_parse_shift_forms():
    assert parse_shift("hard") == ShiftSpec(level="hard")
    assert parse_shift("severity=0.25") == ShiftSpec(severity=0.25)
    assert parse_shift(" severity=1:lighting,camera ").factors == ("lighting", "camera")
    assert parse_shift(ShiftSpec(level="id")).level == "id"


def test_reward_bounds_and_r_max():
    assert R_MAX == 202.0
    assert dense_reward(0.0, 0.0, True) == pytest.approx(4.0)
    assert dense_reward(10.0, 10.0, False) == pytest.approx(0.0, abs=1e-12)
    assert step_reward(0.0, 0.01, True, last_step=True) == 6.0
    assert step_reward(0.0, 0.05, True, last_step=True) < 4.0
