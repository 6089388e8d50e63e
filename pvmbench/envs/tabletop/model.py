"""Builds the table-top MuJoCo model once per env: scene, Panda, goal marker and object slots.

Objects live in a fixed number of *slots* (free bodies). Every slot holds one geom per object in
the pool, all hidden and non-colliding but one; swapping the object in a slot flips group and
contype flags and writes the body's mass and inertia. No recompile is ever needed at reset.
"""

from __future__ import annotations

import dataclasses

import mujoco
import numpy as np

from pvmbench.envs.tabletop import panda_xml
from pvmbench.envs.tabletop.object_asset import ObjectAsset
from pvmbench.envs.tabletop.robots import (
    MENAGERIE,
    SHIPPED,
    RobotLayout,
    attach_menagerie_panda,
    menagerie_panda,
)

N_SLOTS = 4  # the target plus up to three distractors
TABLE_HALF = (0.45, 0.6)
ROBOT_BASE = (-0.55, 0.0, 0.0)
TEXTURE_SIZE = 256
VISIBLE_GROUP, HIDDEN_GROUP = 1, 5
PHYSICS_TIMESTEP = 0.002
MIN_OBJECT_MASS = 0.05  # kg

_SCENE_XML = """
<mujoco model="pvmbench_tabletop">
  <compiler angle="radian" autolimits="true"/>
  <option timestep="{timestep}" cone="elliptic" impratio="10" integrator="implicitfast"/>
  <visual>
    <quality shadowsize="0" offsamples="0"/>
    <global offwidth="512" offheight="512" fovy="45"/>
    <headlight ambient="0.3 0.3 0.3" diffuse="0.4 0.4 0.4" specular="0.1 0.1 0.1"/>
    <map znear="0.01" zfar="20"/>
  </visual>
  <default>
    {panda_defaults}
  </default>
  <asset>
    <texture name="table_tex" type="2d" builtin="checker" width="{tex}" height="{tex}"
             rgb1="0.6 0.5 0.4" rgb2="0.5 0.4 0.3"/>
    <material name="table_mat" texture="table_tex" texrepeat="1 1" specular="0.1" shininess="0.1"/>
    <material name="table_side" rgba="0.35 0.3 0.25 1"/>
    <material name="floor_mat" rgba="0.45 0.45 0.48 1"/>
    <material name="wall_mat" rgba="0.7 0.72 0.75 1"/>
    <material name="pedestal_mat" rgba="0.25 0.25 0.27 1"/>
    {panda_assets}
  </asset>
  <worldbody>
    <light name="key" directional="true" pos="0 0 2" dir="0.3 0.2 -1" diffuse="0.6 0.6 0.6"
           specular="0.1 0.1 0.1" castshadow="false"/>
    <geom name="floor" type="plane" pos="0 0 -0.75" size="3 3 0.1" material="floor_mat" contype="0" conaffinity="0"/>
    <geom name="wall" type="box" pos="1.4 0 0" size="0.02 3 1.5" material="wall_mat" contype="0" conaffinity="0"/>
    <geom name="table_top" type="plane" pos="0 0 0" size="{tx} {ty} 0.01" material="table_mat"
          contype="1" conaffinity="1" friction="0.8 0.005 0.0001"/>
    <geom name="table_body" type="box" pos="0 0 -0.376" size="{tx} {ty} 0.375" material="table_side"
          contype="0" conaffinity="0"/>
    <geom name="pedestal" type="cylinder" pos="{bx} {by} -0.01" size="0.1 0.01" material="pedestal_mat"
          contype="0" conaffinity="0"/>
    <camera name="front" pos="0.85 0 0.65" xyaxes="0.0000 1.0000 0.0000 -0.4506 0.0000 0.8927" fovy="55"/>
    {panda_body}
    <body name="goal" mocap="true" pos="0 0 0.2">
      <geom name="goal_marker" type="sphere" size="0.02" rgba="0.1 0.85 0.2 0.6" contype="0"
            conaffinity="0" group="2"/>
    </body>
  </worldbody>
  <actuator>
    {panda_actuators}
  </actuator>
</mujoco>
"""


