"""The embedded highway scene as MJCF: road, rails, trees, lamps, sky, 40 cars and the ego car.

Everything that moves is a mocap body, placed each tick from the numpy traffic simulation;
MuJoCo is used only to render. Scenery follows the ego car on a treadmill (road in whole
texture tiles, trees and lamps at fixed world spacing), so the scene stays small (about 250
geoms) however far the car drives. Lights: the sun, two ego headlights and three street lamps,
plus MuJoCo's headlight as ambient fill: 7 of the 8 lights MuJoCo renders.
"""

from __future__ import annotations

import dataclasses

import mujoco
import numpy as np

from pvmbench.envs.driving.traffic import CAR_LENGTH, CAR_WIDTH, LANE_WIDTH

ROAD_HALF_LENGTH = 120.0
ROAD_TILE = 12.0  # metres of road per texture repeat: one dash-and-gap of the lane markings
TREE_SPACING, N_TREES_PER_SIDE = 25.0, 8
LAMP_SPACING, N_LAMPS, N_LAMP_LIGHTS = 40.0, 6, 3
TEX = 256


def road_half_width(lanes: int) -> float:
    return lanes * LANE_WIDTH / 2


def _car_xml(i: int) -> str:
    hl, hw = CAR_LENGTH / 2, CAR_WIDTH / 2
    return f"""
    <body name="car{i}" mocap="true" pos="0 0 -50">
      <geom name="car{i}_body" type="box" size="{hl} {hw} 0.42" pos="0 0 0.62" rgba="0.6 0.6 0.6 1"/>
      <geom name="car{i}_cabin" type="box" size="{hl * 0.5} {hw * 0.9} 0.3" pos="-0.3 0 1.3" material="glass"/>
      <geom type="box" size="0.05 {hw * 0.8} 0.08" pos="{hl} 0 0.75" material="headlamp"/>
      <geom type="box" size="0.05 {hw * 0.8} 0.08" pos="{-hl} 0 0.8" material="taillamp"/>
    </body>"""


def scene_xml(lanes: int, n_cars: int) -> str:
    half_w = road_half_width(lanes)
    trees = "".join(
        f"""
    <body name="tree{i}" mocap="true" pos="0 0 -50">
      <geom type="cylinder" size="0.25 1.5" pos="0 0 1.5" material="trunk"/>
      <geom type="ellipsoid" size="2.2 2.2 3.0" pos="0 0 4.5" material="crown"/>
    </body>"""
        for i in range(2 * N_TREES_PER_SIDE)
    )
    lamps = "".join(
        f"""
    <body name="lamp{i}" mocap="true" pos="0 0 -50">
      <geom type="cylinder" size="0.12 4.5" pos="0 0 4.5" material="pole"/>
      <geom type="box" size="0.1 1.4 0.08" pos="0 -1.4 9.0" material="pole"/>
      <geom name="lamp{i}_head" type="box" size="0.35 0.5 0.1" pos="0 -2.6 8.9" material="lamphead"/>
    </body>"""
        for i in range(N_LAMPS)
    )
    lamp_lights = "".join(
        f'<light name="lamp_light{i}" pos="0 0 8.6" dir="0 0 -1" cutoff="55" exponent="2" '
        f'attenuation="1 0.02 0.004" diffuse="1 0.85 0.6" specular="0.3 0.3 0.3" castshadow="false" active="false"/>'
        for i in range(N_LAMP_LIGHTS)
    )
    cars = "".join(_car_xml(i) for i in range(n_cars))
    return f"""
<mujoco model="pvmbench_highway">
  <!-- znear and zfar are fractions of the model extent: pin the extent so they are metres. -->
  <statistic extent="1" center="0 0 0"/>
  <visual>
    <quality shadowsize="0" offsamples="0"/>
    <global offwidth="512" offheight="512"/>
    <headlight active="1" ambient="0.3 0.3 0.3" diffuse="0 0 0" specular="0 0 0"/>
    <map znear="0.1" zfar="400" fogstart="0.5" fogend="1"/>
  </visual>
  <asset>
    <texture name="road_tex" type="2d" builtin="flat" width="{TEX}" height="{TEX}" rgb1="0.3 0.3 0.3"/>
    <texture name="sky_tex" type="2d" builtin="gradient" width="16" height="{TEX}" rgb1="1 1 1" rgb2="0.6 0.6 0.6"/>
    <material name="road" texture="road_tex" texrepeat="{2 * ROAD_HALF_LENGTH / ROAD_TILE:g} 1" specular="0.1" shininess="0.2"/>
    <material name="grass" rgba="0.28 0.4 0.2 1" specular="0"/>
    <material name="shoulder" rgba="0.45 0.44 0.42 1"/>
    <material name="rail" rgba="0.75 0.75 0.78 1" specular="0.5" shininess="0.6"/>
    <material name="trunk" rgba="0.35 0.25 0.15 1"/>
    <material name="crown" rgba="0.18 0.38 0.16 1"/>
    <material name="pole" rgba="0.5 0.5 0.52 1"/>
    <material name="lamphead" rgba="1 0.9 0.7 1" emission="0.2"/>
    <material name="glass" rgba="0.12 0.14 0.17 1" specular="0.8" shininess="0.9"/>
    <material name="headlamp" rgba="1 1 0.9 1" emission="0.2"/>
    <material name="taillamp" rgba="0.9 0.05 0.05 1" emission="0.2"/>
    <material name="sky" texture="sky_tex" rgba="0.5 0.7 1 1" emission="1"/>
    <material name="ego_paint" rgba="0.1 0.2 0.5 1" specular="0.4"/>
  </asset>
  <worldbody>
    <light name="sun" directional="true" pos="0 0 50" dir="0.3 0.2 -1" diffuse="0.8 0.8 0.8" specular="0.2 0.2 0.2" castshadow="false"/>
    {lamp_lights}
    <body name="ground" mocap="true">
      <geom type="plane" size="400 400 80" material="grass" contype="0" conaffinity="0"/>
    </body>
    <body name="road" mocap="true">
      <geom name="road" type="plane" size="{ROAD_HALF_LENGTH} {half_w} 3" pos="0 0 0.02" material="road"/>
      <geom type="box" size="{ROAD_HALF_LENGTH} 1.2 0.01" pos="0 {half_w + 1.2} 0.015" material="shoulder"/>
      <geom type="box" size="{ROAD_HALF_LENGTH} 1.2 0.01" pos="0 {-half_w - 1.2} 0.015" material="shoulder"/>
      <geom type="box" size="{ROAD_HALF_LENGTH} 0.08 0.18" pos="0 {half_w + 0.6} 0.65" material="rail"/>
      <geom type="box" size="{ROAD_HALF_LENGTH} 0.08 0.18" pos="0 {-half_w - 0.6} 0.65" material="rail"/>
    </body>
    <body name="sky" mocap="true">
      <geom type="box" size="1 900 260" pos="330 0 150" material="sky"/>
    </body>
    {trees}
    {lamps}
    {cars}
    <body name="ego" mocap="true">
      <geom type="box" size="{CAR_LENGTH / 2} {CAR_WIDTH / 2} 0.42" pos="0 0 0.62" material="ego_paint"/>
      <camera name="front" pos="1.3 0 1.55" xyaxes="0 -1 0 0.087 0 0.996" fovy="60"/>
      <light name="headlight_l" pos="{CAR_LENGTH / 2} 0.7 0.75" dir="1 0 -0.06" cutoff="28" exponent="8"
             attenuation="1 0.01 0.002" diffuse="1 1 0.9" specular="0.3 0.3 0.3" castshadow="false" active="false"/>
      <light name="headlight_r" pos="{CAR_LENGTH / 2} -0.7 0.75" dir="1 0 -0.06" cutoff="28" exponent="8"
             attenuation="1 0.01 0.002" diffuse="1 1 0.9" specular="0.3 0.3 0.3" castshadow="false" active="false"/>
    </body>
  </worldbody>
</mujoco>"""


