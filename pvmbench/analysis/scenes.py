"""Table-top frames for analysis: one physical state rendered under different appearance shifts.

A table-top scenario mixes *state* factors (which objects, where they and the goal are) with
*appearance* factors (table texture, object colour, lighting, camera pose). Easy and hard change
both: they swap in held-out objects and move them to the outer ring. To see the appearance shift
alone, `same_state_scenario` keeps the id scenario's objects and layout and takes only the
appearance factors (all, or a subset such as the camera alone) from the shifted level's scenario
for the same seed. Camera jitter moves the viewpoint, not the world, but it moves where things are
in the frame as a state change would: analyses report it apart from the other appearance factors.
Mid-episode states come from the scripted oracle in the id scenario; qpos, qvel and the goal are
copied into the shifted one and rendered.
"""

from __future__ import annotations

import copy

import gymnasium as gym
import mujoco
import numpy as np

import pvmbench.envs  # noqa: F401  (registers the pvmbench env ids)
from pvmbench.agents.scripted import ScriptedTableTopAgent
from pvmbench.shifts.spec import ShiftSpec
from pvmbench.shifts.tabletop import TableTopShift

APPEARANCE_FACTORS = ("table_texture", "object_appearance", "lighting", "camera")
PIXEL_FACTORS = ("table_texture", "object_appearance", "lighting")  # change colours, not geometry


def make_env(env_id: str, env_kwargs: dict, shift: str | ShiftSpec = "id", privileged: bool = False) -> gym.Env:
    return gym.make(env_id, shift=shift, privileged=privileged, **env_kwargs)


def level_scenario(env: gym.Env, level: str | ShiftSpec, seed: int) -> dict:
    """The scenario `level` draws for `seed`, from the env's own suite and object pool."""
    base = env.unwrapped.shift
    shift = TableTopShift(level, base.source, base.splits["id"] + base.splits["heldout"], base.suite)
    return shift.sample(seed)


def same_state_scenario(state_from: dict, appearance_from: dict,
                        factors: tuple[str, ...] = APPEARANCE_FACTORS) -> dict:
    """Objects and layout of `state_from`, the appearance `factors` of `appearance_from`."""
    unknown = set(factors) - set(APPEARANCE_FACTORS)
    if unknown:
        raise ValueError(f"factors {sorted(unknown)}: accepted: {', '.join(APPEARANCE_FACTORS)}")
    out = copy.deepcopy(state_from)
    for factor in factors:
        out[factor] = copy.deepcopy(appearance_from[factor])
    out["shift"] = appearance_from["shift"]
    return out


def oracle_states(env: gym.Env, scenario: dict, steps: list[int]) -> list[dict]:
    """Sim state at each of `steps` (control steps from reset) while the scripted oracle acts.

    `env` must be made with privileged=True, since the oracle reads object and goal positions.
    """
    agent = ScriptedTableTopAgent(None, env.observation_space, env.action_space, num_envs=1)
    agent.reset(np.array([True]))
    obs, _ = env.reset(options={"scenario": scenario})
    states, data = [], env.unwrapped.data
    for t in range(max(steps) + 1):
        if t in steps:
            states.append({"qpos": data.qpos.copy(), "qvel": data.qvel.copy(), "mocap_pos": data.mocap_pos.copy()})
        if t < max(steps):
            obs, *_ = env.step(agent.act({k: v[None] for k, v in obs.items()})[0])
    return states


def render_state(env: gym.Env, scenario: dict, state: dict | None = None) -> np.ndarray:
    """The agent's image of `scenario`, at `state` (from oracle_states) or at reset."""
    obs, _ = env.reset(options={"scenario": scenario})
    if state is None:
        return obs["image"]
    unwrapped = env.unwrapped
    data = unwrapped.data
    data.qpos[:], data.qvel[:], data.mocap_pos[:] = state["qpos"], state["qvel"], state["mocap_pos"]
    mujoco.mj_forward(unwrapped.model, data)
    return unwrapped._observation()["image"]  # the env's own camera and renderer, as the agent sees


def segmentation(env: gym.Env) -> np.ndarray:
    """int (H, W): the MuJoCo geom id seen at each pixel of the agent's camera (-1: nothing)."""
    unwrapped = env.unwrapped
    unwrapped._render(unwrapped.tm.cameras[unwrapped.camera])  # creates the renderer, uploads the texture
    return unwrapped._renderer.segmentation(unwrapped.data, unwrapped.tm.cameras[unwrapped.camera])


def target_mask(env: gym.Env) -> np.ndarray:
    """bool (H, W): pixels of the current scenario's target object in the agent's camera."""
    unwrapped = env.unwrapped
    seg = segmentation(env)
    target = unwrapped.tm.object_index(unwrapped._scenario["objects"]["target"])
    return seg == int(unwrapped.tm.slot_geoms[0, target, 0])
