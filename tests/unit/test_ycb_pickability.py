"""The pickability rule, on simple solids and real YCB meshes, and tabletop-v2's YCB splits following it."""

from __future__ import annotations

import os

os.environ.setdefault("MUJOCO_GL", "egl")  # before mujoco is imported: headless rendering

import pathlib
import warnings

import pytest
import yaml

from pvmbench.envs.tabletop.pickability import (
    box_vertices,
    documented_ycb_verdicts,
    pickability,
    solid_vertices,
)
from pvmbench.envs.tabletop.ycb import YCB_OBJECT_IDS, load_ycb_objects
from pvmbench.envs.tabletop.ycb_dimensions import YCB_RESTING_SOLIDS
from pvmbench.shifts.suite import SUITES_DIR

FIXTURE = pathlib.Path(__file__).parent.parent / "fixtures" / "ycb"
SAMPLES = ["003_cracker_box", "006_mustard_bottle", "035_power_drill"]


def test_a_box_that_fits_the_gripper_is_pickable():
    verdict = pickability(box_vertices(0.06, 0.15, 0.12))
    assert verdict.pickable and verdict.reason == ""
    assert verdict.width == pytest.approx(0.06)
    assert verdict.mass == pytest.approx(0.06 * 0.15 * 0.12 * 600)


@pytest.mark.parametrize("dims, density, why", [
    ((0.075, 0.15, 0.12), 600, "exceeds"),  # wider than the open fingers clear, every way
    ((0.02, 0.15, 0.008), 600, "too flat"),  # the fingertips would need to go below the table
    ((0.06, 0.15, 0.12), 8000, "too heavy"),  # a steel block: its grip cannot carry it
    ((0.06, 0.1, 0.26), 600, "too tall"),  # its highest goals are above the workspace
])  # fmt: skip
def test_each_part_of_the_rule_rejects_what_it_should(dims, density, why):
    verdict = pickability(box_vertices(*dims), density=density)
    assert not verdict.pickable and why in verdict.reason


def test_the_dimension_table_covers_the_loaded_ycb_ids():
    assert sorted(YCB_RESTING_SOLIDS) == sorted(YCB_OBJECT_IDS)


@pytest.mark.parametrize("name", SAMPLES)
def test_real_meshes_agree_with_their_measured_solids(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (asset,) = load_ycb_objects([name], FIXTURE)
    from_mesh = pickability(asset.collision_vertices, asset.density)
    shape, dims, source = YCB_RESTING_SOLIDS[name]
    from_solid = pickability(solid_vertices(shape, dims))
    assert source == "measured"
    assert from_mesh.pickable == from_solid.pickable == (name != "035_power_drill")
    assert from_mesh.width == pytest.approx(from_solid.width, abs=0.01)


def test_tabletop_v2_ycb_splits_are_v1_filtered_by_the_rule():
    verdicts = documented_ycb_verdicts()
    v1 = yaml.safe_load((SUITES_DIR / "tabletop-v1.yaml").read_text())["objects"]["ycb"]
    v2 = yaml.safe_load((SUITES_DIR / "tabletop-v2.yaml").read_text())["objects"]["ycb"]
    for split in ("id", "heldout"):
        assert v2[split] == [n for n in v1[split] if verdicts[n].pickable], split
    assert {"003_cracker_box", "006_mustard_bottle"} <= set(v2["id"])
    assert "035_power_drill" not in v2["id"] + v2["heldout"]
