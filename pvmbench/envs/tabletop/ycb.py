"""Real YCB objects from a user's local copy of the YCB model set (`PVMBENCH_YCB_DIR`).

YCB meshes ship in no package, so the user points `PVMBENCH_YCB_DIR` at the standard layout
`<root>/<id>_<name>/google_16k/{textured.obj,textured.mtl,texture_map.png}`. Each object becomes an
`ObjectAsset`: MuJoCo reads the textured OBJ itself for rendering, while collisions use a hull of a
~200-face simplification, because colliding against the 16k-face scan only costs compile time.
"""

from __future__ import annotations

import functools
import os
import pathlib
import warnings

import fast_simplification
import numpy as np

from pvmbench.envs.tabletop.object_asset import ObjectAsset
from pvmbench.errors import UserError

YCB_DIR_ENV = "PVMBENCH_YCB_DIR"
LAYOUT = "<id>_<name>/google_16k/textured.obj"
_FILES = ("textured.obj", "textured.mtl", "texture_map.png")

# The 78 YCB objects whose google_16k scan is usable (the set ManiSkill ships), minus four that a
# Panda hand (80 mm opening) cannot pick off a table: 019_pitcher_base (body far wider than the
# opening), 029_plate (flat, lies flush), 053_mini_soccer_ball and 054_softball (spheres wider than the
# opening). IDs absent from the 78 (e.g. 001_chips_can, 023_wine_glass, 039_key, 046/047 bolt and nut,
# 063-c..f marbles, 072-f..k airplanes, 073-h..m duplo, 076_timer) have no usable google_16k scan.
YCB_OBJECT_IDS: tuple[str, ...] = (
    "002_master_chef_can", "003_cracker_box", "004_sugar_box", "005_tomato_soup_can",
    "006_mustard_bottle", "007_tuna_fish_can", "008_pudding_box", "009_gelatin_box",
    "010_potted_meat_can", "011_banana", "012_strawberry", "013_apple", "014_lemon", "015_peach",
    "016_pear", "017_orange", "018_plum", "021_bleach_cleanser", "022_windex_bottle", "024_bowl",
    "025_mug", "026_sponge", "028_skillet_lid", "030_fork", "031_spoon", "032_knife", "033_spatula",
    "035_power_drill", "036_wood_block", "037_scissors", "038_padlock", "040_large_marker",
    "042_adjustable_wrench", "043_phillips_screwdriver", "044_flat_screwdriver", "048_hammer",
    "050_medium_clamp", "051_large_clamp", "052_extra_large_clamp", "055_baseball", "056_tennis_ball",
    "057_racquetball", "058_golf_ball", "059_chain", "061_foam_brick", "062_dice", "063-a_marbles",
    "063-b_marbles", "065-a_cups", "065-b_cups", "065-c_cups", "065-d_cups", "065-e_cups", "065-f_cups",
    "065-g_cups", "065-h_cups", "065-i_cups", "065-j_cups", "070-a_colored_wood_blocks",
    "070-b_colored_wood_blocks", "071_nine_hole_peg_test", "072-a_toy_airplane", "072-b_toy_airplane",
    "072-c_toy_airplane", "072-d_toy_airplane", "072-e_toy_airplane", "073-a_lego_duplo",
    "073-b_lego_duplo", "073-c_lego_duplo", "073-d_lego_duplo", "073-e_lego_duplo", "073-f_lego_duplo",
    "073-g_lego_duplo", "077_rubiks_cube",
)  # fmt: skip


def load_ycb_objects(
    names: list[str], root: str | os.PathLike | None = None, collision_faces: int = 200
) -> list[ObjectAsset]:
    """One ObjectAsset per requested YCB directory name found under `root` (default: $PVMBENCH_YCB_DIR).

    Objects missing a file are skipped with a single UserWarning; none found at all is a UserError.
    """
    if collision_faces < 4:
        raise UserError(f"collision_faces must be at least 4 (a tetrahedron), got {collision_faces}")
    base = _resolve_root(root)
    usable, missing = [], []
    for name in names:
        gaps = _missing_files(base / name / "google_16k")
        (missing if gaps else usable).append((name, gaps))
    if missing:
        # One short line: a directory with a handful of objects would otherwise list dozens of names.
        first = ", ".join(f"{name} ({gaps})" for name, gaps in missing[:3])
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        warnings.warn(f"{len(missing)} of {len(names)} YCB objects not found under {base}, skipped: {first}{more}",
                      UserWarning, stacklevel=2)
    if not usable:
        raise UserError(
            f"none of the requested YCB objects were found in {base} (expected the layout {LAYOUT}); "
            f"requested: {', '.join(names) or 'nothing'}"
        )
    return [_make_asset(base / name / "google_16k", name, collision_faces) for name, _ in usable]


