"""load_ycb_objects: the YCB layout, the object frame, the failure messages, and what MuJoCo makes of it."""

from __future__ import annotations

import os

os.environ.setdefault("MUJOCO_GL", "egl")  # before mujoco is imported: headless rendering

import re
import shutil
import warnings

import mujoco
import numpy as np
import pytest

from pvmbench.envs.tabletop.ycb import YCB_DIR_ENV, YCB_OBJECT_IDS, load_ycb_objects, read_obj
from pvmbench.errors import UserError
from tests.ycb_fixture import make_ycb_fixture

NAMES = ["002_master_chef_can", "003_cracker_box", "025_mug"]


@pytest.fixture
def ycb_root(tmp_path):
    return make_ycb_fixture(tmp_path / "ycb", NAMES)


def _folder(root, name):
    return root / name / "google_16k"


def test_loads_each_object_with_its_files(ycb_root):
    assets = load_ycb_objects(NAMES, ycb_root)
    assert [a.name for a in assets] == NAMES
    for a in assets:
        assert a.visual_obj == _folder(ycb_root, a.name) / "textured.obj"
        assert a.texture_png == _folder(ycb_root, a.name) / "texture_map.png"
        assert a.rgba == (1.0, 1.0, 1.0, 1.0)
    assert len({a.collision_vertices.shape for a in assets} | {a.visual_offset for a in assets}) > 1


def test_collision_vertices_sit_on_z0_centred_in_xy(ycb_root):
    for a in load_ycb_objects(NAMES, ycb_root):
        v = a.collision_vertices
        lo, hi = v.min(axis=0), v.max(axis=0)
        assert lo[2] == pytest.approx(0.0, abs=1e-9)
        np.testing.assert_allclose((lo[:2] + hi[:2]) / 2, 0.0, atol=1e-9)
        assert hi[2] > 0.02  # a real object, not a flattened one


def test_visual_offset_moves_the_scan_into_the_same_frame(ycb_root):
    for a in load_ycb_objects(NAMES, ycb_root):
        assert a.visual_offset[2] < -0.01  # the fixture's origin is well above its base
        verts, _ = read_obj(a.visual_obj)
        moved = verts + np.asarray(a.visual_offset)
        lo, hi = moved.min(axis=0), moved.max(axis=0)
        # The hull comes from a simplified mesh, so the full scan agrees up to the simplification error.
        assert lo[2] == pytest.approx(0.0, abs=2e-3)
        np.testing.assert_allclose((lo[:2] + hi[:2]) / 2, 0.0, atol=3e-3)
        np.testing.assert_allclose(hi - lo, np.ptp(a.collision_vertices, axis=0), atol=5e-3)


@pytest.mark.parametrize("budget", [60, 200])
def test_collision_face_budget_bounds_the_hull(ycb_root, budget):
    full, _ = read_obj(_folder(ycb_root, NAMES[0]) / "textured.obj")
    (a,) = load_ycb_objects(NAMES[:1], ycb_root, collision_faces=budget)
    # A closed triangle mesh with F faces has F/2 + 2 vertices.
    assert len(a.collision_vertices) <= budget // 2 + 10
    assert len(a.collision_vertices) < len(full) / 5


def test_collision_hull_keeps_the_scan_size(tmp_path):
    # At scan resolution (16k faces down to 200) the hull must still be the object's size: a
    # careless decimation setting moved points by up to 2 cm here.
    root = make_ycb_fixture(tmp_path, NAMES, faces=16000)
    for a in load_ycb_objects(NAMES, root):
        verts, _ = read_obj(a.visual_obj)
        np.testing.assert_allclose(np.ptp(a.collision_vertices, axis=0), np.ptp(verts, axis=0), atol=1.5e-3)


def test_result_is_cached_until_the_file_changes(ycb_root):
    (first,) = load_ycb_objects(NAMES[:1], ycb_root)
    (again,) = load_ycb_objects(NAMES[:1], ycb_root)
    assert again.collision_vertices is first.collision_vertices
    assert not first.collision_vertices.flags.writeable  # shared between callers, so read-only
    obj = _folder(ycb_root, NAMES[0]) / "textured.obj"
    os.utime(obj, ns=(obj.stat().st_atime_ns, obj.stat().st_mtime_ns + 10**9))
    (edited,) = load_ycb_objects(NAMES[:1], ycb_root)
    assert edited.collision_vertices is not first.collision_vertices


