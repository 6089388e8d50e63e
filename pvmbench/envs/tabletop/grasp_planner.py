"""Top-down parallel-jaw grasps planned from an object's collision hull as it rests.

MuJoCo collides a mesh geom through its convex hull, so the hull is exactly what the fingers meet:
planning on it (not on the visual scan, not on assumptions about procedural shapes) keeps the plan
true for any object a user brings. The fingers come straight down, so what must fit between the
open fingers is the whole part of the hull above the fingertips, seen from above. For a convex body
that part widens monotonically as the fingertips go lower, so the plan is:

1. fingertip heights from the deepest the hand allows (its underside stays above the object's top,
   the tips stay above the table) up to a minimum grip depth below the top;
2. at each height, the hull above the tips projected on the table, and its narrowest width by
   rotating calipers (the minimum width of a convex polygon is taken across one of its edges);
3. the lowest height whose narrowest width fits the opening with clearance, and whose flanks there
   are steep enough to hold by friction (a sphere gripped near its pole squeezes out), wins:
   deeper grasps hold more of the object and keep tall objects below the arm's reach limit.

A rim or a handle cannot be grasped in this simulation: the convex hull fills a mug's cavity and
the gap behind its handle, so the top-down slice is the only grasp there is.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from pvmbench.envs.tabletop.gripper_clearance import gripper_is_clear, neighbour

TABLE_Z = 0.0
HEIGHT_STEP = 0.005  # metres between candidate fingertip heights
TILT_PROBE = 0.003  # metres above the fingertips where the flank slope is measured (local: a sphere curves)
# A round object is about as narrow every way: any direction within this much of the narrowest width
# will do, and the one nearest the wrist's current yaw wins, so the plan does not spin the wrist on
# noise. It never eats more than half of the clearance left between the object and the open fingers.
WIDTH_SLACK = 0.003
# Closing directions tried besides the hull's edge normals when a neighbour blocks those (every 10 deg).
CANDIDATE_ANGLES = np.radians(np.arange(0.0, 180.0, 10.0))


@dataclasses.dataclass(frozen=True)
class Gripper:
    """A top-down parallel gripper's reach, in metres (the shipped Panda's values measured from its
    model with the fingers fully open: see tests/unit/test_grasp_planner.py)."""

    opening: float = 0.074  # gap between the open finger pads (8 cm of travel minus the pads)
    tip_below_tcp: float = 0.016  # lowest point of the pads below the TCP site
    hand_above_tip: float = 0.088  # fingertip to the hand's underside
    pad_half_width: float = 0.02  # how far a pad reaches either side of the closing axis
    finger_outer: float = 0.067  # outer face of an open finger, from the TCP along the closing axis
    hand_half_length: float = 0.104  # the hand's underside, along the closing axis ...
    hand_half_width: float = 0.032  # ... and across it
    side_clearance: float = 0.002  # kept free on each side while the open fingers come down
    table_clearance: float = 0.004  # fingertips above the table
    hand_clearance: float = 0.01  # hand underside above the object's top
    min_depth: float = 0.01  # shallowest grip worth closing on (the tip capsules are 1.4 cm thick)
    max_contact_tilt_deg: float = 30.0  # steepest flank slope (from vertical) the pads may close on

    @property
    def max_width(self) -> float:
        return self.opening - 2.0 * self.side_clearance


PANDA_GRIPPER = Gripper()


@dataclasses.dataclass(frozen=True)
class GraspPlan:
    """Where to put the TCP and how to turn it; `width` is the object's width across the closing axis
    above the fingertips. An infeasible plan is the narrowest one found, with the reason it fails."""

    feasible: bool
    tcp: np.ndarray  # (3,) world TCP position to close the fingers at
    yaw: float  # TCP yaw in [-pi/2, pi/2); the fingers close along (-sin yaw, cos yaw)
    width: float
    top: float  # the object's highest point (world z)
    reason: str = ""


def hull_edges(vertices: np.ndarray) -> np.ndarray:
    """(E, 2) vertex-index pairs of the 3-D convex hull's edges; rigid motions keep them, so an env
    computes them once per object and transforms only the vertices."""
    hull = ConvexHull(np.asarray(vertices, dtype=np.float64))
    tri = hull.simplices
    pairs = np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]])
    return np.unique(np.sort(pairs, axis=1), axis=0)


def clip_above(points: np.ndarray, edges: np.ndarray, z: float) -> np.ndarray:
    """xy of the hull's part at or above height z: the vertices above it plus where edges cross it."""
    za, zb = points[edges[:, 0], 2], points[edges[:, 1], 2]
    crossing = (za - z) * (zb - z) < 0
    a, b = points[edges[crossing, 0]], points[edges[crossing, 1]]
    t = ((z - a[:, 2]) / (b[:, 2] - a[:, 2]))[:, None]
    return np.concatenate([points[points[:, 2] >= z, :2], (a + t * (b - a))[:, :2]])