def _resolve_root(root: str | os.PathLike | None) -> pathlib.Path:
    if root is None:
        root = os.environ.get(YCB_DIR_ENV) or None
    if root is None:
        raise UserError(
            f"{YCB_DIR_ENV} is not set: set {YCB_DIR_ENV} to a directory in the YCB layout {LAYOUT}"
        )
    path = pathlib.Path(root).expanduser()
    if not path.is_dir():
        raise UserError(f"YCB directory {path} is not a directory (expected the layout {LAYOUT})")
    return path


def _missing_files(folder: pathlib.Path) -> str:
    """'' when the object is complete, else a short note of what is missing."""
    if not folder.is_dir():
        return "no google_16k directory"
    absent = [f for f in _FILES if not (folder / f).is_file()]
    return f"missing {', '.join(absent)}" if absent else ""


def _make_asset(folder: pathlib.Path, name: str, collision_faces: int) -> ObjectAsset:
    obj = folder / "textured.obj"
    hull, offset = _collision_points(str(obj), obj.stat().st_mtime_ns, collision_faces)
    return ObjectAsset(
        name=name,
        collision_vertices=hull,
        rgba=(1.0, 1.0, 1.0, 1.0),  # white: the texture alone gives the colour
        visual_obj=obj,
        texture_png=folder / "texture_map.png",
        visual_offset=offset,
    )


@functools.lru_cache(maxsize=256)
def _collision_points(
    obj_path: str, mtime_ns: int, faces: int
) -> tuple[np.ndarray, tuple[float, float, float]]:
    """(collision vertices in the object frame, shift from OBJ coordinates into that frame).

    Cached because envs are rebuilt often; mtime_ns is in the key so an edited file is re-read.
    The array is read-only because every caller shares it.
    """
    del mtime_ns  # only part of the cache key
    verts, tris = read_obj(pathlib.Path(obj_path))
    verts, tris = _weld(verts, tris)
    if len(tris) > faces:
        verts, tris = _simplify(verts, tris, faces)
    points = verts[np.unique(tris)] if len(tris) else verts
    lo, hi = points.min(axis=0), points.max(axis=0)
    # xy centre of the bounding box to the origin, lowest point to z = 0.
    shift = np.array([-(lo[0] + hi[0]) / 2.0, -(lo[1] + hi[1]) / 2.0, -lo[2]])
    out = points + shift
    out.setflags(write=False)
    return out, (float(shift[0]), float(shift[1]), float(shift[2]))


def _simplify(verts: np.ndarray, tris: np.ndarray, faces: int) -> tuple[np.ndarray, np.ndarray]:
    """Quadric decimation to about `faces` triangles. Gentle aggressiveness first: the library's
    default (7) moved hull points up to 2 cm off a 16k-face, 6 cm test shape where 3 stayed within
    1 mm; harsher settings only if the gentle one stalls above the budget."""
    for agg in (3.0, 5.0, 7.0):
        out_verts, out_tris = fast_simplification.simplify(
            verts, tris.astype(np.int32), target_count=faces, agg=agg
        )
        if len(out_tris) <= 1.2 * faces:
            break
    return out_verts, out_tris


