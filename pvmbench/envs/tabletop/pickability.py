"""Which objects TableTopPick-v1's gripper can pick at all: one rule, applied to an object's collision hull.

An object resting as loaded is pickable when all three hold:
1. **fits**: a top-down grasp exists (grasp_planner.plan_grasp): somewhere between the deepest the hand
   reaches and 1 cm below its top, the hull above the fingertips is at most 7.0 cm wide one way
   (the open pads are 7.4 cm apart; 2 mm are kept free on each side, above the 1.8 mm worst TCP error
   the controller showed at closing), on flanks no steeper than 30 degrees from vertical;
2. **holds**: the fingers' friction at that width carries its weight with a 1.5 safety factor (each
   finger is a position servo of stiffness 300 N/m aimed at fully closed, so it squeezes with
   300 N/m * width/2, at most 40 N; pad friction 1.5). The mass is the simulator's: the hull's
   volume at the asset's density (600 kg/m^3 for YCB), not the real object's;
3. **reaches**: gripped there, the object can be lifted to within half the success radius of the
   highest goal the suite draws (goal lift 0.3 m) without the TCP leaving the controller's workspace
   (z <= 0.45 m).

`python -m pvmbench.envs.tabletop.pickability [YCB_DIR]` applies it to every object of a YCB directory
(default $PVMBENCH_YCB_DIR) from the meshes themselves; `documented_ycb_verdicts()` applies it to
the approximate dimensions in ycb_dimensions.py, which is how tabletop-v2's YCB splits were made.
"""

from __future__ import annotations

import dataclasses
import math
import sys

import numpy as np
from scipy.spatial import ConvexHull

from pvmbench.envs.tabletop.controller import WORKSPACE_HIGH
from pvmbench.envs.tabletop.grasp_planner import PANDA_GRIPPER, Gripper, hull_edges, plan_grasp
from pvmbench.envs.tabletop.model import MIN_OBJECT_MASS
from pvmbench.envs.tabletop.object_asset import ObjectAsset
from pvmbench.envs.tabletop.reward import GOAL_THRESHOLD
from pvmbench.envs.tabletop.scenario_apply import REST_CLEARANCE
from pvmbench.errors import UserError

GRAVITY = 9.81
FINGER_STIFFNESS = 300.0  # N/m: the shipped Panda's finger position servo (panda_xml.py, kp)
FINGER_FORCE_LIMIT = 40.0  # N: its forcerange
PAD_FRICTION = 1.5  # MuJoCo takes the larger sliding friction of a contact pair: the pads' 1.5
GRIP_SAFETY = 1.5  # the grip must carry 1.5x the weight: carrying accelerates and swings the object
GOAL_LIFT_MAX = 0.3  # metres: tabletop suites' workspace.goal_lift upper end
DEFAULT_DENSITY = ObjectAsset.__dataclass_fields__["density"].default


@dataclasses.dataclass(frozen=True)
class Verdict:
    pickable: bool
    reason: str  # why not; "" when pickable
    width: float  # grasp width (m), or the narrowest found when it does not fit
    mass: float  # kg, as simulated
    grasp_height: float  # TCP height (m) of the grasp, object resting on the table


def pickability(vertices: np.ndarray, density: float = DEFAULT_DENSITY, gripper: Gripper = PANDA_GRIPPER,
                goal_lift_max: float = GOAL_LIFT_MAX) -> Verdict:
    """The rule (see the module docstring) for an object whose collision vertices are in its resting
    frame (resting on z = 0, as ObjectAsset.collision_vertices)."""
    v = np.asarray(vertices, dtype=np.float64)
    mass = max(ConvexHull(v).volume * density, MIN_OBJECT_MASS)
    centre = (v.min(axis=0) + v.max(axis=0)) / 2.0
    plan = plan_grasp(v, hull_edges(v), centre[:2], gripper)
    height = float(plan.tcp[2])
    if not plan.feasible:
        return Verdict(False, plan.reason, plan.width, mass, height)
    squeeze = min(FINGER_STIFFNESS * plan.width / 2.0, FINGER_FORCE_LIMIT)
    hold = 2.0 * PAD_FRICTION * squeeze
    if hold < GRIP_SAFETY * mass * GRAVITY:
        return Verdict(False, f"too heavy for its grip: {mass:.2f} kg simulated, the fingers hold "
                       f"{hold / GRAVITY / GRIP_SAFETY:.2f} kg at {plan.width * 100:.1f} cm", plan.width, mass, height)
    tcp_at_goal = height + REST_CLEARANCE + goal_lift_max
    if tcp_at_goal > WORKSPACE_HIGH[2] + GOAL_THRESHOLD / 2:
        return Verdict(False, f"too tall: gripped at {height * 100:.0f} cm, the highest goals need the TCP at "
                       f"{tcp_at_goal * 100:.0f} cm (workspace top {WORKSPACE_HIGH[2] * 100:.0f} cm)",
                       plan.width, mass, height)
    return Verdict(True, "", plan.width, mass, height)