def test_missing_objects_warn_once_and_the_rest_load(ycb_root):
    (_folder(ycb_root, "025_mug") / "texture_map.png").unlink()
    names = ["002_master_chef_can", "099_not_there", "025_mug", "003_cracker_box"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assets = load_ycb_objects(names, ycb_root)
    assert [a.name for a in assets] == ["002_master_chef_can", "003_cracker_box"]
    user_warnings = [w for w in caught if issubclass(w.category, UserWarning)]
    assert len(user_warnings) == 1
    message = str(user_warnings[0].message)
    assert "099_not_there" in message and "025_mug" in message and "texture_map.png" in message
    assert "002_master_chef_can" not in message


def test_all_missing_is_a_user_error_naming_the_directory(ycb_root):
    shutil.rmtree(ycb_root / "003_cracker_box" / "google_16k")
    with pytest.warns(UserWarning), pytest.raises(UserError) as err:
        load_ycb_objects(["003_cracker_box", "099_not_there"], ycb_root)
    assert str(ycb_root) in str(err.value)
    assert "none of the requested" in str(err.value)


def test_root_from_env_var(ycb_root, monkeypatch):
    monkeypatch.setenv(YCB_DIR_ENV, str(ycb_root))
    assert [a.name for a in load_ycb_objects(NAMES[:1])] == NAMES[:1]


def test_env_var_unset_is_a_one_line_user_error(monkeypatch):
    monkeypatch.delenv(YCB_DIR_ENV, raising=False)
    with pytest.raises(UserError, match=YCB_DIR_ENV) as err:
        load_ycb_objects(NAMES)
    assert "google_16k/textured.obj" in str(err.value) and "\n" not in str(err.value)


def test_root_that_is_not_a_directory(tmp_path):
    not_dir = tmp_path / "ycb.tar"
    not_dir.write_bytes(b"")
    with pytest.raises(UserError, match=re.escape(str(not_dir))):
        load_ycb_objects(NAMES, not_dir)


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\nf 1 2 9\n", 5),  # index past the end
        ("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 0\n", 4),  # OBJ indices start at 1
        ("v 0 0 0\nv 1 0 0\nf -1 -2 -3\nv 0 1 0\n", 3),  # relative index before the 3rd vertex exists
        ("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 x\n", 4),
        ("v 0 0 0\nv 1 0\nv 0 1 0\nf 1 2 3\n", 2),
        ("v 0 0 0\nv 1 0 0\nv 0 nan 0\nf 1 2 3\n", 3),
    ],
)
def test_malformed_obj_names_file_and_line(ycb_root, body, line):
    obj = _folder(ycb_root, "025_mug") / "textured.obj"
    obj.write_text(body)
    with pytest.raises(UserError, match=re.escape(f"{obj}:{line}:")):
        load_ycb_objects(["025_mug"], ycb_root)


def test_obj_without_vertices_names_the_file(ycb_root):
    obj = _folder(ycb_root, "025_mug") / "textured.obj"
    obj.write_text("# empty scan\nmtllib textured.mtl\n")
    with pytest.raises(UserError, match=re.escape(str(obj))):
        load_ycb_objects(["025_mug"], ycb_root)


def test_obj_reader_face_forms_and_fan_triangulation(tmp_path):
    obj = tmp_path / "forms.obj"
    obj.write_text(
        "v 0 0 0\nv 1 0 0 1.0\nv 1 1 0\nv 0 1 0\nv 0 2 0\nvt 0 0\nvn 0 0 1\n"
        "f 1//1 2//1 3//1 4//1\n"  # quad, a//c
        "f 1/1 2/1 3/1\n"  # a/b
        "f 1/1/1 3/1/1 4/1/1\n"  # a/b/c
        "f -5 -4 -3 -2 -1\n"  # pentagon, indices relative to the last vertex
    )
    verts, tris = read_obj(obj)
    assert verts.shape == (5, 3)
    expected = [[0, 1, 2], [0, 2, 3], [0, 1, 2], [0, 2, 3], [0, 1, 2], [0, 2, 3], [0, 3, 4]]
    np.testing.assert_array_equal(tris, expected)


def test_object_id_list():
    assert len(YCB_OBJECT_IDS) == 74 == len(set(YCB_OBJECT_IDS))
    assert list(YCB_OBJECT_IDS) == sorted(YCB_OBJECT_IDS)
    assert all(re.fullmatch(r"\d{3}(-[a-z])?_[a-z_]+", n) for n in YCB_OBJECT_IDS)
    assert {"002_master_chef_can", "063-a_marbles", "065-a_cups", "073-a_lego_duplo"} <= set(YCB_OBJECT_IDS)


