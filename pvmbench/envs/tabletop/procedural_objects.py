"""Seeded procedural objects shipped with pvmbench: boxes, cylinders, superquadrics and hulls.

Every object fits the Panda's 8 cm grip from any yaw (horizontal extent <= 6 cm), because
the 4-D action space has no wrist rotation.
"""

from __future__ import annotations

import colorsys
import functools

import numpy as np
from scipy.spatial import ConvexHull

from pvmbench.envs.tabletop.object_asset import ObjectAsset

N_PROCEDURAL = 74
SHAPE_KINDS = ("box", "cylinder", "superquadric", "hull")


def procedural_name(index: int) -> str:
    return f"proc_{index:03d}"


@functools.lru_cache(maxsize=4)
def procedural_objects(n: int = N_PROCEDURAL) -> tuple[ObjectAsset, ...]:
    """The shipped object library; object i depends only on i, so the list is stable as n grows."""
    return tuple(_make_object(i) for i in range(n))


def _make_object(index: int) -> ObjectAsset:
    rng = np.random.default_rng([20260101, index])
    kind = SHAPE_KINDS[index % len(SHAPE_KINDS)]
    points = _SHAPES[kind](rng)
    points[:, 2] -= points[:, 2].min()
    points[:, :2] -= (points[:, :2].max(axis=0) + points[:, :2].min(axis=0)) / 2
    vertices, faces = _hull_mesh(points)
    hue, sat, val = rng.uniform(0, 1), rng.uniform(0.45, 0.9), rng.uniform(0.5, 0.95)
    rgba = (*colorsys.hsv_to_rgb(hue, sat, val), 1.0)
    return ObjectAsset(
        name=procedural_name(index),
        collision_vertices=vertices,
        visual_vertices=vertices,
        visual_faces=faces,
        rgba=tuple(float(c) for c in rgba),
    )


def _box(rng: np.random.Generator) -> np.ndarray:
    half = np.array([rng.uniform(0.015, 0.025), rng.uniform(0.015, 0.025), rng.uniform(0.015, 0.045)])
    corners = np.array(np.meshgrid([-1, 1], [-1, 1], [-1, 1])).reshape(3, -1).T * half
    # A random tilt of the edges (a sheared box) gives more varied silhouettes than axis-aligned boxes.
    shear = np.eye(3)
    shear[0, 1], shear[1, 0] = rng.uniform(-0.3, 0.3, size=2)
    return corners @ shear.T


def _cylinder(rng: np.random.Generator) -> np.ndarray:
    radius, half_h = rng.uniform(0.015, 0.028), rng.uniform(0.015, 0.05)
    sides = int(rng.integers(6, 20))
    angles = np.linspace(0, 2 * np.pi, sides, endpoint=False)
    ring = np.stack([radius * np.cos(angles), radius * np.sin(angles)], axis=1)
    taper = rng.uniform(0.6, 1.0)  # cones and frusta as well as straight cylinders
    bottom = np.column_stack([ring, np.full(sides, -half_h)])
    top = np.column_stack([ring * taper, np.full(sides, half_h)])
    return np.vstack([bottom, top])


def _superquadric(rng: np.random.Generator) -> np.ndarray:
    a = np.array([rng.uniform(0.015, 0.028), rng.uniform(0.015, 0.028), rng.uniform(0.015, 0.045)])
    e1, e2 = rng.uniform(0.3, 1.0, size=2)  # exponents below 1 keep the shape convex and boxy-round
    eta, omega = np.meshgrid(np.linspace(-np.pi / 2, np.pi / 2, 10), np.linspace(-np.pi, np.pi, 16))

    def spow(x, p):
        return np.sign(x) * np.abs(x) ** p

    x = a[0] * spow(np.cos(eta), e1) * spow(np.cos(omega), e2)
    y = a[1] * spow(np.cos(eta), e1) * spow(np.sin(omega), e2)
    z = a[2] * spow(np.sin(eta), e1)
    # Sliced flat at the bottom: a rounded base would rock and topple, and a tipping object is a
    # different task from a pick.
    z = np.maximum(z, -0.6 * a[2])
    return np.unique(np.round(np.stack([x, y, z], axis=-1).reshape(-1, 3), 6), axis=0)


def _hull(rng: np.random.Generator) -> np.ndarray:
    count = int(rng.integers(8, 24))
    scale = np.array([0.018, 0.018, rng.uniform(0.02, 0.05)])
    cloud = rng.uniform(-1, 1, size=(count, 3)) * scale
    # A flat polygonal base under the random cloud: a hull of loose points would rest on a corner
    # and topple, which is a different task from picking.
    sides = int(rng.integers(4, 8))
    angles = np.linspace(0, 2 * np.pi, sides, endpoint=False) + rng.uniform(0, 2 * np.pi)
    radius = rng.uniform(0.022, 0.027)  # wider than the cloud: the centre of mass sits over the base
    base = np.column_stack([radius * np.cos(angles), radius * np.sin(angles), np.full(sides, -scale[2])])
    return np.vstack([cloud, base])


_SHAPES = {"box": _box, "cylinder": _cylinder, "superquadric": _superquadric, "hull": _hull}


def _hull_mesh(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Convex hull as an outward-facing triangle mesh (MuJoCo shades by face winding)."""
    hull = ConvexHull(points)
    used = np.unique(hull.simplices)
    remap = np.full(len(points), -1)
    remap[used] = np.arange(len(used))
    vertices = points[used].astype(np.float64)
    faces = remap[hull.simplices]
    centre = vertices.mean(axis=0)
    tri = vertices[faces]
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    inward = np.einsum("ij,ij->i", normals, tri[:, 0] - centre) < 0
    faces[inward] = faces[inward][:, ::-1]
    return vertices, faces.astype(np.int32)
