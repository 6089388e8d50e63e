"""The top-down grasp planner: across the narrow side, as deep as the hand allows, on the gripper it models."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pvmbench.envs.tabletop.grasp_planner import PANDA_GRIPPER, hull_edges, plan_grasp
from pvmbench.envs.tabletop.gripper_clearance import gripper_is_clear, neighbour
from pvmbench.envs.tabletop.pickability import box_vertices, frustum_vertices, rod_vertices


def placed(vertices: np.ndarray, yaw: float, xy=(0.03, -0.02)) -> np.ndarray:
    c, s = math.cos(yaw), math.sin(yaw)
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    return vertices @ rot.T + np.array([xy[0], xy[1], 0.0])


def plan(vertices, **kwargs):
    centre = (vertices.min(axis=0) + vertices.max(axis=0)) / 2
    return plan_grasp(vertices, hull_edges(vertices), centre[:2], **kwargs)


def closing_axis(yaw: float) -> np.ndarray:
    return np.array([-math.sin(yaw), math.cos(yaw)])


@pytest.mark.parametrize("yaw", [0.0, 0.4, 1.2, 2.0, -2.7])
def test_box_is_gripped_across_its_narrow_side(yaw):
    box = placed(box_vertices(0.03, 0.09, 0.05), yaw)
    p = plan(box)
    narrow = np.array([math.cos(yaw), math.sin(yaw)])  # the box's 3 cm side, turned by yaw
    assert p.feasible
    assert p.width == pytest.approx(0.03, abs=1e-6)
    assert abs(np.dot(closing_axis(p.yaw), narrow)) == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(p.tcp[:2], [0.03, -0.02], atol=1e-6)
    assert -math.pi / 2 <= p.yaw < math.pi / 2


@pytest.mark.parametrize("yaw", [0.3, 1.9])
def test_lying_cylinder_is_gripped_across_not_along(yaw):
    rod = placed(rod_vertices(0.025, 0.16), yaw)
    p = plan(rod)
    axis = np.array([-math.sin(yaw), math.cos(yaw)])  # the rod lies along its y, turned by yaw
    assert p.feasible and p.width == pytest.approx(0.025, abs=1e-3)
    assert abs(np.dot(closing_axis(p.yaw), axis)) < 0.05
    # Fingertips just above the table: the rod is gripped below its equator.
    assert p.tcp[2] == pytest.approx(PANDA_GRIPPER.table_clearance + PANDA_GRIPPER.tip_below_tcp)


def test_round_object_keeps_the_wrist_where_it_is():
    can = frustum_vertices(0.05, 0.05, 0.08, sides=40)
    for wrist in (-1.2, 0.3, 1.0):
        p = plan(can, prefer_yaw=wrist)
        assert p.feasible and p.width == pytest.approx(0.05, abs=1e-3)
        assert abs(p.yaw - wrist) < math.radians(1.0)


def test_tall_box_is_gripped_as_deep_as_the_hand_allows():
    box = box_vertices(0.04, 0.1, 0.2)
    p = plan(box)
    g = PANDA_GRIPPER
    assert p.top == pytest.approx(0.2)
    assert p.tcp[2] == pytest.approx(0.2 - g.hand_above_tip + g.hand_clearance + g.tip_below_tcp)


def test_too_wide_is_infeasible_and_says_why():
    p = plan(box_vertices(0.09, 0.12, 0.05))
    assert not p.feasible and "9.0 cm exceeds" in p.reason


def test_sphere_wider_than_the_opening_is_gripped_above_its_equator():
    from pvmbench.envs.tabletop.pickability import ellipsoid_vertices

    ball = ellipsoid_vertices(0.074, 0.074, 0.074)
    p = plan(ball)
    centre_z = (ball[:, 2].max() + ball[:, 2].min()) / 2
    assert p.feasible and p.width <= PANDA_GRIPPER.max_width
    tip = p.tcp[2] - PANDA_GRIPPER.tip_below_tcp
    assert tip > centre_z  # the equator is too wide
    assert math.asin((tip - centre_z) / 0.037) < math.radians(PANDA_GRIPPER.max_contact_tilt_deg)


def test_gripper_constants_match_the_shipped_panda():
    """PANDA_GRIPPER's numbers, measured on the compiled model with the fingers fully open (at home the
    jaws close along world y)."""
    import mujoco

    from pvmbench.envs.tabletop.env import TableTopPickEnv

    env = TableTopPickEnv(image_size=64)
    env.reset(seed=0)
    m, d, tm = env.model, env.data, env.tm
    tcp = d.site_xpos[tm.tcp_site]

    def corners(g):
        if m.geom_type[g] == mujoco.mjtGeom.mjGEOM_MESH:
            start, count = m.mesh_vertadr[m.geom_dataid[g]], m.mesh_vertnum[m.geom_dataid[g]]
            local = m.mesh_vert[start : start + count]
        else:
            local = np.array(np.meshgrid([-1, 1], [-1, 1], [-1, 1])).reshape(3, -1).T * m.geom_aabb[g][3:] + m.geom_aabb[g][:3]
        return d.geom_xpos[g] + local @ d.geom_xmat[g].reshape(3, 3).T - tcp

    fingers = np.vstack([corners(g) for side in ("left", "right") for g in tm.finger_geoms[side]])
    hand = np.vstack([corners(g) for g in range(m.ngeom)
                      if m.geom_contype[g] and m.geom_bodyid[g] == m.site_bodyid[tm.tcp_site]])
    env.close()
    g = PANDA_GRIPPER
    assert -fingers[:, 2].min() == pytest.approx(g.tip_below_tcp, abs=1e-3)
    assert 2 * np.abs(fingers[:, 1]).min() == pytest.approx(g.opening, abs=1e-3)
    assert np.abs(fingers[:, 1]).max() == pytest.approx(g.finger_outer, abs=1e-3)
    assert np.abs(fingers[:, 0]).max() == pytest.approx(g.pad_half_width, abs=1e-3)
    assert hand[:, 2].min() - fingers[:, 2].min() == pytest.approx(g.hand_above_tip, abs=1e-3)
    assert np.abs(hand[:, 1]).max() == pytest.approx(g.hand_half_length, abs=1e-3)
    assert np.abs(hand[:, 0]).max() == pytest.approx(g.hand_half_width, abs=1e-3)


def test_a_flat_cone_fits_only_where_its_flanks_are_too_sloped_to_hold():
    cone = frustum_vertices(0.12, 0.01, 0.04)  # narrow enough only near its tip, 51 degrees off vertical
    p = plan(cone)
    assert not p.feasible and "flanks" in p.reason


def test_the_hand_turns_away_from_a_tall_neighbour():
    can = frustum_vertices(0.05, 0.05, 0.08, sides=40)
    tower = placed(box_vertices(0.05, 0.05, 0.2), 0.0, xy=(0.09, 0.0))  # 9 cm away along x, 20 cm tall
    free = plan(can, prefer_yaw=-math.pi / 2)  # alone, the wrist's yaw closes the jaws along x
    assert abs(closing_axis(free.yaw)[0]) > 0.99
    p = plan(can, prefer_yaw=-math.pi / 2, neighbours=(tower,))
    assert p.feasible
    # The hand (21 cm along the closing axis) must not come down on the tower: the jaws turn off x.
    assert abs(closing_axis(p.yaw)[0]) < 0.9
    z_tip = p.tcp[2] - PANDA_GRIPPER.tip_below_tcp
    closing = math.atan2(*closing_axis(p.yaw)[::-1])
    assert gripper_is_clear(p.tcp[:2], closing, z_tip, PANDA_GRIPPER, [neighbour(tower)])
    assert not gripper_is_clear(free.tcp[:2], 0.0, z_tip, PANDA_GRIPPER, [neighbour(tower)])


def test_a_box_whose_only_grasp_is_blocked_is_infeasible_and_says_why():
    box = box_vertices(0.03, 0.09, 0.05)  # grips only along x
    walls = (placed(box_vertices(0.02, 0.1, 0.2), 0.0, xy=(0.06, 0.0)),
             placed(box_vertices(0.02, 0.1, 0.2), 0.0, xy=(-0.06, 0.0)))
    p = plan(box, neighbours=walls)
    assert not p.feasible and "neighbouring object" in p.reason