def _weld(verts: np.ndarray, tris: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge exact duplicate positions, so the simplifier sees one closed surface: scans repeat
    vertices along texture seams, and unwelded those seams are open borders whose doubled vertices
    inflate the hull's point count for the same face budget."""
    unique, inverse = np.unique(verts, axis=0, return_inverse=True)
    tris = inverse.reshape(-1)[tris]
    keep = (tris[:, 0] != tris[:, 1]) & (tris[:, 1] != tris[:, 2]) & (tris[:, 0] != tris[:, 2])
    return unique, tris[keep]


def read_obj(path: pathlib.Path) -> tuple[np.ndarray, np.ndarray]:
    """Positions (V, 3) float64 and triangles (F, 3) int64, 0-based, from a Wavefront OBJ.

    Only `v` and `f` lines are read; face corners may be `a`, `a/b`, `a//c` or `a/b/c`, negative
    indices count back from the last vertex so far, and polygons are fan-triangulated.
    """
    try:
        lines = path.read_bytes().splitlines()
    except OSError as err:
        raise UserError(f"cannot read OBJ file {path}: {err.strerror}") from None
    v_rows, v_lines, f_corners, f_counts, f_lines, f_seen = [], [], [], [], [], []
    for lineno, line in enumerate(lines, 1):
        head = line[:2]
        if head in (b"v ", b"v\t"):
            v_rows.append(line.split()[1:4])
            v_lines.append(lineno)
        elif head in (b"f ", b"f\t"):
            corners = [c.partition(b"/")[0] for c in line.split()[1:]]
            f_corners.extend(corners)
            f_counts.append(len(corners))
            f_lines.append(lineno)
            f_seen.append(len(v_rows))
    verts = _parse_vertices(path, v_rows, v_lines)
    tris = _parse_faces(path, f_corners, f_counts, f_lines, f_seen, len(verts))
    return verts, tris


def _parse_vertices(path: pathlib.Path, rows: list, linenos: list[int]) -> np.ndarray:
    if not rows:
        raise UserError(f"OBJ file {path} has no vertex ('v') lines: not a mesh")
    try:
        verts = np.array(rows, dtype=np.float64).reshape(len(rows), 3)
        if np.isfinite(verts).all():
            return verts
    except ValueError:
        pass  # slow path below only to name the bad line
    for row, lineno in zip(rows, linenos, strict=True):
        try:
            if len(row) != 3 or not all(np.isfinite([float(x) for x in row])):
                raise ValueError
        except ValueError:
            raise UserError(
                f"{path}:{lineno}: bad vertex line, expected 'v x y z' with finite numbers"
            ) from None
    raise AssertionError("unreachable")


def _parse_faces(path, corners: list, counts: list, linenos: list, seen: list, n_verts: int) -> np.ndarray:
    if not counts:
        raise UserError(f"OBJ file {path} has no face ('f') lines: not a mesh")
    counts_a = np.array(counts)
    line_of_corner = np.repeat(np.array(linenos), counts_a)
    short = np.flatnonzero(counts_a < 3)
    if len(short):
        raise UserError(f"{path}:{linenos[short[0]]}: a face needs at least 3 vertices")
    try:
        raw = np.array(corners).astype(np.int64)
    except ValueError:
        bad = next(i for i, c in enumerate(corners) if not c.lstrip(b"-").isdigit())
        raise UserError(
            f"{path}:{line_of_corner[bad]}: bad face index {corners[bad].decode(errors='replace')!r}"
        ) from None
    # Negative indices are relative to the vertices defined before that face line.
    idx = np.where(raw > 0, raw - 1, np.repeat(np.array(seen), counts_a) + raw)
    bad = np.flatnonzero((raw == 0) | (idx < 0) | (idx >= n_verts))
    if len(bad):
        i = bad[0]
        raise UserError(
            f"{path}:{line_of_corner[i]}: face index {raw[i]} out of range (the file has {n_verts} vertices)"
        )
    return _fan_triangulate(idx, counts_a)


def _fan_triangulate(idx: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Polygon (c0, c1, ..., ck) -> triangles (c0, ci, ci+1), all polygons at once."""
    starts = np.cumsum(counts) - counts
    n_tri = counts - 2
    poly = np.repeat(np.arange(len(counts)), n_tri)
    k = np.arange(n_tri.sum()) - np.repeat(np.cumsum(n_tri) - n_tri, n_tri)
    first = starts[poly]
    return np.stack([idx[first], idx[first + k + 1], idx[first + k + 2]], axis=1)
