"""Attention: does the encoder look at the object it must pick, and does that hold under shift?

Frames are each level's own reset scenario for a seed (held-out objects, ring layout, new textures
and so on at easy and hard: what the agent really sees), in the checkpoints' camera and image size.
Each frame gets a saliency map (saliency.py: Grad-CAM for CNN policies, CLS attention for ViT
encoders) and the target object's mask from MuJoCo's segmentation render. The score is the Jaccard
overlap between the top `top` fraction of saliency pixels (default 10%) and the mask. When the
object covers less of the frame than `top`, the best possible Jaccard is mask_fraction / top;
that bound is written as jaccard_max. A map that is zero everywhere (Grad-CAM keeps only positive
evidence, and can keep none) has no top pixels: its Jaccard is NaN, not a tie-break artefact.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from pvmbench.agents.encoders import Encoder
from pvmbench.analysis.overlap import jaccard, top_fraction_mask
from pvmbench.analysis.policies import LoadedPolicy
from pvmbench.analysis.saliency import cls_attention, grad_cam, to_frame
from pvmbench.analysis.scenes import level_scenario, make_env, target_mask


@dataclasses.dataclass
class AttentionFrames:
    index: pd.DataFrame  # level, seed
    images: np.ndarray  # uint8 (N, H, W, 3)
    masks: np.ndarray  # bool (N, H, W), the target object


def render_attention_frames(env_id: str, env_kwargs: dict, levels: list, seeds: list[int],
                            progress=None) -> AttentionFrames:
    env = make_env(env_id, env_kwargs)
    rows, images, masks = [], [], []
    try:
        for level in levels:
            for seed in seeds:
                obs, _ = env.reset(options={"scenario": level_scenario(env, level, seed)})
                images.append(obs["image"])
                masks.append(target_mask(env))
                rows.append({"level": str(level), "seed": seed})
                if progress is not None:
                    progress.update(1)
    finally:
        env.close()
    return AttentionFrames(pd.DataFrame(rows), np.stack(images), np.stack(masks))


def saliency_maps(frames: AttentionFrames, policies: list[LoadedPolicy],
                  vits: dict[str, Encoder]) -> dict[tuple[str, str], np.ndarray]:
    """{(encoder label, method): (N, H, W) maps over the frames}."""
    size = frames.images.shape[1]
    out = {}
    for p in policies:
        out[(p.label, "grad-cam")] = to_frame(grad_cam(p.policy, frames.images), p.policy.encoder, size)
    for label, encoder in vits.items():
        out[(label, "cls-attention")] = to_frame(cls_attention(encoder, frames.images), encoder, size)
    return out


def attention_table(frames: AttentionFrames, maps: dict[tuple[str, str], np.ndarray], top: float = 0.1) -> pd.DataFrame:
    rows = []
    for (label, method), per_frame in maps.items():
        for i, row in frames.index.iterrows():
            mask = frames.masks[i]
            covered = float(mask.mean())
            rows.append({"frame": i, "level": row["level"], "seed": row["seed"], "encoder": label, "method": method,
                         "jaccard": jaccard(top_fraction_mask(per_frame[i], top), mask)
                         if per_frame[i].max() > 0 else float("nan"), "top": top,
                         "mask_fraction": covered, "jaccard_max": min(covered, top) / max(covered, top)})
    return pd.DataFrame(rows)
