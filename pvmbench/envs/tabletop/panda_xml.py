"""The Franka Panda as an MJCF fragment, following the gymnasium-robotics wheel's chain.xml.

Differences from the wheel, and why:
- arm bodies have gravity compensation, so a stiff joint-position servo tracks IK targets
  without sag at 10 Hz control;
- only the wrist, hand and fingers collide: the 4-D task never brings the upper arm near the
  table, and skipping those hulls keeps physics cheap;
- joint damping and finger armature are lowered so a 0.1 s control step actually moves the arm.
"""

from __future__ import annotations

import pathlib

PANDA_ASSETS = pathlib.Path(__file__).parent / "assets" / "panda"

FINGER_JOINTS = ("panda_finger_left", "panda_finger_right")
FINGER_MAX = 0.04  # metres of travel per finger: an 8 cm maximum opening

_LINKS = ("link0", "link1", "link2", "link3", "link4", "link5", "link6", "link7", "hand", "finger")

_FINGER_PADS = """
            <geom size="0.0070" fromto=".009 {s}.006 .0875   -.009 {s}.009 .0875" type="capsule"/>
            <geom size="0.0082" fromto=".009 {s}.008 .0675   -.009 {s}.011 .0675" type="capsule"/>
            <geom size="0.0100" fromto=".009 {s}.0105 .0475   -.009 {s}.0135 .0475" type="capsule"/>
            <geom size="0.0185 0.0120 0.0175" pos="0 {s}.014 0.015" type="box"/>"""


def panda_assets_xml() -> str:
    mesh_dir = PANDA_ASSETS
    lines = []
    for link in _LINKS:
        lines.append(f'<mesh name="{link}_viz" file="{mesh_dir / (link + "_visual.stl")}"/>')
        if link != "finger":
            lines.append(f'<mesh name="{link}_col" file="{mesh_dir / (link + "_collision.stl")}"/>')
    lines.append('<material name="panda_white" rgba="0.93 0.93 0.92 1" specular="0.3" shininess="0.3"/>')
    lines.append('<material name="panda_dark" rgba="0.15 0.15 0.17 1" specular="0.3"/>')
    return "\n".join(lines)


def panda_defaults_xml() -> str:
    return """
    <default class="panda">
      <joint pos="0 0 0" axis="0 0 1" limited="true" damping="5" armature="0.1"/>
      <position ctrllimited="true" forcelimited="true"/>
      <default class="panda_viz">
        <geom contype="0" conaffinity="0" group="1" type="mesh" mass="0" material="panda_white"/>
      </default>
      <default class="panda_col">
        <geom contype="0" conaffinity="0" group="3" type="mesh" mass="0"/>
      </default>
      <default class="panda_col_active">
        <geom contype="1" conaffinity="1" group="3" type="mesh" mass="0"/>
      </default>
      <default class="panda_finger">
        <joint damping="10" armature="0.05"/>
        <geom friction="1.5 0.05 0.0001" solref="0.01 1" solimp="0.9 0.95 0.001" margin="0.001"
              contype="1" conaffinity="0" condim="4" group="3" rgba="0.5 0.6 0.7 1"/>
      </default>
    </default>"""