@dataclasses.dataclass
class TableTopModel:
    """The compiled model plus the id tables that reset and reward code index into."""

    model: mujoco.MjModel
    objects: tuple[ObjectAsset, ...]
    slot_bodies: np.ndarray  # (N_SLOTS,) body ids
    slot_qpos: np.ndarray  # (N_SLOTS,) qpos address of each slot's free joint
    slot_dof: np.ndarray  # (N_SLOTS,) dof address of each slot's free joint
    slot_geoms: np.ndarray  # (N_SLOTS, n_objects, 2): visual geom id, collision geom id
    object_inertia: dict[str, np.ndarray]  # per object: mass, ipos(3), iquat(4), inertia(3)
    object_materials: np.ndarray  # (n_objects,) material id, one per object
    robot: RobotLayout
    arm_qpos: np.ndarray
    arm_dof: np.ndarray
    arm_actuators: np.ndarray
    gripper_actuators: np.ndarray
    finger_qpos: np.ndarray
    finger_geoms: dict[str, np.ndarray]  # "left"/"right" -> geom ids of each finger's pads
    tcp_site: int
    goal_mocap: int
    table_texture: int
    key_light: int
    cameras: dict[str, int]

    def object_index(self, name: str) -> int:
        return self._names[name]

    def __post_init__(self) -> None:
        self._names = {o.name: i for i, o in enumerate(self.objects)}


def build_model(objects: tuple[ObjectAsset, ...]) -> TableTopModel:
    menagerie = menagerie_panda()
    shipped = menagerie is None
    xml = _SCENE_XML.format(
        timestep=PHYSICS_TIMESTEP,
        panda_defaults=panda_xml.panda_defaults_xml() if shipped else "",
        panda_assets=panda_xml.panda_assets_xml() if shipped else "",
        panda_body=panda_xml.panda_body_xml(" ".join(map(str, ROBOT_BASE))) if shipped else "",
        panda_actuators=panda_xml.panda_actuators_xml() if shipped else "",
        tex=TEXTURE_SIZE,
        tx=TABLE_HALF[0],
        ty=TABLE_HALF[1],
        bx=ROBOT_BASE[0],
        by=ROBOT_BASE[1],
    )
    spec = mujoco.MjSpec.from_string(xml)
    if not shipped:
        attach_menagerie_panda(spec, menagerie, ROBOT_BASE)
    _add_object_assets(spec, objects)
    for slot in range(N_SLOTS):
        _add_slot(spec, slot, objects)
    model = spec.compile()
    # Broadphase filters bodies by the OR of their geoms' flags, taken at compile time while every
    # slot geom was off; slots must stay eligible for collision whichever object they hold.
    for slot in range(N_SLOTS):
        body = model.body(f"slot{slot}").id
        model.body_contype[body] = model.body_conaffinity[body] = 1
        # The placeholder inertia sits at the body origin, so the compiler marked the body as
        # "inertia frame = body frame" and simple; an object's own centre of mass and principal
        # axes, written at reset, would then be ignored and the integration blows up.
        model.body_sameframe[body] = 0
        model.body_simple[body] = 0
    return _index(model, objects, SHIPPED if shipped else MENAGERIE)


def _add_object_assets(spec: mujoco.MjSpec, objects: tuple[ObjectAsset, ...]) -> None:
    for obj in objects:
        material = spec.add_material(name=f"mat_{obj.name}")
        material.rgba = list(obj.rgba)
        material.specular = 0.3
        if obj.texture_png is not None:
            spec.add_texture(name=f"tex_{obj.name}", type=mujoco.mjtTexture.mjTEXTURE_2D, file=str(obj.texture_png))
            material.textures[mujoco.mjtTextureRole.mjTEXROLE_RGB] = f"tex_{obj.name}"
        col = spec.add_mesh(name=f"col_{obj.name}")
        col.uservert = np.asarray(obj.collision_vertices, dtype=np.float64).ravel().tolist()
        if obj.visual_obj is not None:
            viz = spec.add_mesh(name=f"viz_{obj.name}", file=str(obj.visual_obj))
            viz.refpos = [-c for c in obj.visual_offset]
        elif obj.visual_vertices is not obj.collision_vertices:
            viz = spec.add_mesh(name=f"viz_{obj.name}")
            viz.uservert = np.asarray(obj.visual_vertices, dtype=np.float64).ravel().tolist()
            viz.userface = np.asarray(obj.visual_faces, dtype=np.int32).ravel().tolist()


