"""Invariance: does an encoder still tell physical states apart when their appearance shifts?

For each seed, the id scenario's scripted-oracle episode gives sim states at a few steps. Every state
is rendered once with its id appearance (the gallery) and once per condition with shifted appearance,
objects and layout held fixed (scenes.py). A condition is a level's appearance factors: all of them
(`hard`), the camera alone (`hard:camera`) or all but the camera (`hard:no-camera`), since camera jitter
moves pixels as a state change does; `relabelled` measures how much: the fraction of pixels whose
segmentation label (which geom is seen) differs from the id frame's. `id-resample` takes another id
seed's appearance, the variation seen in training.

Scores (retrieval.py), on features centred on the id gallery's mean:
  top1        is the shifted frame's nearest id frame the same state? chance 1 / states;
  scene_top1  is it at least the same seed's scene (any step)? chance 1 / seeds;
  cosine      same state, id vs shifted appearance; reported beside other_state_cosine, two
              different states (steps of one seed) under the same id appearance.
A "pixels" row (the frames downsampled to 24 x 24, as features) is the floor: an encoder that does
not beat it adds no invariance over raw pixels; top1_vs_pixels is an encoder's top-1 minus the pixels',
paired by frame. CIs resample seeds (frames of one seed are correlated).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import torch
from torch.nn import functional as F

from pvmbench.analysis.features import encode
from pvmbench.analysis.policies import LoadedPolicy
from pvmbench.analysis.retrieval import other_state_cosine, retrieval
from pvmbench.analysis.scenes import (
    APPEARANCE_FACTORS,
    PIXEL_FACTORS,
    level_scenario,
    make_env,
    oracle_states,
    render_state,
    same_state_scenario,
    segmentation,
)
from pvmbench.analysis.stats import cluster_bootstrap_ci

ID_RESAMPLE = "id-resample"
RESAMPLE_OFFSET = 1_000_003  # another id seed: same level, different draw of its appearance
SUBSETS = {"": APPEARANCE_FACTORS, "camera": ("camera",), "no-camera": PIXEL_FACTORS}
PIXELS = "pixels 24x24"
PIXEL_SIDE = 24


@dataclasses.dataclass(frozen=True)
class Condition:
    level: object  # a parsed shift spec (its str() is its label) or ID_RESAMPLE
    subset: str = ""  # a key of SUBSETS: which appearance factors come from the level

    @property
    def label(self) -> str:
        return f"{self.level}:{self.subset}" if self.subset else str(self.level)


@dataclasses.dataclass
class InvarianceFrames:
    states: pd.DataFrame  # seed, step; gallery row s is state s
    gallery: np.ndarray  # uint8 (S, H, W, 3): each state under its id appearance
    index: pd.DataFrame  # condition, seed, step, state, relabelled
    shifted: np.ndarray  # uint8 (N, H, W, 3), row-aligned with index


def render_invariance_frames(env_id: str, env_kwargs: dict, conditions: list[Condition], seeds: list[int],
                             steps: list[int], progress=None) -> InvarianceFrames:
    oracle_env = make_env(env_id, env_kwargs, privileged=True)
    env = make_env(env_id, env_kwargs)
    states, gallery, rows, shifted = [], [], [], []
    try:
        for seed in seeds:
            base = level_scenario(env, "id", seed)
            first_state = len(states)
            id_labels = []
            for step, state in zip(steps, oracle_states(oracle_env, base, steps), strict=True):
                gallery.append(render_state(env, base, state))
                id_labels.append(segmentation(env))
                states.append({"seed": seed, "step": step, "sim": state})
            for condition in conditions:
                donor = level_scenario(env, "id", seed + RESAMPLE_OFFSET) if condition.level == ID_RESAMPLE else \
                    level_scenario(env, condition.level, seed)
                scenario = same_state_scenario(base, donor, SUBSETS[condition.subset])
                for offset, (step, labels) in enumerate(zip(steps, id_labels, strict=True)):
                    shifted.append(render_state(env, scenario, states[first_state + offset]["sim"]))
                    rows.append({"condition": condition.label, "seed": seed, "step": step,
                                 "state": first_state + offset, "relabelled": float(np.mean(segmentation(env) != labels))})
                    if progress is not None:
                        progress.update(1)
    finally:
        env.close()
        oracle_env.close()
    state_index = pd.DataFrame([{"seed": s["seed"], "step": s["step"]} for s in states])
    return InvarianceFrames(state_index, np.stack(gallery), pd.DataFrame(rows), np.stack(shifted))


def pixel_features(images: np.ndarray) -> np.ndarray:
    """The frames area-downsampled to PIXEL_SIDE x PIXEL_SIDE, flattened: the raw-pixel floor."""
    x = torch.as_tensor(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float()
    return F.interpolate(x, size=(PIXEL_SIDE, PIXEL_SIDE), mode="area").flatten(1).numpy()


def invariance_tables(policies: list[LoadedPolicy], frames: InvarianceFrames) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(summary per encoder x condition, one row per encoder x shifted frame). The pixel floor comes
    first, so that every encoder's top-1 can be compared with it frame by frame."""
    featurisers = [(PIXELS, pixel_features)]
    featurisers += [(p.label, lambda im, e=p.policy.encoder: encode(e, im)) for p in policies]
    per_frame, summary = [], []
    for label, featurise in featurisers:
        gallery, queries = featurise(frames.gallery), featurise(frames.shifted)
        scores = retrieval(gallery, queries, frames.index["state"].to_numpy())
        nearest_seed = frames.states["seed"].to_numpy()[scores["nearest"]]
        rows = frames.index.assign(encoder=label, top1=scores["top1"], scene_top1=nearest_seed == frames.index["seed"],
                                   cosine=scores["same_state_cosine"])
        rows["top1_vs_pixels"] = rows["top1"].astype(float) - per_frame[0]["top1"].to_numpy() if per_frame else 0.0
        per_frame.append(rows)
        reference = other_state_cosine(gallery, frames.states["seed"].to_numpy())
        summary += _summary_rows(label, rows, reference, frames.states)
    columns = ["encoder", "condition", "seed", "step", "top1", "scene_top1", "cosine", "relabelled"]
    order = [p.label for p in policies] + [PIXELS]  # encoders first, the floor last, as tables read
    summary = pd.DataFrame(summary).sort_values("encoder", key=lambda e: e.map(order.index), kind="stable")
    per_frame = pd.concat(per_frame[1:] + per_frame[:1], ignore_index=True)[columns]
    return summary.reset_index(drop=True), per_frame


