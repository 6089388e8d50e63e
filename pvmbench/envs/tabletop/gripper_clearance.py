"""Does a top-down grasp's hand or fingers come down on a neighbouring object?

Seen from above, the open gripper is three rectangles about the grasp point: the hand (long along
the closing axis) and one finger on each side. A neighbour blocks the grasp when its footprint
overlaps the hand's and it rises above the hand's underside, or overlaps a finger's and rises above
the fingertips. A neighbour is its footprint (the convex hull of its collision vertices, from above)
and its top: conservative (a sloped neighbour counts at its full height everywhere) and cheap.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

MARGIN = 0.005  # metres of free space kept around the hand and fingers


@dataclasses.dataclass(frozen=True)
class Neighbour:
    footprint: np.ndarray  # (K, 2) convex polygon, world xy
    top: float  # world z


def neighbour(points: np.ndarray) -> Neighbour:
    from pvmbench.envs.tabletop.grasp_planner import convex_polygon

    points = np.asarray(points, dtype=np.float64)
    return Neighbour(convex_polygon(points[:, :2]), float(points[:, 2].max()))


def gripper_is_clear(xy: np.ndarray, angle: float, z_tip: float, gripper, neighbours: list[Neighbour]) -> bool:
    """True if no neighbour is in the way of the gripper closing along `angle` at `xy` with its
    fingertips at `z_tip` (gripper: a grasp_planner.Gripper)."""
    if not neighbours:
        return True
    u = np.array([math.cos(angle), math.sin(angle)])
    v = np.array([-u[1], u[0]])
    hand = _rectangle(xy, u, v, gripper.hand_half_length + MARGIN, gripper.hand_half_width + MARGIN)
    inner, outer = gripper.opening / 2.0, gripper.finger_outer + MARGIN
    fingers = [_rectangle(xy + side * (inner + outer) / 2.0 * u, u, v, (outer - inner) / 2.0,
                          gripper.pad_half_width + MARGIN) for side in (-1.0, 1.0)]
    hand_bottom = z_tip + gripper.hand_above_tip
    for n in neighbours:
        if n.top > hand_bottom - gripper.hand_clearance and _overlap(hand, n.footprint):
            return False
        if n.top > z_tip and any(_overlap(f, n.footprint) for f in fingers):
            return False
    return True


def _rectangle(centre: np.ndarray, u: np.ndarray, v: np.ndarray, half_u: float, half_v: float) -> np.ndarray:
    return np.array([centre + su * half_u * u + sv * half_v * v for su, sv in ((-1, -1), (1, -1), (1, 1), (-1, 1))])


def _overlap(a: np.ndarray, b: np.ndarray) -> bool:
    """Separating-axis test for two convex polygons (corners in order; a point or segment works too)."""
    for poly in (a, b):
        if len(poly) < 2:
            continue
        edges = np.roll(poly, -1, axis=0) - poly
        axes = np.stack([-edges[:, 1], edges[:, 0]], axis=1)
        pa, pb = a @ axes.T, b @ axes.T
        if np.any((pa.max(axis=0) < pb.min(axis=0)) | (pb.max(axis=0) < pa.min(axis=0))):
            return False
    return True
