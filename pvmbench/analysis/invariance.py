"""Invariance: does an encoder's representation of a scene survive an appearance shift?

For each seed, the id scenario's scripted-oracle episode gives sim states at a few steps; each state
is rendered under id appearance and under every level's appearance (objects and layout held fixed,
see scenes.py), and the score is the cosine similarity between the encoder's features of the id
frame and of the shifted frame. "id" is therefore 1 by construction; "id-resample" takes the
appearance of another id seed (other texture seed and family), the variation seen in training,
as a reference point for the shifted levels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pvmbench.analysis.features import encode
from pvmbench.analysis.policies import LoadedPolicy
from pvmbench.analysis.scenes import (
    level_scenario,
    make_env,
    oracle_states,
    render_state,
    same_state_scenario,
)

ID_RESAMPLE = "id-resample"
RESAMPLE_OFFSET = 1_000_003  # another id seed: same level, different draw of its appearance


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity of two (N, D) arrays."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return np.sum(a * b, axis=1) / np.maximum(norms, 1e-12)


def render_invariance_frames(env_id: str, env_kwargs: dict, levels: list, seeds: list[int],
                             steps: list[int], progress=None) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Frame index rows (level, seed, step), the id frames and the shifted frames, row-aligned."""
    oracle_env = make_env(env_id, env_kwargs, privileged=True)
    env = make_env(env_id, env_kwargs)
    rows, id_frames, shifted = [], [], []
    try:
        for seed in seeds:
            base = level_scenario(env, "id", seed)
            states = oracle_states(oracle_env, base, steps)
            for level in levels:
                donor = level_scenario(env, "id", seed + RESAMPLE_OFFSET) if level == ID_RESAMPLE else \
                    level_scenario(env, level, seed)
                scenario = same_state_scenario(base, donor)
                for step, state in zip(steps, states, strict=True):
                    id_frames.append(render_state(env, base, state))
                    shifted.append(render_state(env, scenario, state))
                    rows.append({"level": str(level), "seed": seed, "step": step})
                    if progress is not None:
                        progress.update(1)
    finally:
        env.close()
        oracle_env.close()
    return pd.DataFrame(rows), np.stack(id_frames), np.stack(shifted)


def invariance_table(policies: list[LoadedPolicy], index: pd.DataFrame, id_frames: np.ndarray,
                     shifted: np.ndarray) -> pd.DataFrame:
    """One row per encoder x frame: the cosine similarity of id and shifted features."""
    tables = []
    for p in policies:
        sims = cosine_rows(encode(p.policy.encoder, id_frames), encode(p.policy.encoder, shifted))
        tables.append(index.assign(encoder=p.label, cosine=sims))
    return pd.concat(tables, ignore_index=True)[["encoder", "level", "seed", "step", "cosine"]]
