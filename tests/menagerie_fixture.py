"""A stand-in for a local MuJoCo Menagerie checkout, for testing MENAGERIE_ROOT support.

Writes `<root>/franka_emika_panda/panda.xml` with the names and structure pvmbench relies on in
Menagerie's Panda (bodies link0..link7, hand, left_finger, right_finger; joints joint1..joint7,
finger_joint1/2; actuators actuator1..7 on the joints and actuator8 on a `split` tendon with
ctrl 0..255). It is pvmbench's own file: standard Franka link frames, capsule geometry instead
of Menagerie's meshes, and no Menagerie content.
"""

from __future__ import annotations

import pathlib

_XML = """<mujoco model="panda stand-in">
  <compiler angle="radian" autolimits="true"/>
  <default>
    <default class="panda">
      <joint armature="0.1" damping="1" axis="0 0 1" range="-2.8973 2.8973"/>
      <general dyntype="none" biastype="affine" ctrlrange="-2.8973 2.8973" forcerange="-87 87"/>
      <geom type="capsule" size="0.04" contype="0" conaffinity="0" group="2" rgba="0.9 0.9 0.9 1"/>
      <default class="finger">
        <joint axis="0 1 0" type="slide" range="0 0.04"/>
        <geom type="box" size="0.008 0.006 0.025" pos="0 0.006 0.03" contype="1" conaffinity="1" group="3"/>
      </default>
    </default>
  </default>
  <worldbody>
    <light name="top" pos="0 0 2"/>
    <body name="link0" childclass="panda">
      <geom fromto="0 0 0 0 0 0.3"/>
      <body name="link1" pos="0 0 0.333">
        <inertial mass="4.97" pos="0 0 -0.05" diaginertia="0.7 0.7 0.01"/>
        <joint name="joint1"/>
        <geom fromto="0 0 -0.1 0 0 0.05"/>
        <body name="link2" quat="1 -1 0 0">
          <inertial mass="0.65" pos="0 -0.03 0" diaginertia="0.008 0.028 0.026"/>
          <joint name="joint2" range="-1.7628 1.7628"/>
          <geom fromto="0 0 0 0 -0.3 0"/>
          <body name="link3" pos="0 -0.316 0" quat="1 1 0 0">
            <inertial mass="3.2" pos="0.03 0.04 -0.07" diaginertia="0.037 0.036 0.011"/>
            <joint name="joint3"/>
            <geom fromto="0 0 -0.1 0.08 0 0"/>
            <body name="link4" pos="0.0825 0 0" quat="1 1 0 0">
              <inertial mass="3.6" pos="-0.05 0.1 0.03" diaginertia="0.026 0.02 0.028"/>
              <joint name="joint4" range="-3.0718 -0.0698"/>
              <geom fromto="0 0 0 -0.08 0.38 0"/>
              <body name="link5" pos="-0.0825 0.384 0" quat="1 -1 0 0">
                <inertial mass="1.2" pos="0 0.04 -0.04" diaginertia="0.035 0.03 0.009"/>
                <joint name="joint5"/>
                <geom fromto="0 0 -0.25 0 0 0"/>
                <body name="link6" quat="1 1 0 0">
                  <inertial mass="1.7" pos="0.06 0 0" diaginertia="0.002 0.004 0.005"/>
                  <joint name="joint6" range="-0.0175 3.7525"/>
                  <geom fromto="0 0 0 0.088 0 0"/>
                  <body name="link7" pos="0.088 0 0" quat="1 1 0 0">
                    <inertial mass="0.74" pos="0 0 0.06" diaginertia="0.013 0.01 0.005"/>
                    <joint name="joint7"/>
                    <geom fromto="0 0 0 0 0 0.1" size="0.035"/>
                    <body name="link8" pos="0 0 0.107">
                      <body name="hand" quat="0.9238795 0 0 -0.3826834">
                        <inertial mass="0.73" pos="-0.01 0 0.03" diaginertia="0.001 0.0025 0.0017"/>
                        <geom type="box" size="0.02 0.1 0.03" pos="0 0 0.03"/>
                        <body name="left_finger" pos="0 0 0.0584">
                          <inertial mass="0.015" pos="0 0 0" diaginertia="2.4e-6 2.4e-6 7.5e-7"/>
                          <joint name="finger_joint1" class="finger"/>
                          <geom class="finger"/>
                        </body>
                        <body name="right_finger" pos="0 0 0.0584" quat="0 0 0 1">
                          <inertial mass="0.015" pos="0 0 0" diaginertia="2.4e-6 2.4e-6 7.5e-7"/>
                          <joint name="finger_joint2" class="finger"/>
                          <geom class="finger"/>
                        </body>
                      </body>
                    </body>
                  </body>
                </body>
              </body>
            </body>
          </body>
        </body>
      </body>
    </body>
  </worldbody>
  <tendon>
    <fixed name="split">
      <joint joint="finger_joint1" coef="0.5"/>
      <joint joint="finger_joint2" coef="0.5"/>
    </fixed>
  </tendon>
  <equality>
    <joint joint1="finger_joint1" joint2="finger_joint2" solimp="0.95 0.99 0.001" solref="0.005 1"/>
  </equality>
  <actuator>
    <general class="panda" name="actuator1" joint="joint1" gainprm="4500" biasprm="0 -4500 -450"/>
    <general class="panda" name="actuator2" joint="joint2" gainprm="4500" biasprm="0 -4500 -450" ctrlrange="-1.7628 1.7628"/>
    <general class="panda" name="actuator3" joint="joint3" gainprm="3500" biasprm="0 -3500 -350"/>
    <general class="panda" name="actuator4" joint="joint4" gainprm="3500" biasprm="0 -3500 -350" ctrlrange="-3.0718 -0.0698"/>
    <general class="panda" name="actuator5" joint="joint5" gainprm="2000" biasprm="0 -2000 -200" forcerange="-12 12"/>
    <general class="panda" name="actuator6" joint="joint6" gainprm="2000" biasprm="0 -2000 -200" forcerange="-12 12" ctrlrange="-0.0175 3.7525"/>
    <general class="panda" name="actuator7" joint="joint7" gainprm="2000" biasprm="0 -2000 -200" forcerange="-12 12"/>
    <general class="panda" name="actuator8" tendon="split" forcerange="-100 100" ctrlrange="0 255" gainprm="0.01568627451 0 0" biasprm="0 -100 -10"/>
  </actuator>
</mujoco>
"""


def make_menagerie_fixture(root: pathlib.Path) -> pathlib.Path:
    panda = root / "franka_emika_panda"
    panda.mkdir(parents=True, exist_ok=True)
    (panda / "panda.xml").write_text(_XML)
    return root
