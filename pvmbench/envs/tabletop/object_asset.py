"""ObjectAsset: everything the table-top model builder needs to know about one graspable object."""

from __future__ import annotations

import pathlib
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class ObjectAsset:
    """One object, in its own frame (metres), resting on z = 0 when placed upright.

    Exactly one visual source is set: ``visual_obj`` (a Wavefront OBJ file that MuJoCo reads,
    texture coordinates included, e.g. YCB's ``textured.obj``) or ``visual_vertices`` +
    ``visual_faces`` (arrays, e.g. a procedural shape). The collision shape is the convex
    hull of ``collision_vertices``; MuJoCo collides mesh geoms by their hull anyway, so a few
    hundred points suffice where the visual mesh has thousands of faces.
    """

    name: str
    collision_vertices: np.ndarray  # (N, 3) float, object frame, min z == 0
    rgba: tuple[float, float, float, float] = (0.8, 0.8, 0.8, 1.0)
    visual_obj: pathlib.Path | None = None
    visual_vertices: np.ndarray | None = None  # (V, 3) float, same frame as collision_vertices
    visual_faces: np.ndarray | None = None  # (F, 3) int
    texture_png: pathlib.Path | None = None  # image MuJoCo maps with the OBJ's texture coordinates
    # visual_obj's coordinates are shifted by this to land in the object frame above (YCB meshes
    # have their origin at an arbitrary point, not on their base).
    visual_offset: tuple[float, float, float] = (0.0, 0.0, 0.0)
    density: float = 600.0  # kg/m^3: wood-like, light enough for the Panda's fingers to lift

    def __post_init__(self) -> None:
        if (self.visual_obj is None) == (self.visual_vertices is None):
            raise ValueError(f"object {self.name!r}: set exactly one of visual_obj or visual_vertices")
        if self.visual_vertices is not None and self.visual_faces is None:
            raise ValueError(f"object {self.name!r}: visual_vertices needs visual_faces")

    @property
    def half_extents(self) -> np.ndarray:
        """Half of the axis-aligned size of the collision hull, for placement and grasp height."""
        v = np.asarray(self.collision_vertices)
        return (v.max(axis=0) - v.min(axis=0)) / 2.0
