"""MENAGERIE_ROOT swaps in MuJoCo Menagerie's Panda, with the same task interface.

Tested on a stand-in file in the Menagerie layout (tests/menagerie_fixture.py): it has
Menagerie's names, standard Franka frames and tendon gripper, but capsules for meshes.
"""

from __future__ import annotations

import numpy as np
import pytest

from pvmbench.envs.tabletop.controller import HOME_TCP
from pvmbench.envs.tabletop.env import TableTopPickEnv
from pvmbench.errors import UserError
from tests.menagerie_fixture import make_menagerie_fixture


@pytest.fixture()
def menagerie(tmp_path, monkeypatch):
    make_menagerie_fixture(tmp_path)
    monkeypatch.setenv("MENAGERIE_ROOT", str(tmp_path))
    return tmp_path


def test_menagerie_panda_is_used_and_controllable(menagerie):
    env = TableTopPickEnv(image_size=64, privileged=True)
    assert env.tm.robot.source == "menagerie"
    obs, _ = env.reset(seed=0)
    assert obs["image"].std() > 5
    np.testing.assert_allclose(env.data.site_xpos[env.tm.tcp_site], HOME_TCP, atol=1e-3)
    width_open = env.privileged_state()["finger_width"][0]
    for _ in range(5):
        env.step(np.array([1.0, 0.0, -0.5, 1.0]))  # move +x and down, close the gripper
    tcp = env.data.site_xpos[env.tm.tcp_site]
    assert tcp[0] > HOME_TCP[0] + 0.15 and tcp[2] < HOME_TCP[2] - 0.08
    assert env.privileged_state()["finger_width"][0] < width_open - 0.05


def test_shipped_panda_without_menagerie_root(monkeypatch):
    monkeypatch.delenv("MENAGERIE_ROOT", raising=False)
    assert TableTopPickEnv(image_size=64).tm.robot.source == "shipped"


def test_menagerie_root_without_the_panda_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("MENAGERIE_ROOT", str(tmp_path))
    with pytest.raises(UserError, match=r"MENAGERIE_ROOT=.*: no franka_emika_panda/panda.xml there"):
        TableTopPickEnv(image_size=64)
