"""What a YCB object's collision geom costs MuJoCo: the full ~16k-face scan vs the ~200-face
simplification that `load_ycb_objects` returns. Measurements only, no timing assertions.

    python -m pytest tests/perf/test_ycb_collision_cost.py --benchmark-enable -q

The scene is a plane plus one free body whose only geom is the collision mesh (no visual mesh, so
the OBJ parse of the visual does not blur the comparison). Both meshes are handed to MuJoCo as
arrays, so neither variant hits MuJoCo's compile-time asset cache for files.
"""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from pvmbench.envs.tabletop.ycb import load_ycb_objects, read_obj
from tests.ycb_fixture import make_ycb_fixture

pytestmark = pytest.mark.perf

NAME = "002_master_chef_can"
SCAN_FACES = 16000  # about what a real google_16k scan has
VARIANTS = ("full_16k", "simplified_200")


@pytest.fixture(scope="module")
def meshes(tmp_path_factory) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """variant -> (vertices in the object frame, triangles or None for a vertex-only hull)."""
    root = make_ycb_fixture(tmp_path_factory.mktemp("ycb"), [NAME], faces=SCAN_FACES)
    (asset,) = load_ycb_objects([NAME], root, collision_faces=200)
    verts, tris = read_obj(asset.visual_obj)
    return {
        "full_16k": (verts + np.asarray(asset.visual_offset), tris),
        "simplified_200": (np.asarray(asset.collision_vertices), None),
    }


def _scene(verts: np.ndarray, tris: np.ndarray | None) -> mujoco.MjSpec:
    spec = mujoco.MjSpec()
    mesh = spec.add_mesh(name="collision", uservert=verts.ravel().tolist())
    if tris is not None:
        mesh.userface = tris.ravel().tolist()
    spec.worldbody.add_geom(type=mujoco.mjtGeom.mjGEOM_PLANE, size=[1, 1, 0.1])
    body = spec.worldbody.add_body(name="obj", pos=[0, 0, 0.005])
    body.add_freejoint()
    body.add_geom(type=mujoco.mjtGeom.mjGEOM_MESH, meshname="collision", density=500)
    return spec


@pytest.mark.parametrize("variant", VARIANTS)
def test_compile_time(benchmark, meshes, variant):
    verts, tris = meshes[variant]
    # A fresh spec each round: only compile() is timed, never reused compiler state.
    model = benchmark.pedantic(
        lambda spec: spec.compile(), setup=lambda: ((_scene(verts, tris),), {}), rounds=10, warmup_rounds=1
    )
    benchmark.extra_info.update(input_vertices=len(verts), hull_vertices=int(model.mesh_vertnum[0]))


@pytest.mark.parametrize("variant", VARIANTS)
def test_step_time_resting(benchmark, meshes, variant):
    model = _scene(*meshes[variant]).compile()
    data = mujoco.MjData(model)
    for _ in range(int(0.5 / model.opt.timestep)):  # settle, so every timed step is a resting contact
        mujoco.mj_step(model, data)
    benchmark(mujoco.mj_step, model, data)
    benchmark.extra_info.update(contacts=int(data.ncon), hull_vertices=int(model.mesh_vertnum[0]))
    # Not a timing check: the measurement only means something if the object really sat on the plane.
    assert abs(data.xpos[model.body("obj").id][2]) < 5e-3