def panda_body_xml(base_pos: str) -> str:
    inertial = {
        "link1": 2.7063, "link2": 2.73046, "link3": 2.04104, "link4": 2.08129,
        "link5": 3.00049, "link6": 1.3235, "link7": 1.0,
    }

    def inert(link: str) -> str:
        m = inertial[link]
        d = 0.01 * m
        return f'<inertial pos="0 0 0" mass="{m}" diaginertia="{d} {d} {d}"/>'

    left = _FINGER_PADS.format(s="")
    right = _FINGER_PADS.format(s="-")
    return f"""
    <body name="panda_link0" pos="{base_pos}" childclass="panda">
      <geom class="panda_viz" mesh="link0_viz"/>
      <body name="panda_link1" pos="0 0 0.333" gravcomp="1">
        {inert("link1")}
        <joint name="panda_joint1" range="-2.8973 2.8973"/>
        <geom class="panda_viz" mesh="link1_viz"/>
        <body name="panda_link2" quat="0.707107 -0.707107 0 0" gravcomp="1">
          {inert("link2")}
          <joint name="panda_joint2" range="-1.7628 1.7628"/>
          <geom class="panda_viz" mesh="link2_viz"/>
          <body name="panda_link3" pos="0 -0.316 0" quat="0.707107 0.707107 0 0" gravcomp="1">
            {inert("link3")}
            <joint name="panda_joint3" range="-2.8973 2.8973"/>
            <geom class="panda_viz" mesh="link3_viz"/>
            <body name="panda_link4" pos="0.0825 0 0" quat="0.707107 0.707107 0 0" gravcomp="1">
              {inert("link4")}
              <joint name="panda_joint4" range="-3.0718 -0.4"/>
              <geom class="panda_viz" mesh="link4_viz"/>
              <body name="panda_link5" pos="-0.0825 0.384 0" quat="0.707107 -0.707107 0 0" gravcomp="1">
                {inert("link5")}
                <joint name="panda_joint5" range="-2.8973 2.8973"/>
                <geom class="panda_viz" mesh="link5_viz"/>
                <body name="panda_link6" euler="1.57 0 1.57" gravcomp="1">
                  {inert("link6")}
                  <joint name="panda_joint6" range="-1.6573 2.1127"/>
                  <geom class="panda_viz" mesh="link6_viz" material="panda_dark"/>
                  <body name="panda_link7" pos="0.088 0 0" euler="1.57 0 0.7854" gravcomp="1">
                    {inert("link7")}
                    <joint name="panda_joint7" range="-2.8973 2.8973"/>
                    <geom class="panda_viz" mesh="link7_viz" material="panda_dark"/>
                    <geom class="panda_viz" pos="0 0 0.107" quat="0.92388 0 0 -0.382683" mesh="hand_viz"/>
                    <geom class="panda_col_active" pos="0 0 0.107" quat="0.92388 0 0 -0.382683" mesh="hand_col"/>
                    <site name="tcp" pos="0 0 0.245" size="0.005" euler="0 0 -0.785398" group="4"/>
                    <camera name="wrist" pos="0.06 -0.06 0.10" xyaxes="0.7071 0.7071 0.0000 0.6667 -0.6667 0.3333"
                            fovy="70"/>
                    <body name="panda_leftfinger" pos="0 0 0.1654" quat="0.92388 0 0 -0.382683"
                          childclass="panda_finger" gravcomp="1">
                      <inertial pos="0 0.0119 0.0434" mass="0.0927" diaginertia="6.6e-05 6.1e-05 1.1e-05"/>
                      <joint name="panda_finger_left" axis="0 1 0" type="slide" range="0 0.04"/>
                      <geom class="panda_viz" mesh="finger_viz" material="panda_dark"/>{left}
                    </body>
                    <body name="panda_rightfinger" pos="0 0 0.1654" quat="0.92388 0 0 -0.382683"
                          childclass="panda_finger" gravcomp="1">
                      <inertial pos="0 -0.0119 0.0434" mass="0.0927" diaginertia="6.6e-05 6.1e-05 1.1e-05"/>
                      <joint name="panda_finger_right" axis="0 -1 0" type="slide" range="0 0.04"/>
                      <geom class="panda_viz" quat="0 0 0 1" mesh="finger_viz" material="panda_dark"/>{right}
                    </body>
                  </body>
                </body>
              </body>
            </body>
          </body>
        </body>
      </body>
    </body>"""


def panda_actuators_xml() -> str:
    arm = "\n".join(
        f'<position name="act_{j}" joint="{j}" class="panda" kp="{kp}" kv="{kv}" '
        f'forcerange="-{f} {f}" ctrlrange="{lo} {hi}"/>'
        for j, kp, kv, f, (lo, hi) in [
            ("panda_joint1", 4000, 200, 87, (-2.8973, 2.8973)),
            ("panda_joint2", 4000, 200, 87, (-1.7628, 1.7628)),
            ("panda_joint3", 4000, 200, 87, (-2.8973, 2.8973)),
            ("panda_joint4", 4000, 200, 87, (-3.0718, -0.4)),
            ("panda_joint5", 1600, 80, 12, (-2.8973, 2.8973)),
            ("panda_joint6", 1600, 80, 12, (-1.6573, 2.1127)),
            ("panda_joint7", 1600, 80, 12, (-2.8973, 2.8973)),
        ]
    )
    fingers = "\n".join(
        f'<position name="act_{j}" joint="{j}" class="panda_finger" kp="300" forcerange="-40 40" '
        f'ctrlrange="0 {FINGER_MAX}"/>'
        for j in FINGER_JOINTS
    )
    return arm + "\n" + fingers