def _summary_rows(label: str, rows: pd.DataFrame, reference: np.ndarray, states: pd.DataFrame) -> list[dict]:
    out = []
    known = np.isfinite(reference)
    other = cluster_bootstrap_ci(reference[known], states["seed"].to_numpy()[known]) if known.any() else (np.nan,) * 3
    for condition, group in rows.groupby("condition", sort=False):
        seeds = group["seed"].to_numpy()
        top1, scene, vs_pixels, cosine = (cluster_bootstrap_ci(group[c].astype(float), seeds)
                                          for c in ("top1", "scene_top1", "top1_vs_pixels", "cosine"))
        out.append({"encoder": label, "condition": condition, "frames": len(group),
                    "top1": top1[0], "top1_ci_low": top1[1], "top1_ci_high": top1[2], "top1_chance": 1 / len(states),
                    "top1_vs_pixels": vs_pixels[0], "vs_pixels_ci_low": vs_pixels[1], "vs_pixels_ci_high": vs_pixels[2],
                    "scene_top1": scene[0], "scene_ci_low": scene[1], "scene_ci_high": scene[2],
                    "scene_chance": 1 / states["seed"].nunique(),
                    "cosine": cosine[0], "cosine_ci_low": cosine[1], "cosine_ci_high": cosine[2],
                    "other_state_cosine": other[0], "other_ci_low": other[1], "other_ci_high": other[2],
                    "relabelled": group["relabelled"].mean()})
    return out