def convex_polygon(xy: np.ndarray) -> np.ndarray:
    """The 2-D hull's corners in order; collinear or tiny sets (a sliver) come back as they are."""
    if len(xy) < 3:
        return xy
    try:
        return xy[ConvexHull(xy).vertices]
    except QhullError:
        return xy


def narrowest_width(polygon: np.ndarray) -> tuple[float, float]:
    """(width, angle of the direction across it) of a convex polygon at its narrowest: rotating
    calipers, i.e. the smallest extent along the normals of its edges."""
    if len(polygon) < 3:
        if len(polygon) < 2:
            return 0.0, 0.0
        d = polygon[-1] - polygon[0]
        return 0.0, math.atan2(d[0], -d[1])  # a segment: across it, zero wide
    edges = np.roll(polygon, -1, axis=0) - polygon
    normals = np.stack([-edges[:, 1], edges[:, 0]], axis=1)
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    proj = polygon @ normals.T
    widths = proj.max(axis=0) - proj.min(axis=0)
    best = int(np.argmin(widths))
    return float(widths[best]), math.atan2(normals[best, 1], normals[best, 0])


def width_along(polygon: np.ndarray, angle: float) -> float:
    if len(polygon) == 0:
        return 0.0
    d = polygon @ np.array([math.cos(angle), math.sin(angle)])
    return float(d.max() - d.min())


def tcp_yaw_for_closing_axis(angle: float) -> float:
    """The TCP yaw in [-pi/2, pi/2) whose fingers close along `angle` (either sense: the jaws are
    symmetric). At yaw 0 they close along world y."""
    return angle % math.pi - math.pi / 2  # yaw = angle - pi/2, wrapped into [-pi/2, pi/2)


def plan_grasp(points: np.ndarray, edges: np.ndarray, com_xy: np.ndarray, gripper: Gripper = PANDA_GRIPPER,
               prefer_yaw: float | None = None, neighbours: tuple[np.ndarray, ...] = ()) -> GraspPlan:
    """The deepest top-down grasp across the narrowest side of the hull of `points` (world frame,
    (N, 3)); `com_xy` (the centre of mass) sets where along the jaws to grip, so it does not tip.
    With `prefer_yaw` (the wrist's yaw now), a direction about as narrow but nearer that yaw wins.
    `neighbours` (each (M, 3) world points of another object) must stay clear of hand and fingers."""
    points = np.asarray(points, dtype=np.float64)
    blockers = [neighbour(n) for n in neighbours]
    top = float(points[:, 2].max())
    lowest = max(TABLE_Z + gripper.table_clearance, top - gripper.hand_above_tip + gripper.hand_clearance)
    highest = top - gripper.min_depth
    if highest < lowest:
        return _infeasible(points, top, "too flat: the fingertips cannot get below its top without "
                           "touching the table")
    heights = np.append(np.arange(lowest, highest, HEIGHT_STEP), highest)
    narrowest: tuple[float, float, float, np.ndarray] | None = None
    other_reason = ""
    tan_max = math.tan(math.radians(gripper.max_contact_tilt_deg))
    for z in heights:
        polygon = convex_polygon(clip_above(points, edges, z))
        width, angle = narrowest_width(polygon)
        if narrowest is None or width < narrowest[0]:
            narrowest = (width, angle, z, polygon)
        if width > gripper.max_width:
            continue
        choice = _direction(polygon, width, angle, z, com_xy, gripper, prefer_yaw, blockers)
        if choice is None:
            other_reason = "a neighbouring object is in the way of the hand or fingers at every yaw that fits"
            continue
        angle, width, xy = choice
        # Flank slope at the fingertips: how fast the grasped part narrows just above them.
        probe = convex_polygon(clip_above(points, edges, min(z + TILT_PROBE, top - 1e-4)))
        slope = (width - width_along(probe, angle)) / (2.0 * min(TILT_PROBE, top - 1e-4 - z))
        if slope > tan_max:
            other_reason = (f"its flanks where it fits the opening slope {math.degrees(math.atan(slope)):.0f} deg "
                            f"from vertical (pads hold up to {gripper.max_contact_tilt_deg:.0f})")
            continue
        return _plan(xy, angle, width, z, top, gripper, True, "")
    width, angle, z, polygon = narrowest
    reason = other_reason or (f"narrowest top-down width {width * 100:.1f} cm exceeds the "
                              f"{gripper.max_width * 100:.1f} cm the open fingers clear")
    return _plan(grasp_centre(polygon, angle, com_xy, gripper), angle, width, z, top, gripper, False, reason)