# The recipe that works (MuJoCo 4.0), as MJCF; `scene()` below is the same thing through MjSpec:
#   <texture name="tex" type="2d" file="/abs/.../texture_map.png"/>
#   <material name="mat" texture="tex" rgba="1 1 1 1"/>      (texture -> RGB role)
#   <mesh name="vis" file="/abs/.../textured.obj" refpos="-ox -oy -oz"/>   (refpos = -visual_offset)
#   <mesh name="col" vertex="x y z x y z ..."/>              (collision_vertices, already object frame)
#   <body pos="x y 0"><freejoint/>
#     <geom type="mesh" mesh="vis" material="mat" contype="0" conaffinity="0" group="2" density="0"/>
#     <geom type="mesh" mesh="col" group="3" density="500"/>
#   </body>
# MuJoCo re-centres every mesh at compile time (mesh_vert is about the mesh centroid, mesh_pos holds
# the shift) but folds that shift into geom_pos/geom_quat, so each vertex still lands at
# (OBJ coordinate - refpos) in the body frame. Giving the visual geom pos=visual_offset instead of
# refpos lands in the same place. The body origin is then the object's base centre; density="0" keeps
# the visual scan out of the mass, which comes from the collision hull alone.
def scene(asset, body_z: float = 0.01) -> mujoco.MjSpec:
    spec = mujoco.MjSpec()
    spec.add_texture(name="tex", type=mujoco.mjtTexture.mjTEXTURE_2D, file=str(asset.texture_png))
    material = spec.add_material(name="mat", rgba=list(asset.rgba))
    material.textures[mujoco.mjtTextureRole.mjTEXROLE_RGB] = "tex"
    spec.add_mesh(name="vis", file=str(asset.visual_obj), refpos=[-c for c in asset.visual_offset])
    spec.add_mesh(name="col", uservert=np.asarray(asset.collision_vertices).ravel().tolist())
    spec.worldbody.add_geom(type=mujoco.mjtGeom.mjGEOM_PLANE, size=[1, 1, 0.1], rgba=[0.5, 0.5, 0.5, 1])
    body = spec.worldbody.add_body(name="obj", pos=[0, 0, body_z])
    body.add_freejoint()
    mesh = mujoco.mjtGeom.mjGEOM_MESH
    body.add_geom(name="visual", type=mesh, meshname="vis", material="mat", contype=0, conaffinity=0, group=2,
                  density=0)  # fmt: skip
    body.add_geom(name="collision", type=mesh, meshname="col", group=3, density=asset.density)
    return spec


def _lowest_z(model, data, geom_name):
    geom = model.geom(geom_name)
    start, count = model.mesh_vertadr[geom.dataid[0]], model.mesh_vertnum[geom.dataid[0]]
    local = model.mesh_vert[start : start + count]
    world = data.geom_xpos[geom.id] + local @ data.geom_xmat[geom.id].reshape(3, 3).T
    return world[:, 2].min()


@pytest.fixture
def settled(ycb_root):
    (asset,) = load_ycb_objects(["002_master_chef_can"], ycb_root)
    model = scene(asset).compile()
    data = mujoco.MjData(model)
    for _ in range(round(1.0 / model.opt.timestep)):
        mujoco.mj_step(model, data)
    return model, data


def test_mujoco_object_rests_on_its_base(settled):
    model, data = settled
    body = model.body("obj").id
    assert model.body_mass[body] > 0.01  # mass from the collision hull, none from the visual
    assert np.abs(data.qvel).max() < 0.05  # at rest after 1 s
    assert data.xmat[body][8] > 0.99  # still upright
    assert abs(data.xpos[body][2]) < 2e-3  # the body origin is the object's base
    assert abs(_lowest_z(model, data, "collision")) < 2e-3
    assert abs(_lowest_z(model, data, "visual")) < 3e-3  # the rendered scan sits on the plane too


def test_mujoco_renders_the_textured_object(settled):
    model, data = settled
    camera = mujoco.MjvCamera()
    camera.lookat[:], camera.distance, camera.elevation, camera.azimuth = (0, 0, 0.04), 0.35, -20, 180
    frames = []
    for show_object in (True, False):
        option = mujoco.MjvOption()
        option.geomgroup[2] = show_object
        try:
            renderer = mujoco.Renderer(model, 64, 64)
        except Exception as err:  # no EGL on this machine: nothing about YCB to test here
            pytest.skip(f"no offscreen OpenGL ({os.environ.get('MUJOCO_GL')}): {err}")
        with renderer:
            renderer.update_scene(data, camera=camera, scene_option=option)
            frames.append(renderer.render().astype(int))
    with_object, background = frames
    changed = np.abs(with_object - background).sum(axis=-1) > 30
    assert changed.mean() > 0.03, "the object covers almost no pixels"
    pixels = with_object[changed]
    # The material is white, so colour in the object pixels can only come from the texture.
    assert (pixels.max(axis=1) - pixels.min(axis=1)).mean() > 40
