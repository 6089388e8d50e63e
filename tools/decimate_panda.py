"""Regenerate the decimated Panda visual meshes shipped in pvmbench/envs/tabletop/assets/panda.

Source: the Franka meshes in the gymnasium-robotics 1.4.2 wheel
(gymnasium_robotics/envs/assets/kitchen_franka/franka_assets), themselves modified from
https://github.com/vikashplus/franka (Apache-2.0). Run once, by hand:

    python tools/decimate_panda.py --target-faces 400
"""

from __future__ import annotations

import argparse
import pathlib
import struct

import fast_simplification
import numpy as np


def read_stl(path: pathlib.Path) -> tuple[np.ndarray, np.ndarray]:
    raw = path.read_bytes()
    count = struct.unpack("<I", raw[80:84])[0]
    rec = np.frombuffer(raw[84 : 84 + 50 * count], dtype=np.dtype([("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")]))
    tri = rec["v"].reshape(-1, 3).astype(np.float64)
    # STL stores each triangle's corners separately; weld them so the simplifier sees a mesh.
    verts, inverse = np.unique(np.round(tri, 6), axis=0, return_inverse=True)
    return verts, inverse.reshape(-1, 3)


def write_stl(path: pathlib.Path, verts: np.ndarray, faces: np.ndarray) -> None:
    tri = verts[faces].astype(np.float32)
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    rec = np.zeros(len(faces), dtype=np.dtype([("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")]))
    rec["n"], rec["v"] = normals, tri
    path.write_bytes(b"pvmbench decimated panda".ljust(80, b" ") + struct.pack("<I", len(faces)) + rec.tobytes())


def main() -> None:
    import gymnasium_robotics

    parser = argparse.ArgumentParser()
    parser.add_argument("--target-faces", type=int, default=400)
    args = parser.parse_args()
    src = pathlib.Path(gymnasium_robotics.__file__).parent / "envs/assets/kitchen_franka/franka_assets/meshes"
    dst = pathlib.Path(__file__).resolve().parents[1] / "pvmbench/envs/tabletop/assets/panda"
    total_in = total_out = 0
    for stl in sorted((src / "visual").glob("*.stl")):
        verts, faces = read_stl(stl)
        ratio = max(0.0, 1.0 - args.target_faces / len(faces))
        v2, f2 = fast_simplification.simplify(verts.astype(np.float32), faces.astype(np.int32), target_reduction=ratio)
        write_stl(dst / f"{stl.stem}_visual.stl", v2, f2)
        total_in, total_out = total_in + len(faces), total_out + len(f2)
        print(f"{stl.name}: {len(faces)} -> {len(f2)} faces")
    for stl in sorted((src / "collision").glob("*.stl")):
        (dst / f"{stl.stem}_collision.stl").write_bytes(stl.read_bytes())
    print(f"visual total: {total_in} -> {total_out} faces")


if __name__ == "__main__":
    main()
