"""Attention: does the encoder look at the object it must pick, and does hiding it matter?

Frames are each level's own reset scenario for a seed (held-out objects, ring layout, new textures
and so on at easy and hard: what the agent really sees), in the checkpoints' camera and image size,
with the target object's mask from MuJoCo's segmentation render. Frames where the target is not in
view are counted (`no_target`) and not scored.

Per subject (a policy, or an encoder given alone) and frame:
  precision        object_precision (overlap.py) of its saliency map (saliency.py): ceiling 1,
                   chance = the object's share of the frame; `ceiling_at_grid` is what the mask itself,
                   pooled to the map's grid and upsampled like a map, would score (a 4 x 4 map cannot
                   outline a 9-pixel object); `empty_map` flags all-zero maps, scored at chance, kept;
  occlusion        occlusion.py: the change of the output (action, or features for an encoder alone)
                   when the object is hidden, ranked among hiding random patches of its shape;
                   `pixel_percentile` ranks the change of the frame's pixels themselves the same way,
                   the control for "the object's patch simply changes more pixel values", and
                   `excess_over_pixels` is the output's percentile minus the pixels', per frame.
The summary, per subject x level and over all levels, gives each mean with a 95% bootstrap CI over
frames, the shuffled-mask null with its permutation p, and the occlusion percentile's exact p.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd
import torch

from pvmbench.agents.encoders import Encoder
from pvmbench.analysis.occlusion import (
    occlusion_effects,
    occlusion_percentile,
    random_offsets,
    uniform_rank_p,
)
from pvmbench.analysis.overlap import object_precision, precision_matrix, shuffled_mask_null
from pvmbench.analysis.policies import LoadedPolicy
from pvmbench.analysis.saliency import saliency, to_frame, to_grid, visible_box
from pvmbench.analysis.scenes import level_scenario, make_env, target_mask
from pvmbench.analysis.stats import cluster_bootstrap_ci
from pvmbench.errors import UserError

ALL_LEVELS = "all"


@dataclasses.dataclass
class AttentionFrames:
    index: pd.DataFrame  # level, seed
    images: np.ndarray  # uint8 (N, H, W, 3)
    masks: np.ndarray  # bool (N, H, W), the target object
    states: np.ndarray | None = None  # float32 (N, S): obs["state"] at each frame, where the env has one


@dataclasses.dataclass
class Subject:
    """What is explained: an encoder and the head whose output its saliency and occlusion refer to."""
    label: str
    encoder: Encoder
    head: Callable[..., torch.Tensor]  # features (B, D)[, states (B, S)] -> output (B, A)
    output: str  # "action" or "features"
    reads_state: bool = False  # the head also takes the robot state (a policy trained with it)

    def states_for(self, frames: AttentionFrames) -> np.ndarray | None:
        if not self.reads_state:
            return None
        if frames.states is None:
            raise UserError(f"{self.label} reads obs['state'], which these frames' env does not provide")
        return frames.states

    @torch.no_grad()
    def outputs(self, images: np.ndarray, states: np.ndarray | None = None, batch: int = 32) -> np.ndarray:
        self.encoder.eval()
        out = []
        for i in range(0, len(images), batch):
            features = self.encoder(torch.as_tensor(np.ascontiguousarray(images[i:i + batch])))
            extra = () if states is None else (torch.as_tensor(states[i:i + batch], dtype=torch.float32),)
            out.append(self.head(features, *extra).float().numpy())
        return np.concatenate(out)


@dataclasses.dataclass
class SaliencyMaps:
    subject: Subject
    method: str
    frame_maps: np.ndarray  # (N, H, W) over the observation
    ceiling: np.ndarray  # (N,) precision of the mask pooled to the map's grid


def subjects(policies: list[LoadedPolicy], encoders: dict[str, Encoder]) -> list[Subject]:
    out = [Subject(p.label, p.policy.encoder, p.policy.head_from_features, "action", p.policy.state_dim > 0)
           for p in policies]
    return out + [Subject(label, e, lambda f: f, "features") for label, e in encoders.items()]


def render_attention_frames(env_id: str, env_kwargs: dict, levels: list, seeds: list[int],
                            progress=None) -> AttentionFrames:
    env = make_env(env_id, env_kwargs)
    rows, images, masks, states = [], [], [], []
    try:
        for level in levels:
            for seed in seeds:
                obs, _ = env.reset(options={"scenario": level_scenario(env, level, seed)})
                images.append(obs["image"])
                states.append(obs.get("state"))
                masks.append(target_mask(env))
                rows.append({"level": str(level), "seed": seed})
                if progress is not None:
                    progress.update(1)
    finally:
        env.close()
    has_state = bool(states) and states[0] is not None
    return AttentionFrames(pd.DataFrame(rows), np.stack(images), np.stack(masks),
                           np.stack(states).astype(np.float32) if has_state else None)


def saliency_maps(frames: AttentionFrames, subject_list: list[Subject]) -> list[SaliencyMaps]:
    size = frames.images.shape[1]
    out = []
    for s in subject_list:
        grid_maps, method = saliency(s.encoder, frames.images, s.head, s.states_for(frames))
        oracle = to_frame(to_grid(frames.masks, s.encoder, grid_maps.shape[1:]), s.encoder, size)
        ceiling = np.array([object_precision(o, m) for o, m in zip(oracle, frames.masks, strict=True)])
        out.append(SaliencyMaps(s, method, to_frame(grid_maps, s.encoder, size), ceiling))
    return out


def attention_tables(frames: AttentionFrames, maps: list[SaliencyMaps], patches: int = 16,
                     seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(summary per subject x level and over all levels, one row per subject x frame)."""
    size = frames.images.shape[1]
    seen = frames.masks.any(axis=(1, 2))
    scored = np.flatnonzero(seen)
    # Random patches only where every encoder looks, the same patches for every subject.
    boxes = np.array([visible_box(m.subject.encoder, size) for m in maps] or [(0, size, 0, size)])
    allowed = (boxes[:, 0].max(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].min())
    rng = np.random.default_rng(seed)
    offsets = [random_offsets(frames.masks[i], allowed, patches, rng) for i in scored]
    pixel_percentile = occlusion_percentile(*occlusion_effects(_pixels, frames.images[scored], frames.masks[scored],
                                                               offsets))
    per_frame = []
    for m in maps:
        states = m.subject.states_for(frames)
        d_obj, d_rand = occlusion_effects(m.subject.outputs, frames.images[scored], frames.masks[scored], offsets,
                                          None if states is None else states[scored])
        per_frame.append(frames.index.iloc[scored].assign(
            frame=scored, encoder=m.subject.label, method=m.method, output=m.subject.output,
            precision=[object_precision(m.frame_maps[i], frames.masks[i]) for i in scored],
            chance=frames.masks[scored].mean(axis=(1, 2)), ceiling_at_grid=m.ceiling[scored],
            empty_map=m.frame_maps[scored].max(axis=(1, 2)) <= 0,
            delta_object=d_obj, delta_random=_row_mean(d_rand),
            occlusion_percentile=occlusion_percentile(d_obj, d_rand), pixel_percentile=pixel_percentile,
            patches=[len(o) for o in offsets]))
    per_frame = pd.concat(per_frame, ignore_index=True)
    no_target = frames.index.loc[~seen, "level"].value_counts()
    summary = []
    for m in maps:
        rows = per_frame[per_frame["encoder"] == m.subject.label]
        for level, group in [*rows.groupby("level", sort=False), (ALL_LEVELS, rows)]:
            summary.append(_summary_row(m, frames, group, level,
                                        int(no_target.sum() if level == ALL_LEVELS else no_target.get(level, 0))))
    return pd.DataFrame(summary), per_frame