# -- simple solids for objects known only by their dimensions ---------------------------------------------
def box_vertices(narrow: float, long: float, height: float, top_narrow: float | None = None) -> np.ndarray:
    """A box standing on its narrow x long face; `top_narrow` tapers the narrow side towards the top
    (a scanned carton's hull is a little wider at the base)."""
    corners = np.array(np.meshgrid([-0.5, 0.5], [-0.5, 0.5], [0.0, 1.0])).reshape(3, -1).T
    out = corners * np.array([narrow, long, height])
    if top_narrow is not None:
        out[corners[:, 2] == 1.0, 0] *= top_narrow / narrow
    return out


def frustum_vertices(bottom_diameter: float, top_diameter: float, height: float, sides: int = 32) -> np.ndarray:
    """An upright cylinder (equal diameters), cone or cup: cups are hull-filled, so a frustum."""
    a = np.linspace(0.0, 2.0 * math.pi, sides, endpoint=False)
    ring = np.stack([np.cos(a), np.sin(a)], axis=1) / 2.0
    return np.vstack([np.column_stack([ring * bottom_diameter, np.zeros(sides)]),
                      np.column_stack([ring * top_diameter, np.full(sides, height)])])


def rod_vertices(diameter: float, length: float, sides: int = 24) -> np.ndarray:
    """A cylinder lying along y (a marker, a screwdriver), resting on z = 0."""
    a = np.linspace(0.0, 2.0 * math.pi, sides, endpoint=False)
    x, z = np.cos(a) * diameter / 2.0, (1.0 + np.sin(a)) * diameter / 2.0
    return np.vstack([np.column_stack([x, np.full(sides, -length / 2.0), z]),
                      np.column_stack([x, np.full(sides, length / 2.0), z])])


def ellipsoid_vertices(x: float, y: float, z: float, rings: int = 16, sides: int = 32) -> np.ndarray:
    """Full axes x, y, z; sliced flat 3% of its height above the bottom, where a fruit rests."""
    theta, phi = np.meshgrid(np.linspace(0.0, math.pi, rings + 1), np.linspace(0.0, 2 * math.pi, sides, endpoint=False))
    unit = np.stack([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), -np.cos(theta)], axis=-1).reshape(-1, 3)
    pts = unit * np.array([x, y, z]) / 2.0
    pts[:, 2] = np.maximum(pts[:, 2], -0.47 * z)
    pts[:, 2] -= pts[:, 2].min()
    return np.unique(np.round(pts, 6), axis=0)


SOLIDS = {"box": box_vertices, "frustum": frustum_vertices, "rod": rod_vertices, "ellipsoid": ellipsoid_vertices}


def solid_vertices(shape: str, dims_mm: tuple[float, ...]) -> np.ndarray:
    return SOLIDS[shape](*(d / 1000.0 for d in dims_mm))


def documented_ycb_verdicts() -> dict[str, Verdict]:
    """The rule on each YCB object's approximate resting solid (ycb_dimensions.YCB_RESTING_SOLIDS)."""
    from pvmbench.envs.tabletop.ycb_dimensions import YCB_RESTING_SOLIDS

    return {name: pickability(solid_vertices(shape, dims)) for name, (shape, dims, _) in YCB_RESTING_SOLIDS.items()}


def main(argv: list[str]) -> None:
    """Per object of a YCB directory: pickable or not, and why, from the meshes."""
    import os

    from pvmbench.envs.tabletop.ycb import YCB_DIR_ENV, YCB_OBJECT_IDS, load_ycb_objects

    root = argv[0] if argv else os.environ.get(YCB_DIR_ENV)
    try:
        assets = load_ycb_objects(list(YCB_OBJECT_IDS), root)
    except UserError as err:
        sys.exit(f"error: {err}")  # one line, no traceback: a wrong directory is the user's to fix
    for asset in assets:
        verdict = pickability(asset.collision_vertices, asset.density)
        status = "pickable" if verdict.pickable else f"left out: {verdict.reason}"
        print(f"{asset.name:28s} width {verdict.width * 100:5.1f} cm  mass {verdict.mass:5.2f} kg  {status}")


if __name__ == "__main__":
    main(sys.argv[1:])