def _direction(polygon: np.ndarray, width: float, angle: float, z_tip: float, com_xy: np.ndarray, gripper: Gripper,
               prefer_yaw: float | None, blockers: list) -> tuple[float, float, np.ndarray] | None:
    """(closing angle, width, grasp xy) at this fingertip height, or None if every direction that fits is
    blocked. First choice: within WIDTH_SLACK of the narrowest (never more than half the clearance left),
    nearest the wrist's yaw; then any direction that fits and is clear, narrowest first."""
    edges = np.roll(polygon, -1, axis=0) - polygon if len(polygon) >= 3 else np.zeros((0, 2))
    candidates = np.concatenate([[angle], np.arctan2(edges[:, 0], -edges[:, 1]), CANDIDATE_ANGLES])
    if prefer_yaw is not None:
        candidates = np.append(candidates, prefer_yaw + math.pi / 2)
    directions = np.stack([np.cos(candidates), np.sin(candidates)], axis=1)
    proj = polygon @ directions.T
    widths = proj.max(axis=0) - proj.min(axis=0)
    slack = min(WIDTH_SLACK, 0.5 * (gripper.max_width - width))
    near = widths <= width + slack
    if prefer_yaw is not None:
        # Angle between each closing direction and the wrist's (prefer_yaw + pi/2), modulo pi.
        turn = np.abs((candidates - prefer_yaw) % math.pi - math.pi / 2)
    else:
        turn = widths
    order = np.lexsort((np.where(near, turn, widths), ~near))  # near ones first, then the narrowest
    for i in order:
        if widths[i] > gripper.max_width:
            continue
        xy = grasp_centre(polygon, candidates[i], com_xy, gripper)
        if gripper_is_clear(xy, candidates[i], z_tip, gripper, blockers):
            return float(candidates[i]), float(widths[i]), xy
    return None


def grasp_centre(polygon: np.ndarray, angle: float, com_xy: np.ndarray, gripper: Gripper) -> np.ndarray:
    """Where the TCP goes, seen from above, to close along `angle` on `polygon`."""
    u = np.array([math.cos(angle), math.sin(angle)])  # closing axis
    v = np.array([-u[1], u[0]])  # along the jaws
    pu, pv = polygon @ u, polygon @ v
    centre_u = (pu.min() + pu.max()) / 2.0  # equal clearance for both fingers on the way down
    lo, hi = pv.min() + gripper.pad_half_width, pv.max() - gripper.pad_half_width
    # Grip across the centre of mass where the pads still fit on the object, so it lifts level.
    centre_v = float(np.clip(np.dot(com_xy, v), lo, hi)) if lo <= hi else (pv.min() + pv.max()) / 2.0
    return centre_u * u + centre_v * v


def _plan(xy: np.ndarray, angle: float, width: float, z_tip: float, top: float, gripper: Gripper, feasible: bool,
          reason: str) -> GraspPlan:
    tcp = np.array([xy[0], xy[1], z_tip + gripper.tip_below_tcp])
    return GraspPlan(feasible, tcp, tcp_yaw_for_closing_axis(angle), float(width), top, reason)


def _infeasible(points: np.ndarray, top: float, reason: str) -> GraspPlan:
    centre = (points.min(axis=0) + points.max(axis=0)) / 2.0
    return GraspPlan(False, np.array([centre[0], centre[1], top]), 0.0, 0.0, top, reason)