@dataclasses.dataclass
class HighwayModel:
    model: mujoco.MjModel
    n_cars: int
    lanes: int
    mocap: dict[str, int]
    cars: np.ndarray  # mocap ids
    car_body_geoms: np.ndarray
    trees: np.ndarray
    lamps: np.ndarray
    lamp_lights: np.ndarray
    headlights: np.ndarray
    sun: int
    camera: int
    road_texture: int
    road_material: int
    materials: dict[str, int]


def build_highway(lanes: int = 4, n_cars: int = 40) -> HighwayModel:
    model = mujoco.MjModel.from_xml_string(scene_xml(lanes, n_cars))

    def mocap(name: str) -> int:
        return int(model.body_mocapid[model.body(name).id])

    return HighwayModel(
        model=model,
        n_cars=n_cars,
        lanes=lanes,
        mocap={name: mocap(name) for name in ("ground", "road", "sky", "ego")},
        cars=np.array([mocap(f"car{i}") for i in range(n_cars)]),
        car_body_geoms=np.array([model.geom(f"car{i}_body").id for i in range(n_cars)]),
        trees=np.array([mocap(f"tree{i}") for i in range(2 * N_TREES_PER_SIDE)]),
        lamps=np.array([mocap(f"lamp{i}") for i in range(N_LAMPS)]),
        lamp_lights=np.array([model.light(f"lamp_light{i}").id for i in range(N_LAMP_LIGHTS)]),
        headlights=np.array([model.light("headlight_l").id, model.light("headlight_r").id]),
        sun=model.light("sun").id,
        camera=model.camera("front").id,
        road_texture=model.texture("road_tex").id,
        road_material=model.material("road").id,
        materials={name: model.material(name).id for name in ("sky", "headlamp", "taillamp", "lamphead", "road")},
    )


def road_texture(lanes: int, wetness: float, seed: int = 0) -> np.ndarray:
    """Asphalt with lane markings, one ROAD_TILE long (u along the road, v across it).

    Wetness darkens the asphalt and adds puddles; markings stay visible, as on a real wet road.
    """
    rng = np.random.default_rng(seed)
    v, u = np.meshgrid(np.linspace(0, 1, TEX, endpoint=False), np.linspace(0, 1, TEX, endpoint=False), indexing="ij")
    grain = rng.normal(0, 0.025, (TEX, TEX))
    asphalt = 0.34 + grain
    asphalt *= 1.0 - 0.45 * wetness
    if wetness > 0:
        blobs = np.zeros((TEX, TEX))
        for _ in range(5):
            cu, cv, r = rng.uniform(0, 1), rng.uniform(0.05, 0.95), rng.uniform(0.04, 0.12)
            blobs += np.exp(-(((u - cu) / (2.5 * r)) ** 2 + ((v - cv) / r) ** 2))
        asphalt = asphalt * (1 - 0.6 * wetness * np.clip(blobs, 0, 1))
    image = np.repeat(asphalt[..., None], 3, axis=2)
    line_half = 0.012 * 4 / lanes
    for k in range(1, lanes):  # dashed lines between lanes: 3 m of paint per 12 m tile
        centre = k / lanes
        mask = (np.abs(v - centre) < line_half) & (u < 0.25)
        image[mask] = 0.85
    for edge in (0.02, 0.98):  # solid edge lines
        image[np.abs(v - edge) < line_half] = 0.85
    return (np.clip(image, 0, 1) * 255).astype(np.uint8)
