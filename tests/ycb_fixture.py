"""A fake YCB directory for tests: small textured meshes in the real `<id>_<name>/google_16k/` layout.

Each object is an ellipsoid with a flat base (so it stands still on a table, like a can), written
like YCB's google_16k scans: one `vt` per `v` (seam vertices
duplicated, so the mesh is not welded), faces as `f a/a b/b c/c`, and the origin away from the
base (real scans put it at an arbitrary point), so a loader that forgets the offset fails the tests.
"""

from __future__ import annotations

import colorsys
import pathlib
import zlib

import numpy as np
from PIL import Image


def _shape_for(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Radii and centre (metres) derived from the name, so different names give different objects."""
    h = zlib.crc32(name.encode())
    radii = np.array([0.02 + (h % 7) * 0.004, 0.025 + (h >> 3) % 5 * 0.004, 0.03 + (h >> 6) % 6 * 0.005])
    # Origin well off the mesh's base and off its xy centre, like a scan's arbitrary origin.
    centre = np.array([0.011, -0.023, 0.057 + (h >> 9) % 4 * 0.01])
    return radii, centre


def ellipsoid_mesh(radii, centre, faces: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(positions, uvs, triangles) of a UV ellipsoid, cut flat at 70% of its lower half-height,
    with about `faces` triangles and one uv per vertex."""
    n_lat = max(3, round(np.sqrt(faces / 4)))
    n_lon = 2 * n_lat
    theta = np.linspace(0.0, np.pi, n_lat + 1)  # pole to pole
    phi = np.linspace(0.0, 2 * np.pi, n_lon + 1)  # first and last column coincide: the texture seam
    t, p = np.meshgrid(theta, phi, indexing="ij")
    unit = np.stack([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)], axis=-1).reshape(-1, 3)
    positions = unit * np.asarray(radii) + np.asarray(centre)
    # Flat base: a round bottom would roll, and the resting test wants the object still.
    positions[:, 2] = np.maximum(positions[:, 2], centre[2] - 0.7 * radii[2])
    uvs = np.stack([p / (2 * np.pi), 1.0 - t / np.pi], axis=-1).reshape(-1, 2)
    idx = np.arange((n_lat + 1) * (n_lon + 1)).reshape(n_lat + 1, n_lon + 1)
    a, b = idx[:-1, :-1], idx[:-1, 1:]
    c, d = idx[1:, :-1], idx[1:, 1:]
    # Outward winding (counter-clockwise seen from outside); pole rows keep only their real triangle.
    upper = np.stack([a, c, d], axis=-1)[:-1].reshape(-1, 3)
    lower = np.stack([a, d, b], axis=-1)[1:].reshape(-1, 3)
    return positions, uvs, np.concatenate([upper, lower])


def write_textured_obj(path: pathlib.Path, positions, uvs, triangles) -> None:
    """An OBJ in the google_16k style: mtllib, v, vt, then faces `a/a b/b c/c` (1-based)."""
    lines = ["# pvmbench test fixture", "mtllib textured.mtl"]
    lines += [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in positions]
    lines += [f"vt {u:.6f} {v:.6f}" for u, v in uvs]
    lines.append("usemtl material_0")
    lines += [f"f {a}/{a} {b}/{b} {c}/{c}" for a, b, c in triangles + 1]
    path.write_text("\n".join(lines) + "\n")


def _write_texture(path: pathlib.Path, name: str) -> None:
    """A 32x32 checker in a saturated colour: a render can tell it from the white the material
    would show if the texture were not applied."""
    hue = (zlib.crc32(name.encode()) % 360) / 360.0
    colour = (np.array(colorsys.hsv_to_rgb(hue, 0.9, 0.9)) * 255).astype(np.uint8)
    checker = (np.indices((32, 32)).sum(axis=0) // 8) % 2
    img = np.where(checker[..., None] == 1, colour, colour // 2).astype(np.uint8)
    Image.fromarray(img, "RGB").save(path)


def make_ycb_fixture(root: pathlib.Path, names: list[str], faces: int = 2000) -> pathlib.Path:
    """Write `<root>/<name>/google_16k/{textured.obj,textured.mtl,texture_map.png}` for each name."""
    root = pathlib.Path(root)
    for name in names:
        folder = root / name / "google_16k"
        folder.mkdir(parents=True, exist_ok=True)
        radii, centre = _shape_for(name)
        write_textured_obj(folder / "textured.obj", *ellipsoid_mesh(radii, centre, faces))
        (folder / "textured.mtl").write_text(
            "newmtl material_0\nKa 1 1 1\nKd 1 1 1\nKs 0 0 0\nmap_Kd texture_map.png\n"
        )
        _write_texture(folder / "texture_map.png", name)
    return root