def _add_slot(spec: mujoco.MjSpec, slot: int, objects: tuple[ObjectAsset, ...]) -> None:
    body = spec.worldbody.add_body(name=f"slot{slot}", pos=[2.0 + slot, 2.0, -0.5])
    body.add_freejoint(name=f"slot{slot}_joint")
    # Placeholder inertia; the real one is written per object at reset.
    body.explicitinertial = True
    body.mass = 0.1
    body.inertia = [1e-4, 1e-4, 1e-4]
    for obj in objects:
        has_own_visual = obj.visual_obj is not None or obj.visual_vertices is not obj.collision_vertices
        col = body.add_geom(name=f"s{slot}_col_{obj.name}", type=mujoco.mjtGeom.mjGEOM_MESH,
                            meshname=f"col_{obj.name}", material=f"mat_{obj.name}")
        col.contype, col.conaffinity, col.group = 0, 0, HIDDEN_GROUP
        col.condim, col.friction = 4, [1.0, 0.01, 0.0001]
        col.solref, col.solimp = [0.01, 1.0], [0.95, 0.99, 0.001, 0.5, 2.0]
        if has_own_visual:
            viz = body.add_geom(name=f"s{slot}_viz_{obj.name}", type=mujoco.mjtGeom.mjGEOM_MESH,
                                meshname=f"viz_{obj.name}", material=f"mat_{obj.name}")
            viz.contype, viz.conaffinity, viz.group = 0, 0, HIDDEN_GROUP


def _index(model: mujoco.MjModel, objects: tuple[ObjectAsset, ...], robot: RobotLayout) -> TableTopModel:
    def gid(name: str) -> int:
        return mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, name)

    slot_bodies = np.array([model.body(f"slot{s}").id for s in range(N_SLOTS)])
    slot_joints = [model.joint(f"slot{s}_joint") for s in range(N_SLOTS)]
    geoms = np.zeros((N_SLOTS, len(objects), 2), dtype=np.int64)
    for s in range(N_SLOTS):
        for i, obj in enumerate(objects):
            col = gid(f"s{s}_col_{obj.name}")
            viz = gid(f"s{s}_viz_{obj.name}")
            geoms[s, i] = (viz if viz >= 0 else col, col)
    arm_j = [model.joint(j) for j in robot.arm_joints]
    fin_j = [model.joint(j) for j in robot.finger_joints]

    def pad_geoms(body: str) -> np.ndarray:
        bid = model.body(body).id
        return np.array([g for g in range(model.ngeom) if model.geom_bodyid[g] == bid and model.geom_contype[g]])

    return TableTopModel(
        model=model,
        objects=objects,
        slot_bodies=slot_bodies,
        slot_qpos=np.array([j.qposadr[0] for j in slot_joints]),
        slot_dof=np.array([j.dofadr[0] for j in slot_joints]),
        slot_geoms=geoms,
        object_inertia=_object_inertia(objects),
        object_materials=np.array([model.material(f"mat_{o.name}").id for o in objects]),
        robot=robot,
        arm_qpos=np.array([j.qposadr[0] for j in arm_j]),
        arm_dof=np.array([j.dofadr[0] for j in arm_j]),
        arm_actuators=np.array([model.actuator(a).id for a in robot.arm_actuators]),
        gripper_actuators=np.array([model.actuator(a).id for a in robot.gripper_actuators]),
        finger_qpos=np.array([j.qposadr[0] for j in fin_j]),
        finger_geoms={"left": pad_geoms(robot.finger_bodies[0]), "right": pad_geoms(robot.finger_bodies[1])},
        tcp_site=model.site(robot.tcp_site).id,
        goal_mocap=int(model.body_mocapid[model.body("goal").id]),
        table_texture=model.texture("table_tex").id,
        key_light=model.light("key").id,
        cameras={"wrist": model.camera(robot.wrist_camera).id, "front": model.camera("front").id},
    )


def _object_inertia(objects: tuple[ObjectAsset, ...]) -> dict[str, np.ndarray]:
    """Mass properties of each object alone, from MuJoCo's own mesh-inertia computation."""
    spec = mujoco.MjSpec()
    for obj in objects:
        mesh = spec.add_mesh(name=obj.name)
        mesh.uservert = np.asarray(obj.collision_vertices, dtype=np.float64).ravel().tolist()
        body = spec.worldbody.add_body(name=obj.name)
        body.add_freejoint()
        geom = body.add_geom(type=mujoco.mjtGeom.mjGEOM_MESH, meshname=obj.name)
        geom.density = obj.density
    model = spec.compile()
    out = {}
    for obj in objects:
        b = model.body(obj.name).id
        # Tiny shapes would weigh a few grams; a floor on mass and inertia keeps the grasp contact
        # (fingers squeeze with up to 40 N) numerically stable at a 2 ms timestep.
        scale = max(1.0, MIN_OBJECT_MASS / model.body_mass[b])
        out[obj.name] = np.concatenate(
            [[model.body_mass[b] * scale], model.body_ipos[b], model.body_iquat[b], model.body_inertia[b] * scale]
        )
    return out