def _row_mean(values: np.ndarray) -> np.ndarray:
    """Mean of each row's non-NaN entries; NaN for a frame that had no room for a random patch."""
    known = ~np.isnan(values)
    with np.errstate(invalid="ignore"):
        return np.where(known, values, 0.0).sum(axis=1) / known.sum(axis=1)


def _pixels(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1).astype(np.float64)


def _summary_row(m: SaliencyMaps, frames: AttentionFrames, group: pd.DataFrame, level: str, no_target: int) -> dict:
    idx = group["frame"].to_numpy()
    null = shuffled_mask_null(precision_matrix(m.frame_maps[idx], frames.masks[idx]), group["level"].to_numpy())
    precision = cluster_bootstrap_ci(group["precision"])
    usable = group["patches"] > 0
    pct = group.loc[usable, "occlusion_percentile"]
    occl = cluster_bootstrap_ci(pct) if len(pct) else (np.nan,) * 3
    excess = cluster_bootstrap_ci(pct - group.loc[usable, "pixel_percentile"]) if len(pct) else (np.nan,) * 3
    return {"encoder": m.subject.label, "method": m.method, "output": m.subject.output, "level": level,
            "frames": len(group), "no_target": no_target, "empty_maps": int(group["empty_map"].sum()),
            "precision": precision[0], "precision_ci_low": precision[1], "precision_ci_high": precision[2],
            "chance": group["chance"].mean(), "shuffled_null": null["null"], "shuffled_p": null["p"],
            "ceiling_at_grid": group["ceiling_at_grid"].mean(),
            "delta_object": group["delta_object"].mean(), "delta_random": group["delta_random"].mean(),
            "occlusion_percentile": occl[0], "occlusion_ci_low": occl[1], "occlusion_ci_high": occl[2],
            "occlusion_p": uniform_rank_p(pct, group.loc[usable, "patches"]) if len(pct) else np.nan,
            "pixel_percentile": group.loc[usable, "pixel_percentile"].mean(), "excess_over_pixels": excess[0],
            "excess_ci_low": excess[1], "excess_ci_high": excess[2]}
